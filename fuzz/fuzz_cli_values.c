/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the values of run's options that are parsed: --trace=FILTER, --serial WHERE, and the "did you mean" distance. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "serial_backend.h"
#include "suggest.h"
#include "trace.h"

/*
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE
 *   -Iinclude -Isrc fuzz/fuzz_cli_values.c src/trace.c src/serial_backend.c src/suggest.c
 *   src/console.c src/console_log.c src/terminal.c src/kvm.c src/error.c -lpthread
 * The first byte picks the parser; the rest is the argument (argv strings end at a NUL).
 */

#define FUZZ_ARG_MAX 512

enum { FUZZ_TRACE, FUZZ_SERIAL, FUZZ_SUGGEST, FUZZ_KINDS };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const words[] = { "run", "check", "version", "help", "--irqchip" };
	char arg[FUZZ_ARG_MAX + 1];
	struct trace_filter f;
	struct serial_spec s;
	const char *best;

	if (size < 1)
		return 0;
	if (size - 1 > FUZZ_ARG_MAX)
		size = FUZZ_ARG_MAX + 1;
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	switch (data[0] % FUZZ_KINDS) {
	case FUZZ_TRACE:
		if (trace_filter_parse(arg, &f) == 0 &&
		    (f.nports > TRACE_MAX_RANGES || f.naddrs > TRACE_MAX_RANGES))
			__builtin_trap();
		for (unsigned int i = 0; i < f.nports; i++)
			if (f.ports[i].first > f.ports[i].last)
				__builtin_trap();
		break;
	case FUZZ_SERIAL:
		if (serial_spec_parse(arg, &s) == 0 &&
		    (strnlen(s.path, sizeof(s.path)) == sizeof(s.path) ||
		     (s.kind != SERIAL_STDIO && s.kind != SERIAL_PTY && !s.path[0])))
			__builtin_trap();
		break;
	case FUZZ_SUGGEST:
		best = suggest_word(arg, words, sizeof(words) / sizeof(words[0]));
		if (best && suggest_distance(arg, best) > 2)
			__builtin_trap();
		if (suggest_distance(arg, arg) != 0 && strlen(arg) <= SUGGEST_MAX_LEN)
			__builtin_trap();
		break;
	}
	return 0;
}
