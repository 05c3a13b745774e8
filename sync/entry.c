/*
 * entry: builds, parses, verifies and names signed entries (format v1, laid
 * out in entry.h and below). It owns the canonical 186-byte encoding: every
 * struct entry it fills carries fields and signed_bytes that agree, and the
 * id is always recomputed here from those bytes, never taken from outside.
 * It never includes <sodium.h> (signing and hashing go through key.h),
 * never allocates, never prints, and never trusts a length it did not
 * check: a peer's bytes cost an error code, never the node.
 *
 *   off len  field
 *     0   4  magic "STOA"
 *     4   1  version = 1
 *     5   1  kind
 *     6  32  author public key
 *    38   8  seq (big-endian)
 *    46  32  prev id (zeros iff seq 1)
 *    78   8  timestamp, ms (big-endian)
 *    86   4  payload length (big-endian, <= ENTRY_MAX_PAYLOAD)
 *    90  32  payload hash (BLAKE2b-256)
 *   122  64  Ed25519 signature over "stoa-entry-v1:" || bytes 0..122
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "entry.h"
#include "err.h"
#include "key.h"

#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_KIND 5
#define OFF_AUTHOR 6
#define OFF_SEQ 38
#define OFF_PREV 46
#define OFF_TIMESTAMP 78
#define OFF_PAYLOAD_LEN 86
#define OFF_PAYLOAD_HASH 90
#define MAGIC_LEN 4

_Static_assert(OFF_PAYLOAD_HASH + HASH_LEN == ENTRY_HEADER_LEN,
	       "entry header layout does not add up");
_Static_assert(sizeof(ENTRY_SIGN_DOMAIN) - 1 == ENTRY_SIGN_DOMAIN_LEN,
	       "ENTRY_SIGN_DOMAIN_LEN does not match ENTRY_SIGN_DOMAIN");
_Static_assert(ENTRY_SIGNED_LEN == 186, "entry signed length changed");

static const char *const kind_names[ENTRY_KIND_MAX_KNOWN + 1] = {
	[ENTRY_KIND_PROFILE] = "profile",
	[ENTRY_KIND_POST] = "post",
	[ENTRY_KIND_FEEDBACK] = "feedback",
	[ENTRY_KIND_MENTOR_OFFER] = "mentor_offer",
	[ENTRY_KIND_MENTOR_REQUEST] = "mentor_request",
	[ENTRY_KIND_MENTOR_ACCEPT] = "mentor_accept",
	[ENTRY_KIND_MENTOR_SESSION] = "mentor_session",
	[ENTRY_KIND_MENTOR_CLOSE] = "mentor_close",
	[ENTRY_KIND_KUDOS] = "kudos",
	[ENTRY_KIND_ROLE] = "role",
	[ENTRY_KIND_HIDE] = "hide",
	[ENTRY_KIND_UNHIDE] = "unhide",
	[ENTRY_KIND_ERASE] = "erase",
	[ENTRY_KIND_REPORT] = "report",
	[ENTRY_KIND_REMOVE] = "remove",
	[ENTRY_KIND_EPOCH] = "epoch",
	[ENTRY_KIND_INVITE] = "invite",
};

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Writes the 122-byte header for en's fields (the only encoder). */
static void header_encode(const struct entry *en, uint8_t h[ENTRY_HEADER_LEN])
{
	memcpy(h + OFF_MAGIC, ENTRY_MAGIC, MAGIC_LEN);
	h[OFF_VERSION] = en->version;
	h[OFF_KIND] = en->kind;
	memcpy(h + OFF_AUTHOR, en->author, KEY_PUBLIC_LEN);
	be_put64(h + OFF_SEQ, en->seq);
	memcpy(h + OFF_PREV, en->prev, ENTRY_ID_LEN);
	be_put64(h + OFF_TIMESTAMP, en->timestamp);
	be_put32(h + OFF_PAYLOAD_LEN, en->payload_len);
	memcpy(h + OFF_PAYLOAD_HASH, en->payload_hash, HASH_LEN);
}

/* The exact message an Ed25519 signature covers: domain || header. */
static void sign_message(const uint8_t *header,
			 uint8_t msg[ENTRY_SIGN_DOMAIN_LEN + ENTRY_HEADER_LEN])
{
	memcpy(msg, ENTRY_SIGN_DOMAIN, ENTRY_SIGN_DOMAIN_LEN);
	memcpy(msg + ENTRY_SIGN_DOMAIN_LEN, header, ENTRY_HEADER_LEN);
}

/* hash_blake2b of a possibly NULL, empty payload: hash zero bytes. */
static void payload_digest(uint8_t out[HASH_LEN], const void *p, size_t n)
{
	static const uint8_t none[1];

	hash_blake2b(out, n ? p : none, n);
}

int entry_create(struct entry *en, const struct key *k, uint8_t kind,
		 uint64_t seq, const uint8_t *prev, uint64_t timestamp,
		 const void *payload, size_t len, struct err *e)
{
	uint8_t msg[ENTRY_SIGN_DOMAIN_LEN + ENTRY_HEADER_LEN];

	if (!en || !k)
		return err_set(e, STOA_EINVAL, "entry_create: no entry or key");
	if (seq == 0)
		return err_set(e, STOA_EINVAL, "seq 0");
	if (seq > ENTRY_MAX_SEQ || timestamp > ENTRY_MAX_TIMESTAMP)
		return err_set(e, STOA_EINVAL, "seq or timestamp out of range");
	if (len > ENTRY_MAX_PAYLOAD)
		return err_set(e, STOA_EINVAL, "payload length %zu exceeds %u",
			       len, (unsigned)ENTRY_MAX_PAYLOAD);
	if (len > 0 && !payload)
		return err_set(e, STOA_EINVAL,
			       "payload length %zu without a payload", len);
	if (seq == 1 && prev)
		return err_set(e, STOA_EINVAL, "seq 1 with a prev link");
	/* An all-zero prev would encode as "no link": decode would refuse it. */
	if (seq > 1 && (!prev || all_zero(prev, ENTRY_ID_LEN)))
		return err_set(e, STOA_EINVAL, "seq %llu without a prev link",
			       (unsigned long long)seq);

	memset(en, 0, sizeof(*en));
	en->version = ENTRY_VERSION;
	en->kind = kind;
	memcpy(en->author, k->pk, KEY_PUBLIC_LEN);
	en->seq = seq;
	if (prev)
		memcpy(en->prev, prev, ENTRY_ID_LEN);
	en->timestamp = timestamp;
	en->payload_len = (uint32_t)len;
	payload_digest(en->payload_hash, payload, len);

	header_encode(en, en->signed_bytes);
	sign_message(en->signed_bytes, msg);
	key_sign(k, msg, sizeof(msg), en->sig);
	memcpy(en->signed_bytes + ENTRY_SIG_OFFSET, en->sig, KEY_SIG_LEN);
	hash_blake2b(en->id, en->signed_bytes, ENTRY_SIGNED_LEN);
	return 0;
}

int entry_decode(struct entry *en, const uint8_t *p, size_t len,
		 struct err *e)
{
	struct reader r;
	const uint8_t *magic;
	struct entry t;

	if (!en || (!p && len))
		return err_set(e, STOA_EINVAL, "entry_decode: no entry or bytes");
	if (len < ENTRY_SIGNED_LEN)
		return err_set(e, STOA_EPROTO,
			       "truncated entry: %zu bytes, expected %u", len,
			       (unsigned)ENTRY_SIGNED_LEN);
	if (len > ENTRY_SIGNED_LEN)
		return err_set(e, STOA_EPROTO,
			       "oversized entry: %zu bytes, expected %u", len,
			       (unsigned)ENTRY_SIGNED_LEN);

	/* Parse into a local so a refused entry leaves *en untouched. */
	memset(&t, 0, sizeof(t));
	reader_init(&r, p, len);
	magic = reader_bytes(&r, MAGIC_LEN);
	t.version = reader_u8(&r);
	t.kind = reader_u8(&r);
	reader_copy(&r, t.author, KEY_PUBLIC_LEN);
	t.seq = reader_u64(&r);
	reader_copy(&r, t.prev, ENTRY_ID_LEN);
	t.timestamp = reader_u64(&r);
	t.payload_len = reader_u32(&r);
	reader_copy(&r, t.payload_hash, HASH_LEN);
	reader_copy(&r, t.sig, KEY_SIG_LEN);
	if (reader_finish(&r) != 0 || !magic)
		return err_set(e, STOA_EPROTO,
			       "truncated entry: %zu bytes, expected %u", len,
			       (unsigned)ENTRY_SIGNED_LEN);

	if (memcmp(magic, ENTRY_MAGIC, MAGIC_LEN) != 0)
		return err_set(e, STOA_EPROTO, "bad magic");
	if (t.version != ENTRY_VERSION)
		return err_set(e, STOA_EPROTO, "unsupported entry version %u",
			       (unsigned)t.version);
	if (t.seq == 0)
		return err_set(e, STOA_EPROTO, "seq 0");
	if (t.seq > ENTRY_MAX_SEQ)
		return err_set(e, STOA_EPROTO, "seq out of range");
	if (t.timestamp > ENTRY_MAX_TIMESTAMP)
		return err_set(e, STOA_EPROTO, "timestamp out of range");
	if (t.seq == 1 && !all_zero(t.prev, ENTRY_ID_LEN))
		return err_set(e, STOA_EPROTO, "seq 1 with a prev link");
	if (t.seq > 1 && all_zero(t.prev, ENTRY_ID_LEN))
		return err_set(e, STOA_EPROTO, "seq %llu without a prev link",
			       (unsigned long long)t.seq);
	if (t.payload_len > ENTRY_MAX_PAYLOAD)
		return err_set(e, STOA_EPROTO, "payload length %u exceeds %u",
			       (unsigned)t.payload_len,
			       (unsigned)ENTRY_MAX_PAYLOAD);

	memcpy(t.signed_bytes, p, ENTRY_SIGNED_LEN);
	hash_blake2b(t.id, t.signed_bytes, ENTRY_SIGNED_LEN);
	*en = t;
	return 0;
}

int entry_verify(const struct entry *en, struct err *e)
{
	uint8_t header[ENTRY_HEADER_LEN];
	uint8_t msg[ENTRY_SIGN_DOMAIN_LEN + ENTRY_HEADER_LEN];
	char who[2 * 4 + 1];

	if (!en)
		return err_set(e, STOA_EINVAL, "entry_verify: no entry");
	/*
	 * The signature covers signed_bytes, but callers act on the fields:
	 * a struct whose fields were changed after entry_create/entry_decode
	 * must not pass as verified. This is a programmer error, not a forgery.
	 */
	header_encode(en, header);
	if (memcmp(header, en->signed_bytes, ENTRY_HEADER_LEN) != 0 ||
	    memcmp(en->sig, en->signed_bytes + ENTRY_SIG_OFFSET,
		   KEY_SIG_LEN) != 0)
		return err_set(e, STOA_EINVAL,
			       "entry %llu: fields do not match its signed bytes",
			       (unsigned long long)en->seq);

	sign_message(en->signed_bytes, msg);
	if (key_verify(en->author, msg, sizeof(msg), en->sig) != 0) {
		hex_encode(who, en->author, 4);
		return err_set(e, STOA_ECRYPTO, "bad signature on entry %llu of %s",
			       (unsigned long long)en->seq, who);
	}
	return 0;
}

int entry_check_payload(const struct entry *en, const void *payload,
			size_t len, struct err *e)
{
	uint8_t h[HASH_LEN];

	if (!en || (!payload && len))
		return err_set(e, STOA_EINVAL,
			       "entry_check_payload: no entry or payload");
	if (len != en->payload_len)
		return err_set(e, STOA_EPROTO, "payload length %zu, header says %u",
			       len, (unsigned)en->payload_len);
	payload_digest(h, payload, len);
	if (!bytes_equal(h, en->payload_hash, HASH_LEN))
		return err_set(e, STOA_ECRYPTO, "payload hash mismatch");
	return 0;
}

const char *entry_kind_name(uint8_t kind)
{
	if (kind == 0 || kind > ENTRY_KIND_MAX_KNOWN)
		return "unknown";
	return kind_names[kind];
}

uint8_t entry_kind_from_name(const char *name)
{
	uint8_t k;

	if (!name)
		return 0;
	for (k = 1; k <= ENTRY_KIND_MAX_KNOWN; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return 0;
}

void entry_id_hex(const uint8_t id[ENTRY_ID_LEN], char *out)
{
	hex_encode(out, id, ENTRY_ID_LEN);
}
