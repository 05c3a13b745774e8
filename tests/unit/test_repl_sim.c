/*
 * Unit test: the replication state machine (sync/repl.c) without SQLite,
 * two and three replicas over in-memory stores (mem_store.c) wired by an
 * in-memory network, under thousands of seeded schedules.
 *
 * Each seed draws from a xorshift PRNG: which feeds each replica holds
 * (prefixes of a pool of signed feeds, overlapping and disjoint), the
 * topology (three replicas: a line or a triangle), then a faulty phase
 * in which frames are dropped, duplicated and delivered out of order,
 * sends find the peer's queue full (the outbox), sessions restart
 * (repl_restart) or reconnect (a fresh repl_init/repl_start, frames in
 * flight lost), and authors write new entries (announced by HAVE to
 * every session, as the daemon does). A clean phase follows: every frame
 * is delivered in order; when all is quiet, an unsettled session is
 * restarted (the daemon's stall restart), up to CLEAN_RESTARTS times;
 * then (or at once if every session is settled yet stores differ: a lost
 * frame) every link reconnects, and that one fault-free round must end
 * with every replica holding every feed to its head:
 * equal heads and frontier digests, the digest also computed from the
 * pool. A failing seed is printed with the command that replays it:
 *
 *   test_repl_sim --seed N --verbose
 *
 * Other options: --pairs N, --triples N (how many seeds of each).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entry.h"
#include "key.h"
#include "mem_store.h"
#include "msg.h"
#include "repl.h"
#include "test.h"

#define NAUTH 6         /* authors in the pool */
#define POOL_N 48       /* entries per author in the pool */
#define NODES_MAX 3
#define LINKS_MAX 3
#define CLEAN_RESTARTS 3 /* stall-restart rounds before the reconnect */
#define CLEAN_ROUNDS (CLEAN_RESTARTS + 1)
#define DELIVERIES_MAX 200000

/* ---- the pool of signed feeds ------------------------------------------ */

static struct key authors[NAUTH];
static struct entry pool[NAUTH][POOL_N];
static uint8_t *pool_pay[NAUTH][POOL_N];
static uint32_t pool_plen[NAUTH][POOL_N];

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static unsigned below(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static int chance(unsigned percent)
{
	return below(100) < percent;
}

static void pool_make(void)
{
	struct err e;

	rng_state = 0x5354u;
	for (int a = 0; a < NAUTH; a++) {
		uint8_t seed[KEY_SEED_LEN];

		memset(seed, 0x10 + a, sizeof(seed));
		key_from_seed(&authors[a], seed);
		for (int i = 0; i < POOL_N; i++) {
			/* author 0 writes big entries: its feed takes more
			 * than one run (MSG_RUN_BYTES) */
			uint32_t len = a == 0 ? 7000 + below(1000) : below(200);
			uint8_t *p = malloc(len ? len : 1);

			for (uint32_t j = 0; j < len; j++)
				p[j] = (uint8_t)rnd();
			pool_pay[a][i] = p;
			pool_plen[a][i] = len;
			err_clear(&e);
			if (entry_create(&pool[a][i], &authors[a], 200,
					 (uint64_t)i + 1,
					 i ? pool[a][i - 1].id : NULL,
					 1700000000000ull + (uint64_t)i, p, len,
					 &e) < 0) {
				fprintf(stderr, "entry_create: %s\n", e.msg);
				exit(1);
			}
		}
	}
}

static int author_index(const uint8_t pk[KEY_PUBLIC_LEN])
{
	for (int a = 0; a < NAUTH; a++)
		if (memcmp(authors[a].pk, pk, KEY_PUBLIC_LEN) == 0)
			return a;
	return -1;
}

/* ---- the network --------------------------------------------------------- */

struct frame {
	uint8_t *p;
	size_t len;
};

struct queue {
	struct frame *v;
	size_t n, cap;
};

struct link;

struct end {
	struct repl r;
	struct link *l;
	int side;    /* 0 or 1: l->node[side] is this end's node */
	int up;      /* repl_init done */
};

struct link {
	int node[2];
	struct end end[2];
	struct queue q[2]; /* q[i]: frames on their way to end[i] */
};

struct node {
	struct mem_store st;
	struct key key;
	int grown[NAUTH];  /* feeds that grew since the last announcement */
};

static struct {
	int verbose;
	int faulty;            /* faults on */
	int nnodes, nlinks;
	struct node nodes[NODES_MAX];
	struct link links[LINKS_MAX];
	struct repl_ops ops;
	struct buf scratch;
	uint8_t hello_key[32];
	uint64_t expected[NAUTH];
	unsigned long deliveries, drops, dups, reorders, busy, restarts,
		reconnects, peer_drops, refused, appends;
} S;

static void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!S.verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void queue_push(struct queue *q, const uint8_t *p, size_t len)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = realloc(q->v, q->cap * sizeof(*q->v));
		if (!q->v)
			abort();
	}
	q->v[q->n].p = malloc(len ? len : 1);
	if (!q->v[q->n].p)
		abort();
	memcpy(q->v[q->n].p, p, len);
	q->v[q->n].len = len;
	q->n++;
}

static void queue_clear(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].p);
	q->n = 0;
}

/* ops->send: the frame goes on its way to the other end. */
static int net_send(void *peer, const uint8_t *p, size_t len, struct err *e)
{
	struct end *x = peer;

	(void)e;
	if (S.faulty && chance(3)) {
		S.busy++;
		return STOA_EBUSY; /* the peer's queue is full: the outbox */
	}
	queue_push(&x->l->q[1 - x->side], p, len);
	return 0;
}

/* mem_store grew: remembered, announced after the step (as the daemon
 * announces a pass's growth to every peer). */
static void node_grew(void *arg, const struct msg_head *h)
{
	struct node *n = arg;
	int a = author_index(h->author);

	if (a >= 0)
		n->grown[a] = 1;
}

static void end_start(struct end *x)
{
	struct node *n = &S.nodes[x->l->node[x->side]];
	struct err e = { 0 };

	repl_init(&x->r, &S.ops, &n->st, x, n->key.pk, S.hello_key, &S.scratch);
	x->up = 1;
	if (repl_start(&x->r, &e) < 0)
		vlog("  start failed: %s", e.msg);
}

/* A new connection: what was in flight is lost, both sides say HELLO. */
static void link_reconnect(struct link *l)
{
	for (int s = 0; s < 2; s++) {
		if (l->end[s].up)
			repl_release(&l->end[s].r);
		l->end[s].up = 0;
		queue_clear(&l->q[s]);
	}
	for (int s = 0; s < 2; s++)
		end_start(&l->end[s]);
	S.reconnects++;
}

static void announce(void)
{
	for (int i = 0; i < S.nnodes; i++) {
		struct node *n = &S.nodes[i];

		for (int a = 0; a < NAUTH; a++) {
			struct msg_head h;

			if (!n->grown[a])
				continue;
			n->grown[a] = 0;
			memcpy(h.author, authors[a].pk, KEY_PUBLIC_LEN);
			h.seq = mem_store_head(&n->st, h.author, h.id);
			for (int k = 0; k < S.nlinks; k++) {
				struct link *l = &S.links[k];

				for (int s = 0; s < 2; s++) {
					struct err e = { 0 };

					if (l->node[s] != i || !l->end[s].up)
						continue;
					if (repl_notify(&l->end[s].r, &h, &e) < 0) {
						vlog("  notify: %s: reconnect", e.msg);
						link_reconnect(l);
					}
				}
			}
		}
	}
}

static void drain_all(void)
{
	for (int k = 0; k < S.nlinks; k++)
		for (int s = 0; s < 2; s++) {
			struct end *x = &S.links[k].end[s];
			struct err e = { 0 };

			if (x->up && repl_backlog(&x->r) > 0 &&
			    repl_drain(&x->r, &e) < 0) {
				vlog("  drain: %s: reconnect", e.msg);
				link_reconnect(&S.links[k]);
			}
		}
}

/* Delivers one frame of l's queue to end s (faults when on). */
static void deliver(struct link *l, int s)
{
	struct queue *q = &l->q[s];
	struct end *x = &l->end[s];
	struct frame f;
	size_t i = 0;
	struct err e = { 0 };
	int rc, dup = 0;

	if (q->n == 0)
		return;
	if (S.faulty && q->n > 1 && chance(15)) {
		i = below((unsigned)q->n);
		S.reorders += i != 0;
	}
	f = q->v[i];
	if (S.faulty && chance(4)) {
		dup = 1;
		S.dups++;
		f.p = malloc(f.len ? f.len : 1);
		memcpy(f.p, q->v[i].p, f.len);
	} else {
		memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof(q->v[0]));
		q->n--;
	}
	if (S.faulty && !dup && chance(4)) {
		S.drops++;
		vlog("  drop %s to node %d", f.len > 3 ? msg_type_name(f.p[3]) : "?",
		     l->node[s]);
		free(f.p);
		return;
	}
	S.deliveries++;
	rc = repl_recv(&x->r, f.p, f.len, &e);
	vlog("  %s%s -> node %d: %d %s", f.len > 3 ? msg_type_name(f.p[3]) : "?",
	     dup ? " (dup)" : "", l->node[s], rc, rc ? e.msg : "");
	free(f.p);
	if (rc == 1)
		S.refused++;
	if (rc < 0) {
		S.peer_drops++;
		link_reconnect(l); /* the daemon drops it; it dials again */
	}
}

/* ---- one seed ----------------------------------------------------------- */

static int converged(void)
{
	struct msg_head t[NAUTH];
	uint8_t want[HASH_LEN], d[HASH_LEN];
	size_t n = 0;
	uint32_t feeds;

	/* the pool's feeds to the expected heads, sorted by author */
	for (int a = 0; a < NAUTH; a++) {
		if (!S.expected[a])
			continue;
		memcpy(t[n].author, authors[a].pk, KEY_PUBLIC_LEN);
		t[n].seq = S.expected[a];
		memcpy(t[n].id, pool[a][S.expected[a] - 1].id, ENTRY_ID_LEN);
		n++;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && memcmp(t[j - 1].author, t[j].author,
						   KEY_PUBLIC_LEN) > 0; j--) {
			struct msg_head tmp = t[j];

			t[j] = t[j - 1];
			t[j - 1] = tmp;
		}
	mem_frontier_digest(t, n, want);
	for (int i = 0; i < S.nnodes; i++) {
		if (mem_store_digest(&S.nodes[i].st, d, &feeds) < 0 ||
		    feeds != n || !bytes_equal(d, want, HASH_LEN))
			return 0;
		for (int a = 0; a < NAUTH; a++)
			if (mem_store_head(&S.nodes[i].st, authors[a].pk, NULL) !=
			    S.expected[a])
				return 0;
	}
	return 1;
}

static int queues_empty(void)
{
	for (int k = 0; k < S.nlinks; k++)
		if (S.links[k].q[0].n || S.links[k].q[1].n ||
		    repl_backlog(&S.links[k].end[0].r) ||
		    repl_backlog(&S.links[k].end[1].r))
			return 0;
	return 1;
}

static void report_heads(void)
{
	for (int i = 0; i < S.nnodes; i++) {
		fprintf(stderr, "  node %d:", i);
		for (int a = 0; a < NAUTH; a++)
			fprintf(stderr, " %llu/%llu",
				(unsigned long long)mem_store_head(&S.nodes[i].st,
								   authors[a].pk, NULL),
				(unsigned long long)S.expected[a]);
		fputc('\n', stderr);
	}
}

static void sim_free(void)
{
	for (int k = 0; k < S.nlinks; k++)
		for (int s = 0; s < 2; s++) {
			if (S.links[k].end[s].up)
				repl_release(&S.links[k].end[s].r);
			queue_clear(&S.links[k].q[s]);
			free(S.links[k].q[s].v);
		}
	for (int i = 0; i < S.nnodes; i++)
		mem_store_free(&S.nodes[i].st);
	memset(S.links, 0, sizeof(S.links));
	memset(S.nodes, 0, sizeof(S.nodes));
}

/* Runs one seed; 0 when it converged. */
static int run_seed(uint64_t seed, int nnodes)
{
	unsigned steps;
	int owner[NAUTH], ok = 0, round;

	rng_state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (!rng_state)
		rng_state = 1;
	S.nnodes = nnodes;
	for (int i = 0; i < nnodes; i++) {
		uint8_t ks[KEY_SEED_LEN];

		mem_store_init(&S.nodes[i].st);
		S.nodes[i].st.grew = node_grew;
		S.nodes[i].st.arg = &S.nodes[i];
		memset(ks, 0x80 + i, sizeof(ks));
		key_from_seed(&S.nodes[i].key, ks);
	}
	/* feeds: each author's owner holds a prefix, others a shorter one
	 * or none; some authors are held by no one at first */
	for (int a = 0; a < NAUTH; a++) {
		unsigned own = below(POOL_N - 8);

		owner[a] = (int)below((unsigned)nnodes);
		S.expected[a] = own;
		for (int i = 0; i < nnodes; i++) {
			unsigned n = i == owner[a] ? own
				     : chance(50) ? below(own + 1) : 0;

			for (unsigned j = 0; j < n; j++) {
				struct err e = { 0 };

				if (mem_store_append(&S.nodes[i].st, &pool[a][j],
						     pool_pay[a][j],
						     pool_plen[a][j], &e) < 0) {
					fprintf(stderr, "seed %llu: append: %s\n",
						(unsigned long long)seed, e.msg);
					abort();
				}
			}
			S.nodes[i].grown[a] = 0;
		}
	}
	/* links: a pair; three as a line (0-1, 1-2) or a triangle */
	S.nlinks = nnodes == 2 ? 1 : chance(50) ? 2 : 3;
	for (int k = 0; k < S.nlinks; k++) {
		struct link *l = &S.links[k];

		l->node[0] = k == 2 ? 0 : k;
		l->node[1] = k == 2 ? 2 : k + 1;
		for (int s = 0; s < 2; s++) {
			l->end[s].l = l;
			l->end[s].side = s;
		}
	}
	vlog("seed %llu: %d nodes, %d links", (unsigned long long)seed, nnodes,
	     S.nlinks);
	S.faulty = 1;
	for (int k = 0; k < S.nlinks; k++)
		for (int s = 0; s < 2; s++)
			end_start(&S.links[k].end[s]);
	/* the faulty phase */
	steps = 100 + below(400);
	for (unsigned i = 0; i < steps; i++) {
		struct link *l = &S.links[below((unsigned)S.nlinks)];
		int s = (int)below(2), a = (int)below(NAUTH);
		unsigned what = below(100);

		if (what < 85) {
			deliver(l, s);
		} else if (what < 90) {
			struct err e = { 0 };

			vlog("  restart node %d's session", l->node[s]);
			S.restarts++;
			if (repl_restart(&l->end[s].r, &e) < 0)
				link_reconnect(l);
		} else if (what < 92) {
			vlog("  reconnect %d-%d", l->node[0], l->node[1]);
			link_reconnect(l);
		} else if (what < 97 && S.expected[a] < POOL_N) {
			struct err e = { 0 };
			uint64_t j = S.expected[a];
			struct node *n = &S.nodes[owner[a]];

			/* the owner writes only on top of its own feed */
			if (mem_store_head(&n->st, authors[a].pk, NULL) == j) {
				vlog("  node %d writes %d/%llu", owner[a], a,
				     (unsigned long long)j + 1);
				if (mem_store_append(&n->st, &pool[a][j],
						     pool_pay[a][j],
						     pool_plen[a][j], &e) < 0)
					abort();
				S.expected[a]++;
				S.appends++;
			}
		}
		announce();
		drain_all();
	}
	/* the clean phase: all in order; a quiet, unsettled session is
	 * restarted, as the daemon does when a session stalls */
	S.faulty = 0;
	for (round = 0; round < CLEAN_ROUNDS && !ok; round++) {
		unsigned long n0 = S.deliveries;
		int unsettled = 0;

		drain_all();
		while (!queues_empty() && S.deliveries - n0 < DELIVERIES_MAX) {
			for (int k = 0; k < S.nlinks; k++)
				for (int s = 0; s < 2; s++)
					deliver(&S.links[k], s);
			announce();
			drain_all();
		}
		if (!queues_empty())
			break; /* a storm: fails below */
		if (converged()) {
			ok = 1;
			break;
		}
		vlog("  quiet, not converged: round %d", round);
		if (round == CLEAN_ROUNDS - 1)
			break;
		for (int k = 0; k < S.nlinks; k++)
			for (int s = 0; s < 2; s++) {
				struct end *x = &S.links[k].end[s];
				struct err e = { 0 };

				if (repl_settled(&x->r))
					continue;
				unsettled++;
				if (!x->r.got_hello)
					link_reconnect(&S.links[k]);
				else if (repl_restart(&x->r, &e) < 0)
					link_reconnect(&S.links[k]);
			}
		if (!unsettled || round == CLEAN_RESTARTS - 1) {
			/* all settled yet stores differ (a lost frame), or
			 * restarts did not do: every link reconnects, and
			 * that last round must converge on its own */
			vlog("  reconnect every link: the last round");
			for (int k = 0; k < S.nlinks; k++)
				link_reconnect(&S.links[k]);
			round = CLEAN_ROUNDS - 2;
		}
	}
	if (!ok) {
		fprintf(stderr, "seed %llu (%d replicas): not converged after %d "
			"clean rounds; replay: test_repl_sim --seed %llu%s "
			"--verbose\n", (unsigned long long)seed, nnodes, round + 1,
			(unsigned long long)seed, nnodes == 3 ? " --three" : "");
		report_heads();
	}
	sim_free();
	return ok ? 0 : -1;
}

/* ---- the digest against the documented vectors ------------------------- */

static void hex32(uint8_t out[32], const char *hex)
{
	CHECK(hex_decode(out, 32, hex) == 0);
}

static int cmp_head(const void *a, const void *b)
{
	return memcmp(((const struct msg_head *)a)->author,
		      ((const struct msg_head *)b)->author, KEY_PUBLIC_LEN);
}

/* tests/golden/protocol-v1.txt: frontier-empty, -three, -gen-N */
static void test_digest_vectors(void)
{
	static const struct {
		unsigned n;
		const char *digest;
	} gen[] = {
		{ 0, "89eb0d6a8a691dae2cd15ed0369931ce0a949ecafa5c3f93f8121833646e15c3" },
		{ 910, "b6bd0768e49b917dcf6771ed67085ae09e9f94d27ce26a03ef833cce4b8d87b4" },
		{ 911, "3174d736affda8d67ee7c9b67a26cdcd95b86949047ce74fce994c4fd33f5b9e" },
		{ 1000, "2126581d78b62a768b3ac4c43f361242742f45e174fef6af671a2de3c2b70c4e" },
		{ 1822, "985f1cf6996aee0a96c3c5375e5ebfd1e4b6fa32110980d67dcd9ac830ed4b77" },
	};
	struct msg_head *t = calloc(1822, sizeof(*t));
	struct msg_head three[3];
	uint8_t d[HASH_LEN], want[HASH_LEN];

	for (size_t g = 0; g < sizeof(gen) / sizeof(gen[0]); g++) {
		for (unsigned i = 0; i < gen[g].n; i++) {
			/* be32(i), i < 65536 here */
			uint8_t ma[22], mh[20];

			memcpy(ma, "stoa-golden-author", 18);
			ma[18] = ma[19] = 0;
			ma[20] = (uint8_t)(i >> 8);
			ma[21] = (uint8_t)i;
			hash_blake2b(t[i].author, ma, sizeof(ma));
			memcpy(mh, "stoa-golden-head", 16);
			mh[16] = mh[17] = 0;
			mh[18] = (uint8_t)(i >> 8);
			mh[19] = (uint8_t)i;
			hash_blake2b(t[i].id, mh, sizeof(mh));
			t[i].seq = ((uint64_t)i << 32) + i + 1;
		}
		qsort(t, gen[g].n, sizeof(*t), cmp_head);
		mem_frontier_digest(t, gen[g].n, d);
		hex32(want, gen[g].digest);
		CHECK(bytes_equal(d, want, HASH_LEN));
	}
	memset(three[0].author, 0x00, 32);
	three[0].seq = 1;
	memset(three[0].id, 0x22, 32);
	hex32(three[1].author, "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
	three[1].seq = 2;
	hex32(three[1].id, "ce6fd59ec4419e05f6a90f726fc71516937e9e01afa1e1d18d7feed851429dfa");
	memset(three[2].author, 0xff, 32);
	three[2].seq = 9223372036854775807ull;
	memset(three[2].id, 0x11, 32);
	mem_frontier_digest(three, 3, d);
	hex32(want, "2a9e275028a503c173bbaf9bf4567f69106697f39e539afdcc29f2942bfe4392");
	CHECK(bytes_equal(d, want, HASH_LEN));
	free(t);
}

/* The mem store refuses what the real one refuses, in the essentials. */
static void test_mem_store_checks(void)
{
	struct mem_store s;
	struct err e = { 0 };
	struct entry bad;

	mem_store_init(&s);
	/* a gap */
	CHECK(mem_store_append(&s, &pool[1][1], pool_pay[1][1], pool_plen[1][1],
			       &e) == STOA_ESEQ);
	CHECK(mem_store_append(&s, &pool[1][0], pool_pay[1][0], pool_plen[1][0],
			       &e) == 0);
	/* a payload that is not the header's */
	CHECK(mem_store_append(&s, &pool[1][1], pool_pay[2][1], pool_plen[2][1],
			       &e) < 0 || pool_plen[2][1] == pool_plen[1][1]);
	/* a forged signature */
	bad = pool[1][1];
	bad.signed_bytes[ENTRY_SIG_OFFSET] ^= 1;
	CHECK(entry_decode(&bad, bad.signed_bytes, ENTRY_SIGNED_LEN, &e) == 0);
	CHECK(mem_store_append(&s, &bad, pool_pay[1][1], pool_plen[1][1],
			       &e) == STOA_ECRYPTO);
	CHECK_EQ_INT(mem_store_head(&s, authors[1].pk, NULL), 1);
	/* an entry of another feed's chain: its prev does not link */
	CHECK(mem_store_append(&s, &pool[2][1], pool_pay[2][1], pool_plen[2][1],
			       &e) == STOA_ESEQ);
	CHECK(mem_store_append(&s, &pool[1][1], pool_pay[1][1], pool_plen[1][1],
			       &e) == 0);
	CHECK_EQ_INT(mem_store_head(&s, authors[1].pk, NULL), 2);
	mem_store_free(&s);
}

int main(int argc, char **argv)
{
	long long one = -1;
	int three = 0;
	unsigned pairs = 1500, triples = 300, failed = 0;
	clock_t t0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			one = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--three"))
			three = 1;
		else if (!strcmp(argv[i], "--verbose"))
			S.verbose = 1;
		else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
			pairs = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--triples") && i + 1 < argc)
			triples = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: test_repl_sim [--seed N [--three]] "
				"[--verbose] [--pairs N] [--triples N]\n");
			return 2;
		}
	}
	if (key_lib_init() < 0)
		return 1;
	buf_init(&S.scratch, MSG_MAX);
	memset(S.hello_key, 0x48, sizeof(S.hello_key));
	mem_store_ops_init(&S.ops, net_send);
	pool_make();
	test_digest_vectors();
	test_mem_store_checks();
	t0 = clock();
	if (one >= 0) {
		CHECK(run_seed((uint64_t)one, three ? 3 : 2) == 0);
	} else {
		for (unsigned i = 0; i < pairs; i++)
			failed += run_seed(i, 2) < 0;
		for (unsigned i = 0; i < triples; i++)
			failed += run_seed(1000000 + i, 3) < 0;
		CHECK_EQ_INT(failed, 0);
	}
	printf("test_repl_sim: %u+%u seeds in %.1f s: %lu frames delivered, "
	       "%lu dropped, %lu duplicated, %lu reordered, %lu busy sends, "
	       "%lu restarts, %lu reconnects, %lu peers dropped, %lu refused, "
	       "%lu entries written\n",
	       one >= 0 ? 1 : pairs, one >= 0 ? 0 : triples,
	       (double)(clock() - t0) / CLOCKS_PER_SEC, S.deliveries, S.drops,
	       S.dups, S.reorders, S.busy, S.restarts, S.reconnects,
	       S.peer_drops, S.refused, S.appends);
	buf_release(&S.scratch);
	return test_report("test_repl_sim");
}
