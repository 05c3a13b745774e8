/*
 * incoming: the listening side of the daemon, where hostile members are
 * met first. It answers libzmq's ZAP requests (every CURVE client key is
 * admitted to the handshake but a banned one or a removed member's),
 * admits a connection to a
 * peer slot only on a valid first HELLO bound to its CURVE key and within
 * the member's session limit (admit), refuses everything else with one
 * ERROR and no slot, probes incoming peers to free the slots of those
 * gone, and refuses an mDNS-found session that duplicates a --peer one.
 * It owns the bans; the sessions themselves are peer.c's. It never blocks
 * and never lets a peer without a session cost more than a refusal.
 */
#include <stdio.h>
#include <string.h>

#include "daemon_int.h"

void incoming_ban(struct daemon *d, const uint8_t curve[KEY_PUBLIC_LEN])
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
 * Answers libzmq's questions about handshakes on the listening socket:
 * every CURVE client is admitted (the HELLO decides who it is, admit()
 * checks it against this key) but a key dropped for misbehaving, which
 * is refused until its ban ends.
 */
void incoming_zap(struct daemon *d)
{
	struct transport_zap_req req;
	struct err e = { 0 };
	int rc, n;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS; n++) {
		if ((rc = transport_zap_recv(d->zap, &req, &e)) <= 0)
			break;
		rc = !(req.curve && banned(d, req.client_key));
		if (!rc && ratelog_allow(d, LOG_REFUSED))
			daemon_log(d, 1, "refusing a connection from %s: its "
				   "member was dropped less than %d s ago",
				   req.addr, DAEMON_BAN_MS / 1000);
		if (rc && req.curve &&
		    store_removed_curve(d->h->store, req.client_key)) {
			rc = 0;
			if (ratelog_allow(d, LOG_REFUSED))
				daemon_log(d, 1, "refusing a connection from "
					   "%s: its member was removed from "
					   "the community", req.addr);
		}
		if (transport_zap_reply(d->zap, &req, rc, &e) < 0)
			break;
	}
	if (e.code)
		daemon_log(d, 1, "handshake check: %s", e.msg);
}

/* The ERROR's code, STOA_EPERM, makes the peer end its session and try
 * again later. */
void incoming_refuse(struct daemon *d, const uint8_t *rid, size_t rid_len,
		     const char *why)
{
	buf_reset(&d->scratch);
	if (msg_put_error(&d->scratch, STOA_EPERM, why) == 0)
		transport_send(d->router, rid, rid_len, d->scratch.data,
			       d->scratch.len, NULL);
	buf_reset(&d->scratch);
}

/* incoming_probe, unless it ran in the last DAEMON_PROBE_MIN_MS (a flood
 * of refused HELLOs must not make a PING to every peer each). */
static void probe_due(struct daemon *d)
{
	if (clock_mono_ms() - d->ping_ms >= DAEMON_PROBE_MIN_MS)
		incoming_probe(d, NULL);
}

/* Accepted sessions of the member whose HELLO carries node. */
static int sessions_of(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN])
{
	int n = 0;
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		n += p->kind == PEER_ACCEPTED && peer_in_session(p) &&
		     p->r.got_hello &&
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
	if (store_member_removed(d->h->store, m.u.hello.node))
		return "this member was removed from the community";
	if (sessions_of(d, m.u.hello.node) >= DAEMON_SESSIONS_PER_MEMBER) {
		incoming_probe(d, m.u.hello.node); /* free the gone ones */
		if (sessions_of(d, m.u.hello.node) >= DAEMON_SESSIONS_PER_MEMBER)
			return "this member has too many sessions here "
			       "already";
	}
	return NULL;
}

static struct peer *peer_by_rid(struct daemon *d, const uint8_t *rid,
				size_t len)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (p->state != PEER_FREE && p->kind == PEER_ACCEPTED &&
		    p->rid_len == len && memcmp(p->rid, rid, len) == 0)
			return p;
	}
	return NULL;
}

/* The peer a frame from the ROUTER belongs to: its session's, or a new
 * one if admit() lets it in (NULL: refused, and told so). */
static struct peer *peer_of_frame(struct daemon *d,
				  const struct transport_frame *f)
{
	struct peer *p = NULL;
	const char *why = admit(d, f);
	struct err e;

	if (!why && !(p = peer_slot(d))) {
		probe_due(d); /* free those who left */
		p = peer_slot(d);
		if (!p)
			why = "too many peers: try again later";
	}
	if (why) {
		if (ratelog_allow(d, LOG_REFUSED))
			daemon_log(d, 1, "refusing a connection%s%s: %s",
				   f->peer_addr[0] ? " from " : "",
				   f->peer_addr, why);
		incoming_refuse(d, f->rid, f->rid_len, why);
		return NULL;
	}
	p->d = d;
	p->kind = PEER_ACCEPTED;
	memcpy(p->rid, f->rid, f->rid_len);
	p->rid_len = f->rid_len;
	memcpy(p->curve, f->peer_key, KEY_PUBLIC_LEN);
	snprintf(p->endpoint, sizeof(p->endpoint), "incoming");
	err_clear(&e);
	if (peer_session_start(p, &e) < 0) {
		daemon_log(d, 1, "incoming peer: %s", e.msg);
		p->state = PEER_RESTART;
	}
	return p;
}

void incoming_read(struct daemon *d)
{
	struct transport_frame f;
	struct err e;
	int n, rc;

	for (n = 0; n < DAEMON_FRAMES_PER_PASS && !daemon_pass_over(d); n++) {
		struct peer *p;

		err_clear(&e);
		rc = transport_recv(d->router, 1, &f, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (rc != STOA_EPROTO) {
				daemon_log(d, 1, "listening socket: %s", e.msg);
				break;
			}
			if (ratelog_allow(d, LOG_REFUSED))
				daemon_log(d, 1, "listening socket: %s", e.msg);
			continue;
		}
		p = peer_by_rid(d, f.rid, f.rid_len);
		if (p && peer_dropped(p) &&
		    clock_mono_ms() - p->dropped_ms >= 2 * DAEMON_RETRY_MS) {
			peer_free(p); /* it served its time: a fresh start */
			p = NULL;
		}
		if (!p)
			p = peer_of_frame(d, &f);
		if (p)
			peer_frame(p, f.data, f.len);
		transport_frame_release(&f);
	}
}

/*
 * Frees the sessions of incoming peers whose connection is gone: libzmq
 * (ROUTER_MANDATORY) refuses to send to them, and a PING is the cheapest
 * thing to try. Without this a long-running daemon would fill its table.
 * node: only that member's sessions (NULL: every peer's).
 */
void incoming_probe(struct daemon *d, const uint8_t *node)
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

		if (p->state == PEER_FREE || p->kind != PEER_ACCEPTED)
			continue;
		if (node && (!peer_has_repl(p) || !p->r.got_hello ||
			     memcmp(p->r.peer_node, node, KEY_PUBLIC_LEN) != 0))
			continue;
		if (transport_send(d->router, p->rid, p->rid_len, ping,
				   sizeof(ping), NULL) == STOA_ENOTFOUND) {
			if (!peer_dropped(p))
				daemon_log(d, 0, "peer %s left",
					   peer_name(p, name));
			peer_free(p);
		}
	}
	if (!node)
		d->ping_ms = clock_mono_ms();
}

/* The --peer session with the node of a, if one runs. */
static struct peer *static_session(struct daemon *d, const struct peer *a)
{
	size_t k;

	for (k = 0; k < DAEMON_PEERS_MAX; k++) {
		struct peer *q = &d->peers[k];

		if (q->kind == PEER_STATIC && peer_in_session(q) &&
		    q->r.got_hello &&
		    memcmp(q->r.peer_node, a->r.peer_node, KEY_PUBLIC_LEN) == 0)
			return q;
	}
	return NULL;
}

/*
 * An incoming session whose HELLO says discovery found us (its dialer's
 * mDNS dial), from a node this daemon already dials with --peer, is one
 * too many: it is refused, and the other side's mDNS dial gives way
 * (dial_tick), so such a pair keeps one session. Two --peer dials of
 * each other are the user's choice and are both kept.
 */
void incoming_refuse_duplicates(struct daemon *d)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *a = &d->peers[i], *q;
		char name[96];

		if (a->kind != PEER_ACCEPTED || !peer_in_session(a) ||
		    !a->r.got_hello || !(a->r.peer_flags & MSG_HELLO_FOUND))
			continue;
		if (!(q = static_session(d, a)))
			continue;
		daemon_log(d, 0, "peer %s: in session through --peer %s "
			   "already; refusing its second", peer_name(a, name),
			   q->endpoint);
		peer_session_end(a, PEER_DROPPED);
		incoming_refuse(d, a->rid, a->rid_len, "duplicate session: "
				"this node dials you itself");
		a->dropped_ms = clock_mono_ms();
	}
}
