/*
 * b64: unpadded URL-safe base64 (RFC 4648 section 5, no '='), the text
 * form of the binary fields of a JSON payload (a report's sealed boxes:
 * docs/formats.md). libsodium's constant-time codec does the work; this
 * file only bounds it, so the callers never include <sodium.h>.
 */
#ifndef STOA_B64_H
#define STOA_B64_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Characters of the encoding of n bytes, without the NUL. */
#define B64_LEN(n) (((n) / 3) * 4 + (((n) % 3) ? ((n) % 3) + 1 : 0))

/*
 * Encodes n bytes of in into out, NUL-terminated: out holds cap bytes, at
 * least B64_LEN(n) + 1 (STOA_EINVAL otherwise, out untouched).
 */
int b64_encode(char *out, size_t cap, const uint8_t *in, size_t n);

/*
 * Decodes the len characters of in into out (at most cap bytes), *n the
 * bytes written. STOA_EINVAL, *n 0, for anything but the exact unpadded
 * URL-safe form (padding, white space, another alphabet, stray bits in the
 * last character) or an output longer than cap.
 */
int b64_decode(uint8_t *out, size_t cap, size_t *n, const char *in,
	       size_t len);

#endif
