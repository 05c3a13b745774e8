/*
 * fuzz.h: what every libFuzzer harness shares: the two entry points'
 * prototypes and, unless the harness defines FUZZ_OWN_INIT, an
 * LLVMFuzzerInitialize that only starts libsodium. Include it once, in
 * the harness's one .c file.
 */
#ifndef STOA_FUZZ_H
#define STOA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_OWN_INIT
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return key_lib_init() < 0 ? -1 : 0;
}
#endif

#endif
