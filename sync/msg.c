/*
 * msg: encodes and decodes the replication protocol's wire messages (v1,
 * laid out below and in docs/protocol.md). msg_decode is the only gate a
 * peer's frame passes before the state machine looks at it: it checks the
 * frame size against MSG_MAX before reading a byte, every count and length
 * against its named bound before using it, and walks the layout of every
 * entry of an ENTRIES run, so callers iterate without further checks. It
 * does not decode entries (entry_decode and the store do) and never
 * allocates: a decoded struct msg borrows the frame. The encoders append
 * one whole frame to a struct buf or leave it untouched. No sockets, no
 * <sodium.h>, no <zmq.h>, no printing; bad bytes cost an error code.
 *
 * Every frame: off 0 "SY" (0x53 0x59), off 2 version 1, off 3 type.
 *
 *   type         len           off len  field
 *   1 HELLO      108             4  32  node id (member Ed25519 public key)
 *                               36  32  auth (keyed BLAKE2b-256)
 *                               68  32  frontier digest
 *                              100   4  feeds
 *                              104   4  flags (unknown bits ignored)
 *   2 FRONTIER   8 + 72*count    4   1  more (0 or 1)
 *                                5   1  reserved (0)
 *                                6   2  count (1..MSG_FRONTIER_MAX)
 *                                8  72  per triple: author 32, seq 8, head 32
 *   3 WANT       48              4  32  author
 *                               36   8  from (>= 1)
 *                               44   4  max (1..MSG_RUN_MAX)
 *   4 ENTRIES    46 + ...        4  32  author
 *                               36   8  first
 *                               44   2  count (0..MSG_RUN_MAX)
 *                               46   .  per entry: signed bytes 186, plen 4
 *                                       (0xFFFFFFFF = erased, no payload;
 *                                       else <= ENTRY_MAX_PAYLOAD), payload
 *   5 HAVE       76              4  32  author
 *                               36   8  head seq
 *                               44  32  head id
 *   6 ERROR      8 + len         4   2  code (the STOA_E* code negated, != 0)
 *                                6   2  len (0..MSG_TEXT_MAX)
 *                                8 len  UTF-8 text, one line, no NUL
 *   7 DONE       4
 *   8 PING       4
 *
 * Encoder refusals: an argument the decoder would refuse (FRONTIER count 0
 * or over MSG_FRONTIER_MAX, WANT from 0 or max out of 1..MSG_RUN_MAX, an
 * ERROR code that is not a negative u16, a payload over ENTRY_MAX_PAYLOAD)
 * is the caller's mistake: STOA_EINVAL. A frame that does not fit b->max
 * (or MSG_MAX), or an ENTRIES run already holding MSG_RUN_MAX entries, is a
 * bound being hit: STOA_ENOMEM, which for ENTRIES means "this run is full,
 * send it". So a FRONTIER of 1025 triples is STOA_EINVAL.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "entry.h"
#include "err.h"
#include "msg.h"

#define HELLO_LEN 108
#define FRONTIER_FIXED 8
#define WANT_LEN 48
#define ENTRIES_FIXED 46
#define ENTRIES_OFF_COUNT 44
#define HAVE_LEN 76
#define ERROR_FIXED 8
#define DONE_LEN MSG_HEADER_LEN /* and PING's */
#define RUN_ENTRY_FIXED (ENTRY_SIGNED_LEN + 4) /* signed bytes + plen */

_Static_assert(HELLO_LEN == MSG_HEADER_LEN + KEY_PUBLIC_LEN + 2 * HASH_LEN + 8,
	       "HELLO layout does not add up");
_Static_assert(WANT_LEN == MSG_HEADER_LEN + KEY_PUBLIC_LEN + 8 + 4,
	       "WANT layout does not add up");
_Static_assert(HAVE_LEN == MSG_HEADER_LEN + KEY_PUBLIC_LEN + 8 + ENTRY_ID_LEN,
	       "HAVE layout does not add up");
_Static_assert(ENTRIES_FIXED == ENTRIES_OFF_COUNT + 2,
	       "ENTRIES layout does not add up");
_Static_assert(MSG_TRIPLE_LEN == KEY_PUBLIC_LEN + 8 + ENTRY_ID_LEN,
	       "frontier triple layout does not add up");
_Static_assert(FRONTIER_FIXED + (size_t)MSG_FRONTIER_MAX * MSG_TRIPLE_LEN <= MSG_MAX,
	       "a full FRONTIER must fit MSG_MAX");
_Static_assert(ENTRY_MAX_PAYLOAD < MSG_PAYLOAD_ERASED,
	       "the erased marker must not be a valid payload length");
_Static_assert(MSG_RUN_MAX <= UINT16_MAX && MSG_FRONTIER_MAX <= UINT16_MAX,
	       "counts are u16 on the wire");

static const char *const type_names[] = {
	[MSG_HELLO] = "hello",
	[MSG_FRONTIER] = "frontier",
	[MSG_WANT] = "want",
	[MSG_ENTRIES] = "entries",
	[MSG_HAVE] = "have",
	[MSG_ERROR] = "error",
	[MSG_DONE] = "done",
	[MSG_PING] = "ping",
};

const char *msg_type_name(uint8_t type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
		return type_names[type];
	return "unknown";
}

/* ---- decoding ---- */

static int bad_len(struct err *e, uint8_t type, size_t len, size_t want)
{
	return err_set(e, STOA_EPROTO, "%s: %zu bytes, expected %zu",
		       msg_type_name(type), len, want);
}

static int too_short(struct err *e, uint8_t type, size_t len, size_t min)
{
	return err_set(e, STOA_EPROTO, "%s: %zu bytes, expected at least %zu",
		       msg_type_name(type), len, min);
}

static void read_head(struct reader *r, struct msg_head *h)
{
	reader_copy(r, h->author, KEY_PUBLIC_LEN);
	h->seq = reader_u64(r);
	reader_copy(r, h->id, ENTRY_ID_LEN);
}

static int decode_hello(struct msg *m, struct reader *r, struct err *e)
{
	if (r->len != HELLO_LEN)
		return bad_len(e, MSG_HELLO, r->len, HELLO_LEN);
	reader_copy(r, m->u.hello.node, KEY_PUBLIC_LEN);
	reader_copy(r, m->u.hello.auth, HASH_LEN);
	reader_copy(r, m->u.hello.digest, HASH_LEN);
	m->u.hello.feeds = reader_u32(r);
	m->u.hello.flags = reader_u32(r);
	return 0;
}

static int decode_frontier(struct msg *m, struct reader *r, struct err *e)
{
	uint8_t more, reserved;
	uint16_t count;
	size_t want;

	if (r->len < FRONTIER_FIXED)
		return too_short(e, MSG_FRONTIER, r->len, FRONTIER_FIXED);
	more = reader_u8(r);
	reserved = reader_u8(r);
	count = reader_u16(r);
	if (more > 1)
		return err_set(e, STOA_EPROTO, "frontier: more flag %u is not 0 or 1",
			       (unsigned)more);
	if (reserved != 0)
		return err_set(e, STOA_EPROTO, "frontier: reserved byte %u is not 0",
			       (unsigned)reserved);
	if (count < 1 || count > MSG_FRONTIER_MAX)
		return err_set(e, STOA_EPROTO, "frontier: count %u out of range",
			       (unsigned)count);
	want = FRONTIER_FIXED + (size_t)count * MSG_TRIPLE_LEN;
	if (r->len != want)
		return bad_len(e, MSG_FRONTIER, r->len, want);
	m->u.frontier.more = more;
	m->u.frontier.count = count;
	m->u.frontier.triples = reader_bytes(r, (size_t)count * MSG_TRIPLE_LEN);
	return 0;
}

static int decode_want(struct msg *m, struct reader *r, struct err *e)
{
	if (r->len != WANT_LEN)
		return bad_len(e, MSG_WANT, r->len, WANT_LEN);
	reader_copy(r, m->u.want.author, KEY_PUBLIC_LEN);
	m->u.want.from = reader_u64(r);
	m->u.want.max = reader_u32(r);
	if (m->u.want.from < 1)
		return err_set(e, STOA_EPROTO, "want: from 0 (seqs start at 1)");
	if (m->u.want.max < 1 || m->u.want.max > MSG_RUN_MAX)
		return err_set(e, STOA_EPROTO, "want: max %u out of range",
			       (unsigned)m->u.want.max);
	return 0;
}

/*
 * Walks count entries from the reader's position to the frame end without
 * decoding them: each must lie wholly inside the frame, carry a payload
 * length within bounds, and the last must end exactly at the frame end.
 * Every length is checked against what is left before it is skipped.
 */
static int walk_run(struct reader *r, uint16_t count, struct err *e)
{
	unsigned i;

	for (i = 0; i < count; i++) {
		uint32_t plen;

		if (reader_left(r) < RUN_ENTRY_FIXED)
			return err_set(e, STOA_EPROTO,
				       "entries: entry %u runs past the frame", i);
		reader_bytes(r, ENTRY_SIGNED_LEN);
		plen = reader_u32(r);
		if (plen == MSG_PAYLOAD_ERASED)
			continue;
		if (plen > ENTRY_MAX_PAYLOAD)
			return err_set(e, STOA_EPROTO,
				       "entries: payload of %u bytes exceeds %u",
				       (unsigned)plen, (unsigned)ENTRY_MAX_PAYLOAD);
		if (reader_left(r) < plen)
			return err_set(e, STOA_EPROTO,
				       "entries: entry %u runs past the frame", i);
		reader_bytes(r, plen);
	}
	if (reader_left(r) != 0)
		return err_set(e, STOA_EPROTO,
			       "entries: %zu bytes after the last of %u entries",
			       reader_left(r), (unsigned)count);
	return 0;
}

static int decode_entries(struct msg *m, struct reader *r, struct err *e)
{
	size_t body_off;
	uint16_t count;
	int rc;

	if (r->len < ENTRIES_FIXED)
		return too_short(e, MSG_ENTRIES, r->len, ENTRIES_FIXED);
	reader_copy(r, m->u.entries.author, KEY_PUBLIC_LEN);
	m->u.entries.first = reader_u64(r);
	count = reader_u16(r);
	if (count > MSG_RUN_MAX)
		return err_set(e, STOA_EPROTO, "entries: count %u out of range",
			       (unsigned)count);
	body_off = r->off;
	rc = walk_run(r, count, e);
	if (rc < 0)
		return rc;
	m->u.entries.count = count;
	m->u.entries.body = r->p + body_off;
	m->u.entries.body_len = r->len - body_off;
	return 0;
}

static int decode_have(struct msg *m, struct reader *r, struct err *e)
{
	if (r->len != HAVE_LEN)
		return bad_len(e, MSG_HAVE, r->len, HAVE_LEN);
	read_head(r, &m->u.have);
	return 0;
}

static int decode_error(struct msg *m, struct reader *r, struct err *e)
{
	uint16_t code, tlen;
	const uint8_t *text;

	if (r->len < ERROR_FIXED)
		return too_short(e, MSG_ERROR, r->len, ERROR_FIXED);
	code = reader_u16(r);
	tlen = reader_u16(r);
	if (code == 0)
		return err_set(e, STOA_EPROTO, "error: code 0 is not an error");
	if (tlen > MSG_TEXT_MAX)
		return err_set(e, STOA_EPROTO, "error: text of %u bytes exceeds %u",
			       (unsigned)tlen, (unsigned)MSG_TEXT_MAX);
	if (r->len != ERROR_FIXED + (size_t)tlen)
		return bad_len(e, MSG_ERROR, r->len, ERROR_FIXED + (size_t)tlen);
	text = reader_bytes(r, tlen);
	if (tlen && (!text || memchr(text, 0, tlen)))
		return err_set(e, STOA_EPROTO, "error: text holds a NUL byte");
	m->u.error.code = -(int)code;
	if (tlen)
		memcpy(m->u.error.text, text, tlen);
	m->u.error.text[tlen] = '\0';
	return 0;
}

int msg_decode(struct msg *m, const uint8_t *p, size_t len, struct err *e)
{
	struct reader r;
	uint8_t m0, m1, version, type;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > MSG_MAX)
		return err_set(e, STOA_EPROTO, "message too long (%zu bytes, max %u)",
			       len, (unsigned)MSG_MAX);
	if (len < MSG_HEADER_LEN || !p)
		return err_set(e, STOA_EPROTO, "message too short (%zu bytes)", len);
	reader_init(&r, p, len);
	m0 = reader_u8(&r);
	m1 = reader_u8(&r);
	version = reader_u8(&r);
	type = reader_u8(&r);
	if (m0 != MSG_MAGIC0 || m1 != MSG_MAGIC1)
		return err_set(e, STOA_EPROTO, "bad message magic");
	if (version != MSG_VERSION)
		return err_set(e, STOA_EPROTO, "unsupported protocol version %u",
			       (unsigned)version);

	switch (type) {
	case MSG_HELLO: rc = decode_hello(m, &r, e); break;
	case MSG_FRONTIER: rc = decode_frontier(m, &r, e); break;
	case MSG_WANT: rc = decode_want(m, &r, e); break;
	case MSG_ENTRIES: rc = decode_entries(m, &r, e); break;
	case MSG_HAVE: rc = decode_have(m, &r, e); break;
	case MSG_ERROR: rc = decode_error(m, &r, e); break;
	case MSG_DONE:
	case MSG_PING:
		rc = len == DONE_LEN ? 0 : bad_len(e, type, len, DONE_LEN);
		break;
	default:
		return err_set(e, STOA_EPROTO, "unknown message type %u",
			       (unsigned)type);
	}
	if (rc == 0 && reader_finish(&r) != 0)
		rc = err_set(e, STOA_EPROTO, "%s: %zu bytes do not parse",
			     msg_type_name(type), len);
	if (rc < 0) {
		memset(m, 0, sizeof(*m));
		return rc;
	}
	m->type = type;
	return 0;
}

void msg_frontier_get(const struct msg *m, uint16_t i, struct msg_head *h)
{
	const uint8_t *t;

	if (m->type != MSG_FRONTIER || i >= m->u.frontier.count ||
	    !m->u.frontier.triples) {
		memset(h, 0, sizeof(*h)); /* caller's bug; never read past */
		return;
	}
	t = m->u.frontier.triples + (size_t)i * MSG_TRIPLE_LEN;
	memcpy(h->author, t, KEY_PUBLIC_LEN);
	h->seq = be_get64(t + KEY_PUBLIC_LEN);
	memcpy(h->id, t + KEY_PUBLIC_LEN + 8, ENTRY_ID_LEN);
}

void msg_run_iter_init(struct msg_run_iter *it, const struct msg *m)
{
	if (m->type == MSG_ENTRIES && m->u.entries.body) {
		it->p = m->u.entries.body;
		it->left = m->u.entries.body_len;
	} else {
		it->p = NULL;
		it->left = 0;
	}
}

/* The run was validated by msg_decode; the checks here only keep a misused
 * iterator (one not from msg_decode) from reading past its bytes. */
int msg_run_next(struct msg_run_iter *it, struct msg_run_entry *out)
{
	uint32_t plen;
	size_t used;

	if (!it->p || it->left < RUN_ENTRY_FIXED)
		return 0;
	plen = be_get32(it->p + ENTRY_SIGNED_LEN);
	used = RUN_ENTRY_FIXED;
	if (plen != MSG_PAYLOAD_ERASED) {
		if (plen > ENTRY_MAX_PAYLOAD || plen > it->left - RUN_ENTRY_FIXED) {
			it->left = 0;
			return 0;
		}
		used += plen;
	}
	out->signed_bytes = it->p;
	if (plen == MSG_PAYLOAD_ERASED) {
		out->payload = NULL;
		out->plen = 0;
	} else {
		out->payload = it->p + RUN_ENTRY_FIXED;
		out->plen = plen;
	}
	it->p += used;
	it->left -= used;
	return 1;
}

/* ---- encoding ---- */

/* 0 if need more bytes fit b (and MSG_MAX), else STOA_ENOMEM. */
static int room(const struct buf *b, size_t need)
{
	size_t limit = b->max < MSG_MAX ? b->max : MSG_MAX;

	if (b->len > limit || need > limit - b->len)
		return STOA_ENOMEM;
	return 0;
}

static int put_header(struct buf *b, uint8_t type)
{
	int rc = buf_put_u8(b, MSG_MAGIC0);

	if (rc == 0)
		rc = buf_put_u8(b, MSG_MAGIC1);
	if (rc == 0)
		rc = buf_put_u8(b, MSG_VERSION);
	if (rc == 0)
		rc = buf_put_u8(b, type);
	return rc;
}

/* Undoes a partly written frame (a failed realloc after the room check). */
static int rollback(struct buf *b, size_t len0, int rc)
{
	if (rc < 0)
		b->len = len0;
	return rc;
}

int msg_put_hello(struct buf *b, const uint8_t node[KEY_PUBLIC_LEN],
		  const uint8_t auth[HASH_LEN], const uint8_t digest[HASH_LEN],
		  uint32_t feeds, uint32_t flags)
{
	size_t len0 = b->len;
	int rc;

	if (room(b, HELLO_LEN) < 0)
		return STOA_ENOMEM;
	rc = put_header(b, MSG_HELLO);
	if (rc == 0)
		rc = buf_append(b, node, KEY_PUBLIC_LEN);
	if (rc == 0)
		rc = buf_append(b, auth, HASH_LEN);
	if (rc == 0)
		rc = buf_append(b, digest, HASH_LEN);
	if (rc == 0)
		rc = buf_put_u32(b, feeds);
	if (rc == 0)
		rc = buf_put_u32(b, flags);
	return rollback(b, len0, rc);
}

int msg_put_frontier(struct buf *b, int more, const struct msg_head *heads,
		     uint16_t count)
{
	size_t len0 = b->len;
	uint16_t i;
	int rc;

	if (count < 1 || count > MSG_FRONTIER_MAX || !heads)
		return STOA_EINVAL;
	if (room(b, FRONTIER_FIXED + (size_t)count * MSG_TRIPLE_LEN) < 0)
		return STOA_ENOMEM;
	rc = put_header(b, MSG_FRONTIER);
	if (rc == 0)
		rc = buf_put_u8(b, more ? 1 : 0);
	if (rc == 0)
		rc = buf_put_u8(b, 0);
	if (rc == 0)
		rc = buf_put_u16(b, count);
	for (i = 0; rc == 0 && i < count; i++) {
		rc = buf_append(b, heads[i].author, KEY_PUBLIC_LEN);
		if (rc == 0)
			rc = buf_put_u64(b, heads[i].seq);
		if (rc == 0)
			rc = buf_append(b, heads[i].id, ENTRY_ID_LEN);
	}
	return rollback(b, len0, rc);
}

int msg_put_want(struct buf *b, const uint8_t author[KEY_PUBLIC_LEN],
		 uint64_t from, uint32_t max)
{
	size_t len0 = b->len;
	int rc;

	if (from < 1 || max < 1 || max > MSG_RUN_MAX)
		return STOA_EINVAL;
	if (room(b, WANT_LEN) < 0)
		return STOA_ENOMEM;
	rc = put_header(b, MSG_WANT);
	if (rc == 0)
		rc = buf_append(b, author, KEY_PUBLIC_LEN);
	if (rc == 0)
		rc = buf_put_u64(b, from);
	if (rc == 0)
		rc = buf_put_u32(b, max);
	return rollback(b, len0, rc);
}

int msg_put_have(struct buf *b, const struct msg_head *h)
{
	size_t len0 = b->len;
	int rc;

	if (room(b, HAVE_LEN) < 0)
		return STOA_ENOMEM;
	rc = put_header(b, MSG_HAVE);
	if (rc == 0)
		rc = buf_append(b, h->author, KEY_PUBLIC_LEN);
	if (rc == 0)
		rc = buf_put_u64(b, h->seq);
	if (rc == 0)
		rc = buf_append(b, h->id, ENTRY_ID_LEN);
	return rollback(b, len0, rc);
}

/*
 * The text goes to a peer's log, so it is made one line here: control
 * bytes (newlines included) become spaces, and a text over MSG_TEXT_MAX is
 * cut back to the start of the UTF-8 sequence the cut would split.
 */
int msg_put_error(struct buf *b, int code, const char *text)
{
	uint8_t clean[MSG_TEXT_MAX];
	size_t len0 = b->len, n, i;
	int rc;

	if (code >= 0 || code < -(int)UINT16_MAX)
		return STOA_EINVAL;
	if (!text)
		text = "";
	n = strnlen(text, MSG_TEXT_MAX + 1);
	if (n > MSG_TEXT_MAX) {
		n = MSG_TEXT_MAX;
		/* text[n] exists (strnlen saw it). A UTF-8 sequence has at
		 * most 3 continuation bytes: back off at most that far. */
		while (n > MSG_TEXT_MAX - 3 && ((uint8_t)text[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)text[i];

		clean[i] = (c < 0x20 || c == 0x7F) ? ' ' : c;
	}
	if (room(b, ERROR_FIXED + n) < 0)
		return STOA_ENOMEM;
	rc = put_header(b, MSG_ERROR);
	if (rc == 0)
		rc = buf_put_u16(b, (uint16_t)-code);
	if (rc == 0)
		rc = buf_put_u16(b, (uint16_t)n);
	if (rc == 0)
		rc = buf_append(b, clean, n);
	return rollback(b, len0, rc);
}

/* DONE and PING are the bare header. */
static int put_bare(struct buf *b, uint8_t type)
{
	size_t len0 = b->len;

	if (room(b, DONE_LEN) < 0)
		return STOA_ENOMEM;
	return rollback(b, len0, put_header(b, type));
}

int msg_put_done(struct buf *b)
{
	return put_bare(b, MSG_DONE);
}

int msg_put_ping(struct buf *b)
{
	return put_bare(b, MSG_PING);
}

/* 1 if b holds the start of an ENTRIES frame written by msg_entries_begin. */
static int is_entries(const struct buf *b)
{
	return b->data && b->len >= ENTRIES_FIXED && b->data[0] == MSG_MAGIC0 &&
	       b->data[1] == MSG_MAGIC1 && b->data[2] == MSG_VERSION &&
	       b->data[3] == MSG_ENTRIES;
}

int msg_entries_begin(struct buf *b, const uint8_t author[KEY_PUBLIC_LEN],
		      uint64_t first)
{
	int rc;

	if (b->len != 0) /* the count lives at absolute offset 44 */
		return STOA_EINVAL;
	if (room(b, ENTRIES_FIXED) < 0)
		return STOA_ENOMEM;
	rc = put_header(b, MSG_ENTRIES);
	if (rc == 0)
		rc = buf_append(b, author, KEY_PUBLIC_LEN);
	if (rc == 0)
		rc = buf_put_u64(b, first);
	if (rc == 0)
		rc = buf_put_u16(b, 0);
	return rollback(b, 0, rc);
}

/*
 * The header count is kept current on every add, so the frame is a valid
 * ENTRIES message after each call (and after a refused one): the caller
 * may stop at the first STOA_ENOMEM and send what it has.
 */
int msg_entries_add(struct buf *b, const uint8_t signed_bytes[ENTRY_SIGNED_LEN],
		    const void *payload, uint32_t plen)
{
	size_t len0 = b->len;
	uint16_t count;
	uint32_t wire_plen;
	int rc;

	if (!is_entries(b) || !signed_bytes)
		return STOA_EINVAL;
	if (payload) {
		if (plen > ENTRY_MAX_PAYLOAD)
			return STOA_EINVAL;
		wire_plen = plen;
	} else {
		/* NULL = erased; a non-zero length with it is a caller bug. */
		if (plen != 0 && plen != MSG_PAYLOAD_ERASED)
			return STOA_EINVAL;
		wire_plen = MSG_PAYLOAD_ERASED;
		plen = 0;
	}
	count = be_get16(b->data + ENTRIES_OFF_COUNT);
	if (count >= MSG_RUN_MAX)
		return STOA_ENOMEM;
	if (room(b, RUN_ENTRY_FIXED + (size_t)plen) < 0)
		return STOA_ENOMEM;
	rc = buf_append(b, signed_bytes, ENTRY_SIGNED_LEN);
	if (rc == 0)
		rc = buf_put_u32(b, wire_plen);
	if (rc == 0 && plen)
		rc = buf_append(b, payload, plen);
	if (rc < 0)
		return rollback(b, len0, rc);
	be_put16(b->data + ENTRIES_OFF_COUNT, (uint16_t)(count + 1));
	return 0;
}

/*
 * Writes the count of entries actually present in the body (add keeps it
 * current already; this recount makes the frame's count agree with its
 * bytes whatever happened in between).
 */
void msg_entries_end(struct buf *b)
{
	const uint8_t *p;
	size_t left;
	uint16_t count = 0;

	if (!is_entries(b))
		return;
	p = b->data + ENTRIES_FIXED;
	left = b->len - ENTRIES_FIXED;
	while (left >= RUN_ENTRY_FIXED && count < MSG_RUN_MAX) {
		uint32_t plen = be_get32(p + ENTRY_SIGNED_LEN);
		size_t used = RUN_ENTRY_FIXED;

		if (plen != MSG_PAYLOAD_ERASED) {
			if (plen > left - RUN_ENTRY_FIXED)
				break;
			used += plen;
		}
		p += used;
		left -= used;
		count++;
	}
	be_put16(b->data + ENTRIES_OFF_COUNT, count);
}

uint16_t msg_entries_count(const struct buf *b)
{
	if (!is_entries(b))
		return 0;
	return be_get16(b->data + ENTRIES_OFF_COUNT);
}
