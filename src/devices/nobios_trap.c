/* SPDX-License-Identifier: MIT */
/* The no-BIOS trap port: the boot-sector trap stub reports the vector it was entered through. */
#include "devices/nobios_trap.h"

#include <string.h>

int nobios_trap_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque, (void)offset;
	memset(data, 0xff, size);
	return 0;
}

int nobios_trap_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	const struct nobios_trap *t = opaque;

	(void)offset, (void)size;
	if (t->ops.trap)
		t->ops.trap(t->ops.opaque, *(const uint8_t *)data);
	return 0;
}
