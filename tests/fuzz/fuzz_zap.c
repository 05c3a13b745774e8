/*
 * libFuzzer harness: transport_zap_recv and transport_zap_reply
 * (sync/transport.h), the daemon's ZAP handler (ZeroMQ RFC 27), over real
 * ZeroMQ sockets. One context for the whole run, as in the daemon: the
 * REP socket is the daemon's own (transport_zap_listen binds
 * "inproc://zeromq.zap.01"), and the sender is a DEALER connected to it
 * that sends what libzmq's ZAP client sends: an empty delimiter frame,
 * then the request's frames (version, request id, domain, address,
 * routing id, mechanism, credentials...). Frames bigger than a real
 * handshake's, missing, extra or empty ones all reach the parser; the
 * REP socket itself strips the delimiter, as it does for libzmq.
 *
 * Input: one byte of flags (bit 0: allow an accepted request, else
 * refuse it; bits 1-2: the request is sent 1..4 times back to back, so
 * several wait in the REP's queue), then frames, each a 2-byte big-endian
 * length and that many bytes (a short last frame takes what is left), at
 * most ZAP_FUZZ_FRAMES. No frame: nothing is sent.
 *
 * Then the daemon's side runs as incoming_zap does: transport_zap_recv
 * until nothing waits, transport_zap_reply (allow or refuse) for each
 * request it returned. Every send and receive is ZMQ_DONTWAIT; waiting
 * for the inproc pipe is a zmq_poll of at most ZAP_FUZZ_WAIT_MS. Traps:
 * a request never answered, or answered twice (the handshake would hang,
 * or the REP fall out of step); a reply that is not RFC 27's six frames;
 * a status code other than the one the request earned (200 or 400 for an
 * accepted request, as asked; 500 for a malformed one: fewer than six
 * frames, a version other than "1.0", a request id over 64 bytes); a
 * request id not echoed; a User-Id other than the client key in hex (a
 * CURVE request allowed) or empty. Both sockets are idle after every
 * input, so inputs do not depend on each other.
 *
 * This harness found two leniencies of transport_zap_recv, now fixed
 * (a request id of exactly 64 bytes echoed empty; a mechanism compared as
 * a C string, so "CURVE\0x" counted as CURVE): both are traps.
 * ZAP_FUZZ_LAX=1 models the old behaviour, to replay what it found.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "transport.h"

#define FUZZ_OWN_INIT
#include "fuzz.h"

#define ZAP_FUZZ_FRAMES 10
#define ZAP_FUZZ_REPEAT_MAX 4
#define ZAP_FUZZ_WAIT_MS 200
#define ZAP_REPLY_FRAMES 6       /* RFC 27: version .. metadata */
#define ZAP_RID_MAX 64           /* struct transport_zap_req.request_id */
#ifndef ZAP_FUZZ_LAX
#define ZAP_FUZZ_LAX 0 /* see the header */
#endif
/* A request id echoed as sent: at most this long. */
#define ZAP_RID_ECHO_MAX (ZAP_FUZZ_LAX ? ZAP_RID_MAX - 1 : ZAP_RID_MAX)
#define ZAP_MECH_MAX 16 /* transport_zap_recv's mechanism buffer */
#define ZAP_FUZZ_ENDPOINT "inproc://zeromq.zap.01"

static void *ctx, *rep, *dealer;

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_zap: %s\n", why);
	__builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e = { 0 };
	int zero = 0;

	(void)argc;
	(void)argv;
	if (key_lib_init() < 0 || !(ctx = transport_ctx_new()) ||
	    transport_zap_listen(ctx, &rep, &e) != 0 ||
	    !(dealer = zmq_socket(ctx, ZMQ_DEALER)) ||
	    zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_connect(dealer, ZAP_FUZZ_ENDPOINT) != 0) {
		fprintf(stderr, "fuzz_zap: cannot set up the sockets: %s\n",
			e.code ? e.msg : zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

struct frame {
	const uint8_t *p;
	size_t len;
};

/* What one request should earn, as the daemon answers it. */
struct expect {
	int accepted;    /* transport_zap_recv returned it */
	int allow;
	int curve;       /* mechanism "CURVE" and a 32-byte key */
	const uint8_t *key;
};

static size_t split(const uint8_t *d, size_t size, struct frame *f)
{
	size_t n = 0, off = 0, len;

	while (n < ZAP_FUZZ_FRAMES && size - off >= 2) {
		len = (size_t)d[off] << 8 | d[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		f[n].p = d + off;
		f[n].len = len;
		off += len;
		n++;
	}
	return n;
}

static int send_request(const struct frame *f, size_t n)
{
	size_t i;

	if (zmq_send(dealer, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (zmq_send(dealer, f[i].p, f[i].len,
			     (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) !=
		    (int)f[i].len)
			return -1;
	return 0;
}

/* The frame's bytes equal s. */
static int is(const zmq_msg_t *m, const char *s)
{
	return zmq_msg_size((zmq_msg_t *)m) == strlen(s) &&
	       !memcmp(zmq_msg_data((zmq_msg_t *)m), s, strlen(s));
}

/* Reads one reply from the DEALER, if one waits, and checks it against
 * x and the request's frames: 1 (read and right), 0 (none waits). */
static int read_reply(const struct frame *f, size_t n, const struct expect *x)
{
	static const char hex[] = "0123456789abcdef";
	zmq_msg_t m;
	size_t i = 0, k, rid_len = n > 1 ? f[1].len : 0;
	int more = 1;
	char user[2 * TRANSPORT_KEY_LEN + 1] = "";

	if (x->accepted && x->allow && x->curve) {
		for (k = 0; k < TRANSPORT_KEY_LEN; k++) {
			user[2 * k] = hex[x->key[k] >> 4];
			user[2 * k + 1] = hex[x->key[k] & 15];
		}
	}
	zmq_msg_init(&m);
	while (more) {
		if (zmq_msg_recv(&m, dealer, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			if (i == 0 && zmq_errno() == EAGAIN)
				return 0;
			fail("a reply cut short");
		}
		more = zmq_msg_more(&m);
		switch (i) {
		case 0:
			if (zmq_msg_size(&m) != 0 || !more)
				fail("a reply without its empty delimiter");
			break;
		case 1:
			if (!is(&m, "1.0"))
				fail("a reply's version is not 1.0");
			break;
		case 2:
			/* echoed as sent; a refused request id too long to
			 * hold is echoed empty */
			if (zmq_msg_size(&m) !=
				    (rid_len <= ZAP_RID_ECHO_MAX ? rid_len : 0) ||
			    (zmq_msg_size(&m) &&
			     memcmp(zmq_msg_data(&m), f[1].p, rid_len)))
				fail("a reply does not echo the request id");
			break;
		case 3:
			if (!is(&m, !x->accepted ? "500"
					: x->allow ? "200" : "400"))
				fail("a reply's status code is not the one "
				     "the request earned");
			break;
		case 4:
			if (zmq_msg_size(&m) == 0)
				fail("a reply without a status text");
			break;
		case 5:
			if (!is(&m, user))
				fail("a reply's User-Id is not the client key");
			break;
		case 6:
			if (zmq_msg_size(&m) != 0)
				fail("a reply with metadata");
			break;
		default:
			fail("a reply of more than six frames");
		}
		i++;
	}
	zmq_msg_close(&m);
	if (i != 1 + ZAP_REPLY_FRAMES)
		fail("a reply of fewer than six frames");
	return 1;
}

/* The mechanism frame names CURVE (ZAP_FUZZ_LAX: as a C string). */
static int is_curve(const struct frame *m)
{
	if (m->len == 5 || !ZAP_FUZZ_LAX)
		return m->len == 5 && !memcmp(m->p, "CURVE", 5);
	return m->len > 5 && m->len < ZAP_MECH_MAX &&
	       !memcmp(m->p, "CURVE", 5) && m->p[5] == '\0';
}

/* Waits up to ZAP_FUZZ_WAIT_MS for sock to be readable: 1 if it is. */
static int wait_in(void *sock)
{
	zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };

	return zmq_poll(&it, 1, ZAP_FUZZ_WAIT_MS) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame f[ZAP_FUZZ_FRAMES];
	struct transport_zap_req req;
	struct expect x = { 0 };
	struct err e;
	size_t n, sent, answered = 0, calls = 0, r;
	int rc;

	if (size < 1)
		return 0;
	n = split(data + 1, size - 1, f);
	if (n == 0)
		return 0;
	x.allow = data[0] & 1;
	/* the daemon's reading of it (RFC 27 and transport_zap_recv) */
	x.accepted = n >= ZAP_REPLY_FRAMES && f[0].len == 3 &&
		     !memcmp(f[0].p, "1.0", 3) && f[1].len <= ZAP_RID_MAX;
	x.curve = n > 6 && is_curve(&f[5]) && f[6].len == TRANSPORT_KEY_LEN;
	x.key = x.curve ? f[6].p : NULL;
	sent = 1 + ((data[0] >> 1) & (ZAP_FUZZ_REPEAT_MAX - 1));
	for (r = 0; r < sent; r++)
		if (send_request(f, n) != 0)
			fail("cannot send a request");

	/* the daemon's side, as incoming_zap: read, answer, until nothing
	 * waits; each call reads at most one request, so more calls than
	 * that (and a wait each) mean a request was lost */
	while (answered < sent) {
		size_t before = answered;

		if (++calls > 2 * sent + 2)
			fail("a request was never answered");
		err_clear(&e);
		rc = transport_zap_recv(rep, &req, &e);
		if (rc < 0)
			fail("transport_zap_recv failed");
		if (rc == 1) {
			if (!x.accepted)
				fail("a malformed request accepted");
			if (x.curve != req.curve ||
			    (x.curve && memcmp(req.client_key, x.key,
					       TRANSPORT_KEY_LEN)))
				fail("the client key misread");
			if (!memchr(req.addr, '\0', sizeof(req.addr)) ||
			    req.request_id_len > sizeof(req.request_id))
				fail("a request's fields out of bounds");
			if (transport_zap_reply(rep, &req, x.allow, &e) != 0)
				fail("transport_zap_reply failed");
		}
		while (read_reply(f, n, &x))
			answered++;
		if (rc == 0 && answered == before && answered < sent)
			wait_in(rep); /* nothing there yet: the pipe's turn */
		else if (rc == 1 && answered == before)
			wait_in(dealer);
	}
	/* idle again: no request left unread, no reply left over */
	err_clear(&e);
	if (transport_zap_recv(rep, &req, &e) != 0)
		fail("the REP socket not idle after the input");
	if (read_reply(f, n, &x))
		fail("a request answered twice");
	return 0;
}
