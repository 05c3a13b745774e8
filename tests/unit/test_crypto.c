/*
 * Unit tests for crypto/: known-answer vectors (BLAKE2b-256, RFC 8032
 * Ed25519, the libsodium KDF, a golden invite code, RFC 4648 base64), a
 * forged signature, hex, the secret/key/community files in a private
 * mkdtemp directory (community file v3 with past epochs, and moving a
 * community to a new epoch), and every decoder fed truncated, corrupted and
 * random input, which must be refused with an error and never crash
 * (the same run under ASan+UBSan is the poor man's fuzzer until the
 * libFuzzer harnesses exist). The test never touches anything outside its
 * own temp directory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "b64.h"
#include "buf.h"
#include "community.h"
#include "err.h"
#include "key.h"
#include "member_file.h"
#include "test.h"

static char tmpdir[256];

static void path_in_tmp(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static void from_hex(uint8_t *out, size_t n, const char *hex)
{
	int rc = hex_decode(out, n, hex);

	CHECK_EQ_INT(rc, 0);
}

static int file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A file with arbitrary bytes and mode, for feeding the readers. */
static void put_file(const char *path, const void *p, size_t n, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ_INT(fwrite(p, 1, n, f), n);
	CHECK_EQ_INT(fclose(f), 0);
	CHECK_EQ_INT(chmod(path, mode), 0);
}

/* A small deterministic generator, so a failure replays. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void test_hash(void)
{
	uint8_t h[HASH_LEN], h2[HASH_LEN];
	char hex[2 * HASH_LEN + 1];

	hash_blake2b(h, "", 0);
	hex_encode(hex, h, sizeof(h));
	CHECK_STR(hex, "0e5751c026e543b2e8ab2eb06099daa1"
		       "d1e5df47778f7787faab45cdf12fe3a8");
	hash_blake2b(h, "abc", 3);
	hex_encode(hex, h, sizeof(h));
	CHECK_STR(hex, "bddd813c634239723171ef3fee98579b"
		       "94964e3bb1cb3e427262c8c068d52319");
	/* Two-part hashing is hashing the concatenation. */
	hash_blake2b2(h2, "a", 1, "bc", 2);
	CHECK(bytes_equal(h, h2, HASH_LEN));
	hash_blake2b2(h2, "", 0, "abc", 3);
	CHECK(bytes_equal(h, h2, HASH_LEN));
	hash_blake2b2(h2, "ab", 2, "d", 1);
	CHECK(!bytes_equal(h, h2, HASH_LEN));
}

/* RFC 8032 section 7.1, TEST 1. */
#define RFC_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC_PK "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC_SIG "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" \
		"5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static void test_sign(void)
{
	uint8_t seed[KEY_SEED_LEN], pk[KEY_PUBLIC_LEN], want[KEY_SIG_LEN];
	uint8_t sig[KEY_SIG_LEN], bad[KEY_SIG_LEN];
	struct key k, other;
	size_t i;
	int rejected;

	from_hex(seed, sizeof(seed), RFC_SEED);
	from_hex(pk, sizeof(pk), RFC_PK);
	from_hex(want, sizeof(want), RFC_SIG);

	key_from_seed(&k, seed);
	CHECK(bytes_equal(k.pk, pk, sizeof(pk)));
	CHECK(bytes_equal(k.sk, seed, sizeof(seed))); /* seed || pk */
	key_sign(&k, "", 0, sig);
	CHECK(bytes_equal(sig, want, sizeof(sig)));
	CHECK_EQ_INT(key_verify(pk, "", 0, want), 0);
	CHECK_EQ_INT(key_verify(pk, NULL, 0, want), 0);

	/* Forgeries: one flipped bit anywhere in the signature is refused. */
	rejected = 0;
	for (i = 0; i < KEY_SIG_LEN * 8; i++) {
		memcpy(bad, want, sizeof(bad));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		rejected += key_verify(pk, "", 0, bad) == STOA_ECRYPTO;
	}
	CHECK_EQ_INT(rejected, KEY_SIG_LEN * 8);
	memcpy(bad, want, sizeof(bad));
	bad[0] ^= 0x01;
	CHECK_EQ_INT(key_verify(pk, "", 0, bad), STOA_ECRYPTO);
	/* Right signature, wrong message or wrong signer. */
	CHECK_EQ_INT(key_verify(pk, "x", 1, want), STOA_ECRYPTO);
	key_generate(&other);
	CHECK(!bytes_equal(other.pk, pk, sizeof(pk)));
	CHECK_EQ_INT(key_verify(other.pk, "", 0, want), STOA_ECRYPTO);

	/* A fresh key signs and verifies a non-empty message. */
	key_sign(&other, "hello", 5, sig);
	CHECK_EQ_INT(key_verify(other.pk, "hello", 5, sig), 0);
	CHECK_EQ_INT(key_verify(other.pk, "hellO", 5, sig), STOA_ECRYPTO);
	CHECK_EQ_INT(key_verify(k.pk, "hello", 5, sig), STOA_ECRYPTO);

	key_wipe(&k);
	for (i = 0; i < sizeof(k.sk); i++)
		CHECK(k.sk[i] == 0);
	key_wipe(&other);
	key_wipe(NULL);
}

static void test_bytes(void)
{
	uint8_t a[32], b[32];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	CHECK(bytes_equal(a, b, sizeof(a)));
	b[31] ^= 0x80;
	CHECK(!bytes_equal(a, b, sizeof(a)));
	bytes_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK(bytes_equal(a, b, sizeof(a)));
	random_bytes(a, sizeof(a));
	random_bytes(b, sizeof(b));
	CHECK(!bytes_equal(a, b, sizeof(a)));
}

static void test_hex(void)
{
	uint8_t in[5] = { 0x00, 0x01, 0xab, 0xcd, 0xff };
	uint8_t out[5];
	char hex[11];

	hex_encode(hex, in, sizeof(in));
	CHECK_STR(hex, "0001abcdff");
	CHECK_EQ_INT(hex_decode(out, sizeof(out), hex), 0);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001ABCDFF"), 0);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001aBcDfF"), 0);
	CHECK(memcmp(in, out, sizeof(in)) == 0);

	hex_encode(hex, in, 0);
	CHECK_STR(hex, "");
	CHECK_EQ_INT(hex_decode(out, 0, ""), 0);

	/* Exactly 2n characters of hex, nothing else. */
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001abcdf"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001abcdff0"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001abcdff00"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001abcdfg"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "00:1abcdff"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "00 1abcdff"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), " 0001abcdf"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), "0001abcdf\n"), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), ""), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, sizeof(out), NULL), STOA_EINVAL);
	CHECK_EQ_INT(hex_decode(out, 0, "00"), STOA_EINVAL);

	CHECK(hex_valid("0123456789abcdefABCDEF"));
	CHECK(hex_valid("f"));
	CHECK(!hex_valid(""));
	CHECK(!hex_valid(NULL));
	CHECK(!hex_valid("abg"));
	CHECK(!hex_valid("ab "));
	CHECK(!hex_valid("-1"));
}

/* RFC 4648 section 10 vectors, in the URL-safe alphabet without
 * padding (what a report's sealed boxes are written in), and the forms
 * the decoder must refuse. */
static void test_b64(void)
{
	static const struct {
		const char *bin, *b64;
	} kat[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = {
		"Zg==", "Zm8=", "Zg=", "Zm 9v", "Zm9v\n", "+_8", "-/8", "Z",
		"Zh", "Zm9", "Zm9vY",
	};
	const uint8_t urlsafe[2] = { 0xfb, 0xff };
	uint8_t out[16];
	char text[16];
	size_t i, n;

	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		size_t len = strlen(kat[i].bin);

		CHECK_EQ_INT((int)B64_LEN(len), (int)strlen(kat[i].b64));
		CHECK_EQ_INT(b64_encode(text, sizeof(text),
					(const uint8_t *)kat[i].bin, len), 0);
		CHECK_STR(text, kat[i].b64);
		CHECK_EQ_INT(b64_decode(out, sizeof(out), &n, kat[i].b64,
					strlen(kat[i].b64)), 0);
		CHECK_EQ_INT((int)n, (int)len);
		CHECK(memcmp(out, kat[i].bin, len) == 0);
	}
	CHECK_EQ_INT(b64_encode(text, sizeof(text), urlsafe, 2), 0);
	CHECK_STR(text, "-_8");
	CHECK_EQ_INT(b64_decode(out, sizeof(out), &n, "-_8", 3), 0);
	CHECK(n == 2 && out[0] == 0xfb && out[1] == 0xff);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		CHECK_EQ_INT(b64_decode(out, sizeof(out), &n, bad[i],
					strlen(bad[i])), STOA_EINVAL);
		CHECK_EQ_INT((int)n, 0);
	}
	/* bounds: no room for the output, or for the NUL */
	CHECK_EQ_INT(b64_decode(out, 5, &n, "Zm9vYmFy", 8), STOA_EINVAL);
	CHECK_EQ_INT(b64_decode(out, 6, &n, "Zm9vYmFy", 8), 0);
	CHECK_EQ_INT(b64_encode(text, 8, (const uint8_t *)"foobar", 6),
		     STOA_EINVAL);
	CHECK_EQ_INT(b64_encode(text, 9, (const uint8_t *)"foobar", 6), 0);
}

static void test_key_file(void)
{
	char path[512], tmp[600], link_path[512], big[512];
	uint8_t seed[KEY_SEED_LEN], raw[KEY_FILE_LEN + 1], again[KEY_FILE_LEN];
	struct key k, r, other;
	struct err e;
	struct stat st;
	size_t len;
	FILE *f;

	from_hex(seed, sizeof(seed), RFC_SEED);
	key_from_seed(&k, seed);
	path_in_tmp(path, sizeof(path), "key");

	err_clear(&e);
	CHECK_EQ_INT(key_file_write(path, &k, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(st.st_size, KEY_FILE_LEN);
	/* No temp file left behind. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	CHECK(!file_exists(tmp));

	/* Golden bytes: magic, version 1, plain, seed, public key. */
	len = 0;
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &len, NULL), 0);
	CHECK_EQ_INT(len, KEY_FILE_LEN);
	CHECK(memcmp(raw, "stoa-key\x01\x00", 10) == 0);
	CHECK(memcmp(raw + 10, seed, 32) == 0);
	CHECK(memcmp(raw + 42, k.pk, 32) == 0);

	err_clear(&e);
	CHECK_EQ_INT(key_file_read(path, &r, &e), 0);
	CHECK(bytes_equal(&r, &k, sizeof(k)));

	/* An existing key is never replaced. */
	key_generate(&other);
	err_clear(&e);
	CHECK_EQ_INT(key_file_write(path, &other, &e), STOA_EEXIST);
	CHECK(strstr(e.msg, "already exists") != NULL);
	CHECK(!file_exists(tmp));
	CHECK_EQ_INT(key_file_read(path, &r, NULL), 0);
	CHECK(bytes_equal(&r, &k, sizeof(k)));

	/* Group/world-readable key files are refused, with the fix. */
	CHECK_EQ_INT(chmod(path, 0644), 0);
	err_clear(&e);
	CHECK_EQ_INT(key_file_read(path, &r, &e), STOA_EPERM);
	CHECK(strstr(e.msg, "mode 644") != NULL);
	CHECK(strstr(e.msg, "chmod 600") != NULL);
	CHECK_EQ_INT(chmod(path, 0640), 0);
	CHECK_EQ_INT(key_file_read(path, &r, NULL), STOA_EPERM);
	CHECK_EQ_INT(chmod(path, 0601), 0);
	CHECK_EQ_INT(key_file_read(path, &r, NULL), STOA_EPERM);
	CHECK_EQ_INT(chmod(path, 0400), 0);
	CHECK_EQ_INT(key_file_read(path, &r, NULL), 0);
	CHECK_EQ_INT(chmod(path, 0600), 0);

	/* Missing file, symlink, directory, oversized, undersized. */
	path_in_tmp(big, sizeof(big), "nope");
	err_clear(&e);
	CHECK_EQ_INT(key_file_read(big, &r, &e), STOA_ENOTFOUND);
	CHECK(strstr(e.msg, "nope") != NULL);
	path_in_tmp(link_path, sizeof(link_path), "key-link");
	CHECK_EQ_INT(symlink(path, link_path), 0);
	CHECK_EQ_INT(key_file_read(link_path, &r, NULL), STOA_EPERM);
	CHECK_EQ_INT(key_file_read(tmpdir, &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(key_file_write(link_path, &other, NULL), STOA_EEXIST);
	unlink(link_path);

	path_in_tmp(big, sizeof(big), "big");
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &len, NULL), 0);
	raw[KEY_FILE_LEN] = 0;
	put_file(big, raw, KEY_FILE_LEN + 1, 0600);
	err_clear(&e);
	CHECK_EQ_INT(key_file_read(big, &r, &e), STOA_EPROTO);
	put_file(big, raw, KEY_FILE_LEN - 1, 0600);
	CHECK_EQ_INT(key_file_read(big, &r, NULL), STOA_EPROTO);
	put_file(big, "", 0, 0600);
	CHECK_EQ_INT(key_file_read(big, &r, NULL), STOA_EPROTO);
	/* A damaged key names its file. */
	raw[50] ^= 1;
	put_file(big, raw, KEY_FILE_LEN, 0600);
	err_clear(&e);
	CHECK_EQ_INT(key_file_read(big, &r, &e), STOA_ECRYPTO);
	CHECK(strstr(e.msg, big) != NULL);
	CHECK(strstr(e.msg, "public key does not match") != NULL);
	unlink(big);

	/* Writing into a missing directory fails cleanly. */
	path_in_tmp(big, sizeof(big), "no-such-dir/key");
	CHECK_EQ_INT(key_file_write(big, &k, NULL), STOA_ENOTFOUND);
	CHECK_EQ_INT(secret_file_write("", raw, 1, NULL), STOA_EINVAL);

	/* secret_file_read: size bound and exact reads. */
	path_in_tmp(big, sizeof(big), "secret");
	CHECK_EQ_INT(secret_file_write(big, (const uint8_t *)"abc", 3, NULL), 0);
	CHECK_EQ_INT(secret_file_read(big, again, 3, &len, NULL), 0);
	CHECK_EQ_INT(len, 3);
	CHECK(memcmp(again, "abc", 3) == 0);
	CHECK_EQ_INT(secret_file_read(big, again, 2, &len, NULL), STOA_EPROTO);
	CHECK_EQ_INT(len, 0);
	unlink(big);
	path_in_tmp(big, sizeof(big), "empty");
	CHECK_EQ_INT(secret_file_write(big, NULL, 0, NULL), 0);
	CHECK_EQ_INT(secret_file_read(big, again, 3, &len, NULL), 0);
	CHECK_EQ_INT(len, 0);
	unlink(big);

	/* The key file really is the first thing on disk, not a temp. */
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	unlink(path);
	key_wipe(&k);
	key_wipe(&r);
	key_wipe(&other);
	bytes_wipe(raw, sizeof(raw));
}

static void test_key_decode(void)
{
	uint8_t seed[KEY_SEED_LEN], raw[KEY_FILE_LEN + 8], bad[KEY_FILE_LEN];
	uint8_t zero[sizeof(struct key)];
	struct key k, r;
	struct err e;
	size_t len;
	int refused, i;

	from_hex(seed, sizeof(seed), RFC_SEED);
	key_from_seed(&k, seed);
	memcpy(raw, "stoa-key\x01\x00", 10);
	memcpy(raw + 10, seed, 32);
	memcpy(raw + 42, k.pk, 32);
	memset(raw + KEY_FILE_LEN, 0, 8);
	memset(zero, 0, sizeof(zero));

	CHECK_EQ_INT(key_file_decode(raw, KEY_FILE_LEN, &r, NULL), 0);
	CHECK(bytes_equal(&r, &k, sizeof(k)));

	/* Every truncation, and a few extensions, are refused. */
	refused = 0;
	for (len = 0; len < KEY_FILE_LEN; len++)
		refused += key_file_decode(raw, len, &r, NULL) == STOA_EPROTO;
	CHECK_EQ_INT(refused, KEY_FILE_LEN);
	CHECK(bytes_equal(&r, zero, sizeof(r))); /* wiped on failure */
	for (len = KEY_FILE_LEN + 1; len <= sizeof(raw); len++)
		CHECK_EQ_INT(key_file_decode(raw, len, &r, NULL), STOA_EPROTO);
	CHECK_EQ_INT(key_file_decode(NULL, 0, &r, NULL), STOA_EPROTO);

	/* Every flipped magic bit. */
	refused = 0;
	for (i = 0; i < 64; i++) {
		memcpy(bad, raw, sizeof(bad));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		refused += key_file_decode(bad, sizeof(bad), &r, NULL) ==
			   STOA_EPROTO;
	}
	CHECK_EQ_INT(refused, 64);
	memcpy(bad, raw, sizeof(bad));
	bad[0] = 'S';
	err_clear(&e);
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "not a stoa key file") != NULL);

	/* Version and protection. */
	memcpy(bad, raw, sizeof(bad));
	bad[8] = 2;
	err_clear(&e);
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "version 2") != NULL);
	bad[8] = 0;
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, NULL), STOA_EPROTO);
	memcpy(bad, raw, sizeof(bad));
	bad[9] = 1; /* v1 never carries a passphrase: that is v2 */
	err_clear(&e);
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, &e), STOA_EPROTO);
	CHECK_STR(e.msg, "key file has an unknown protection type 1");
	bad[9] = 2;
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, NULL), STOA_EPROTO);
	bad[9] = 0xff;
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, NULL), STOA_EPROTO);

	/* A public key that does not belong to the seed, or a bad seed. */
	memcpy(bad, raw, sizeof(bad));
	bad[KEY_FILE_LEN - 1] ^= 0x01;
	err_clear(&e);
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, &e), STOA_ECRYPTO);
	CHECK_STR(e.msg, "key file is damaged: public key does not match");
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	memcpy(bad, raw, sizeof(bad));
	bad[10] ^= 0x01;
	CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, NULL), STOA_ECRYPTO);

	/* Random bytes with the right header still fail the key check. */
	for (i = 0; i < 200; i++) {
		size_t j;

		memcpy(bad, raw, 10);
		for (j = 10; j < sizeof(bad); j++)
			bad[j] = (uint8_t)rng();
		CHECK_EQ_INT(key_file_decode(bad, sizeof(bad), &r, NULL),
			     STOA_ECRYPTO);
	}
	key_wipe(&k);
}

/* Recomputes a v2 file's check after a deliberate change. */
static void fix_check(uint8_t raw[KEY_FILE_V2_LEN])
{
	uint8_t h[HASH_LEN];

	hash_blake2b(h, raw, KEY_FILE_V2_LEN - 8);
	memcpy(raw + KEY_FILE_V2_LEN - 8, h, 8);
}

/* Key file v2: a key sealed under a passphrase (Argon2id + secretbox). */
static void test_key_sealed(void)
{
	static const char pass[] = "correct horse battery staple";
	uint8_t seed[KEY_SEED_LEN], raw[KEY_FILE_MAX + 1], bad[KEY_FILE_V2_LEN];
	uint8_t zero[sizeof(struct key)];
	char path[512], plain[512];
	struct key_file kf;
	struct key k, r;
	struct stat st;
	struct err e;
	size_t len = 0;
	int refused, i;

	from_hex(seed, sizeof(seed), RFC_SEED);
	key_from_seed(&k, seed);
	memset(zero, 0, sizeof(zero));
	path_in_tmp(path, sizeof(path), "key-sealed");

	/* Written 0600, 154 bytes, the layout of key.h. */
	err_clear(&e);
	CHECK_EQ_INT(key_file_store(path, &k, pass, strlen(pass), 0, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &len, NULL), 0);
	CHECK_EQ_INT(len, KEY_FILE_V2_LEN);
	CHECK(memcmp(raw, "stoa-key\x02\x01", 10) == 0);
	CHECK(memcmp(raw + 10, k.pk, 32) == 0);
	CHECK_EQ_INT(be_get64(raw + 58), KEY_PWHASH_OPS);
	CHECK_EQ_INT(be_get64(raw + 66), KEY_PWHASH_MEM);
	/* the seed is nowhere in the file */
	for (i = 0; i + KEY_SEED_LEN <= KEY_FILE_V2_LEN; i++)
		CHECK(memcmp(raw + i, seed, KEY_SEED_LEN) != 0);

	/* Read without the passphrase: the public half only. */
	err_clear(&e);
	CHECK_EQ_INT(key_file_load(path, &kf, &e), 0);
	CHECK_EQ_INT(kf.sealed, 1);
	CHECK(memcmp(kf.key.pk, k.pk, KEY_PUBLIC_LEN) == 0);
	CHECK(!key_has_secret(&kf.key));
	CHECK(key_has_secret(&k));
	err_clear(&e);
	CHECK_EQ_INT(key_file_read(path, &r, &e), STOA_EPERM);
	CHECK(strstr(e.msg, "protected by a passphrase") != NULL);

	/* The right passphrase gives the key back. */
	err_clear(&e);
	CHECK_EQ_INT(key_file_unlock(&kf, pass, strlen(pass), &r, &e), 0);
	CHECK(bytes_equal(&r, &k, sizeof(k)));
	/* A wrong one, an empty one, none: a clear error, no key. */
	err_clear(&e);
	CHECK_EQ_INT(key_file_unlock(&kf, "correct horse battery stapl",
				     strlen(pass) - 1, &r, &e), STOA_EPERM);
	CHECK_STR(e.msg, "wrong passphrase");
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	err_clear(&e);
	CHECK_EQ_INT(key_file_unlock(&kf, NULL, 0, &r, &e), STOA_EPERM);
	CHECK(strstr(e.msg, "none was given") != NULL);
	CHECK_EQ_INT(key_file_unlock(&kf, pass, KEY_PASSPHRASE_MAX + 1, &r,
				     NULL), STOA_EINVAL);
	key_file_wipe(&kf);

	/* Every flipped bit anywhere is caught before any key derivation. */
	refused = 0;
	for (i = 0; i < KEY_FILE_V2_LEN * 8; i++) {
		memcpy(bad, raw, sizeof(bad));
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		refused += key_file_parse(bad, sizeof(bad), &kf, NULL) < 0;
	}
	CHECK_EQ_INT(refused, KEY_FILE_V2_LEN * 8);
	memcpy(bad, raw, sizeof(bad));
	bad[100] ^= 1;
	err_clear(&e);
	CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, &e), STOA_ECRYPTO);
	CHECK_STR(e.msg, "key file is damaged (its check does not match)");
	CHECK_EQ_INT(kf.sealed, 0);
	CHECK(!key_has_secret(&kf.key));

	/* Changed and re-checked (a deliberate forgery): the box, the salt
	 * or the nonce fail as a wrong passphrase, a public key that is not
	 * the sealed seed's is caught after unsealing. */
	{
		static const int offs[] = { 42, 74, 98, 145 };
		size_t j;

		for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
			memcpy(bad, raw, sizeof(bad));
			bad[offs[j]] ^= 0x20;
			fix_check(bad);
			CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, NULL), 0);
			CHECK_EQ_INT(key_file_unlock(&kf, pass, strlen(pass), &r,
						     NULL), STOA_EPERM);
			key_file_wipe(&kf);
		}
	}
	memcpy(bad, raw, sizeof(bad));
	bad[10] ^= 0x01;
	fix_check(bad);
	CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, NULL), 0);
	err_clear(&e);
	CHECK_EQ_INT(key_file_unlock(&kf, pass, strlen(pass), &r, &e),
		     STOA_ECRYPTO);
	CHECK_STR(e.msg, "key file is damaged: public key does not match");
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	key_file_wipe(&kf);

	/* KDF parameters outside the named bounds, an unknown KDF. */
	{
		static const uint64_t ops[] = { 0, KEY_PWHASH_OPS_MAX + 1,
						UINT64_MAX };
		static const uint64_t mem[] = { 0, KEY_PWHASH_MEM_MIN - 1,
						(uint64_t)KEY_PWHASH_MEM_MAX + 1,
						UINT64_MAX };
		size_t j;

		for (j = 0; j < sizeof(ops) / sizeof(ops[0]); j++) {
			memcpy(bad, raw, sizeof(bad));
			be_put64(bad + 58, ops[j]);
			fix_check(bad);
			err_clear(&e);
			CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, &e),
				     STOA_EPROTO);
			CHECK(strstr(e.msg, "opslimit") != NULL);
		}
		for (j = 0; j < sizeof(mem) / sizeof(mem[0]); j++) {
			memcpy(bad, raw, sizeof(bad));
			be_put64(bad + 66, mem[j]);
			fix_check(bad);
			err_clear(&e);
			CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, &e),
				     STOA_EPROTO);
			CHECK(strstr(e.msg, "memlimit") != NULL);
		}
		memcpy(bad, raw, sizeof(bad));
		bad[9] = 2;
		fix_check(bad);
		CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, NULL),
			     STOA_EPROTO);
	}
	/* Every other size is refused; a v1 size with version 2 too. */
	for (len = 0; len <= KEY_FILE_MAX; len++)
		if (len != KEY_FILE_LEN && len != KEY_FILE_V2_LEN)
			CHECK_EQ_INT(key_file_parse(raw, len, &kf, NULL),
				     STOA_EPROTO);
	CHECK_EQ_INT(key_file_parse(raw, KEY_FILE_LEN, &kf, NULL), STOA_EPROTO);

	/* Group/world access refused for v2 as for v1. */
	CHECK_EQ_INT(chmod(path, 0640), 0);
	err_clear(&e);
	CHECK_EQ_INT(key_file_load(path, &kf, &e), STOA_EPERM);
	CHECK(strstr(e.msg, "chmod 600") != NULL);
	CHECK_EQ_INT(chmod(path, 0600), 0);

	/* Replacing: an existing file only with KEY_FILE_REPLACE; v2 back
	 * to v1 (passphrase removed) and v1 still read as before. */
	CHECK_EQ_INT(key_file_store(path, &k, NULL, 0, 0, NULL), STOA_EEXIST);
	CHECK_EQ_INT(key_file_store(path, &k, NULL, 0, KEY_FILE_REPLACE, NULL), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_size, KEY_FILE_LEN);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(key_file_load(path, &kf, NULL), 0);
	CHECK_EQ_INT(kf.sealed, 0);
	CHECK_EQ_INT(key_file_unlock(&kf, NULL, 0, &r, NULL), 0);
	CHECK(bytes_equal(&r, &k, sizeof(k)));
	key_file_wipe(&kf);
	/* A locked key is never written (it would be all zeros). */
	memset(&r, 0, sizeof(r));
	memcpy(r.pk, k.pk, KEY_PUBLIC_LEN);
	path_in_tmp(plain, sizeof(plain), "key-locked");
	CHECK_EQ_INT(key_file_store(plain, &r, pass, strlen(pass), 0, NULL),
		     STOA_EINVAL);
	CHECK(!file_exists(plain));
	/* Other limits within the bounds are read back and used. */
	CHECK_EQ_INT(key_file_seal(bad, &k, pass, strlen(pass),
				   KEY_PWHASH_OPS_MIN, KEY_PWHASH_MEM_MIN, NULL), 0);
	CHECK_EQ_INT(key_file_parse(bad, sizeof(bad), &kf, NULL), 0);
	CHECK_EQ_INT(kf.opslimit, KEY_PWHASH_OPS_MIN);
	CHECK_EQ_INT(kf.memlimit, KEY_PWHASH_MEM_MIN);
	CHECK_EQ_INT(key_file_unlock(&kf, pass, strlen(pass), &r, NULL), 0);
	CHECK(bytes_equal(&r, &k, sizeof(k)));
	key_file_wipe(&kf);
	CHECK_EQ_INT(key_file_seal(bad, &k, pass, strlen(pass), 0,
				   KEY_PWHASH_MEM_MIN, NULL), STOA_EINVAL);
	/* Bounds on a new passphrase. */
	CHECK_EQ_INT(key_file_store(plain, &k, pass, 0, 0, NULL), STOA_EINVAL);
	CHECK_EQ_INT(key_file_store(plain, &k, pass, KEY_PASSPHRASE_MAX + 1, 0,
				    NULL), STOA_EINVAL);
	CHECK(!file_exists(plain));

	unlink(path);
	key_wipe(&k);
	key_wipe(&r);
}

static void test_name_check(void)
{
	char name[COMMUNITY_NAME_MAX + 2];
	struct err e;
	int i;

	err_clear(&e);
	CHECK_EQ_INT(community_name_check("", &e), STOA_EINVAL);
	CHECK_STR(e.msg, "community name is empty");
	CHECK_EQ_INT(community_name_check(NULL, NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("a", NULL), 0);
	CHECK_EQ_INT(community_name_check("math club", NULL), 0);

	memset(name, 'x', sizeof(name));
	name[COMMUNITY_NAME_MAX] = '\0';
	CHECK_EQ_INT(community_name_check(name, NULL), 0);
	name[COMMUNITY_NAME_MAX] = 'x';
	name[COMMUNITY_NAME_MAX + 1] = '\0';
	err_clear(&e);
	CHECK_EQ_INT(community_name_check(name, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "too long") != NULL);

	/* Multi-byte names count bytes: 32 x U+00E9 is 64 bytes. */
	for (i = 0; i < 32; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[64] = '\0';
	CHECK_EQ_INT(community_name_check(name, NULL), 0);
	CHECK_EQ_INT(community_name_check("Lernwerkstatt Z\xc3\xbcrich "
					  "\xe2\x98\x95 \xf0\x9d\x84\x9e", NULL),
		     0);
	CHECK_EQ_INT(community_name_check("\xe5\xad\xa6\xe7\xbf\x92", NULL), 0);
	CHECK_EQ_INT(community_name_check("\xf4\x8f\xbf\xbf", NULL), 0);

	/* Control characters: C0, DEL, C1. */
	err_clear(&e);
	CHECK_EQ_INT(community_name_check("a\x01" "b", &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK_EQ_INT(community_name_check("a\tb", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("a\nb", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\x1b[31mred", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("a\x7f", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("a\xc2\x85", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xc2\x9b" "31m", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xc2\xa0", NULL), 0); /* NBSP */

	/* Invalid UTF-8. */
	err_clear(&e);
	CHECK_EQ_INT(community_name_check("caf\xe9", &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "UTF-8") != NULL);
	CHECK_EQ_INT(community_name_check("\xff", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\x80", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xc0\xaf", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xc1\xbf", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xe0\x80\xaf", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xf0\x80\x80\xaf", NULL),
		     STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xed\xa0\x80", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xed\xbf\xbf", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xf4\x90\x80\x80", NULL),
		     STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xf8\x88\x80\x80\x80", NULL),
		     STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("ab\xe2\x82", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xe2\x82x", NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_name_check("\xc3", NULL), STOA_EINVAL);
}

static void test_community_file(void)
{
	char path[512];
	uint8_t raw[COMMUNITY_FILE_MAX + 4], bad[COMMUNITY_FILE_MAX + 4];
	uint8_t zero[sizeof(struct community)];
	struct community c, r;
	struct stat st;
	struct err e;
	size_t len, flen, i;
	int refused;

	memset(zero, 0, sizeof(zero));
	err_clear(&e);
	CHECK_EQ_INT(community_create(&c, "math club", &e), 0);
	CHECK_STR(c.name, "math club");
	CHECK(!bytes_equal(c.secret, zero, COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(community_create(&r, "math club", NULL), 0);
	CHECK(!bytes_equal(c.secret, r.secret, COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(community_create(&r, "", NULL), STOA_EINVAL);
	CHECK(bytes_equal(&r, zero, sizeof(r)));

	path_in_tmp(path, sizeof(path), "community");
	CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK_STR(r.name, c.name);
	CHECK(bytes_equal(r.secret, c.secret, COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(community_file_write(path, &r, NULL), STOA_EEXIST);
	CHECK_EQ_INT(chmod(path, 0604), 0);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), STOA_EPERM);
	CHECK_EQ_INT(chmod(path, 0600), 0);

	/* Golden layout. */
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &flen, NULL), 0);
	CHECK_EQ_INT(flen, 10 + 9 + COMMUNITY_SECRET_LEN);
	CHECK(memcmp(raw, "stoa-com\x01\x09math club", 19) == 0);
	CHECK(memcmp(raw + 19, c.secret, COMMUNITY_SECRET_LEN) == 0);
	unlink(path);

	/* Decode: every truncation, extension, bad field. */
	CHECK_EQ_INT(community_file_decode(raw, flen, &r, NULL), 0);
	CHECK_STR(r.name, "math club");
	refused = 0;
	for (len = 0; len < flen; len++)
		refused += community_file_decode(raw, len, &r, NULL) ==
			   STOA_EPROTO;
	CHECK_EQ_INT(refused, flen);
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	raw[flen] = 0;
	CHECK_EQ_INT(community_file_decode(raw, flen + 1, &r, NULL),
		     STOA_EPROTO);
	CHECK_EQ_INT(community_file_decode(NULL, 0, &r, NULL), STOA_EPROTO);
	memcpy(bad, raw, flen);
	bad[3] = 'X';
	err_clear(&e);
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "not a stoa community file") != NULL);
	memcpy(bad, raw, flen);
	bad[8] = 2;
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL), STOA_EPROTO);
	for (i = 0; i < 256; i++) {
		memcpy(bad, raw, flen);
		bad[9] = (uint8_t)i;
		CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL),
			     i == 9 ? 0 : STOA_EPROTO);
	}
	memcpy(bad, raw, flen);
	bad[12] = 0x01; /* control character in the name */
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL), STOA_EPROTO);
	bad[12] = 0x00; /* NUL inside the name */
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL), STOA_EPROTO);
	bad[12] = 0xff;
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL), STOA_EPROTO);

	/* An invalid name in memory is never written. */
	memcpy(&r, &c, sizeof(r));
	r.name[0] = '\x1b';
	CHECK_EQ_INT(community_file_write(path, &r, NULL), STOA_EINVAL);
	CHECK(!file_exists(path));

	community_wipe(&c);
	community_wipe(&r);
	CHECK(bytes_equal(&c, zero, sizeof(c)));
	community_wipe(NULL);
}

/* A founded community "math club" at epoch 3 with npast past epochs
 * (2, 1, 0, then 7, 8, ...: the order is the list's, not the numbers'),
 * each secret filled with a byte of its own. */
static void founded(struct community *c, size_t npast)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	strcpy(c->name, "math club");
	c->founded = 1;
	memset(c->founder, 0xf0, COMMUNITY_FOUNDER_LEN);
	c->epoch = 3;
	memset(c->secret, 0x33, COMMUNITY_SECRET_LEN);
	for (i = 0; i < npast; i++) {
		c->past[i].epoch = i < 3 ? (uint32_t)(2 - i) : (uint32_t)(4 + i);
		memset(c->past[i].secret, (int)(0x40 + i), COMMUNITY_SECRET_LEN);
	}
	c->npast = npast;
}

/* a and b hold the same community, past epochs included. */
static int same_community(const struct community *a, const struct community *b)
{
	size_t i;

	if (strcmp(a->name, b->name) || a->founded != b->founded ||
	    !bytes_equal(a->founder, b->founder, COMMUNITY_FOUNDER_LEN) ||
	    a->epoch != b->epoch ||
	    !bytes_equal(a->secret, b->secret, COMMUNITY_SECRET_LEN) ||
	    a->npast != b->npast)
		return 0;
	for (i = 0; i < a->npast; i++)
		if (a->past[i].epoch != b->past[i].epoch ||
		    !bytes_equal(a->past[i].secret, b->past[i].secret,
				 COMMUNITY_SECRET_LEN))
			return 0;
	return 1;
}

/*
 * Community file v3: a founded community that holds earlier epochs'
 * secrets (newest first), written as v2 while it holds none. Round trips
 * through the file with 1 and COMMUNITY_PAST_MAX past epochs, the
 * layout, and damaged v3 files (a count of 0 or 9, truncated, one byte
 * too long, a count that disagrees with the length) refused.
 */
static void test_community_v3(void)
{
	char path[512];
	uint8_t raw[COMMUNITY_FILE_MAX + 64], bad[COMMUNITY_FILE_MAX + 64];
	uint8_t zero[sizeof(struct community)];
	struct community c, r;
	struct stat st;
	struct err e;
	size_t len, flen, npast, off, i;
	int refused;

	memset(zero, 0, sizeof(zero));
	path_in_tmp(path, sizeof(path), "community-v3");

	/* no past epochs: v2, as before */
	founded(&c, 0);
	CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &flen, NULL), 0);
	CHECK_EQ_INT(flen, 10 + 9 + COMMUNITY_FOUNDER_LEN + 4 +
			   COMMUNITY_SECRET_LEN);
	CHECK_EQ_INT(raw[8], 2);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK(same_community(&c, &r));
	CHECK_EQ_INT(r.npast, 0);
	unlink(path);

	for (npast = 1; npast <= COMMUNITY_PAST_MAX;
	     npast += COMMUNITY_PAST_MAX - 1) {
		founded(&c, npast);
		CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
		CHECK_EQ_INT(stat(path, &st), 0);
		CHECK_EQ_INT(st.st_mode & 0777, 0600);
		CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
		CHECK(same_community(&c, &r));
		CHECK_EQ_INT(r.npast, npast);
		/* the layout: v2's fields, the count, then epoch || secret */
		CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &flen,
					      NULL), 0);
		off = 10 + 9 + COMMUNITY_FOUNDER_LEN + 4 + COMMUNITY_SECRET_LEN;
		CHECK_EQ_INT(flen, off + 1 + npast * (4 + COMMUNITY_SECRET_LEN));
		CHECK(memcmp(raw, "stoa-com\x03\x09math club", 19) == 0);
		CHECK(memcmp(raw + 19 + 32, "\0\0\0\x03", 4) == 0);
		CHECK_EQ_INT(raw[off], npast);
		CHECK(memcmp(raw + off + 1, "\0\0\0\x02", 4) == 0);
		CHECK(bytes_equal(raw + off + 5, c.past[0].secret,
				  COMMUNITY_SECRET_LEN));
		CHECK(bytes_equal(raw + flen - COMMUNITY_SECRET_LEN,
				  c.past[npast - 1].secret,
				  COMMUNITY_SECRET_LEN));
		unlink(path);
	}

	/* community_file_replace: over an existing v2 file, then back */
	founded(&c, 0);
	CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
	founded(&c, 2);
	c.epoch = 9;
	CHECK_EQ_INT(community_file_write(path, &c, NULL), STOA_EEXIST);
	CHECK_EQ_INT(community_file_replace(path, &c, NULL), 0);
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK(same_community(&c, &r));
	founded(&c, 0);
	CHECK_EQ_INT(community_file_replace(path, &c, NULL), 0);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK(same_community(&c, &r));
	c.name[0] = '\x1b';
	CHECK_EQ_INT(community_file_replace(path, &c, NULL), STOA_EINVAL);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK_STR(r.name, "math club");
	unlink(path);

	/* the longest file: a 64-byte name and COMMUNITY_PAST_MAX epochs */
	founded(&c, COMMUNITY_PAST_MAX);
	memset(c.name, 'n', COMMUNITY_NAME_MAX);
	c.name[COMMUNITY_NAME_MAX] = '\0';
	CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &flen, NULL), 0);
	CHECK_EQ_INT(flen, COMMUNITY_FILE_MAX);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK(same_community(&c, &r));
	unlink(path);

	/* damaged v3 files, from one with 1 past epoch: refused, r wiped */
	founded(&c, 1);
	CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
	CHECK_EQ_INT(secret_file_read(path, raw, sizeof(raw), &flen, NULL), 0);
	unlink(path);
	off = flen - 1 - (4 + COMMUNITY_SECRET_LEN); /* the count */
	CHECK_EQ_INT(raw[off], 1);
	CHECK_EQ_INT(community_file_decode(raw, flen, &r, NULL), 0);
	CHECK(same_community(&c, &r));
	/* count 0, with and without the entry after it */
	memcpy(bad, raw, flen);
	bad[off] = 0;
	err_clear(&e);
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "damaged") != NULL);
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	CHECK_EQ_INT(community_file_decode(bad, off + 1, &r, NULL), STOA_EPROTO);
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	/* count 9 (one more than COMMUNITY_PAST_MAX), with 1 and 9 entries */
	bad[off] = COMMUNITY_PAST_MAX + 1;
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL), STOA_EPROTO);
	for (i = 1; i < COMMUNITY_PAST_MAX + 1; i++)
		memcpy(bad + off + 1 + i * 36, raw + off + 1, 36);
	len = off + 1 + (COMMUNITY_PAST_MAX + 1) * 36;
	CHECK(len <= COMMUNITY_FILE_MAX); /* refused for its count alone */
	err_clear(&e);
	CHECK_EQ_INT(community_file_decode(bad, len, &r, &e), STOA_EPROTO);
	CHECK(strstr(e.msg, "damaged") != NULL);
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	/* every count from 0 to 255 over 1 entry: only 1 is whole */
	for (i = 0; i < 256; i++) {
		memcpy(bad, raw, flen);
		bad[off] = (uint8_t)i;
		CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL),
			     i == 1 ? 0 : STOA_EPROTO);
	}
	/* count 2 over 2 entries is whole; over 1, or 3 over 2, is not */
	memcpy(bad, raw, flen);
	memcpy(bad + flen, raw + off + 1, 36);
	bad[off] = 2;
	CHECK_EQ_INT(community_file_decode(bad, flen + 36, &r, NULL), 0);
	CHECK_EQ_INT(r.npast, 2);
	CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL), STOA_EPROTO);
	bad[off] = 3;
	CHECK_EQ_INT(community_file_decode(bad, flen + 36, &r, NULL),
		     STOA_EPROTO);
	/* every truncation, and one byte too long */
	refused = 0;
	for (len = 0; len < flen; len++)
		refused += community_file_decode(raw, len, &r, NULL) ==
			   STOA_EPROTO;
	CHECK_EQ_INT(refused, flen);
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	memcpy(bad, raw, flen);
	bad[flen] = 0;
	CHECK_EQ_INT(community_file_decode(bad, flen + 1, &r, NULL), STOA_EPROTO);
	CHECK(bytes_equal(&r, zero, sizeof(r)));
	/* version 4, or v3's bytes labelled 2 (one too many) or 1 */
	for (i = 0; i < 256; i++) {
		memcpy(bad, raw, flen);
		bad[8] = (uint8_t)i;
		CHECK_EQ_INT(community_file_decode(bad, flen, &r, NULL),
			     i == 3 ? 0 : STOA_EPROTO);
	}
	/* a v2 file labelled 3 (no count) */
	memcpy(bad, raw, off);
	bad[8] = 3;
	CHECK_EQ_INT(community_file_decode(bad, off, &r, NULL), STOA_EPROTO);
	/* random tails after a v3 head never crash */
	for (i = 0; i < 3000; i++) {
		size_t n = off + rng() % (COMMUNITY_FILE_MAX + 8 - off), j;

		memcpy(bad, raw, off);
		for (j = off; j < n; j++)
			bad[j] = (uint8_t)rng();
		if (i & 1)
			bad[off] = (uint8_t)(rng() % (COMMUNITY_PAST_MAX + 2));
		if (community_file_decode(bad, n, &r, NULL) == 0)
			CHECK(r.npast >= 1 && r.npast <= COMMUNITY_PAST_MAX &&
			      n == off + 1 + r.npast * 36);
	}
	community_wipe(&c);
	community_wipe(&r);
}

/*
 * community_move: the current epoch goes first into the past list; a past
 * entry of the new epoch and secret leaves it (a rotation voided: back to
 * an earlier one); a full list drops its oldest; what a list lost is
 * wiped. community_past_get gives that epoch's subkeys, and an invite
 * carries the current epoch only.
 */
static void test_community_move(void)
{
	struct community c, before, p, r, d;
	uint8_t s[COMMUNITY_PAST_MAX + 4][COMMUNITY_SECRET_LEN];
	uint8_t k1[32], k2[32], zero[sizeof(struct community_past)];
	static const uint64_t purposes[] = {
		COMMUNITY_KEY_SERVER, COMMUNITY_KEY_HELLO, COMMUNITY_KEY_TAG,
		COMMUNITY_KEY_LAN, COMMUNITY_KEY_CHECK
	};
	char code[INVITE_MAX], code2[INVITE_MAX], path[512];
	size_t i, j;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i < COMMUNITY_PAST_MAX + 4; i++)
		memset(s[i], (int)(0x80 + i), COMMUNITY_SECRET_LEN);
	founded(&c, 0);
	c.epoch = 0;
	memcpy(c.secret, s[0], COMMUNITY_SECRET_LEN);
	before = c;

	/* 0 -> 1: the old current is the one past epoch */
	community_move(&c, 1, s[1]);
	CHECK_EQ_INT(c.epoch, 1);
	CHECK(bytes_equal(c.secret, s[1], COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(c.npast, 1);
	CHECK_EQ_INT(c.past[0].epoch, 0);
	CHECK(bytes_equal(c.past[0].secret, s[0], COMMUNITY_SECRET_LEN));
	CHECK_STR(c.name, "math club");
	CHECK(c.founded);
	CHECK(bytes_equal(c.founder, before.founder, COMMUNITY_FOUNDER_LEN));

	/* past_get(0) is the community before the move: same subkeys */
	community_past_get(&c, 0, &p);
	CHECK_EQ_INT(p.epoch, 0);
	CHECK(bytes_equal(p.secret, s[0], COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(p.npast, 0);
	CHECK(bytes_equal(p.past, zero, sizeof(zero)));
	CHECK_STR(p.name, c.name);
	CHECK(p.founded);
	CHECK(bytes_equal(p.founder, c.founder, COMMUNITY_FOUNDER_LEN));
	CHECK(same_community(&p, &before));
	for (i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++) {
		community_derive(&p, purposes[i], k1);
		community_derive(&before, purposes[i], k2);
		CHECK(bytes_equal(k1, k2, 32));
		community_derive(&c, purposes[i], k2);
		CHECK(!bytes_equal(k1, k2, 32)); /* epochs differ */
	}

	/* 1 -> 2: newest first */
	community_move(&c, 2, s[2]);
	CHECK_EQ_INT(c.epoch, 2);
	CHECK_EQ_INT(c.npast, 2);
	CHECK_EQ_INT(c.past[0].epoch, 1);
	CHECK(bytes_equal(c.past[0].secret, s[1], COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(c.past[1].epoch, 0);
	CHECK(bytes_equal(c.past[1].secret, s[0], COMMUNITY_SECRET_LEN));
	community_past_get(&c, 1, &p);
	CHECK_EQ_INT(p.epoch, 0);
	CHECK(same_community(&p, &before));
	community_past_get(&c, 0, &p);
	CHECK_EQ_INT(p.epoch, 1);
	CHECK(bytes_equal(p.secret, s[1], COMMUNITY_SECRET_LEN));

	/* the same secret under another epoch derives other keys */
	d = c;
	d.epoch = 1;
	community_derive(&d, COMMUNITY_KEY_CHECK, k1);
	community_derive(&c, COMMUNITY_KEY_CHECK, k2);
	CHECK(!bytes_equal(k1, k2, 32));

	/* back to 1 (epoch 2's rotation voided): 1 leaves the past list,
	 * 2 goes first; no duplicate, and the freed slot is wiped */
	community_move(&c, 1, s[1]);
	CHECK_EQ_INT(c.epoch, 1);
	CHECK(bytes_equal(c.secret, s[1], COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(c.npast, 2);
	CHECK_EQ_INT(c.past[0].epoch, 2);
	CHECK(bytes_equal(c.past[0].secret, s[2], COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(c.past[1].epoch, 0);
	CHECK(bytes_equal(c.past[1].secret, s[0], COMMUNITY_SECRET_LEN));
	for (i = c.npast; i < COMMUNITY_PAST_MAX; i++)
		CHECK(bytes_equal(&c.past[i], zero, sizeof(zero)));

	/* a list that holds the new epoch twice (a file may) keeps neither:
	 * it shrinks, and the slot it frees is wiped */
	d = c;
	d.past[2] = d.past[0];
	d.past[2].epoch = 7;
	d.past[1] = d.past[2];
	d.npast = 3; /* 2, 7, 7 */
	community_move(&d, 7, c.past[0].secret);
	CHECK_EQ_INT(d.npast, 2);
	CHECK_EQ_INT(d.past[0].epoch, 1);
	CHECK_EQ_INT(d.past[1].epoch, 2);
	for (i = d.npast; i < COMMUNITY_PAST_MAX; i++)
		CHECK(bytes_equal(&d.past[i], zero, sizeof(zero)));

	/* a past entry of the same epoch but another secret stays */
	community_move(&c, 0, s[3]);
	CHECK_EQ_INT(c.epoch, 0);
	CHECK_EQ_INT(c.npast, 3);
	CHECK_EQ_INT(c.past[0].epoch, 1);
	CHECK_EQ_INT(c.past[1].epoch, 2);
	CHECK_EQ_INT(c.past[2].epoch, 0);
	CHECK(bytes_equal(c.past[2].secret, s[0], COMMUNITY_SECRET_LEN));
	/* ... and the same secret under another epoch stays too */
	community_move(&c, 5, s[1]);
	CHECK_EQ_INT(c.npast, 4);
	CHECK_EQ_INT(c.past[1].epoch, 1);
	CHECK(bytes_equal(c.past[1].secret, s[1], COMMUNITY_SECRET_LEN));

	/* a full list drops its oldest */
	founded(&c, 0);
	c.epoch = 0;
	memcpy(c.secret, s[0], COMMUNITY_SECRET_LEN);
	for (i = 1; i <= COMMUNITY_PAST_MAX; i++)
		community_move(&c, (uint32_t)i, s[i]);
	CHECK_EQ_INT(c.npast, COMMUNITY_PAST_MAX);
	CHECK_EQ_INT(c.past[COMMUNITY_PAST_MAX - 1].epoch, 0);
	community_move(&c, COMMUNITY_PAST_MAX + 1, s[COMMUNITY_PAST_MAX + 1]);
	CHECK_EQ_INT(c.epoch, COMMUNITY_PAST_MAX + 1);
	CHECK(bytes_equal(c.secret, s[COMMUNITY_PAST_MAX + 1],
			  COMMUNITY_SECRET_LEN));
	CHECK_EQ_INT(c.npast, COMMUNITY_PAST_MAX);
	for (i = 0; i < COMMUNITY_PAST_MAX; i++) {
		j = COMMUNITY_PAST_MAX - i; /* newest first: 8, 7, .. 1 */
		CHECK_EQ_INT(c.past[i].epoch, j);
		CHECK(bytes_equal(c.past[i].secret, s[j], COMMUNITY_SECRET_LEN));
	}
	/* a full list that holds the new epoch drops that, not the oldest */
	community_move(&c, 4, s[4]);
	CHECK_EQ_INT(c.npast, COMMUNITY_PAST_MAX);
	CHECK_EQ_INT(c.past[0].epoch, COMMUNITY_PAST_MAX + 1);
	CHECK_EQ_INT(c.past[COMMUNITY_PAST_MAX - 1].epoch, 1);
	for (i = 0; i < COMMUNITY_PAST_MAX; i++)
		CHECK(c.past[i].epoch != 4);

	/* it round-trips through the file */
	path_in_tmp(path, sizeof(path), "community-moved");
	CHECK_EQ_INT(community_file_write(path, &c, NULL), 0);
	CHECK_EQ_INT(community_file_read(path, &r, NULL), 0);
	CHECK(same_community(&c, &r));
	unlink(path);

	/* the invite: the current epoch and secret only, as a v2 code */
	invite_encode(&c, code);
	CHECK_EQ_INT(invite_decode(code, &r, NULL), 0);
	CHECK_EQ_INT(r.epoch, 4);
	CHECK(bytes_equal(r.secret, s[4], COMMUNITY_SECRET_LEN));
	CHECK(r.founded);
	CHECK(bytes_equal(r.founder, c.founder, COMMUNITY_FOUNDER_LEN));
	CHECK_EQ_INT(r.npast, 0);
	d = c;
	memset(d.past, 0, sizeof(d.past));
	d.npast = 0;
	invite_encode(&d, code2);
	CHECK_STR(code, code2);
	for (i = 0; i < c.npast; i++) { /* no past secret in the code */
		community_past_get(&c, i, &p);
		invite_encode(&p, code2);
		CHECK(strcmp(code, code2) != 0);
	}
	invite_encode(&before, code2);
	CHECK_EQ_INT(strlen(code), strlen(code2));
	CHECK(strcmp(code, code2) != 0);

	community_wipe(&c);
	community_wipe(&before);
	community_wipe(&p);
	community_wipe(&r);
	community_wipe(&d);
}

static void test_derive(void)
{
	struct community c, d;
	uint8_t a[32], b[32], want[32];
	int i;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "math club");
	for (i = 0; i < COMMUNITY_SECRET_LEN; i++)
		c.secret[i] = (uint8_t)i;
	/* Computed with Python's hashlib.blake2b(key, salt=id LE, person). */
	community_derive(&c, 1, a);
	from_hex(want, sizeof(want), "d6285efd8b66177092fb62ebc7fd6754"
				     "c82010917a20a4b6f0a4e076595ff43c");
	CHECK(bytes_equal(a, want, 32));
	community_derive(&c, 2, b);
	from_hex(want, sizeof(want), "d4e91776d43f8ddae89a143a12bf6b6d"
				     "16a8281369d9111750edb6ddb40d2ef5");
	CHECK(bytes_equal(b, want, 32));
	d = c;
	d.secret[0] ^= 1;
	community_derive(&d, 1, b);
	CHECK(!bytes_equal(a, b, 32));
	community_derive(&c, 1, b);
	CHECK(bytes_equal(a, b, 32));
}

/*
 * Keyed BLAKE2b and the Ed25519 -> Curve25519 conversion. The vectors were
 * computed in Python (hashlib.blake2b with key=; SHA-512 of the RFC 8032
 * seed, clamped; the Edwards-to-Montgomery map u = (1+y)/(1-y), checked
 * against an X25519 base-point multiplication of that secret).
 */
static void test_keyed_hash_and_curve(void)
{
	uint8_t key[32], key2[32], h[HASH_LEN], h2[HASH_LEN], want[32];
	uint8_t seed[KEY_SEED_LEN], cpk[32], csk[32], cpk2[32], csk2[32], zero[32];
	struct key k, k2;
	int i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	hash_blake2b_keyed(h, key, "abc", 3);
	from_hex(want, sizeof(want), "d63a32d3e44738d7907f964316c241ad"
				     "aba0abfeabc32349677578a15a203f7f");
	CHECK(bytes_equal(h, want, HASH_LEN));
	hash_blake2b_keyed(h2, key, "abc", 3);
	CHECK(bytes_equal(h, h2, HASH_LEN));
	/* Keyed differs from unkeyed, and from the same hash under another key. */
	hash_blake2b(h2, "abc", 3);
	CHECK(!bytes_equal(h, h2, HASH_LEN));
	memcpy(key2, key, sizeof(key2));
	key2[31] ^= 0x80;
	hash_blake2b_keyed(h2, key2, "abc", 3);
	CHECK(!bytes_equal(h, h2, HASH_LEN));
	hash_blake2b_keyed(h2, key, "abd", 3);
	CHECK(!bytes_equal(h, h2, HASH_LEN));

	from_hex(seed, sizeof(seed), RFC_SEED);
	key_from_seed(&k, seed);
	CHECK_EQ_INT(key_to_curve(&k, cpk, csk), 0);
	from_hex(want, sizeof(want), "d85e07ec22b0ad881537c2f44d662d1a"
				     "143cf830c57aca4305d85c7a90f6b62e");
	CHECK(bytes_equal(cpk, want, 32));
	from_hex(want, sizeof(want), "307c83864f2833cb427a2ef1c00a013c"
				     "fdff2768d980c0a3a520f006904de94f");
	CHECK(bytes_equal(csk, want, 32));
	/* The public half alone converts to the same key. */
	CHECK_EQ_INT(key_pk_to_curve(k.pk, cpk2), 0);
	CHECK(bytes_equal(cpk, cpk2, 32));
	/* Deterministic, and another member converts to another key. */
	CHECK_EQ_INT(key_to_curve(&k, cpk2, csk2), 0);
	CHECK(bytes_equal(cpk, cpk2, 32));
	CHECK(bytes_equal(csk, csk2, 32));
	for (i = 0; i < 20; i++) {
		key_generate(&k2);
		CHECK_EQ_INT(key_to_curve(&k2, cpk2, csk), 0);
		CHECK(!bytes_equal(cpk, cpk2, 32));
		CHECK_EQ_INT(key_pk_to_curve(k2.pk, want), 0);
		CHECK(bytes_equal(cpk2, want, 32));
	}
	/* A public key that is not a curve point is refused, output zeroed. */
	memset(k2.pk, 0, sizeof(k2.pk));
	k2.pk[0] = 2; /* y = 2: x^2 = 3/(4d+1) is not a square mod p */
	memset(zero, 0, sizeof(zero));
	memset(cpk2, 0xaa, sizeof(cpk2));
	CHECK_EQ_INT(key_pk_to_curve(k2.pk, cpk2), STOA_ECRYPTO);
	CHECK(bytes_equal(cpk2, zero, 32));
	memset(cpk2, 0xaa, sizeof(cpk2));
	memset(csk, 0xaa, sizeof(csk));
	CHECK_EQ_INT(key_to_curve(&k2, cpk2, csk), STOA_ECRYPTO);
	CHECK(bytes_equal(cpk2, zero, 32));
	CHECK(bytes_equal(csk, zero, 32));
	key_wipe(&k);
	key_wipe(&k2);
	bytes_wipe(csk, sizeof(csk));
	bytes_wipe(csk2, sizeof(csk2));
}

static void test_server_keypair(void)
{
	struct community c, d;
	uint8_t pk[32], sk[32], pk2[32], sk2[32], want[32], seed[32];

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "math club");
	for (int i = 0; i < COMMUNITY_SECRET_LEN; i++)
		c.secret[i] = (uint8_t)i;
	CHECK_EQ_INT(COMMUNITY_KEY_SERVER, 1);
	CHECK_EQ_INT(COMMUNITY_KEY_HELLO, 2);
	CHECK_EQ_INT(COMMUNITY_KEY_TAG, 3);
	community_server_keypair(&c, pk, sk);
	/* sk = SHA-512(subkey 1)[0..32], pk = X25519(sk, 9), from Python. */
	from_hex(want, sizeof(want), "a053cd730eac2aa8a8fe05a7aec48930"
				     "2ed3b7f02c553aa7ff8bfa29ebbf16e5");
	CHECK(bytes_equal(sk, want, 32));
	from_hex(want, sizeof(want), "26f3f30b8b433b2b03239bc30c3c1f11"
				     "36dafa20dd1349e25c2f705ed5bcec22");
	CHECK(bytes_equal(pk, want, 32));
	community_server_keypair(&c, pk2, sk2);
	CHECK(bytes_equal(pk, pk2, 32));
	CHECK(bytes_equal(sk, sk2, 32));
	/* The name is not part of the key: only the secret is membership. */
	d = c;
	strcpy(d.name, "other");
	community_server_keypair(&d, pk2, sk2);
	CHECK(bytes_equal(pk, pk2, 32));
	/* Another secret, another server key. */
	d.secret[0] ^= 1;
	community_server_keypair(&d, pk2, sk2);
	CHECK(!bytes_equal(pk, pk2, 32));
	CHECK(!bytes_equal(sk, sk2, 32));
	CHECK_EQ_INT(community_create(&d, "art club", NULL), 0);
	community_server_keypair(&d, pk2, sk2);
	CHECK(!bytes_equal(pk, pk2, 32));
	/* The seed is not a key anyone else uses: the subkeys differ. */
	community_derive(&c, COMMUNITY_KEY_SERVER, seed);
	CHECK(!bytes_equal(seed, sk, 32));
	community_derive(&c, COMMUNITY_KEY_HELLO, want);
	CHECK(!bytes_equal(seed, want, 32));
	community_derive(&c, COMMUNITY_KEY_TAG, want);
	CHECK(!bytes_equal(seed, want, 32));
	bytes_wipe(seed, sizeof(seed));
	bytes_wipe(sk, sizeof(sk));
	bytes_wipe(sk2, sizeof(sk2));
	community_wipe(&c);
	community_wipe(&d);
}

#define GOLDEN_INVITE \
	"stoa:AQltYXRoIGNsdWIAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH1Styrk"

static void test_invite(void)
{
	struct community c, r;
	char code[INVITE_MAX], buf[INVITE_MAX + 64];
	uint8_t zero[sizeof(struct community)];
	static const char b64chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct err e;
	size_t len, i, j;
	int refused, rc;

	memset(zero, 0, sizeof(zero));
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "math club");
	for (i = 0; i < COMMUNITY_SECRET_LEN; i++)
		c.secret[i] = (uint8_t)i;

	/* Golden code, computed with Python (base64, hashlib). */
	invite_encode(&c, code);
	CHECK_STR(code, GOLDEN_INVITE);
	err_clear(&e);
	CHECK_EQ_INT(invite_decode(GOLDEN_INVITE, &r, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(r.name, "math club");
	CHECK(bytes_equal(r.secret, c.secret, COMMUNITY_SECRET_LEN));

	/* Copy/paste whitespace is tolerated. */
	snprintf(buf, sizeof(buf), "%s\n", code);
	CHECK_EQ_INT(invite_decode(buf, &r, NULL), 0);
	CHECK_STR(r.name, "math club");
	snprintf(buf, sizeof(buf), "  \t%s \r\n", code);
	CHECK_EQ_INT(invite_decode(buf, &r, NULL), 0);
	CHECK(bytes_equal(r.secret, c.secret, COMMUNITY_SECRET_LEN));
	/* ... but not inside the code. */
	snprintf(buf, sizeof(buf), "%.20s %s", code, code + 20);
	CHECK(invite_decode(buf, &r, NULL) < 0);

	/* Random communities, including the longest name, roundtrip. */
	CHECK_EQ_INT(community_create(&c, "Lernwerkstatt Z\xc3\xbcrich", NULL), 0);
	invite_encode(&c, code);
	CHECK_EQ_INT(invite_decode(code, &r, NULL), 0);
	CHECK_STR(r.name, c.name);
	CHECK(bytes_equal(r.secret, c.secret, COMMUNITY_SECRET_LEN));
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 16; i++)
		memcpy(buf + 4 * i, "\xf0\x9d\x84\x9e", 4);
	CHECK_EQ_INT(community_create(&c, buf, NULL), 0);
	invite_encode(&c, code);
	CHECK(strlen(code) < INVITE_MAX);
	CHECK_EQ_INT(invite_decode(code, &r, NULL), 0);
	CHECK_STR(r.name, c.name);
	CHECK(bytes_equal(r.secret, c.secret, COMMUNITY_SECRET_LEN));

	/* From here on: the golden community. */
	strcpy(code, GOLDEN_INVITE);
	len = strlen(code);

	/* A changed character in the secret part: checksum mismatch. */
	strcpy(buf, code);
	buf[30] = buf[30] == 'A' ? 'B' : 'A';
	err_clear(&e);
	CHECK_EQ_INT(invite_decode(buf, &r, &e), STOA_EINVAL);
	CHECK_STR(e.msg, "invite code is damaged (checksum mismatch)");
	CHECK(bytes_equal(&r, zero, sizeof(r)));

	/* Every character changed to every other base64 character. */
	refused = 0;
	for (i = strlen(INVITE_PREFIX); i < len; i++) {
		for (j = 0; j < 64; j++) {
			if (b64chars[j] == code[i])
				continue;
			strcpy(buf, code);
			buf[i] = b64chars[j];
			refused += invite_decode(buf, &r, NULL) < 0;
		}
	}
	CHECK_EQ_INT(refused, (len - strlen(INVITE_PREFIX)) * 63);

	/* Every prefix of a valid code is refused, without crashing. */
	refused = 0;
	for (i = 0; i < len; i++) {
		memcpy(buf, code, i);
		buf[i] = '\0';
		refused += invite_decode(buf, &r, NULL) < 0;
	}
	CHECK_EQ_INT(refused, len);
	err_clear(&e);
	memcpy(buf, code, len - 4);
	buf[len - 4] = '\0';
	CHECK_EQ_INT(invite_decode(buf, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "invite code is damaged") != NULL);

	err_clear(&e);
	memcpy(buf, code, len - 1);
	buf[len - 1] = '\0';
	CHECK_EQ_INT(invite_decode(buf, &r, &e), STOA_EINVAL);
	CHECK_STR(e.msg, "invite code is damaged (truncated or mistyped)");
	strcpy(buf, code);
	buf[9] = '!';
	err_clear(&e);
	CHECK_EQ_INT(invite_decode(buf, &r, &e), STOA_EINVAL);
	CHECK_STR(e.msg,
		  "invite code is damaged (unexpected character at position 10)");

	/* Extra characters. */
	snprintf(buf, sizeof(buf), "%sA", code);
	CHECK(invite_decode(buf, &r, NULL) < 0);
	snprintf(buf, sizeof(buf), "%sAAAA", code);
	CHECK(invite_decode(buf, &r, NULL) < 0);
	snprintf(buf, sizeof(buf), "%s=", code);
	CHECK(invite_decode(buf, &r, NULL) < 0);
	memset(buf, 'A', INVITE_MAX + 20);
	memcpy(buf, "stoa:", 5);
	buf[INVITE_MAX + 20] = '\0';
	err_clear(&e);
	CHECK_EQ_INT(invite_decode(buf, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "too long") != NULL);

	/* Wrong or missing prefix. */
	err_clear(&e);
	CHECK_EQ_INT(invite_decode(code + 5, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "not a stoa invite code") != NULL);
	snprintf(buf, sizeof(buf), "STOA:%s", code + 5);
	CHECK_EQ_INT(invite_decode(buf, &r, NULL), STOA_EINVAL);
	snprintf(buf, sizeof(buf), "stoa;%s", code + 5);
	CHECK_EQ_INT(invite_decode(buf, &r, NULL), STOA_EINVAL);
	snprintf(buf, sizeof(buf), "https://example.org/%s", code);
	CHECK_EQ_INT(invite_decode(buf, &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_decode("", &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_decode(" \n", &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_decode("stoa:", &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_decode(NULL, &r, NULL), STOA_EINVAL);
	/* Standard base64 alphabet ('+', '/') is not this variant. */
	CHECK_EQ_INT(invite_decode("stoa:AQ+/", &r, NULL), STOA_EINVAL);

	/* A checksummed code whose name is invalid is still refused. */
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "evil\x1b[2J");
	invite_encode(&c, code);
	err_clear(&e);
	CHECK_EQ_INT(invite_decode(code, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "name") != NULL);

	/* Random text after the prefix never crashes nor decodes. */
	for (i = 0; i < 3000; i++) {
		size_t n = 5 + rng() % (INVITE_MAX + 8);

		memcpy(buf, "stoa:", 5);
		for (j = 5; j < n; j++)
			buf[j] = (i & 1) ? b64chars[rng() % 64]
					 : (char)(1 + rng() % 255);
		buf[n] = '\0';
		rc = invite_decode(buf, &r, NULL);
		CHECK(rc < 0);
	}
	community_wipe(&c);
	community_wipe(&r);
}

/* Random bytes into the file decoders: errors only, never a crash. */
static void test_decoders_random(void)
{
	uint8_t p[COMMUNITY_FILE_MAX + 16];
	struct community c;
	struct key k;
	int i, key_ok = 0;

	for (i = 0; i < 5000; i++) {
		size_t n = rng() % sizeof(p), j;

		for (j = 0; j < n; j++)
			p[j] = (uint8_t)rng();
		if (i & 1) {
			/* Valid headers, so the deeper checks are reached. */
			if (n >= 10)
				memcpy(p, "stoa-com\x01", 9);
			/* A random short name may be valid; then it is whole. */
			if (community_file_decode(p, n, &c, NULL) == 0)
				CHECK(strlen(c.name) == p[9]);
		} else {
			if (n >= 10)
				memcpy(p, "stoa-key\x01\x00", 10);
			key_ok += key_file_decode(p, n, &k, NULL) == 0;
		}
	}
	CHECK_EQ_INT(key_ok, 0);
}

/* The atomic file writer: replace, refuse, mode, abort, wiped buffer. */
static void test_afile(void)
{
	char path[300], dir[300], buf[BUFSIZ], got[16] = "";
	struct afile a;
	struct stat st;
	struct err e;
	mode_t mask;
	size_t i;
	int wiped = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/af.txt", tmpdir);
	snprintf(dir, sizeof(dir), "%s/af.dir", tmpdir);

	/* a new file, with the caller's mode & ~umask; the buffer wiped */
	mask = umask(022);
	err_clear(&e);
	CHECK_EQ_INT(afile_open(&a, path, 0666, "no", &e), 0);
	afile_setbuf(&a, buf, sizeof(buf));
	fputs("one", a.f);
	CHECK(stat(path, &st) != 0); /* nothing at path before the commit */
	CHECK_EQ_INT(afile_commit(&a, &e), 0);
	CHECK(a.f == NULL);
	for (i = 0; i < sizeof(buf); i++)
		wiped &= buf[i] == 0;
	CHECK(wiped);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK(stat(a.tmp, &st) != 0); /* the temp name is gone */

	/* a regular file is replaced; an abort leaves it as it was */
	CHECK_EQ_INT(afile_open(&a, path, 0600, "no", &e), 0);
	fputs("two", a.f);
	CHECK_EQ_INT(afile_commit(&a, &e), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ_INT(afile_open(&a, path, 0600, "no", &e), 0);
	fputs("three", a.f);
	afile_abort(&a);
	afile_abort(&a); /* twice is harmless */
	CHECK(stat(a.tmp, &st) != 0);
	if ((f = fopen(path, "r"))) {
		CHECK(fgets(got, sizeof(got), f) != NULL);
		fclose(f);
	}
	CHECK_STR(got, "two");
	umask(mask);

	/* why == NULL: any existing path refused, before and at the commit */
	CHECK_EQ_INT(afile_open(&a, path, 0600, NULL, &e), STOA_EEXIST);
	CHECK(strstr(e.msg, "already exists") != NULL);
	CHECK(a.f == NULL);
	CHECK_EQ_INT(unlink(path), 0);
	err_clear(&e);
	CHECK_EQ_INT(afile_open(&a, path, 0600, NULL, &e), 0);
	if ((f = fopen(path, "w"))) /* someone else made it meanwhile */
		fclose(f);
	CHECK_EQ_INT(afile_commit(&a, &e), STOA_EEXIST);
	CHECK(stat(a.tmp, &st) != 0);
	CHECK_EQ_INT(unlink(path), 0);

	/* not a regular file: refused with the caller's reason */
	CHECK_EQ_INT(mkdir(dir, 0700), 0);
	err_clear(&e);
	CHECK_EQ_INT(afile_open(&a, dir, 0600, "it stays", &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "is not a regular file: it stays") != NULL);
	CHECK_EQ_INT(rmdir(dir), 0);
}

/*
 * The member export file (member_file.h): a round trip with the smallest
 * KDF limits, the byte layout, and every hostile shape refused with its
 * reason: empty, short, long, wrong magic, version, contents, name length,
 * an unclean name, a plain key inside, any byte changed (the signature),
 * a wrong passphrase; and random bytes, never a crash.
 */
static void test_member_file(void)
{
	uint8_t out[MEMBER_FILE_MAX], bad[MEMBER_FILE_MAX + 2];
	uint8_t seed[KEY_SEED_LEN];
	struct member_file mf, got;
	struct key k, opened;
	struct err e;
	size_t len = 0, i, n;
	int rc;

	memset(seed, 0x42, sizeof(seed));
	key_from_seed(&k, seed);
	memset(&mf, 0, sizeof(mf));
	memset(mf.founder, 0xf0, sizeof(mf.founder));
	snprintf(mf.name, sizeof(mf.name), "Ben");
	mf.seq = 7;
	memset(mf.head, 0x77, sizeof(mf.head));
	err_clear(&e);
	CHECK_EQ_INT(member_file_encode(out, &len, &mf, &k, "pw", 2,
					KEY_PWHASH_OPS_MIN, KEY_PWHASH_MEM_MIN,
					&e), 0);
	CHECK_EQ_INT(len, MEMBER_FILE_MIN + 3);
	CHECK(memcmp(out, "stoa-mbr\x01\x01", 10) == 0);
	CHECK(out[42] == 3 && memcmp(out + 43, "Ben", 3) == 0);
	CHECK(out[46 + 7] == 7);                    /* seq, big-endian */
	CHECK(memcmp(out + 86, "stoa-key\x02", 9) == 0); /* a v2 key file */
	CHECK(memcmp(out + 86 + 10, k.pk, KEY_PUBLIC_LEN) == 0);
	CHECK_EQ_INT(member_file_decode(out, len, &got, &e), 0);
	CHECK(strcmp(got.name, "Ben") == 0);
	CHECK_EQ_INT(got.seq, 7);
	CHECK(memcmp(got.founder, mf.founder, KEY_PUBLIC_LEN) == 0);
	CHECK(memcmp(got.head, mf.head, HASH_LEN) == 0);
	CHECK(got.kf.sealed);
	CHECK_EQ_INT(key_file_unlock(&got.kf, "pw", 2, &opened, &e), 0);
	CHECK(memcmp(opened.sk, k.sk, KEY_SECRET_LEN) == 0);
	err_clear(&e);
	CHECK_EQ_INT(key_file_unlock(&got.kf, "px", 2, &opened, &e),
		     STOA_EPERM);
	CHECK(strstr(e.msg, "wrong passphrase") != NULL);
	member_file_wipe(&got);

	/* no name (the node held no profile): 301 bytes */
	mf.name[0] = '\0';
	CHECK_EQ_INT(member_file_encode(bad, &n, &mf, &k, "pw", 2,
					KEY_PWHASH_OPS_MIN, KEY_PWHASH_MEM_MIN,
					NULL), 0);
	CHECK_EQ_INT(n, MEMBER_FILE_MIN);
	CHECK_EQ_INT(member_file_decode(bad, n, &got, NULL), 0);
	CHECK(got.name[0] == '\0');
	member_file_wipe(&got);
	/* refused to encode: an unclean name, a locked key, no passphrase */
	snprintf(mf.name, sizeof(mf.name), "Be\nn");
	CHECK(member_file_encode(bad, &n, &mf, &k, "pw", 2, KEY_PWHASH_OPS_MIN,
				 KEY_PWHASH_MEM_MIN, NULL) == STOA_EINVAL);
	mf.name[0] = '\0';
	memset(&opened, 0, sizeof(opened));
	memcpy(opened.pk, k.pk, KEY_PUBLIC_LEN);
	CHECK(member_file_encode(bad, &n, &mf, &opened, "pw", 2,
				 KEY_PWHASH_OPS_MIN, KEY_PWHASH_MEM_MIN,
				 NULL) < 0);
	CHECK(member_file_encode(bad, &n, &mf, &k, "", 0, KEY_PWHASH_OPS_MIN,
				 KEY_PWHASH_MEM_MIN, NULL) < 0);

	/* hostile shapes, each with its reason */
#define REFUSED(p, n, code, words)                                         \
	do {                                                               \
		err_clear(&e);                                             \
		rc = member_file_decode((p), (n), &got, &e);               \
		CHECK_EQ_INT(rc, (code));                                  \
		CHECK(strstr(e.msg, (words)) != NULL);                     \
		CHECK(got.kf.sealed == 0 && got.name[0] == '\0');          \
	} while (0)
	REFUSED(NULL, 0, STOA_EPROTO, "empty");
	REFUSED(out, 0, STOA_EPROTO, "empty");
	REFUSED(out, 5, STOA_EPROTO, "magic");
	REFUSED(out, 20, STOA_EPROTO, "truncated");
	REFUSED(out, len - 1, STOA_EPROTO, "truncated");
	memcpy(bad, out, len);
	bad[len] = 0;
	REFUSED(bad, len + 1, STOA_EPROTO, "too many");
	memcpy(bad, out, len);
	bad[0] = 'S';
	REFUSED(bad, len, STOA_EPROTO, "magic");
	memcpy(bad, out, len);
	bad[8] = 2;
	REFUSED(bad, len, STOA_EPROTO, "version 2");
	memcpy(bad, out, len);
	bad[9] = 0;
	REFUSED(bad, len, STOA_EPROTO, "contents 0");
	memcpy(bad, out, len);
	bad[42] = MEMBER_FILE_NAME_MAX + 1;
	REFUSED(bad, len, STOA_EPROTO, "name of 65 bytes");
	memcpy(bad, out, len);
	bad[44] = '\x1b';
	REFUSED(bad, len, STOA_EPROTO, "not clean");
	memcpy(bad, out, len);
	bad[44] = '\0';
	REFUSED(bad, len, STOA_EPROTO, "not clean");
	memcpy(bad, out, len);
	bad[86 + 8] = 1;                   /* the key file inside: v1 */
	REFUSED(bad, len, STOA_EPROTO, "member export file: ");
	/* every other byte changed: refused (the key file's own check or
	 * the signature), never accepted */
	for (i = 0; i < len; i++) {
		memcpy(bad, out, len);
		bad[i] ^= 0x01;
		CHECK(member_file_decode(bad, len, &got, NULL) < 0);
	}
	memcpy(bad, out, len);
	bad[50] ^= 0x80;                   /* the seq: only the signature */
	REFUSED(bad, len, STOA_ECRYPTO, "bad signature");
#undef REFUSED
	/* random bytes behind a valid header: errors only */
	for (i = 0; i < 2000; i++) {
		size_t j;

		n = rng() % sizeof(bad);
		for (j = 0; j < n; j++)
			bad[j] = (uint8_t)rng();
		if ((i & 1) && n >= 10)
			memcpy(bad, "stoa-mbr\x01\x01", 10);
		CHECK(member_file_decode(bad, n, &got, NULL) < 0);
	}
	key_wipe(&k);
	key_wipe(&opened);
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	if (key_lib_init() != 0) {
		fprintf(stderr, "test_crypto: cannot initialise libsodium\n");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/stoa-test-crypto-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "test_crypto: cannot create temp dir: %s\n",
			strerror(errno));
		return 1;
	}

	test_hash();
	test_sign();
	test_bytes();
	test_hex();
	test_b64();
	test_key_file();
	test_key_decode();
	test_key_sealed();
	test_name_check();
	test_community_file();
	test_community_v3();
	test_community_move();
	test_derive();
	test_keyed_hash_and_curve();
	test_server_keypair();
	test_invite();
	test_decoders_random();
	test_member_file();
	test_afile();

	CHECK_EQ_INT(rmdir(tmpdir), 0);
	return test_report("crypto");
}
