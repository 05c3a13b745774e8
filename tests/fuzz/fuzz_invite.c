/*
 * libFuzzer harness: the invite code readers on a NUL-terminated copy of
 * the input: invite_decode (crypto/community.h: v1 and v2) and
 * invite_read (crypto/invite.h: every form, v3 and the typed form
 * included). An accepted code is encoded again: a v3 one both ways, and
 * each encoding must read back to the same invite (a typed form always
 * unsigned, a "stoa:" one signed iff the input was).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "community.h"
#include "invite.h"
#include "key.h"

#include "fuzz.h"

static void same(const struct invite *a, const struct invite *b)
{
	if (strcmp(a->c.name, b->c.name) != 0 ||
	    memcmp(a->c.secret, b->c.secret, COMMUNITY_SECRET_LEN) != 0 ||
	    memcmp(a->c.founder, b->c.founder, COMMUNITY_FOUNDER_LEN) != 0 ||
	    a->c.epoch != b->c.epoch || memcmp(a->id, b->id, INVITE_ID_LEN) ||
	    a->role != b->role || a->expires != b->expires ||
	    a->uses != b->uses)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct community c;
	struct invite iv, again;
	struct err e;
	char *code = malloc(size + 1);

	if (!code)
		return 0;
	memcpy(code, data, size);
	code[size] = '\0';
	err_clear(&e);
	if (invite_decode(code, &c, &e) == 0) {
		char out[INVITE_MAX];

		if (strnlen(c.name, sizeof(c.name)) > COMMUNITY_NAME_MAX)
			__builtin_trap();
		invite_encode(&c, out);
		community_wipe(&c);
	}
	err_clear(&e);
	if (invite_read(code, &iv, &e) == 0) {
		if (strnlen(iv.c.name, sizeof(iv.c.name)) > COMMUNITY_NAME_MAX ||
		    iv.version < 1 || iv.version > INVITE_V3)
			__builtin_trap();
		if (iv.version == INVITE_V3) {
			char typed[INVITE_TYPED_MAX], b64[INVITE_CODE_MAX];

			invite_typed_encode(&iv, typed);
			if (invite_read(typed, &again, NULL) != 0 ||
			    again.is_signed)
				__builtin_trap();
			same(&iv, &again);
			if (iv.is_signed) {
				invite_v3_encode(&iv, b64);
				if (invite_read(b64, &again, NULL) != 0 ||
				    !again.is_signed)
					__builtin_trap();
				same(&iv, &again);
			}
		}
		invite_wipe(&iv);
		invite_wipe(&again);
	} else if (!e.msg[0]) {
		__builtin_trap(); /* a refusal always says why */
	}
	free(code);
	return 0;
}
