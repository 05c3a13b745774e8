/*
 * Unit tests of the replication state machine (sync/repl) over real
 * stores, wired together in memory: a cold sync in both directions,
 * a warm sync settled by one HELLO each way, a courier (A->B->C, C never
 * meets A), live propagation with HAVE, and hostile peers: a bad hello
 * auth, malformed frames until the drop, a run with a forged signature or
 * a changed payload refused with the store left untouched.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
};

static char tmpdir[] = "/tmp/stoa-test-repl-XXXXXX";
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

static void head_of(struct store *s, const struct key *k, struct msg_head *h)
{
	memcpy(h->author, k->pk, KEY_PUBLIC_LEN);
	CHECK(store_head(s, k->pk, &h->seq, h->id, NULL) == 0);
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

int main(void)
{
	struct side a, b, c, x;
	struct key extra[3];
	uint8_t da[HASH_LEN], db[HASH_LEN], dc[HASH_LEN], v1[HASH_LEN],
		v2[HASH_LEN];
	struct msg_head h;
	struct community com;
	struct err e = { 0 };
	uint64_t seq;
	char cmd[600];
	int i, problems, rc;

	if (key_lib_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	CHECK(community_create(&com, "test", &e) == 0);
	community_derive(&com, COMMUNITY_KEY_HELLO, hello_key);
	replica_ops_init(&ops, wire_send);
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
	digest(a.s, da);
	digest(b.s, db);
	CHECK(memcmp(da, db, HASH_LEN) == 0);
	view_digest(a.s, v1);
	view_digest(b.s, v2);
	CHECK(memcmp(v1, v2, HASH_LEN) == 0);

	/* live: A writes while connected; HAVE brings it to B */
	write_posts(&a, &a.key, 1);
	head_of(a.s, &a.key, &h);
	{
		int before = (int)b.r.stats.entries_in;

		err_clear(&e);
		CHECK(repl_notify(&a.r, &h, &e) == 0);
		deliver(&a, &b); /* what is queued, without restarting */
		CHECK_EQ_INT(b.r.stats.entries_in, before + 1);
		store_head(b.s, a.key.pk, &seq, NULL, NULL);
		CHECK_EQ_INT(seq, 2501);

		/* A restarts its session (a fresh HELLO): B restarts too and
		 * says hello back, and both settle again, without a strike */
		write_posts(&a, &a.key, 3);
		repl_release(&a.r);
		repl_init(&a.r, &ops, &a.rp, &a, a.key.pk, hello_key, &scratch);
		err_clear(&e);
		CHECK(repl_start(&a.r, &e) == 0);
		deliver(&a, &b);
		CHECK(repl_settled(&a.r) && repl_settled(&b.r));
		CHECK_EQ_INT(b.r.strikes, 0);
		store_head(b.s, a.key.pk, &seq, NULL, NULL);
		CHECK_EQ_INT(seq, 2504);

		/* A starts over in the middle of a transfer: once B holds
		 * everything it lacks nothing (what it expected before the
		 * restart is asked for again, not expected twice) */
		{
			uint64_t in = 1, out, got = b.r.stats.entries_in;

			write_posts(&a, &a.key, 5000);
			head_of(a.s, &a.key, &h);
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
			store_head(b.s, a.key.pk, &seq, NULL, NULL);
			CHECK_EQ_INT(seq, 7504);
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
	digest(c.s, dc);
	digest(a.s, da);
	CHECK(memcmp(da, dc, HASH_LEN) == 0);
	store_head(c.s, extra[0].pk, &seq, NULL, NULL);
	CHECK_EQ_INT(seq, 1200);

	/* hostile: a forged signature on the last entry of each run */
	side_init(&x, "x", 0x78);
	write_posts(&a, &extra[1], 50);
	digest(x.s, dc);
	tamper = forge_last_sig;
	rc = run_pair(&a, &x, &problems, 0);
	tamper = NULL;
	CHECK(problems > 0 || rc < 0);
	/* each run is cut before its forged last entry (the one before it is
	 * signed and vouches for the chain below): x holds extra[1]'s feed up
	 * to 49, never the forged 50th */
	store_head(x.s, extra[1].pk, &seq, NULL, NULL);
	CHECK_EQ_INT(seq, 49);
	{
		uint64_t n, p;

		err_clear(&e);
		CHECK(store_verify(x.s, NULL, NULL, &n, &p, &e) == 0);
		CHECK_EQ_INT(p, 0);
	}
	/* a changed payload is refused too, and an honest sync after works */
	tamper = change_payload;
	rc = run_pair(&a, &x, &problems, 0);
	tamper = NULL;
	CHECK(problems > 0 || rc < 0);
	rc = run_pair(&a, &x, &problems, 0);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(problems, 0);
	digest(a.s, da);
	digest(x.s, dc);
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
		CHECK_EQ_INT(problems, 1);      /* the fork, reported */
		CHECK_EQ_INT(q.r.strikes, 0);
		CHECK_EQ_INT(r.r.strikes, 0);
		repl_release(&q.r);
		repl_release(&r.r);
		store_head(q.s, extra[2].pk, &seq, NULL, NULL);
		CHECK_EQ_INT(seq, 4);
		store_close(q.s);
		store_close(r.s);
	}

	/* hostile: bad hello auth is dropped at once */
	{
		struct buf f;
		uint8_t bad[HASH_LEN] = { 0 }, dg[HASH_LEN];
		struct wire sink;

		memset(&sink, 0, sizeof(sink));
		b.in_of_peer = &sink;
		b.rp.store = b.s;
		repl_init(&b.r, &ops, &b.rp, &b, b.key.pk, hello_key, &scratch);
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

	buf_release(&scratch);
	store_close(a.s);
	store_close(b.s);
	store_close(c.s);
	store_close(x.s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	(void)db;
	return test_report("repl");
}
