/*
 * transport: see transport.h for the contract. This is the only file that
 * includes <zmq.h>; it turns errno from libzmq into STOA_E* codes and one
 * message, sets the same options on every socket, and keeps the CURVE
 * secrets only in the caller's struct transport_keys (libzmq copies them
 * into the socket; we cannot wipe that copy, zmq_close frees it). Nothing
 * here blocks: every send and receive is ZMQ_DONTWAIT, EINTR is retried,
 * EAGAIN is "nothing now", and the only wait is the caller's
 * transport_poll.
 */
#include <errno.h>
#include <poll.h>
#include <stdalign.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "community.h"
#include "err.h"
#include "key.h"
#include "msg.h"
#include "transport.h"

_Static_assert(sizeof(zmq_msg_t) <= TRANSPORT_MSG_IMPL,
	       "transport_frame.impl too small for zmq_msg_t");
_Static_assert(alignof(zmq_msg_t) <= 8,
	       "transport_frame.impl under-aligned for zmq_msg_t");
_Static_assert(MSG_MAX <= INT64_MAX - TRANSPORT_CURVE_OVERHEAD, "MSG_MAX");

/* Sockets polled from the stack before transport_poll allocates. */
#define POLL_STACK 32

int transport_keys_init(struct transport_keys *t, const struct key *member,
			const struct community *c, struct err *e)
{
	community_server_keypair(c, t->server_pk, t->server_sk);
	if (key_to_curve(member, t->client_pk, t->client_sk) != 0) {
		transport_keys_wipe(t);
		return err_set(e, STOA_ECRYPTO,
			       "member key does not convert to Curve25519");
	}
	return 0;
}

void transport_keys_wipe(struct transport_keys *t)
{
	if (t)
		bytes_wipe(t, sizeof(*t));
}

void *transport_ctx_new(void)
{
	void *ctx = zmq_ctx_new();

	/* zmq_ctx_term must never wait for unsent frames: sockets linger 0
	 * anyway, and ZMQ_BLOCKY off covers a socket the caller forgot. */
	if (ctx)
		zmq_ctx_set(ctx, ZMQ_BLOCKY, 0);
	return ctx;
}

void transport_ctx_free(void *ctx)
{
	if (!ctx)
		return;
	while (zmq_ctx_term(ctx) != 0 && errno == EINTR)
		;
}

#define TRANSPORT_ZAP_ENDPOINT "inproc://zeromq.zap.01" /* RFC 27 */
#define TRANSPORT_ZAP_VERSION "1.0"
#define TRANSPORT_ZAP_DOMAIN "stoa"

static int set_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof(v));
}

/* The options shared by ROUTER and DEALER. -1 with errno on failure. */
static int set_common(void *sock)
{
	int64_t max = (int64_t)MSG_MAX + TRANSPORT_CURVE_OVERHEAD;

	if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0 ||
	    set_int(sock, ZMQ_LINGER, 0) != 0 ||
	    set_int(sock, ZMQ_SNDHWM, TRANSPORT_SNDHWM) != 0 ||
	    set_int(sock, ZMQ_RCVHWM, TRANSPORT_RCVHWM) != 0 ||
	    set_int(sock, ZMQ_HANDSHAKE_IVL, TRANSPORT_HANDSHAKE_IVL) != 0 ||
	    set_int(sock, ZMQ_HEARTBEAT_IVL, TRANSPORT_HEARTBEAT_IVL) != 0 ||
	    set_int(sock, ZMQ_HEARTBEAT_TIMEOUT,
		    TRANSPORT_HEARTBEAT_TIMEOUT) != 0 ||
	    set_int(sock, ZMQ_HEARTBEAT_TTL, TRANSPORT_HEARTBEAT_TTL) != 0)
		return -1;
	return 0;
}

/*
 * Whether endpoint needs ZMQ_IPV6: an IPv6 literal ("tcp://[fe80::1%eth0]:
 * 7647", as mDNS may give) or a wildcard, which then binds IPv6 and IPv4
 * both. A plain IPv4 address stays IPv4 only, so the endpoint libzmq
 * reports back keeps the form it was given.
 */
static int wants_ipv6(const char *endpoint)
{
	return strncmp(endpoint, "tcp://[", 7) == 0 ||
	       strncmp(endpoint, "tcp://*:", 8) == 0;
}

/* errno of a failed bind/connect as a STOA_E* code. */
static int endpoint_code(int errnum)
{
	switch (errnum) {
	case EADDRINUSE:
		return STOA_EBUSY;
	case EINVAL:
	case EPROTONOSUPPORT:
	case ENOCOMPATPROTO:
		return STOA_EINVAL;
	case ENOMEM:
		return STOA_ENOMEM;
	}
	return STOA_EIO;
}

static int check_curve(struct err *e)
{
	if (!zmq_has("curve"))
		return err_set(e, STOA_ECRYPTO,
			       "libzmq was built without CURVE security");
	return 0;
}

int transport_listen(void *ctx, const struct transport_keys *t,
		     const char *endpoint, void **sock, char *bound,
		     size_t bound_cap, struct err *e)
{
	char last[TRANSPORT_ENDPOINT_MAX];
	size_t last_len = sizeof(last);
	void *s;
	int rc, errnum;

	*sock = NULL;
	if ((rc = check_curve(e)) != 0)
		return rc;
	s = zmq_socket(ctx, ZMQ_ROUTER);
	if (!s)
		return err_set(e, STOA_EIO, "cannot create socket: %s",
			       zmq_strerror(zmq_errno()));
	if (set_common(s) != 0 ||
	    set_int(s, ZMQ_IPV6, wants_ipv6(endpoint)) != 0 ||
	    set_int(s, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
	    set_int(s, ZMQ_CURVE_SERVER, 1) != 0 ||
	    zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, TRANSPORT_ZAP_DOMAIN,
			   sizeof(TRANSPORT_ZAP_DOMAIN) - 1) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, t->server_sk,
			   TRANSPORT_KEY_LEN) != 0) {
		errnum = zmq_errno();
		zmq_close(s);
		return err_set(e, STOA_EIO, "cannot set up socket: %s",
			       zmq_strerror(errnum));
	}
	if (zmq_bind(s, endpoint) != 0) {
		errnum = zmq_errno();
		zmq_close(s);
		return err_set(e, endpoint_code(errnum), "cannot bind '%s': %s",
			       endpoint, zmq_strerror(errnum));
	}
	if (bound && bound_cap) {
		if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, last, &last_len) != 0 ||
		    last_len == 0) {
			/* Bound all the same: report what was asked for. */
			last_len = strnlen(endpoint, sizeof(last) - 1);
			memcpy(last, endpoint, last_len);
			last[last_len] = '\0';
		}
		last[sizeof(last) - 1] = '\0';
		last_len = strlen(last);
		if (last_len >= bound_cap)
			last_len = bound_cap - 1;
		memcpy(bound, last, last_len);
		bound[last_len] = '\0';
	}
	*sock = s;
	return 0;
}

int transport_dial(void *ctx, const struct transport_keys *t,
		   const char *endpoint, void **sock, struct err *e)
{
	void *s;
	int rc, errnum;

	*sock = NULL;
	if ((rc = check_curve(e)) != 0)
		return rc;
	s = zmq_socket(ctx, ZMQ_DEALER);
	if (!s)
		return err_set(e, STOA_EIO, "cannot create socket: %s",
			       zmq_strerror(zmq_errno()));
	if (set_common(s) != 0 ||
	    set_int(s, ZMQ_IPV6, wants_ipv6(endpoint)) != 0 ||
	    set_int(s, ZMQ_RECONNECT_IVL, TRANSPORT_RECONNECT_IVL) != 0 ||
	    set_int(s, ZMQ_RECONNECT_IVL_MAX,
		    TRANSPORT_RECONNECT_IVL_MAX) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, t->server_pk,
			   TRANSPORT_KEY_LEN) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, t->client_pk,
			   TRANSPORT_KEY_LEN) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, t->client_sk,
			   TRANSPORT_KEY_LEN) != 0) {
		errnum = zmq_errno();
		zmq_close(s);
		return err_set(e, STOA_EIO, "cannot set up socket: %s",
			       zmq_strerror(errnum));
	}
	if (zmq_connect(s, endpoint) != 0) {
		errnum = zmq_errno();
		zmq_close(s);
		return err_set(e, endpoint_code(errnum),
			       "cannot connect to '%s': %s", endpoint,
			       zmq_strerror(errnum));
	}
	*sock = s;
	return 0;
}

void transport_close(void *sock)
{
	if (!sock)
		return;
	set_int(sock, ZMQ_LINGER, 0);
	zmq_close(sock);
}

/* zmq_send with EINTR retried; -1 with errno on failure. */
static int send_part(void *sock, const void *p, size_t len, int flags)
{
	int rc;

	do
		rc = zmq_send(sock, p, len, flags | ZMQ_DONTWAIT);
	while (rc < 0 && zmq_errno() == EINTR);
	return rc < 0 ? -1 : 0;
}

static int send_code(int errnum, struct err *e)
{
	switch (errnum) {
	case EAGAIN:
		return err_set(e, STOA_EBUSY, "peer queue is full");
	case EHOSTUNREACH:
		return err_set(e, STOA_ENOTFOUND, "peer is gone");
	}
	return err_set(e, STOA_EIO, "cannot send: %s", zmq_strerror(errnum));
}

int transport_send(void *sock, const uint8_t *rid, size_t rid_len,
		   const void *p, size_t len, struct err *e)
{
	if (len > MSG_MAX)
		return err_set(e, STOA_EINVAL, "frame of %zu bytes exceeds %d",
			       len, MSG_MAX);
	if (rid) {
		if (rid_len == 0 || rid_len > TRANSPORT_RID_MAX)
			return err_set(e, STOA_EINVAL, "bad routing id length %zu",
				       rid_len);
		/* With ZMQ_ROUTER_MANDATORY the routing-id part is where an
		 * unknown peer (EHOSTUNREACH) or a full queue (EAGAIN) shows;
		 * once it is accepted, the frame part goes to the same pipe. */
		if (send_part(sock, rid, rid_len, ZMQ_SNDMORE) != 0)
			return send_code(zmq_errno(), e);
	}
	if (send_part(sock, p, len, 0) != 0)
		return send_code(zmq_errno(), e);
	return 0;
}

/* zmq_msg_recv of one part with EINTR retried; -1 with errno. */
static int recv_part(void *sock, zmq_msg_t *m)
{
	int rc;

	do
		rc = zmq_msg_recv(m, sock, ZMQ_DONTWAIT);
	while (rc < 0 && zmq_errno() == EINTR);
	return rc < 0 ? -1 : 0;
}

/* Discards the remaining parts of a message (already all delivered:
 * ZeroMQ hands over multipart messages atomically). */
static void drain(void *sock)
{
	zmq_msg_t m;
	int more;
	size_t more_len;

	zmq_msg_init(&m);
	for (;;) {
		more = 0;
		more_len = sizeof(more);
		if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_len) != 0 ||
		    !more || recv_part(sock, &m) != 0)
			break;
	}
	zmq_msg_close(&m);
}

/* The connection's User-Id (set by our ZAP answer) and address. */
static void peer_props(zmq_msg_t *m, struct transport_frame *f)
{
	const char *uid = zmq_msg_gets(m, "User-Id");
	const char *addr = zmq_msg_gets(m, "Peer-Address");

	f->has_peer_key = uid && strlen(uid) == 2 * TRANSPORT_KEY_LEN &&
			  hex_decode(f->peer_key, TRANSPORT_KEY_LEN, uid) == 0;
	snprintf(f->peer_addr, sizeof(f->peer_addr), "%s", addr ? addr : "");
}

int transport_recv(void *sock, int is_router, struct transport_frame *f,
		   struct err *e)
{
	zmq_msg_t *m = (zmq_msg_t *)(void *)f->impl;
	size_t n;
	int errnum;

	f->held = 0;
	f->data = NULL;
	f->len = 0;
	f->rid_len = 0;
	f->has_peer_key = 0;
	f->peer_addr[0] = '\0';
	zmq_msg_init(m);
	if (recv_part(sock, m) != 0) {
		errnum = zmq_errno();
		zmq_msg_close(m);
		if (errnum == EAGAIN)
			return 0;
		return err_set(e, STOA_EIO, "cannot receive: %s",
			       zmq_strerror(errnum));
	}
	if (is_router) {
		/* Part 1 is the routing id libzmq made up for the peer. */
		n = zmq_msg_size(m);
		if (n > TRANSPORT_RID_MAX)
			n = TRANSPORT_RID_MAX;
		memcpy(f->rid, zmq_msg_data(m), n);
		f->rid_len = n;
		if (!zmq_msg_more(m) || recv_part(sock, m) != 0) {
			zmq_msg_close(m);
			return err_set(e, STOA_EPROTO,
				       "message without a frame");
		}
	}
	if (zmq_msg_more(m)) {
		zmq_msg_close(m);
		drain(sock);
		return err_set(e, STOA_EPROTO, "multipart message");
	}
	/* libzmq enforces ZMQ_MAXMSGSIZE on the encrypted command, a few
	 * bytes above MSG_MAX; the frame itself must not exceed MSG_MAX. */
	if (zmq_msg_size(m) > MSG_MAX) {
		zmq_msg_close(m);
		return err_set(e, STOA_EPROTO, "frame over %d bytes", MSG_MAX);
	}
	f->held = 1;
	f->data = zmq_msg_data(m);
	f->len = zmq_msg_size(m);
	if (is_router)
		peer_props(m, f);
	return 1;
}

int transport_zap_listen(void *ctx, void **sock, struct err *e)
{
	void *s = zmq_socket(ctx, ZMQ_REP);

	*sock = NULL;
	if (!s)
		return err_set(e, STOA_EIO, "cannot create socket: %s",
			       zmq_strerror(zmq_errno()));
	set_int(s, ZMQ_LINGER, 0);
	if (zmq_bind(s, TRANSPORT_ZAP_ENDPOINT) != 0) {
		int errnum = zmq_errno();

		zmq_close(s);
		return err_set(e, STOA_EIO, "cannot bind the ZAP handler: %s",
			       zmq_strerror(errnum));
	}
	*sock = s;
	return 0;
}

/* Sends the ZAP reply frames (RFC 27): version, request id, status code,
 * status text, user id, metadata. */
static int zap_send(void *sock, const char *rid, size_t rid_len,
		    const char *code, const char *text, const char *user)
{
	if (send_part(sock, TRANSPORT_ZAP_VERSION,
		      sizeof(TRANSPORT_ZAP_VERSION) - 1, ZMQ_SNDMORE) != 0 ||
	    send_part(sock, rid, rid_len, ZMQ_SNDMORE) != 0 ||
	    send_part(sock, code, strlen(code), ZMQ_SNDMORE) != 0 ||
	    send_part(sock, text, strlen(text), ZMQ_SNDMORE) != 0 ||
	    send_part(sock, user, strlen(user), ZMQ_SNDMORE) != 0 ||
	    send_part(sock, "", 0, 0) != 0)
		return -1;
	return 0;
}

int transport_zap_recv(void *sock, struct transport_zap_req *req,
		       struct err *e)
{
	zmq_msg_t m;
	size_t n, i = 0;
	int more = 1, bad = 0, errnum, is_curve = 0;

	memset(req, 0, sizeof(*req));
	zmq_msg_init(&m);
	/* version, request id, domain, address, routing id, mechanism,
	 * credentials...; every part is read so the REP socket can answer */
	while (more) {
		if (recv_part(sock, &m) != 0) {
			errnum = zmq_errno();
			zmq_msg_close(&m);
			if (errnum == EAGAIN && i == 0)
				return 0;
			return err_set(e, STOA_EIO, "cannot read a ZAP request: %s",
				       zmq_strerror(errnum));
		}
		n = zmq_msg_size(&m);
		switch (i) {
		case 0:
			bad |= n != sizeof(TRANSPORT_ZAP_VERSION) - 1 ||
			       memcmp(zmq_msg_data(&m), TRANSPORT_ZAP_VERSION, n);
			break;
		case 1:
			if (n > sizeof(req->request_id))
				bad = 1;
			else
				memcpy(req->request_id, zmq_msg_data(&m), n);
			req->request_id_len = n <= sizeof(req->request_id) ? n : 0;
			break;
		case 3:
			if (n < sizeof(req->addr))
				memcpy(req->addr, zmq_msg_data(&m), n);
			break;
		case 5:
			/* the whole frame, not a C string: "CURVE\0x" is not */
			is_curve = n == 5 && !memcmp(zmq_msg_data(&m), "CURVE", 5);
			break;
		case 6:
			if (n == TRANSPORT_KEY_LEN && is_curve) {
				memcpy(req->client_key, zmq_msg_data(&m), n);
				req->curve = 1;
			}
			break;
		}
		more = zmq_msg_more(&m);
		i++;
	}
	zmq_msg_close(&m);
	if (bad || i < 6) {
		zap_send(sock, req->request_id, req->request_id_len, "500",
			 "malformed request", "");
		return 0;
	}
	return 1;
}

int transport_zap_reply(void *sock, const struct transport_zap_req *req,
			int allow, struct err *e)
{
	char user[2 * TRANSPORT_KEY_LEN + 1] = "";

	if (req->curve)
		hex_encode(user, req->client_key, TRANSPORT_KEY_LEN);
	if (zap_send(sock, req->request_id, req->request_id_len,
		     allow ? "200" : "400", allow ? "OK" : "refused",
		     allow ? user : "") != 0)
		return err_set(e, STOA_EIO, "cannot answer a ZAP request: %s",
			       zmq_strerror(zmq_errno()));
	return 0;
}

void transport_frame_release(struct transport_frame *f)
{
	if (!f || !f->held)
		return;
	zmq_msg_close((zmq_msg_t *)(void *)f->impl);
	f->held = 0;
	f->data = NULL;
	f->len = 0;
}

int transport_poll(void **socks, int nsocks, struct transport_pollfd *fds,
		   int nfds, int timeout_ms, int *sock_ready, struct err *e)
{
	zmq_pollitem_t stack[POLL_STACK], *items = stack;
	int i, n, rc, errnum;

	if (nsocks < 0 || nfds < 0 || nsocks > INT32_MAX / 2 ||
	    nfds > INT32_MAX / 2)
		return err_set(e, STOA_EINVAL, "bad poll counts");
	n = nsocks + nfds;
	if (n > POLL_STACK) {
		items = calloc((size_t)n, sizeof(*items));
		if (!items)
			return err_set(e, STOA_ENOMEM, "cannot poll %d items", n);
	}
	for (i = 0; i < nsocks; i++) {
		memset(&items[i], 0, sizeof(items[i]));
		items[i].socket = socks[i];
		items[i].events = ZMQ_POLLIN;
		sock_ready[i] = 0;
	}
	for (i = 0; i < nfds; i++) {
		memset(&items[nsocks + i], 0, sizeof(items[0]));
		items[nsocks + i].fd = fds[i].fd;
		items[nsocks + i].events =
			(short)(((fds[i].events & POLLIN) ? ZMQ_POLLIN : 0) |
				((fds[i].events & POLLOUT) ? ZMQ_POLLOUT : 0));
		fds[i].revents = 0;
	}
	rc = zmq_poll(items, n, timeout_ms);
	if (rc < 0) {
		errnum = zmq_errno();
		if (items != stack)
			free(items);
		/* A signal: the caller's loop looks at its signalfd next. */
		if (errnum == EINTR)
			return 0;
		return err_set(e, STOA_EIO, "cannot poll: %s",
			       zmq_strerror(errnum));
	}
	for (i = 0; i < nsocks; i++)
		sock_ready[i] = (items[i].revents & ZMQ_POLLIN) != 0;
	for (i = 0; i < nfds; i++) {
		short r = items[nsocks + i].revents;

		fds[i].revents = (short)(((r & ZMQ_POLLIN) ? POLLIN : 0) |
					 ((r & ZMQ_POLLOUT) ? POLLOUT : 0) |
					 ((r & ZMQ_POLLERR) ? POLLERR : 0));
	}
	if (items != stack)
		free(items);
	return rc;
}

int transport_monitor(void *ctx, void *sock, void **mon, struct err *e)
{
	char ep[64];
	void *m;

	*mon = NULL;
	/* one inproc name per socket: its address is unique while it lives */
	snprintf(ep, sizeof(ep), "inproc://stoa-monitor-%p", sock);
	if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
			       ZMQ_EVENT_DISCONNECTED |
			       ZMQ_EVENT_CONNECT_RETRIED |
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
		return err_set(e, STOA_EIO, "cannot monitor a socket: %s",
			       zmq_strerror(zmq_errno()));
	m = zmq_socket(ctx, ZMQ_PAIR);
	if (!m)
		return err_set(e, STOA_EIO, "cannot monitor a socket: %s",
			       zmq_strerror(zmq_errno()));
	set_int(m, ZMQ_LINGER, 0);
	if (zmq_connect(m, ep) != 0) {
		int errnum = zmq_errno();

		zmq_close(m);
		return err_set(e, STOA_EIO, "cannot monitor a socket: %s",
			       zmq_strerror(errnum));
	}
	*mon = m;
	return 0;
}

int transport_monitor_event(void *mon, int *up, struct err *e)
{
	for (;;) {
		zmq_msg_t part;
		uint16_t event = 0;
		int more, rc;

		zmq_msg_init(&part);
		do
			rc = zmq_msg_recv(&part, mon, ZMQ_DONTWAIT);
		while (rc < 0 && zmq_errno() == EINTR);
		if (rc < 0) {
			int errnum = zmq_errno();

			zmq_msg_close(&part);
			if (errnum == EAGAIN)
				return 0;
			return err_set(e, STOA_EIO, "monitor: %s",
				       zmq_strerror(errnum));
		}
		/* frame 1: event (2 bytes, host order) and value (4) */
		if (zmq_msg_size(&part) >= 2)
			memcpy(&event, zmq_msg_data(&part), 2);
		more = zmq_msg_more(&part);
		zmq_msg_close(&part);
		while (more) { /* frame 2: the endpoint */
			zmq_msg_init(&part);
			if (zmq_msg_recv(&part, mon, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&part);
				break;
			}
			more = zmq_msg_more(&part);
			zmq_msg_close(&part);
		}
		switch (event) {
		case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
			*up = 1;
			return 1;
		case ZMQ_EVENT_DISCONNECTED:
			*up = 0;
			return 1;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
			*up = -1;
			return 1;
		case ZMQ_EVENT_CONNECT_RETRIED:
			*up = -2;
			return 1;
		}
	}
}

static int plain_socket(void *ctx, int type, const char *endpoint, int bind,
			void **sock, struct err *e)
{
	void *s;

	*sock = NULL;
	s = zmq_socket(ctx, type);
	if (!s)
		return err_set(e, STOA_EIO, "cannot create a socket: %s",
			       zmq_strerror(zmq_errno()));
	if (set_int(s, ZMQ_LINGER, 0) != 0 ||
	    set_int(s, ZMQ_SNDHWM, TRANSPORT_RCVHWM) != 0 ||
	    set_int(s, ZMQ_RCVHWM, TRANSPORT_RCVHWM) != 0 ||
	    (bind ? zmq_bind(s, endpoint) : zmq_connect(s, endpoint)) != 0) {
		int errnum = zmq_errno();

		zmq_close(s);
		return err_set(e, endpoint_code(errnum), "cannot %s '%s': %s",
			       bind ? "bind" : "connect to", endpoint,
			       zmq_strerror(errnum));
	}
	*sock = s;
	return 0;
}

int transport_control_listen(void *ctx, const char *endpoint, void **sock,
			     struct err *e)
{
	return plain_socket(ctx, ZMQ_ROUTER, endpoint, 1, sock, e);
}

int transport_control_dial(void *ctx, const char *endpoint, void **sock,
			   struct err *e)
{
	return plain_socket(ctx, ZMQ_DEALER, endpoint, 0, sock, e);
}

void transport_monitor_close(void *sock, void *mon)
{
	/*
	 * libzmq's I/O thread sends each event to the monitor with a
	 * blocking send: were the reading end closed first, the next event
	 * of sock (a reconnect, a disconnect) would block that thread for
	 * good, and with it every connection of the context. So sock stops
	 * being monitored first (from here, the thread that owns it), and
	 * only then is the reading end closed.
	 */
	if (sock && mon)
		zmq_socket_monitor(sock, NULL, 0);
	transport_close(mon);
}

void transport_close_linger(void *sock, int linger_ms)
{
	if (!sock)
		return;
	set_int(sock, ZMQ_LINGER, linger_ms);
	zmq_close(sock);
}
