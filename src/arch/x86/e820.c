/* SPDX-License-Identifier: MIT */
/* Building the E820 map from guest RAM: what Linux believes about its memory. */
#include "arch/x86/e820.h"

#include <errno.h>

#include "arch/x86/layout.h"

static int add(struct boot_e820_entry *table, unsigned int max, unsigned int *n, uint64_t start,
	       uint64_t end, uint32_t type)
{
	if (end <= start)
		return 0;
	if (*n == max)
		return -ENOSPC;
	table[(*n)++] =
		(struct boot_e820_entry){ .addr = start, .size = end - start, .type = type };
	return 0;
}

int e820_build(const struct guest_memory *mem, struct boot_e820_entry *table, unsigned int max)
{
	const struct guest_region *low = &mem->regions[0];
	uint64_t low_end = low->gpa + low->size;
	unsigned int n = 0;
	int ret = 0;

	ret |= add(table, max, &n, 0, LAYOUT_EBDA, E820_TYPE_RAM);
	ret |= add(table, max, &n, LAYOUT_EBDA, LAYOUT_LOW_RAM_END, E820_TYPE_RESERVED);
	ret |= add(table, max, &n, LAYOUT_BIOS_AREA, LAYOUT_BIOS_AREA_END, E820_TYPE_RESERVED);
	ret |= add(table, max, &n, LAYOUT_HIGH_MEM, low_end, E820_TYPE_RAM);
	for (unsigned int i = 1; i < mem->nregions; i++)
		ret |= add(table, max, &n, mem->regions[i].gpa,
			   mem->regions[i].gpa + mem->regions[i].size, E820_TYPE_RAM);
	return ret ? -ENOSPC : (int)n;
}
