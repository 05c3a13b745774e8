/*
 * Unit test of node/gov_store over real stores: the governance state a
 * store reaches by ingesting a community's entries in any order, one by
 * one or in batches of any size, is the state a full rebuild gives
 * (store_reindex runs the rules once over everything held). Each seed
 * makes a random community of 6 members: posts, role records (some
 * replacing earlier ones), hides, unhides, erasures (of others' entries,
 * of one's own, of ids nobody has), reports, removals with random
 * cut-offs and rotations sealed to random members; ingests it in a random interleaving of the feeds with random
 * batches; and compares the view dumps (governance tables included)
 * before and after store_reindex. A failing seed is printed:
 * `test_gov_store --seed N` replays it and shows the diff;
 * `test_gov_store --seeds N` runs seeds 1..N (default SEEDS).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "payload.h"
#include "store.h"
#include "test.h"

#define MEMBERS 6
#define RAWS_MAX 400
#define SEEDS 300

struct raw {
	uint8_t signed_bytes[ENTRY_SIGNED_LEN];
	char payload[2048]; /* a rotation to 6 members: about 1.3 KB */
	size_t plen;
	int author;
	uint8_t id[ENTRY_ID_LEN];
};

static struct key keys[MEMBERS];
static uint64_t head_seq[MEMBERS];
static uint8_t head_id[MEMBERS][ENTRY_ID_LEN];
static struct raw raws[RAWS_MAX];
static int nraws, role_raws[RAWS_MAX], nroles;
static uint64_t rng_state;
static char tmpdir[] = "/tmp/stoa-test-gov-store-XXXXXX";

static unsigned rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state >> 11);
}

static const char *hex(const uint8_t *p)
{
	static char bufs[4][ENTRY_ID_HEX_LEN + 1];
	static int i;
	char *b = bufs[i++ % 4];

	hex_encode(b, p, 32);
	return b;
}

/* Signs the next entry of member m. */
static void mk(int m, uint8_t kind, uint64_t ts, const char *json)
{
	struct raw *r = &raws[nraws];
	struct entry en;
	struct err e = { 0 };
	uint64_t seq = head_seq[m] + 1;

	snprintf(r->payload, sizeof(r->payload), "%s", json);
	r->plen = strlen(r->payload);
	CHECK(entry_create(&en, &keys[m], kind, seq, seq > 1 ? head_id[m] : NULL,
			   ts, r->payload, r->plen, &e) == 0);
	r->author = m;
	memcpy(r->signed_bytes, en.signed_bytes, ENTRY_SIGNED_LEN);
	memcpy(r->id, en.id, ENTRY_ID_LEN);
	head_seq[m] = seq;
	memcpy(head_id[m], en.id, ENTRY_ID_LEN);
	if (kind == ENTRY_KIND_ROLE)
		role_raws[nroles++] = nraws;
	nraws++;
}

/* A random seen/seq for member m: 0 .. its head. */
static unsigned upto_head(int m)
{
	return head_seq[m] ? rnd() % (unsigned)(head_seq[m] + 1) : 0;
}

static void role_record(int m, uint64_t ts)
{
	static const char *const roles[] = { "learner", "mentor", "facilitator",
					     "facilitator" };
	char j[1024];
	int mem = (int)(rnd() % MEMBERS), n = nroles ? (int)(rnd() % 3) : 0, q, o;

	o = snprintf(j, sizeof(j), "{\"member\":\"%s\",\"role\":\"%s\","
		     "\"seen\":%u,\"replaces\":[", hex(keys[mem].pk),
		     roles[rnd() % 4], upto_head(mem));
	for (q = 0; q < n; q++)
		o += snprintf(j + o, sizeof(j) - o, "%s\"%s\"", q ? "," : "",
			      hex(raws[role_raws[rnd() % nroles]].id));
	snprintf(j + o, sizeof(j) - o, "]}");
	mk(m, ENTRY_KIND_ROLE, ts, j);
}

static void target_record(int m, uint64_t ts)
{
	static const uint8_t kinds[] = { ENTRY_KIND_HIDE, ENTRY_KIND_UNHIDE,
					 ENTRY_KIND_ERASE, ENTRY_KIND_ERASE,
					 ENTRY_KIND_REPORT };
	uint8_t kind = kinds[rnd() % 5], nobody[ENTRY_ID_LEN];
	const uint8_t *target = raws[rnd() % (unsigned)nraws].id;
	char j[256];
	int q;

	if (kind == ENTRY_KIND_ERASE && rnd() % 2) { /* one's own entry */
		for (q = nraws - 1; q >= 0 && raws[q].author != m; q--)
			;
		if (q >= 0)
			target = raws[q].id;
	}
	if (rnd() % 10 == 0) { /* an id nobody has */
		for (q = 0; q < ENTRY_ID_LEN; q++)
			nobody[q] = (uint8_t)rnd();
		target = nobody;
	}
	if (kind == ENTRY_KIND_REPORT)
		snprintf(j, sizeof(j), "{\"target\":\"%s\",\"category\":\"spam\"}",
			 hex(target));
	else
		snprintf(j, sizeof(j), "{\"target\":\"%s\"}", hex(target));
	mk(m, kind, ts, j);
}

/* A rotation of a random epoch (1..3) sealed to a random set of members
 * (the boxes are noise: the rules read only whom they are for). */
static void epoch_record(int m, uint64_t ts)
{
	uint8_t box[PAYLOAD_EPOCH_BOX_LEN], check[32];
	char b64[B64_LEN(PAYLOAD_EPOCH_BOX_LEN) + 1], j[2048], ck[65];
	unsigned to = 1 + (unsigned)(rnd() % ((1u << MEMBERS) - 1));
	size_t q, o;
	int i, first = 1;

	for (q = 0; q < sizeof(check); q++)
		check[q] = (uint8_t)rnd();
	snprintf(ck, sizeof(ck), "%s", hex(check));
	o = (size_t)snprintf(j, sizeof(j), "{\"epoch\":%u,\"check\":\"%s\","
			     "\"seals\":[", 1 + (unsigned)(rnd() % 3), ck);
	for (i = 0; i < MEMBERS; i++) {
		if (!(to & (1u << i)))
			continue;
		for (q = 0; q < sizeof(box); q++)
			box[q] = (uint8_t)rnd();
		CHECK(b64_encode(b64, sizeof(b64), box, sizeof(box)) == 0);
		o += (size_t)snprintf(j + o, sizeof(j) - o, "%s{\"to\":\"%s\","
				      "\"box\":\"%s\"}", first ? "" : ",",
				      hex(keys[i].pk), b64);
		first = 0;
	}
	snprintf(j + o, sizeof(j) - o, "]}");
	mk(m, ENTRY_KIND_EPOCH, ts, j);
}

/* A random community of n records after one post each. */
static void generate(int n)
{
	char j[256];
	int i;

	nraws = nroles = 0;
	memset(head_seq, 0, sizeof(head_seq));
	for (i = 0; i < MEMBERS; i++)
		mk(i, ENTRY_KIND_POST, 1000 + (uint64_t)i,
		   "{\"topic\":\"t\",\"title\":\"x\",\"body\":\"hello world\"}");
	for (i = 0; i < n && nraws < RAWS_MAX; i++) {
		int m = (int)(rnd() % MEMBERS), k = (int)(rnd() % 100),
		    mem = (int)(rnd() % MEMBERS);
		uint64_t ts = 2000 + rnd() % 5000;

		if (k < 25) {
			snprintf(j, sizeof(j), "{\"topic\":\"t\",\"title\":\"p%d\","
				 "\"body\":\"words %d\"}", i, i);
			mk(m, ENTRY_KIND_POST, ts, j);
		} else if (k < 45) {
			role_record(m, ts);
		} else if (k < 85) {
			target_record(m, ts);
		} else if (k < 93) {
			snprintf(j, sizeof(j), "{\"member\":\"%s\",\"seq\":%u,"
				 "\"reason\":\"r\"}", hex(keys[mem].pk),
				 upto_head(mem));
			mk(m, ENTRY_KIND_REMOVE, ts, j);
		} else {
			epoch_record(m, ts);
		}
	}
}

/* A random interleaving of the feeds (each in seq order, as ingest
 * needs); half the time the founder's feed comes first. */
static void shuffle(int *order)
{
	int next[MEMBERS] = { 0 }, k = 0, i, founder_first = (int)(rnd() % 2);

	if (founder_first)
		for (i = 0; i < nraws; i++)
			if (raws[i].author == 0) {
				order[k++] = i;
				next[0] = i + 1;
			}
	while (k < nraws) {
		int m = founder_first ? 1 + (int)(rnd() % (MEMBERS - 1))
				      : (int)(rnd() % MEMBERS);

		for (i = next[m]; i < nraws && raws[i].author != m; i++)
			;
		if (i >= nraws)
			continue;
		order[k++] = i;
		next[m] = i + 1;
	}
}

/* 0 if seed's store equals its rebuild; with show, the two dumps are
 * kept and diffed. */
static int one_seed(uint64_t seed, int show)
{
	char path[600], d1p[600], d2p[600], cmd[1400];
	uint8_t d1[HASH_LEN], d2[HASH_LEN];
	int order[RAWS_MAX], i, founded, differ;
	struct store *s = NULL;
	struct err e = { 0 };
	FILE *f1 = NULL, *f2 = NULL;
	uint64_t n;

	rng_state = 0x9e3779b97f4a7c15ull ^ (seed * 0x100000001b3ull);
	if (!rng_state)
		rng_state = 1;
	founded = rnd() % 8 != 0; /* now and then a community with none */
	generate(20 + (int)(rnd() % 120));
	shuffle(order);
	snprintf(path, sizeof(path), "%s/s%" PRIu64 ".db", tmpdir, seed);
	CHECK(store_open(&s, path, STORE_CREATE, &e) == 0);
	if (!s)
		return 1;
	if (founded)
		CHECK(store_founder_set(s, keys[0].pk, &e) == 0);
	for (i = 0; i < nraws;) {
		int batch = rnd() % 3 != 0, b = 1 + (int)(rnd() % 6), q, rc;

		if (batch)
			CHECK(store_begin(s, &e) == 0);
		for (q = 0; q < b && i < nraws; q++, i++) {
			struct raw *r = &raws[order[i]];

			err_clear(&e);
			rc = store_ingest(s, r->signed_bytes, ENTRY_SIGNED_LEN,
					  r->payload, r->plen, NULL, &e);
			/* a removed member's later entry is refused (EPERM),
			 * and so is one after it (ESEQ: the gap) */
			if (rc < 0 && rc != STOA_EPERM && rc != STOA_ESEQ)
				fprintf(stderr, "seed %" PRIu64 ": ingest: %s\n",
					seed, e.msg);
			CHECK(rc >= 0 || rc == STOA_EPERM || rc == STOA_ESEQ);
		}
		if (batch)
			CHECK(store_commit(s, &e) == 0);
	}
	snprintf(d1p, sizeof(d1p), "%s/d1.txt", tmpdir);
	snprintf(d2p, sizeof(d2p), "%s/d2.txt", tmpdir);
	if (show) {
		f1 = fopen(d1p, "w");
		f2 = fopen(d2p, "w");
	}
	CHECK(store_dump_view(s, f1, d1, &e) == 0);
	CHECK(store_reindex(s, &n, &e) == 0);
	CHECK(store_dump_view(s, f2, d2, &e) == 0);
	if (f1)
		fclose(f1);
	if (f2)
		fclose(f2);
	store_close(s);
	differ = memcmp(d1, d2, HASH_LEN) != 0;
	if (differ)
		fprintf(stderr, "seed %" PRIu64 ": the store's view differs from "
			"its rebuild; replay: test_gov_store --seed %" PRIu64 "\n",
			seed, seed);
	if (differ && show) {
		snprintf(cmd, sizeof(cmd), "diff '%s' '%s' | cut -c1-200 | head -30",
			 d1p, d2p);
		if (system(cmd) < 0)
			fprintf(stderr, "cannot run diff\n");
	}
	unlink(path);
	return differ;
}

int main(int argc, char **argv)
{
	char cmd[600];
	uint64_t seed;
	int i, failed = 0;

	if (key_lib_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	for (i = 0; i < MEMBERS; i++) {
		uint8_t s[KEY_SEED_LEN];

		memset(s, 0x51 + i, sizeof(s));
		key_from_seed(&keys[i], s);
	}
	if (argc == 3 && strcmp(argv[1], "--seed") == 0) {
		CHECK_EQ_INT(one_seed(strtoull(argv[2], NULL, 10), 1), 0);
	} else {
		uint64_t seeds = argc == 3 && strcmp(argv[1], "--seeds") == 0 ?
					 strtoull(argv[2], NULL, 10) : SEEDS;

		for (seed = 1; seed <= seeds && failed < 5; seed++)
			failed += one_seed(seed, 0);
		CHECK_EQ_INT(failed, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return test_report("gov_store");
}
