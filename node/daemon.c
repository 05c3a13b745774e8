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
#include <malloc.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>

#include <jansson.h>

#include "clock.h"
#include "daemon.h"
#include "discovery.h"
#include "payload.h"
#include "replica.h"
#include "transport.h"
#include "view.h"

enum peer_kind { PEER_DIALED, PEER_ACCEPTED };

/* glibc's M_MMAP_THRESHOLD for the daemon (its default, made fixed) */
#define DAEMON_MMAP_THRESHOLD (128 * 1024)

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
	int mdns;                     /* dialed: because mDNS found it */
	uint8_t node[KEY_PUBLIC_LEN]; /* mdns: the node it was dialed for */
	uint64_t down_ms;             /* mdns: dialed, or lost, at this time */
	int wrong_node;               /* mdns: another node answered there */
	uint64_t settled_ms;          /* when its session last settled */
	int early_closes;             /* dialed: closed before any handshake */
	int connect_fails;            /* dialed: connection attempts failed */
	int active;                   /* a session runs in r */
	uint64_t pass_in;             /* r.stats.entries_in when the pass
				       * began: restored if it rolls back */
	uint8_t curve[KEY_PUBLIC_LEN]; /* accepted: its connection's CURVE
				       * key, which its HELLO's node id is */
	int dropped;                  /* accepted: refused, ignore it */
	uint64_t dropped_ms;          /* ... since then, for a while */
	struct repl r;
	struct daemon *d;
};

/* A node of the community that discovery found on the network. */
struct found {
	int used;
	uint8_t node[KEY_PUBLIC_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX];
	uint64_t found_ms;
	int gone;                     /* its service went away */
	int peer;                     /* index of the peer dialing it, or -1 */
	uint64_t retry_ms;            /* not reached: not dialed before this */
	int dial_logged;              /* a failure to dial it was logged */
};

/* A member key refused at the handshake until a time (DAEMON_BAN_MS). */
struct ban {
	uint8_t curve[KEY_PUBLIC_LEN];
	uint64_t until_ms;
};

/* Kinds of log lines about other nodes' doings, each rate-limited. */
enum ratelog_kind { LOG_REFUSED, LOG_PEER, LOG_FORK, LOG_DROP, LOG_KINDS };


struct ratelog {
	uint64_t start_ms;            /* the window began then */
	unsigned shown;               /* lines logged in it */
	unsigned hidden;              /* lines counted instead */
};

struct daemon {
	struct home *h;
	const struct daemon_opts *o;
	struct transport_keys keys;
	uint8_t hello_key[32];
	void *ctx;
	void *router;                 /* listening socket, or NULL */
	void *control;                /* control socket, or NULL */
	void *zap;                    /* ZAP handler (serve), or NULL */
	struct ban bans[DAEMON_BANS_MAX];
	struct ratelog ratelog[LOG_KINDS];
	char bound[TRANSPORT_ENDPOINT_MAX];
	char endpoint_path[HOME_PATH_MAX];
	uint64_t endpoint_retry_ms;   /* serve.endpoint not written yet
				       * (a full disk): try again then */
	char control_path[HOME_PATH_MAX];
	struct peer peers[DAEMON_PEERS_MAX];
	struct discovery *disc;       /* NULL: no discovery */
	struct found found[DAEMON_PEERS_MAX];
	int found_full_logged;
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
	char grown_name[DAEMON_PEERS_MAX * 4][96]; /* its name, for the log
						  * after the commit */
	size_t ngrown;
	int in_pass;                  /* between pass_begin and its end */
	uint64_t pass_gone_in;        /* entries received in this pass by
				       * sessions stopped during it */
	int grown_lost;               /* more feeds grew than grown holds */
	int hello_all;                /* announce: every session starts over
				       * with a HELLO instead (too many feeds
				       * grew, a rescan, passes rolled back) */
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
	int backlog;                  /* some session's outbox holds frames */
	int stop;
	int fail;                     /* once: why it stopped early */
	char fail_msg[ERR_MSG_MAX];
};

static void logf_(struct daemon *d, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line on stderr: "stoa: HH:MM:SS message". */
static void logf_(struct daemon *d, int always, const char *fmt, ...)
{
	char line[512], when[16];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;

	if (d->o->quiet && !always)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* peers' words reach the log (an ERROR's text, an endpoint): one
	 * line, no control, bidi control or invalid UTF-8, as the CLI
	 * prints other members' text */
	payload_text_clean(line, 0);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "stoa: %s %s\n", when, line);
}

/*
 * Whether a line of kind may be logged now: DAEMON_LOG_BURST per window;
 * the others are counted, and said in one line when the window ends
 * (ratelog_tick).
 */
static int ratelog_allow(struct daemon *d, enum ratelog_kind k)
{
	struct ratelog *r = &d->ratelog[k];
	uint64_t now = clock_mono_ms();

	if (now - r->start_ms >= DAEMON_LOG_WINDOW_MS && !r->hidden) {
		r->start_ms = now;
		r->shown = 0;
	}
	if (r->shown < DAEMON_LOG_BURST) {
		r->shown++;
		return 1;
	}
	r->hidden++;
	return 0;
}

/* Says the counts of a window that ended (or, at the end, of any). */
static void ratelog_tick(struct daemon *d, int final)
{
	static const char *const what[LOG_KINDS] = {
		[LOG_PEER] = "refused frames and strikes",
		[LOG_FORK] = "forks",
		[LOG_DROP] = "peers dropped",
	};
	uint64_t now = clock_mono_ms();
	int k;

	for (k = 0; k < LOG_KINDS; k++) {
		struct ratelog *r = &d->ratelog[k];
		unsigned secs = (unsigned)((now - r->start_ms + 999) / 1000);

		if (!r->hidden ||
		    (!final && now - r->start_ms < DAEMON_LOG_WINDOW_MS))
			continue;
		if (k == LOG_REFUSED)
			logf_(d, 1, "refused %u more connections or frames of "
			      "peers without a session in the last %u s",
			      r->hidden, secs);
		else
			logf_(d, 1, "%u more %s in the last %u s, not shown one "
			      "by one", r->hidden, what[k], secs);
		r->start_ms = now;
		r->shown = 0;
		r->hidden = 0;
	}
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
	for (i = 0; i < d->ngrown; i++) {
		if (memcmp(d->grown[i].author, h->author, KEY_PUBLIC_LEN) == 0) {
			if (h->seq > d->grown[i].seq)
				d->grown[i] = *h;
			if (d->grown_from[i] != d->current) {
				d->grown_from[i] = NULL; /* tell everyone */
				if (d->o->verbose)
					snprintf(d->grown_name[i],
						 sizeof(d->grown_name[i]),
						 "several peers");
			}
			return;
		}
	}
	if (d->ngrown < sizeof(d->grown) / sizeof(d->grown[0])) {
		d->grown_from[d->ngrown] = d->current;
		if (d->o->verbose && d->current) /* for log_stored only */
			peer_name(d->current, d->grown_name[d->ngrown]);
		else if (d->o->verbose)
			snprintf(d->grown_name[d->ngrown],
				 sizeof(d->grown_name[0]), "this node");
		d->grown[d->ngrown++] = *h;
	} else {
		d->grown_lost = 1;
		d->hello_all = 1;
	}
}

static void peer_drop(struct peer *p, int rc, const char *why);

static void session_stop(struct peer *p)
{
	if (p->active) {
		struct daemon_summary *s = p->d->sum;
		uint64_t in = p->r.stats.entries_in;

		/* what it received in an open pass counts once that pass
		 * commits (pass_gone_in), never if it is rolled back */
		if (p->d->in_pass && in >= p->pass_in) {
			p->d->pass_gone_in += in - p->pass_in;
			in = p->pass_in;
		}
		s->entries_in += in;
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
	/* the peer learns this session exists because discovery found it,
	 * so it may refuse it for a --peer of its own (refuse_duplicates) */
	p->r.hello_flags = p->mdns ? MSG_HELLO_FOUND : 0;
	p->active = 1;
	p->pass_in = 0;
	p->rx_ms = clock_mono_ms();
	return repl_start(&p->r, e);
}

static void peer_free(struct peer *p)
{
	session_stop(p);
	transport_monitor_close(p->sock, p->mon);
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
	p->rx_ms = clock_mono_ms();
	rc = repl_recv(&p->r, data, len, &e);
	d->current = NULL;
	if (p->mdns && p->r.got_hello && !p->wrong_node &&
	    memcmp(p->r.peer_node, p->node, KEY_PUBLIC_LEN) != 0) {
		/* someone published another node's key with its own address:
		 * found_tick lets this connection go */
		char a[2 * KEY_PUBLIC_LEN + 1], b[2 * KEY_PUBLIC_LEN + 1];

		hex_encode(a, p->node, KEY_PUBLIC_LEN);
		hex_encode(b, p->r.peer_node, KEY_PUBLIC_LEN);
		logf_(d, 1, "%s was announced as node %.8s but answered as "
		      "%.8s: not dialing it for that node", p->endpoint, a, b);
		p->wrong_node = 1;
	}
	if (rc > 0 && store_failure(e.code)) {
		/* this node's store, not the peer: said once, after the
		 * pass (store_failed), not once per frame */
		if (!d->pass_err.code)
			d->pass_err = e;
	} else if (rc > 0) {
		if (ratelog_allow(d, e.code == STOA_EFORK ? LOG_FORK : LOG_PEER))
			logf_(d, 1, "peer %s: %s", peer_name(p, name), e.msg);
	} else if (rc < 0) {
		peer_drop(p, rc, e.msg);
	}
}

/* Refuses key at the CURVE handshake for DAEMON_BAN_MS. */
static void ban(struct daemon *d, const uint8_t curve[KEY_PUBLIC_LEN])
{
	uint64_t now = clock_mono_ms();
	struct ban *slot = &d->bans[0];
	size_t i;

	for (i = 0; i < DAEMON_BANS_MAX; i++) {
		struct ban *b = &d->bans[i];

		if (memcmp(b->curve, curve, KEY_PUBLIC_LEN) == 0) {
			slot = b;
			break;
		}
		if (b->until_ms < slot->until_ms)
			slot = b; /* the oldest, or a free one */
	}
	memcpy(slot->curve, curve, KEY_PUBLIC_LEN);
	slot->until_ms = now + DAEMON_BAN_MS;
}

static int banned(struct daemon *d, const uint8_t curve[KEY_PUBLIC_LEN])
{
	uint64_t now = clock_mono_ms();
	size_t i;

	for (i = 0; i < DAEMON_BANS_MAX; i++)
		if (d->bans[i].until_ms > now &&
		    memcmp(d->bans[i].curve, curve, KEY_PUBLIC_LEN) == 0)
			return 1;
	return 0;
}

/*
 * Ends p's session because of rc (why: one line). An accepted peer is told
 * so, its frames are ignored for a while, and if it misbehaved (strikes,
 * not reading what it asked for) its key is refused at the handshake for
 * DAEMON_BAN_MS; a dialed one is tried again later, or ends a sync.
 */
static void peer_drop(struct peer *p, int rc, const char *why)
{
	struct daemon *d = p->d;
	char name[96];

	if (rc == STOA_ENOTFOUND && p->kind == PEER_ACCEPTED) {
		/* a send found its connection gone: not its fault */
		logf_(d, 0, "peer %s left", peer_name(p, name));
		peer_free(p);
		return;
	}
	if (ratelog_allow(d, LOG_DROP))
		logf_(d, !d->o->once, "dropping peer %s: %s",
		      peer_name(p, name), why);
	if (p->kind == PEER_ACCEPTED) {
		char line[ERR_MSG_MAX + 16];
		struct err e = { 0 };

		snprintf(line, sizeof(line), "dropped: %s", why);
		if (p->active) {
			/* its last frames (the strikes' ERRORs), then why,
			 * as its queue takes them (drain_all) */
			repl_close(&p->r, STOA_EPERM, line);
			if (repl_drain(&p->r, &e) < 0 || !repl_backlog(&p->r))
				session_stop(p);
		} else {
			refuse(d, p->rid, p->rid_len, line);
		}
		p->dropped = 1;
		p->dropped_ms = clock_mono_ms();
		if (rc == STOA_EPROTO || rc == STOA_ENOMEM)
			ban(d, p->curve);
	} else if (d->o->once) {
		/* stoa sync: nothing more will come of this peer */
		session_stop(p);
		d->fail = rc;
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", why);
		d->stop = 1;
	} else {
		session_stop(p);
		p->retry_ms = clock_mono_ms() + DAEMON_RETRY_MS;
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

static void probe_incoming(struct daemon *d, const uint8_t *node);

/* A new dialed peer for endpoint (its connection attempts start now). */
static struct peer *dial(struct daemon *d, const char *endpoint,
			 struct err *e)
{
	struct peer *p = peer_slot(d);

	if (!p) {
		err_set(e, STOA_EBUSY, "more than %d peers", DAEMON_PEERS_MAX);
		return NULL;
	}
	p->used = 1;
	p->d = d;
	p->kind = PEER_DIALED;
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", endpoint);
	if (transport_dial(d->ctx, &d->keys, endpoint, &p->sock, e) < 0 ||
	    transport_monitor(d->ctx, p->sock, &p->mon, e) < 0) {
		peer_free(p);
		return NULL;
	}
	return p;
}

/* ---- nodes found by discovery ----------------------------------------- */

static void disc_log(void *arg, int always, const char *line)
{
	logf_(arg, always, "%s", line);
}

static struct found *found_get(struct daemon *d,
			       const uint8_t node[KEY_PUBLIC_LEN])
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->found[i].used &&
		    memcmp(d->found[i].node, node, KEY_PUBLIC_LEN) == 0)
			return &d->found[i];
	return NULL;
}

static struct peer *session_with(struct daemon *d,
				 const uint8_t node[KEY_PUBLIC_LEN],
				 const struct peer *except);

static void disc_found(void *arg, const uint8_t node[KEY_PUBLIC_LEN],
		       const char *endpoint)
{
	struct daemon *d = arg;
	struct found *f = found_get(d, node);
	char hex[2 * KEY_PUBLIC_LEN + 1];
	uint64_t now = clock_mono_ms();
	size_t i, k;

	if (f && !f->gone && strcmp(f->endpoint, endpoint) == 0)
		return; /* told again: nothing new */
	if (!f) {
		for (i = 0; i < DAEMON_PEERS_MAX && d->found[i].used; i++)
			;
		/* full: make room by forgetting a node we could not reach */
		for (k = 0; i == DAEMON_PEERS_MAX && k < DAEMON_PEERS_MAX; k++)
			if (d->found[k].peer < 0 && d->found[k].retry_ms > now &&
			    !session_with(d, d->found[k].node, NULL))
				i = k;
		if (i == DAEMON_PEERS_MAX) {
			if (!d->found_full_logged)
				logf_(d, 1, "mDNS: more than %d nodes found; "
				      "ignoring the rest", DAEMON_PEERS_MAX);
			d->found_full_logged = 1;
			return;
		}
		f = &d->found[i];
		memset(f, 0, sizeof(*f));
		f->used = 1;
		f->peer = -1;
		memcpy(f->node, node, KEY_PUBLIC_LEN);
		f->found_ms = clock_mono_ms();
	} else if (f->gone) {
		f->found_ms = clock_mono_ms();
	}
	f->gone = 0;
	f->dial_logged = 0;
	snprintf(f->endpoint, sizeof(f->endpoint), "%s", endpoint);
	hex_encode(hex, node, KEY_PUBLIC_LEN);
	logf_(d, 0, "mDNS: found node %.8s at %s", hex, endpoint);
}

static void disc_lost(void *arg, const uint8_t node[KEY_PUBLIC_LEN])
{
	struct daemon *d = arg;
	struct found *f = found_get(d, node);
	char hex[2 * KEY_PUBLIC_LEN + 1];

	if (!f)
		return;
	f->gone = 1;
	hex_encode(hex, node, KEY_PUBLIC_LEN);
	logf_(d, 0, "mDNS: node %.8s withdrew its service", hex);
}

/* The authenticated session with node, other than except, if any. */
static struct peer *session_with(struct daemon *d,
				 const uint8_t node[KEY_PUBLIC_LEN],
				 const struct peer *except)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *q = &d->peers[i];

		if (q != except && q->used && q->active && !q->dropped &&
		    q->r.got_hello &&
		    memcmp(q->r.peer_node, node, KEY_PUBLIC_LEN) == 0)
			return q;
	}
	return NULL;
}

/*
 * Dials the nodes discovery found, once each. Of two nodes that find each
 * other, the one with the lower member key dials; the other dials too if
 * no session with it has started DAEMON_DIAL_GRACE_MS after finding it
 * (mDNS is not always symmetric), and lets go of its own connection when
 * the other's is up. A node whose service went away is forgotten once its
 * connection is down too: mDNS says who is there, the connection's
 * heartbeats say who is alive.
 */
static void found_tick(struct daemon *d)
{
	const uint8_t *self = d->h->key.pk;
	uint64_t now = clock_mono_ms();
	char hex[2 * KEY_PUBLIC_LEN + 1];
	struct err e;
	size_t i;
	int dials = 0;

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		dials += d->peers[i].used && d->peers[i].mdns;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];
		struct peer *p = NULL, *q;

		if (!f->used)
			continue;
		if (f->peer >= 0) {
			p = &d->peers[f->peer];
			if (!p->used || !p->mdns ||
			    memcmp(p->node, f->node, KEY_PUBLIC_LEN) != 0) {
				p = NULL;
				f->peer = -1;
			}
		}
		hex_encode(hex, f->node, KEY_PUBLIC_LEN);
		if (f->gone) {
			if (p && p->up)
				continue;
			if (p)
				peer_free(p);
			logf_(d, 0, "mDNS: forgot node %.8s (gone)", hex);
			memset(f, 0, sizeof(*f));
			continue;
		}
		q = session_with(d, f->node, p);
		if (p && q && (q->kind == PEER_DIALED || !p->active ||
			       memcmp(self, f->node, KEY_PUBLIC_LEN) > 0)) {
			/* its own connection to us, or a static one, is up:
			 * ours is one too many (and one the node refused as a
			 * duplicate of its --peer session goes too) */
			logf_(d, 0, "node %.8s: already in session; closing the "
			      "second connection", hex);
			peer_free(p);
			f->peer = -1;
			continue;
		}
		if (p && p->up)
			p->down_ms = now;
		if (p && (p->wrong_node || p->refused ||
			  (!p->up && now - p->down_ms >= DAEMON_MDNS_GIVEUP_MS))) {
			/* not that node, not of this community, or nobody
			 * there for a while: try another of its addresses, or
			 * this one again later */
			logf_(d, 0, "node %.8s: not reached at %s; trying again "
			      "later", hex, p->endpoint);
			discovery_endpoint_failed(d->disc, f->node, p->endpoint);
			peer_free(p);
			f->peer = -1;
			f->retry_ms = now + DAEMON_MDNS_BACKOFF_MS;
			continue;
		}
		if (p && !p->up && strcmp(p->endpoint, f->endpoint) != 0) {
			/* it moved: dial where it is now */
			peer_free(p);
			f->peer = -1;
			p = NULL;
			f->retry_ms = 0;
		}
		if (p || q || now < f->retry_ms)
			continue;
		if (memcmp(self, f->node, KEY_PUBLIC_LEN) > 0 &&
		    now - f->found_ms < DAEMON_DIAL_GRACE_MS)
			continue; /* its turn to dial */
		if (dials >= DAEMON_MDNS_DIALS_MAX)
			continue; /* room kept for incoming and static peers */
		err_clear(&e);
		p = dial(d, f->endpoint, &e);
		if (!p) {
			if (!f->dial_logged)
				logf_(d, 1, "node %.8s: cannot dial %s: %s", hex,
				      f->endpoint, e.msg);
			f->dial_logged = 1;
			f->retry_ms = now + DAEMON_MDNS_BACKOFF_MS;
			continue;
		}
		dials++;
		p->mdns = 1;
		p->down_ms = now;
		memcpy(p->node, f->node, KEY_PUBLIC_LEN);
		f->peer = (int)(p - d->peers);
		logf_(d, 0, "node %.8s: dialing %s", hex, f->endpoint);
	}
}

/*
 * Whether a listen endpoint reaches the local network: a wildcard
 * host (the star, 0.0.0.0 or [::]) or an address
 * that is not loopback. Only then does automatic discovery publish it.
 */
static int endpoint_is_lan(const char *ep)
{
	static const char *const loopback[] = {
		"tcp://127.", "tcp://[::1]", "tcp://[::ffff:127.",
		"tcp://localhost:", "tcp://lo:", "tcp://[0:0:0:0:0:0:0:1]",
	};
	size_t i;

	if (strncmp(ep, "tcp://", 6) != 0)
		return 0; /* ipc, inproc: not on any network */
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncmp(ep, loopback[i], strlen(loopback[i])) == 0)
			return 0;
	return 1;
}

static int discovery_setup(struct daemon *d, struct err *e)
{
	struct discovery_conf c;
	struct discovery_events ev = { disc_found, disc_lost, disc_log, d };
	uint8_t tag[32];
	const char *colon = strrchr(d->bound, ':');
	unsigned long port;
	char *end;

	if (!colon)
		return err_set(e, STOA_EINVAL, "no port in '%s' to publish",
			       d->bound);
	port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return err_set(e, STOA_EINVAL, "no port in '%s' to publish",
			       d->bound);
	if (d->o->discovery == DISCOVERY_AUTO && !endpoint_is_lan(d->o->listen)) {
		logf_(d, 0, "discovery: off (not listening on the local network)");
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.mode = d->o->discovery;
	c.port = (uint16_t)port;
	memcpy(c.node, d->h->key.pk, KEY_PUBLIC_LEN);
	community_derive(&d->h->community, COMMUNITY_KEY_TAG, tag);
	memcpy(c.tag, tag, DISCOVERY_TAG_LEN);
	return discovery_new(&d->disc, &c, &ev, e);
}


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
	return clock_mono_ms() - d->pass_ms >= DAEMON_PASS_MS;
}

/* probe_incoming, unless it ran in the last DAEMON_PROBE_MIN_MS (a flood
 * of refused HELLOs must not make a PING to every peer each). */
static void probe_due(struct daemon *d)
{
	if (clock_mono_ms() - d->ping_ms >= DAEMON_PROBE_MIN_MS)
		probe_incoming(d, NULL);
}

/* Accepted sessions of the member whose HELLO carries node. */
static int sessions_of(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN])
{
	int n = 0;
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		n += p->used && p->kind == PEER_ACCEPTED && !p->dropped &&
		     p->active && p->r.got_hello &&
		     memcmp(p->r.peer_node, node, KEY_PUBLIC_LEN) == 0;
	}
	return n;
}

/*
 * Whether the first frame of a connection without a session may open one:
 * NULL, or why not. It must be a HELLO that passes the community check,
 * whose node id is the member key the connection was made with (ZAP
 * told us its CURVE key: nobody opens sessions under another member's
 * name), of a member with fewer than DAEMON_SESSIONS_PER_MEMBER sessions.
 * Anything else costs no slot: the peer gets an ERROR (STOA_EPERM).
 */
static const char *admit(struct daemon *d, const struct transport_frame *f)
{
	uint8_t auth[HASH_LEN], curve[KEY_PUBLIC_LEN];
	struct msg m;

	if (msg_decode(&m, f->data, f->len, NULL) < 0 || m.type != MSG_HELLO)
		return "no session: say HELLO first";
	repl_hello_auth(d->hello_key, m.u.hello.node, auth);
	if (!bytes_equal(auth, m.u.hello.auth, HASH_LEN))
		return "peer failed the community check (bad hello auth)";
	if (!f->has_peer_key || key_pk_to_curve(m.u.hello.node, curve) < 0 ||
	    !bytes_equal(curve, f->peer_key, KEY_PUBLIC_LEN))
		return "the HELLO's node id is not the key this connection "
		       "was made with";
	if (sessions_of(d, m.u.hello.node) >= DAEMON_SESSIONS_PER_MEMBER) {
		probe_incoming(d, m.u.hello.node); /* free the gone ones */
		if (sessions_of(d, m.u.hello.node) >= DAEMON_SESSIONS_PER_MEMBER)
			return "this member has too many sessions here "
			       "already";
	}
	return NULL;
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
			if (rc != STOA_EPROTO) {
				logf_(d, 1, "listening socket: %s", e.msg);
				break;
			}
			if (ratelog_allow(d, LOG_REFUSED))
				logf_(d, 1, "listening socket: %s", e.msg);
			continue;
		}
		p = peer_by_rid(d, f.rid, f.rid_len);
		if (p && p->dropped &&
		    clock_mono_ms() - p->dropped_ms >= 2 * DAEMON_RETRY_MS) {
			peer_free(p); /* it served its time: a fresh start */
			p = NULL;
		}
		if (!p) {
			const char *why = admit(d, &f);

			if (!why && !(p = peer_slot(d))) {
				probe_due(d); /* free those who left */
				p = peer_slot(d);
				if (!p)
					why = "too many peers: try again later";
			}
			if (why) {
				if (ratelog_allow(d, LOG_REFUSED))
					logf_(d, 1, "refusing a connection%s%s: "
					      "%s", f.peer_addr[0] ? " from " : "",
					      f.peer_addr, why);
				refuse(d, f.rid, f.rid_len, why);
				transport_frame_release(&f);
				continue;
			}
			p->used = 1;
			p->d = d;
			p->kind = PEER_ACCEPTED;
			memcpy(p->rid, f.rid, f.rid_len);
			p->rid_len = f.rid_len;
			memcpy(p->curve, f.peer_key, KEY_PUBLIC_LEN);
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

/* How a peer came to be: "static" (--peer), "mdns" (discovery found it,
 * whichever side dialed), or "incoming" (it dialed us, unannounced). */
static const char *peer_how(struct daemon *d, const struct peer *p)
{
	if (p->kind == PEER_DIALED)
		return p->mdns ? "mdns" : "static";
	if (p->active && p->r.got_hello &&
	    found_get(d, p->r.peer_node))
		return "mdns";
	return "incoming";
}

static const char *peer_state(const struct peer *p)
{
	if (p->dropped || p->refused)
		return "refused";
	if (!p->active)
		return "connecting";
	if (repl_settled(&p->r))
		return "synced";
	return "syncing";
}

/* One peer of the status reply: what `stoa status` and `stoa peers` show. */
static json_t *peer_json(struct daemon *d, const struct peer *p, uint64_t now)
{
	char node[2 * KEY_PUBLIC_LEN + 1], name[128];
	uint64_t lack_in = 0, lack_out = 0;
	json_t *po;
	int known = p->active && p->r.got_hello;

	if (p->active)
		repl_lacks(&p->r, &lack_in, &lack_out);
	const struct found *f = known ? found_get(d, p->r.peer_node) : NULL;

	po = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		       "endpoint", p->kind == PEER_ACCEPTED && f ? f->endpoint
								 : p->endpoint,
		       "how", peer_how(d, p),
		       "state", peer_state(p),
		       "entries_in", (json_int_t)(p->active ? p->r.stats.entries_in : 0),
		       "entries_out", (json_int_t)(p->active ? p->r.stats.entries_out : 0),
		       "bytes_in", (json_int_t)(p->active ? p->r.stats.bytes_in : 0),
		       "bytes_out", (json_int_t)(p->active ? p->r.stats.bytes_out : 0),
		       "lag", (json_int_t)(p->active ? p->r.nwants : 0),
		       "lacks_in", (json_int_t)lack_in,
		       "lacks_out", (json_int_t)lack_out);
	if (!po)
		return NULL;
	if (known || p->mdns) {
		const uint8_t *pk = known ? p->r.peer_node : p->node;

		hex_encode(node, pk, KEY_PUBLIC_LEN);
		json_object_set_new(po, "node", json_string(node));
		if (view_member_name(d->h->store, pk, name, sizeof(name),
				     NULL) == 0 && name[0])
			json_object_set_new(po, "name", json_string(name));
	}
	if (p->settled_ms)
		json_object_set_new(po, "last_sync_ms",
				    json_integer((json_int_t)(now - p->settled_ms)));
	return po;
}

/* The status reply: one JSON object. Caller frees. */
static char *status_json(struct daemon *d)
{
	json_t *o, *peers;
	char hex[2 * KEY_PUBLIC_LEN + 1];
	uint64_t now = clock_mono_ms();
	char *s;
	size_t i;

	hex_encode(hex, d->h->key.pk, KEY_PUBLIC_LEN);
	peers = json_array();
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		const struct peer *p = &d->peers[i];

		if (p->used)
			json_array_append_new(peers, peer_json(d, p, now));
	}
	/* found on the network, not (or not yet) in session */
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		const struct found *f = &d->found[i];
		char node[2 * KEY_PUBLIC_LEN + 1], name[128];
		json_t *po;

		if (!f->used || f->peer >= 0 || session_with(d, f->node, NULL))
			continue;
		hex_encode(node, f->node, KEY_PUBLIC_LEN);
		po = json_pack("{s:s, s:s, s:s, s:s}", "endpoint", f->endpoint,
			       "how", "mdns", "state", "found", "node", node);
		if (po && view_member_name(d->h->store, f->node, name,
					   sizeof(name), NULL) == 0 && name[0])
			json_object_set_new(po, "name", json_string(name));
		json_array_append_new(peers, po);
	}
	o = json_pack("{s:s, s:s, s:I, s:s, s:o}", "listen", d->bound,
		      "node", hex, "pid", (json_int_t)getpid(), "discovery",
		      d->disc ? discovery_backend(d->disc) : "off",
		      "peers", peers);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	return s;
}

/* Control requests: the layout is in daemon.h. */
int daemon_req_decode(const uint8_t *p, size_t len, struct daemon_req *r,
		      struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (!p || len == 0)
		return err_set(e, STOA_EPROTO, "empty control request");
	switch (p[0]) {
	case DAEMON_REQ_NUDGE:
		if (len != DAEMON_REQ_MAX)
			break;
		memcpy(r->head.author, p + 1, KEY_PUBLIC_LEN);
		r->head.seq = be_get64(p + 1 + KEY_PUBLIC_LEN);
		memcpy(r->head.id, p + 1 + KEY_PUBLIC_LEN + 8, ENTRY_ID_LEN);
		/* announced to every peer as a HAVE: only a seq an entry
		 * can have */
		if (r->head.seq < 1 || r->head.seq > ENTRY_MAX_SEQ)
			return err_set(e, STOA_EPROTO,
				       "control nudge: seq %" PRIu64
				       " out of range", r->head.seq);
		r->type = DAEMON_REQ_NUDGE;
		return 0;
	case DAEMON_REQ_RESCAN:
	case DAEMON_REQ_STATUS:
		if (len != 1)
			break;
		r->type = (enum daemon_req_type)p[0];
		return 0;
	default:
		return err_set(e, STOA_EPROTO,
			       "unknown control request 0x%02x", (unsigned)p[0]);
	}
	return err_set(e, STOA_EPROTO, "control request '%c': %zu bytes",
		       (char)p[0], len);
}

size_t daemon_req_encode(const struct daemon_req *r,
			 uint8_t out[DAEMON_REQ_MAX])
{
	out[0] = (uint8_t)r->type;
	if (r->type != DAEMON_REQ_NUDGE)
		return 1;
	memcpy(out + 1, r->head.author, KEY_PUBLIC_LEN);
	be_put64(out + 1 + KEY_PUBLIC_LEN, r->head.seq);
	memcpy(out + 1 + KEY_PUBLIC_LEN + 8, r->head.id, ENTRY_ID_LEN);
	return DAEMON_REQ_MAX;
}

/* Acts on one control request; a status request is answered to rid. */
static void control_answer(struct daemon *d, const struct daemon_req *r,
			   const uint8_t *rid, size_t rid_len)
{
	char *s;

	switch (r->type) {
	case DAEMON_REQ_NUDGE:
		grew(d, &r->head);
		break;
	case DAEMON_REQ_RESCAN:
		d->hello_all = 1;
		break;
	case DAEMON_REQ_STATUS:
		s = status_json(d);
		if (s)
			transport_send(d->control, rid, rid_len, s, strlen(s),
				       NULL);
		free(s);
		break;
	}
}

/* Reads up to DAEMON_FRAMES_PER_PASS requests; a bad one is ignored. */
static void on_control(struct daemon *d)
{
	struct transport_frame f;
	struct daemon_req r;
	struct err e;
	int n, rc;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS; n++) {
		err_clear(&e);
		rc = transport_recv(d->control, 1, &f, &e);
		if (rc == 0)
			break;
		if (rc < 0)
			continue;
		if (daemon_req_decode(f.data, f.len, &r, NULL) == 0)
			control_answer(d, &r, f.rid, f.rid_len);
		transport_frame_release(&f);
	}
}

/* Tells every peer in session about every feed that grew this pass. */
static void announce(struct daemon *d)
{
	struct err e;
	size_t i, k;
	int rc;

	if (d->hello_all) {
		/* a fresh HELLO makes each peer compare frontiers instead */
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
				/* a HAVE the peer's queue does not take waits
				 * in its outbox; one past the outbox's bound
				 * means the peer reads nothing */
				if ((rc = repl_notify(&p->r, &d->grown[i], &e)) < 0)
					peer_drop(p, rc, e.msg);
			}
		}
	}
	d->ngrown = 0;
	d->grown_lost = 0;
	d->hello_all = 0;
}

/*
 * serve --verbose: a line per feed that grew in the pass just committed,
 * so the line is true when it is read (a pass that rolls back logs
 * nothing of it) and "ms ago" runs to the commit.
 */
static void log_stored(struct daemon *d)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	uint64_t ts, now = clock_wall_ms();
	size_t i;

	if (!d->o->verbose)
		return;
	for (i = 0; i < d->ngrown; i++) {
		ts = 0;
		hex_encode(hex, d->grown[i].author, KEY_PUBLIC_LEN);
		store_head_time(d->h->store, d->grown[i].author, &ts, NULL);
		logf_(d, 0, "stored feed %.8s up to %" PRIu64 " from %s (newest "
		      "written %" PRId64 " ms ago)", hex, d->grown[i].seq,
		      d->grown_name[i], (int64_t)(now - ts));
	}
	if (d->grown_lost)
		logf_(d, 0, "stored more feeds than listed (%zu)", i);
}

/* The pass begins: what each session has received so far, to restore if
 * the pass is rolled back (pass_rolled_back). */
static void pass_begin(struct daemon *d)
{
	size_t k;

	d->in_pass = 1;
	d->pass_gone_in = 0;
	for (k = 0; k < DAEMON_PEERS_MAX; k++)
		if (d->peers[k].used && d->peers[k].active)
			d->peers[k].pass_in = d->peers[k].r.stats.entries_in;
}

/* The pass was rolled back: its entries were never stored, so the
 * sessions' counts (status, peers) forget them. */
static void pass_rolled_back(struct daemon *d)
{
	size_t k;

	for (k = 0; k < DAEMON_PEERS_MAX; k++)
		if (d->peers[k].used && d->peers[k].active)
			d->peers[k].r.stats.entries_in = d->peers[k].pass_in;
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
	pass_rolled_back(d);
	d->ngrown = 0;
	d->grown_lost = 0;
	d->hello_all = 0;
	d->store_retry_ms = clock_mono_ms() + DAEMON_STORE_RETRY_MS;
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

/*
 * A pass committed: if the store was down and this pass stored entries,
 * it takes writes again. Every session then starts over with a HELLO (the
 * announce after this pass): the passes that failed before this one were
 * rolled back, but their sessions had moved on as if the runs were stored
 * (wants answered, the next ones asked for), so a session whose last runs
 * came in a failed pass would never ask for them again. The retries while
 * the store was down restart the sessions too, but a sync that was under
 * way when space came back straddles the two.
 */
static void store_pass_ok(struct daemon *d)
{
	if (d->store_down && d->pass_stored > 0) {
		d->store_down = 0;
		d->store_retry_ms = 0;
		d->hello_all = 1;
		logf_(d, 1, "store: writes work again; taking entries from "
		      "peers");
	}
}

/* While the store is down: every session says HELLO again when it is
 * time, so each peer compares frontiers and what is missing is asked for
 * again (and what local writes added meanwhile is announced). */
static void store_retry(struct daemon *d)
{
	if (!d->store_down || !d->store_retry_ms ||
	    clock_mono_ms() < d->store_retry_ms)
		return;
	d->store_retry_ms = 0;
	d->ngrown = 0;
	d->hello_all = 1;
	announce(d);
}

/*
 * Frees the sessions of incoming peers whose connection is gone: libzmq
 * (ROUTER_MANDATORY) refuses to send to them, and a PING is the cheapest
 * thing to try. Without this a long-running daemon would fill its table.
 * node: only that member's sessions (NULL: every peer's).
 */
static void probe_incoming(struct daemon *d, const uint8_t *node)
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
		if (node && (!p->active || !p->r.got_hello ||
			     memcmp(p->r.peer_node, node, KEY_PUBLIC_LEN) != 0))
			continue;
		if (transport_send(d->router, p->rid, p->rid_len, ping,
				   sizeof(ping), NULL) == STOA_ENOTFOUND) {
			if (!p->dropped)
				logf_(d, 0, "peer %s left", peer_name(p, name));
			peer_free(p);
		}
	}
	if (!node)
		d->ping_ms = clock_mono_ms();
}

/*
 * Sessions that must start again: one whose HAVE found the peer's queue
 * full (a fresh HELLO makes the peer compare frontiers, so nothing is
 * lost), and a dialed peer dropped for misbehaving (after a pause).
 */
/*
 * An incoming session whose HELLO says discovery found us (its dialer's
 * mDNS dial), from a node this daemon already dials with --peer, is one
 * too many: it is refused, and the other side's mDNS dial gives way
 * (found_tick), so such a pair keeps one session. Two --peer dials of
 * each other are the user's choice and are both kept.
 */
static void refuse_duplicates(struct daemon *d)
{
	size_t i, k;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *a = &d->peers[i];

		if (!a->used || a->kind != PEER_ACCEPTED || a->dropped ||
		    !a->active || !a->r.got_hello ||
		    !(a->r.peer_flags & MSG_HELLO_FOUND))
			continue;
		for (k = 0; k < DAEMON_PEERS_MAX; k++) {
			struct peer *q = &d->peers[k];
			char name[96];

			if (!q->used || q->kind != PEER_DIALED || q->mdns ||
			    !q->active || !q->r.got_hello ||
			    memcmp(q->r.peer_node, a->r.peer_node,
				   KEY_PUBLIC_LEN) != 0)
				continue;
			logf_(d, 0, "peer %s: in session through --peer %s "
			      "already; refusing its second", peer_name(a, name),
			      q->endpoint);
			session_stop(a);
			refuse(d, a->rid, a->rid_len, "duplicate session: this "
			       "node dials you itself");
			a->dropped = 1;
			a->dropped_ms = clock_mono_ms();
			break;
		}
	}
}

static void restarts(struct daemon *d)
{
	uint64_t now = clock_mono_ms();
	struct err e;
	size_t i;
	int rc;

	refuse_duplicates(d);
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

/* Notes when each session was last in sync, for `stoa peers`. */
static void mark_settled(struct daemon *d)
{
	uint64_t now = clock_mono_ms();
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (p->used && p->active && p->r.got_hello &&
		    repl_settled(&p->r))
			p->settled_ms = now;
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

	if ((rc = home_path(d->h->dir, HOME_SERVE_LOCK_FILE, path, e)) < 0)
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

/* serve.endpoint could not be written at start: try again, quietly,
 * every DAEMON_STORE_RETRY_MS; one line when it works. */
static void endpoint_retry(struct daemon *d)
{
	struct err e;

	if (!d->endpoint_retry_ms || clock_mono_ms() < d->endpoint_retry_ms)
		return;
	err_clear(&e);
	if (write_endpoint(d, &e) < 0) {
		d->endpoint_retry_ms = clock_mono_ms() + DAEMON_STORE_RETRY_MS;
		return;
	}
	d->endpoint_retry_ms = 0;
	logf_(d, 1, "wrote %s", d->endpoint_path);
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

/*
 * Answers libzmq's questions about handshakes on the listening socket:
 * every CURVE client is admitted (the HELLO decides who it is, admit()
 * checks it against this key) but a key dropped for misbehaving, which
 * is refused until its ban ends.
 */
static void on_zap(struct daemon *d)
{
	struct transport_zap_req req;
	struct err e = { 0 };
	int rc, n;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS; n++) {
		if ((rc = transport_zap_recv(d->zap, &req, &e)) <= 0)
			break;
		rc = !(req.curve && banned(d, req.client_key));
		if (!rc && ratelog_allow(d, LOG_REFUSED))
			logf_(d, 1, "refusing a connection from %s: its member "
			      "was dropped less than %d s ago", req.addr,
			      DAEMON_BAN_MS / 1000);
		if (transport_zap_reply(d->zap, &req, rc, &e) < 0)
			break;
	}
	if (e.code)
		logf_(d, 1, "handshake check: %s", e.msg);
}

/* Passes on what waits in each session's outbox (its peer's queue was
 * full): 1 if some still waits. */
static int drain_all(struct daemon *d)
{
	struct err e;
	size_t i;
	int left = 0, rc;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (!p->used || !p->active || !repl_backlog(&p->r))
			continue;
		err_clear(&e);
		rc = repl_drain(&p->r, &e);
		if (p->dropped) {
			/* its farewell is out (or cannot go): done with it */
			if (rc < 0 || !repl_backlog(&p->r))
				session_stop(p);
			else
				left = 1;
			continue;
		}
		if (rc < 0) {
			peer_drop(p, rc, e.msg);
			continue;
		}
		left |= repl_backlog(&p->r) != 0;
	}
	return left;
}

/*
 * Big buffers (a run of up to 1 MiB, queued by libzmq) are mapped and
 * given back to the system when freed, instead of glibc's default that
 * raises the threshold after the first ones are freed and keeps them in
 * the heap, where a burst of them stays in the RSS for good. And room for
 * the connections a node is sent (the soft limit is often 1024), within
 * DAEMON_FILES_MAX: each connection libzmq keeps open costs about 50 KB.
 */
static void process_limits(void)
{
	struct rlimit rl;

	mallopt(M_MMAP_THRESHOLD, DAEMON_MMAP_THRESHOLD);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < DAEMON_FILES_MAX && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < DAEMON_FILES_MAX ? rl.rlim_max
							     : DAEMON_FILES_MAX;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
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
		/* before the listening socket: libzmq asks it about every
		 * handshake there */
		if ((rc = transport_zap_listen(d->ctx, &d->zap, e)) < 0)
			return rc;
		if ((rc = transport_listen(d->ctx, &d->keys, d->o->listen,
					   &d->router, d->bound,
					   sizeof(d->bound), e)) < 0)
			return rc;
		logf_(d, 0, "listening on %s", d->bound);
		if (write_endpoint(d, e) < 0) {
			/* a full disk must not keep the node from serving
			 * and relaying what it holds: say so, try again */
			logf_(d, 1, "%s; serving anyway, trying again every "
			      "%d s", e->msg, DAEMON_STORE_RETRY_MS / 1000);
			err_clear(e);
			d->endpoint_retry_ms = clock_mono_ms() +
					       DAEMON_STORE_RETRY_MS;
		}
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
	for (i = 0; i < d->o->npeers; i++)
		if (!dial(d, d->o->peers[i], e))
			return e->code;
	if (!d->o->once && d->router && d->o->discovery != DISCOVERY_OFF &&
	    (rc = discovery_setup(d, e)) < 0)
		return rc;
	return 0;
}

/* Lets discovery say goodbye on the network: a short loop of its own,
 * at most twice DISCOVERY_GOODBYE_MS, before everything is closed. */
static void discovery_teardown(struct daemon *d)
{
	uint64_t end = clock_mono_ms() + 2 * DISCOVERY_GOODBYE_MS;

	if (!d->disc)
		return;
	discovery_stop(d->disc);
	while (!discovery_stopped(d->disc) && clock_mono_ms() < end) {
		struct transport_pollfd pf[DISCOVERY_WATCHES_MAX];
		int fds[DISCOVERY_WATCHES_MAX];
		short ev[DISCOVERY_WATCHES_MAX], rev[DISCOVERY_WATCHES_MAX];
		int n, i, t = discovery_timeout_ms(d->disc);

		n = discovery_poll_fds(d->disc, fds, ev, DISCOVERY_WATCHES_MAX);
		for (i = 0; i < n; i++) {
			pf[i].fd = fds[i];
			pf[i].events = ev[i];
		}
		if (t < 0 || t > (int)(end - clock_mono_ms()))
			t = (int)(end - clock_mono_ms());
		if (transport_poll(NULL, 0, pf, n, t, NULL, NULL) < 0)
			break;
		for (i = 0; i < n; i++)
			rev[i] = pf[i].revents;
		discovery_dispatch(d->disc, fds, rev, n);
	}
	discovery_free(d->disc);
	d->disc = NULL;
}

static void teardown(struct daemon *d)
{
	size_t i;

	ratelog_tick(d, 1);
	discovery_teardown(d);

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].used)
			peer_free(&d->peers[i]);
	transport_close(d->router);
	transport_close(d->zap);
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

#define POLL_MAX (3 + 2 * DAEMON_PEERS_MAX)

int daemon_run(struct home *h, const struct daemon_opts *o,
	       struct daemon_summary *sum, struct err *e)
{
	struct daemon *d;
	uint64_t last_progress = 0;
	unsigned first = 0;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (h->locked)
		return err_set(e, STOA_EPERM, "the key is locked: unlock it "
			       "before starting the daemon");
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(e, STOA_ENOMEM, "out of memory");
	d->h = h;
	d->o = o;
	d->sum = sum;
	d->sigfd = -1;
	d->lockfd = -1;
	d->start_ms = clock_mono_ms();
	process_limits();
	rc = setup(d, e);
	while (rc == 0 && !d->stop) {
		void *socks[POLL_MAX];
		struct peer *owner[POLL_MAX];
		struct transport_pollfd pf[1 + DISCOVERY_WATCHES_MAX];
		int dfds[DISCOVERY_WATCHES_MAX];
		short devents[DISCOVERY_WATCHES_MAX], drevents[DISCOVERY_WATCHES_MAX];
		int kind[POLL_MAX], sready[POLL_MAX];
		int ns = 0, nd = 0, npoll, i, k, timeout = 1000, any = 0;
		struct err pe = { 0 };

		if (d->zap) {
			owner[ns] = NULL, kind[ns] = 4, socks[ns++] = d->zap;
		}
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
			uint64_t spent = clock_mono_ms() - d->start_ms;

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
		pf[0].fd = d->sigfd;
		pf[0].events = POLLIN;
		if (d->disc) {
			int dt = discovery_timeout_ms(d->disc);

			nd = discovery_poll_fds(d->disc, dfds, devents,
						DISCOVERY_WATCHES_MAX);
			for (i = 0; i < nd; i++) {
				pf[1 + i].fd = dfds[i];
				pf[1 + i].events = devents[i];
			}
			if (dt >= 0 && dt < timeout)
				timeout = dt;
		}
		if (d->backlog && timeout > DAEMON_DRAIN_MS)
			timeout = DAEMON_DRAIN_MS;
		/* the gap after a long pass: only signals wake the loop, the
		 * frames wait in libzmq */
		npoll = ns;
		if (d->yield_ms && clock_mono_ms() < d->yield_ms) {
			uint64_t left = d->yield_ms - clock_mono_ms();

			npoll = 0;
			memset(sready, 0, sizeof(sready));
			if ((uint64_t)timeout > left)
				timeout = (int)left;
		}
		rc = transport_poll(socks, npoll, pf, 1 + nd, timeout, sready, e);
		if (rc < 0)
			break;
		rc = 0;
		if (d->disc) {
			for (i = 0; i < nd; i++)
				drevents[i] = pf[1 + i].revents;
			discovery_dispatch(d->disc, dfds, drevents, nd);
		}
		if (pf[0].revents) {
			struct signalfd_siginfo si;

			if (read(d->sigfd, &si, sizeof(si)) > 0) {
				logf_(d, 0, "stopping (signal %u)", si.ssi_signo);
				d->stop = 1;
			}
		}
		for (i = 0; i < ns; i++) {
			if (kind[i] == 4 && sready[i]) {
				on_zap(d); /* at once: a handshake waits */
				sready[i] = 0;
			}
			any |= sready[i];
		}
		if (d->router && clock_mono_ms() - d->ping_ms >= DAEMON_PING_MS)
			probe_incoming(d, NULL);
		ratelog_tick(d, 0);
		d->backlog = drain_all(d);
		restarts(d);
		store_retry(d);
		endpoint_retry(d);
		if (!any) {
			if (d->disc)
				found_tick(d);
			mark_settled(d);
			continue;
		}
		d->pass_ms = clock_mono_ms();
		err_clear(&d->pass_err);
		d->pass_stored = 0;
		if (store_begin(h->store, &pe) < 0) {
			/* another process writes (a sync, a reindex): the
			 * frames wait in libzmq for the next pass */
			if (pe.code != STOA_EBUSY)
				logf_(d, 1, "store: %s", pe.msg);
			continue;
		}
		pass_begin(d); /* only a pass that holds a batch: in_pass
				* is cleared after its commit below */
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
		d->backlog = drain_all(d);
		err_clear(&pe);
		if (store_commit(h->store, &pe) < 0 || d->pass_err.code) {
			store_failed(d, d->pass_err.code ? &d->pass_err : &pe);
		} else {
			d->sum->entries_in += d->pass_gone_in;
			log_stored(d);
			store_pass_ok(d);
			announce(d);
		}
		d->in_pass = 0;
		d->pass_gone_in = 0;
		mark_settled(d);
		/* after the sockets: it may free peers they pointed at */
		if (d->disc)
			found_tick(d);
		/* a long hold of the write lock (the commit included): let
		 * the writers that waited meanwhile go first */
		d->yield_ms = 0;
		if (clock_mono_ms() - d->pass_ms >= DAEMON_PASS_MS / 2)
			d->yield_ms = clock_mono_ms() + DAEMON_YIELD_MS;
		if (o->once && o->progress &&
		    clock_mono_ms() - last_progress > 200) {
			progress(d);
			last_progress = clock_mono_ms();
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
		control_send(h->dir, (const uint8_t[]){ DAEMON_REQ_RESCAN }, 1);
	sum->seconds = (double)(clock_mono_ms() - d->start_ms) / 1000.0;
	free(d);
	return rc;
}

/* Sends one control frame to the daemon of dir, if one runs. */
static void control_send(const char *dir, const void *frame, size_t len)
{
	char ep[HOME_PATH_MAX + 8];
	void *ctx, *sock = NULL;

	if (!home_serve_running(dir))
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
	uint8_t frame[DAEMON_REQ_MAX];
	struct daemon_req r;
	size_t len;

	r.type = DAEMON_REQ_NUDGE;
	r.head = *head;
	len = daemon_req_encode(&r, frame);
	control_send(dir, frame, len);
}

int daemon_status(const char *dir, char **json, struct err *e)
{
	struct transport_frame f;
	char ep[HOME_PATH_MAX + 8];
	void *ctx, *sock = NULL;
	uint64_t deadline;
	int rc = STOA_ENOTFOUND, ready = 0;

	*json = NULL;
	if (!home_serve_running(dir))
		return err_set(e, STOA_ENOTFOUND, "no daemon running");
	control_endpoint(dir, ep, sizeof(ep));
	if (!ep[0] || !(ctx = transport_ctx_new()))
		return err_set(e, STOA_ENOTFOUND, "no control socket");
	if (transport_control_dial(ctx, ep, &sock, e) == 0 &&
	    transport_send(sock, NULL, 0,
			   (const uint8_t[]){ DAEMON_REQ_STATUS }, 1, e) == 0) {
		deadline = clock_mono_ms() + DAEMON_CONTROL_TIMEOUT_MS;
		while (clock_mono_ms() < deadline) {
			if (transport_poll(&sock, 1, NULL, 0,
					   (int)(deadline - clock_mono_ms()),
					   &ready, NULL) > 0 && ready)
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
