/*
 * control: the daemon's control socket, ipc://HOME/control, a plain
 * ROUTER that only the home's owner can reach (docs/architecture.md, "The
 * control socket and nudges"). Both of its ends live here: the server
 * side the daemon polls (a nudge joins the pass's grown feeds, a rescan
 * restarts every session, a status request is answered with one JSON
 * frame of the daemon and its peers), the codec of its one-frame requests
 * (layout in daemon.h), and the client side the other commands of the
 * home call (daemon_nudge, daemon_status), which never block a write for
 * long and are silent when no daemon runs. A request that does not decode
 * is ignored; nothing here decides about peers.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon_int.h"
#include "view.h"

/* ---- the codec ---------------------------------------------------------- */

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

/* ---- the status reply --------------------------------------------------- */

/* How a peer came to be: "static" (--peer), "mdns" (discovery found it,
 * whichever side dialed), or "incoming" (it dialed us, unannounced). */
static const char *peer_how(struct daemon *d, const struct peer *p)
{
	if (p->kind == PEER_STATIC)
		return "static";
	if (p->kind == PEER_MDNS)
		return "mdns";
	if (peer_has_repl(p) && p->r.got_hello && dial_found(d, p->r.peer_node))
		return "mdns";
	return "incoming";
}

/* The state `stoa peers` shows. */
static const char *state_word(const struct peer *p)
{
	if (peer_dropped(p) || p->state == PEER_REJECTED)
		return "refused";
	if (!peer_has_repl(p))
		return "connecting";
	if (repl_settled(&p->r))
		return "synced";
	return "syncing";
}

/* Adds "node" and, if the view knows the member, "name" to po. */
static void add_member(struct daemon *d, json_t *po,
		       const uint8_t pk[KEY_PUBLIC_LEN])
{
	char node[2 * KEY_PUBLIC_LEN + 1], name[128];

	hex_encode(node, pk, KEY_PUBLIC_LEN);
	json_object_set_new(po, "node", json_string(node));
	if (view_member_name(d->h->store, pk, name, sizeof(name), NULL) == 0 &&
	    name[0])
		json_object_set_new(po, "name", json_string(name));
}

/* One peer of the status reply: what `stoa status` and `stoa peers` show. */
static json_t *peer_json(struct daemon *d, const struct peer *p, uint64_t now)
{
	uint64_t lack_in = 0, lack_out = 0;
	int live = peer_has_repl(p), known = live && p->r.got_hello;
	const struct repl_stats *st = &p->r.stats;
	const struct found *f;
	json_t *po;

	if (live)
		repl_lacks(&p->r, &lack_in, &lack_out);
	f = known ? dial_found(d, p->r.peer_node) : NULL;
	po = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		       "endpoint", p->kind == PEER_ACCEPTED && f ? f->endpoint
								 : p->endpoint,
		       "how", peer_how(d, p),
		       "state", state_word(p),
		       "entries_in", (json_int_t)(live ? st->entries_in : 0),
		       "entries_out", (json_int_t)(live ? st->entries_out : 0),
		       "bytes_in", (json_int_t)(live ? st->bytes_in : 0),
		       "bytes_out", (json_int_t)(live ? st->bytes_out : 0),
		       "lag", (json_int_t)(live ? p->r.nwants : 0),
		       "lacks_in", (json_int_t)lack_in,
		       "lacks_out", (json_int_t)lack_out);
	if (!po)
		return NULL;
	if (known || p->kind == PEER_MDNS)
		add_member(d, po, known ? p->r.peer_node : p->node);
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

		if (p->state != PEER_FREE)
			json_array_append_new(peers, peer_json(d, p, now));
	}
	/* found on the network, not (or not yet) in session */
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		const struct found *f = &d->found[i];
		json_t *po;

		if (!f->used || f->peer >= 0 || peer_with_node(d, f->node, NULL))
			continue;
		po = json_pack("{s:s, s:s, s:s}", "endpoint", f->endpoint,
			       "how", "mdns", "state", "found");
		if (po)
			add_member(d, po, f->node);
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

/* ---- the server --------------------------------------------------------- */

int control_open(struct daemon *d, struct err *e)
{
	char ep[HOME_PATH_MAX + 8];

	control_endpoint(d->h->dir, ep, sizeof(ep));
	if (!ep[0]) {
		daemon_log(d, 1, "home path too long for a control socket: "
			   "local writes reach peers at the next sync");
		return 0;
	}
	home_path(d->h->dir, DAEMON_CONTROL_FILE, d->control_path, NULL);
	unlink(d->control_path); /* left by a daemon killed -9 */
	if (transport_control_listen(d->ctx, ep, &d->control, e) < 0)
		return e->code;
	return 0;
}

/* Acts on one control request; a status request is answered to rid. */
static void control_answer(struct daemon *d, const struct daemon_req *r,
			   const uint8_t *rid, size_t rid_len)
{
	char *s;

	switch (r->type) {
	case DAEMON_REQ_NUDGE:
		daemon_grew(d, &r->head);
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

void control_read(struct daemon *d)
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

/* ---- the client --------------------------------------------------------- */

void control_send(const char *dir, const struct daemon_req *r)
{
	uint8_t frame[DAEMON_REQ_MAX];
	char ep[HOME_PATH_MAX + 8];
	void *ctx, *sock = NULL;
	size_t len;

	if (!home_serve_running(dir))
		return;
	control_endpoint(dir, ep, sizeof(ep));
	if (!ep[0] || !(ctx = transport_ctx_new()))
		return;
	len = daemon_req_encode(r, frame);
	if (transport_control_dial(ctx, ep, &sock, NULL) == 0)
		transport_send(sock, NULL, 0, frame, len, NULL);
	transport_close_linger(sock, 500); /* let it go out */
	transport_ctx_free(ctx);
}

void daemon_nudge(const char *dir, const struct msg_head *head)
{
	struct daemon_req r;

	r.type = DAEMON_REQ_NUDGE;
	r.head = *head;
	control_send(dir, &r);
}

/* Waits for sock's answer until DAEMON_CONTROL_TIMEOUT_MS: 1 if ready. */
static int answer_ready(void *sock)
{
	uint64_t deadline = clock_mono_ms() + DAEMON_CONTROL_TIMEOUT_MS;
	int ready = 0;

	while (clock_mono_ms() < deadline) {
		if (transport_poll(&sock, 1, NULL, 0,
				   (int)(deadline - clock_mono_ms()), &ready,
				   NULL) > 0 && ready)
			break;
	}
	return ready;
}

int daemon_status(const char *dir, char **json, struct err *e)
{
	struct transport_frame f;
	char ep[HOME_PATH_MAX + 8];
	void *ctx, *sock = NULL;
	int rc = STOA_ENOTFOUND;

	*json = NULL;
	if (!home_serve_running(dir))
		return err_set(e, STOA_ENOTFOUND, "no daemon running");
	control_endpoint(dir, ep, sizeof(ep));
	if (!ep[0] || !(ctx = transport_ctx_new()))
		return err_set(e, STOA_ENOTFOUND, "no control socket");
	if (transport_control_dial(ctx, ep, &sock, e) == 0 &&
	    transport_send(sock, NULL, 0,
			   (const uint8_t[]){ DAEMON_REQ_STATUS }, 1, e) == 0 &&
	    answer_ready(sock) && transport_recv(sock, 0, &f, e) == 1) {
		*json = strndup((const char *)f.data, f.len);
		rc = *json ? 0 : STOA_ENOMEM;
		transport_frame_release(&f);
	}
	transport_close(sock);
	transport_ctx_free(ctx);
	if (rc < 0)
		return err_set(e, rc, "the daemon did not answer");
	return 0;
}
