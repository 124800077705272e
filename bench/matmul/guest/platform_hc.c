/* SPDX-License-Identifier: MIT */
/* The bare matmul guest under mini-kvm: hypercalls (include/mini-kvm/hypercall.h) from ring 3. */
#include <stdint.h>

#include <mini-kvm/hypercall.h>

#include "platform.h"

/* The parameter line read from mini-kvm's standard input. */
#define ARGS_MAX 128

static char args[ARGS_MAX];

void platform_init(void)
{
	unsigned int len = 0;
	int32_t c;

	/* One line of input (HC_GETCHAR reads the VMM's stdin): the bench's parameters. */
	while (len < ARGS_MAX - 1 && (c = hc_getchar()) != HC_EOF && c != '\n')
		args[len++] = (char)c;
	args[len] = '\0';
}

const char *platform_args(void)
{
	return args;
}

uint64_t platform_now_ns(void)
{
	return hc_clock();
}

void platform_write(const char *s, unsigned int len)
{
	/* Identity-mapped: the buffer's address is its guest-physical address. */
	hc_puts((uint32_t)(uintptr_t)s, len);
}

void platform_exit(unsigned int status)
{
	hc_exit(status);
}
