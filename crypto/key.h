/*
 * key: a member's Ed25519 identity, signing, hashing, randomness, hex, and
 * the key file. The only module (with community.c) that includes
 * <sodium.h>; no SQLite, no sockets, no logging.
 *
 * Key file v1 (KEY_FILE_LEN = 74 bytes, mode 0600):
 *   off len  field
 *     0   8  magic "stoa-key"
 *     8   1  version = 1
 *     9   1  protection: 0 = plain (1 = passphrase, reserved)
 *    10  32  Ed25519 seed
 *    42  32  Ed25519 public key (must match the seed)
 * A key file that is group- or world-accessible is refused.
 */
#ifndef STOA_KEY_H
#define STOA_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KEY_PUBLIC_LEN 32
#define KEY_SECRET_LEN 64 /* libsodium form: seed || public key */
#define KEY_SEED_LEN 32
#define KEY_SIG_LEN 64
#define HASH_LEN 32       /* BLAKE2b-256 */
#define KEY_FILE_LEN 74
#define KEY_FILE_MAGIC "stoa-key"
#define KEY_FILE_VERSION 1

struct key {
	uint8_t pk[KEY_PUBLIC_LEN];
	uint8_t sk[KEY_SECRET_LEN]; /* secret: wipe with key_wipe */
};

/* sodium_init; call once before anything else. 0 or STOA_ECRYPTO. */
int key_lib_init(void);

void key_generate(struct key *k);
void key_from_seed(struct key *k, const uint8_t seed[KEY_SEED_LEN]);
void key_wipe(struct key *k);

void key_sign(const struct key *k, const void *msg, size_t len,
	      uint8_t sig[KEY_SIG_LEN]);
/* 0 if sig is pk's signature of msg, else STOA_ECRYPTO. */
int key_verify(const uint8_t pk[KEY_PUBLIC_LEN], const void *msg, size_t len,
	       const uint8_t sig[KEY_SIG_LEN]);

/* BLAKE2b-256 of one buffer or two concatenated. */
void hash_blake2b(uint8_t out[HASH_LEN], const void *p, size_t n);
void hash_blake2b2(uint8_t out[HASH_LEN], const void *a, size_t an,
		   const void *b, size_t bn);
/* Keyed BLAKE2b-256 (a MAC) of one buffer under a 32-byte key. */
void hash_blake2b_keyed(uint8_t out[HASH_LEN], const uint8_t key[32],
			const void *p, size_t n);

/*
 * The member's Ed25519 pair converted to a Curve25519 pair (the CURVE
 * client key of its transport). sk is a secret: the caller wipes it.
 * 0, or STOA_ECRYPTO if k's public key is not a valid Ed25519 point
 * (sk is then zeroed).
 */
int key_to_curve(const struct key *k, uint8_t pk[32], uint8_t sk[32]);
/* Just the public half: a peer's node id as its CURVE client key.
 * 0 or STOA_ECRYPTO (curve_pk zeroed) for a point that does not convert. */
int key_pk_to_curve(const uint8_t ed_pk[KEY_PUBLIC_LEN], uint8_t curve_pk[32]);

/* Constant-time equality: 1 if equal. For digests and secrets. */
int bytes_equal(const void *a, const void *b, size_t n);
void bytes_wipe(void *p, size_t n);
void random_bytes(void *p, size_t n);

/* Lowercase hex. out must hold 2n+1 bytes; always NUL-terminated. */
void hex_encode(char *out, const uint8_t *in, size_t n);
/* Decodes exactly 2n hex chars (either case) into out. 0 or STOA_EINVAL. */
int hex_decode(uint8_t *out, size_t n, const char *hex);
/* 1 if s is made only of hex digits. */
int hex_valid(const char *s);

/*
 * Writes k to path atomically (temp file, fsync, link into place so an
 * existing key is never replaced, fsync of the directory), mode 0600.
 * Refuses to replace an existing file (STOA_EEXIST).
 */
int key_file_write(const char *path, const struct key *k, struct err *e);
/* Reads and checks a key file; refuses bad mode, magic, version, size. */
int key_file_read(const char *path, struct key *k, struct err *e);
/* Parses key file bytes (used by key_file_read and by tests/fuzzers). */
int key_file_decode(const uint8_t *p, size_t len, struct key *k, struct err *e);

/* Reads a whole small secret file, refusing group/world access and
 * anything longer than max. Shared by key and community files. */
int secret_file_read(const char *path, uint8_t *out, size_t max, size_t *len,
		     struct err *e);
/* Atomically creates a 0600 file holding p (fails if path exists). */
int secret_file_write(const char *path, const uint8_t *p, size_t len,
		      struct err *e);

#endif
