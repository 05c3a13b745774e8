/*
 * key: a member's Ed25519 identity, signing, BLAKE2b hashing, randomness,
 * hex, and the 0600 secret files that hold keys and community secrets (see
 * key.h for the key file layout). This file and community.c are the only
 * ones that include <sodium.h>. It owns no heap memory: secrets live in
 * fixed arrays that are wiped on every exit path, and are never compared
 * with memcmp nor handed to anything that prints. It never logs, never
 * aborts, and treats every byte read from disk as hostile.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "key.h"

_Static_assert(KEY_PUBLIC_LEN == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(KEY_SECRET_LEN == crypto_sign_SECRETKEYBYTES, "sk size");
_Static_assert(KEY_SEED_LEN == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(KEY_SIG_LEN == crypto_sign_BYTES, "signature size");
_Static_assert(HASH_LEN >= crypto_generichash_BYTES_MIN &&
	       HASH_LEN <= crypto_generichash_BYTES_MAX, "hash size");
_Static_assert(32 >= crypto_generichash_KEYBYTES_MIN &&
	       32 <= crypto_generichash_KEYBYTES_MAX, "hash key size");
_Static_assert(crypto_scalarmult_curve25519_BYTES == 32, "curve key size");
_Static_assert(sizeof(KEY_FILE_MAGIC) - 1 == 8, "key file magic size");
_Static_assert(KEY_FILE_LEN == 8 + 1 + 1 + KEY_SEED_LEN + KEY_PUBLIC_LEN,
	       "key file size");
_Static_assert(KEY_SALT_LEN == crypto_pwhash_SALTBYTES, "salt size");
_Static_assert(KEY_NONCE_LEN == crypto_secretbox_NONCEBYTES, "nonce size");
_Static_assert(KEY_BOX_LEN == crypto_secretbox_MACBYTES + KEY_SEED_LEN,
	       "box size");
_Static_assert(crypto_secretbox_KEYBYTES == 32, "secretbox key size");
_Static_assert(KEY_FILE_V2_LEN == 8 + 1 + 1 + KEY_PUBLIC_LEN + KEY_SALT_LEN +
	       8 + 8 + KEY_NONCE_LEN + KEY_BOX_LEN + 8, "key file v2 size");
_Static_assert(KEY_PWHASH_OPS >= KEY_PWHASH_OPS_MIN &&
	       KEY_PWHASH_OPS <= KEY_PWHASH_OPS_MAX, "write ops in bounds");
_Static_assert(KEY_PWHASH_MEM >= KEY_PWHASH_MEM_MIN &&
	       KEY_PWHASH_MEM <= KEY_PWHASH_MEM_MAX, "write mem in bounds");

/* Offsets in the key file (key.h). */
#define KF_MAGIC 0
#define KF_VERSION 8
#define KF_PROTECTION 9
#define KF_SEED 10
#define KF_PUBLIC 42

#define KF_PROTECT_NONE 0

/* Offsets in the key file v2 (key.h). */
#define KF2_KDF 9
#define KF2_PUBLIC 10
#define KF2_SALT 42
#define KF2_OPS 58
#define KF2_MEM 66
#define KF2_NONCE 74
#define KF2_BOX 98
#define KF2_CHECK 146
#define KF2_CHECK_LEN 8
#define KF2_KDF_ARGON2ID13 1

int key_lib_init(void)
{
	/* 1 means "already initialised", which is fine. */
	if (sodium_init() < 0)
		return STOA_ECRYPTO;
	return 0;
}

void key_generate(struct key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

void key_from_seed(struct key *k, const uint8_t seed[KEY_SEED_LEN])
{
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

void key_wipe(struct key *k)
{
	if (k)
		sodium_memzero(k, sizeof(*k));
}

void key_sign(const struct key *k, const void *msg, size_t len,
	      uint8_t sig[KEY_SIG_LEN])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int key_verify(const uint8_t pk[KEY_PUBLIC_LEN], const void *msg, size_t len,
	       const uint8_t sig[KEY_SIG_LEN])
{
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return STOA_ECRYPTO;
	return 0;
}

void hash_blake2b(uint8_t out[HASH_LEN], const void *p, size_t n)
{
	crypto_generichash(out, HASH_LEN, p, n, NULL, 0);
}

void hash_blake2b2(uint8_t out[HASH_LEN], const void *a, size_t an,
		   const void *b, size_t bn)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HASH_LEN);
	crypto_generichash_update(&st, a, an);
	crypto_generichash_update(&st, b, bn);
	crypto_generichash_final(&st, out, HASH_LEN);
	/* The inputs may be secret (e.g. a seed being checked). */
	sodium_memzero(&st, sizeof(st));
}

void hash_blake2b_keyed(uint8_t out[HASH_LEN], const uint8_t key[32],
			const void *p, size_t n)
{
	crypto_generichash(out, HASH_LEN, p, n, key, 32);
}

/*
 * A public key that is not a point of the curve (or is of small order)
 * makes libsodium's conversion fail; a key from key_generate never does,
 * but a key file's public half is only checked against its seed, so the
 * failure is reported rather than assumed away.
 */
int key_to_curve(const struct key *k, uint8_t pk[32], uint8_t sk[32])
{
	if (crypto_sign_ed25519_pk_to_curve25519(pk, k->pk) != 0) {
		sodium_memzero(pk, 32);
		sodium_memzero(sk, 32);
		return STOA_ECRYPTO;
	}
	crypto_sign_ed25519_sk_to_curve25519(sk, k->sk);
	return 0;
}

int key_pk_to_curve(const uint8_t ed_pk[KEY_PUBLIC_LEN], uint8_t curve_pk[32])
{
	if (crypto_sign_ed25519_pk_to_curve25519(curve_pk, ed_pk) != 0) {
		sodium_memzero(curve_pk, 32);
		return STOA_ECRYPTO;
	}
	return 0;
}

_Static_assert(KEY_SEAL_OVERHEAD == crypto_box_SEALBYTES, "seal overhead");

int key_seal(uint8_t *out, const void *msg, size_t len,
	     const uint8_t to[KEY_PUBLIC_LEN])
{
	uint8_t curve[32];

	if (key_pk_to_curve(to, curve) < 0 ||
	    crypto_box_seal(out, msg, len, curve) != 0)
		return STOA_ECRYPTO;
	return 0;
}

int key_unseal(uint8_t *out, const uint8_t *box, size_t len,
	       const struct key *k)
{
	uint8_t pk[32], sk[32];
	int rc = 0;

	if (len < KEY_SEAL_OVERHEAD || key_to_curve(k, pk, sk) < 0)
		return STOA_ECRYPTO;
	if (crypto_box_seal_open(out, box, len, pk, sk) != 0) {
		sodium_memzero(out, len - KEY_SEAL_OVERHEAD);
		rc = STOA_ECRYPTO;
	}
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int bytes_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void bytes_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

void random_bytes(void *p, size_t n)
{
	randombytes_buf(p, n);
}

void hex_encode(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

/*
 * The length is checked before decoding (strnlen, so an unterminated run of
 * hex never makes us read past 2n+1 bytes), and sodium_hex2bin is given no
 * "ignore" set, so "ab:cd" or "ab cd" are refused rather than half-decoded.
 * On failure out is zeroed: no caller sees a partial value.
 */
int hex_decode(uint8_t *out, size_t n, const char *hex)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (!hex || n > (SIZE_MAX - 1) / 2)
		return STOA_EINVAL;
	if (strnlen(hex, 2 * n + 1) != 2 * n)
		goto bad;
	if (n == 0)
		return 0;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &bin_len, &end) != 0 ||
	    bin_len != n || end != hex + 2 * n)
		goto bad;
	return 0;
bad:
	bytes_wipe(out, n);
	return STOA_EINVAL;
}

/* The empty string is not hex: it would match every id as a prefix. */
int hex_valid(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/*
 * Secret files. Writing goes through a temp file in the same directory
 * (same filesystem) that is fully written and fsynced before it gets its
 * real name, so a crash leaves either no file or a whole one. The real
 * name is given with link(), not rename(), because link() fails with
 * EEXIST instead of silently replacing an existing key: losing a key is
 * losing an identity. The directory is fsynced so the new name survives a
 * crash too.
 */

static int errno_code(int errnum)
{
	switch (errnum) {
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
		return STOA_EFULL;
	case EACCES:
	case EPERM:
		return STOA_EPERM;
	case ENOENT:
		return STOA_ENOTFOUND;
	case EEXIST:
		return STOA_EEXIST;
	case ENOMEM:
		return STOA_ENOMEM;
	}
	return STOA_EIO;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory part of path ("." if none) into dir[PATH_MAX]. */
static int dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(dir, size, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

static int fsync_dir(const char *path, struct err *e)
{
	char dir[PATH_MAX];
	int fd, rc = 0;

	if (dir_of(path, dir, sizeof(dir)) != 0)
		return err_set(e, STOA_EINVAL, "path too long: '%s'", path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno_code(errno), "cannot open directory '%s': %s",
			       dir, strerror(errno));
	/* Some filesystems cannot fsync a directory (EINVAL); nothing to do. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = err_set(e, errno_code(errno), "cannot sync directory '%s': %s",
			     dir, strerror(errno));
	close(fd);
	return rc;
}

/* Writes p to a fresh temp file, then links it to path (refusing an
 * existing file) or, with replace, renames it over path. */
static int secret_file_put(const char *path, const uint8_t *p, size_t len,
			   int replace, struct err *e)
{
	char tmp[PATH_MAX];
	int fd, n, rc, saved;

	if (!path || !*path || (!p && len))
		return err_set(e, STOA_EINVAL, "no file name given");
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(e, STOA_EINVAL, "path too long: '%s'", path);

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a crashed process that had our pid: ours to remove. */
		if (unlink(tmp) == 0)
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  0600);
		else
			errno = EEXIST;
	}
	if (fd < 0)
		return err_set(e, errno_code(errno), "cannot create '%s': %s", path,
			       strerror(errno));

	/* A restrictive umask may have taken bits away; never adds any. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, p, len) != 0 ||
	    fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return err_set(e, errno_code(saved), "cannot write '%s': %s", path,
			       strerror(saved));
	}
	if (close(fd) != 0) {
		saved = errno;
		unlink(tmp);
		return err_set(e, errno_code(saved), "cannot write '%s': %s", path,
			       strerror(saved));
	}

	if (replace) {
		if (rename(tmp, path) != 0) {
			saved = errno;
			unlink(tmp);
			return err_set(e, errno_code(saved),
				       "cannot replace '%s': %s", path,
				       strerror(saved));
		}
		return fsync_dir(path, e);
	}
	if (link(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		if (saved == EEXIST)
			return err_set(e, STOA_EEXIST, "'%s' already exists", path);
		return err_set(e, errno_code(saved), "cannot create '%s': %s", path,
			       strerror(saved));
	}
	/* path now holds the data; a leftover temp name is only clutter. */
	unlink(tmp);

	rc = fsync_dir(path, e);
	return rc;
}

int secret_file_write(const char *path, const uint8_t *p, size_t len,
		      struct err *e)
{
	return secret_file_put(path, p, len, 0, e);
}

int secret_file_replace(const char *path, const uint8_t *p, size_t len,
			struct err *e)
{
	return secret_file_put(path, p, len, 1, e);
}

int secret_file_read(const char *path, uint8_t *out, size_t max, size_t *len,
		     struct err *e)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	if (len)
		*len = 0;
	if (!path || !*path || !out || !len)
		return err_set(e, STOA_EINVAL, "no file name given");

	/* O_NONBLOCK: a FIFO planted at path must not hang us in open(). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, STOA_ENOTFOUND, "'%s' does not exist",
				       path);
		if (errno == ELOOP)
			return err_set(e, STOA_EPERM,
				       "'%s' is a symbolic link: refusing to read a secret through it",
				       path);
		return err_set(e, errno_code(errno), "cannot open '%s': %s", path,
			       strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		rc = err_set(e, STOA_EIO, "cannot stat '%s': %s", path,
			     strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, STOA_EINVAL, "'%s' is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		rc = err_set(e, STOA_EPERM,
			     "'%s' is accessible by others (mode %03o): run chmod 600 '%s'",
			     path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		rc = err_set(e, STOA_EPROTO,
			     "'%s' is too large (%lld bytes, at most %zu)", path,
			     (long long)st.st_size, max);
		goto out;
	}

	/* Read to EOF; the file may have changed since fstat, so re-bound. */
	for (;;) {
		uint8_t extra;
		ssize_t n;

		if (got < max)
			n = read(fd, out + got, max - got);
		else
			n = read(fd, &extra, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set(e, STOA_EIO, "cannot read '%s': %s", path,
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (got >= max) {
			bytes_wipe(&extra, 1);
			rc = err_set(e, STOA_EPROTO,
				     "'%s' is too large (more than %zu bytes)", path,
				     max);
			goto out;
		}
		got += (size_t)n;
	}
	*len = got;
out:
	if (rc)
		bytes_wipe(out, got);
	close(fd);
	return rc;
}

/*
 * Key file bytes. Built in fixed arrays rather than a struct buf because
 * they hold the seed (v1) or the key that seals it (v2), and buf's heap
 * memory is freed without being wiped.
 */
static void key_file_encode(uint8_t out[KEY_FILE_LEN], const struct key *k)
{
	memcpy(out + KF_MAGIC, KEY_FILE_MAGIC, 8);
	out[KF_VERSION] = KEY_FILE_VERSION;
	out[KF_PROTECTION] = KF_PROTECT_NONE;
	/* libsodium's secret key is seed || public key. */
	memcpy(out + KF_SEED, k->sk, KEY_SEED_LEN);
	memcpy(out + KF_PUBLIC, k->pk, KEY_PUBLIC_LEN);
}

/* The v2 check: the first 8 bytes of BLAKE2b-256 of bytes 0..146. */
static void v2_check(const uint8_t *p, uint8_t out[KF2_CHECK_LEN])
{
	uint8_t h[HASH_LEN];

	hash_blake2b(h, p, KF2_CHECK);
	memcpy(out, h, KF2_CHECK_LEN);
}

/* Argon2id of pass under the file's salt and limits: the secretbox key. */
static int derive(uint8_t out[crypto_secretbox_KEYBYTES], const char *pass,
		  size_t len, const uint8_t salt[KEY_SALT_LEN], uint64_t ops,
		  uint64_t mem, struct err *e)
{
	if (mem > SIZE_MAX)
		return err_set(e, STOA_ENOMEM, "key file asks for too much "
			       "memory (%llu bytes)", (unsigned long long)mem);
	if (crypto_pwhash(out, crypto_secretbox_KEYBYTES, pass, len, salt,
			  (unsigned long long)ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, crypto_secretbox_KEYBYTES);
		return err_set(e, STOA_ENOMEM, "cannot derive a key from the "
			       "passphrase (%llu MiB of memory needed)",
			       (unsigned long long)(mem >> 20));
	}
	return 0;
}

int key_file_seal(uint8_t out[KEY_FILE_V2_LEN], const struct key *k,
		  const char *pass, size_t len, uint64_t ops, uint64_t mem,
		  struct err *e)
{
	uint8_t dk[crypto_secretbox_KEYBYTES];
	int rc;

	if (!key_has_secret(k))
		return err_set(e, STOA_EINVAL, "the key is locked: cannot seal it");
	if (!pass || len == 0 || len > KEY_PASSPHRASE_MAX)
		return err_set(e, STOA_EINVAL, "a passphrase must be 1 to %d "
			       "bytes", KEY_PASSPHRASE_MAX);
	if (ops < KEY_PWHASH_OPS_MIN || ops > KEY_PWHASH_OPS_MAX ||
	    mem < KEY_PWHASH_MEM_MIN || mem > KEY_PWHASH_MEM_MAX)
		return err_set(e, STOA_EINVAL, "key derivation limits out of "
			       "bounds");
	memcpy(out + KF_MAGIC, KEY_FILE_MAGIC, 8);
	out[KF_VERSION] = KEY_FILE_VERSION_SEALED;
	out[KF2_KDF] = KF2_KDF_ARGON2ID13;
	memcpy(out + KF2_PUBLIC, k->pk, KEY_PUBLIC_LEN);
	randombytes_buf(out + KF2_SALT, KEY_SALT_LEN);
	be_put64(out + KF2_OPS, ops);
	be_put64(out + KF2_MEM, mem);
	randombytes_buf(out + KF2_NONCE, KEY_NONCE_LEN);
	rc = derive(dk, pass, len, out + KF2_SALT, ops, mem, e);
	if (rc == 0) {
		/* the seed is the first half of libsodium's secret key */
		crypto_secretbox_easy(out + KF2_BOX, k->sk, KEY_SEED_LEN,
				      out + KF2_NONCE, dk);
		v2_check(out, out + KF2_CHECK);
	}
	sodium_memzero(dk, sizeof(dk));
	return rc;
}

void key_file_wipe(struct key_file *kf)
{
	if (kf)
		sodium_memzero(kf, sizeof(*kf));
}

/* A v1 file: magic and version already checked. */
static int parse_v1(const uint8_t *p, struct key_file *kf, struct err *e)
{
	uint8_t pk[KEY_PUBLIC_LEN];
	struct key tmp;
	int rc = 0;

	if (p[KF_PROTECTION] != KF_PROTECT_NONE)
		return err_set(e, STOA_EPROTO,
			       "key file has an unknown protection type %u",
			       (unsigned)p[KF_PROTECTION]);
	memcpy(pk, p + KF_PUBLIC, KEY_PUBLIC_LEN);
	key_from_seed(&tmp, p + KF_SEED);
	if (!bytes_equal(tmp.pk, pk, KEY_PUBLIC_LEN))
		rc = err_set(e, STOA_ECRYPTO,
			     "key file is damaged: public key does not match");
	else
		kf->key = tmp;
	key_wipe(&tmp);
	return rc;
}

/* A v2 file: magic and version already checked. */
static int parse_v2(const uint8_t *p, struct key_file *kf, struct err *e)
{
	uint8_t check[KF2_CHECK_LEN];
	uint64_t ops = be_get64(p + KF2_OPS), mem = be_get64(p + KF2_MEM);

	if (p[KF2_KDF] != KF2_KDF_ARGON2ID13)
		return err_set(e, STOA_EPROTO,
			       "key file uses an unknown key derivation %u",
			       (unsigned)p[KF2_KDF]);
	if (ops < KEY_PWHASH_OPS_MIN || ops > KEY_PWHASH_OPS_MAX)
		return err_set(e, STOA_EPROTO, "key file: opslimit %llu is "
			       "outside %u..%u", (unsigned long long)ops,
			       KEY_PWHASH_OPS_MIN, KEY_PWHASH_OPS_MAX);
	if (mem < KEY_PWHASH_MEM_MIN || mem > KEY_PWHASH_MEM_MAX)
		return err_set(e, STOA_EPROTO, "key file: memlimit %llu is "
			       "outside %u..%u", (unsigned long long)mem,
			       KEY_PWHASH_MEM_MIN, KEY_PWHASH_MEM_MAX);
	v2_check(p, check);
	/* not secret, but sodium_memcmp costs nothing here */
	if (!bytes_equal(check, p + KF2_CHECK, KF2_CHECK_LEN))
		return err_set(e, STOA_ECRYPTO,
			       "key file is damaged (its check does not match)");
	kf->sealed = 1;
	memcpy(kf->key.pk, p + KF2_PUBLIC, KEY_PUBLIC_LEN);
	memcpy(kf->salt, p + KF2_SALT, KEY_SALT_LEN);
	kf->opslimit = ops;
	kf->memlimit = mem;
	memcpy(kf->nonce, p + KF2_NONCE, KEY_NONCE_LEN);
	memcpy(kf->box, p + KF2_BOX, KEY_BOX_LEN);
	return 0;
}

int key_file_parse(const uint8_t *p, size_t len, struct key_file *kf,
		   struct err *e)
{
	int rc;

	key_file_wipe(kf);
	if (!p || (len != KEY_FILE_LEN && len != KEY_FILE_V2_LEN))
		return err_set(e, STOA_EPROTO,
			       "key file has the wrong size (%zu bytes, expected "
			       "%d or %d)", p ? len : 0, KEY_FILE_LEN,
			       KEY_FILE_V2_LEN);
	if (memcmp(p + KF_MAGIC, KEY_FILE_MAGIC, 8) != 0)
		return err_set(e, STOA_EPROTO, "not a stoa key file (bad magic)");
	if (p[KF_VERSION] == KEY_FILE_VERSION && len == KEY_FILE_LEN)
		rc = parse_v1(p, kf, e);
	else if (p[KF_VERSION] == KEY_FILE_VERSION_SEALED &&
		 len == KEY_FILE_V2_LEN)
		rc = parse_v2(p, kf, e);
	else if (p[KF_VERSION] == KEY_FILE_VERSION ||
		 p[KF_VERSION] == KEY_FILE_VERSION_SEALED)
		rc = err_set(e, STOA_EPROTO, "key file version %u has the "
			     "wrong size (%zu bytes)", (unsigned)p[KF_VERSION],
			     len);
	else
		rc = err_set(e, STOA_EPROTO,
			     "key file version %u is not supported (this "
			     "reads versions %d and %d)", (unsigned)p[KF_VERSION],
			     KEY_FILE_VERSION, KEY_FILE_VERSION_SEALED);
	if (rc)
		key_file_wipe(kf);
	return rc;
}

int key_file_unlock(const struct key_file *kf, const char *pass, size_t len,
		    struct key *k, struct err *e)
{
	uint8_t dk[crypto_secretbox_KEYBYTES];
	uint8_t seed[KEY_SEED_LEN];
	int rc = 0;

	key_wipe(k);
	if (!kf->sealed) {
		if (!key_has_secret(&kf->key))
			return err_set(e, STOA_EINVAL, "no key was read");
		*k = kf->key;
		return 0;
	}
	if (!pass || len == 0)
		return err_set(e, STOA_EPERM, "the key is protected by a "
			       "passphrase and none was given");
	if (len > KEY_PASSPHRASE_MAX)
		return err_set(e, STOA_EINVAL, "passphrase is too long (at "
			       "most %d bytes)", KEY_PASSPHRASE_MAX);
	rc = derive(dk, pass, len, kf->salt, kf->opslimit, kf->memlimit, e);
	if (rc)
		goto out;
	if (crypto_secretbox_open_easy(seed, kf->box, KEY_BOX_LEN, kf->nonce,
				       dk) != 0) {
		rc = err_set(e, STOA_EPERM, "wrong passphrase");
		goto out;
	}
	key_from_seed(k, seed);
	if (!bytes_equal(k->pk, kf->key.pk, KEY_PUBLIC_LEN)) {
		key_wipe(k);
		rc = err_set(e, STOA_ECRYPTO,
			     "key file is damaged: public key does not match");
	}
out:
	sodium_memzero(dk, sizeof(dk));
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int key_has_secret(const struct key *k)
{
	/* libsodium's secret key ends with the public key; a sealed key's
	 * is all zero until it is unlocked */
	return bytes_equal(k->sk + KEY_SEED_LEN, k->pk, KEY_PUBLIC_LEN) &&
	       !sodium_is_zero(k->pk, KEY_PUBLIC_LEN);
}

int key_file_decode(const uint8_t *p, size_t len, struct key *k, struct err *e)
{
	struct key_file kf;
	int rc;

	key_wipe(k);
	rc = key_file_parse(p, len, &kf, e);
	if (rc == 0 && kf.sealed)
		rc = err_set(e, STOA_EPERM, "key file is protected by a passphrase");
	else if (rc == 0)
		*k = kf.key;
	key_file_wipe(&kf);
	return rc;
}

int key_file_store(const char *path, const struct key *k, const char *pass,
		   size_t len, unsigned flags, struct err *e)
{
	uint8_t raw[KEY_FILE_MAX];
	size_t n = KEY_FILE_LEN;
	int rc = 0;

	if (!key_has_secret(k))
		return err_set(e, STOA_EINVAL, "the key is locked: cannot write it");
	if (pass) {
		n = KEY_FILE_V2_LEN;
		rc = key_file_seal(raw, k, pass, len, KEY_PWHASH_OPS,
				   KEY_PWHASH_MEM, e);
	} else {
		key_file_encode(raw, k);
	}
	if (rc == 0 && (flags & KEY_FILE_REPLACE))
		rc = secret_file_replace(path, raw, n, e);
	else if (rc == 0)
		rc = secret_file_write(path, raw, n, e);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int key_file_write(const char *path, const struct key *k, struct err *e)
{
	return key_file_store(path, k, NULL, 0, 0, e);
}

int key_file_load(const char *path, struct key_file *kf, struct err *e)
{
	uint8_t raw[KEY_FILE_MAX];
	struct err inner;
	size_t len = 0;
	int rc;

	key_file_wipe(kf);
	rc = secret_file_read(path, raw, sizeof(raw), &len, e);
	if (rc)
		return rc;
	/* Decode into a local err so the message can name the file. */
	err_clear(&inner);
	rc = key_file_parse(raw, len, kf, &inner);
	sodium_memzero(raw, sizeof(raw));
	if (rc)
		return err_set(e, rc, "'%s': %s", path, inner.msg);
	return 0;
}

int key_file_read(const char *path, struct key *k, struct err *e)
{
	struct key_file kf;
	int rc;

	key_wipe(k);
	rc = key_file_load(path, &kf, e);
	if (rc == 0 && kf.sealed)
		rc = err_set(e, STOA_EPERM, "'%s' is protected by a passphrase",
			     path);
	else if (rc == 0)
		*k = kf.key;
	key_file_wipe(&kf);
	return rc;
}
