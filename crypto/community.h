/*
 * community: a community is a display name plus a 32-byte random secret.
 * Holding the secret is membership; later layers derive the transport keys
 * from it (community_derive). It is stored in the home's community file and
 * shared as an invite code, which therefore must be treated as a password.
 *
 * Community file v1 (mode 0600):
 *   off    len  field
 *     0      8  magic "stoa-com"
 *     8      1  version = 1
 *     9      1  name length N (1..COMMUNITY_NAME_MAX)
 *    10      N  name, UTF-8, no control characters
 *  10+N     32  secret
 *
 * Invite code v1: "stoa:" followed by unpadded URL-safe base64 of
 *   version (1) || N (1) || name (N) || secret (32) ||
 *   check (4) = first 4 bytes of BLAKE2b-256 of everything before it.
 */
#ifndef STOA_COMMUNITY_H
#define STOA_COMMUNITY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define COMMUNITY_NAME_MAX 64
#define COMMUNITY_SECRET_LEN 32
#define COMMUNITY_FILE_MAGIC "stoa-com"
#define COMMUNITY_FILE_VERSION 1
#define COMMUNITY_FILE_MAX (10 + COMMUNITY_NAME_MAX + COMMUNITY_SECRET_LEN)
#define INVITE_PREFIX "stoa:"
#define INVITE_VERSION 1
/* Longest invite code text, including its NUL. */
#define INVITE_MAX 160

struct community {
	char name[COMMUNITY_NAME_MAX + 1];
	uint8_t secret[COMMUNITY_SECRET_LEN]; /* wipe with community_wipe */
};

/* Checks a community name: 1..COMMUNITY_NAME_MAX bytes, valid UTF-8, no
 * control characters. */
int community_name_check(const char *name, struct err *e);
/* A new community with a fresh random secret. */
int community_create(struct community *c, const char *name, struct err *e);
void community_wipe(struct community *c);

int community_file_write(const char *path, const struct community *c,
			 struct err *e);
int community_file_read(const char *path, struct community *c, struct err *e);
int community_file_decode(const uint8_t *p, size_t len, struct community *c,
			  struct err *e);

/* out must hold INVITE_MAX bytes. */
void invite_encode(const struct community *c, char out[INVITE_MAX]);
int invite_decode(const char *code, struct community *c, struct err *e);

/*
 * A 32-byte subkey of the community secret for one purpose (libsodium KDF,
 * context "stoacomm", subkey id by purpose). Used by the transport (server
 * key pair) and discovery (community tag) layers.
 */
#define COMMUNITY_KEY_SERVER 1 /* seed of the CURVE server key pair */
#define COMMUNITY_KEY_HELLO 2  /* keys the auth field of HELLO */
#define COMMUNITY_KEY_TAG 3    /* the tag discovery publishes */

void community_derive(const struct community *c, uint64_t purpose,
		      uint8_t out[32]);

/*
 * The community's Curve25519 server key pair, shared by every member:
 * crypto_box_seed_keypair of community_derive(c, COMMUNITY_KEY_SERVER).
 * sk is a secret: the caller wipes it.
 */
void community_server_keypair(const struct community *c, uint8_t pk[32],
			      uint8_t sk[32]);

#endif
