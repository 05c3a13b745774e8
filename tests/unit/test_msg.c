/*
 * test_msg: the replication wire messages (sync/msg.h). Every type is
 * encoded and decoded back field by field; ENTRIES runs are built empty,
 * mixed (erased and empty payloads) and full (by count and by bytes); then
 * every truncation, a trailing byte, each bound one past its limit, and
 * 20000 random frames (fixed seed) must be refused with STOA_EPROTO and
 * never read out of bounds (the suite also runs under ASan+UBSan). Entries
 * here are patterned bytes, not signed entries: msg only checks the layout.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "entry.h"
#include "err.h"
#include "msg.h"
#include "test.h"

#define RANDOM_ROUNDS 20000
#define RANDOM_LEN_MAX 2048
#define BIG_PAYLOAD ENTRY_MAX_PAYLOAD

/* ---- helpers ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Decoding p must fail with STOA_EPROTO and a message containing want. */
static void expect_proto(const uint8_t *p, size_t len, const char *want,
			 int line)
{
	struct msg m;
	struct err e;
	int rc;

	err_clear(&e);
	rc = msg_decode(&m, p, len, &e);
	test_checked++;
	if (rc != STOA_EPROTO || (want && !strstr(e.msg, want))) {
		test_failed++;
		fprintf(stderr, "%s:%d: decode of %zu bytes: rc %d \"%s\", "
			"expected STOA_EPROTO \"%s\"\n", __FILE__, line, len,
			rc, e.msg, want ? want : "");
	}
}
#define EXPECT_PROTO(p, len, want) expect_proto((p), (len), (want), __LINE__)

/* Every proper prefix of a valid frame, and the frame plus one byte. */
static void check_truncations(const uint8_t *p, size_t len, int line)
{
	struct msg m;
	uint8_t *q;
	size_t n;

	for (n = 0; n < len; n++) {
		/* A private copy of exactly n bytes, so ASan sees any overread. */
		q = malloc(n ? n : 1);
		if (!q) {
			CHECK(q != NULL);
			return;
		}
		memcpy(q, p, n);
		expect_proto(q, n, NULL, line);
		free(q);
	}
	q = malloc(len + 1);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	memcpy(q, p, len);
	q[len] = 0;
	expect_proto(q, len + 1, NULL, line);
	memcpy(q, p, len);
	CHECK_EQ_INT(msg_decode(&m, q, len, NULL), 0);
	free(q);
}
#define CHECK_TRUNCATIONS(b) check_truncations((b)->data, (b)->len, __LINE__)

static int decode_ok(struct msg *m, const struct buf *b)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = msg_decode(m, b->data, b->len, &e);
	if (rc != 0)
		fprintf(stderr, "decode failed: %s\n", e.msg);
	return rc;
}

static void make_head(struct msg_head *h, uint8_t seed)
{
	pattern(h->author, sizeof(h->author), seed);
	h->seq = 0x0102030405060708ull + seed;
	pattern(h->id, sizeof(h->id), (uint8_t)(seed ^ 0x5a));
}

/* ---- round trips ---- */

static void test_hello(void)
{
	uint8_t node[KEY_PUBLIC_LEN], auth[HASH_LEN], digest[HASH_LEN];
	struct buf b;
	struct msg m;

	pattern(node, sizeof(node), 1);
	pattern(auth, sizeof(auth), 2);
	pattern(digest, sizeof(digest), 3);
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_hello(&b, node, auth, digest, 0xdeadbeef, 0), 0);
	CHECK_EQ_INT(b.len, 108);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_HELLO);
	CHECK(memcmp(m.u.hello.node, node, sizeof(node)) == 0);
	CHECK(memcmp(m.u.hello.auth, auth, sizeof(auth)) == 0);
	CHECK(memcmp(m.u.hello.digest, digest, sizeof(digest)) == 0);
	CHECK_EQ_INT(m.u.hello.feeds, 0xdeadbeef);
	CHECK_EQ_INT(m.u.hello.flags, 0);
	CHECK_TRUNCATIONS(&b);

	/* Unknown flag bits are ignored, not refused. */
	be_put32(b.data + 104, 0x80000001u);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.u.hello.flags, 0x80000001u);
	buf_release(&b);
}

static void frontier_round(uint16_t count, int more)
{
	struct msg_head *heads, h;
	struct buf b;
	struct msg m;
	uint16_t i;
	int same = 1;

	heads = calloc(count, sizeof(*heads));
	if (!heads) {
		CHECK(heads != NULL);
		return;
	}
	for (i = 0; i < count; i++)
		make_head(&heads[i], (uint8_t)i);
	heads[count - 1].seq = UINT64_MAX;
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_frontier(&b, more, heads, count), 0);
	CHECK_EQ_INT(b.len, 8 + 72 * (size_t)count);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_FRONTIER);
	CHECK_EQ_INT(m.u.frontier.more, more ? 1 : 0);
	CHECK_EQ_INT(m.u.frontier.count, count);
	for (i = 0; i < count; i++) {
		msg_frontier_get(&m, i, &h);
		if (memcmp(h.author, heads[i].author, KEY_PUBLIC_LEN) != 0 ||
		    h.seq != heads[i].seq ||
		    memcmp(h.id, heads[i].id, ENTRY_ID_LEN) != 0)
			same = 0;
	}
	CHECK(same);
	/* Past count: zeros, never a read past the triples. */
	msg_frontier_get(&m, count, &h);
	CHECK_EQ_INT(h.seq, 0);
	if (count <= 2)
		CHECK_TRUNCATIONS(&b);
	buf_release(&b);
	free(heads);
}

static void test_frontier(void)
{
	struct msg_head heads[MSG_FRONTIER_MAX + 1];
	struct buf b;
	uint16_t i;

	frontier_round(1, 0);
	frontier_round(2, 1);
	frontier_round(2, 7); /* any non-zero more encodes as 1 */
	frontier_round(MSG_FRONTIER_MAX, 1);

	for (i = 0; i <= MSG_FRONTIER_MAX; i++)
		make_head(&heads[i], (uint8_t)i);
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_frontier(&b, 0, heads, MSG_FRONTIER_MAX + 1),
		     STOA_EINVAL);
	CHECK_EQ_INT(msg_put_frontier(&b, 0, heads, 0), STOA_EINVAL);
	CHECK_EQ_INT(b.len, 0);
	buf_release(&b);
}

static void test_want(void)
{
	uint8_t author[KEY_PUBLIC_LEN];
	struct buf b;
	struct msg m;

	pattern(author, sizeof(author), 9);
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_want(&b, author, 0x1122334455667788ull, MSG_RUN_MAX), 0);
	CHECK_EQ_INT(b.len, 48);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_WANT);
	CHECK(memcmp(m.u.want.author, author, sizeof(author)) == 0);
	CHECK(m.u.want.from == 0x1122334455667788ull);
	CHECK_EQ_INT(m.u.want.max, MSG_RUN_MAX);
	CHECK_TRUNCATIONS(&b);

	/* The encoder refuses what the decoder would refuse. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_want(&b, author, 0, 1), STOA_EINVAL);
	CHECK_EQ_INT(msg_put_want(&b, author, 1, 0), STOA_EINVAL);
	CHECK_EQ_INT(msg_put_want(&b, author, 1, MSG_RUN_MAX + 1), STOA_EINVAL);
	CHECK_EQ_INT(b.len, 0);

	/* And the decoder refuses them when hand-made. */
	CHECK_EQ_INT(msg_put_want(&b, author, 1, 1), 0);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK(m.u.want.from == 1 && m.u.want.max == 1);
	be_put64(b.data + 36, 0);
	EXPECT_PROTO(b.data, b.len, "want: from 0");
	be_put64(b.data + 36, 5);
	be_put32(b.data + 44, 0);
	EXPECT_PROTO(b.data, b.len, "want: max 0 out of range");
	be_put32(b.data + 44, MSG_RUN_MAX + 1);
	EXPECT_PROTO(b.data, b.len, "want: max 1001 out of range");
	be_put32(b.data + 44, UINT32_MAX);
	EXPECT_PROTO(b.data, b.len, "out of range");
	buf_release(&b);
}

static void test_have(void)
{
	struct msg_head h;
	struct buf b;
	struct msg m;

	make_head(&h, 0x33);
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_have(&b, &h), 0);
	CHECK_EQ_INT(b.len, 76); /* the field table; the doc once said 84 */
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_HAVE);
	CHECK(memcmp(m.u.have.author, h.author, KEY_PUBLIC_LEN) == 0);
	CHECK(m.u.have.seq == h.seq);
	CHECK(memcmp(m.u.have.id, h.id, ENTRY_ID_LEN) == 0);
	CHECK_TRUNCATIONS(&b);
	buf_release(&b);
}

static void test_done(void)
{
	struct buf b;
	struct msg m;

	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_done(&b), 0);
	CHECK_EQ_INT(b.len, 4);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_DONE);
	CHECK_TRUNCATIONS(&b);
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_ping(&b), 0);
	CHECK_EQ_INT(b.len, 4);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_PING);
	CHECK_TRUNCATIONS(&b);
	buf_release(&b);
}

static void test_error(void)
{
	char text[600];
	struct buf b;
	struct msg m;
	size_t i;

	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_error(&b, STOA_ESEQ, "entry 7: bad prev"), 0);
	CHECK_EQ_INT(b.len, 8 + 17);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_ERROR);
	CHECK_EQ_INT(m.u.error.code, STOA_ESEQ);
	CHECK_STR(m.u.error.text, "entry 7: bad prev");
	CHECK_TRUNCATIONS(&b);

	/* Empty and NULL text. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EPROTO, ""), 0);
	CHECK_EQ_INT(b.len, 8);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.u.error.code, STOA_EPROTO);
	CHECK_STR(m.u.error.text, "");
	CHECK_TRUNCATIONS(&b);
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EPROTO, NULL), 0);
	CHECK_EQ_INT(b.len, 8);

	/* Control characters and newlines become spaces: one line. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EINVAL, "a\nb\r\tc\x1b[2Jd\x7f"), 0);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_STR(m.u.error.text, "a b  c [2Jd ");

	/* Long text: cut to MSG_TEXT_MAX bytes. */
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EIO, text), 0);
	CHECK_EQ_INT(b.len, 8 + MSG_TEXT_MAX);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(strlen(m.u.error.text), MSG_TEXT_MAX);

	/* ... at a UTF-8 boundary: 255 ASCII then a 2-byte "é" is cut to 255. */
	memset(text, 'y', MSG_TEXT_MAX - 1);
	text[MSG_TEXT_MAX - 1] = (char)0xc3;
	text[MSG_TEXT_MAX] = (char)0xa9;
	strcpy(text + MSG_TEXT_MAX + 1, "tail");
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EIO, text), 0);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(strlen(m.u.error.text), MSG_TEXT_MAX - 1);
	/* ... and a 3-byte "€" straddling the cut. */
	memset(text, 'z', MSG_TEXT_MAX - 2);
	memcpy(text + MSG_TEXT_MAX - 2, "\xe2\x82\xac", 3);
	strcpy(text + MSG_TEXT_MAX + 1, "tail");
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EIO, text), 0);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(strlen(m.u.error.text), MSG_TEXT_MAX - 2);
	/* Exactly MSG_TEXT_MAX of multi-byte text is kept whole. */
	for (i = 0; i + 2 <= MSG_TEXT_MAX; i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[MSG_TEXT_MAX] = '\0';
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EIO, text), 0);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(strlen(m.u.error.text), MSG_TEXT_MAX);

	/* Codes: must be negative and fit the u16. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, 0, "x"), STOA_EINVAL);
	CHECK_EQ_INT(msg_put_error(&b, 5, "x"), STOA_EINVAL);
	CHECK_EQ_INT(msg_put_error(&b, -70000, "x"), STOA_EINVAL);
	CHECK_EQ_INT(b.len, 0);
	CHECK_EQ_INT(msg_put_error(&b, -65535, "x"), 0);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.u.error.code, -65535);

	/* Hand-made bad ERROR frames. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EPROTO, "abc"), 0);
	be_put16(b.data + 4, 0);
	EXPECT_PROTO(b.data, b.len, "code 0");
	be_put16(b.data + 4, 5);
	b.data[9] = '\0';
	EXPECT_PROTO(b.data, b.len, "NUL");
	b.data[9] = 'b';
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	be_put16(b.data + 6, 4);
	EXPECT_PROTO(b.data, b.len, "error: 11 bytes, expected 12");
	buf_release(&b);

	{
		uint8_t f[8 + MSG_TEXT_MAX + 1];

		memset(f, 'q', sizeof(f));
		f[0] = MSG_MAGIC0;
		f[1] = MSG_MAGIC1;
		f[2] = MSG_VERSION;
		f[3] = MSG_ERROR;
		be_put16(f + 4, 5);
		be_put16(f + 6, MSG_TEXT_MAX + 1);
		EXPECT_PROTO(f, sizeof(f), "text of 257 bytes exceeds 256");
		be_put16(f + 6, MSG_TEXT_MAX);
		EXPECT_PROTO(f, sizeof(f), "expected 264");
		CHECK_EQ_INT(msg_decode(&m, f, sizeof(f) - 1, NULL), 0);
		CHECK_EQ_INT(strlen(m.u.error.text), MSG_TEXT_MAX);
	}
}

/* ---- ENTRIES ---- */

struct want_entry {
	uint8_t sb[ENTRY_SIGNED_LEN];
	const uint8_t *payload;
	uint32_t plen; /* MSG_PAYLOAD_ERASED for erased */
};

static void test_entries_round(void)
{
	static uint8_t big[BIG_PAYLOAD];
	uint8_t author[KEY_PUBLIC_LEN];
	const uint8_t small[] = "hello, world";
	const uint8_t empty[1] = {0};
	struct want_entry w[4];
	struct msg_run_iter it;
	struct msg_run_entry re;
	struct buf b;
	struct msg m;
	unsigned n, i;

	pattern(author, sizeof(author), 0x44);
	pattern(big, sizeof(big), 0x99);
	for (i = 0; i < 4; i++)
		pattern(w[i].sb, sizeof(w[i].sb), (uint8_t)(0x10 * i + 1));
	w[0].payload = small;
	w[0].plen = sizeof(small) - 1;
	w[1].payload = NULL;
	w[1].plen = MSG_PAYLOAD_ERASED;
	w[2].payload = empty;
	w[2].plen = 0;
	w[3].payload = big;
	w[3].plen = BIG_PAYLOAD;

	buf_init(&b, MSG_MAX);

	/* count 0: "I hold nothing from there on". */
	CHECK_EQ_INT(msg_entries_begin(&b, author, 42), 0);
	CHECK_EQ_INT(b.len, 46);
	CHECK_EQ_INT(msg_entries_count(&b), 0);
	msg_entries_end(&b);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.type, MSG_ENTRIES);
	CHECK(memcmp(m.u.entries.author, author, sizeof(author)) == 0);
	CHECK(m.u.entries.first == 42);
	CHECK_EQ_INT(m.u.entries.count, 0);
	CHECK_EQ_INT(m.u.entries.body_len, 0);
	msg_run_iter_init(&it, &m);
	CHECK_EQ_INT(msg_run_next(&it, &re), 0);
	CHECK_TRUNCATIONS(&b);

	/* begin needs an empty buf: the count sits at absolute offset 44. */
	CHECK_EQ_INT(msg_entries_begin(&b, author, 1), STOA_EINVAL);
	CHECK_EQ_INT(b.len, 46);

	/* 1, 3 and 4 entries (erased, empty, full-size payloads). */
	for (n = 1; n <= 4; n++) {
		size_t want_len = 46;

		if (n == 2)
			continue;
		buf_reset(&b);
		CHECK_EQ_INT(msg_entries_begin(&b, author, 7), 0);
		for (i = 0; i < n; i++) {
			CHECK_EQ_INT(msg_entries_add(&b, w[i].sb, w[i].payload,
						     w[i].plen), 0);
			want_len += 190 + (w[i].payload ? w[i].plen : 0);
		}
		CHECK_EQ_INT(msg_entries_count(&b), n);
		msg_entries_end(&b);
		CHECK_EQ_INT(msg_entries_count(&b), n);
		CHECK_EQ_INT(b.len, want_len);
		CHECK_EQ_INT(decode_ok(&m, &b), 0);
		CHECK_EQ_INT(m.u.entries.count, n);
		CHECK(m.u.entries.first == 7);
		CHECK_EQ_INT(m.u.entries.body_len, want_len - 46);
		msg_run_iter_init(&it, &m);
		for (i = 0; i < n; i++) {
			CHECK_EQ_INT(msg_run_next(&it, &re), 1);
			CHECK(memcmp(re.signed_bytes, w[i].sb, ENTRY_SIGNED_LEN) == 0);
			if (!w[i].payload) {
				CHECK(re.payload == NULL);
				CHECK_EQ_INT(re.plen, 0);
			} else {
				CHECK(re.payload != NULL);
				CHECK_EQ_INT(re.plen, w[i].plen);
				CHECK(re.plen == 0 ||
				      memcmp(re.payload, w[i].payload, re.plen) == 0);
			}
		}
		CHECK_EQ_INT(msg_run_next(&it, &re), 0);
		CHECK_EQ_INT(msg_run_next(&it, &re), 0);
		if (n == 3)
			CHECK_TRUNCATIONS(&b);
	}

	/* Erased spelled as NULL with plen 0 is the same frame. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_entries_begin(&b, author, 1), 0);
	CHECK_EQ_INT(msg_entries_add(&b, w[0].sb, NULL, 0), 0);
	CHECK_EQ_INT(be_get32(b.data + 46 + ENTRY_SIGNED_LEN), MSG_PAYLOAD_ERASED);

	/* Caller mistakes: EINVAL, frame untouched. */
	{
		size_t len0 = b.len;

		CHECK_EQ_INT(msg_entries_add(&b, w[0].sb, NULL, 5), STOA_EINVAL);
		CHECK_EQ_INT(msg_entries_add(&b, w[0].sb, big, BIG_PAYLOAD + 1),
			     STOA_EINVAL);
		CHECK_EQ_INT(msg_entries_add(&b, w[0].sb, big, MSG_PAYLOAD_ERASED),
			     STOA_EINVAL);
		CHECK_EQ_INT(b.len, len0);
		CHECK_EQ_INT(msg_entries_count(&b), 1);
	}

	/* add on a buf that is not an ENTRIES frame. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_entries_add(&b, w[0].sb, small, 1), STOA_EINVAL);
	CHECK_EQ_INT(msg_entries_count(&b), 0);
	CHECK_EQ_INT(msg_put_done(&b), 0);
	CHECK_EQ_INT(msg_entries_add(&b, w[0].sb, small, 1), STOA_EINVAL);
	CHECK_EQ_INT(msg_entries_count(&b), 0);
	msg_entries_end(&b);
	CHECK_EQ_INT(b.len, 4);

	/* The iterator on another type yields nothing. */
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	msg_run_iter_init(&it, &m);
	CHECK_EQ_INT(msg_run_next(&it, &re), 0);
	buf_release(&b);
}

static void test_entries_full(void)
{
	static uint8_t big[BIG_PAYLOAD];
	uint8_t author[KEY_PUBLIC_LEN], sb[ENTRY_SIGNED_LEN];
	struct msg_run_iter it;
	struct msg_run_entry re;
	struct buf b;
	struct msg m;
	size_t len0, fit;
	unsigned i, seen;
	int rc;

	pattern(author, sizeof(author), 0x55);
	pattern(sb, sizeof(sb), 0x66);
	pattern(big, sizeof(big), 0x77);
	buf_init(&b, MSG_MAX);

	/* By count: MSG_RUN_MAX small entries, then ENOMEM. */
	CHECK_EQ_INT(msg_entries_begin(&b, author, 1), 0);
	for (i = 0; i < MSG_RUN_MAX; i++) {
		rc = msg_entries_add(&b, sb, big, i % 3 ? 10 : 0);
		if (rc != 0)
			break;
	}
	CHECK_EQ_INT(i, MSG_RUN_MAX);
	len0 = b.len;
	CHECK_EQ_INT(msg_entries_add(&b, sb, big, 1), STOA_ENOMEM);
	CHECK_EQ_INT(msg_entries_add(&b, sb, NULL, 0), STOA_ENOMEM);
	CHECK_EQ_INT(b.len, len0);
	CHECK_EQ_INT(msg_entries_count(&b), MSG_RUN_MAX);
	msg_entries_end(&b);
	CHECK_EQ_INT(msg_entries_count(&b), MSG_RUN_MAX);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.u.entries.count, MSG_RUN_MAX);
	msg_run_iter_init(&it, &m);
	for (seen = 0; msg_run_next(&it, &re); seen++)
		;
	CHECK_EQ_INT(seen, MSG_RUN_MAX);

	/* A count one past the bound, hand-made, is refused. */
	be_put16(b.data + 44, MSG_RUN_MAX + 1);
	EXPECT_PROTO(b.data, b.len, "entries: count 1001 out of range");
	be_put16(b.data + 44, UINT16_MAX);
	EXPECT_PROTO(b.data, b.len, "out of range");

	/* By bytes against MSG_MAX: 32 KiB payloads until add refuses. */
	buf_reset(&b);
	CHECK_EQ_INT(msg_entries_begin(&b, author, 1), 0);
	for (i = 0; i < MSG_RUN_MAX; i++)
		if (msg_entries_add(&b, sb, big, BIG_PAYLOAD) != 0)
			break;
	fit = (MSG_MAX - 46) / (190 + BIG_PAYLOAD);
	CHECK_EQ_INT(i, fit);
	CHECK(b.len <= MSG_MAX);
	len0 = b.len;
	CHECK_EQ_INT(msg_entries_add(&b, sb, big, BIG_PAYLOAD), STOA_ENOMEM);
	CHECK_EQ_INT(b.len, len0);
	/* A smaller entry may still fit the room left. */
	if (MSG_MAX - b.len >= 190)
		CHECK_EQ_INT(msg_entries_add(&b, sb, NULL, 0), 0);
	msg_entries_end(&b);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.u.entries.count, msg_entries_count(&b));
	msg_run_iter_init(&it, &m);
	for (seen = 0; msg_run_next(&it, &re); seen++)
		;
	CHECK_EQ_INT(seen, m.u.entries.count);
	buf_release(&b);

	/* By bytes against a smaller b->max: the buf's bound wins. */
	buf_init(&b, 100000);
	CHECK_EQ_INT(msg_entries_begin(&b, author, 1), 0);
	for (i = 0; i < MSG_RUN_MAX; i++)
		if (msg_entries_add(&b, sb, big, BIG_PAYLOAD) != 0)
			break;
	CHECK_EQ_INT(i, (100000 - 46) / (190 + BIG_PAYLOAD));
	CHECK(b.len <= 100000);
	msg_entries_end(&b);
	CHECK_EQ_INT(decode_ok(&m, &b), 0);
	CHECK_EQ_INT(m.u.entries.count, i);
	buf_release(&b);

	/* A frame over MSG_MAX is refused before it is read. */
	{
		uint8_t *huge = calloc(1, (size_t)MSG_MAX + 1);

		CHECK(huge != NULL);
		if (huge) {
			huge[0] = MSG_MAGIC0;
			huge[1] = MSG_MAGIC1;
			huge[2] = MSG_VERSION;
			huge[3] = MSG_ENTRIES;
			EXPECT_PROTO(huge, (size_t)MSG_MAX + 1, "message too long");
			free(huge);
		}
	}
}

static void test_entries_bad(void)
{
	uint8_t author[KEY_PUBLIC_LEN], sb[ENTRY_SIGNED_LEN], pl[64];
	struct buf b;
	size_t off;

	pattern(author, sizeof(author), 0x21);
	pattern(sb, sizeof(sb), 0x22);
	pattern(pl, sizeof(pl), 0x23);
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_entries_begin(&b, author, 3), 0);
	CHECK_EQ_INT(msg_entries_add(&b, sb, pl, 10), 0);
	CHECK_EQ_INT(msg_entries_add(&b, sb, pl, sizeof(pl)), 0);
	msg_entries_end(&b);
	off = 46 + 190 + 10 + ENTRY_SIGNED_LEN; /* second entry's plen */

	/* plen one over ENTRY_MAX_PAYLOAD. */
	be_put32(b.data + off, ENTRY_MAX_PAYLOAD + 1);
	EXPECT_PROTO(b.data, b.len, "entries: payload of 32769 bytes exceeds 32768");
	/* plen that runs past the frame end. */
	be_put32(b.data + off, sizeof(pl) + 1);
	EXPECT_PROTO(b.data, b.len, "entries: entry 1 runs past the frame");
	be_put32(b.data + off, UINT32_MAX - 1);
	EXPECT_PROTO(b.data, b.len, "exceeds");
	/* plen short: bytes left over after the walk. */
	be_put32(b.data + off, sizeof(pl) - 1);
	EXPECT_PROTO(b.data, b.len, "entries: 1 bytes after the last of 2");
	/* Erased marker with the payload still there: trailing bytes. */
	be_put32(b.data + off, MSG_PAYLOAD_ERASED);
	EXPECT_PROTO(b.data, b.len, "after the last");
	be_put32(b.data + off, sizeof(pl));

	/* Count says 3, the body holds 2. */
	be_put16(b.data + 44, 3);
	EXPECT_PROTO(b.data, b.len, "entries: entry 2 runs past the frame");
	/* Count says 1, the body holds 2. */
	be_put16(b.data + 44, 1);
	EXPECT_PROTO(b.data, b.len, "after the last of 1");
	/* msg_entries_end recounts from the body. */
	msg_entries_end(&b);
	CHECK_EQ_INT(msg_entries_count(&b), 2);
	buf_release(&b);
}

/* ---- header and framing ---- */

static void test_header(void)
{
	uint8_t f[108];
	struct msg m;
	unsigned t;

	memset(f, 0, sizeof(f));
	EXPECT_PROTO(f, 0, "message too short (0 bytes)");
	EXPECT_PROTO(NULL, 0, "message too short (0 bytes)");
	EXPECT_PROTO(f, 3, "message too short (3 bytes)");

	f[0] = MSG_MAGIC0;
	f[1] = MSG_MAGIC1;
	f[2] = MSG_VERSION;
	f[3] = MSG_DONE;
	CHECK_EQ_INT(msg_decode(&m, f, 4, NULL), 0);
	EXPECT_PROTO(f, 5, "done: 5 bytes, expected 4");

	f[0] = 'X';
	EXPECT_PROTO(f, 4, "bad message magic");
	f[0] = MSG_MAGIC0;
	f[1] = 'Z';
	EXPECT_PROTO(f, 4, "bad message magic");
	f[1] = MSG_MAGIC1;
	f[2] = 2;
	EXPECT_PROTO(f, 4, "unsupported protocol version 2");
	f[2] = 0;
	EXPECT_PROTO(f, 4, "unsupported protocol version 0");
	f[2] = MSG_VERSION;
	f[3] = 0;
	EXPECT_PROTO(f, 4, "unknown message type 0");
	f[3] = 9;
	EXPECT_PROTO(f, 4, "unknown message type 9");
	f[3] = 255;
	EXPECT_PROTO(f, sizeof(f), "unknown message type 255");

	f[3] = MSG_HELLO;
	EXPECT_PROTO(f, 107, "hello: 107 bytes, expected 108");
	CHECK_EQ_INT(msg_decode(&m, f, 108, NULL), 0);
	f[3] = MSG_HAVE;
	EXPECT_PROTO(f, 77, "have: 77 bytes, expected 76");
	f[3] = MSG_WANT;
	EXPECT_PROTO(f, 47, "want: 47 bytes, expected 48");

	/* A failed decode leaves m zeroed, never half-filled. */
	f[3] = MSG_HELLO;
	memset(f + 4, 0xab, sizeof(f) - 4);
	CHECK_EQ_INT(msg_decode(&m, f, 107, NULL), STOA_EPROTO);
	CHECK_EQ_INT(m.type, 0);

	CHECK_STR(msg_type_name(MSG_HELLO), "hello");
	CHECK_STR(msg_type_name(MSG_FRONTIER), "frontier");
	CHECK_STR(msg_type_name(MSG_WANT), "want");
	CHECK_STR(msg_type_name(MSG_ENTRIES), "entries");
	CHECK_STR(msg_type_name(MSG_HAVE), "have");
	CHECK_STR(msg_type_name(MSG_ERROR), "error");
	CHECK_STR(msg_type_name(MSG_DONE), "done");
	CHECK_STR(msg_type_name(MSG_PING), "ping");
	for (t = 0; t < 256; t++)
		if (t < MSG_HELLO || t > MSG_PING)
			CHECK_STR(msg_type_name((uint8_t)t), "unknown");

	/* The first error wins in struct err. */
	{
		struct err e;

		err_clear(&e);
		err_set(&e, STOA_EIO, "earlier");
		CHECK_EQ_INT(msg_decode(&m, f, 3, &e), STOA_EPROTO);
		CHECK_STR(e.msg, "earlier");
	}
}

static void test_frontier_bad(void)
{
	struct msg_head heads[2];
	struct buf b;
	uint8_t *f;
	size_t n;

	make_head(&heads[0], 1);
	make_head(&heads[1], 2);
	buf_init(&b, MSG_MAX);
	CHECK_EQ_INT(msg_put_frontier(&b, 0, heads, 2), 0);

	b.data[4] = 2;
	EXPECT_PROTO(b.data, b.len, "frontier: more flag 2");
	b.data[4] = 1;
	b.data[5] = 1;
	EXPECT_PROTO(b.data, b.len, "frontier: reserved byte 1");
	b.data[5] = 0;
	be_put16(b.data + 6, 0);
	EXPECT_PROTO(b.data, 8, "frontier: count 0 out of range");
	EXPECT_PROTO(b.data, b.len, "frontier: count 0 out of range");
	be_put16(b.data + 6, 3);
	EXPECT_PROTO(b.data, b.len, "frontier: 152 bytes, expected 224");
	be_put16(b.data + 6, 1);
	EXPECT_PROTO(b.data, b.len, "frontier: 152 bytes, expected 80");
	EXPECT_PROTO(b.data, 7, "frontier: 7 bytes, expected at least 8");
	be_put16(b.data + 6, 2);
	buf_release(&b);

	n = 8 + (size_t)MSG_TRIPLE_LEN * (MSG_FRONTIER_MAX + 1);
	f = calloc(1, n);
	CHECK(f != NULL);
	if (f) {
		f[0] = MSG_MAGIC0;
		f[1] = MSG_MAGIC1;
		f[2] = MSG_VERSION;
		f[3] = MSG_FRONTIER;
		be_put16(f + 6, MSG_FRONTIER_MAX + 1);
		EXPECT_PROTO(f, n, "frontier: count 1025 out of range");
		be_put16(f + 6, UINT16_MAX);
		EXPECT_PROTO(f, n, "frontier: count 65535 out of range");
		free(f);
	}
}

/* ---- encoders at the buf's bound ---- */

static void test_encoders_bound(void)
{
	uint8_t k[KEY_PUBLIC_LEN] = {0};
	struct msg_head h[2];
	struct buf b;

	make_head(&h[0], 1);
	make_head(&h[1], 2);

	/* Nothing fits 3 bytes. */
	buf_init(&b, 3);
	CHECK_EQ_INT(msg_put_done(&b), STOA_ENOMEM);
	CHECK_EQ_INT(b.len, 0);
	buf_release(&b);

	/* Two frames back to back, then one that does not fit. */
	buf_init(&b, 4 + 48 + 50);
	CHECK_EQ_INT(msg_put_done(&b), 0);
	CHECK_EQ_INT(msg_put_want(&b, k, 1, 1), 0);
	CHECK_EQ_INT(b.len, 52);
	CHECK_EQ_INT(msg_put_hello(&b, k, k, k, 1, 0), STOA_ENOMEM);
	CHECK_EQ_INT(msg_put_have(&b, &h[0]), STOA_ENOMEM);
	CHECK_EQ_INT(msg_put_frontier(&b, 0, h, 1), STOA_ENOMEM);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EIO, "this text is long enough to "
				   "pass the bound of the buffer"), STOA_ENOMEM);
	CHECK_EQ_INT(b.len, 52);
	CHECK(b.data[0] == MSG_MAGIC0 && b.data[3] == MSG_DONE);
	CHECK(b.data[4] == MSG_MAGIC0 && b.data[7] == MSG_WANT);
	CHECK_EQ_INT(msg_put_error(&b, STOA_EIO, "short"), 0);
	CHECK_EQ_INT(b.len, 52 + 13);
	buf_release(&b);

	/* ENTRIES begin needs 46 bytes. */
	buf_init(&b, 45);
	CHECK_EQ_INT(msg_entries_begin(&b, k, 1), STOA_ENOMEM);
	CHECK_EQ_INT(b.len, 0);
	buf_release(&b);
	/* An entry needs 190 more. */
	buf_init(&b, 46 + 189);
	CHECK_EQ_INT(msg_entries_begin(&b, k, 1), 0);
	{
		uint8_t sb[ENTRY_SIGNED_LEN] = {0};

		CHECK_EQ_INT(msg_entries_add(&b, sb, NULL, 0), STOA_ENOMEM);
		CHECK_EQ_INT(b.len, 46);
		CHECK_EQ_INT(msg_entries_count(&b), 0);
	}
	buf_release(&b);
}

/* ---- random frames ---- */

static void test_random(void)
{
	static const unsigned lens[] = {4, 8, 46, 48, 76, 108, 236, 264};
	uint8_t *f;
	struct msg m;
	struct err e;
	unsigned round, ok = 0;
	int rc, bad = 0;

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		size_t len, i;

		/* Mostly random lengths; some the exact sizes of real frames. */
		if (round % 4 == 0)
			len = lens[rng() % (sizeof(lens) / sizeof(lens[0]))];
		else
			len = (size_t)(rng() % (RANDOM_LEN_MAX + 1));
		f = malloc(len ? len : 1);
		if (!f) {
			CHECK(f != NULL);
			return;
		}
		for (i = 0; i < len; i++)
			f[i] = (uint8_t)rng();
		/* Usually a good header so the type decoders get exercised. */
		if (round % 8 != 0 && len >= 4) {
			f[0] = MSG_MAGIC0;
			f[1] = MSG_MAGIC1;
			f[2] = MSG_VERSION;
			f[3] = (uint8_t)(rng() % 9);
		}
		/* Small counts and lengths so some frames pass the bounds. */
		if (len >= 8 && f[3] == MSG_FRONTIER && round % 2)
			be_put16(f + 6, (uint16_t)(rng() % 30));
		if (len >= 8 && f[3] == MSG_ERROR && round % 2)
			be_put16(f + 6, (uint16_t)(len - 8));
		if (len >= 46 && f[3] == MSG_ENTRIES && round % 2)
			be_put16(f + 44, (uint16_t)(rng() % 12));
		err_clear(&e);
		rc = msg_decode(&m, f, len, &e);
		if (rc == 0) {
			struct msg_run_iter it;
			struct msg_run_entry re;
			struct msg_head h;
			unsigned n = 0;

			ok++;
			if (m.type == MSG_ENTRIES) {
				msg_run_iter_init(&it, &m);
				while (msg_run_next(&it, &re))
					n++;
				if (n != m.u.entries.count)
					bad = 1;
			} else if (m.type == MSG_FRONTIER) {
				for (n = 0; n < m.u.frontier.count; n++)
					msg_frontier_get(&m, (uint16_t)n, &h);
			} else if (m.type == MSG_ERROR) {
				if (strlen(m.u.error.text) > MSG_TEXT_MAX)
					bad = 1;
			}
		} else if (rc != STOA_EPROTO || e.msg[0] == '\0') {
			bad = 1;
		}
		free(f);
	}
	CHECK(!bad);
	CHECK(ok > 0); /* some random frames (DONE at least) are valid */
}

int main(void)
{
	test_header();
	test_hello();
	test_frontier();
	test_frontier_bad();
	test_want();
	test_have();
	test_done();
	test_error();
	test_entries_round();
	test_entries_full();
	test_entries_bad();
	test_encoders_bound();
	test_random();
	return test_report("msg");
}
