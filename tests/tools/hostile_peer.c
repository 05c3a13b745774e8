/*
 * hostile_peer: a member of a community that misbehaves on the wire, for
 * tests/integration/t14-hostile.sh and t19/t20. It dials a node with the
 * keys of a member home (so it gets through CURVE and, when it wants,
 * HELLO), plays one kind of misbehaviour, then reads the node's replies
 * for a while. It prints on stdout, one line each: "error: TEXT" per
 * ERROR the node sent back, "sent: ..." saying what it did, "ready: ..."
 * once an attack that goes on is in place (the test measures the node
 * from then on), and last, in the modes from strip on, "summary: mode=M
 * key=N ..." with its counts: conns, sent (its frames), frames (the
 * node's), errors, dropped (ERRORs that say "dropped"), hellos (HELLOs
 * the node sent back: its sessions), ok/failed/closed (wrongkey's
 * handshakes: done, refused, connections closed before one). It links
 * the node's libraries and uses transport.c like a node, but for
 * wantflood it makes its sockets itself with <zmq.h> (a client no stoa
 * socket could be: see conn_dial_deaf).
 *
 *   hostile_peer --home DIR --endpoint E --mode MODE [--wait MS]
 *                [--count N] [--conns N] [--author KEY] [--as KEY]
 *
 * Modes (one connection unless said otherwise):
 *   garbage    a proper HELLO, then 5 frames of random bytes (never a
 *              stoa header)
 *   badhello   a HELLO whose auth is wrong
 *   truncated  a proper HELLO, then an ENTRIES frame of its own feed cut
 *              short
 *   forged     a proper HELLO (digest of zeros) and a FRONTIER announcing
 *              its own feed one entry beyond DIR's head; it answers the
 *              node's WANT with a run ending in that new entry, one bit of
 *              whose signature is flipped
 *   fork       the same, but the run it serves starts with a second,
 *              validly signed, different entry at DIR's head seq (the node
 *              already holds the real one): a fork
 *   errortext  a proper HELLO, then an ERROR whose text is made to attack
 *              the terminal of whoever reads the node's log: ESC
 *              sequences, BEL, CR, C1 controls (UTF-8 and raw 8-bit CSI),
 *              a right-to-left override, invalid UTF-8 (msg_put_error
 *              would clean it, so the frame is built by hand)
 *   strip      a proper HELLO, then an unsolicited ENTRIES run of the
 *              feed of --author (another member; DIR must hold it) from
 *              seq 1, --count entries (20), every payload length
 *              0xFFFFFFFF ("erased", no payload follows)
 *   forkflood  a proper HELLO, then --count (500) unsolicited runs of one
 *              entry each: a new, validly signed entry at its own seq 1
 *              (the node holds the real one) with a 30 KB payload, each
 *              different; a full queue is waited out
 *   replay     a proper HELLO, then its own feed's first run (the node
 *              holds it) sent --count (200) times
 *   forgedmiddle  as forged, but the run it serves answers the node's
 *              WANT from there to DIR's head (at least 2 entries the node
 *              lacks) with the payload of the entry in the middle
 *              replaced (header's length and hash made to match, its
 *              signature kept, so it no longer verifies): the next
 *              entry's prev is the real one's id, the last entry is
 *              the member's own, validly signed
 *   impersonate  a HELLO carrying the node id --as (another member), its
 *              auth right for that id (repl_hello_auth with the
 *              community's hello key), over DIR's own CURVE key
 *   slots      --conns (500) connections, each sending one PING before
 *              any HELLO, then kept open (reading) for --wait
 *   slots-hello  --conns (500) connections, each with a valid HELLO of
 *              DIR's member key, then kept open (reading) for --wait
 *   wantflood  --conns (8) connections, each a valid HELLO then --count
 *              (300) WANTs of --author's feed from seq 1, max 1000; it
 *              never reads what comes back (its sockets take one frame
 *              and a 4 KiB kernel buffer, so the answers queue up at the
 *              node), and keeps each connection alive for --wait with a
 *              PING every 500 ms (see conn_dial_deaf)
 *   hellostorm valid HELLOs on one connection as fast as the node
 *              answers them (8 unanswered at most, or one every 20 ms
 *              when it stops answering) for --wait, reading (and
 *              dropping) everything that comes back
 *   wrongkey   --conns (10) connections dialed with a random CURVE server
 *              key, each with a HELLO queued, kept for --wait while
 *              libzmq tries again every 100 ms; counts the handshakes
 *              that failed and any that succeeded
 * forged, fork and forgedmiddle need the node to hold the start of DIR's
 * feed (sync first); forgedmiddle needs DIR to hold 2 or more entries the
 * node lacks.
 *
 * --wait MS: how long it reads the node's replies after the attack (the
 * old modes stop 300 ms after the ERRORs they expect); for slots,
 * slots-hello, impersonate, wantflood and wrongkey how long the
 * connections are held, for hellostorm how long the storm lasts. SIGTERM
 * or SIGINT ends that time early (the summary is still printed).
 *
 * Exit 0 once it has played its part (whatever the node answered), 1 if
 * it could not (no home, no WANT came in forged/fork/forgedmiddle mode,
 * DIR lacks what the mode sends), 2 on usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <zmq.h>

#include "community.h"
#include "home.h"
#include "msg.h"
#include "repl.h"
#include "replica.h"
#include "store.h"
#include "transport.h"

#define WAIT_DEFAULT_MS 3000
#define READY_MS 5000          /* "ready" at the latest this long after
				* the attack frames went out */
#define FLOOD_PAYLOAD 30000    /* forkflood: bytes of each fork's body */
#define KEEPALIVE_MS 500       /* wantflood: a PING per connection */
#define CONNS_MAX 1000         /* libzmq's ZMQ_MAX_SOCKETS is 1023 */
#define SEND_WAIT_MS 5000      /* the old modes: a full queue waited out */
#define DEAF_SNDHWM 64         /* wantflood: WANTs queued per connection */
#define STORM_WINDOW 8         /* hellostorm: HELLOs unanswered at most */
#define STORM_STALL_MS 20      /* ... unless the node stopped answering */

enum mode {
	M_GARBAGE, M_BADHELLO, M_TRUNCATED, M_FORGED, M_FORK, M_ERRORTEXT,
	M_STRIP, M_FORKFLOOD, M_REPLAY, M_FORGEDMIDDLE, M_IMPERSONATE,
	M_SLOTS, M_SLOTS_HELLO, M_WANTFLOOD, M_HELLOSTORM, M_WRONGKEY,
};

static const struct {
	const char *name;
	enum mode mode;
	int count;   /* --count default */
	int conns;   /* --conns default */
} modes[] = {
	{ "garbage", M_GARBAGE, 0, 1 },
	{ "badhello", M_BADHELLO, 0, 1 },
	{ "truncated", M_TRUNCATED, 0, 1 },
	{ "forged", M_FORGED, 0, 1 },
	{ "fork", M_FORK, 0, 1 },
	{ "errortext", M_ERRORTEXT, 0, 1 },
	{ "strip", M_STRIP, 20, 1 },
	{ "forkflood", M_FORKFLOOD, 500, 1 },
	{ "replay", M_REPLAY, 200, 1 },
	{ "forgedmiddle", M_FORGEDMIDDLE, 0, 1 },
	{ "impersonate", M_IMPERSONATE, 0, 1 },
	{ "slots", M_SLOTS, 0, 500 },
	{ "slots-hello", M_SLOTS_HELLO, 0, 500 },
	{ "wantflood", M_WANTFLOOD, 300, 8 },
	{ "hellostorm", M_HELLOSTORM, 0, 1 },
	{ "wrongkey", M_WRONGKEY, 0, 10 },
};

/* One connection to the node and what came back on it. */
struct conn {
	void *sock;
	void *mon;          /* wrongkey: its monitor */
	unsigned frames;    /* frames the node sent */
	unsigned errors;
	unsigned dropped;   /* ERRORs that say "dropped" */
	unsigned hellos;
	unsigned sent;      /* frames sent (the attack's own count) */
};

struct tool {
	const char *name;
	enum mode mode;
	const char *endpoint;
	long wait_ms;
	long count;
	long conns;
	struct home h;
	struct transport_keys tk;
	uint8_t hello_key[32];          /* secret: wiped at the end */
	uint8_t auth[HASH_LEN];         /* HELLO auth of DIR's member */
	uint8_t author[KEY_PUBLIC_LEN]; /* --author, default DIR's member */
	uint8_t as[KEY_PUBLIC_LEN];     /* --as */
	int have_as;
	void *ctx;
	struct conn *c;
	long nconns;
	struct buf b;
	/* forged, fork, forgedmiddle: the WANT this is waiting for */
	int answered;
	void (*on_want)(struct tool *t, struct conn *c, const struct msg *m);
	/* handshakes seen by wrongkey's monitors */
	unsigned hs_ok, hs_failed, hs_closed;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static __attribute__((noreturn)) void die(const char *what, const struct err *e)
{
	fprintf(stderr, "hostile_peer: %s%s%s\n", what, e && e->msg[0] ? ": " : "",
		e ? e->msg : "");
	exit(1);
}

/* Sends len bytes of b, waiting out a full queue (libzmq queues only a
 * few frames before the handshake is done). */
static void send_buf(void *sock, struct buf *b, size_t len)
{
	uint64_t deadline = now_ms() + SEND_WAIT_MS;
	struct err e = { 0 };
	int rc;

	while ((rc = transport_send(sock, NULL, 0, b->data, len, &e)) ==
	       STOA_EBUSY && now_ms() < deadline)
		nap_ms(1);
	if (rc < 0)
		die("send", &e);
}

/* The entry at seq of author in s: its signed bytes decoded into en. */
static void read_entry(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t seq, struct entry *en)
{
	struct buf b;
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re;
	struct err e = { 0 };

	buf_init(&b, MSG_MAX);
	if (replica_read_run(s, &b, author, seq, 1, &e) < 0 ||
	    msg_decode(&m, b.data, b.len, &e) < 0)
		die("read own entry", &e);
	msg_run_iter_init(&it, &m);
	if (!msg_run_next(&it, &re))
		die("own entry missing", NULL);
	if (entry_decode(en, re.signed_bytes, ENTRY_SIGNED_LEN, &e) < 0)
		die("decode own entry", &e);
	buf_release(&b);
}

struct bad_run {
	/* fork: a second version of entry `head` then `head + 1` chained on
	 * it; forged: `head + 1` with a flipped signature bit. */
	struct entry en[2];
	char payload[2][128];
	size_t plen[2];
	int n;
	uint64_t first;
};

static void make_entry(struct bad_run *r, int i, const struct key *k,
		       uint64_t seq, const uint8_t *prev, const char *body)
{
	struct err e = { 0 };

	r->plen[i] = (size_t)snprintf(r->payload[i], sizeof(r->payload[i]),
				      "{\"body\":\"%s\",\"topic\":\"general\"}",
				      body);
	if (entry_create(&r->en[i], k, ENTRY_KIND_POST, seq, prev,
			 (uint64_t)time(NULL) * 1000u + (uint64_t)i,
			 r->payload[i], r->plen[i], &e) < 0)
		die("entry_create", &e);
}

/* Re-derives the id after the signature bytes changed. */
static void flip_sig_bit(struct entry *en)
{
	en->signed_bytes[ENTRY_SIG_OFFSET + 17] ^= 0x04;
	en->sig[17] ^= 0x04;
	hash_blake2b(en->id, en->signed_bytes, ENTRY_SIGNED_LEN);
}

static void build_bad_run(struct bad_run *r, struct home *h, int fork,
			  uint64_t head)
{
	struct entry held;

	memset(r, 0, sizeof(*r));
	if (fork) {
		const uint8_t *prev = NULL;
		struct entry before;

		if (head == 0)
			die("fork: the home's feed is empty", NULL);
		if (head > 1) {
			read_entry(h->store, h->key.pk, head - 1, &before);
			prev = before.id;
		}
		make_entry(r, 0, &h->key, head, prev, "the other side of a fork");
		make_entry(r, 1, &h->key, head + 1, r->en[0].id,
			   "built on the fork");
		r->n = 2;
		r->first = head;
	} else {
		read_entry(h->store, h->key.pk, head, &held);
		make_entry(r, 0, &h->key, head + 1, held.id, "forged");
		flip_sig_bit(&r->en[0]);
		r->n = 1;
		r->first = head + 1;
	}
}

/* An ENTRIES frame of the bad run, with the held entries from `from` up
 * to the run's first in front of it (what the node asked for). */
static void send_bad_run(void *sock, struct home *h, const struct bad_run *r,
			 uint64_t from)
{
	struct buf b, held;
	struct err e = { 0 };
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re;
	uint64_t first = from < r->first ? from : r->first;
	int i;

	buf_init(&b, MSG_MAX);
	buf_init(&held, MSG_MAX);
	if (msg_entries_begin(&b, h->key.pk, first) < 0)
		die("entries_begin", NULL);
	if (first < r->first) {
		if (replica_read_run(h->store, &held, h->key.pk, first,
				   (uint32_t)(r->first - first), &e) < 0 ||
		    msg_decode(&m, held.data, held.len, &e) < 0)
			die("read own run", &e);
		msg_run_iter_init(&it, &m);
		while (msg_run_next(&it, &re))
			if (msg_entries_add(&b, re.signed_bytes, re.payload,
					    re.plen) < 0)
				die("entries_add", NULL);
	}
	for (i = 0; i < r->n; i++)
		if (msg_entries_add(&b, r->en[i].signed_bytes, r->payload[i],
				    (uint32_t)r->plen[i]) < 0)
			die("entries_add", NULL);
	msg_entries_end(&b);
	send_buf(sock, &b, b.len);
	buf_release(&b);
	buf_release(&held);
}

/* ---- connections and what comes back ------------------------------- */

static void conn_dial(struct tool *t, struct conn *c,
		      const struct transport_keys *tk, int monitor)
{
	struct err e = { 0 };

	memset(c, 0, sizeof(*c));
	if (transport_dial(t->ctx, tk, t->endpoint, &c->sock, &e) < 0)
		die("dial", &e);
	if (monitor && transport_monitor(t->ctx, c->sock, &c->mon, &e) < 0)
		die("monitor", &e);
}

/* Reads every frame waiting on c; ERRORs are printed. */
static void conn_read(struct tool *t, struct conn *c)
{
	struct transport_frame f;
	struct msg m;
	struct err e = { 0 };
	int rc;

	while ((rc = transport_recv(c->sock, 0, &f, &e)) == 1) {
		c->frames++;
		if (msg_decode(&m, f.data, f.len, NULL) == 0) {
			if (m.type == MSG_ERROR) {
				printf("error: %s\n", m.u.error.text);
				fflush(stdout);
				c->errors++;
				if (strstr(m.u.error.text, "dropped"))
					c->dropped++;
			} else if (m.type == MSG_HELLO) {
				c->hellos++;
			} else if (m.type == MSG_WANT && t->on_want &&
				   !t->answered) {
				t->on_want(t, c, &m);
			}
		}
		transport_frame_release(&f);
	}
	if (rc < 0)
		die("recv", &e);
}

/*
 * wantflood's connection: a DEALER like transport_dial's, but a client
 * that does not read at all. Its receive queue holds one frame and its
 * kernel buffer is small, so what the node sends stays queued at the
 * node; it sends no heartbeats of its own (with its input stopped it
 * would never see the node's answers and would time the connection
 * out), and the node's heartbeat timeout is reset by each PING it
 * sends, so the node keeps the connection.
 * This is the one place a stoa tool sets libzmq options itself: no
 * stoa socket is configured this way, which is the point.
 */
static void conn_dial_deaf(struct tool *t, struct conn *c)
{
	int64_t max = (int64_t)MSG_MAX + TRANSPORT_CURVE_OVERHEAD;
	int zero = 0, one = 1, small = 4096, hwm = DEAF_SNDHWM;

	memset(c, 0, sizeof(*c));
	c->sock = zmq_socket(t->ctx, ZMQ_DEALER);
	if (!c->sock ||
	    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_RCVHWM, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_RCVBUF, &small, sizeof(small)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_HEARTBEAT_IVL, &zero,
			   sizeof(zero)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, t->tk.server_pk,
			   TRANSPORT_KEY_LEN) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, t->tk.client_pk,
			   TRANSPORT_KEY_LEN) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, t->tk.client_sk,
			   TRANSPORT_KEY_LEN) != 0 ||
	    zmq_connect(c->sock, t->endpoint) != 0) {
		fprintf(stderr, "hostile_peer: deaf dial: %s\n",
			zmq_strerror(zmq_errno()));
		exit(1);
	}
}

/* Handshake events of a wrongkey connection. */
static void conn_events(struct tool *t, struct conn *c)
{
	int up, rc;

	while ((rc = transport_monitor_event(c->mon, &up, NULL)) > 0) {
		if (up == 1)
			t->hs_ok++;
		else if (up == -1)
			t->hs_failed++;
		else if (up == 0)
			t->hs_closed++;
	}
}

/*
 * Waits up to ms for anything on the connections (all of them, or
 * monitors too), reading it unless read is 0. Returns early on a signal.
 */
static void poll_conns(struct tool *t, long ms, int read)
{
	void **socks;
	int *ready, n = 0, i, per = 1 + (t->mode == M_WRONGKEY);
	struct err e = { 0 };

	if (!read) {
		if (ms > 0)
			transport_poll(NULL, 0, NULL, 0, (int)ms, NULL, NULL);
		return;
	}
	socks = calloc((size_t)(t->nconns * per), sizeof(*socks));
	ready = calloc((size_t)(t->nconns * per), sizeof(*ready));
	if (!socks || !ready)
		die("out of memory", NULL);
	for (i = 0; i < t->nconns; i++) {
		socks[n++] = t->c[i].sock;
		if (per == 2)
			socks[n++] = t->c[i].mon;
	}
	if (transport_poll(socks, n, NULL, 0, (int)(ms < 0 ? 0 : ms), ready,
			   &e) < 0)
		die("poll", &e);
	for (i = 0; i < n; i++) {
		struct conn *c = &t->c[i / per];

		if (!ready[i])
			continue;
		if (per == 2 && i % 2)
			conn_events(t, c);
		else
			conn_read(t, c);
	}
	free(socks);
	free(ready);
}

/* Reads (or, with read 0, just waits) until ms have passed or a signal. */
static void hold(struct tool *t, long ms, int read)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (!stopping && now_ms() < end) {
		uint64_t left = end - now_ms();

		poll_conns(t, left > 200 ? 200 : (long)left, read);
	}
}

/*
 * Sends the frame in b on c, waiting out a full queue (reading the
 * node's replies meanwhile unless read is 0). 0, or -1 when a signal
 * came or the queue stayed full for --wait.
 */
static int conn_send(struct tool *t, struct conn *c, const struct buf *b,
		     int read)
{
	uint64_t deadline = now_ms() + (uint64_t)t->wait_ms;
	struct err e = { 0 };
	int rc;

	while ((rc = transport_send(c->sock, NULL, 0, b->data, b->len, &e)) ==
	       STOA_EBUSY) {
		if (stopping || now_ms() >= deadline)
			return -1;
		if (read)
			conn_read(t, c);
		nap_ms(1);
	}
	if (rc < 0)
		die("send", &e);
	c->sent++;
	return 0;
}

static void put_hello(struct tool *t, const uint8_t node[KEY_PUBLIC_LEN],
		      const uint8_t auth[HASH_LEN])
{
	static const uint8_t zeros[HASH_LEN];

	buf_reset(&t->b);
	if (msg_put_hello(&t->b, node, auth, zeros, 0, 0) < 0)
		die("hello", NULL);
}

static void summary(struct tool *t)
{
	unsigned frames = 0, errors = 0, dropped = 0, hellos = 0, sent = 0;
	long i;

	for (i = 0; i < t->nconns; i++) {
		frames += t->c[i].frames;
		errors += t->c[i].errors;
		dropped += t->c[i].dropped;
		hellos += t->c[i].hellos;
		sent += t->c[i].sent;
	}
	printf("summary: mode=%s conns=%ld sent=%u frames=%u errors=%u "
	       "dropped=%u hellos=%u ok=%u failed=%u closed=%u\n", t->name,
	       t->nconns, sent, frames, errors, dropped, hellos, t->hs_ok,
	       t->hs_failed, t->hs_closed);
	fflush(stdout);
}

static unsigned answered_conns(const struct tool *t)
{
	unsigned n = 0;
	long i;

	for (i = 0; i < t->nconns; i++)
		n += t->c[i].frames > 0;
	return n;
}

/* ---- the modes t14 plays ------------------------------------------- */

static struct bad_run bad;

static void want_bad_run(struct tool *t, struct conn *c, const struct msg *m)
{
	if (memcmp(m->u.want.author, t->h.key.pk, KEY_PUBLIC_LEN) != 0)
		return;
	send_bad_run(c->sock, &t->h, &bad, m->u.want.from);
	t->answered = 1;
}

/* garbage .. errortext, as t14 has always run them. */
static int play_classic(struct tool *t)
{
	struct conn *c = &t->c[0];
	uint8_t zeros[HASH_LEN] = { 0 };
	uint64_t head = 0, deadline, linger_until = 0;
	unsigned expect_errors = 0;
	struct err e = { 0 };

	if (store_head(t->h.store, t->h.key.pk, &head, NULL, &e) < 0)
		die("store_head", &e);
	switch (t->mode) {
	case M_GARBAGE: {
		int i;

		/* in session first: a node answers anything else before a
		 * HELLO with one ERROR and no session (no strikes to count) */
		expect_errors = REPL_STRIKES_MAX;
		put_hello(t, t->h.key.pk, t->auth);
		send_buf(c->sock, &t->b, t->b.len);
		for (i = 0; i < 5; i++) {
			uint8_t junk[200];
			size_t len = 1 + (size_t)(rand() % (int)sizeof(junk));

			random_bytes(junk, len);
			if (junk[0] == MSG_MAGIC0)
				junk[0] ^= 0xff;
			buf_reset(&t->b);
			buf_append(&t->b, junk, len);
			send_buf(c->sock, &t->b, t->b.len);
		}
		break;
	}
	case M_BADHELLO: {
		uint8_t auth[HASH_LEN];

		memcpy(auth, t->auth, HASH_LEN);
		auth[5] ^= 0x01;
		buf_reset(&t->b);
		if (msg_put_hello(&t->b, t->h.key.pk, auth, zeros, 1, 0) < 0)
			die("hello", NULL);
		send_buf(c->sock, &t->b, t->b.len);
		break;
	}
	case M_TRUNCATED: {
		struct buf run_frame;

		expect_errors = 1;
		put_hello(t, t->h.key.pk, t->auth);
		send_buf(c->sock, &t->b, t->b.len);
		buf_init(&run_frame, MSG_MAX);
		if (replica_read_run(t->h.store, &run_frame, t->h.key.pk, 1, 5,
				   &e) < 0)
			die("read own run", &e);
		if (run_frame.len < 60)
			die("own feed is empty", NULL);
		/* cut in the middle of the last entry */
		send_buf(c->sock, &run_frame, run_frame.len - 40);
		buf_release(&run_frame);
		break;
	}
	case M_ERRORTEXT: {
		static const char text[] =
			"HOSTILE\x1b[2J\x1b]0;title\x07\rcr\xc2\x9b" "31m"
			"\x9b" "1m\xe2\x80\xaerlo\xff\xfe end";
		uint8_t hdr[8] = { MSG_MAGIC0, MSG_MAGIC1, MSG_VERSION,
				   MSG_ERROR, 0, 5, 0, sizeof(text) - 1 };

		put_hello(t, t->h.key.pk, t->auth);
		send_buf(c->sock, &t->b, t->b.len);
		buf_reset(&t->b);
		buf_append(&t->b, hdr, sizeof(hdr));
		buf_append(&t->b, text, sizeof(text) - 1);
		send_buf(c->sock, &t->b, t->b.len);
		break;
	}
	case M_FORGED:
	case M_FORK: {
		struct msg_head fh;

		expect_errors = 1;
		build_bad_run(&bad, &t->h, t->mode == M_FORK, head);
		t->on_want = want_bad_run;
		buf_reset(&t->b);
		if (msg_put_hello(&t->b, t->h.key.pk, t->auth, zeros, 1, 0) < 0)
			die("hello", NULL);
		send_buf(c->sock, &t->b, t->b.len);
		memcpy(fh.author, t->h.key.pk, KEY_PUBLIC_LEN);
		fh.seq = bad.en[bad.n - 1].seq;
		memcpy(fh.id, bad.en[bad.n - 1].id, ENTRY_ID_LEN);
		buf_reset(&t->b);
		if (msg_put_frontier(&t->b, 0, &fh, 1) < 0)
			die("frontier", NULL);
		send_buf(c->sock, &t->b, t->b.len);
		break;
	}
	default:
		die("not a classic mode", NULL);
	}

	/* Read what the node says back for a while. */
	deadline = now_ms() + (uint64_t)t->wait_ms;
	while (!stopping) {
		uint64_t tm = now_ms(), end = deadline;

		if (linger_until && linger_until < end)
			end = linger_until;
		if (tm >= end)
			break;
		poll_conns(t, (long)(end - tm), 1);
		/* what was expected came: a little longer for any more */
		if (expect_errors && c->errors >= expect_errors && !linger_until)
			linger_until = now_ms() + 300;
	}
	if ((t->mode == M_FORGED || t->mode == M_FORK) && !t->answered) {
		fprintf(stderr, "hostile_peer: the node never sent a WANT\n");
		return 1;
	}
	return 0;
}

/* ---- the members' attacks (t19, t20) ------------------------------- */

/* The run of author in DIR's store from seq `from`, at most max
 * entries, decoded into m (which borrows frame). */
static void read_run(struct tool *t, struct buf *frame,
		     const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
		     uint32_t max, struct msg *m)
{
	struct err e = { 0 };

	buf_init(frame, MSG_MAX);
	if (replica_read_run(t->h.store, frame, author, from, max, &e) < 0 ||
	    msg_decode(m, frame->data, frame->len, &e) < 0)
		die("read a run from DIR", &e);
}

/* Reads replies for --wait, or until the node says the peer is dropped
 * and a little more. */
static void read_for_wait(struct tool *t)
{
	uint64_t end = now_ms() + (uint64_t)t->wait_ms, linger = 0;

	while (!stopping && now_ms() < end && (!linger || now_ms() < linger)) {
		poll_conns(t, 100, 1);
		if (!linger && t->c[0].dropped)
			linger = now_ms() + 300;
	}
}

static int play_strip(struct tool *t)
{
	struct conn *c = &t->c[0];
	struct buf frame;
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re;
	char hex[2 * KEY_PUBLIC_LEN + 1];

	read_run(t, &frame, t->author, 1, (uint32_t)t->count, &m);
	if (m.u.entries.count < t->count) {
		fprintf(stderr, "hostile_peer: DIR holds %u entries of that "
			"feed, not %ld\n", m.u.entries.count, t->count);
		return 1;
	}
	put_hello(t, t->h.key.pk, t->auth);
	conn_send(t, c, &t->b, 1);
	buf_reset(&t->b);
	if (msg_entries_begin(&t->b, t->author, 1) < 0)
		die("entries_begin", NULL);
	msg_run_iter_init(&it, &m);
	while (msg_run_next(&it, &re))
		if (msg_entries_add(&t->b, re.signed_bytes, NULL, 0) < 0)
			die("entries_add", NULL);
	msg_entries_end(&t->b);
	conn_send(t, c, &t->b, 1);
	hex_encode(hex, t->author, KEY_PUBLIC_LEN);
	printf("sent: run of %u entries of %.8s from 1, every payload "
	       "erased\n", m.u.entries.count, hex);
	fflush(stdout);
	buf_release(&frame);
	read_for_wait(t);
	return 0;
}

static int play_forkflood(struct tool *t)
{
	struct conn *c = &t->c[0];
	char *payload;
	size_t plen = 0;
	long i;
	struct err e = { 0 };

	put_hello(t, t->h.key.pk, t->auth);
	conn_send(t, c, &t->b, 1);
	payload = malloc(FLOOD_PAYLOAD + 128);
	if (!payload)
		die("out of memory", NULL);
	for (i = 0; i < t->count && !stopping; i++) {
		struct entry en;
		int n = snprintf(payload, 128, "{\"topic\":\"general\",\"body\":"
				 "\"fork %ld ", i);

		/* a body of its own each time: a different entry */
		memset(payload + n, 'a' + (int)(i % 26), FLOOD_PAYLOAD);
		plen = (size_t)n + FLOOD_PAYLOAD;
		plen += (size_t)snprintf(payload + plen, 8, "\"}");
		if (entry_create(&en, &t->h.key, ENTRY_KIND_POST, 1, NULL,
				 (uint64_t)time(NULL) * 1000u + (uint64_t)i,
				 payload, plen, &e) < 0)
			die("entry_create", &e);
		buf_reset(&t->b);
		if (msg_entries_begin(&t->b, t->h.key.pk, 1) < 0 ||
		    msg_entries_add(&t->b, en.signed_bytes, payload,
				    (uint32_t)plen) < 0)
			die("entries_add", NULL);
		msg_entries_end(&t->b);
		if (conn_send(t, c, &t->b, 1) < 0)
			break;
		conn_read(t, c);
	}
	free(payload);
	printf("sent: %u forks of seq 1 of %u bytes each\n", c->sent - 1,
	       (unsigned)plen);
	fflush(stdout);
	read_for_wait(t);
	return 0;
}

static int play_replay(struct tool *t)
{
	struct conn *c = &t->c[0];
	struct buf frame;
	struct msg m;
	long i;

	read_run(t, &frame, t->h.key.pk, 1, MSG_RUN_MAX, &m);
	if (m.u.entries.count == 0) {
		fprintf(stderr, "hostile_peer: DIR's own feed is empty\n");
		return 1;
	}
	put_hello(t, t->h.key.pk, t->auth);
	conn_send(t, c, &t->b, 1);
	for (i = 0; i < t->count && !stopping; i++) {
		if (conn_send(t, c, &frame, 1) < 0)
			break;
		conn_read(t, c);
	}
	printf("sent: the run of %u entries from 1, %u times\n",
	       m.u.entries.count, c->sent - 1);
	fflush(stdout);
	buf_release(&frame);
	read_for_wait(t);
	return 0;
}

/*
 * forgedmiddle's answer to the node's WANT: DIR's feed from the seq
 * asked to its head, the entry in the middle given another payload
 * (header length and hash made to match, id recomputed, signature left
 * as it was: it no longer verifies). The entry after it keeps its prev,
 * the real entry's id, so the chain breaks there; the last entry is the
 * member's own, validly signed.
 */
static void want_forged_middle(struct tool *t, struct conn *c,
			       const struct msg *m)
{
	static const char forged[] =
		"{\"body\":\"a forged middle entry\",\"topic\":\"general\"}";
	struct buf frame, out;
	struct msg run;
	struct msg_run_iter it;
	struct msg_run_entry re;
	uint64_t head = 0, from = m->u.want.from, mid, seq;
	struct err e = { 0 };

	if (memcmp(m->u.want.author, t->h.key.pk, KEY_PUBLIC_LEN) != 0)
		return;
	if (store_head(t->h.store, t->h.key.pk, &head, NULL, &e) < 0)
		die("store_head", &e);
	if (head < from + 1) {
		fprintf(stderr, "hostile_peer: the node asks from %" PRIu64
			" and DIR's head is %" PRIu64 ": no middle to forge\n",
			from, head);
		exit(1);
	}
	mid = from + (head - from) / 2; /* < head */
	read_run(t, &frame, t->h.key.pk, from, (uint32_t)(head - from + 1),
		 &run);
	buf_init(&out, MSG_MAX);
	if (msg_entries_begin(&out, t->h.key.pk, from) < 0)
		die("entries_begin", NULL);
	msg_run_iter_init(&it, &run);
	for (seq = from; msg_run_next(&it, &re); seq++) {
		uint8_t sb[ENTRY_SIGNED_LEN];

		if (seq != mid) {
			if (msg_entries_add(&out, re.signed_bytes, re.payload,
					    re.plen) < 0)
				die("entries_add", NULL);
			continue;
		}
		memcpy(sb, re.signed_bytes, ENTRY_SIGNED_LEN);
		be_put32(sb + 86, (uint32_t)(sizeof(forged) - 1));
		hash_blake2b(sb + 90, forged, sizeof(forged) - 1);
		if (msg_entries_add(&out, sb, forged,
				    (uint32_t)(sizeof(forged) - 1)) < 0)
			die("entries_add", NULL);
	}
	msg_entries_end(&out);
	buf_reset(&t->b);
	if (buf_append(&t->b, out.data, out.len) < 0)
		die("out of memory", NULL);
	conn_send(t, c, &t->b, 0);
	printf("sent: run %" PRIu64 "..%" PRIu64 " with entry %" PRIu64
	       " forged\n", from, head, mid);
	fflush(stdout);
	buf_release(&out);
	buf_release(&frame);
	t->answered = 1;
}

static int play_forgedmiddle(struct tool *t)
{
	struct conn *c = &t->c[0];
	struct msg_head fh;
	struct entry head_en;
	uint64_t head = 0;
	struct err e = { 0 };

	if (store_head(t->h.store, t->h.key.pk, &head, NULL, &e) < 0)
		die("store_head", &e);
	if (head < 2)
		die("forgedmiddle: DIR's feed has fewer than 2 entries", NULL);
	read_entry(t->h.store, t->h.key.pk, head, &head_en);
	t->on_want = want_forged_middle;
	put_hello(t, t->h.key.pk, t->auth);
	conn_send(t, c, &t->b, 1);
	memcpy(fh.author, t->h.key.pk, KEY_PUBLIC_LEN);
	fh.seq = head;
	memcpy(fh.id, head_en.id, ENTRY_ID_LEN);
	buf_reset(&t->b);
	if (msg_put_frontier(&t->b, 0, &fh, 1) < 0)
		die("frontier", NULL);
	conn_send(t, c, &t->b, 1);
	/* read until the WANT is answered and the verdict is in */
	{
		uint64_t end = now_ms() + (uint64_t)t->wait_ms, linger = 0;

		while (!stopping && now_ms() < end &&
		       (!linger || now_ms() < linger)) {
			poll_conns(t, 100, 1);
			if (t->answered && !linger)
				linger = now_ms() + 1000;
			if (t->answered && c->errors && linger > now_ms() + 300)
				linger = now_ms() + 300;
		}
	}
	if (!t->answered) {
		fprintf(stderr, "hostile_peer: the node never sent a WANT\n");
		return 1;
	}
	return 0;
}

static int play_impersonate(struct tool *t)
{
	struct conn *c = &t->c[0];
	uint8_t auth[HASH_LEN];
	char hex[2 * KEY_PUBLIC_LEN + 1];
	uint64_t end;
	int ready = 0;

	if (!t->have_as)
		die("impersonate needs --as KEY", NULL);
	repl_hello_auth(t->hello_key, t->as, auth);
	put_hello(t, t->as, auth);
	conn_send(t, c, &t->b, 1);
	hex_encode(hex, t->as, KEY_PUBLIC_LEN);
	printf("sent: hello as %.8s over our own CURVE key\n", hex);
	fflush(stdout);
	end = now_ms() + (uint64_t)t->wait_ms;
	while (!stopping && now_ms() < end) {
		poll_conns(t, 100, 1);
		if (!ready && c->frames) {
			printf("ready: answered hellos=%u errors=%u\n", c->hellos,
			       c->errors);
			fflush(stdout);
			ready = 1;
		}
	}
	return 0;
}

/* slots, slots-hello: many connections, one frame each, then held. */
static int play_slots(struct tool *t)
{
	uint64_t ready_at, end;
	long i;
	int ready = 0;

	for (i = 0; i < t->nconns; i++)
		conn_dial(t, &t->c[i], &t->tk, 0);
	if (t->mode == M_SLOTS) {
		buf_reset(&t->b);
		if (msg_put_ping(&t->b) < 0)
			die("ping", NULL);
	} else {
		put_hello(t, t->h.key.pk, t->auth);
	}
	for (i = 0; i < t->nconns && !stopping; i++)
		conn_send(t, &t->c[i], &t->b, 1);
	printf("sent: %ld connections, one %s each\n", t->nconns,
	       t->mode == M_SLOTS ? "ping before any hello" : "valid hello");
	fflush(stdout);
	ready_at = now_ms() + READY_MS;
	end = now_ms() + (uint64_t)t->wait_ms;
	while (!stopping && now_ms() < end) {
		poll_conns(t, 100, 1);
		if (!ready && (answered_conns(t) == (unsigned)t->nconns ||
			       now_ms() >= ready_at)) {
			printf("ready: conns=%ld answered=%u\n", t->nconns,
			       answered_conns(t));
			fflush(stdout);
			ready = 1;
		}
	}
	return 0;
}

/*
 * The WANTs go out round robin, each connection's as its queue takes
 * them, so every connection has its share early on and one the node
 * stopped reading does not hold up the others; "ready" once all are out
 * or READY_MS have passed (a node may stop reading a peer that does not
 * read). Then the connections are held for the rest of --wait.
 */
static int play_wantflood(struct tool *t)
{
	uint64_t start = now_ms(), end = start + (uint64_t)t->wait_ms;
	uint64_t next_ping = start;
	long *left, i, pending;
	unsigned wants = 0;
	int ready = 0;
	struct buf ping;

	left = calloc((size_t)t->nconns, sizeof(*left));
	if (!left)
		die("out of memory", NULL);
	for (i = 0; i < t->nconns; i++)
		conn_dial_deaf(t, &t->c[i]);
	put_hello(t, t->h.key.pk, t->auth);
	for (i = 0; i < t->nconns; i++)
		conn_send(t, &t->c[i], &t->b, 0);
	buf_reset(&t->b);
	if (msg_put_want(&t->b, t->author, 1, MSG_RUN_MAX) < 0)
		die("want", NULL);
	buf_init(&ping, 16);
	if (msg_put_ping(&ping) < 0)
		die("ping", NULL);
	for (i = 0; i < t->nconns; i++)
		left[i] = t->count;
	pending = t->nconns * t->count;
	while (!stopping && now_ms() < end) {
		int moved = 0;

		for (i = 0; i < t->nconns && pending > 0; i++) {
			if (!left[i] || transport_send(t->c[i].sock, NULL, 0,
						       t->b.data, t->b.len,
						       NULL) < 0)
				continue;
			left[i]--;
			pending--;
			t->c[i].sent++;
			wants++;
			moved = 1;
		}
		if (!ready && (!pending || now_ms() - start >= READY_MS)) {
			printf("sent: %ld connections, %u wants of a feed from "
			       "seq 1, never read\n", t->nconns, wants);
			printf("ready: conns=%ld wants=%u\n", t->nconns, wants);
			fflush(stdout);
			ready = 1;
		}
		if (now_ms() >= next_ping) {
			for (i = 0; i < t->nconns; i++)
				transport_send(t->c[i].sock, NULL, 0, ping.data,
					       ping.len, NULL);
			next_ping = now_ms() + KEEPALIVE_MS;
		}
		if (!moved)
			poll_conns(t, pending ? 1 : 100, 0);
	}
	printf("sent: %u wants in all\n", wants);
	fflush(stdout);
	buf_release(&ping);
	free(left);
	return 0;
}

/*
 * As fast as the node answers: up to STORM_WINDOW HELLOs unanswered (each
 * one makes the node start over and send its HELLO and frontier), one
 * more every STORM_STALL_MS when the node stops answering; everything
 * that comes back is read, so the node's queue never fills.
 */
static int play_hellostorm(struct tool *t)
{
	struct conn *c = &t->c[0];
	uint64_t end = now_ms() + (uint64_t)t->wait_ms, last = 0;
	int ready = 0;

	put_hello(t, t->h.key.pk, t->auth);
	while (!stopping && now_ms() < end) {
		struct err e = { 0 };
		int rc;

		conn_read(t, c);
		if (c->sent >= c->hellos + STORM_WINDOW &&
		    now_ms() - last < STORM_STALL_MS) {
			poll_conns(t, 1, 1);
			continue;
		}
		rc = transport_send(c->sock, NULL, 0, t->b.data, t->b.len, &e);
		if (rc == 0) {
			c->sent++;
			last = now_ms();
		} else if (rc == STOA_EBUSY) {
			poll_conns(t, 1, 1);
		} else {
			die("send", &e);
		}
		if (!ready && c->sent >= 100) {
			printf("ready: hellos=%u\n", c->sent);
			fflush(stdout);
			ready = 1;
		}
	}
	printf("sent: %u hellos\n", c->sent);
	fflush(stdout);
	hold(t, 300, 1);
	return 0;
}

static int play_wrongkey(struct tool *t)
{
	struct transport_keys wrong = t->tk;
	long i;

	random_bytes(wrong.server_pk, sizeof(wrong.server_pk));
	for (i = 0; i < t->nconns; i++)
		conn_dial(t, &t->c[i], &wrong, 1);
	put_hello(t, t->h.key.pk, t->auth);
	for (i = 0; i < t->nconns; i++)
		conn_send(t, &t->c[i], &t->b, 0);
	transport_keys_wipe(&wrong);
	printf("sent: %ld connections with a wrong server key\n", t->nconns);
	printf("ready: conns=%ld\n", t->nconns);
	fflush(stdout);
	hold(t, t->wait_ms, 1);
	return 0;
}

/* ---- main ---------------------------------------------------------- */

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr, "usage: hostile_peer --home DIR --endpoint E --mode "
		"MODE [--wait MS] [--count N] [--conns N] [--author KEY] "
		"[--as KEY]\n  modes: garbage badhello truncated forged fork "
		"errortext strip forkflood replay forgedmiddle impersonate "
		"slots slots-hello wantflood hellostorm wrongkey\n");
	exit(2);
}

static long number(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		usage();
	return v;
}

static void key_arg(const char *s, uint8_t out[KEY_PUBLIC_LEN])
{
	if (strlen(s) != 2 * KEY_PUBLIC_LEN ||
	    hex_decode(out, KEY_PUBLIC_LEN, s) < 0)
		usage();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'm' },
		{ "wait", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "conns", required_argument, NULL, 'c' },
		{ "author", required_argument, NULL, 'a' },
		{ "as", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool t;
	struct sigaction sa;
	struct rlimit rl;
	const char *dir = NULL, *mode = NULL, *author = NULL;
	struct err e = { 0 };
	long count = -1, conns = -1, i;
	size_t k;
	int opt, rc = 1;

	memset(&t, 0, sizeof(t));
	t.wait_ms = WAIT_DEFAULT_MS;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'H': dir = optarg; break;
		case 'e': t.endpoint = optarg; break;
		case 'm': mode = optarg; break;
		case 'w': t.wait_ms = number(optarg, 1, 3600000); break;
		case 'n': count = number(optarg, 1, 1000000); break;
		case 'c': conns = number(optarg, 1, CONNS_MAX); break;
		case 'a': author = optarg; break;
		case 's': key_arg(optarg, t.as); t.have_as = 1; break;
		default: usage();
		}
	}
	if (!dir || !t.endpoint || !mode || optind != argc)
		usage();
	for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
		if (!strcmp(mode, modes[k].name))
			break;
	if (k == sizeof(modes) / sizeof(modes[0]))
		usage();
	t.name = modes[k].name;
	t.mode = modes[k].mode;
	t.count = count > 0 ? count : modes[k].count;
	t.conns = conns > 0 ? conns : modes[k].conns;
	if (t.mode == M_STRIP && t.count > MSG_RUN_MAX)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* 500 connections are 1000 descriptors or so (a socket and its
	 * mailbox each): up to the hard limit, whatever the shell's soft one */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (key_lib_init() < 0)
		die("libsodium", NULL);
	if (home_open(&t.h, dir, &e) < 0)
		die("home_open", &e);
	memcpy(t.author, t.h.key.pk, KEY_PUBLIC_LEN);
	if (author)
		key_arg(author, t.author);
	if (transport_keys_init(&t.tk, &t.h.key, &t.h.community, &e) < 0)
		die("keys", &e);
	community_derive(&t.h.community, COMMUNITY_KEY_HELLO, t.hello_key);
	repl_hello_auth(t.hello_key, t.h.key.pk, t.auth);
	if (!(t.ctx = transport_ctx_new()))
		die("zmq context", NULL);
	buf_init(&t.b, MSG_MAX);
	t.nconns = t.conns;
	t.c = calloc((size_t)t.nconns, sizeof(*t.c));
	if (!t.c)
		die("out of memory", NULL);
	/* the multi-connection modes dial their own */
	if (t.mode != M_SLOTS && t.mode != M_SLOTS_HELLO &&
	    t.mode != M_WANTFLOOD && t.mode != M_WRONGKEY) {
		t.nconns = 1;
		conn_dial(&t, &t.c[0], &t.tk, 0);
	}

	switch (t.mode) {
	case M_GARBAGE:
	case M_BADHELLO:
	case M_TRUNCATED:
	case M_FORGED:
	case M_FORK:
	case M_ERRORTEXT:
		rc = play_classic(&t);
		break;
	case M_STRIP: rc = play_strip(&t); break;
	case M_FORKFLOOD: rc = play_forkflood(&t); break;
	case M_REPLAY: rc = play_replay(&t); break;
	case M_FORGEDMIDDLE: rc = play_forgedmiddle(&t); break;
	case M_IMPERSONATE: rc = play_impersonate(&t); break;
	case M_SLOTS:
	case M_SLOTS_HELLO: rc = play_slots(&t); break;
	case M_WANTFLOOD: rc = play_wantflood(&t); break;
	case M_HELLOSTORM: rc = play_hellostorm(&t); break;
	case M_WRONGKEY: rc = play_wrongkey(&t); break;
	}
	if (t.mode != M_GARBAGE && t.mode != M_BADHELLO &&
	    t.mode != M_TRUNCATED && t.mode != M_FORGED && t.mode != M_FORK &&
	    t.mode != M_ERRORTEXT)
		summary(&t);

	for (i = 0; i < t.nconns; i++) {
		transport_monitor_close(t.c[i].sock, t.c[i].mon);
		transport_close(t.c[i].sock);
	}
	free(t.c);
	transport_ctx_free(t.ctx);
	transport_keys_wipe(&t.tk);
	bytes_wipe(t.hello_key, sizeof(t.hello_key));
	buf_release(&t.b);
	home_close(&t.h);
	return rc;
}
