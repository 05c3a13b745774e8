/*
 * Unit tests of node/bundle.c: the file format against damaged input.
 * A bundle round-trips (create, apply, apply again, a frontier that
 * lacks nothing); every single-bit flip and every cut of a real bundle
 * is detected (never applied as whole) and never makes the store fail
 * its verify; and files crafted with the right key but malformed
 * content (bad lengths and counts, feeds out of order, a run of another
 * author or of an unlisted feed, wrong totals, a missing or misplaced
 * FINAL tag, a forged entry) are each refused or applied up to the bad
 * message, with the reason. A stick of crafted heads listing more
 * feeds than STICK_FEEDS_MAX costs a visit the files past it only.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "buf.h"
#include "bundle.h"
#include "sstream.h"
#include "stick.h"
#include "store.h"
#include "test.h"

static char tmpdir[] = "/tmp/stoa-test-bundle-XXXXXX";
static struct community comm;
static int nstores;

static void home_init(struct home *h, uint8_t seed_byte)
{
	uint8_t seed[KEY_SEED_LEN];
	char path[256];
	struct err e = { 0 };

	memset(h, 0, sizeof(*h));
	memset(seed, seed_byte, sizeof(seed));
	key_from_seed(&h->key, seed);
	h->community = comm;
	snprintf(path, sizeof(path), "%s/s%d.db", tmpdir, nstores++);
	if (store_open(&h->store, path, STORE_CREATE, &e) < 0)
		fprintf(stderr, "store_open: %s\n", e.msg);
}

static uint64_t entries_of(struct home *h)
{
	struct store_stats st;

	CHECK(store_stats(h->store, &st, NULL) == 0);
	return st.entries;
}

static uint64_t problems_of(struct home *h)
{
	uint64_t n = 0, p = 0;

	CHECK(store_verify(h->store, NULL, NULL, &n, &p, NULL) == 0);
	return p;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc(1 << 20);

	*len = f ? fread(p, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return p;
}

static void spit(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(p, 1, len, f) == len);
	if (f)
		fclose(f);
}

static struct home a;   /* the maker: 8 long posts */
static char all[256];   /* a's bundle of everything */

static void test_roundtrip(void)
{
	struct home b;
	struct bundle_made made;
	struct bundle_applied ap;
	struct bundle_head fr;
	struct err e = { 0 };
	char fpath[256], none[256];

	home_init(&b, 0x22);
	CHECK(bundle_apply(&b, all, NULL, NULL, &ap, &e) == 0);
	CHECK_EQ_INT(ap.added, 8);
	CHECK_EQ_INT(ap.damaged, 0);
	CHECK_EQ_INT(ap.head.entries, 8);
	bundle_applied_release(&ap);
	CHECK(bundle_apply(&b, all, NULL, NULL, &ap, &e) == 0);
	CHECK_EQ_INT(ap.added, 0);
	CHECK_EQ_INT(ap.held, 8);
	bundle_applied_release(&ap);
	/* b's frontier lacks nothing of a's */
	snprintf(fpath, sizeof(fpath), "%s/b.stf", tmpdir);
	CHECK(bundle_frontier_write(&b, fpath, &made, &e) == 0);
	CHECK_EQ_INT(made.feeds, 1);
	CHECK(bundle_read_head(fpath, &comm, &fr, &e) == 0);
	CHECK_EQ_INT(fr.kind, BUNDLE_KIND_FRONTIER);
	CHECK_EQ_INT(fr.nfeeds, 1);
	CHECK_EQ_INT(fr.feeds[0].to, 8);
	snprintf(none, sizeof(none), "%s/none.stb", tmpdir);
	CHECK(bundle_create(&a, &fr, none, NULL, NULL, &made, &e) == 0);
	CHECK_EQ_INT(made.entries, 0);
	CHECK_EQ_INT(made.feeds, 0);
	CHECK_EQ_INT(made.forks, 0);
	bundle_head_release(&fr);
	CHECK_EQ_INT(problems_of(&b), 0);
	store_close(b.store);
}

/* Every flip and every cut of a's bundle is detected. */
static void test_damage(void)
{
	struct home b;
	struct bundle_applied ap;
	size_t len, i;
	uint8_t *p = slurp(all, &len);
	char path[256];
	int undetected = 0, applied_some = 0;

	CHECK(len > 3 * BUNDLE_CHUNK_BYTES / 2);
	home_init(&b, 0x33);
	snprintf(path, sizeof(path), "%s/flip.stb", tmpdir);
	for (i = 0; i < len; i += i < 600 ? 1 : 61) {
		struct err e = { 0 };
		int rc;

		p[i] ^= 0x10;
		spit(path, p, len);
		p[i] ^= 0x10;
		rc = bundle_apply(&b, path, NULL, NULL, &ap, &e);
		if (rc == 0 && !ap.damaged)
			undetected++;
		if (rc == 0 && ap.read > 0)
			applied_some = 1;
		if (rc == 0)
			CHECK(ap.read <= 8);
		bundle_applied_release(&ap);
	}
	CHECK_EQ_INT(undetected, 0);
	CHECK(applied_some);
	for (i = 0; i < len; i += 37) {
		struct err e = { 0 };
		int rc;

		spit(path, p, i);
		rc = bundle_apply(&b, path, NULL, NULL, &ap, &e);
		if (rc == 0 && ap.damaged != 2)
			undetected++;
		bundle_applied_release(&ap);
	}
	CHECK_EQ_INT(undetected, 0);
	CHECK(entries_of(&b) <= 8);
	CHECK_EQ_INT(problems_of(&b), 0);
	store_close(b.store);
	free(p);
}

/* ---- crafted files: the right key, malformed content -------------------- */

struct craft {
	struct buf out;
	struct sstream ss;
	uint8_t prefix[BUNDLE_PREFIX_LEN];
	int first;
};

static void craft_begin(struct craft *c, const char *magic)
{
	uint8_t key[32], h[HASH_LEN];

	buf_init(&c->out, 1 << 23);
	community_derive(&comm, COMMUNITY_KEY_BUNDLE, key);
	hash_blake2b_keyed(h, key, BUNDLE_TAG_DOMAIN,
			   sizeof(BUNDLE_TAG_DOMAIN) - 1);
	memcpy(c->prefix, magic, 8);
	c->prefix[8] = BUNDLE_VERSION;
	be_put32(c->prefix + 9, comm.epoch);
	memcpy(c->prefix + 13, h, BUNDLE_TAG_LEN);
	sstream_push_init(&c->ss, c->prefix + 29, key);
	buf_append(&c->out, c->prefix, sizeof(c->prefix));
	c->first = 1;
}

static void craft_msg(struct craft *c, const struct buf *m, int final)
{
	uint8_t *ct = malloc(m->len + SSTREAM_ABYTES);

	sstream_push(&c->ss, ct, m->data, m->len, c->first ? c->prefix : NULL,
		     c->first ? sizeof(c->prefix) : 0, final);
	c->first = 0;
	buf_put_u32(&c->out, (uint32_t)(m->len + SSTREAM_ABYTES));
	buf_append(&c->out, ct, m->len + SSTREAM_ABYTES);
	free(ct);
}

static void put_head(struct buf *m, uint8_t name_len, uint32_t feeds,
		     uint64_t entries)
{
	uint8_t zero[32] = { 0 };
	char name[256];

	memset(name, 'n', sizeof(name));
	buf_put_u8(m, 1);
	buf_append(m, a.key.pk, 32);
	buf_append(m, zero, 32);
	buf_put_u64(m, 1000);
	buf_put_u8(m, name_len);
	buf_append(m, name, name_len);
	buf_put_u32(m, feeds);
	buf_put_u64(m, entries);
}

static void put_feed(struct buf *m, const uint8_t author[32], uint64_t from,
		     uint64_t to)
{
	uint8_t id[32] = { 0 };

	buf_append(m, author, 32);
	buf_put_u64(m, from);
	buf_put_u64(m, to);
	buf_append(m, id, 32);
}

/* a's first entries, as store_read_feed gives them */
static struct buf first_entries;
static uint32_t nfirst;

static int keep_entry(const struct store_run_entry *re, void *arg)
{
	(void)arg;
	buf_append(&first_entries, re->signed_bytes, ENTRY_SIGNED_LEN);
	buf_put_u32(&first_entries, re->plen);
	buf_append(&first_entries, re->payload, re->plen);
	nfirst++;
	return nfirst == 2;
}

enum fault {
	F_NONE, F_NAME_LONG, F_FEEDS_MAX, F_FEEDS_ORDER, F_FEED_FROM0,
	F_RUN_AUTHOR, F_RUN_PLEN, F_RUN_COUNT0, F_RUN_UNLISTED, F_END_TOTALS,
	F_END_NOT_FINAL, F_RUN_FINAL, F_FORGED, F_NO_END,
};

/* Writes a crafted bundle of a's first two entries with fault f. */
static void craft_file(const char *path, enum fault f)
{
	struct craft c;
	struct buf m;
	uint8_t other[32], lo[32];
	uint64_t bytes = first_entries.len - 2 * 4;

	memset(other, 0xff, 32);
	memset(lo, 0x00, 32);
	craft_begin(&c, BUNDLE_MAGIC);
	buf_init(&m, BUNDLE_MSG_MAX);
	put_head(&m, f == F_NAME_LONG ? BUNDLE_NAME_MAX + 1 : 3,
		 f == F_FEEDS_MAX ? BUNDLE_FEEDS_MAX + 1
				  : f == F_FEEDS_ORDER ? 2 : 1, 2);
	craft_msg(&c, &m, 0);
	buf_reset(&m);
	buf_put_u8(&m, 2);
	buf_put_u16(&m, f == F_FEEDS_ORDER ? 2 : 1);
	put_feed(&m, f == F_RUN_UNLISTED ? other : a.key.pk,
		 f == F_FEED_FROM0 ? 0 : 1, 2);
	if (f == F_FEEDS_ORDER)
		put_feed(&m, lo, 1, 2);
	craft_msg(&c, &m, 0);
	buf_reset(&m);
	buf_put_u8(&m, 3);
	buf_append(&m, f == F_RUN_AUTHOR ? other : a.key.pk, 32);
	buf_put_u16(&m, f == F_RUN_COUNT0 ? 0 : 2);
	buf_append(&m, first_entries.data, first_entries.len);
	if (f == F_RUN_PLEN) /* the first entry's payload length */
		be_put32(m.data + 35 + ENTRY_SIGNED_LEN, ENTRY_MAX_PAYLOAD + 1);
	if (f == F_FORGED) /* the second (last) entry's signature */
		m.data[35 + ENTRY_SIGNED_LEN + 4 +
		       be_get32(first_entries.data + ENTRY_SIGNED_LEN) +
		       ENTRY_HEADER_LEN + 5] ^= 1;
	craft_msg(&c, &m, f == F_RUN_FINAL);
	buf_reset(&m);
	if (f != F_NO_END) {
		buf_put_u8(&m, 4);
		buf_put_u64(&m, f == F_END_TOTALS ? 3 : 2);
		buf_put_u64(&m, bytes);
		craft_msg(&c, &m, f != F_END_NOT_FINAL);
	}
	spit(path, c.out.data, c.out.len);
	buf_release(&m);
	buf_release(&c.out);
	sstream_wipe(&c.ss);
}

/* Applies fault f's file to a fresh store: rc, and the result. */
static int craft_apply(enum fault f, struct bundle_applied *ap,
		       uint64_t *stored, struct err *e)
{
	struct home b;
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "%s/craft%d.stb", tmpdir, (int)f);
	craft_file(path, f);
	home_init(&b, 0x44);
	err_clear(e);
	rc = bundle_apply(&b, path, NULL, NULL, ap, e);
	*stored = entries_of(&b);
	CHECK_EQ_INT(problems_of(&b), 0);
	store_close(b.store);
	return rc;
}

static void test_crafted(void)
{
	struct bundle_applied ap;
	struct err e;
	uint64_t n;

	buf_init(&first_entries, 1 << 20);
	CHECK(store_read_feed(a.store, a.key.pk, 1, 2, keep_entry, NULL,
			      NULL) == 0);
	CHECK_EQ_INT(nfirst, 2);

	/* the crafting itself is right */
	CHECK_EQ_INT(craft_apply(F_NONE, &ap, &n, &e), 0);
	CHECK_EQ_INT(ap.added, 2);
	CHECK_EQ_INT(ap.damaged, 0);
	CHECK_EQ_INT(n, 2);
	bundle_applied_release(&ap);

	/* a bad head: refused whole */
	CHECK_EQ_INT(craft_apply(F_NAME_LONG, &ap, &n, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "a malformed head") != NULL);
	CHECK_EQ_INT(craft_apply(F_FEEDS_MAX, &ap, &n, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "a malformed head") != NULL);
	CHECK_EQ_INT(craft_apply(F_FEEDS_ORDER, &ap, &n, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "its feeds out of order") != NULL);
	CHECK_EQ_INT(craft_apply(F_FEED_FROM0, &ap, &n, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "a malformed feed list") != NULL);
	CHECK_EQ_INT(n, 0);

	/* a bad run: damaged there, nothing of it stored */
	CHECK_EQ_INT(craft_apply(F_RUN_AUTHOR, &ap, &n, &e), 0);
	CHECK_EQ_INT(ap.damaged, 1);
	CHECK_STR(ap.damage, "a malformed run of entries");
	CHECK_EQ_INT(n, 0);
	bundle_applied_release(&ap);
	CHECK_EQ_INT(craft_apply(F_RUN_PLEN, &ap, &n, &e), 0);
	CHECK_STR(ap.damage, "a malformed run of entries");
	CHECK_EQ_INT(n, 0);
	bundle_applied_release(&ap);
	CHECK_EQ_INT(craft_apply(F_RUN_COUNT0, &ap, &n, &e), 0);
	CHECK_STR(ap.damage, "a malformed run of entries");
	bundle_applied_release(&ap);
	CHECK_EQ_INT(craft_apply(F_RUN_UNLISTED, &ap, &n, &e), 0);
	CHECK_STR(ap.damage, "a run of a feed it does not list");
	CHECK_EQ_INT(n, 0);
	bundle_applied_release(&ap);
	CHECK_EQ_INT(craft_apply(F_RUN_FINAL, &ap, &n, &e), 0);
	CHECK_STR(ap.damage, "a malformed run of entries");
	bundle_applied_release(&ap);

	/* a bad end: the entries before it are stored, the file damaged */
	CHECK_EQ_INT(craft_apply(F_END_TOTALS, &ap, &n, &e), 0);
	CHECK_STR(ap.damage, "its totals do not match its entries");
	CHECK_EQ_INT(n, 2);
	bundle_applied_release(&ap);
	CHECK_EQ_INT(craft_apply(F_END_NOT_FINAL, &ap, &n, &e), 0);
	CHECK_STR(ap.damage, "a malformed end");
	CHECK_EQ_INT(n, 2);
	bundle_applied_release(&ap);
	CHECK_EQ_INT(craft_apply(F_NO_END, &ap, &n, &e), 0);
	CHECK_EQ_INT(ap.damaged, 2);
	CHECK_EQ_INT(n, 2);
	bundle_applied_release(&ap);

	/* a forged entry: refused as a peer's would be (the store keeps
	 * the entry before it), counted and noted, and no damage */
	CHECK_EQ_INT(craft_apply(F_FORGED, &ap, &n, &e), 0);
	CHECK_EQ_INT(ap.damaged, 0);
	CHECK_EQ_INT(ap.added, 1);
	CHECK_EQ_INT(ap.refused, 1);
	CHECK_EQ_INT(ap.feeds_refused, 1);
	CHECK_EQ_INT(ap.nnotes, 1);
	CHECK_EQ_INT(n, 1);
	bundle_applied_release(&ap);
	buf_release(&first_entries);
}

/* ---- the stick: a visit's memory is bounded ------------------------------ */

/* A frontier file of site (its first key byte) listing BUNDLE_FEEDS_MAX
 * feeds: 5 MB of heads a visit would hold. */
static void craft_big_frontier(const char *path, uint8_t site)
{
	struct craft c;
	struct buf m;
	uint8_t creator[32], zero[32] = { 0 }, author[32];
	uint32_t i, k;

	memset(creator, site, sizeof(creator));
	craft_begin(&c, FRONTIER_MAGIC);
	buf_init(&m, BUNDLE_MSG_MAX);
	buf_put_u8(&m, 1);
	buf_append(&m, creator, 32);
	buf_append(&m, zero, 32);
	buf_put_u64(&m, 1000);
	buf_put_u8(&m, 0);
	buf_put_u32(&m, BUNDLE_FEEDS_MAX);
	buf_put_u64(&m, BUNDLE_FEEDS_MAX);
	craft_msg(&c, &m, 0);
	memset(author, 0, sizeof(author));
	for (i = 0; i < BUNDLE_FEEDS_MAX; i += BUNDLE_FEEDS_PER_MSG) {
		buf_reset(&m);
		buf_put_u8(&m, 2);
		buf_put_u16(&m, BUNDLE_FEEDS_PER_MSG);
		for (k = 0; k < BUNDLE_FEEDS_PER_MSG; k++) {
			be_put32(author + 28, i + k);
			put_feed(&m, author, 1, 1);
		}
		craft_msg(&c, &m, 0);
	}
	buf_reset(&m);
	buf_put_u8(&m, 4);
	buf_put_u64(&m, BUNDLE_FEEDS_MAX);
	buf_put_u64(&m, 0);
	craft_msg(&c, &m, 1);
	spit(path, c.out.data, c.out.len);
	sstream_wipe(&c.ss);
	buf_release(&m);
	buf_release(&c.out);
}

static void test_stick_feeds_bound(void)
{
	struct stick_visit v;
	struct home b;
	struct err e = { 0 };
	char dir[256], path[300];
	size_t i, later = 0;
	int k;

	snprintf(dir, sizeof(dir), "%s/stick", tmpdir);
	CHECK(mkdir(dir, 0700) == 0);
	snprintf(path, sizeof(path), "%s/stoa", dir);
	CHECK(mkdir(path, 0700) == 0);
	for (k = 0; k < 5; k++) {
		snprintf(path, sizeof(path), "%s/stoa/frontier-big%d.stf", dir, k);
		craft_big_frontier(path, (uint8_t)(0x60 + k));
	}
	home_init(&b, 0x55);
	CHECK_EQ_INT(stick_exchange(&b, dir, NULL, &v, &e), 0);
	for (i = 0; i < v.nlines; i++)
		if (v.lines[i].kind == STICK_SKIP &&
		    strstr(v.lines[i].why, "more feeds than a visit holds"))
			later++;
	/* four fit STICK_FEEDS_MAX, the fifth waits */
	CHECK_EQ_INT(later, 1);
	CHECK_EQ_INT(v.sites, 1 + 4);
	stick_visit_release(&v);
	store_close(b.store);
}

int main(void)
{
	struct bundle_made made;
	struct err e = { 0 };
	char body[20100], cmd[600];
	int i;

	if (key_lib_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	CHECK(community_create(&comm, "Unit", &e) == 0);
	home_init(&a, 0x11);
	memset(body, 'x', sizeof(body));
	memcpy(body, "{\"topic\":\"t\",\"body\":\"", 21);
	memcpy(body + sizeof(body) - 2, "\"}", 2);
	for (i = 0; i < 8; i++) {
		body[30] = (char)('a' + i);
		CHECK(store_append(a.store, &a.key, ENTRY_KIND_POST, body,
				   sizeof(body), NULL, &e) == 0);
	}
	snprintf(all, sizeof(all), "%s/all.stb", tmpdir);
	CHECK(bundle_create(&a, NULL, all, NULL, NULL, &made, &e) == 0);
	CHECK_EQ_INT(made.entries, 8);
	test_roundtrip();
	test_damage();
	test_crafted();
	test_stick_feeds_bound();
	store_close(a.store);
	community_wipe(&comm);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return test_report("test_bundle");
}
