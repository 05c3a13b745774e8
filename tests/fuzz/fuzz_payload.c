/*
 * libFuzzer harness: payload_validate (sync/payload.h). The first byte
 * of the input is the entry kind, the rest the payload. A valid result
 * hands back the parsed object, which is re-encoded (payload_encode)
 * and released.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "key.h"
#include "payload.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *obj = NULL;
	struct err e;
	int rc;

	if (size < 1)
		return 0;
	err_clear(&e);
	rc = payload_validate(data[0], data + 1, size - 1, &obj, &e);
	if (rc == PAYLOAD_VALID && obj) {
		char *out = NULL;
		size_t len = 0;

		err_clear(&e);
		if (payload_encode(obj, &out, &len, &e) == 0)
			free(out);
	}
	if (obj)
		json_decref(obj);
	return 0;
}
