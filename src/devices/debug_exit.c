/* SPDX-License-Identifier: MIT */
/* isa-debug-exit: a guest ends a test run with a status (QEMU hw/misc/debugexit.c semantics). */
#include "devices/debug_exit.h"

#include <errno.h>
#include <string.h>

#include "error.h"

#define DEBUG_EXIT_MAX_ACCESS 8 /* bytes: the widest access a bus makes */

void debug_exit_init(struct debug_exit *d, const struct debug_exit_ops *ops)
{
	memset(d, 0, sizeof(*d));
	if (ops)
		d->ops = *ops;
}

int debug_exit_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque, (void)offset;
	if (!size || size > DEBUG_EXIT_MAX_ACCESS)
		return error_set(EINVAL, "debug exit: %u-byte access", size);
	memset(data, 0, size);
	return 0;
}

int debug_exit_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct debug_exit *d = opaque;
	const uint8_t *in = data;
	uint64_t value = 0;

	(void)offset;
	if (!size || size > DEBUG_EXIT_MAX_ACCESS)
		return error_set(EINVAL, "debug exit: %u-byte access", size);
	for (uint32_t i = 0; i < size; i++)
		value |= (uint64_t)in[i] << (8 * i);
	if (d->ops.exit)
		d->ops.exit(d->ops.opaque, (value << 1) | 1);
	return 0;
}

void debug_exit_save(const struct debug_exit *d, struct debug_exit_state *out)
{
	(void)d;
	memset(out, 0, sizeof(*out));
}

int debug_exit_restore(struct debug_exit *d, const struct debug_exit_state *in)
{
	(void)d;
	if (in->reserved)
		return error_set(EINVAL, "debug exit state: reserved field is not zero");
	return 0;
}
