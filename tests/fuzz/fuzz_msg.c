/*
 * libFuzzer harness: msg_decode (sync/msg.h) on one frame, then every
 * accessor a consumer uses on what it accepted: the ENTRIES iterator
 * (each entry's bytes are read, so ASan sees any overrun) and every
 * FRONTIER triple. A refused frame is not a finding; a crash is.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "key.h"
#include "msg.h"

#include "fuzz.h"

/* Touches every byte of p so an out-of-bounds pointer is reported. */
static uint8_t touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	struct err e;
	volatile uint8_t sink = 0;

	err_clear(&e);
	if (msg_decode(&m, data, size, &e) < 0)
		return 0;
	(void)msg_type_name(m.type);
	if (m.type == MSG_ENTRIES) {
		struct msg_run_iter it;
		struct msg_run_entry re;
		unsigned n = 0;

		msg_run_iter_init(&it, &m);
		while (msg_run_next(&it, &re)) {
			sink ^= touch(re.signed_bytes, ENTRY_SIGNED_LEN);
			if (re.payload)
				sink ^= touch(re.payload, re.plen);
			if (++n > MSG_RUN_MAX)
				__builtin_trap(); /* more than the count allows */
		}
		if (n != m.u.entries.count)
			__builtin_trap(); /* validated count and iterator disagree */
	} else if (m.type == MSG_FRONTIER) {
		struct msg_head h;

		for (uint16_t i = 0; i < m.u.frontier.count; i++) {
			msg_frontier_get(&m, i, &h);
			sink ^= h.author[0] ^ h.id[31] ^ (uint8_t)h.seq;
		}
	} else if (m.type == MSG_ERROR) {
		/* the text must be NUL-terminated within its bound */
		if (memchr(m.u.error.text, 0, sizeof(m.u.error.text)) == NULL)
			__builtin_trap();
	}
	(void)sink;
	return 0;
}
