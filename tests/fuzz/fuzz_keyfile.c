/*
 * libFuzzer harness: key_file_decode (crypto/key.h) and
 * community_file_decode (crypto/community.h) on the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "community.h"
#include "key.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key k;
	struct community c;
	struct err e;

	err_clear(&e);
	if (key_file_decode(data, size, &k, &e) == 0)
		key_wipe(&k);
	err_clear(&e);
	if (community_file_decode(data, size, &c, &e) == 0) {
		if (strnlen(c.name, sizeof(c.name)) > COMMUNITY_NAME_MAX)
			__builtin_trap();
		community_wipe(&c);
	}
	return 0;
}
