/*
 * libFuzzer harness: key_file_parse and key_file_unlock (crypto/key.h),
 * community_file_decode (crypto/community.h) and member_file_decode
 * (crypto/member_file.h, the member export file) on the same bytes.
 *
 * A v2 (sealed) key file ends with a BLAKE2b check that mutations almost
 * never keep right, and unlocking runs Argon2id. So each input is tried
 * twice: as it is, and XORed onto a template sealed at start-up under
 * FUZZ_PASS with the smallest KDF limits, its check recomputed, so the
 * fields behind the check (limits, nonce, box, public key) are reached
 * too (the empty input is the template itself, which unlocks). Unlocking
 * is only tried for small limits (FUZZ_OPS_MAX, FUZZ_MEM_MAX), to keep
 * each run fast; an unlock that succeeds must give the file's public key.
 * The member export file ends with a signature by the key it carries, so
 * the input is also XORed onto an export file of the same key and signed
 * again, to reach the name, seq and key file behind the signature.
 */
#define FUZZ_OWN_INIT
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "community.h"
#include "key.h"
#include "member_file.h"

#include "fuzz.h"

#define FUZZ_PASS "fuzz"
#define FUZZ_OPS_MAX 2u
#define FUZZ_MEM_MAX (64u * 1024)

static uint8_t template[KEY_FILE_V2_LEN];
static uint8_t mtemplate[MEMBER_FILE_MAX];
static size_t mtemplate_len;
static struct key fuzz_key; /* signs the changed export files */

/* Seals a fixed key under FUZZ_PASS with the smallest limits. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[KEY_SEED_LEN];
	struct key k;
	int rc;

	(void)argc;
	(void)argv;
	if (key_lib_init() < 0)
		return -1;
	memset(seed, 0x5a, sizeof(seed));
	key_from_seed(&k, seed);
	rc = key_file_seal(template, &k, FUZZ_PASS, strlen(FUZZ_PASS),
			   KEY_PWHASH_OPS_MIN, KEY_PWHASH_MEM_MIN, NULL);
	if (rc == 0) {
		struct member_file mf;

		memset(&mf, 0, sizeof(mf));
		memcpy(mf.name, "Fuzz", 4);
		mf.seq = 3;
		rc = member_file_encode(mtemplate, &mtemplate_len, &mf, &k,
					FUZZ_PASS, strlen(FUZZ_PASS),
					KEY_PWHASH_OPS_MIN, KEY_PWHASH_MEM_MIN,
					NULL);
	}
	fuzz_key = k;
	key_wipe(&k);
	return rc < 0 ? -1 : 0;
}

static void key_one(const uint8_t *data, size_t size)
{
	struct key_file kf;
	struct key k;
	struct err e;

	err_clear(&e);
	if (key_file_parse(data, size, &kf, &e) != 0)
		return;
	if (!kf.sealed || (kf.opslimit <= FUZZ_OPS_MAX &&
			   kf.memlimit <= FUZZ_MEM_MAX)) {
		err_clear(&e);
		if (key_file_unlock(&kf, FUZZ_PASS, strlen(FUZZ_PASS), &k,
				    &e) == 0) {
			if (!key_has_secret(&k) ||
			    memcmp(k.pk, kf.key.pk, KEY_PUBLIC_LEN) != 0)
				__builtin_trap();
			key_wipe(&k);
		}
	}
	key_file_wipe(&kf);
}

/* member_file_decode; what it accepts is whole and its key opens or
 * not, never a crash. */
static void member_one(const uint8_t *data, size_t size)
{
	struct member_file mf;
	struct key k;

	if (member_file_decode(data, size, &mf, NULL) != 0)
		return;
	if (strnlen(mf.name, sizeof(mf.name)) > MEMBER_FILE_NAME_MAX ||
	    !mf.kf.sealed)
		__builtin_trap();
	if (mf.kf.opslimit <= FUZZ_OPS_MAX && mf.kf.memlimit <= FUZZ_MEM_MAX &&
	    key_file_unlock(&mf.kf, FUZZ_PASS, strlen(FUZZ_PASS), &k,
			    NULL) == 0) {
		if (memcmp(k.pk, mf.kf.key.pk, KEY_PUBLIC_LEN) != 0)
			__builtin_trap();
		key_wipe(&k);
	}
	member_file_wipe(&mf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mv[MEMBER_FILE_MAX];
	uint8_t v2[KEY_FILE_V2_LEN], h[HASH_LEN];
	struct community c;
	struct err e;
	size_t i;

	key_one(data, size);
	/* the input as a change to the sealed template, check recomputed */
	memcpy(v2, template, sizeof(v2));
	for (i = 0; i < size && i < sizeof(v2) - 8; i++)
		v2[i] ^= data[i];
	hash_blake2b(h, v2, KEY_FILE_V2_LEN - 8);
	memcpy(v2 + KEY_FILE_V2_LEN - 8, h, 8);
	key_one(v2, sizeof(v2));

	member_one(data, size);
	/* onto the export template, signed again by its key: the length
	 * follows the (changed) name length, as a real file's does */
	memcpy(mv, mtemplate, mtemplate_len);
	for (i = 0; i < size && i < mtemplate_len; i++)
		mv[i] ^= data[i];
	if (mv[42] <= MEMBER_FILE_NAME_MAX) {
		size_t n = MEMBER_FILE_MIN + mv[42];

		if (n > mtemplate_len)
			memset(mv + mtemplate_len, 0, n - mtemplate_len);
		key_sign(&fuzz_key, mv, n - KEY_SIG_LEN, mv + n - KEY_SIG_LEN);
		member_one(mv, n);
	}

	err_clear(&e);
	if (community_file_decode(data, size, &c, &e) == 0) {
		if (strnlen(c.name, sizeof(c.name)) > COMMUNITY_NAME_MAX)
			__builtin_trap();
		community_wipe(&c);
	}
	return 0;
}
