/*
 * libFuzzer harness: entry_decode (sync/entry.h) on the first
 * ENTRY_SIGNED_LEN (186) bytes of the input, then entry_verify and
 * entry_check_payload with the rest of the input as the payload.
 * Shorter inputs go to entry_decode whole (it must refuse them).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "entry.h"
#include "key.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry en;
	struct err e;
	char hex[ENTRY_ID_HEX_LEN + 1];
	size_t slen = size < ENTRY_SIGNED_LEN ? size : ENTRY_SIGNED_LEN;

	err_clear(&e);
	if (entry_decode(&en, data, slen, &e) < 0)
		return 0;
	if (slen != ENTRY_SIGNED_LEN)
		__builtin_trap(); /* accepted a short entry */
	(void)entry_kind_name(en.kind);
	entry_id_hex(en.id, hex);
	err_clear(&e);
	(void)entry_verify(&en, &e);
	err_clear(&e);
	(void)entry_check_payload(&en, data + slen, size - slen, &e);
	return 0;
}
