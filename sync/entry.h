/*
 * entry: the signed entry format v1, the unit of every feed.
 *
 * An entry is a fixed 122-byte header, a 64-byte Ed25519 signature, and a
 * payload that travels and is stored beside them (so a payload can be
 * erased while the chain still verifies: the header carries its length and
 * hash). All integers big-endian.
 *
 *   off len  field
 *     0   4  magic "STOA"
 *     4   1  version = 1
 *     5   1  kind (ENTRY_KIND_*; unknown kinds are valid and relayed)
 *     6  32  author: Ed25519 public key
 *    38   8  seq: 1, 2, 3, ... within the author's feed
 *    46  32  prev: id of entry seq-1 of the same author; zeros for seq 1
 *    78   8  timestamp: milliseconds since the Unix epoch
 *    86   4  payload length (0..ENTRY_MAX_PAYLOAD)
 *    90  32  payload hash: BLAKE2b-256 of the payload bytes
 *   122  64  signature: Ed25519 over ENTRY_SIGN_DOMAIN || header[0..122)
 *
 * ENTRY_SIGN_DOMAIN is the 14 ASCII bytes "stoa-entry-v1:" (no NUL).
 * Entry id = BLAKE2b-256(header || signature), the 186 "signed bytes".
 *
 * This module is sans-I/O: bytes in, structs out, no allocation.
 */
#ifndef STOA_ENTRY_H
#define STOA_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"

#define ENTRY_MAGIC "STOA"
#define ENTRY_VERSION 1
#define ENTRY_HEADER_LEN 122
#define ENTRY_SIG_OFFSET ENTRY_HEADER_LEN
#define ENTRY_SIGNED_LEN (ENTRY_HEADER_LEN + KEY_SIG_LEN) /* 186 */
#define ENTRY_ID_LEN HASH_LEN
#define ENTRY_ID_HEX_LEN (2 * ENTRY_ID_LEN)
#define ENTRY_MAX_PAYLOAD (32 * 1024)
#define ENTRY_SIGN_DOMAIN "stoa-entry-v1:"
#define ENTRY_SIGN_DOMAIN_LEN 14
/* seq and timestamp are u64 on the wire but must fit a signed 64-bit
 * integer (SQLite, JSON): larger values are not canonical. */
#define ENTRY_MAX_SEQ INT64_MAX
#define ENTRY_MAX_TIMESTAMP INT64_MAX
/* Shortest id prefix accepted on the command line (git style). */
#define ENTRY_ID_PREFIX_MIN 8

enum entry_kind {
	ENTRY_KIND_PROFILE = 1,
	ENTRY_KIND_POST = 2,
	ENTRY_KIND_FEEDBACK = 3,
	ENTRY_KIND_MENTOR_OFFER = 4,
	ENTRY_KIND_MENTOR_REQUEST = 5,
	ENTRY_KIND_MENTOR_ACCEPT = 6,
	ENTRY_KIND_MENTOR_SESSION = 7,
	ENTRY_KIND_MENTOR_CLOSE = 8,
	ENTRY_KIND_KUDOS = 9,
	/* governance (docs/governance.md): */
	ENTRY_KIND_ROLE = 10,
	ENTRY_KIND_HIDE = 11,
	ENTRY_KIND_UNHIDE = 12,
	ENTRY_KIND_ERASE = 13,
	ENTRY_KIND_REPORT = 14,
	ENTRY_KIND_REMOVE = 15,
	ENTRY_KIND_EPOCH = 16,  /* a rotation of the community secret */
	ENTRY_KIND_INVITE = 17, /* an invite a facilitator made, or revoked */
	ENTRY_KIND_MAX_KNOWN = 17,
};

/* 1 for the governance kinds, whose effect depends on who wrote them. */
#define ENTRY_KIND_IS_GOV(k) ((k) >= ENTRY_KIND_ROLE && (k) <= ENTRY_KIND_EPOCH)

struct entry {
	uint8_t version;
	uint8_t kind;
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t seq;
	uint8_t prev[ENTRY_ID_LEN];
	uint64_t timestamp;   /* ms since epoch */
	uint32_t payload_len;
	uint8_t payload_hash[HASH_LEN];
	uint8_t sig[KEY_SIG_LEN];
	uint8_t id[ENTRY_ID_LEN];            /* derived: hash of signed bytes */
	uint8_t signed_bytes[ENTRY_SIGNED_LEN]; /* the canonical encoding */
};

/*
 * Builds and signs a new entry of k's feed. prev may be NULL for seq 1.
 * Fails (STOA_EINVAL) on seq 0, len > ENTRY_MAX_PAYLOAD, a non-NULL prev
 * with seq 1 or a NULL prev with seq > 1.
 */
int entry_create(struct entry *en, const struct key *k, uint8_t kind,
		 uint64_t seq, const uint8_t *prev, uint64_t timestamp,
		 const void *payload, size_t len, struct err *e);

/*
 * Parses exactly ENTRY_SIGNED_LEN bytes (len must equal it) into en and
 * computes its id. Checks magic, version, seq >= 1, prev zero iff seq 1,
 * payload length bound. Does NOT check the signature: see entry_verify.
 */
int entry_decode(struct entry *en, const uint8_t *p, size_t len,
		 struct err *e);

/* Checks the signature (STOA_ECRYPTO with a reason on failure). */
int entry_verify(const struct entry *en, struct err *e);

/* Checks that payload has the header's length and hash. */
int entry_check_payload(const struct entry *en, const void *payload,
			size_t len, struct err *e);

/* "post", "feedback", ...; "unknown" for kinds this version does not know. */
const char *entry_kind_name(uint8_t kind);
/* The kind for a name, or 0 if none. */
uint8_t entry_kind_from_name(const char *name);

/* Hex of an id: out holds ENTRY_ID_HEX_LEN + 1 bytes. */
void entry_id_hex(const uint8_t id[ENTRY_ID_LEN], char *out);

#endif
