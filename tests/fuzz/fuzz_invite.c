/*
 * libFuzzer harness: invite_decode (crypto/community.h) on a
 * NUL-terminated copy of the input; an accepted code is encoded again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "community.h"
#include "key.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct community c;
	struct err e;
	char *code = malloc(size + 1);

	if (!code)
		return 0;
	memcpy(code, data, size);
	code[size] = '\0';
	err_clear(&e);
	if (invite_decode(code, &c, &e) == 0) {
		char again[INVITE_MAX];

		if (strnlen(c.name, sizeof(c.name)) > COMMUNITY_NAME_MAX)
			__builtin_trap();
		invite_encode(&c, again);
		community_wipe(&c);
	}
	free(code);
	return 0;
}
