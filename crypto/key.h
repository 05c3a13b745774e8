/*
 * key: a member's Ed25519 identity, signing, hashing, randomness, hex, and
 * the key file. The only module (with community.c) that includes
 * <sodium.h>; no SQLite, no sockets, no logging.
 *
 * Key file v1, plain (KEY_FILE_LEN = 74 bytes, mode 0600):
 *   off len  field
 *     0   8  magic "stoa-key"
 *     8   1  version = 1
 *     9   1  protection: 0 = plain (any other value is refused)
 *    10  32  Ed25519 seed
 *    42  32  Ed25519 public key (must match the seed)
 *
 * Key file v2, passphrase-protected (KEY_FILE_V2_LEN = 154 bytes, 0600):
 *   off len  field
 *     0   8  magic "stoa-key"
 *     8   1  version = 2
 *     9   1  kdf: 1 = Argon2id v1.3 (libsodium crypto_pwhash)
 *    10  32  Ed25519 public key (readable without the passphrase)
 *    42  16  salt
 *    58   8  opslimit, big-endian, KEY_PWHASH_OPS_MIN..KEY_PWHASH_OPS_MAX
 *    66   8  memlimit in bytes, big-endian, KEY_PWHASH_MEM_MIN..MAX
 *    74  24  nonce
 *    98  48  crypto_secretbox_easy(seed) under the 32-byte key that
 *            Argon2id derives from the passphrase, salt and limits
 *   146   8  check: the first 8 bytes of BLAKE2b-256 of bytes 0..146
 * The check tells a damaged file from a wrong passphrase; the secretbox
 * MAC and the public key derived from the unsealed seed authenticate it.
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
#define KEY_FILE_LEN 74           /* v1 */
#define KEY_FILE_V2_LEN 154       /* v2 */
#define KEY_FILE_MAX KEY_FILE_V2_LEN
#define KEY_FILE_MAGIC "stoa-key"
#define KEY_FILE_VERSION 1
#define KEY_FILE_VERSION_SEALED 2
#define KEY_SALT_LEN 16
#define KEY_NONCE_LEN 24
#define KEY_BOX_LEN (16 + KEY_SEED_LEN) /* MAC + sealed seed */
#define KEY_PASSPHRASE_MAX 1024   /* bytes */
/* What a new v2 file is sealed with: libsodium's "interactive" limits
 * (Argon2id, 2 passes over 64 MiB: about 0.1-0.5 s on a laptop). */
#define KEY_PWHASH_OPS 2u
#define KEY_PWHASH_MEM (64u * 1024 * 1024)
/* What a reader accepts, so a damaged file cannot ask for hours or GiB. */
#define KEY_PWHASH_OPS_MIN 1u
#define KEY_PWHASH_OPS_MAX 16u
#define KEY_PWHASH_MEM_MIN 8192u
#define KEY_PWHASH_MEM_MAX (1024u * 1024 * 1024)

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

/*
 * Sealed boxes to a member (libsodium crypto_box_seal to the Curve25519
 * form of its Ed25519 key): only that member can open one, and nobody,
 * the sender included, can tell who sealed it. out holds len +
 * KEY_SEAL_OVERHEAD bytes. key_seal: 0 or STOA_ECRYPTO (a key that does
 * not convert). key_unseal opens a box of len bytes into out (len -
 * KEY_SEAL_OVERHEAD bytes): 0, or STOA_ECRYPTO if it is not sealed to k
 * or was changed (out is then zeroed).
 */
#define KEY_SEAL_OVERHEAD 48
int key_seal(uint8_t *out, const void *msg, size_t len,
	     const uint8_t to[KEY_PUBLIC_LEN]);
int key_unseal(uint8_t *out, const uint8_t *box, size_t len,
	       const struct key *k);

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
 * A key file as read, before any passphrase: the public key always; the
 * whole key for a plain file; the sealed seed and its KDF parameters for
 * a protected one. Holds secrets (v1): wipe with key_file_wipe.
 */
struct key_file {
	int sealed;                 /* 1: v2, key.sk is zero until unlocked */
	struct key key;
	uint8_t salt[KEY_SALT_LEN];
	uint64_t opslimit;
	uint64_t memlimit;
	uint8_t nonce[KEY_NONCE_LEN];
	uint8_t box[KEY_BOX_LEN];
};

/* Parses v1 or v2 key file bytes (no KDF is run). 0 or STOA_EPROTO /
 * STOA_ECRYPTO with the reason; kf is wiped on failure. */
int key_file_parse(const uint8_t *p, size_t len, struct key_file *kf,
		   struct err *e);
/* Reads and parses a key file; refuses bad mode, symlinks, size. */
int key_file_load(const char *path, struct key_file *kf, struct err *e);
/*
 * The whole key of kf into k: a plain file's at once, a sealed one's by
 * running Argon2id on pass (len bytes, at most KEY_PASSPHRASE_MAX) and
 * opening the box. STOA_EPERM "wrong passphrase", STOA_ECRYPTO for a seed
 * that does not give the file's public key, STOA_ENOMEM if the KDF cannot
 * get its memory. k is zeroed on failure.
 */
int key_file_unlock(const struct key_file *kf, const char *pass, size_t len,
		    struct key *k, struct err *e);
void key_file_wipe(struct key_file *kf);

/*
 * The bytes of a v2 file of k sealed under pass (1..KEY_PASSPHRASE_MAX
 * bytes) with a fresh salt and nonce and the given Argon2id limits
 * (within the KEY_PWHASH_*_MIN/MAX bounds). key_file_store uses
 * KEY_PWHASH_OPS and KEY_PWHASH_MEM; tests and fuzzers use less.
 */
int key_file_seal(uint8_t out[KEY_FILE_V2_LEN], const struct key *k,
		  const char *pass, size_t len, uint64_t ops, uint64_t mem,
		  struct err *e);

/* Flags of key_file_store. */
#define KEY_FILE_REPLACE 1u         /* replace an existing file (rename) */

/*
 * Writes k to path atomically (temp file, fsync, then link into place so
 * an existing key is never replaced, or rename over it with
 * KEY_FILE_REPLACE; fsync of the directory), mode 0600: v1 if pass is
 * NULL, else v2 sealed under pass (1..KEY_PASSPHRASE_MAX bytes) with a
 * fresh salt and nonce and the KEY_PWHASH_* limits. Without
 * KEY_FILE_REPLACE an existing file is STOA_EEXIST.
 */
int key_file_store(const char *path, const struct key *k, const char *pass,
		   size_t len, unsigned flags, struct err *e);
/* key_file_store of a plain (v1) file that must not exist yet. */
int key_file_write(const char *path, const struct key *k, struct err *e);
/* Reads a plain key file (a sealed one is STOA_EPERM). */
int key_file_read(const char *path, struct key *k, struct err *e);
/* Parses plain key file bytes (a sealed file is STOA_EPERM). */
int key_file_decode(const uint8_t *p, size_t len, struct key *k, struct err *e);
/* 1 if k holds its secret half (not a sealed key's public half only). */
int key_has_secret(const struct key *k);

/* Reads a whole small secret file, refusing group/world access and
 * anything longer than max. Shared by key and community files. */
int secret_file_read(const char *path, uint8_t *out, size_t max, size_t *len,
		     struct err *e);
/* Atomically creates a 0600 file holding p (fails if path exists). */
int secret_file_write(const char *path, const uint8_t *p, size_t len,
		      struct err *e);
/* Same, but atomically replaces an existing file (rename). */
int secret_file_replace(const char *path, const uint8_t *p, size_t len,
			struct err *e);

#endif
