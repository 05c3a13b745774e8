/*
 * libFuzzer harness: daemon_req_decode (node/daemon.h), the parser of the
 * daemon's control socket requests. A request that decodes must encode
 * back to exactly the same bytes (one encoding per request); anything
 * else is a finding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[DAEMON_REQ_MAX];
	struct daemon_req r;
	struct err e;
	size_t n;

	err_clear(&e);
	if (daemon_req_decode(data, size, &r, &e) != 0) {
		if (!e.code || !e.msg[0])
			__builtin_trap(); /* a refusal always says why */
		return 0;
	}
	n = daemon_req_encode(&r, again);
	if (n != size || memcmp(again, data, n) != 0)
		__builtin_trap();
	if (r.type == DAEMON_REQ_NUDGE &&
	    (r.head.seq < 1 || r.head.seq > ENTRY_MAX_SEQ))
		__builtin_trap();
	return 0;
}
