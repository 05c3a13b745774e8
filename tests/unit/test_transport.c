/*
 * Unit tests for sync/transport.c over loopback, on ports the OS picks
 * (tcp://127.0.0.1:0): two members of one community exchange frames both
 * ways; a member of another community, a plain (non-CURVE) DEALER and a
 * CURVE peer sending a frame over MSG_MAX never get a byte through to the
 * ROUTER. Every wait is a transport_poll against a deadline, never a bare
 * sleep. This test may include <zmq.h> to build the hostile peers by hand.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "community.h"
#include "err.h"
#include "key.h"
#include "msg.h"
#include "test.h"
#include "transport.h"

#define STEP_MS 100
#define ANSWER_MS 5000 /* how long a frame that should arrive may take */
#define SILENT_MS 1500 /* how long a frame that must not arrive is awaited */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Polls sock in STEP_MS steps until a frame arrives (1) or ms have passed
 * (0). Errors from transport_recv (a discarded message) are returned too.
 */
static int wait_frame(void *sock, int is_router, struct transport_frame *f,
		      int ms)
{
	int64_t deadline = now_ms() + ms;
	struct err e;
	int ready, rc;

	for (;;) {
		err_clear(&e);
		rc = transport_recv(sock, is_router, f, &e);
		if (rc != 0)
			return rc;
		if (now_ms() >= deadline)
			return 0;
		rc = transport_poll(&sock, 1, NULL, 0, STEP_MS, &ready, &e);
		CHECK(rc >= 0);
		if (rc < 0)
			return rc;
	}
}

static void member(struct transport_keys *t, const struct community *c)
{
	struct key k;

	key_generate(&k);
	CHECK_EQ_INT(transport_keys_init(t, &k, c, NULL), 0);
	key_wipe(&k);
}

static int frame_is(const struct transport_frame *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->data, s, f->len) == 0;
}

static void test_keys(const struct community *c)
{
	struct transport_keys t, t2;
	struct key k;
	uint8_t pk[32], sk[32], zero[sizeof(t)];

	key_generate(&k);
	CHECK_EQ_INT(transport_keys_init(&t, &k, c, NULL), 0);
	community_server_keypair(c, pk, sk);
	CHECK(bytes_equal(t.server_pk, pk, 32));
	CHECK(bytes_equal(t.server_sk, sk, 32));
	CHECK_EQ_INT(key_pk_to_curve(k.pk, pk), 0);
	CHECK(bytes_equal(t.client_pk, pk, 32));
	/* Same community, another member: same server key, own client key. */
	member(&t2, c);
	CHECK(bytes_equal(t.server_pk, t2.server_pk, 32));
	CHECK(!bytes_equal(t.client_pk, t2.client_pk, 32));
	transport_keys_wipe(&t);
	memset(zero, 0, sizeof(zero));
	CHECK(bytes_equal(&t, zero, sizeof(t)));
	transport_keys_wipe(NULL);
	/* A public key off the curve is refused and t is wiped. */
	memset(k.pk, 0, sizeof(k.pk));
	k.pk[0] = 2;
	CHECK_EQ_INT(transport_keys_init(&t2, &k, c, NULL), STOA_ECRYPTO);
	CHECK(bytes_equal(&t2, zero, sizeof(t2)));
	key_wipe(&k);
	bytes_wipe(sk, sizeof(sk));
}

/* Errors that need no peer: a port in use, a bad endpoint, bad frames. */
static void test_errors(void *ctx, const struct transport_keys *t,
			void *router, const char *bound)
{
	struct err e;
	void *s = (void *)1;
	char want[300], big_rid[TRANSPORT_RID_MAX + 1];

	err_clear(&e);
	CHECK_EQ_INT(transport_listen(ctx, t, bound, &s, NULL, 0, &e),
		     STOA_EBUSY);
	CHECK(s == NULL);
	snprintf(want, sizeof(want), "cannot bind '%s': Address already in use",
		 bound);
	CHECK_STR(e.msg, want);

	err_clear(&e);
	CHECK_EQ_INT(transport_listen(ctx, t, "nonsense", &s, NULL, 0, &e),
		     STOA_EINVAL);
	CHECK(strncmp(e.msg, "cannot bind 'nonsense': ", 24) == 0);
	err_clear(&e);
	CHECK_EQ_INT(transport_dial(ctx, t, "bogus://x", &s, &e), STOA_EINVAL);
	CHECK(strncmp(e.msg, "cannot connect to 'bogus://x': ", 31) == 0);

	/* A routing id nobody has: ZMQ_ROUTER_MANDATORY says so. */
	err_clear(&e);
	CHECK_EQ_INT(transport_send(router, (const uint8_t *)"nobody", 6, "x",
				    1, &e), STOA_ENOTFOUND);
	CHECK_STR(e.msg, "peer is gone");
	memset(big_rid, 'r', sizeof(big_rid));
	CHECK_EQ_INT(transport_send(router, (const uint8_t *)big_rid,
				    sizeof(big_rid), "x", 1, NULL),
		     STOA_EINVAL);
	CHECK_EQ_INT(transport_send(router, (const uint8_t *)big_rid, 0, "x",
				    1, NULL), STOA_EINVAL);
	CHECK_EQ_INT(transport_send(router, (const uint8_t *)"r", 1, "x",
				    (size_t)MSG_MAX + 1, NULL), STOA_EINVAL);
}

/* (1) Two members of one community: a frame each way, then MSG_MAX. */
static void test_round_trip(void *ctx, const struct transport_keys *ta,
			    const struct transport_keys *tb, void *router,
			    const char *bound)
{
	struct transport_frame f, g;
	struct err e;
	void *dealer = NULL;
	uint8_t rid[TRANSPORT_RID_MAX];
	size_t rid_len;
	uint8_t *big;

	err_clear(&e);
	CHECK_EQ_INT(transport_dial(ctx, tb, bound, &dealer, &e), 0);
	if (!dealer)
		return;
	CHECK_EQ_INT(transport_send(dealer, NULL, 0, "hello", 5, &e), 0);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
	CHECK(frame_is(&f, "hello"));
	CHECK(f.rid_len >= 1 && f.rid_len <= TRANSPORT_RID_MAX);
	rid_len = f.rid_len;
	memcpy(rid, f.rid, rid_len);
	transport_frame_release(&f);
	transport_frame_release(&f); /* idempotent */
	CHECK(f.data == NULL);

	CHECK_EQ_INT(transport_send(router, rid, rid_len, "welcome", 7, &e),
		     0);
	CHECK_EQ_INT(wait_frame(dealer, 0, &g, ANSWER_MS), 1);
	CHECK(frame_is(&g, "welcome"));
	CHECK_EQ_INT(g.rid_len, 0);
	transport_frame_release(&g);

	/* An empty frame is a frame. */
	CHECK_EQ_INT(transport_send(dealer, NULL, 0, "", 0, &e), 0);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
	CHECK_EQ_INT(f.len, 0);
	CHECK(f.rid_len == rid_len && memcmp(f.rid, rid, rid_len) == 0);
	transport_frame_release(&f);

	/* Exactly MSG_MAX passes both ways (CURVE overhead is accounted). */
	big = malloc(MSG_MAX);
	CHECK(big != NULL);
	if (big) {
		for (size_t i = 0; i < MSG_MAX; i++)
			big[i] = (uint8_t)(i * 31 + 7);
		CHECK_EQ_INT(transport_send(dealer, NULL, 0, big, MSG_MAX, &e),
			     0);
		CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
		CHECK_EQ_INT(f.len, MSG_MAX);
		CHECK(f.len == MSG_MAX && memcmp(f.data, big, MSG_MAX) == 0);
		transport_frame_release(&f);
		CHECK_EQ_INT(transport_send(router, rid, rid_len, big, MSG_MAX,
					    &e), 0);
		CHECK_EQ_INT(wait_frame(dealer, 0, &g, ANSWER_MS), 1);
		CHECK(g.len == MSG_MAX && memcmp(g.data, big, MSG_MAX) == 0);
		transport_frame_release(&g);
		free(big);
	}
	if (e.code)
		fprintf(stderr, "test_transport: %s\n", e.msg);

	/* After the DEALER goes, a send to its routing id fails (the
	 * ROUTER notices the disconnect asynchronously: poll for it). */
	transport_close(dealer);
	{
		int64_t deadline = now_ms() + ANSWER_MS;
		int rc, ready;

		do {
			rc = transport_send(router, rid, rid_len, "x", 1, NULL);
			if (rc == STOA_ENOTFOUND)
				break;
			transport_poll(&router, 1, NULL, 0, STEP_MS, &ready,
				       NULL);
		} while (now_ms() < deadline);
		CHECK_EQ_INT(rc, STOA_ENOTFOUND);
	}
}

/* (2) A member of another community dials the same ROUTER. */
static void test_other_community(void *ctx, void *router, const char *bound)
{
	struct community other;
	struct transport_keys t;
	struct transport_frame f;
	void *dealer = NULL;

	CHECK_EQ_INT(community_create(&other, "other club", NULL), 0);
	member(&t, &other);
	CHECK_EQ_INT(transport_dial(ctx, &t, bound, &dealer, NULL), 0);
	transport_keys_wipe(&t);
	community_wipe(&other);
	if (!dealer)
		return;
	CHECK_EQ_INT(transport_send(dealer, NULL, 0, "let me in", 9, NULL), 0);
	CHECK_EQ_INT(wait_frame(router, 1, &f, SILENT_MS), 0);
	CHECK_EQ_INT(transport_recv(dealer, 0, &f, NULL), 0);
	transport_close(dealer);
}

/* A raw zmq DEALER with the usual options but ours to misconfigure. */
static void *raw_dealer(void *ctx)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int zero = 0, ivl = 100;

	CHECK(s != NULL);
	if (s) {
		zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	}
	return s;
}

/* (3) A plain DEALER (NULL mechanism) gets nothing through. */
static void test_plain(void *ctx, void *router, const char *bound)
{
	struct transport_frame f;
	void *s = raw_dealer(ctx);
	int rc;

	if (!s)
		return;
	CHECK_EQ_INT(zmq_connect(s, bound), 0);
	/*
	 * The send may be refused locally (EAGAIN) when libzmq has already
	 * torn down the pipe after the failed handshake: either way what
	 * matters is that nothing reaches the ROUTER.
	 */
	rc = zmq_send(s, "plain", 5, ZMQ_DONTWAIT);
	CHECK(rc == 5 || (rc == -1 && zmq_errno() == EAGAIN));
	CHECK_EQ_INT(wait_frame(router, 1, &f, SILENT_MS), 0);
	zmq_close(s);
}

/*
 * (4) A frame over MSG_MAX from a DEALER holding the right CURVE keys but
 * no size limit of its own: libzmq on the ROUTER side drops the connection
 * before delivering anything. The same peer's next small frame arrives
 * after libzmq reconnects: the node lost one peer's connection, not itself.
 */
static void test_oversize(void *ctx, const struct transport_keys *t,
			  void *router, const char *bound)
{
	struct transport_frame f;
	void *s = raw_dealer(ctx);
	uint8_t *big;
	size_t n = (size_t)MSG_MAX + 1;

	if (!s)
		return;
	CHECK_EQ_INT(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, t->server_pk, 32),
		     0);
	CHECK_EQ_INT(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, t->client_pk, 32),
		     0);
	CHECK_EQ_INT(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, t->client_sk, 32),
		     0);
	CHECK_EQ_INT(zmq_connect(s, bound), 0);
	/* First prove the keys work, so the drop below is about size. */
	CHECK_EQ_INT(zmq_send(s, "small", 5, ZMQ_DONTWAIT), 5);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
	CHECK(frame_is(&f, "small"));
	transport_frame_release(&f);

	big = calloc(1, n);
	CHECK(big != NULL);
	if (big) {
		CHECK_EQ_INT(zmq_send(s, big, n, ZMQ_DONTWAIT), (int)n);
		CHECK_EQ_INT(wait_frame(router, 1, &f, SILENT_MS), 0);
		free(big);
	}
	CHECK_EQ_INT(zmq_send(s, "again", 5, ZMQ_DONTWAIT), 5);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
	CHECK(f.len == 5 && frame_is(&f, "again"));
	transport_frame_release(&f);
	zmq_close(s);
}

/* A multipart message (not stoa's) is discarded with STOA_EPROTO. */
static void test_multipart(void *ctx, const struct transport_keys *t,
			   void *router, const char *bound)
{
	struct transport_frame f;
	void *s = raw_dealer(ctx);

	if (!s)
		return;
	zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, t->server_pk, 32);
	zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, t->client_pk, 32);
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, t->client_sk, 32);
	CHECK_EQ_INT(zmq_connect(s, bound), 0);
	CHECK_EQ_INT(zmq_send(s, "a", 1, ZMQ_SNDMORE), 1);
	CHECK_EQ_INT(zmq_send(s, "b", 1, ZMQ_SNDMORE), 1);
	CHECK_EQ_INT(zmq_send(s, "c", 1, 0), 1);
	CHECK_EQ_INT(zmq_send(s, "one", 3, 0), 3);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), STOA_EPROTO);
	CHECK(f.rid_len > 0);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
	CHECK(frame_is(&f, "one"));
	transport_frame_release(&f);
	zmq_close(s);
}

/* transport_poll over a raw fd beside a socket. */
static void test_poll_fd(void *router)
{
	struct transport_pollfd pf[2];
	int p[2], sready = -1;

	CHECK_EQ_INT(pipe(p), 0);
	pf[0].fd = p[0], pf[0].events = POLLIN;
	pf[1].fd = p[1], pf[1].events = 0;
	CHECK_EQ_INT(transport_poll(&router, 1, pf, 2, 0, &sready, NULL), 0);
	CHECK_EQ_INT(sready, 0);
	CHECK_EQ_INT(pf[0].revents, 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_EQ_INT(transport_poll(&router, 1, pf, 2, 1000, &sready, NULL),
		     1);
	CHECK_EQ_INT(sready, 0);
	CHECK_EQ_INT(pf[0].revents, POLLIN);
	CHECK_EQ_INT(pf[1].revents, 0);
	/* a pipe's write end is writable at once, when asked */
	pf[1].events = POLLOUT;
	CHECK_EQ_INT(transport_poll(&router, 1, pf + 1, 1, 1000, &sready,
				    NULL), 1);
	CHECK_EQ_INT(pf[1].revents, POLLOUT);
	close(p[0]);
	close(p[1]);
}

/*
 * (5) A monitored DEALER that keeps failing to connect is let go (as the
 * daemon does with a peer found at a new address): its monitor must stop
 * before its reading end closes, or libzmq's I/O thread blocks for good
 * on the next event, and no connection of the context works any more.
 */
static void test_monitor_close(void *ctx, const struct transport_keys *t,
			       void *router, const char *bound)
{
	struct transport_frame f;
	void *dead = NULL, *mon = NULL, *dealer = NULL;
	int64_t end;
	int ready = 0, up = 9;

	CHECK_EQ_INT(transport_dial(ctx, t, "tcp://127.0.0.1:1", &dead, NULL), 0);
	CHECK_EQ_INT(transport_monitor(ctx, dead, &mon, NULL), 0);
	if (!dead || !mon)
		return;
	/* a failed attempt, then let go while more are coming */
	end = now_ms() + ANSWER_MS;
	while (up != -2 && now_ms() < end) {
		transport_poll(&mon, 1, NULL, 0, STEP_MS, &ready, NULL);
		while (transport_monitor_event(mon, &up, NULL) > 0 && up != -2)
			;
	}
	CHECK_EQ_INT(up, -2);
	transport_monitor_close(dead, mon);
	/* several reconnect intervals: each would be an event */
	transport_poll(NULL, 0, NULL, 0, 5 * TRANSPORT_RECONNECT_IVL, NULL, NULL);
	transport_close(dead);
	/* the context still connects and delivers */
	CHECK_EQ_INT(transport_dial(ctx, t, bound, &dealer, NULL), 0);
	if (!dealer)
		return;
	CHECK_EQ_INT(transport_send(dealer, NULL, 0, "still here", 10, NULL), 0);
	CHECK_EQ_INT(wait_frame(router, 1, &f, ANSWER_MS), 1);
	CHECK(frame_is(&f, "still here"));
	transport_frame_release(&f);
	transport_close(dealer);
}

int main(void)
{
	struct community c;
	struct transport_keys ta, tb;
	struct err e;
	char bound[TRANSPORT_ENDPOINT_MAX];
	void *ctx, *router = NULL;

	if (key_lib_init() != 0) {
		fprintf(stderr, "test_transport: cannot initialise libsodium\n");
		return 1;
	}
	if (!zmq_has("curve")) {
		fprintf(stderr, "test_transport: libzmq has no CURVE\n");
		return 1;
	}
	CHECK_EQ_INT(community_create(&c, "math club", NULL), 0);
	test_keys(&c);
	member(&ta, &c);
	member(&tb, &c);

	ctx = transport_ctx_new();
	CHECK(ctx != NULL);
	if (!ctx)
		return test_report("transport");
	err_clear(&e);
	CHECK_EQ_INT(transport_listen(ctx, &ta, "tcp://127.0.0.1:0", &router,
				      bound, sizeof(bound), &e), 0);
	if (!router) {
		fprintf(stderr, "test_transport: %s\n", e.msg);
		transport_ctx_free(ctx);
		return test_report("transport");
	}
	CHECK(strncmp(bound, "tcp://127.0.0.1:", 16) == 0);
	CHECK(strcmp(bound, "tcp://127.0.0.1:0") != 0);

	test_errors(ctx, &ta, router, bound);
	test_poll_fd(router);
	test_round_trip(ctx, &ta, &tb, router, bound);
	test_other_community(ctx, router, bound);
	test_plain(ctx, router, bound);
	test_oversize(ctx, &tb, router, bound);
	test_multipart(ctx, &tb, router, bound);
	test_monitor_close(ctx, &tb, router, bound);

	transport_close(router);
	transport_close(NULL);
	transport_ctx_free(ctx);
	transport_ctx_free(NULL);
	transport_keys_wipe(&ta);
	transport_keys_wipe(&tb);
	community_wipe(&c);
	return test_report("transport");
}
