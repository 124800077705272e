/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the command line: options_parse() and parse_size() on argument lists from any bytes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "vm.h"

/*
 * The input is the arguments after "mini-kvm", each ended by a NUL byte (the last
 * one need not be): "run\0-m\0" "64\0guest.bin". More arguments than guests fit are
 * allowed, so the guest limit is reached too. Oracle (besides ASan/UBSan): a parse
 * returns 0 or -EINVAL; one that succeeds gives a command, and for `run` something to
 * run, 1 to VM_MAX_VCPUS vCPUs, some RAM, and strings that are the arguments' own.
 */
#define FUZZ_MAX_ARGS (OPTIONS_MAX_GUESTS + 16)
#define FUZZ_MAX_TEXT 4096

static char text[FUZZ_MAX_TEXT + 1];

/* A string of the options is NULL or one of the arguments (getopt hands those out). */
static void check_arg(const char *s, char **argv, int argc)
{
	if (!s)
		return;
	for (int i = 0; i < argc; i++)
		if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
			return;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct options opts;
	char *argv[FUZZ_MAX_ARGS + 2];
	int argc = 0, ret;
	uint64_t bytes;

	if (size > FUZZ_MAX_TEXT)
		size = FUZZ_MAX_TEXT;
	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = "mini-kvm";
	for (size_t at = 0; at < size && argc <= FUZZ_MAX_ARGS; at += strlen(text + at) + 1)
		argv[argc++] = text + at;
	argv[argc] = NULL;

	for (int i = 1; i < argc; i++) {
		bytes = 0;
		if (parse_size(argv[i], &bytes) == 0 && bytes == 0)
			abort();
	}
	ret = options_parse(argc, argv, &opts);
	if (ret < 0) {
		if (ret != -EINVAL)
			abort();
		return 0;
	}
	if (opts.command != CMD_RUN)
		return 0;
	if ((!opts.nguests && !opts.kernel) || opts.nguests > OPTIONS_MAX_GUESTS || opts.cpus < 1 ||
	    opts.cpus > VM_MAX_VCPUS || !opts.mem_size)
		abort();
	check_arg(opts.kernel, argv, argc);
	check_arg(opts.initrd, argv, argc);
	check_arg(opts.params, argv, argc);
	/* A bare GUEST's --disk FILE[,ro] is FILE copied without ",ro" (options.c). */
	if (opts.disk && opts.disk != opts.disks[0].path)
		abort();
	check_arg(opts.boot_marker, argv, argc);
	for (unsigned int i = 0; i < opts.nguests; i++)
		check_arg(opts.guests[i].path, argv, argc);
	return 0;
}
