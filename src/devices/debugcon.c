/* SPDX-License-Identifier: MIT */
/* Port 0xe9 debug console (the Bochs "port e9 hack", QEMU's isa-debugcon). */
#include "devices/debugcon.h"

#include <errno.h>
#include <string.h>

#include "error.h"

#define DEBUGCON_MAX_ACCESS 8	 /* bytes: the widest access a bus makes */
#define DEBUGCON_FLOATING   0xff /* bytes beyond the port */

void debugcon_init(struct debugcon *d, const struct debugcon_ops *ops)
{
	memset(d, 0, sizeof(*d));
	if (ops)
		d->ops = *ops;
}

int debugcon_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	uint8_t *out = data;

	(void)opaque;
	if (!size || size > DEBUGCON_MAX_ACCESS)
		return error_set(EINVAL, "debugcon: %u-byte access", size);
	memset(out, DEBUGCON_FLOATING, size);
	if (offset == 0)
		out[0] = DEBUGCON_READBACK;
	return 0;
}

int debugcon_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct debugcon *d = opaque;

	if (!size || size > DEBUGCON_MAX_ACCESS)
		return error_set(EINVAL, "debugcon: %u-byte access", size);
	if (offset != 0 || !d->ops.output)
		return 0;
	return d->ops.output(d->ops.opaque, *(const uint8_t *)data);
}

void debugcon_save(const struct debugcon *d, struct debugcon_state *out)
{
	(void)d;
	memset(out, 0, sizeof(*out));
}

int debugcon_restore(struct debugcon *d, const struct debugcon_state *in)
{
	(void)d;
	if (in->reserved)
		return error_set(EINVAL, "debugcon state: reserved field is not zero");
	return 0;
}
