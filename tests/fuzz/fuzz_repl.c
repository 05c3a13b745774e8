/*
 * libFuzzer harness: the replication state machine (sync/repl.h) alone,
 * over an in-memory store (tests/unit/mem_store.h: no SQLite), so every
 * input runs in memory and the fuzzer spends its time in sync/repl.c.
 *
 * The input is a sequence of frames, each a 2-byte big-endian length and
 * that many bytes (a short last frame takes what is left). One repl per
 * input: repl_start (its HELLO is discarded, as is every frame it sends),
 * then each frame through repl_recv until it asks for the peer to be
 * dropped (negative), then repl_release. Each input gets a fresh mem
 * store holding the same entry (seq 1 of one feed of the golden vectors),
 * freed after it, so every input sees the same store and the fuzzer stays
 * deterministic. That entry is still the one held at seq 1 when the input
 * ends (a fork never replaces it): if not, the harness traps.
 *
 * Fixed identities, so seeds can carry a HELLO that authenticates:
 * hello key = 32 bytes 0x48 ('H'); this node = key of seed 0x03...;
 * the seeds' peer is the golden author of seed 0x01... (any node id
 * other than this node's is accepted). tests/fuzz/gen_corpus.py builds
 * the seeds. FUZZ_REPL_TRACE=1 in the environment prints what each
 * frame did (to check that seeds reach deep states).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "entry.h"
#include "key.h"
#include "mem_store.h"
#include "msg.h"
#include "repl.h"

#define FUZZ_OWN_INIT
#include "fuzz.h"

/* tests/golden/entries-v1.txt, "unknown-kind-200-empty-payload": seq 1
 * of the author of seed 0x02..., kind 200, empty payload. */
static const char golden_b1[] =
	"53544f4101c88139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f"
	"5b8fc9b39400000000000000010000000000000000000000000000000000000000"
	"0000000000000000000000000000019ab699bcc0000000000e5751c026e543b2e8"
	"ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a840eb7a587b821d1328ef"
	"114a9fa650cc9c9c8375f66b696e77f6f2bae4f245c04c13ff9156cb7ba726e474"
	"09fbe765857f4008059d62e8872880b346d8c1150a";

static struct entry golden;  /* golden_b1, decoded */
static struct repl_ops ops;
static struct buf scratch;
static struct key self;
static uint8_t hello_key[32];
static int trace; /* FUZZ_REPL_TRACE=1: print each frame's outcome */

/* The peer's socket: every frame the repl sends is dropped. */
static int discard_send(void *peer, const uint8_t *p, size_t len,
			struct err *e)
{
	(void)peer;
	(void)p;
	(void)len;
	(void)e;
	return 0;
}

/* The golden entry is still the one held at seq 1 of its feed. */
static int holds_golden(const struct mem_store *s)
{
	for (size_t i = 0; i < s->nfeeds; i++)
		if (bytes_equal(s->feeds[i].author, golden.author,
				KEY_PUBLIC_LEN))
			return s->feeds[i].n > 0 &&
			       bytes_equal(s->feeds[i].v[0].id, golden.id,
					   ENTRY_ID_LEN);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[KEY_SEED_LEN];
	uint8_t signed_bytes[ENTRY_SIGNED_LEN];
	struct mem_store st;
	struct err e;
	int rc;

	(void)argc;
	(void)argv;
	err_clear(&e);
	if (key_lib_init() < 0) {
		fprintf(stderr, "fuzz_repl: cannot init\n");
		abort();
	}
	/* the entry every input's store holds, checked once as it will be
	 * for each input */
	mem_store_init(&st);
	rc = strlen(golden_b1) != 2 * ENTRY_SIGNED_LEN ||
	     hex_decode(signed_bytes, ENTRY_SIGNED_LEN, golden_b1) < 0 ||
	     entry_decode(&golden, signed_bytes, ENTRY_SIGNED_LEN, &e) < 0 ||
	     mem_store_append(&st, &golden, "", 0, &e) < 0;
	mem_store_free(&st);
	if (rc) {
		fprintf(stderr, "fuzz_repl: cannot store the seed entry: %s\n",
			e.msg);
		abort();
	}
	memset(seed, 0x03, sizeof(seed));
	key_from_seed(&self, seed);
	memset(hello_key, 0x48, sizeof(hello_key));
	buf_init(&scratch, MSG_MAX);
	mem_store_ops_init(&ops, discard_send);
	trace = getenv("FUZZ_REPL_TRACE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_store st;
	struct repl r;
	struct err e;
	size_t off = 0;

	err_clear(&e);
	mem_store_init(&st);
	if (mem_store_append(&st, &golden, "", 0, &e) < 0) {
		fprintf(stderr, "fuzz_repl: mem_store_append: %s\n", e.msg);
		abort(); /* the harness's own failure, not the input's */
	}
	repl_init(&r, &ops, &st, NULL, self.pk, hello_key, &scratch);
	if (repl_start(&r, &e) < 0)
		goto out;
	while (off + 2 <= size) {
		size_t len = ((size_t)data[off] << 8) | data[off + 1];
		uint8_t *frame;
		int rc;

		off += 2;
		if (len > size - off)
			len = size - off;
		/* an exact-size copy, so ASan sees any read past the frame */
		frame = malloc(len ? len : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, len);
		off += len;
		err_clear(&e);
		rc = repl_recv(&r, frame, len, &e);
		free(frame);
		if (trace)
			fprintf(stderr, "fuzz_repl: %s (%zu bytes) -> %d %s "
				"(in %llu, settled %d)\n",
				len >= 4 ? msg_type_name(data[off - len + 3]) : "short",
				len, rc, e.msg,
				(unsigned long long)r.stats.entries_in,
				repl_settled(&r));
		if (rc < 0)
			break;
		(void)repl_settled(&r);
	}
out:
	repl_release(&r);
	if (!holds_golden(&st))
		__builtin_trap(); /* a broken invariant of the store */
	mem_store_free(&st);
	return 0;
}
