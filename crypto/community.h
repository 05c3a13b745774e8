/*
 * community: a community is a display name plus a 32-byte random secret,
 * and (from version 2) its founder's public key and the epoch of the
 * secret (0 until a rotation: docs/governance.md).
 * Holding the secret is membership; later layers derive the transport keys
 * from it (community_derive). It is stored in the home's community file and
 * shared as an invite code, which therefore must be treated as a password.
 *
 * Community file (mode 0600), versions 1 to 3:
 *   off    len  field
 *     0      8  magic "stoa-com"
 *     8      1  version = 1, 2 or 3
 *     9      1  name length N (1..COMMUNITY_NAME_MAX)
 *    10      N  name, UTF-8, no control characters
 *  v2 and v3:
 *  10+N     32  founder: the Ed25519 public key of its founder
 *  42+N      4  epoch (u32 big-endian)
 *  then     32  secret
 *  v3 only (written when the node held earlier epochs):
 *  78+N      1  P: past epochs (1..COMMUNITY_PAST_MAX), newest first
 *  79+N  P*36   each: epoch (u32 big-endian) || its secret (32)
 * A past secret lets the node reach members who have not yet received a
 * rotation (docs/governance.md, "Rotation").
 *
 * Invite code: "stoa:" followed by unpadded URL-safe base64 of
 *   v1: version (1) || N (1) || name (N) || secret (32) || check (4)
 *   v2: version (2) || N (1) || name (N) || founder (32) || epoch (4) ||
 *       secret (32) || check (4)
 * check = first 4 bytes of BLAKE2b-256 of everything before it. A v1
 * community (made before governance) has no founder: nobody in it holds
 * authority. stoa writes v2 for a founded community, v1 otherwise.
 */
#ifndef STOA_COMMUNITY_H
#define STOA_COMMUNITY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define COMMUNITY_NAME_MAX 64
#define COMMUNITY_SECRET_LEN 32
#define COMMUNITY_FILE_MAGIC "stoa-com"
#define COMMUNITY_FOUNDER_LEN 32
#define COMMUNITY_FILE_VERSION 3
#define COMMUNITY_PAST_MAX 8 /* earlier epochs' secrets kept */
#define COMMUNITY_FILE_MAX                                                 \
	(10 + COMMUNITY_NAME_MAX + COMMUNITY_FOUNDER_LEN + 4 +               \
	 COMMUNITY_SECRET_LEN + 1 + COMMUNITY_PAST_MAX * (4 + COMMUNITY_SECRET_LEN))
#define COMMUNITY_ROOT_DOMAIN "stoa-community-v2"
#define COMMUNITY_ROOT_DOMAIN_LEN 17
#define INVITE_PREFIX "stoa:"
#define INVITE_VERSION 2
/* Longest invite code text, including its NUL. */
#define INVITE_MAX 200

/* An earlier epoch's secret (a founded community's only). */
struct community_past {
	uint32_t epoch;
	uint8_t secret[COMMUNITY_SECRET_LEN];
};

struct community {
	char name[COMMUNITY_NAME_MAX + 1];
	uint8_t secret[COMMUNITY_SECRET_LEN]; /* wipe with community_wipe */
	int founded;                          /* version 2: the two below */
	uint8_t founder[COMMUNITY_FOUNDER_LEN];
	uint32_t epoch;
	struct community_past past[COMMUNITY_PAST_MAX]; /* newest first */
	size_t npast;
};

/* Checks a community name: 1..COMMUNITY_NAME_MAX bytes, valid UTF-8, no
 * control characters. */
int community_name_check(const char *name, struct err *e);
/* A new community with a fresh random secret (and no founder yet). */
int community_create(struct community *c, const char *name, struct err *e);
/* Names c's founder (epoch 0): from then on c is a version 2 community,
 * whose subkeys depend on the founder too. */
void community_found(struct community *c,
		     const uint8_t founder[COMMUNITY_FOUNDER_LEN]);
void community_wipe(struct community *c);

int community_file_write(const char *path, const struct community *c,
			 struct err *e);
/* The same, atomically replacing the file at path (a rotation adopted). */
int community_file_replace(const char *path, const struct community *c,
			   struct err *e);
int community_file_read(const char *path, struct community *c, struct err *e);
int community_file_decode(const uint8_t *p, size_t len, struct community *c,
			  struct err *e);

/* out must hold INVITE_MAX bytes. */
void invite_encode(const struct community *c, char out[INVITE_MAX]);
int invite_decode(const char *code, struct community *c, struct err *e);

/*
 * A 32-byte subkey of the community secret for one purpose (libsodium KDF,
 * context "stoacomm", subkey id by purpose), keyed by the secret itself in
 * a v1 community, and in a founded one by BLAKE2b-256 keyed by the secret
 * of COMMUNITY_ROOT_DOMAIN || founder || epoch (u32 big-endian). Used by the transport (server
 * key pair) and discovery (community tag) layers.
 */
#define COMMUNITY_KEY_SERVER 1 /* seed of the CURVE server key pair */
#define COMMUNITY_KEY_HELLO 2  /* keys the auth field of HELLO */
#define COMMUNITY_KEY_TAG 3    /* the tag discovery publishes */
#define COMMUNITY_KEY_LAN 4    /* seals the node in discovery's records */
#define COMMUNITY_KEY_CHECK 5  /* names the secret in a rotation record */
#define COMMUNITY_KEY_BUNDLE 6 /* encrypts bundles and frontier files
				* (node/bundle.c; its tag is a hash of it) */

void community_derive(const struct community *c, uint64_t purpose,
		      uint8_t out[32]);

/* Past epoch i of c (0 = the newest) as a community of its own, in out
 * (no past of its own): its subkeys are that epoch's. */
void community_past_get(const struct community *c, size_t i,
			struct community *out);

/*
 * Makes (epoch, secret) c's current epoch; the current one goes first in
 * the past list (the oldest drops off a full list), and a past entry of
 * the same epoch and secret leaves it. c must be founded.
 */
void community_move(struct community *c, uint32_t epoch,
		    const uint8_t secret[COMMUNITY_SECRET_LEN]);

/*
 * The community's Curve25519 server key pair, shared by every member:
 * crypto_box_seed_keypair of community_derive(c, COMMUNITY_KEY_SERVER).
 * sk is a secret: the caller wipes it.
 */
void community_server_keypair(const struct community *c, uint8_t pk[32],
			      uint8_t sk[32]);

#endif
