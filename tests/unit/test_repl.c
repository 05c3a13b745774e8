/*
 * Unit tests of the replication state machine (sync/repl) alone, over
 * in-memory stores (mem_store.c, no SQLite) wired together in memory:
 * a cold sync in both directions, a warm sync settled by one HELLO each
 * way, a courier (A->B->C, C never meets A), live propagation with HAVE,
 * session restarts (at rest and in the middle of a transfer), and hostile
 * peers: a bad hello auth, malformed frames until the drop, a run with a
 * forged signature (cut before it) or a changed payload refused; a
 * peer's queue full for a while (the outbox, in order and bounded, and
 * WANTs waiting for it), a feed that forked after what both hold, fork
 * evidence replayed, and a HELLO storm. What only the SQLite store has
 * (materialized views, store_verify, payload holes and their repair,
 * recorded fork proofs) is tested through node/replica.c in
 * test_replica.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community.h"
#include "entry.h"
#include "key.h"
#include "mem_store.h"
#include "msg.h"
#include "repl.h"
#include "test.h"

#define WIRE_MAX 20000

/* One direction of an in-memory connection: a queue of frames. */
struct wire {
	struct buf frames[WIRE_MAX];
	size_t head, tail;
};

struct side {
	const char *name;
	struct mem_store st;     /* the repl's ctx */
	struct key key;
	struct repl r;
	struct wire *in_of_peer; /* where this side's sends land */
	int busy;                /* its sends find the queue full */
	unsigned max_asks;       /* the most WANTs of the peer's waiting */
};

static uint8_t hello_key[32];
static struct repl_ops ops;
static struct buf scratch; /* shared by every repl, as in the daemon */
/* if set, applied to every frame before delivery */
static void (*tamper)(uint8_t *p, size_t len);
static uint64_t wall_ms = 1700000000000ull; /* the entries' timestamps */

static int wire_send(void *peer, const uint8_t *p, size_t len, struct err *e)
{
	struct side *s = peer;
	struct wire *w = s->in_of_peer;
	struct buf *b;

	if (s->busy)
		return err_set(e, STOA_EBUSY, "the peer's queue is full");
	if (w->tail >= WIRE_MAX)
		return err_set(e, STOA_ENOMEM, "wire full");
	b = &w->frames[w->tail++];
	buf_init(b, MSG_MAX);
	return buf_append(b, p, len);
}

static void side_init(struct side *sd, const char *name, uint8_t seed_byte)
{
	uint8_t seed[KEY_SEED_LEN];

	memset(sd, 0, sizeof(*sd));
	sd->name = name;
	mem_store_init(&sd->st);
	memset(seed, seed_byte, sizeof(seed));
	key_from_seed(&sd->key, seed);
}

/*
 * Connects a and b with two fresh wires, starts both, and delivers frames
 * until both queues are empty. Returns the last negative repl_recv code
 * (a drop) or 0; *problems counts the "refused, kept" answers.
 */
static int run_pair(struct side *a, struct side *b, int *problems,
		    int keep_open)
{
	static struct wire to_a, to_b;
	struct err e;
	int rc = 0, progress = 1;

	memset(&to_a, 0, sizeof(to_a));
	memset(&to_b, 0, sizeof(to_b));
	*problems = 0;
	a->in_of_peer = &to_b;
	b->in_of_peer = &to_a;
	repl_init(&a->r, &ops, &a->st, a, a->key.pk, hello_key, &scratch);
	repl_init(&b->r, &ops, &b->st, b, b->key.pk, hello_key, &scratch);
	err_clear(&e);
	CHECK(repl_start(&a->r, &e) == 0);
	CHECK(repl_start(&b->r, &e) == 0);
	while (progress && rc >= 0) {
		struct { struct wire *w; struct side *to; } q[2] = {
			{ &to_a, a }, { &to_b, b } };
		int k;

		progress = 0;
		for (k = 0; k < 2 && rc >= 0; k++) {
			struct wire *w = q[k].w;

			while (w->head < w->tail && rc >= 0) {
				struct buf *f = &w->frames[w->head++];
				int r;

				if (tamper)
					tamper(f->data, f->len);
				err_clear(&e);
				r = repl_recv(&q[k].to->r, f->data, f->len, &e);
				if (r > 0)
					(*problems)++;
				if (r < 0) {
					fprintf(stderr, "  %s dropped its peer: %s\n",
						q[k].to->name, e.msg);
					rc = r;
				}
				buf_release(f);
				progress = 1;
			}
		}
	}
	while (to_a.head < to_a.tail)
		buf_release(&to_a.frames[to_a.head++]);
	while (to_b.head < to_b.tail)
		buf_release(&to_b.frames[to_b.head++]);
	if (!keep_open) {
		repl_release(&a->r);
		repl_release(&b->r);
	}
	return rc;
}

/* Delivers every queued frame of an open pair until both wires are
 * empty; each must be accepted without a problem. */
static void deliver(struct side *a, struct side *b)
{
	struct err e = { 0 };

	while (a->in_of_peer->head < a->in_of_peer->tail ||
	       b->in_of_peer->head < b->in_of_peer->tail) {
		struct side *to[2] = { b, a };
		struct wire *w[2] = { a->in_of_peer, b->in_of_peer };
		int k;

		for (k = 0; k < 2; k++) {
			while (w[k]->head < w[k]->tail) {
				struct buf *f = &w[k]->frames[w[k]->head++];

				err_clear(&e);
				CHECK(repl_recv(&to[k]->r, f->data, f->len, &e) == 0);
				buf_release(f);
			}
		}
	}
}

/* Delivers one queued frame each way, if any; how many it delivered. */
static int deliver_one(struct side *a, struct side *b)
{
	struct side *to[2] = { b, a };
	struct wire *w[2] = { a->in_of_peer, b->in_of_peer };
	struct err e = { 0 };
	int k, n = 0;

	for (k = 0; k < 2; k++) {
		if (w[k]->head < w[k]->tail) {
			struct buf *f = &w[k]->frames[w[k]->head++];

			CHECK(repl_recv(&to[k]->r, f->data, f->len, &e) == 0);
			buf_release(f);
			n++;
		}
	}
	return n;
}

static void digest(const struct mem_store *s, uint8_t d[HASH_LEN])
{
	uint32_t feeds;

	CHECK(mem_store_digest(s, d, &feeds) == 0);
}

/* n posts of k's feed, signed by k, on top of what sd holds of it. */
static void write_posts(struct side *sd, const struct key *k, int n)
{
	char json[128];
	uint8_t prev[ENTRY_ID_LEN];
	struct entry en;
	struct err e = { 0 };
	uint64_t seq;
	int i;

	for (i = 0; i < n; i++) {
		seq = mem_store_head(&sd->st, k->pk, prev);
		snprintf(json, sizeof(json),
			 "{\"topic\":\"t%d\",\"body\":\"post %d of %s\"}", i % 5, i,
			 sd->name);
		CHECK(entry_create(&en, k, ENTRY_KIND_POST, seq + 1,
				   seq ? prev : NULL, wall_ms++, json,
				   strlen(json), &e) == 0);
		CHECK(mem_store_append(&sd->st, &en, json, (uint32_t)strlen(json),
				       &e) == 0);
	}
}

static void head_of(const struct mem_store *s, const struct key *k,
		    struct msg_head *h)
{
	memcpy(h->author, k->pk, KEY_PUBLIC_LEN);
	h->seq = mem_store_head(s, k->pk, h->id);
}

/* Flips a bit of the signature of the last entry of every ENTRIES run. */
static void forge_last_sig(uint8_t *p, size_t len)
{
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re, last = { 0 };

	if (msg_decode(&m, p, len, NULL) < 0 || m.type != MSG_ENTRIES ||
	    m.u.entries.count == 0)
		return;
	msg_run_iter_init(&it, &m);
	while (msg_run_next(&it, &re))
		last = re;
	((uint8_t *)last.signed_bytes)[ENTRY_SIG_OFFSET + 3] ^= 0x01;
}

/* Changes one byte of the payload of the first entry of every run. */
static void change_payload(uint8_t *p, size_t len)
{
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re;

	if (msg_decode(&m, p, len, NULL) < 0 || m.type != MSG_ENTRIES ||
	    m.u.entries.count == 0)
		return;
	msg_run_iter_init(&it, &m);
	if (msg_run_next(&it, &re) && re.plen > 10)
		((uint8_t *)re.payload)[re.plen - 3] ^= 0x20;
}

/* ---- hostile peers: a full queue, fork replays, HELLO storms ---- */

static void wire_clear(struct wire *w)
{
	while (w->head < w->tail)
		buf_release(&w->frames[w->head++]);
	w->head = w->tail = 0;
}

static void key_seed(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[KEY_SEED_LEN];

	memset(seed, seed_byte, sizeof(seed));
	key_from_seed(k, seed);
}

/* Wires a and b together without starting them. */
static void pair_open(struct side *a, struct side *b, struct wire *to_a,
		      struct wire *to_b)
{
	memset(to_a, 0, sizeof(*to_a));
	memset(to_b, 0, sizeof(*to_b));
	a->in_of_peer = to_b;
	b->in_of_peer = to_a;
	repl_init(&a->r, &ops, &a->st, a, a->key.pk, hello_key, &scratch);
	repl_init(&b->r, &ops, &b->st, b, b->key.pk, hello_key, &scratch);
}

/*
 * Runs an open pair until nothing moves: every round drains each side
 * whose queue takes frames and delivers every frame sent. For the first
 * busy_rounds rounds, each side's queue is full every other round (b's
 * in even rounds, a's in odd ones: what b sent while its queue was full
 * reaches a while a's is). Returns 0 or the first negative repl_recv /
 * repl_drain code; *problems counts the frames refused with the peer
 * kept.
 */
static int settle(struct side *a, struct side *b, int busy_rounds,
		  int *problems)
{
	struct side *sd[2] = { a, b };
	struct err e;
	int round, k, rc = 0, moved = 1;

	*problems = 0;
	for (round = 0; rc >= 0 && (moved || round < busy_rounds); round++) {
		moved = 0;
		for (k = 0; k < 2 && rc >= 0; k++) {
			sd[k]->busy = round < busy_rounds && (round + k) % 2 == 1;
			if (sd[k]->busy || repl_backlog(&sd[k]->r) == 0)
				continue;
			err_clear(&e);
			if ((rc = repl_drain(&sd[k]->r, &e)) < 0)
				fprintf(stderr, "  %s: drain: %s\n", sd[k]->name,
					e.msg);
			moved = 1;
		}
		for (k = 0; k < 2 && rc >= 0; k++) {
			struct side *to = sd[k];
			struct wire *w = sd[1 - k]->in_of_peer;

			while (w->head < w->tail && rc >= 0) {
				struct buf *f = &w->frames[w->head++];
				int r;

				err_clear(&e);
				r = repl_recv(&to->r, f->data, f->len, &e);
				if (r > 0)
					(*problems)++;
				if (r < 0) {
					fprintf(stderr, "  %s dropped its peer: %s\n",
						to->name, e.msg);
					rc = r;
				}
				if (to->r.nasks > to->max_asks)
					to->max_asks = to->r.nasks;
				buf_release(f);
				moved = 1;
			}
		}
	}
	a->busy = b->busy = 0;
	return rc;
}

/* A side whose peer is played by the test: its frames land in sink. */
static void victim_open(struct side *v, struct wire *sink)
{
	struct err e = { 0 };

	memset(sink, 0, sizeof(*sink));
	v->in_of_peer = sink;
	repl_init(&v->r, &ops, &v->st, v, v->key.pk, hello_key, &scratch);
	CHECK(repl_start(&v->r, &e) == 0);
}

static void hello_frame(struct buf *f, const struct key *k,
			const uint8_t digest[HASH_LEN], uint32_t feeds,
			uint32_t flags)
{
	uint8_t auth[HASH_LEN];

	buf_reset(f);
	repl_hello_auth(hello_key, k->pk, auth);
	CHECK(msg_put_hello(f, k->pk, auth, digest, feeds, flags) == 0);
}

static void want_frame(struct buf *f, const uint8_t *author, uint64_t from,
		       uint32_t max)
{
	buf_reset(f);
	CHECK(msg_put_want(f, author, from, max) == 0);
}

/* An ENTRIES frame of one entry, built by the peer itself. */
static void entries_frame(struct buf *f, const struct entry *en,
			  const char *payload)
{
	buf_reset(f);
	CHECK(msg_entries_begin(f, en->author, en->seq) == 0);
	CHECK(msg_entries_add(f, en->signed_bytes, payload,
			      (uint32_t)strlen(payload)) == 0);
	msg_entries_end(f);
}

static int recv_frame(struct side *v, const struct buf *f, struct err *e)
{
	err_clear(e);
	return repl_recv(&v->r, f->data, f->len, e);
}

/* The last frame v sent (the sink's), decoded: 0 or -1 if none. */
static int last_sent(struct side *v, struct msg *m)
{
	struct wire *w = v->in_of_peer;

	if (w->tail == 0)
		return -1;
	return msg_decode(m, w->frames[w->tail - 1].data,
			  w->frames[w->tail - 1].len, NULL);
}

/*
 * The peer's queue is full for a while (send says STOA_EBUSY): frames
 * wait in the outbox in the order they were made, a frame made while
 * others wait goes behind them even once the queue has room, repl_drain
 * sends them in that order, WANTs wait for it, and the session ends as
 * one that never waited.
 */
static void test_outbox(void)
{
	static struct wire to_a, to_b;
	static const uint8_t types[3] = { MSG_HELLO, MSG_FRONTIER, MSG_HAVE };
	struct side a, b;
	struct key k[3];
	struct repl_frame *f;
	struct buf saved[3];
	struct msg_head h;
	uint8_t d1[HASH_LEN], d2[HASH_LEN];
	struct err e = { 0 };
	size_t bytes = 0;
	int n = 0, i, problems, rc;

	side_init(&a, "oa", 0x41);
	side_init(&b, "ob", 0x42);
	write_posts(&a, &a.key, 2500);
	for (i = 0; i < 3; i++) {
		key_seed(&k[i], (uint8_t)(0x51 + i));
		write_posts(&a, &k[i], 60);
	}
	write_posts(&b, &b.key, 40);
	pair_open(&a, &b, &to_a, &to_b);
	a.busy = 1;
	CHECK(repl_start(&a.r, &e) == 0); /* its HELLO waits */
	CHECK(repl_backlog(&a.r) > 0);
	CHECK_EQ_INT(to_b.tail, 0);
	CHECK(repl_start(&b.r, &e) == 0);
	while (to_a.head < to_a.tail) { /* b's HELLO: a's FRONTIER waits */
		struct buf *fr = &to_a.frames[to_a.head++];

		err_clear(&e);
		CHECK_EQ_INT(repl_recv(&a.r, fr->data, fr->len, &e), 0);
		buf_release(fr);
	}
	/* the queue has room again, but what waits goes first */
	a.busy = 0;
	head_of(&a.st, &a.key, &h);
	CHECK(repl_notify(&a.r, &h, &e) == 0);
	CHECK_EQ_INT(to_b.tail, 0);
	for (f = a.r.out_head; f; f = f->next) {
		if (n < 3) {
			CHECK_EQ_INT(f->data[3], types[n]);
			buf_init(&saved[n], MSG_MAX);
			CHECK(buf_append(&saved[n], f->data, f->len) == 0);
		}
		bytes += f->len;
		n++;
	}
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(a.r.out_bytes, bytes);
	CHECK_EQ_INT(repl_backlog(&a.r), bytes);
	err_clear(&e);
	CHECK(repl_drain(&a.r, &e) == 0);
	CHECK_EQ_INT(repl_backlog(&a.r), 0);
	CHECK(a.r.out_head == NULL);
	CHECK_EQ_INT(to_b.tail, 3);
	for (i = 0; i < 3 && i < n && i < (int)to_b.tail; i++)
		CHECK(to_b.frames[i].len == saved[i].len &&
		      memcmp(to_b.frames[i].data, saved[i].data,
			     saved[i].len) == 0);
	for (i = 0; i < 3 && i < n; i++)
		buf_release(&saved[i]);

	/* the rest of the session, both queues full every other round */
	rc = settle(&a, &b, 40, &problems);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	CHECK(a.max_asks > 0); /* b's WANTs waited for a's outbox */
	CHECK(repl_settled(&a.r) && repl_settled(&b.r));
	CHECK_EQ_INT(b.r.stats.entries_in, 2500 + 3 * 60);
	CHECK_EQ_INT(a.r.stats.entries_in, 40);
	CHECK_EQ_INT(a.r.strikes + b.r.strikes, 0);
	CHECK_EQ_INT(repl_backlog(&a.r) + repl_backlog(&b.r), 0);
	digest(&a.st, d1);
	digest(&b.st, d2);
	CHECK(memcmp(d1, d2, HASH_LEN) == 0);
	repl_release(&a.r);
	repl_release(&b.r);
	wire_clear(&to_a);
	wire_clear(&to_b);
	mem_store_free(&a.st);
	mem_store_free(&b.st);
}

/*
 * A peer that asks while it does not read: its WANTs wait for the
 * outbox to empty, at most REPL_ASKS_MAX of them; each one more is a
 * strike, and the third strike drops it. Once it reads, the waiting
 * WANTs are answered in the order asked.
 */
static void test_ask_bound(void)
{
	static struct wire sink;
	struct side v;
	struct key peer;
	struct buf f;
	struct msg m;
	uint8_t dg[HASH_LEN];
	struct err e = { 0 };
	size_t i;
	int error_at = -1, entries_at = -1, nent = 0;

	side_init(&v, "asks", 0x43);
	write_posts(&v, &v.key, 30);
	key_seed(&peer, 0x44);
	v.busy = 1;
	victim_open(&v, &sink);
	buf_init(&f, MSG_MAX);
	memset(dg, 0x5c, sizeof(dg));
	hello_frame(&f, &peer, dg, 0, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	for (i = 0; i < REPL_ASKS_MAX; i++) {
		want_frame(&f, v.key.pk, i + 1, 1);
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	}
	CHECK_EQ_INT(v.r.nasks, REPL_ASKS_MAX);
	CHECK_EQ_INT(v.r.stats.entries_out, 0);
	CHECK_EQ_INT(repl_backlog(&v.r), v.r.out_bytes + REPL_ASKS_MAX);
	CHECK_EQ_INT(sink.tail, 0);
	want_frame(&f, v.key.pk, 20, 1);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 1);
	CHECK(strstr(e.msg, "WANTs wait") != NULL);
	CHECK_EQ_INT(v.r.strikes, 1);
	CHECK_EQ_INT(v.r.nasks, REPL_ASKS_MAX);

	/* it reads: what waited goes out, then the answers, in order */
	v.busy = 0;
	err_clear(&e);
	CHECK(repl_drain(&v.r, &e) == 0);
	CHECK_EQ_INT(repl_backlog(&v.r), 0);
	CHECK_EQ_INT(v.r.stats.entries_out, REPL_ASKS_MAX);
	for (i = 0; i < sink.tail; i++) {
		if (msg_decode(&m, sink.frames[i].data, sink.frames[i].len,
			       NULL) < 0) {
			CHECK(0);
			continue;
		}
		if (i == 0)
			CHECK_EQ_INT(m.type, MSG_HELLO);
		if (m.type == MSG_ERROR && error_at < 0)
			error_at = (int)i;
		if (m.type == MSG_ENTRIES) {
			if (entries_at < 0)
				entries_at = (int)i;
			CHECK_EQ_INT(m.u.entries.first, (uint64_t)nent + 1);
			CHECK_EQ_INT(m.u.entries.count, 1);
			nent++;
		}
	}
	CHECK_EQ_INT(nent, REPL_ASKS_MAX);
	CHECK(error_at > 0 && entries_at > error_at);
	wire_clear(&sink);

	/* full again: the next WANT is answered into the outbox, the ones
	 * after it wait, and beyond REPL_ASKS_MAX the third strike drops */
	v.busy = 1;
	want_frame(&f, v.key.pk, 9, 1);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	CHECK_EQ_INT(v.r.nasks, 0);
	CHECK(v.r.out_bytes > 0);
	for (i = 0; i < REPL_ASKS_MAX; i++) {
		want_frame(&f, v.key.pk, 10 + i, 1);
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	}
	want_frame(&f, v.key.pk, 1, 1);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 1);
	CHECK_EQ_INT(v.r.strikes, 2);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "dropping") != NULL);
	CHECK_EQ_INT(v.r.strikes, REPL_STRIKES_MAX);
	buf_release(&f);
	repl_release(&v.r);
	wire_clear(&sink);
	mem_store_free(&v.st);
}

/* What waits in the outbox is bounded in bytes: the frame that would
 * pass REPL_OUTBOX_MAX is refused with STOA_ENOMEM. */
static void test_outbox_bound(void)
{
	static struct wire sink;
	struct side v;
	struct key peer;
	struct buf f;
	struct msg_head h;
	uint8_t dg[HASH_LEN];
	struct err e = { 0 };
	size_t i, have_len;
	int rc = 0;

	side_init(&v, "obound", 0x45);
	write_posts(&v, &v.key, 2);
	key_seed(&peer, 0x46);
	v.busy = 1;
	victim_open(&v, &sink);
	buf_init(&f, MSG_MAX);
	memset(dg, 0x5d, sizeof(dg));
	hello_frame(&f, &peer, dg, 0, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	head_of(&v.st, &v.key, &h);
	buf_reset(&f);
	CHECK(msg_put_have(&f, &h) == 0);
	have_len = f.len;
	for (i = 0; rc == 0 && i < 2 * REPL_OUTBOX_MAX / have_len; i++) {
		err_clear(&e);
		rc = repl_notify(&v.r, &h, &e);
	}
	CHECK_EQ_INT(rc, STOA_ENOMEM);
	CHECK(strstr(e.msg, "does not read") != NULL);
	CHECK(v.r.out_bytes <= REPL_OUTBOX_MAX);
	CHECK(v.r.out_bytes + have_len > REPL_OUTBOX_MAX);
	CHECK_EQ_INT(sink.tail, 0);
	buf_release(&f);
	repl_release(&v.r);
	CHECK_EQ_INT(repl_backlog(&v.r), 0);
	mem_store_free(&v.st);
}

/*
 * Fork evidence sent unasked that adds nothing is a peer replaying it:
 * the first copy is recorded without a strike, each copy after it is a
 * strike, the third drops the peer. Evidence in a run that answers our
 * WANT (a feed that went another way) costs nothing, however often.
 * (The fork proofs a real store records, and a hole asked for again at
 * each session start: test_replica.c.)
 */
static void test_fork_replay(void)
{
	static struct wire sink;
	static const char other[] = "{\"topic\":\"t\",\"body\":\"the other seq 1\"}";
	static const char next[] = "{\"topic\":\"t\",\"body\":\"on the other side\"}";
	struct side v;
	struct key k, peer;
	struct entry f1, e4;
	struct buf f, run;
	struct msg_head h;
	struct msg m;
	uint8_t dg[HASH_LEN];
	struct err e = { 0 };
	uint32_t feeds;
	int i;

	side_init(&v, "replay", 0x4b);
	key_seed(&k, 0x4c);
	key_seed(&peer, 0x4d);
	write_posts(&v, &k, 3);
	CHECK(entry_create(&f1, &k, ENTRY_KIND_POST, 1, NULL, 77, other,
			   strlen(other), NULL) == 0);
	buf_init(&f, MSG_MAX);
	buf_init(&run, MSG_MAX);
	entries_frame(&run, &f1, other);

	/* unasked: recorded once, then strikes */
	victim_open(&v, &sink);
	CHECK(mem_store_digest(&v.st, dg, &feeds) == 0);
	hello_frame(&f, &peer, dg, feeds, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
	CHECK(strstr(e.msg, "fork") != NULL);
	CHECK_EQ_INT(v.r.strikes, 0);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
	CHECK_EQ_INT(v.r.strikes, 1);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
	CHECK_EQ_INT(v.r.strikes, 2);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), STOA_EPROTO);
	CHECK_EQ_INT(v.r.strikes, REPL_STRIKES_MAX);
	CHECK_EQ_INT(mem_store_head(&v.st, k.pk, NULL), 3);
	repl_release(&v.r);
	wire_clear(&sink);

	/* asked: a feed that went another way after seq 3, every time we
	 * ask for seq 4 */
	CHECK(entry_create(&e4, &k, ENTRY_KIND_POST, 4, f1.id, 78, next,
			   strlen(next), NULL) == 0);
	victim_open(&v, &sink);
	memset(dg, 0x3e, sizeof(dg));
	hello_frame(&f, &peer, dg, 1, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	memcpy(h.author, k.pk, KEY_PUBLIC_LEN);
	h.seq = 4;
	memcpy(h.id, e4.id, ENTRY_ID_LEN);
	buf_reset(&f);
	CHECK(msg_put_frontier(&f, 0, &h, 1) == 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	entries_frame(&run, &e4, next);
	for (i = 0; i < 2 * REPL_STRIKES_MAX; i++) {
		CHECK(last_sent(&v, &m) == 0 && m.type == MSG_WANT &&
		      m.u.want.from == 4 &&
		      memcmp(m.u.want.author, k.pk, KEY_PUBLIC_LEN) == 0);
		CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
		CHECK(strstr(e.msg, "fork") != NULL);
		CHECK_EQ_INT(v.r.strikes, 0);
		buf_reset(&f);
		CHECK(msg_put_have(&f, &h) == 0); /* "I have 4": asked again */
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	}
	CHECK_EQ_INT(mem_store_head(&v.st, k.pk, NULL), 3);
	repl_release(&v.r);
	wire_clear(&sink);
	buf_release(&f);
	buf_release(&run);
	mem_store_free(&v.st);
}

/*
 * HELLOs that restart the session with nothing exchanged: the first
 * REPL_RESTARTS_FREE are free, then each is a strike and the third
 * drops the peer. Reply HELLOs are not restarts, and entries sent to
 * the peer do not start the count again.
 */
static void test_hello_storm(void)
{
	static struct wire sink;
	struct side v;
	struct key peer;
	struct buf f;
	uint8_t dg[HASH_LEN];
	struct err e = { 0 };
	int i;

	side_init(&v, "storm", 0x4f);
	write_posts(&v, &v.key, 3);
	key_seed(&peer, 0x50);
	buf_init(&f, MSG_MAX);
	memset(dg, 0x77, sizeof(dg));
	hello_frame(&f, &peer, dg, 0, 0);
	victim_open(&v, &sink);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0); /* the session's own */
	for (i = 0; i < REPL_RESTARTS_FREE; i++)
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	CHECK_EQ_INT(v.r.strikes, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 1);
	CHECK(strstr(e.msg, "HELLOs") != NULL);
	CHECK_EQ_INT(v.r.strikes, 1);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 1);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), STOA_EPROTO);
	repl_release(&v.r);
	wire_clear(&sink);

	victim_open(&v, &sink);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	hello_frame(&f, &peer, dg, 0, MSG_HELLO_REPLY);
	for (i = 0; i < 3 * REPL_RESTARTS_FREE; i++)
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	hello_frame(&f, &peer, dg, 0, 0);
	for (i = 0; i < REPL_RESTARTS_FREE; i++)
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	/* entries we send it do not start the count again: a storm could
	 * ask for one entry between its HELLOs */
	want_frame(&f, v.key.pk, 1, 3);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	CHECK_EQ_INT(v.r.stats.entries_out, 3);
	hello_frame(&f, &peer, dg, 0, 0);
	CHECK_EQ_INT(v.r.strikes, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 1);
	CHECK_EQ_INT(v.r.strikes, 1);
	buf_release(&f);
	repl_release(&v.r);
	wire_clear(&sink);
	mem_store_free(&v.st);
}

/* Hands every frame waiting for sd to it; the last nonzero verdict and
 * its reason in *last and why. */
static int deliver_all(struct side *sd, struct wire *w, int *last, char *why)
{
	struct err e;
	int n = 0, rc;

	while (w->head < w->tail) {
		struct buf *f = &w->frames[w->head++];

		err_clear(&e);
		rc = repl_recv(&sd->r, f->data, f->len, &e);
		if (rc) {
			*last = rc;
			snprintf(why, ERR_MSG_MAX, "%s", e.msg);
		}
		buf_release(f);
		n++;
	}
	return n;
}

/*
 * An honest relay of the other branch of a forked feed, whose answer to a
 * WANT arrives after the asking side restarted its session (so it comes
 * unasked), is not struck: a first new entry on another history is not
 * a replay. Three rounds would have dropped it.
 */
static void test_fork_after_restart(void)
{
	static struct wire to_q, to_r;
	struct side q, r;
	struct key k;
	struct msg_head h;
	struct err e = { 0 };
	char why[ERR_MSG_MAX];
	int i, problems, last = 0;

	side_init(&q, "pq", 0x21);
	side_init(&r, "pr", 0x22);
	key_seed(&k, 0x23);
	write_posts(&q, &k, 3);
	CHECK_EQ_INT(run_pair(&q, &r, &problems, 0), 0);
	write_posts(&q, &k, 1);  /* q: seq 4 */
	write_posts(&r, &k, 2);  /* r: another seq 4, then 5 */
	pair_open(&q, &r, &to_q, &to_r);
	CHECK(repl_start(&q.r, &e) == 0);
	CHECK(repl_start(&r.r, &e) == 0);
	while (deliver_all(&q, &to_q, &last, why) + deliver_all(&r, &to_r, &last, why))
		;
	head_of(&r.st, &k, &h);
	for (i = 0; i < REPL_STRIKES_MAX && last >= 0; i++) {
		last = 0;
		CHECK(repl_notify(&r.r, &h, &e) == 0);   /* r: HAVE k 5 */
		deliver_all(&q, &to_q, &last, why);      /* q: WANT k from 5 */
		deliver_all(&r, &to_r, &last, why);      /* r answers: on its way */
		CHECK(repl_restart(&q.r, &e) == 0);      /* q starts over (daemon) */
		while (last >= 0 && (deliver_all(&q, &to_q, &last, why) +
				     deliver_all(&r, &to_r, &last, why)))
			;
	}
	CHECK_EQ_INT(q.r.strikes, 0);
	repl_release(&q.r);
	repl_release(&r.r);
	wire_clear(&to_q);
	wire_clear(&to_r);
	mem_store_free(&q.st);
	mem_store_free(&r.st);
}

int main(void)
{
	struct side a, b, c, x;
	struct key extra[3];
	uint8_t da[HASH_LEN], db[HASH_LEN], dc[HASH_LEN];
	struct msg_head h;
	struct community com;
	struct err e = { 0 };
	int i, problems, rc;

	if (key_lib_init() < 0)
		return 1;
	CHECK(community_create(&com, "test", &e) == 0);
	community_derive(&com, COMMUNITY_KEY_HELLO, hello_key);
	mem_store_ops_init(&ops, wire_send);
	buf_init(&scratch, MSG_MAX);
	side_init(&a, "a", 0x61);
	side_init(&b, "b", 0x62);
	side_init(&c, "c", 0x63);
	for (i = 0; i < 3; i++) {
		uint8_t seed[KEY_SEED_LEN];

		memset(seed, 0x70 + i, sizeof(seed));
		key_from_seed(&extra[i], seed);
	}

	/* cold, both directions: A holds 2500 entries of A and 1200 of a
	 * member it relays; B holds 300 of its own */
	write_posts(&a, &a.key, 2500);
	write_posts(&a, &extra[0], 1200);
	write_posts(&b, &b.key, 300);
	rc = run_pair(&a, &b, &problems, 1);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	CHECK(repl_settled(&a.r));
	CHECK(repl_settled(&b.r));
	CHECK_EQ_INT(b.r.stats.entries_in, 3700);
	CHECK_EQ_INT(a.r.stats.entries_in, 300);
	digest(&a.st, da);
	digest(&b.st, db);
	CHECK(memcmp(da, db, HASH_LEN) == 0);

	/* live: A writes while connected; HAVE brings it to B */
	write_posts(&a, &a.key, 1);
	head_of(&a.st, &a.key, &h);
	{
		int before = (int)b.r.stats.entries_in;

		err_clear(&e);
		CHECK(repl_notify(&a.r, &h, &e) == 0);
		deliver(&a, &b); /* what is queued, without restarting */
		CHECK_EQ_INT(b.r.stats.entries_in, before + 1);
		CHECK_EQ_INT(mem_store_head(&b.st, a.key.pk, NULL), 2501);

		/* A restarts its session (a fresh HELLO): B restarts too and
		 * says hello back, and both settle again, without a strike */
		write_posts(&a, &a.key, 3);
		repl_release(&a.r);
		repl_init(&a.r, &ops, &a.st, &a, a.key.pk, hello_key, &scratch);
		err_clear(&e);
		CHECK(repl_start(&a.r, &e) == 0);
		deliver(&a, &b);
		CHECK(repl_settled(&a.r) && repl_settled(&b.r));
		CHECK_EQ_INT(b.r.strikes, 0);
		CHECK_EQ_INT(mem_store_head(&b.st, a.key.pk, NULL), 2504);

		/* A starts over in the middle of a transfer: once B holds
		 * everything it lacks nothing (what it expected before the
		 * restart is asked for again, not expected twice) */
		{
			uint64_t in = 1, out, got = b.r.stats.entries_in;

			write_posts(&a, &a.key, 5000);
			head_of(&a.st, &a.key, &h);
			err_clear(&e);
			CHECK(repl_notify(&a.r, &h, &e) == 0);
			while (b.r.stats.entries_in == got && deliver_one(&a, &b))
				;
			CHECK(b.r.stats.entries_in > got &&
			      b.r.stats.entries_in < got + 5000);
			/* as the daemon does when its store takes writes
			 * again: a fresh HELLO on the same session */
			err_clear(&e);
			CHECK(repl_restart(&a.r, &e) == 0);
			deliver(&a, &b);
			CHECK(repl_settled(&a.r) && repl_settled(&b.r));
			CHECK_EQ_INT(mem_store_head(&b.st, a.key.pk, NULL), 7504);
			repl_lacks(&b.r, &in, &out);
			CHECK_EQ_INT(in, 0);
		}
	}
	repl_release(&a.r);
	repl_release(&b.r);

	/* warm: nothing new, one HELLO each way settles it */
	rc = run_pair(&a, &b, &problems, 1);
	CHECK_EQ_INT(rc, 0);
	CHECK(repl_settled(&a.r) && repl_settled(&b.r));
	CHECK_EQ_INT(a.r.stats.msgs_out, 1);
	CHECK_EQ_INT(b.r.stats.msgs_out, 1);
	CHECK(a.r.stats.bytes_out + b.r.stats.bytes_out < 2048);
	printf("warm sync: %" PRIu64 " bytes each way, 1 round trip\n",
	       a.r.stats.bytes_out);
	repl_release(&a.r);
	repl_release(&b.r);

	/* courier: C meets only B, and gets A's entries through it */
	rc = run_pair(&b, &c, &problems, 0);
	CHECK_EQ_INT(rc, 0);
	digest(&c.st, dc);
	digest(&a.st, da);
	CHECK(memcmp(da, dc, HASH_LEN) == 0);
	CHECK_EQ_INT(mem_store_head(&c.st, extra[0].pk, NULL), 1200);

	/* hostile: a forged signature on the last entry of each run */
	side_init(&x, "x", 0x78);
	write_posts(&a, &extra[1], 50);
	digest(&x.st, dc);
	tamper = forge_last_sig;
	rc = run_pair(&a, &x, &problems, 0);
	tamper = NULL;
	CHECK(problems > 0 || rc < 0);
	/* each run is cut before its forged last entry (the one before it is
	 * signed and vouches for the chain below): x holds extra[1]'s feed up
	 * to 49, never the forged 50th */
	CHECK_EQ_INT(mem_store_head(&x.st, extra[1].pk, NULL), 49);
	CHECK(mem_store_head(&x.st, a.key.pk, NULL) > 0); /* cut, not refused */
	/* a changed payload is refused too (x's store is left as it was),
	 * and an honest sync after works */
	digest(&x.st, dc);
	tamper = change_payload;
	rc = run_pair(&a, &x, &problems, 0);
	tamper = NULL;
	CHECK(problems > 0 || rc < 0);
	digest(&x.st, db);
	CHECK(memcmp(db, dc, HASH_LEN) == 0);
	rc = run_pair(&a, &x, &problems, 0);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	digest(&a.st, da);
	digest(&x.st, dc);
	CHECK(memcmp(da, dc, HASH_LEN) == 0);

	/* a feed that forked after what both hold: the honest relay of the
	 * other branch is not struck, and nothing of that branch is stored */
	{
		struct side q, r;

		side_init(&q, "q", 0x71);
		side_init(&r, "r", 0x72);
		write_posts(&q, &extra[2], 3);
		CHECK_EQ_INT(run_pair(&q, &r, &problems, 0), 0);
		write_posts(&q, &extra[2], 1);  /* q: seq 4 */
		write_posts(&r, &extra[2], 2);  /* r: another seq 4, then 5 */
		rc = run_pair(&q, &r, &problems, 1);
		CHECK_EQ_INT(rc, 0);
		/* the fork, reported; then r's seq 4, asked for alone (a fork
		 * probe), is q's proof: reported too */
		CHECK_EQ_INT(problems, 2);
		CHECK_EQ_INT(q.r.strikes, 0);
		CHECK_EQ_INT(r.r.strikes, 0);
		repl_release(&q.r);
		repl_release(&r.r);
		CHECK_EQ_INT(mem_store_head(&q.st, extra[2].pk, NULL), 4);
		mem_store_free(&q.st);
		mem_store_free(&r.st);
	}

	/* hostile: bad hello auth is dropped at once */
	{
		struct buf f;
		uint8_t bad[HASH_LEN] = { 0 }, dg[HASH_LEN];
		struct wire sink;

		memset(&sink, 0, sizeof(sink));
		b.in_of_peer = &sink;
		repl_init(&b.r, &ops, &b.st, &b, b.key.pk, hello_key, &scratch);
		buf_init(&f, MSG_MAX);
		memset(dg, 1, sizeof(dg));
		CHECK(msg_put_hello(&f, extra[2].pk, bad, dg, 1, 0) == 0);
		err_clear(&e);
		CHECK_EQ_INT(repl_recv(&b.r, f.data, f.len, &e), STOA_EPERM);
		CHECK(strstr(e.msg, "community") != NULL);
		/* garbage: two strikes kept, the third drops */
		buf_reset(&f);
		buf_append(&f, "garbage!", 8);
		err_clear(&e);
		CHECK_EQ_INT(repl_recv(&b.r, f.data, f.len, &e), 1);
		err_clear(&e);
		CHECK_EQ_INT(repl_recv(&b.r, f.data, f.len, &e), 1);
		err_clear(&e);
		CHECK_EQ_INT(repl_recv(&b.r, f.data, f.len, &e), STOA_EPROTO);
		buf_release(&f);
		while (sink.head < sink.tail)
			buf_release(&sink.frames[sink.head++]);
		repl_release(&b.r);
	}

	test_outbox();
	test_ask_bound();
	test_outbox_bound();
	test_fork_replay();
	test_hello_storm();
	test_fork_after_restart();

	buf_release(&scratch);
	mem_store_free(&a.st);
	mem_store_free(&b.st);
	mem_store_free(&c.st);
	mem_store_free(&x.st);
	return test_report("repl");
}
