/* SPDX-License-Identifier: MIT */
/* PIO and MMIO buses: a short sorted table of ranges, searched per access. */
#include "bus.h"

#include <errno.h>
#include <string.h>

#include "error.h"

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_device *dev)
{
	unsigned int pos = 0;

	if (len == 0 || base + len < base)
		return error_set(EINVAL,
				 "%s bus: device '%s' has an empty or wrapping range at 0x%llx",
				 bus->name, dev->name, (unsigned long long)base);
	if (bus->nranges == BUS_MAX_RANGES)
		return error_set(ENOSPC, "%s bus: no room for device '%s' (%d ranges taken)",
				 bus->name, dev->name, BUS_MAX_RANGES);

	while (pos < bus->nranges && bus->ranges[pos].base < base)
		pos++;
	/* Sorted and disjoint: only the neighbours can overlap the new range. */
	for (unsigned int i = pos ? pos - 1 : 0; i < bus->nranges && i <= pos; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len)
			return error_set(
				EEXIST,
				"%s bus: device '%s' at [0x%llx, 0x%llx) overlaps '%s' at [0x%llx, 0x%llx)",
				bus->name, dev->name, (unsigned long long)base,
				(unsigned long long)(base + len), r->dev.name,
				(unsigned long long)r->base,
				(unsigned long long)(r->base + r->len));
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nranges - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){ .base = base, .len = len, .dev = *dev };
	bus->nranges++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t size)
{
	for (unsigned int i = 0; i < bus->nranges; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base < r->len && size <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}

int bus_read(const struct bus *bus, uint64_t addr, void *data, uint32_t size)
{
	const struct bus_range *r = bus_find(bus, addr, size);

	/* All ones, as a read from an empty ISA bus or unmapped PCI space returns. */
	memset(data, 0xff, size);
	if (!r)
		return BUS_UNCLAIMED;
	if (!r->dev.read)
		return 0;
	return r->dev.read(r->dev.opaque, addr - r->base, data, size);
}

int bus_write(const struct bus *bus, uint64_t addr, const void *data, uint32_t size,
	      struct bus_regs *regs)
{
	const struct bus_range *r = bus_find(bus, addr, size);

	if (!r)
		return BUS_UNCLAIMED;
	if (r->dev.call)
		return regs ? r->dev.call(r->dev.opaque, addr - r->base, data, size, regs) : 0;
	if (!r->dev.write)
		return 0;
	return r->dev.write(r->dev.opaque, addr - r->base, data, size);
}
