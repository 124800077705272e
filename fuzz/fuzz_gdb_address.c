/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the gdb server's "[ADDR:]PORT" parser (--gdb's argument). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "gdb/gdb_server.h"

/*
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE
 *   -Iinclude -Isrc fuzz/fuzz_gdb_address.c src/gdb/gdb_server.c src/gdb/rsp.c
 *   src/gdb/regs.c src/gdb/stub.c src/error.c -lpthread
 */

/* A command-line argument longer than this is not an address anyway. */
#define FUZZ_SPEC_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[FUZZ_SPEC_MAX + 1];
	struct sockaddr_storage addr;
	socklen_t len;

	if (size > FUZZ_SPEC_MAX)
		size = FUZZ_SPEC_MAX;
	memcpy(spec, data, size);
	spec[size] = '\0'; /* argv strings end at the first NUL */
	if (gdb_server_parse_address(spec, &addr, &len) == 0 && len > sizeof(addr))
		__builtin_trap();
	return 0;
}
