/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for image_sniff(): the first bytes of any file given as a GUEST. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "loaders/sniff.h"

/*
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE
 *   -Iinclude -Isrc fuzz/fuzz_image_sniff.c src/loaders/sniff.c
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *what = image_sniff(data, size);

	/* A description is a short static sentence; text never has a NUL in the sample. */
	if (what && strlen(what) > 80)
		__builtin_trap();
	if (what && !strcmp(what, "text, not machine code") &&
	    memchr(data, 0, size < SNIFF_BYTES ? size : SNIFF_BYTES))
		__builtin_trap();
	return 0;
}
