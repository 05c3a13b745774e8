/*
 * daemon: one thread, one poll (see daemon.h). Each pass of the loop
 * waits in transport_poll for the listening ROUTER, the control socket,
 * every dialed DEALER and its connection monitor, and a signalfd; reads a
 * bounded number of frames from each ready socket inside one store batch
 * (one commit, one fsync per pass), then announces every feed that grew
 * to every peer. Handlers never block: sends are non-blocking, and the
 * store is the only I/O. This is the only place that decides about peers
 * (drop, refuse) and the only place in the network side that logs.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "replica.h"
#include "transport.h"

enum peer_kind { PEER_DIALED, PEER_ACCEPTED };

struct daemon;
static void control_send(const char *dir, const void *frame, size_t len);
static void refuse(struct daemon *d, const uint8_t *rid, size_t rid_len,
		   const char *why);

struct daemon;

struct peer {
	int used;
	enum peer_kind kind;
	void *sock;                   /* dialed: its DEALER (owned) */
	void *mon;                    /* dialed: its monitor (owned) */
	uint8_t rid[TRANSPORT_RID_MAX]; /* accepted: routing id */
	size_t rid_len;
	char endpoint[TRANSPORT_ENDPOINT_MAX];
	int up;                       /* dialed: connection established */
	int refused;                  /* dialed: its handshake failed */
	int restart;                  /* a send found the queue full: say
				       * HELLO again at the next pass */
	uint64_t retry_ms;            /* dialed, dropped: new session then */
	uint64_t rx_ms;               /* when it last sent us anything, or
				       * its session (re)started */
	int early_closes;             /* dialed: closed before any handshake */
	int connect_fails;            /* dialed: connection attempts failed */
	int active;                   /* a session runs in r */
	int dropped;                  /* accepted: refused, ignore it */
	uint64_t dropped_ms;          /* ... since then, for a while */
	struct repl r;
	struct daemon *d;
};

struct daemon {
	struct home *h;
	const struct daemon_opts *o;
	struct transport_keys keys;
	uint8_t hello_key[32];
	void *ctx;
	void *router;                 /* listening socket, or NULL */
	void *control;                /* control socket, or NULL */
	char bound[TRANSPORT_ENDPOINT_MAX];
	char endpoint_path[HOME_PATH_MAX];
	char control_path[HOME_PATH_MAX];
	struct peer peers[DAEMON_PEERS_MAX];
	struct repl_ops ops;
	struct replica rp;
	struct buf scratch;           /* one outgoing frame, all peers */
	int sigfd;
	int lockfd;
	sigset_t old_mask;            /* restored by teardown */
	void (*old_pipe)(int);
	int signals;                  /* the two above are set */
	struct msg_head grown[DAEMON_PEERS_MAX * 4]; /* feeds that grew */
	struct peer *grown_from[DAEMON_PEERS_MAX * 4]; /* who brought it */
	size_t ngrown;
	int grown_overflow;
	struct daemon_summary *sum;
	struct peer *current;         /* whose frame is being handled */
	uint64_t start_ms;
	uint64_t ping_ms;             /* when incoming peers were last probed */
	uint64_t pass_ms;             /* when this pass started */
	uint64_t yield_ms;            /* no batch before this: other writers'
				       * turn (DAEMON_YIELD_MS) */
	int store_down;               /* a write failed (disk full): its
				       * code; not ingesting until a retry
				       * stores something */
	uint64_t store_retry_ms;      /* ... when peers are asked again */
	struct err pass_err;          /* the first failed write of a pass */
	uint32_t pass_stored;         /* runs stored from peers this pass */
	int stop;
	int fail;                     /* once: why it stopped early */
	char fail_msg[ERR_MSG_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void logf_(struct daemon *d, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line on stderr: "stoa: HH:MM:SS message". */
static void logf_(struct daemon *d, int always, const char *fmt, ...)
{
	char line[512], when[16];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;
	size_t i;

	if (d->o->quiet && !always)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* peers' words reach the log: keep it to one printable line */
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "stoa: %s %s\n", when, line);
}

/* "8a88e3dd" for a peer's member key, or its endpoint before HELLO. */
static const char *peer_name(struct peer *p, char buf[96])
{
	if (p->active && p->r.got_hello) {
		char hex[2 * KEY_PUBLIC_LEN + 1];

		hex_encode(hex, p->r.peer_node, KEY_PUBLIC_LEN);
		snprintf(buf, 96, "%.8s (%.80s)", hex, p->endpoint);
	} else {
		snprintf(buf, 96, "%.95s", p->endpoint);
	}
	return buf;
}

static int peer_send(void *arg, const uint8_t *p, size_t len, struct err *e)
{
	struct peer *pr = arg;
	struct daemon *d = pr->d;

	if (pr->kind == PEER_DIALED)
		return transport_send(pr->sock, NULL, 0, p, len, e);
	return transport_send(d->router, pr->rid, pr->rid_len, p, len, e);
}

/* Remembers that a feed grew, to announce it after the pass commits. */
static void grew(void *arg, const struct msg_head *h)
{
	struct daemon *d = arg;
	size_t i;

	if (d->current)
		d->pass_stored++;
	if (d->o->verbose && d->current) {
		char hex[2 * KEY_PUBLIC_LEN + 1], name[96];
		uint64_t ts = 0, now = store_now_ms();

		hex_encode(hex, h->author, KEY_PUBLIC_LEN);
		store_head_time(d->h->store, h->author, &ts, NULL);
		logf_(d, 0, "stored feed %.8s up to %" PRIu64 " from %s (newest "
		      "written %" PRId64 " ms ago)", hex, h->seq,
		      peer_name(d->current, name), (int64_t)(now - ts));
	}

	for (i = 0; i < d->ngrown; i++) {
		if (memcmp(d->grown[i].author, h->author, KEY_PUBLIC_LEN) == 0) {
			if (h->seq > d->grown[i].seq)
				d->grown[i] = *h;
			if (d->grown_from[i] != d->current)
				d->grown_from[i] = NULL; /* tell everyone */
			return;
		}
	}
	if (d->ngrown < sizeof(d->grown) / sizeof(d->grown[0])) {
		d->grown_from[d->ngrown] = d->current;
		d->grown[d->ngrown++] = *h;
	} else {
		d->grown_overflow = 1;
	}
}

static void session_stop(struct peer *p)
{
	if (p->active) {
		struct daemon_summary *s = p->d->sum;

		s->entries_in += p->r.stats.entries_in;
		s->entries_out += p->r.stats.entries_out;
		s->bytes_in += p->r.stats.bytes_in;
		s->bytes_out += p->r.stats.bytes_out;
		repl_release(&p->r);
	}
	p->active = 0;
}

static int session_start(struct peer *p, struct err *e)
{
	struct daemon *d = p->d;

	session_stop(p);
	repl_init(&p->r, &d->ops, &d->rp, p, d->h->key.pk, d->hello_key,
		  &d->scratch);
	p->active = 1;
	p->rx_ms = now_ms();
	return repl_start(&p->r, e);
}

static void peer_free(struct peer *p)
{
	session_stop(p);
	transport_close(p->mon);
	transport_close(p->sock);
	memset(p, 0, sizeof(*p));
}

/* A code a session passes on from this node's store (repl keeps the peer
 * and its wants): the store cannot write, whoever sent the entries. */
static int store_failure(int code)
{
	return code == STOA_EFULL || code == STOA_EIO || code == STOA_ENOMEM ||
	       code == STOA_EBUSY;
}

/* Hands one frame to p's session and acts on the verdict. */
static void peer_frame(struct peer *p, const uint8_t *data, size_t len)
{
	struct daemon *d = p->d;
	struct err e = { 0 };
	char name[96];
	int rc;

	if (!p->active || p->dropped)
		return;
	d->current = p;
	p->rx_ms = now_ms();
	rc = repl_recv(&p->r, data, len, &e);
	d->current = NULL;
	if (rc > 0 && store_failure(e.code)) {
		/* this node's store, not the peer: said once, after the
		 * pass (store_failed), not once per frame */
		if (!d->pass_err.code)
			d->pass_err = e;
	} else if (rc > 0) {
		logf_(d, 1, "peer %s: %s", peer_name(p, name), e.msg);
	} else if (rc < 0) {
		logf_(d, !d->o->once, "dropping peer %s: %s",
		      peer_name(p, name), e.msg);
		session_stop(p);
		if (p->kind == PEER_ACCEPTED) {
			char why[ERR_MSG_MAX + 16];

			snprintf(why, sizeof(why), "dropped: %s", e.msg);
			refuse(d, p->rid, p->rid_len, why);
			p->dropped = 1;
			p->dropped_ms = now_ms();
		} else if (d->o->once) {
			/* stoa sync: nothing more will come of this peer */
			d->fail = rc;
			snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", e.msg);
			d->stop = 1;
		} else {
			p->retry_ms = now_ms() + DAEMON_RETRY_MS;
		}
	}
}

static struct peer *peer_slot(struct daemon *d)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (!d->peers[i].used)
			return &d->peers[i];
	/* full: reuse the slot of a refused incoming peer */
	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].kind == PEER_ACCEPTED && d->peers[i].dropped) {
			peer_free(&d->peers[i]);
			return &d->peers[i];
		}
	return NULL;
}

static struct peer *peer_by_rid(struct daemon *d, const uint8_t *rid,
				size_t len)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (p->used && p->kind == PEER_ACCEPTED && p->rid_len == len &&
		    memcmp(p->rid, rid, len) == 0)
			return p;
	}
	return NULL;
}

static void probe_incoming(struct daemon *d);

/* Tells a peer we will not talk to it, with one ERROR (code STOA_EPERM:
 * the peer ends its session and tries again later). */
static void refuse(struct daemon *d, const uint8_t *rid, size_t rid_len,
		   const char *why)
{
	buf_reset(&d->scratch);
	if (msg_put_error(&d->scratch, STOA_EPERM, why) == 0)
		transport_send(d->router, rid, rid_len, d->scratch.data,
			       d->scratch.len, NULL);
	buf_reset(&d->scratch);
}

/* The pass has used its time: leave the rest for the next one. */
static int pass_over(const struct daemon *d)
{
	return now_ms() - d->pass_ms >= DAEMON_PASS_MS;
}

static void on_router(struct daemon *d)
{
	struct transport_frame f;
	struct err e;
	int n, rc;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS && !pass_over(d); n++) {
		struct peer *p;

		err_clear(&e);
		rc = transport_recv(d->router, 1, &f, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			logf_(d, 1, "listening socket: %s", e.msg);
			if (rc != STOA_EPROTO)
				break;
			continue;
		}
		p = peer_by_rid(d, f.rid, f.rid_len);
		if (p && p->dropped &&
		    now_ms() - p->dropped_ms >= 2 * DAEMON_RETRY_MS) {
			peer_free(p); /* it served its time: a fresh start */
			p = NULL;
		}
		if (!p) {
			p = peer_slot(d);
			if (!p) {
				probe_incoming(d); /* free those who left */
				p = peer_slot(d);
			}
			if (!p) {
				logf_(d, 1, "refusing a connection: %d peers "
				      "already", DAEMON_PEERS_MAX);
				refuse(d, f.rid, f.rid_len, "too many peers: "
				       "try again later");
				transport_frame_release(&f);
				continue;
			}
			p->used = 1;
			p->d = d;
			p->kind = PEER_ACCEPTED;
			memcpy(p->rid, f.rid, f.rid_len);
			p->rid_len = f.rid_len;
			snprintf(p->endpoint, sizeof(p->endpoint), "incoming");
			err_clear(&e);
			if (session_start(p, &e) < 0) {
				logf_(d, 1, "incoming peer: %s", e.msg);
				p->restart = 1;
			}
		}
		peer_frame(p, f.data, f.len);
		transport_frame_release(&f);
	}
}

static void on_dealer(struct daemon *d, struct peer *p)
{
	struct transport_frame f;
	struct err e;
	int n, rc;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS && !pass_over(d); n++) {
		err_clear(&e);
		rc = transport_recv(p->sock, 0, &f, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			logf_(d, 1, "peer %s: %s", p->endpoint, e.msg);
			break;
		}
		peer_frame(p, f.data, f.len);
		transport_frame_release(&f);
	}
}

static void on_monitor(struct daemon *d, struct peer *p)
{
	struct err e;
	int up, rc;

	while ((rc = transport_monitor_event(p->mon, &up, NULL)) > 0) {
		if (up == -2) {
			/* no one answers there; a sync gives up after a few
			 * tries, serve keeps trying (libzmq backs off) */
			if (++p->connect_fails == 3) {
				logf_(d, !d->o->once, "cannot reach %s (nothing "
				      "listens there?); still trying", p->endpoint);
				if (d->o->once) {
					d->fail = STOA_ENOTFOUND;
					snprintf(d->fail_msg, sizeof(d->fail_msg),
						 "cannot connect (nothing listens "
						 "there?)");
					d->stop = 1;
				}
			}
		} else if (up < 0) {
			if (!p->refused)
				logf_(d, !d->o->once, "%s refused the handshake: is it a node "
				      "of another community?", p->endpoint);
			p->refused = 1;
			if (d->o->once) {
				d->fail = STOA_EPERM;
				d->stop = 1;
			}
		} else if (up && !p->up) {
			p->up = 1;
			p->refused = 0;
			p->early_closes = 0;
			p->connect_fails = 0;
			logf_(d, 0, "connected to %s", p->endpoint);
			err_clear(&e);
			if (session_start(p, &e) < 0)
				logf_(d, 1, "peer %s: %s", p->endpoint, e.msg);
		} else if (!up && p->up) {
			p->up = 0;
			logf_(d, 0, "lost %s (reconnecting)", p->endpoint);
			session_stop(p);
		} else if (!up && !p->up && ++p->early_closes == 3) {
			/* a CURVE server of another community closes the
			 * connection without a word: say so once */
			logf_(d, !d->o->once, "%s closes every connection before the "
			      "handshake: is it a node of another community?",
			      p->endpoint);
			if (d->o->once) {
				d->fail = STOA_EPERM;
				d->stop = 1;
			}
		}
	}
}

/* The status reply: one JSON object. Caller frees. */
static char *status_json(struct daemon *d)
{
	json_t *o, *peers;
	char hex[2 * KEY_PUBLIC_LEN + 1];
	char *s;
	size_t i;

	hex_encode(hex, d->h->key.pk, KEY_PUBLIC_LEN);
	peers = json_array();
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];
		const char *state;
		json_t *po;

		if (!p->used)
			continue;
		if (p->dropped || p->refused)
			state = "refused";
		else if (!p->active)
			state = "connecting";
		else if (repl_settled(&p->r))
			state = "synced";
		else
			state = "syncing";
		po = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
			       "endpoint", p->endpoint,
			       "how", p->kind == PEER_DIALED ? "static" : "incoming",
			       "state", state,
			       "entries_in", (json_int_t)(p->active ? p->r.stats.entries_in : 0),
			       "entries_out", (json_int_t)(p->active ? p->r.stats.entries_out : 0),
			       "bytes_in", (json_int_t)(p->active ? p->r.stats.bytes_in : 0),
			       "bytes_out", (json_int_t)(p->active ? p->r.stats.bytes_out : 0),
			       "lag", (json_int_t)(p->active ? p->r.nwants : 0));
		if (po && p->active && p->r.got_hello) {
			char node[2 * KEY_PUBLIC_LEN + 1];

			hex_encode(node, p->r.peer_node, KEY_PUBLIC_LEN);
			json_object_set_new(po, "node", json_string(node));
		}
		json_array_append_new(peers, po);
	}
	o = json_pack("{s:s, s:s, s:I, s:o}", "listen", d->bound, "node", hex,
		      "pid", (json_int_t)getpid(), "peers", peers);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	return s;
}

/*
 * Control requests, one frame each: 'N' + author (32) + seq (8) + id (32)
 * (a local write grew a feed), 'R' (a `stoa sync` on this home brought
 * entries: compare frontiers with every peer again), 'S' (status: answered
 * with one JSON frame).
 */
#define CONTROL_NUDGE_LEN (1 + MSG_TRIPLE_LEN)

static void on_control(struct daemon *d)
{
	struct transport_frame f;
	struct err e;
	int n, rc;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS; n++) {
		err_clear(&e);
		rc = transport_recv(d->control, 1, &f, &e);
		if (rc == 0)
			break;
		if (rc < 0)
			continue;
		if (f.len == CONTROL_NUDGE_LEN && f.data[0] == 'N') {
			struct msg_head h;

			memcpy(h.author, f.data + 1, KEY_PUBLIC_LEN);
			h.seq = be_get64(f.data + 1 + KEY_PUBLIC_LEN);
			memcpy(h.id, f.data + 1 + KEY_PUBLIC_LEN + 8, ENTRY_ID_LEN);
			grew(d, &h);
		} else if (f.len == 1 && f.data[0] == 'R') {
			d->grown_overflow = 1;
		} else if (f.len == 1 && f.data[0] == 'S') {
			char *s = status_json(d);

			if (s)
				transport_send(d->control, f.rid, f.rid_len, s,
					       strlen(s), NULL);
			free(s);
		}
		transport_frame_release(&f);
	}
}

/* Tells every peer in session about every feed that grew this pass. */
static void announce(struct daemon *d)
{
	struct err e;
	size_t i, k;

	if (d->grown_overflow) {
		/* too many at once: a fresh HELLO makes each peer compare
		 * frontiers instead */
		for (k = 0; k < DAEMON_PEERS_MAX; k++) {
			struct peer *p = &d->peers[k];

			if (p->used && p->active && !p->dropped) {
				err_clear(&e);
				if (repl_restart(&p->r, &e) < 0)
					p->restart = 1;
			}
		}
	} else {
		for (i = 0; i < d->ngrown; i++) {
			for (k = 0; k < DAEMON_PEERS_MAX; k++) {
				struct peer *p = &d->peers[k];

				/* not back to the peer that brought it */
				if (!p->used || !p->active || p->dropped ||
				    p == d->grown_from[i] || p->restart)
					continue;
				err_clear(&e);
				if (repl_notify(&p->r, &d->grown[i], &e) == STOA_EBUSY)
					p->restart = 1; /* HELLO again, lose nothing */
			}
		}
	}
	d->ngrown = 0;
	d->grown_overflow = 0;
}

/*
 * A write of this pass failed and the pass was rolled back (disk full, an
 * I/O error). The first time, one log line, and the daemon stops asking
 * peers for entries; every DAEMON_STORE_RETRY_MS it asks again
 * (store_retry), silently, until a pass stores something (store_pass_ok
 * says so, once). Nothing of the pass is announced: it was not stored.
 */
static void store_failed(struct daemon *d, const struct err *pe)
{
	d->ngrown = 0;
	d->grown_overflow = 0;
	d->store_retry_ms = now_ms() + DAEMON_STORE_RETRY_MS;
	if (d->o->once) {
		/* stoa sync: a full disk will not clear by itself */
		d->fail = pe->code;
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", pe->msg);
		d->stop = 1;
		return;
	}
	if (d->store_down)
		return;
	d->store_down = pe->code;
	logf_(d, 1, "store: %s; not taking entries from peers, trying again "
	      "every %d s", pe->msg, DAEMON_STORE_RETRY_MS / 1000);
}

/* A pass committed: if the store was down and this pass stored entries,
 * it takes writes again. */
static void store_pass_ok(struct daemon *d)
{
	if (d->store_down && d->pass_stored > 0) {
		d->store_down = 0;
		d->store_retry_ms = 0;
		logf_(d, 1, "store: writes work again; taking entries from "
		      "peers");
	}
}

/* While the store is down: every session says HELLO again when it is
 * time, so each peer compares frontiers and what is missing is asked for
 * again (and what local writes added meanwhile is announced). */
static void store_retry(struct daemon *d)
{
	if (!d->store_down || !d->store_retry_ms || now_ms() < d->store_retry_ms)
		return;
	d->store_retry_ms = 0;
	d->ngrown = 0;
	d->grown_overflow = 1;
	announce(d);
}

/*
 * Frees the sessions of incoming peers whose connection is gone: libzmq
 * (ROUTER_MANDATORY) refuses to send to them, and a PING is the cheapest
 * thing to try. Without this a long-running daemon would fill its table.
 */
static void probe_incoming(struct daemon *d)
{
	uint8_t ping[MSG_HEADER_LEN];
	struct buf b;
	size_t i;

	buf_init(&b, sizeof(ping));
	if (msg_put_ping(&b) < 0 || b.len != sizeof(ping)) {
		buf_release(&b);
		return;
	}
	memcpy(ping, b.data, sizeof(ping));
	buf_release(&b);
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];
		char name[96];

		if (!p->used || p->kind != PEER_ACCEPTED)
			continue;
		if (transport_send(d->router, p->rid, p->rid_len, ping,
				   sizeof(ping), NULL) == STOA_ENOTFOUND) {
			if (!p->dropped)
				logf_(d, 0, "peer %s left", peer_name(p, name));
			peer_free(p);
		}
	}
	d->ping_ms = now_ms();
}

/*
 * Sessions that must start again: one whose HAVE found the peer's queue
 * full (a fresh HELLO makes the peer compare frontiers, so nothing is
 * lost), and a dialed peer dropped for misbehaving (after a pause).
 */
static void restarts(struct daemon *d)
{
	uint64_t now = now_ms();
	struct err e;
	size_t i;
	int rc;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (!p->used || p->dropped)
			continue;
		/* a session not settled whose peer has said nothing for a
		 * while has lost its way (a frame lost, a connection event
		 * missed): a fresh HELLO puts both sides back on track */
		if (p->active && !repl_settled(&p->r) &&
		    now - p->rx_ms >= DAEMON_STALL_MS) {
			p->restart = p->r.got_hello;
			p->rx_ms = now;
			if (!p->restart && p->kind == PEER_DIALED) {
				session_stop(p); /* never said hello: anew */
				p->retry_ms = now;
			}
		}
		if (p->kind == PEER_DIALED && p->up && !p->active &&
		    !p->retry_ms && now - p->rx_ms >= DAEMON_STALL_MS) {
			p->retry_ms = now; /* up, yet no session: start one */
		}
		if ((p->restart && p->active) ||
		    (p->kind == PEER_DIALED && p->up && !p->active &&
		     p->retry_ms && now >= p->retry_ms)) {
			err_clear(&e);
			p->retry_ms = 0;
			/* a live session restarts in place (the peer stays
			 * known); a dropped dialed one starts afresh */
			if (p->restart)
				rc = repl_restart(&p->r, &e);
			else
				rc = session_start(p, &e);
			p->restart = rc < 0;
		}
	}
}

/* " (connected, hello ..., ...)": where a stuck `sync` stood, for its
 * timeout message. */
static const char *session_state(struct daemon *d, char *buf, size_t cap)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];
		struct repl *r = &p->r;

		if (!p->used || p->kind != PEER_DIALED)
			continue;
		if (!p->up || !p->active) {
			snprintf(buf, cap, " (never connected%s)",
				 p->early_closes ? ": closed before the handshake"
						 : "");
			break;
		}
		snprintf(buf, cap, " (connected; hello %s, frontier %s, %zu feeds "
			 "to pull, %u asked, peer done %s, %" PRIu64 " entries in)",
			 r->got_hello ? "yes" : "no",
			 r->frontier_done ? "yes" : "no", r->nwants,
			 r->in_flight, r->got_done ? "yes" : "no",
			 r->stats.entries_in);
		break;
	}
	return buf;
}

static int all_settled(struct daemon *d)
{
	size_t i;
	int any = 0;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (!p->used || p->kind != PEER_DIALED)
			continue;
		any = 1;
		if (!p->active || !repl_settled(&p->r))
			return 0;
	}
	return any;
}

/* stoa sync on a terminal: "[#####.....]  51% 51234/100000 in, 3 out" */
static void progress(struct daemon *d)
{
	uint64_t in = d->sum->entries_in, out = d->sum->entries_out;
	uint64_t expect = 0;
	char bar[21];
	size_t i;
	int pct, k;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		if (d->peers[i].used && d->peers[i].active) {
			in += d->peers[i].r.stats.entries_in;
			out += d->peers[i].r.stats.entries_out;
			expect += d->peers[i].r.stats.expected_in;
		}
	}
	if (expect < in)
		expect = in;
	pct = expect ? (int)(in * 100 / expect) : 0;
	for (k = 0; k < 20; k++)
		bar[k] = k < pct / 5 ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\rstoa: syncing [%s] %3d%% %" PRIu64 "/%" PRIu64
		" in, %" PRIu64 " out", bar, pct, in, expect, out);
}

/* Takes the home's daemon lock; STOA_EBUSY if another daemon has it. */
static int lock_home(struct daemon *d, struct err *e)
{
	char path[HOME_PATH_MAX];
	struct flock fl;
	int rc;

	if ((rc = home_path(d->h->dir, DAEMON_LOCK_FILE, path, e)) < 0)
		return rc;
	d->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lockfd < 0)
		return err_set(e, STOA_EIO, "cannot open '%s': %s", path,
			       strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(d->lockfd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return err_set(e, STOA_EBUSY, "another stoa serve is "
				       "running on '%s'", d->h->dir);
		return err_set(e, STOA_EIO, "cannot lock '%s': %s", path,
			       strerror(errno));
	}
	return 0;
}

/* Writes the bound endpoint where tests and `stoa status` read it. */
static int write_endpoint(struct daemon *d, struct err *e)
{
	char tmp[HOME_PATH_MAX + 8];
	FILE *f;
	int rc;

	if ((rc = home_path(d->h->dir, DAEMON_ENDPOINT_FILE, d->endpoint_path,
			    e)) < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->endpoint_path);
	f = fopen(tmp, "w");
	if (!f)
		return err_set(e, STOA_EIO, "cannot write '%s': %s", tmp,
			       strerror(errno));
	fprintf(f, "%s\n", d->bound);
	if (fclose(f) != 0 || rename(tmp, d->endpoint_path) < 0) {
		unlink(tmp);
		return err_set(e, STOA_EIO, "cannot write '%s': %s",
			       d->endpoint_path, strerror(errno));
	}
	return 0;
}

/* "ipc://<home>/control", or "" if the path is too long for a socket. */
static void control_endpoint(const char *dir, char *out, size_t cap)
{
	char path[HOME_PATH_MAX];

	out[0] = '\0';
	if (home_path(dir, DAEMON_CONTROL_FILE, path, NULL) < 0 ||
	    strlen(path) >= 100) /* sun_path holds 108 bytes */
		return;
	snprintf(out, cap, "ipc://%s", path);
}

static int setup(struct daemon *d, struct err *e)
{
	char ep[HOME_PATH_MAX + 8];
	sigset_t set;
	size_t i;
	int rc;

	if (!d->o->once && (rc = lock_home(d, e)) < 0)
		return rc;
	if ((rc = transport_keys_init(&d->keys, &d->h->key, &d->h->community,
				      e)) < 0)
		return rc;
	community_derive(&d->h->community, COMMUNITY_KEY_HELLO, d->hello_key);
	buf_init(&d->scratch, MSG_MAX);
	d->rp.store = d->h->store;
	d->rp.grew = grew;
	d->rp.arg = d;
	replica_ops_init(&d->ops, peer_send);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &d->old_mask) < 0 ||
	    (d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return err_set(e, STOA_EIO, "cannot watch signals: %s",
			       strerror(errno));
	d->old_pipe = signal(SIGPIPE, SIG_IGN);
	d->signals = 1;
	store_busy_timeout(d->h->store, DAEMON_BUSY_MS);
	d->ctx = transport_ctx_new();
	if (!d->ctx)
		return err_set(e, STOA_EIO, "cannot start ZeroMQ");
	if (d->o->listen) {
		if ((rc = transport_listen(d->ctx, &d->keys, d->o->listen,
					   &d->router, d->bound,
					   sizeof(d->bound), e)) < 0 ||
		    (rc = write_endpoint(d, e)) < 0)
			return rc;
		logf_(d, 0, "listening on %s", d->bound);
	}
	if (!d->o->once) {
		control_endpoint(d->h->dir, ep, sizeof(ep));
		if (ep[0]) {
			home_path(d->h->dir, DAEMON_CONTROL_FILE, d->control_path,
				  NULL);
			unlink(d->control_path); /* left by a daemon killed -9 */
			if (transport_control_listen(d->ctx, ep, &d->control,
						     e) < 0)
				return e->code;
		} else {
			logf_(d, 1, "home path too long for a control socket: "
			      "local writes reach peers at the next sync");
		}
	}
	for (i = 0; i < d->o->npeers; i++) {
		struct peer *p = peer_slot(d);

		if (!p)
			return err_set(e, STOA_EINVAL, "more than %d peers",
				       DAEMON_PEERS_MAX);
		p->used = 1;
		p->d = d;
		p->kind = PEER_DIALED;
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", d->o->peers[i]);
		if ((rc = transport_dial(d->ctx, &d->keys, d->o->peers[i],
					 &p->sock, e)) < 0 ||
		    (rc = transport_monitor(d->ctx, p->sock, &p->mon, e)) < 0)
			return rc;
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].used)
			peer_free(&d->peers[i]);
	transport_close(d->router);
	transport_close(d->control);
	transport_ctx_free(d->ctx);
	if (d->endpoint_path[0])
		unlink(d->endpoint_path);
	if (d->control_path[0])
		unlink(d->control_path);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->lockfd >= 0)
		close(d->lockfd);
	buf_release(&d->scratch);
	transport_keys_wipe(&d->keys);
	bytes_wipe(d->hello_key, sizeof(d->hello_key));
	store_busy_timeout(d->h->store, STORE_BUSY_TIMEOUT_MS);
	if (d->signals) {
		signal(SIGPIPE, d->old_pipe);
		sigprocmask(SIG_SETMASK, &d->old_mask, NULL);
	}
}

#define POLL_MAX (2 + 2 * DAEMON_PEERS_MAX)

int daemon_run(struct home *h, const struct daemon_opts *o,
	       struct daemon_summary *sum, struct err *e)
{
	struct daemon *d;
	uint64_t last_progress = 0;
	unsigned first = 0;
	int rc;

	memset(sum, 0, sizeof(*sum));
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(e, STOA_ENOMEM, "out of memory");
	d->h = h;
	d->o = o;
	d->sum = sum;
	d->sigfd = -1;
	d->lockfd = -1;
	d->start_ms = now_ms();
	rc = setup(d, e);
	while (rc == 0 && !d->stop) {
		void *socks[POLL_MAX];
		struct peer *owner[POLL_MAX];
		int kind[POLL_MAX], sready[POLL_MAX], fready[1];
		int ns = 0, npoll, i, k, timeout = 1000, any = 0;
		struct err pe = { 0 };

		if (d->router) {
			owner[ns] = NULL, kind[ns] = 0, socks[ns++] = d->router;
		}
		if (d->control) {
			owner[ns] = NULL, kind[ns] = 1, socks[ns++] = d->control;
		}
		for (i = 0; i < DAEMON_PEERS_MAX; i++) {
			struct peer *p = &d->peers[i];

			if (!p->used || p->kind != PEER_DIALED)
				continue;
			owner[ns] = p, kind[ns] = 2, socks[ns++] = p->sock;
			owner[ns] = p, kind[ns] = 3, socks[ns++] = p->mon;
		}
		if (o->once && o->timeout_ms > 0) {
			uint64_t spent = now_ms() - d->start_ms;

			if (spent >= (uint64_t)o->timeout_ms) {
				char why[160];

				rc = err_set(e, STOA_EBUSY, "timed out after %d ms%s",
					     o->timeout_ms, session_state(d, why,
									  sizeof(why)));
				break;
			}
			if (o->timeout_ms - (int)spent < timeout)
				timeout = o->timeout_ms - (int)spent;
		}
		/* the gap after a long pass: only signals wake the loop, the
		 * frames wait in libzmq */
		npoll = ns;
		if (d->yield_ms && now_ms() < d->yield_ms) {
			uint64_t left = d->yield_ms - now_ms();

			npoll = 0;
			memset(sready, 0, sizeof(sready));
			if ((uint64_t)timeout > left)
				timeout = (int)left;
		}
		rc = transport_poll(socks, npoll, &d->sigfd, 1, timeout, sready,
				    fready, e);
		if (rc < 0)
			break;
		rc = 0;
		if (fready[0]) {
			struct signalfd_siginfo si;

			if (read(d->sigfd, &si, sizeof(si)) > 0) {
				logf_(d, 0, "stopping (signal %u)", si.ssi_signo);
				d->stop = 1;
			}
		}
		for (i = 0; i < ns; i++)
			any |= sready[i];
		if (d->router && now_ms() - d->ping_ms >= DAEMON_PING_MS)
			probe_incoming(d);
		restarts(d);
		store_retry(d);
		if (!any)
			continue;
		d->pass_ms = now_ms();
		err_clear(&d->pass_err);
		d->pass_stored = 0;
		if (store_begin(h->store, &pe) < 0) {
			/* another process writes (a sync, a reindex): the
			 * frames wait in libzmq for the next pass */
			if (pe.code != STOA_EBUSY)
				logf_(d, 1, "store: %s", pe.msg);
			continue;
		}
		/* start each pass at another socket, so one busy peer cannot
		 * use every pass's time budget */
		for (k = 0; k < ns; k++) {
			i = (int)((first + (unsigned)k) % (unsigned)ns);
			if (!sready[i])
				continue;
			switch (kind[i]) {
			case 0: on_router(d); break;
			case 1: on_control(d); break;
			case 2: on_dealer(d, owner[i]); break;
			case 3: on_monitor(d, owner[i]); break;
			}
		}
		first++;
		err_clear(&pe);
		if (store_commit(h->store, &pe) < 0 || d->pass_err.code) {
			store_failed(d, d->pass_err.code ? &d->pass_err : &pe);
		} else {
			store_pass_ok(d);
			announce(d);
		}
		/* a long hold of the write lock (the commit included): let
		 * the writers that waited meanwhile go first */
		d->yield_ms = 0;
		if (now_ms() - d->pass_ms >= DAEMON_PASS_MS / 2)
			d->yield_ms = now_ms() + DAEMON_YIELD_MS;
		if (o->once && o->progress && now_ms() - last_progress > 200) {
			progress(d);
			last_progress = now_ms();
		}
		if (o->once && all_settled(d)) {
			sum->settled = 1;
			break;
		}
	}
	if (rc == 0 && d->fail && d->fail_msg[0])
		rc = err_set(e, d->fail, "%s: %s",
			     o->npeers ? o->peers[0] : "the peer", d->fail_msg);
	else if (rc == 0 && d->fail)
		rc = err_set(e, d->fail, "%s refused the handshake: is it a node "
			     "of another community?",
			     o->npeers ? o->peers[0] : "the peer");
	if (o->once && o->progress)
		fputc('\n', stderr);
	teardown(d);
	/* a daemon serving this home passes on what this sync brought */
	if (o->once && sum->entries_in > 0)
		control_send(h->dir, "R", 1);
	sum->seconds = (double)(now_ms() - d->start_ms) / 1000.0;
	free(d);
	return rc;
}

/* 1 if a daemon holds home dir's lock. */
static int daemon_running(const char *dir)
{
	char path[HOME_PATH_MAX];
	struct flock fl;
	int fd, running = 0;

	if (home_path(dir, DAEMON_LOCK_FILE, path, NULL) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		running = 1;
	close(fd);
	return running;
}

/* Sends one control frame to the daemon of dir, if one runs. */
static void control_send(const char *dir, const void *frame, size_t len)
{
	char ep[HOME_PATH_MAX + 8];
	void *ctx, *sock = NULL;

	if (!daemon_running(dir))
		return;
	control_endpoint(dir, ep, sizeof(ep));
	if (!ep[0] || !(ctx = transport_ctx_new()))
		return;
	if (transport_control_dial(ctx, ep, &sock, NULL) == 0)
		transport_send(sock, NULL, 0, frame, len, NULL);
	transport_close_linger(sock, 500); /* let it go out */
	transport_ctx_free(ctx);
}

void daemon_nudge(const char *dir, const struct msg_head *head)
{
	uint8_t frame[CONTROL_NUDGE_LEN];

	frame[0] = 'N';
	memcpy(frame + 1, head->author, KEY_PUBLIC_LEN);
	be_put64(frame + 1 + KEY_PUBLIC_LEN, head->seq);
	memcpy(frame + 1 + KEY_PUBLIC_LEN + 8, head->id, ENTRY_ID_LEN);
	control_send(dir, frame, sizeof(frame));
}

int daemon_status(const char *dir, char **json, struct err *e)
{
	struct transport_frame f;
	char ep[HOME_PATH_MAX + 8];
	void *ctx, *sock = NULL;
	uint64_t deadline;
	int rc = STOA_ENOTFOUND, ready = 0;

	*json = NULL;
	if (!daemon_running(dir))
		return err_set(e, STOA_ENOTFOUND, "no daemon running");
	control_endpoint(dir, ep, sizeof(ep));
	if (!ep[0] || !(ctx = transport_ctx_new()))
		return err_set(e, STOA_ENOTFOUND, "no control socket");
	if (transport_control_dial(ctx, ep, &sock, e) == 0 &&
	    transport_send(sock, NULL, 0, "S", 1, e) == 0) {
		deadline = now_ms() + DAEMON_CONTROL_TIMEOUT_MS;
		while (now_ms() < deadline) {
			if (transport_poll(&sock, 1, NULL, 0,
					   (int)(deadline - now_ms()), &ready,
					   NULL, NULL) > 0 && ready)
				break;
		}
		if (ready && transport_recv(sock, 0, &f, e) == 1) {
			*json = strndup((const char *)f.data, f.len);
			rc = *json ? 0 : STOA_ENOMEM;
			transport_frame_release(&f);
		}
	}
	transport_close(sock);
	transport_ctx_free(ctx);
	if (rc < 0)
		return err_set(e, rc, "the daemon did not answer");
	return 0;
}
