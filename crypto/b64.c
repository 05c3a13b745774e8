/*
 * b64: unpadded URL-safe base64 over libsodium's sodium_bin2base64 and
 * sodium_base642bin (constant time, strict): see b64.h. Never allocates.
 */
#include <sodium.h>

#include "b64.h"

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

int b64_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
	if (n > (SIZE_MAX - 4) / 4 * 3 ||
	    cap < sodium_base64_ENCODED_LEN(n, B64_VARIANT))
		return STOA_EINVAL;
	sodium_bin2base64(out, cap, in, n, B64_VARIANT);
	return 0;
}

int b64_decode(uint8_t *out, size_t cap, size_t *n, const char *in,
	       size_t len)
{
	const char *end = NULL;
	size_t got = 0;

	*n = 0;
	/* end NULL would accept a prefix: the whole input must decode */
	if (sodium_base642bin(out, cap, in, len, NULL, &got, &end,
			      B64_VARIANT) != 0 || end != in + len)
		return STOA_EINVAL;
	*n = got;
	return 0;
}
