/*
 * peer: the daemon's table of peers and each peer's session. A slot holds
 * one connection, dialed (a DEALER with its monitor) or accepted (a
 * routing id on the ROUTER), and at most one replication session over it
 * (sync/repl). Its enum peer_state (the table and its transitions are in
 * daemon_int.h) says where it stands; this file makes the transitions but
 * three: admitting and refusing duplicates (incoming.c), and a failed
 * HELLO to all (daemon.c's announce). It decides what a session's verdict
 * costs the peer (a log line, a drop, a ban) and when a session starts
 * again, and reads the dialed peers' sockets. It never blocks: every send
 * is non-blocking, and what the peer's queue does not take waits in the
 * session's outbox (peer_drain_all).
 */
#include <stdio.h>
#include <string.h>

#include "daemon_int.h"

const char *peer_name(struct peer *p, char buf[96])
{
	if (peer_has_repl(p) && p->r.got_hello) {
		char hex[2 * KEY_PUBLIC_LEN + 1];

		hex_encode(hex, p->r.peer_node, KEY_PUBLIC_LEN);
		snprintf(buf, 96, "%.8s (%.80s)", hex, p->endpoint);
	} else {
		snprintf(buf, 96, "%.95s", p->endpoint);
	}
	return buf;
}

int peer_send(void *arg, const uint8_t *p, size_t len, struct err *e)
{
	struct peer *pr = arg;
	struct daemon *d = pr->d;

	if (peer_dialed(pr))
		return transport_send(pr->sock, NULL, 0, p, len, e);
	return transport_send(d->router, pr->rid, pr->rid_len, p, len, e);
}

void peer_session_end(struct peer *p, enum peer_state next)
{
	if (peer_has_repl(p)) {
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
		if (p->d->o->lan_wait_ms && p->kind == PEER_MDNS) {
			/* sync --lan: each node's own count too */
			struct found *f = dial_found(p->d, p->node);

			if (f) {
				f->lan_in += in;
				f->lan_out += p->r.stats.entries_out;
				/* it answered as the node its record named */
				f->lan_answered |= p->r.got_hello &&
					memcmp(p->r.peer_node, f->node,
					       KEY_PUBLIC_LEN) == 0;
			}
		}
		s->bytes_in += p->r.stats.bytes_in;
		s->bytes_out += p->r.stats.bytes_out;
		repl_release(&p->r);
	}
	p->state = next;
}

int peer_session_start(struct peer *p, struct err *e)
{
	struct daemon *d = p->d;

	peer_session_end(p, PEER_SESSION);
	repl_init(&p->r, &d->ops, p->past ? &d->rp_upto : &d->rp, p,
		  d->h->key.pk, epoch_peer_hello(p), &d->scratch);
	/* the peer learns this session exists because discovery found it,
	 * so it may refuse it for a --peer of its own
	 * (incoming_refuse_duplicates) */
	p->r.hello_flags = p->kind == PEER_MDNS ? MSG_HELLO_FOUND : 0;
	p->pass_in = 0;
	p->rx_ms = clock_mono_ms();
	return repl_start(&p->r, e);
}

void peer_free(struct peer *p)
{
	peer_session_end(p, PEER_FREE);
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

/* An mDNS dial whose HELLO names another node than the record did:
 * someone published another node's key with its own address. */
static void check_node(struct peer *p)
{
	char a[2 * KEY_PUBLIC_LEN + 1], b[2 * KEY_PUBLIC_LEN + 1];

	if (p->kind != PEER_MDNS || !p->r.got_hello || p->wrong_node ||
	    memcmp(p->r.peer_node, p->node, KEY_PUBLIC_LEN) == 0)
		return;
	/* dial_tick lets this connection go */
	hex_encode(a, p->node, KEY_PUBLIC_LEN);
	hex_encode(b, p->r.peer_node, KEY_PUBLIC_LEN);
	daemon_log(p->d, 1, "%s was announced as node %.8s but answered as "
		   "%.8s: not dialing it for that node", p->endpoint, a, b);
	p->wrong_node = 1;
}

/* 1 if the node id of the session's HELLO is its connection's CURVE key. */
static int hello_is_curve(const struct peer *p)
{
	uint8_t curve[KEY_PUBLIC_LEN];

	return key_pk_to_curve(p->r.peer_node, curve) == 0 &&
	       bytes_equal(curve, p->curve, KEY_PUBLIC_LEN);
}

void peer_frame(struct peer *p, const uint8_t *data, size_t len)
{
	struct daemon *d = p->d;
	struct err e = { 0 };
	char name[96];
	int rc;

	if (!peer_in_session(p))
		return;
	d->current = p;
	p->rx_ms = clock_mono_ms();
	rc = repl_recv(&p->r, data, len, &e);
	d->current = NULL;
	check_node(p);
	if (rc >= 0 && p->past && len > 3 && data[3] == MSG_HELLO &&
	    p->r.got_hello && !epoch_named(d, p->r.peer_node)) {
		/* a session of a past epoch is only for a member the
		 * rotation in force is sealed to */
		peer_drop(p, STOA_EPERM, "its member is not named in the "
			  "rotation of the community secret");
		return;
	}
	if (rc >= 0 && p->kind == PEER_ACCEPTED && len > 3 &&
	    data[3] == MSG_HELLO && p->r.got_hello && !hello_is_curve(p)) {
		/* admit() bound the first HELLO to the connection's key; a
		 * later one (a restart) must name the same member */
		peer_drop(p, STOA_EPROTO, "the HELLO's node id is not the key "
			  "this connection was made with");
		return;
	}
	if (rc > 0 && store_failure(e.code)) {
		/* this node's store, not the peer: said once, after the
		 * pass (pass_failed), not once per frame */
		if (!d->pass_err.code)
			d->pass_err = e;
	} else if (rc > 0) {
		if (ratelog_allow(d, e.code == STOA_EFORK ? LOG_FORK : LOG_PEER))
			daemon_log(d, 1, "peer %s: %s", peer_name(p, name), e.msg);
	} else if (rc < 0) {
		peer_drop(p, rc, e.msg);
	}
}

/* An accepted peer dropped: told so (its last frames, then why, as its
 * queue takes them), ignored for a while, banned if it misbehaved. */
static void drop_accepted(struct peer *p, int rc, const char *why)
{
	struct daemon *d = p->d;
	char line[ERR_MSG_MAX + 16];
	struct err e = { 0 };

	snprintf(line, sizeof(line), "dropped: %s", why);
	if (peer_has_repl(p)) {
		/* its last frames (the strikes' ERRORs), then why, as its
		 * queue takes them (peer_drain_all) */
		repl_close(&p->r, STOA_EPERM, line);
		if (repl_drain(&p->r, &e) < 0 || !repl_backlog(&p->r))
			peer_session_end(p, PEER_DROPPED);
		else
			p->state = PEER_FAREWELL;
	} else {
		incoming_refuse(d, p->rid, p->rid_len, line);
		p->state = PEER_DROPPED;
	}
	p->dropped_ms = clock_mono_ms();
	if (rc == STOA_EPROTO || rc == STOA_ENOMEM)
		incoming_ban(d, p->curve);
}

/*
 * An accepted peer is told so, its frames are ignored for a while, and if
 * it misbehaved (strikes, not reading what it asked for) its key is
 * refused at the handshake for DAEMON_BAN_MS; a dialed one is tried again
 * later, or ends a sync.
 */
void peer_drop(struct peer *p, int rc, const char *why)
{
	struct daemon *d = p->d;
	char name[96];

	if (rc == STOA_ENOTFOUND && p->kind == PEER_ACCEPTED) {
		/* a send found its connection gone: not its fault */
		daemon_log(d, 0, "peer %s left", peer_name(p, name));
		peer_free(p);
		return;
	}
	if (ratelog_allow(d, LOG_DROP))
		daemon_log(d, !d->o->once, "dropping peer %s: %s",
			   peer_name(p, name), why);
	if (p->kind == PEER_ACCEPTED) {
		drop_accepted(p, rc, why);
	} else if (d->o->once && p->kind == PEER_MDNS) {
		/* sync --lan: this node's exchange ends, not the others' */
		peer_session_end(p, PEER_WAITING);
		dial_lan_failed(p, rc, why);
	} else if (d->o->once) {
		/* stoa sync: nothing more will come of this peer */
		peer_session_end(p, PEER_WAITING);
		d->fail = rc;
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", why);
		d->stop = 1;
	} else {
		peer_session_end(p, PEER_WAITING);
		p->retry_ms = clock_mono_ms() + DAEMON_RETRY_MS;
	}
}

struct peer *peer_slot(struct daemon *d)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].state == PEER_FREE)
			return &d->peers[i];
	/* full: reuse the slot of a refused incoming peer */
	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].kind == PEER_ACCEPTED &&
		    peer_dropped(&d->peers[i])) {
			peer_free(&d->peers[i]);
			return &d->peers[i];
		}
	return NULL;
}

struct peer *peer_dial(struct daemon *d, const char *endpoint,
		       enum peer_kind kind, unsigned past, struct err *e)
{
	struct peer *p = peer_slot(d);

	if (!p) {
		err_set(e, STOA_EBUSY, "more than %d peers", DAEMON_PEERS_MAX);
		return NULL;
	}
	p->state = PEER_DIALING;
	p->dial_ms = clock_mono_ms();
	p->d = d;
	p->kind = kind;
	p->past = past;
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", endpoint);
	if (transport_dial(d->ctx, epoch_peer_keys(p), endpoint, &p->sock,
			   e) < 0 ||
	    transport_monitor(d->ctx, p->sock, &p->mon, e) < 0) {
		peer_free(p);
		return NULL;
	}
	return p;
}

struct peer *peer_with_node(struct daemon *d,
			    const uint8_t node[KEY_PUBLIC_LEN],
			    const struct peer *except)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *q = &d->peers[i];

		if (q != except && peer_in_session(q) && q->r.got_hello &&
		    memcmp(q->r.peer_node, node, KEY_PUBLIC_LEN) == 0)
			return q;
	}
	return NULL;
}

void peer_read_dealer(struct peer *p)
{
	struct daemon *d = p->d;
	struct transport_frame f;
	struct err e;
	int n, rc;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS && !daemon_pass_over(d); n++) {
		err_clear(&e);
		rc = transport_recv(p->sock, 0, &f, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			daemon_log(d, 1, "peer %s: %s", p->endpoint, e.msg);
			break;
		}
		peer_frame(p, f.data, f.len);
		transport_frame_release(&f);
	}
}

/* A sync that cannot go on: stop the loop with rc (and msg, if any);
 * with --lan, only the exchange with p's node. */
static void sync_fails(struct peer *p, int rc, const char *msg)
{
	struct daemon *d = p->d;

	if (p->kind == PEER_MDNS) {
		dial_lan_failed(p, rc, msg ? msg : "refused the handshake: is "
				"it a node of another community, or was this "
				"member removed from it?");
		return;
	}
	d->fail = rc;
	if (msg)
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", msg);
	d->stop = 1;
}

/* The connection of p came up: a new session, every time. */
static void connected(struct peer *p)
{
	struct err e;

	p->early_closes = 0;
	p->connect_fails = 0;
	daemon_log(p->d, 0, "connected to %s", p->endpoint);
	err_clear(&e);
	/* SESSION from here, even if its HELLO did not go (a stalled
	 * session starts again, peer_restarts) */
	if (peer_session_start(p, &e) < 0)
		daemon_log(p->d, 1, "peer %s: %s", p->endpoint, e.msg);
}

static void redial(struct peer *p, uint64_t now);

/* One event of p's connection monitor: up 1, down 0, handshake failed
 * -1, a connection attempt failed -2. */
static void monitor_event(struct peer *p, int up)
{
	struct daemon *d = p->d;
	int once = d->o->once;

	if (up == -2) {
		/* no one answers there; a sync gives up after a few
		 * tries, serve keeps trying (libzmq backs off) */
		/* (a server that closes before the handshake says so
		 * below) */
		if (++p->connect_fails == 3 && !p->early_closes) {
			daemon_log(d, !once, "cannot reach %s (nothing listens "
				   "there?); still trying", p->endpoint);
			if (once)
				sync_fails(p, STOA_ENOTFOUND, "cannot connect "
					   "(nothing listens there?)");
		}
	} else if (up <= 0 && p->kind == PEER_STATIC && !peer_up(p) &&
		   d->npast && (p->past < d->npast ||
				(!once && clock_mono_ms() - p->dial_ms >=
				 DAEMON_RETRY_MS))) {
		/* refused, or closed before the handshake (a CURVE server
		 * holding another key says nothing): it may be a node a
		 * rotation has not reached yet. Each past epoch's keys in
		 * turn, newest first; then (serve) this epoch's again, at
		 * most every DAEMON_RETRY_MS */
		p->past = p->past < d->npast ? p->past + 1 : 0;
		p->early_closes = 0;
		p->connect_fails = 0;
		daemon_log(d, 0, "%s refused the handshake: trying the keys of "
			   "epoch %u", p->endpoint, (unsigned)(p->past ?
			   d->h->community.past[p->past - 1].epoch :
			   d->h->community.epoch));
		p->state = PEER_DIALING;
		redial(p, clock_mono_ms());
	} else if (up < 0) {
		if (p->state != PEER_REJECTED)
			daemon_log(d, !once, "%s refused the handshake: is it a "
				   "node of another community, or was this "
				   "member removed from it?", p->endpoint);
		if (!peer_up(p))
			p->state = PEER_REJECTED;
		if (once)
			sync_fails(p, STOA_EPERM, NULL);
	} else if (up && !peer_up(p)) {
		connected(p);
	} else if (!up && peer_up(p)) {
		daemon_log(d, 0, "lost %s (reconnecting)", p->endpoint);
		peer_session_end(p, PEER_DIALING);
		p->dial_ms = clock_mono_ms();
	} else if (!up && ++p->early_closes == 3) {
		/* a CURVE server holding another key (another community's,
		 * or an epoch of ours this node does not hold) closes the
		 * connection without a word: say so once */
		daemon_log(d, !once, "%s closes every connection before the "
			   "handshake: a node of another community, or of an "
			   "epoch of its secret this node does not hold",
			   p->endpoint);
		if (once)
			sync_fails(p, STOA_EPERM, "closes every connection "
				   "before the handshake: a node of another "
				   "community, or of a newer epoch of its secret "
				   "(after a removal, a facilitator can give you "
				   "the new invite)");
	}
}

void peer_read_monitor(struct peer *p)
{
	int up, rc;

	while ((rc = transport_monitor_event(p->mon, &up, NULL)) > 0)
		monitor_event(p, up);
}

/* A dialed peer whose handshake has not come in DAEMON_DIAL_STALL_MS:
 * its socket goes, and a new one dials (a connection libzmq left stuck
 * is not waited out; one that nothing answers costs a socket). */
static void redial(struct peer *p, uint64_t now)
{
	struct err e = { 0 };

	transport_monitor_close(p->sock, p->mon);
	transport_close(p->sock);
	p->sock = NULL;
	p->mon = NULL;
	p->dial_ms = now;
	if (p->state == PEER_DIALING)
		daemon_log(p->d, 0, "no handshake with %s in %d s: dialing "
			   "anew", p->endpoint, DAEMON_DIAL_STALL_MS / 1000);
	if (transport_dial(p->d->ctx, epoch_peer_keys(p), p->endpoint,
			   &p->sock, &e) < 0 ||
	    transport_monitor(p->d->ctx, p->sock, &p->mon, &e) < 0)
		daemon_log(p->d, 1, "cannot dial %s: %s", p->endpoint, e.msg);
}

/*
 * A session not settled whose peer has said nothing for a while has lost
 * its way (a frame lost, a connection event missed): a fresh HELLO puts
 * both sides back on track. One that never said HELLO starts anew if we
 * dialed it; a dialed peer up without a session gets one.
 */
static void check_stalled(struct peer *p, uint64_t now)
{
	if (p->state == PEER_DIALING && peer_dialed(p) &&
	    now - p->dial_ms >= DAEMON_DIAL_STALL_MS) {
		redial(p, now);
		return;
	}
	if (peer_in_session(p) && !repl_settled(&p->r) &&
	    now - p->rx_ms >= DAEMON_STALL_MS) {
		p->state = p->r.got_hello ? PEER_RESTART : PEER_SESSION;
		p->rx_ms = now;
		if (p->state == PEER_SESSION && peer_dialed(p)) {
			/* never said hello: anew */
			peer_session_end(p, PEER_WAITING);
			p->retry_ms = now;
		}
	}
	if (p->state == PEER_WAITING && !p->retry_ms &&
	    now - p->rx_ms >= DAEMON_STALL_MS)
		p->retry_ms = now; /* up, yet no session: start one */
}

void peer_restarts(struct daemon *d)
{
	uint64_t now = clock_mono_ms();
	struct err e;
	size_t i;
	int rc;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (p->state == PEER_FREE || peer_dropped(p))
			continue;
		check_stalled(p, now);
		if (p->state != PEER_RESTART &&
		    !(p->state == PEER_WAITING && p->retry_ms &&
		      now >= p->retry_ms))
			continue;
		err_clear(&e);
		p->retry_ms = 0;
		/* a live session restarts in place (the peer stays known);
		 * a dropped dialed one starts afresh */
		if (p->state == PEER_RESTART)
			rc = repl_restart(&p->r, &e);
		else
			rc = peer_session_start(p, &e);
		p->state = rc < 0 ? PEER_RESTART : PEER_SESSION;
	}
}

int peer_drain_all(struct daemon *d)
{
	struct err e;
	size_t i;
	int left = 0, rc;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (!peer_has_repl(p) || !repl_backlog(&p->r))
			continue;
		err_clear(&e);
		rc = repl_drain(&p->r, &e);
		if (p->state == PEER_FAREWELL) {
			/* its farewell is out (or cannot go): done with it */
			if (rc < 0 || !repl_backlog(&p->r))
				peer_session_end(p, PEER_DROPPED);
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
