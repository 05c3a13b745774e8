/*
 * Unit tests of the glue between the replication state machine and the
 * SQLite store: sync/repl over node/replica.c and real stores, wired
 * together in memory, for what only the real store has: the views it
 * materializes (equal after a sync, with and without frames waiting in
 * the outboxes), a run cut before a forged last signature leaving a store
 * that store_verify finds sound, payloads a relay stripped (holes)
 * repaired from a peer with the same frontier, and the fork proofs
 * store_stats counts while a peer replays them, with a hole asked for
 * again at each session start. The state machine alone is tested over
 * an in-memory store in test_repl.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "community.h"
#include "replica.h"
#include "store.h"
#include "test.h"

#define WIRE_MAX 20000

/* One direction of an in-memory connection: a queue of frames. */
struct wire {
	struct buf frames[WIRE_MAX];
	size_t head, tail;
};

struct side {
	const char *name;
	struct store *s;
	struct replica rp;
	struct key key;
	struct repl r;
	struct wire *in_of_peer; /* where this side's sends land */
	int busy;                /* its sends find the queue full */
	unsigned max_asks;       /* the most WANTs of the peer's waiting */
};

static char tmpdir[] = "/tmp/stoa-test-replica-XXXXXX";
static uint8_t hello_key[32];
static struct repl_ops ops;
static struct buf scratch; /* shared by every repl, as in the daemon */
/* if set, applied to every frame before delivery */
static void (*tamper)(uint8_t *p, size_t len);

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

static struct store *open_store(const char *name)
{
	char path[512];
	struct store *s = NULL;
	struct err e = { 0 };

	snprintf(path, sizeof(path), "%s/%s.db", tmpdir, name);
	if (store_open(&s, path, STORE_CREATE, &e) < 0)
		fprintf(stderr, "store_open: %s\n", e.msg);
	CHECK(s != NULL);
	return s;
}

static void side_init(struct side *sd, const char *name, uint8_t seed_byte)
{
	uint8_t seed[KEY_SEED_LEN];

	memset(sd, 0, sizeof(*sd));
	sd->name = name;
	sd->s = open_store(name);
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
	a->rp.store = a->s;
	b->rp.store = b->s;
	repl_init(&a->r, &ops, &a->rp, a, a->key.pk, hello_key, &scratch);
	repl_init(&b->r, &ops, &b->rp, b, b->key.pk, hello_key, &scratch);
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

static void digest(struct store *s, uint8_t d[HASH_LEN])
{
	uint32_t feeds;
	struct err e = { 0 };

	CHECK(store_frontier_digest(s, d, &feeds, &e) == 0);
}

static void view_digest(struct store *s, uint8_t d[HASH_LEN])
{
	struct err e = { 0 };

	CHECK(store_dump_view(s, NULL, d, &e) == 0);
}

static void write_posts(struct side *sd, const struct key *k, int n)
{
	char json[128];
	struct err e = { 0 };
	int i;

	CHECK(store_begin(sd->s, &e) == 0);
	for (i = 0; i < n; i++) {
		snprintf(json, sizeof(json),
			 "{\"topic\":\"t%d\",\"body\":\"post %d of %s\"}", i % 5, i,
			 sd->name);
		CHECK(store_append(sd->s, k, ENTRY_KIND_POST, json, strlen(json),
				   NULL, &e) == 0);
	}
	CHECK(store_commit(sd->s, &e) == 0);
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

/* ---- hostile peers, holes, fork proofs ---- */

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
	a->rp.store = a->s;
	b->rp.store = b->s;
	repl_init(&a->r, &ops, &a->rp, a, a->key.pk, hello_key, &scratch);
	repl_init(&b->r, &ops, &b->rp, b, b->key.pk, hello_key, &scratch);
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
	v->rp.store = v->s;
	repl_init(&v->r, &ops, &v->rp, v, v->key.pk, hello_key, &scratch);
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

/* Makes s what a stoa before schema 3 left when a relay stripped the
 * payloads of author's posts from..to (as in test_store.c). */
#define STRIPPED                                                           \
	"(SELECT n FROM entries WHERE author = ?1 AND seq BETWEEN ?2 AND ?3)"
static void strip(struct store *s, const uint8_t *author, uint64_t from,
		  uint64_t to)
{
	static const char *const sql[] = {
		"INSERT INTO posts_fts(posts_fts, rowid, title, body, topic)"
		" SELECT 'delete', entry, title, body, topic FROM posts"
		" WHERE entry IN " STRIPPED,
		"DELETE FROM posts WHERE entry IN " STRIPPED,
		"UPDATE entries SET payload = NULL, opaque = 1"
		" WHERE author = ?1 AND seq BETWEEN ?2 AND ?3",
	};
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		CHECK(sqlite3_prepare_v2(store_db(s), sql[i], -1, &st, NULL) ==
		      SQLITE_OK);
		sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)to);
		CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
}

static uint64_t problems_of(struct store *s)
{
	struct err e = { 0 };
	uint64_t n, p = 99;

	CHECK(store_verify(s, NULL, NULL, &n, &p, &e) == 0);
	return p;
}

static int holes_of(struct store *s)
{
	uint8_t zero[KEY_PUBLIC_LEN] = { 0 }, author[KEY_PUBLIC_LEN];
	struct err e = { 0 };
	uint64_t from;
	uint32_t count;

	return store_next_hole(s, zero, 0, author, &from, &count, &e);
}

/*
 * The views the stores materialize are equal after a sync: a cold one in
 * both directions (A holds 2500 entries of A and 1200 of a member it
 * relays; B holds 300 of its own), and one in which each side's queue is
 * full every other round, so frames wait in the outboxes.
 */
static void test_views(void)
{
	static struct wire to_a, to_b;
	struct side a, b, oa, ob;
	struct key extra, k[3];
	uint8_t da[HASH_LEN], db[HASH_LEN], v1[HASH_LEN], v2[HASH_LEN];
	struct err e = { 0 };
	int i, problems, rc;

	side_init(&a, "a", 0x61);
	side_init(&b, "b", 0x62);
	key_seed(&extra, 0x70);
	write_posts(&a, &a.key, 2500);
	write_posts(&a, &extra, 1200);
	write_posts(&b, &b.key, 300);
	rc = run_pair(&a, &b, &problems, 0);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	digest(a.s, da);
	digest(b.s, db);
	CHECK(memcmp(da, db, HASH_LEN) == 0);
	view_digest(a.s, v1);
	view_digest(b.s, v2);
	CHECK(memcmp(v1, v2, HASH_LEN) == 0);
	store_close(a.s);
	store_close(b.s);

	side_init(&oa, "oa", 0x41);
	side_init(&ob, "ob", 0x42);
	write_posts(&oa, &oa.key, 2500);
	for (i = 0; i < 3; i++) {
		key_seed(&k[i], (uint8_t)(0x51 + i));
		write_posts(&oa, &k[i], 60);
	}
	write_posts(&ob, &ob.key, 40);
	pair_open(&oa, &ob, &to_a, &to_b);
	CHECK(repl_start(&oa.r, &e) == 0);
	CHECK(repl_start(&ob.r, &e) == 0);
	rc = settle(&oa, &ob, 40, &problems);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	CHECK(repl_settled(&oa.r) && repl_settled(&ob.r));
	digest(oa.s, da);
	digest(ob.s, db);
	CHECK(memcmp(da, db, HASH_LEN) == 0);
	view_digest(oa.s, v1);
	view_digest(ob.s, v2);
	CHECK(memcmp(v1, v2, HASH_LEN) == 0);
	repl_release(&oa.r);
	repl_release(&ob.r);
	wire_clear(&to_a);
	wire_clear(&to_b);
	store_close(oa.s);
	store_close(ob.s);
}

/*
 * A forged signature on the last entry of each run: store_ingest_run
 * cuts each run before it (the entry before it is signed and vouches for
 * the chain below), so x holds the feeds up to the entry before their
 * last, never a forged one, and store_verify finds nothing wrong.
 */
static void test_forged_cut(void)
{
	struct side a, x;
	struct key extra;
	struct err e = { 0 };
	uint64_t seq, n, p;
	int problems, rc;

	side_init(&a, "fa", 0x61);
	side_init(&x, "x", 0x78);
	key_seed(&extra, 0x71);
	write_posts(&a, &a.key, 1500); /* more than one run, each cut */
	write_posts(&a, &extra, 50);
	tamper = forge_last_sig;
	rc = run_pair(&a, &x, &problems, 0);
	tamper = NULL;
	CHECK(problems > 0 || rc < 0);
	store_head(x.s, extra.pk, &seq, NULL, NULL);
	CHECK_EQ_INT(seq, 49);
	err_clear(&e);
	CHECK(store_verify(x.s, NULL, NULL, &n, &p, &e) == 0);
	CHECK_EQ_INT(p, 0);
	store_close(a.s);
	store_close(x.s);
}

/*
 * Repair: b holds a feed with payloads a relay stripped (the heads, so
 * the frontier digests, are a's); a session with a fills b's holes even
 * so. A third replica that meets only the damaged b stops before the
 * first hole and holds no hole itself; after the repair it gets the rest.
 */
static void test_repair_sync(void)
{
	struct side a, b, c;
	struct key k;
	uint8_t d1[HASH_LEN], d2[HASH_LEN];
	uint64_t seq;
	int problems, rc;

	side_init(&a, "ra", 0x47);
	side_init(&b, "rb", 0x48);
	side_init(&c, "rc", 0x49);
	key_seed(&k, 0x4a);
	write_posts(&a, &k, 30);
	write_posts(&a, &a.key, 5);
	CHECK_EQ_INT(run_pair(&a, &b, &problems, 0), 0);
	strip(b.s, k.pk, 5, 7);
	strip(b.s, k.pk, 20, 20);
	CHECK_EQ_INT(problems_of(b.s), 4);
	CHECK_EQ_INT(holes_of(b.s), 1);
	digest(a.s, d1);
	digest(b.s, d2);
	CHECK(memcmp(d1, d2, HASH_LEN) == 0);

	/* c meets the damaged b only */
	rc = run_pair(&b, &c, &problems, 1);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	CHECK(repl_settled(&b.r) && repl_settled(&c.r));
	CHECK_EQ_INT(b.r.stats.repaired, 0);
	repl_release(&b.r);
	repl_release(&c.r);
	store_head(c.s, k.pk, &seq, NULL, NULL);
	CHECK_EQ_INT(seq, 4);
	store_head(c.s, a.key.pk, &seq, NULL, NULL);
	CHECK_EQ_INT(seq, 5);
	CHECK_EQ_INT(holes_of(c.s), 0);
	CHECK_EQ_INT(problems_of(c.s), 0);

	/* a and b: equal digests, and b's holes filled from a */
	rc = run_pair(&a, &b, &problems, 1);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	CHECK(b.r.equal_at_hello);
	CHECK_EQ_INT(b.r.stats.repaired, 4);
	CHECK_EQ_INT(b.r.stats.entries_in, 0);
	CHECK_EQ_INT(a.r.stats.repaired, 0);
	CHECK(repl_settled(&a.r) && repl_settled(&b.r));
	CHECK_EQ_INT(a.r.strikes + b.r.strikes, 0);
	repl_release(&a.r);
	repl_release(&b.r);
	CHECK_EQ_INT(holes_of(b.s), 0);
	CHECK_EQ_INT(problems_of(b.s), 0);
	view_digest(a.s, d1);
	view_digest(b.s, d2);
	CHECK(memcmp(d1, d2, HASH_LEN) == 0);

	/* and c, from the repaired b, the rest */
	CHECK_EQ_INT(run_pair(&b, &c, &problems, 0), 0);
	store_head(c.s, k.pk, &seq, NULL, NULL);
	CHECK_EQ_INT(seq, 30);
	view_digest(c.s, d2);
	CHECK(memcmp(d1, d2, HASH_LEN) == 0);
	CHECK_EQ_INT(problems_of(c.s), 0);
	store_close(a.s);
	store_close(b.s);
	store_close(c.s);
}

/*
 * Fork evidence sent unasked that adds nothing is a peer replaying it:
 * the first copy is recorded without a strike, each copy after it is a
 * strike, the third drops the peer. Evidence in a run that answers our
 * WANT (a feed that went another way, or a hole asked for again) costs
 * nothing, however often.
 */
static void test_fork_replay(void)
{
	static struct wire sink;
	static const char other[] = "{\"topic\":\"t\",\"body\":\"the other seq 1\"}";
	static const char next[] = "{\"topic\":\"t\",\"body\":\"on the other side\"}";
	struct side v, w;
	struct key k, peer;
	struct entry f1, e4;
	struct buf f, run;
	struct msg_head h;
	struct msg m;
	struct store_stats st;
	uint8_t dg[HASH_LEN], held4[ENTRY_ID_LEN];
	struct err e = { 0 };
	uint64_t seq;
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
	CHECK(store_frontier_digest(v.s, dg, &feeds, &e) == 0);
	hello_frame(&f, &peer, dg, feeds, 0);
	CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
	CHECK(strstr(e.msg, "fork") != NULL);
	CHECK_EQ_INT(v.r.strikes, 0);
	CHECK(store_stats(v.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
	CHECK_EQ_INT(v.r.strikes, 1);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
	CHECK_EQ_INT(v.r.strikes, 2);
	CHECK_EQ_INT(recv_frame(&v, &run, &e), STOA_EPROTO);
	CHECK_EQ_INT(v.r.strikes, REPL_STRIKES_MAX);
	CHECK(store_stats(v.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
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
	store_head(v.s, k.pk, &seq, held4, NULL);
	CHECK_EQ_INT(seq, 3);
	CHECK(store_stats(v.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	repl_release(&v.r);
	wire_clear(&sink);

	/* asked: seq 1 held without its payload is asked for at each
	 * session start, and the peer answers with the known fork */
	side_init(&w, "replay2", 0x4e);
	write_posts(&w, &k, 3);
	strip(w.s, k.pk, 1, 1);
	CHECK(store_frontier_digest(w.s, dg, &feeds, &e) == 0);
	victim_open(&w, &sink);
	hello_frame(&f, &peer, dg, feeds, 0);
	entries_frame(&run, &f1, other);
	for (i = 0; i < 2 * REPL_STRIKES_MAX; i++) {
		CHECK_EQ_INT(recv_frame(&w, &f, &e), 0); /* (re)starts */
		CHECK(last_sent(&w, &m) == 0 && m.type == MSG_WANT &&
		      m.u.want.from == 1);
		CHECK(!repl_settled(&w.r)); /* not while a hole is asked */
		CHECK_EQ_INT(recv_frame(&w, &run, &e), 1);
		CHECK(strstr(e.msg, "fork") != NULL);
		CHECK_EQ_INT(w.r.strikes, 0);
		CHECK(repl_settled(&w.r));
	}
	CHECK(store_stats(w.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	CHECK_EQ_INT(holes_of(w.s), 1);
	repl_release(&w.r);
	wire_clear(&sink);
	buf_release(&f);
	buf_release(&run);
	store_close(v.s);
	store_close(w.s);
}

/*
 * Fork probes (docs/protocol.md): one key writes on two nodes at once.
 * Two honest stores never exchange a seq both hold, so without a probe
 * neither records the proof. Equal heads under other ids: both record it
 * (each asks for the other's head). One branch longer: the shorter side
 * asks for the entry before the one that links elsewhere, and records it.
 */
static void test_fork_probe(void)
{
	struct side a, b, c, d;
	struct store_stats st;
	struct key k;
	struct err e = { 0 };
	int problems;

	side_init(&a, "probe-a", 0x61);
	side_init(&b, "probe-b", 0x62);
	key_seed(&k, 0x63);
	write_posts(&a, &k, 3);
	CHECK_EQ_INT(run_pair(&a, &b, &problems, 0), 0);
	CHECK_EQ_INT(problems, 0);
	write_posts(&a, &k, 1);          /* seq 4 on a ... */
	write_posts(&b, &k, 1);          /* ... and another seq 4 on b */
	CHECK_EQ_INT(run_pair(&a, &b, &problems, 0), 0);
	CHECK_EQ_INT(problems, 2);       /* each side records the proof */
	CHECK(store_stats(a.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	CHECK(store_stats(b.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	CHECK_EQ_INT(a.r.strikes + b.r.strikes, 0);
	/* again: proven already, asked, so no strike and nothing new */
	CHECK_EQ_INT(run_pair(&a, &b, &problems, 0), 0);
	CHECK(store_stats(a.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	CHECK_EQ_INT(a.r.strikes + b.r.strikes, 0);

	side_init(&c, "probe-c", 0x64);
	side_init(&d, "probe-d", 0x65);
	write_posts(&c, &k, 3);
	CHECK_EQ_INT(run_pair(&c, &d, &problems, 0), 0);
	write_posts(&c, &k, 1);          /* c: seq 4 */
	write_posts(&d, &k, 2);          /* d: another seq 4, then 5 */
	CHECK_EQ_INT(run_pair(&c, &d, &problems, 0), 0);
	CHECK(store_stats(c.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);       /* d's seq 4, probed */
	CHECK_EQ_INT(c.r.strikes + d.r.strikes, 0);
	store_close(a.s);
	store_close(b.s);
	store_close(c.s);
	store_close(d.s);
}

/*
 * A fork probe played against a victim: the peer names seq 4 of k's
 * feed, which the victim holds under another id, then says DONE. The
 * victim asks for the peer's seq 4 alone, and is not settled (a `stoa
 * sync` would end) before the answer is in; the answer is the proof.
 * In the next session the fork is proven already: no probe, and the
 * victim settles at the peer's DONE, as in a sync without a fork. A
 * session closed with the probe in flight counts no WANT in flight when
 * its answer comes late.
 */
static void test_probe_victim(void)
{
	static struct wire sink;
	static const char other[] = "{\"topic\":\"t\",\"body\":\"seq 4, the other\"}";
	struct side v;
	struct key k, peer;
	struct entry y4;
	struct buf f, run;
	struct msg_head h;
	struct msg m;
	struct store_stats st;
	uint8_t dg[HASH_LEN], id3[ENTRY_ID_LEN];
	struct err e = { 0 };
	uint64_t seq;
	size_t sent;
	int session;

	side_init(&v, "probe-victim", 0x51);
	key_seed(&k, 0x52);
	key_seed(&peer, 0x53);
	write_posts(&v, &k, 3);
	CHECK(store_head(v.s, k.pk, &seq, id3, &e) == 0 && seq == 3);
	write_posts(&v, &k, 1);
	CHECK(entry_create(&y4, &k, ENTRY_KIND_POST, 4, id3, 99, other,
			   strlen(other), NULL) == 0);
	buf_init(&f, MSG_MAX);
	buf_init(&run, MSG_MAX);
	entries_frame(&run, &y4, other);
	memcpy(h.author, k.pk, KEY_PUBLIC_LEN);
	h.seq = 4;
	memcpy(h.id, y4.id, ENTRY_ID_LEN);
	for (session = 0; session < 2; session++) {
		victim_open(&v, &sink);
		memset(dg, 0x3e, sizeof(dg));
		hello_frame(&f, &peer, dg, 1, 0);
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
		sent = sink.tail;
		buf_reset(&f);
		CHECK(msg_put_frontier(&f, 0, &h, 1) == 0);
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
		buf_reset(&f);
		CHECK(msg_put_done(&f) == 0);
		CHECK_EQ_INT(recv_frame(&v, &f, &e), 0);
		if (session == 1) {
			/* proven: nothing asked, settled at once */
			CHECK(last_sent(&v, &m) == 0 && m.type == MSG_DONE);
			CHECK_EQ_INT(sink.tail, sent + 1);
			CHECK(repl_settled(&v.r));
			repl_release(&v.r);
			wire_clear(&sink);
			break;
		}
		CHECK(last_sent(&v, &m) == 0 && m.type == MSG_WANT &&
		      m.u.want.from == 4 && m.u.want.max == 1 &&
		      memcmp(m.u.want.author, k.pk, KEY_PUBLIC_LEN) == 0);
		CHECK(!repl_settled(&v.r)); /* the probe is not answered */
		CHECK_EQ_INT(recv_frame(&v, &run, &e), 1);
		CHECK(strstr(e.msg, "fork") != NULL);
		CHECK_EQ_INT(v.r.strikes, 0);
		CHECK(repl_settled(&v.r));
		CHECK(last_sent(&v, &m) == 0 && m.type == MSG_DONE);
		CHECK(store_stats(v.s, &st, &e) == 0);
		CHECK_EQ_INT(st.forks, 1);
		repl_release(&v.r);
		wire_clear(&sink);
	}

	/* closed with a probe in flight: its late answer is no WANT's */
	{
		struct side w;

		side_init(&w, "probe-close", 0x54);
		write_posts(&w, &k, 3);
		write_posts(&w, &k, 1);
		victim_open(&w, &sink);
		hello_frame(&f, &peer, dg, 1, 0);
		CHECK_EQ_INT(recv_frame(&w, &f, &e), 0);
		buf_reset(&f);
		CHECK(msg_put_frontier(&f, 0, &h, 1) == 0);
		CHECK_EQ_INT(recv_frame(&w, &f, &e), 0);
		CHECK(last_sent(&w, &m) == 0 && m.type == MSG_WANT &&
		      m.u.want.max == 1);
		repl_close(&w.r, STOA_EPERM, "closing");
		CHECK_EQ_INT(w.r.in_flight, 0);
		recv_frame(&w, &run, &e);
		CHECK_EQ_INT(w.r.in_flight, 0);
		repl_release(&w.r);
		wire_clear(&sink);
		store_close(w.s);
	}
	buf_release(&f);
	buf_release(&run);
	store_close(v.s);
}

/*
 * Fork probes between honest stores, where they could go wrong: six
 * members each wrote on both nodes (more forks than a session probes:
 * the proven ones are not probed again, so the next session proves the
 * rest, never the same four each time); and a fork at a head held
 * without its payload (a hole), whose repair and probe both ask for the
 * same seq: each answer is taken for one of them, no strike.
 */
static void test_probe_honest(void)
{
	struct side a, b, c, d;
	struct store_stats st;
	struct key k[6];
	struct err e = { 0 };
	int problems, i, n;

	side_init(&a, "probe-many-a", 0x71);
	side_init(&b, "probe-many-b", 0x72);
	for (i = 0; i < 6; i++) {
		key_seed(&k[i], (uint8_t)(0x80 + i));
		write_posts(&a, &k[i], 2);
	}
	CHECK_EQ_INT(run_pair(&a, &b, &problems, 0), 0);
	for (i = 0; i < 6; i++) {
		write_posts(&a, &k[i], 1);
		write_posts(&b, &k[i], 1);
	}
	for (n = 0; n < 3; n++) {
		CHECK_EQ_INT(run_pair(&a, &b, &problems, 0), 0);
		CHECK_EQ_INT(a.r.strikes + b.r.strikes, 0);
	}
	CHECK(store_stats(a.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 6);
	CHECK(store_stats(b.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 6);

	side_init(&c, "probe-hole-c", 0x73);
	side_init(&d, "probe-hole-d", 0x74);
	write_posts(&c, &k[0], 2);
	CHECK_EQ_INT(run_pair(&c, &d, &problems, 0), 0);
	write_posts(&c, &k[0], 1);       /* c: seq 3 ... */
	write_posts(&d, &k[0], 1);       /* ... d: another seq 3 */
	strip(c.s, k[0].pk, 3, 3);       /* c holds its seq 3 as a hole */
	CHECK_EQ_INT(holes_of(c.s), 1);
	CHECK_EQ_INT(run_pair(&c, &d, &problems, 0), 0);
	CHECK_EQ_INT(c.r.strikes, 0);
	CHECK_EQ_INT(d.r.strikes, 0);
	CHECK(store_stats(c.s, &st, &e) == 0);
	CHECK_EQ_INT(st.forks, 1);
	store_close(a.s);
	store_close(b.s);
	store_close(c.s);
	store_close(d.s);
}

int main(void)
{
	struct community com;
	struct err e = { 0 };
	char cmd[600];

	if (key_lib_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	CHECK(community_create(&com, "test", &e) == 0);
	community_derive(&com, COMMUNITY_KEY_HELLO, hello_key);
	replica_ops_init(&ops, wire_send);
	buf_init(&scratch, MSG_MAX);

	test_views();
	test_forged_cut();
	test_repair_sync();
	test_fork_replay();
	test_fork_probe();
	test_probe_victim();
	test_probe_honest();

	buf_release(&scratch);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return test_report("replica");
}
