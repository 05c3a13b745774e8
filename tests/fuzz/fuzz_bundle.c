/*
 * libFuzzer harness: the bundle and frontier file readers
 * (node/bundle.h: bundle_read_head, bundle_apply).
 *
 * Mutated ciphertext never opens, so the input is the files' plaintext:
 * records of flags (1) || length (2, big-endian) || bytes, each made
 * into one message of a file under the harness's community key (flag
 * bit 0: the FINAL tag; bit 1: the bytes are written to the file as
 * they are, not as a message, to reach the framing; bit 2 on the first
 * record: a frontier file's magic). The file is read by
 * bundle_read_head, then applied by bundle_apply to one store kept for
 * the whole run (in a temp dir), so the decoders of HEAD, FEEDS, RUN and
 * END and the apply loop see every shape. Traps if an apply's counts (new,
 * held, refused) do not add up to the entries it read, or if it calls
 * whole a file whose last message was not FINAL.
 */
#define FUZZ_OWN_INIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "bundle.h"
#include "sstream.h"
#include "store.h"

#include "fuzz.h"

static struct home h;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/stoa-fuzz-bundle-XXXXXX";
	uint8_t seed[KEY_SEED_LEN];
	char db[128];

	(void)argc;
	(void)argv;
	if (key_lib_init() < 0 || !mkdtemp(dir))
		return -1;
	memset(&h, 0, sizeof(h));
	memset(seed, 0x11, sizeof(seed));
	key_from_seed(&h.key, seed);
	snprintf(h.community.name, sizeof(h.community.name), "fuzz");
	memset(h.community.secret, 0x42, COMMUNITY_SECRET_LEN);
	snprintf(db, sizeof(db), "%s/store.db", dir);
	snprintf(path, sizeof(path), "%s/in.stb", dir);
	return store_open(&h.store, db, STORE_CREATE, NULL) < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[SSTREAM_KEY_LEN], hash[HASH_LEN], *ct;
	uint8_t prefix[BUNDLE_PREFIX_LEN];
	struct bundle_applied a;
	struct bundle_head bh;
	struct sstream ss;
	struct reader r;
	int first = 1, last_final = 0, rc;
	FILE *f;

	reader_init(&r, data, size);
	community_derive(&h.community, COMMUNITY_KEY_BUNDLE, key);
	hash_blake2b_keyed(hash, key, BUNDLE_TAG_DOMAIN,
			   sizeof(BUNDLE_TAG_DOMAIN) - 1);
	memcpy(prefix, size && (data[0] & 4) ? FRONTIER_MAGIC : BUNDLE_MAGIC,
	       BUNDLE_MAGIC_LEN);
	prefix[8] = BUNDLE_VERSION;
	be_put32(prefix + 9, 0);
	memcpy(prefix + 13, hash, BUNDLE_TAG_LEN);
	sstream_push_init(&ss, prefix + 29, key);
	if (!(f = fopen(path, "wb")) || !(ct = malloc(65535 + SSTREAM_ABYTES + 4)))
		abort();
	fwrite(prefix, 1, sizeof(prefix), f);
	while (reader_left(&r) >= 3) {
		uint8_t flags = reader_u8(&r);
		uint16_t len = reader_u16(&r);
		const uint8_t *p;

		if (len > reader_left(&r))
			len = (uint16_t)reader_left(&r);
		p = reader_bytes(&r, len);
		if (flags & 2) {
			fwrite(p, 1, len, f);
			continue;
		}
		be_put32(ct, (uint32_t)len + SSTREAM_ABYTES);
		sstream_push(&ss, ct + 4, p, len, first ? prefix : NULL,
			     first ? sizeof(prefix) : 0, flags & 1);
		first = 0;
		last_final = flags & 1;
		fwrite(ct, 1, 4 + (size_t)len + SSTREAM_ABYTES, f);
	}
	fclose(f);
	free(ct);
	sstream_wipe(&ss);

	if (bundle_read_head(path, &h.community, &bh, NULL) == 0)
		bundle_head_release(&bh);
	rc = bundle_apply(&h, path, NULL, NULL, &a, NULL);
	if (rc == 0) {
		if (a.added + a.held + a.refused != a.read)
			__builtin_trap();
		if (!a.damaged && !last_final)
			__builtin_trap();
	}
	bundle_applied_release(&a);
	return 0;
}
