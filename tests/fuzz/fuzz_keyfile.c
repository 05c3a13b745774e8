/*
 * libFuzzer harness: key_file_parse and key_file_unlock (crypto/key.h)
 * and community_file_decode (crypto/community.h) on the same bytes.
 *
 * A v2 (sealed) key file ends with a BLAKE2b check that mutations almost
 * never keep right, and unlocking runs Argon2id. So each input is tried
 * twice: as it is, and XORed onto a template sealed at start-up under
 * FUZZ_PASS with the smallest KDF limits, its check recomputed, so the
 * fields behind the check (limits, nonce, box, public key) are reached
 * too (the empty input is the template itself, which unlocks). Unlocking
 * is only tried for small limits (FUZZ_OPS_MAX, FUZZ_MEM_MAX), to keep
 * each run fast; an unlock that succeeds must give the file's public key.
 */
#define FUZZ_OWN_INIT
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "community.h"
#include "key.h"

#include "fuzz.h"

#define FUZZ_PASS "fuzz"
#define FUZZ_OPS_MAX 2u
#define FUZZ_MEM_MAX (64u * 1024)

static uint8_t template[KEY_FILE_V2_LEN];

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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

	err_clear(&e);
	if (community_file_decode(data, size, &c, &e) == 0) {
		if (strnlen(c.name, sizeof(c.name)) > COMMUNITY_NAME_MAX)
			__builtin_trap();
		community_wipe(&c);
	}
	return 0;
}
