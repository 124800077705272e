/* SPDX-License-Identifier: MIT */
/* Identity-mapped boot page tables for long mode and 32-bit PSE paging. */
#include "arch/x86/paging.h"

#include <errno.h>
#include <stdint.h>

#include "error.h"
#include "arch/x86/layout.h"
#include "arch/x86/x86.h"

/*
 * User-accessible on purpose: a bare guest may drop to ring 3 (where this host
 * class runs code natively) without building page tables of its own. Guests that
 * want protection, like an OS, load their own CR3.
 */
#define TABLE_FLAGS (X86_PTE_PRESENT | X86_PTE_WRITE | X86_PTE_USER)

int64_t paging_build_long(const struct guest_memory *mem)
{
	uint64_t *pml4 = guest_ptr(mem, LAYOUT_PML4, LAYOUT_PAGE_SIZE);
	uint64_t *pdpt = guest_ptr(mem, LAYOUT_PDPT, LAYOUT_PAGE_SIZE);
	uint64_t *pd = guest_ptr(mem, LAYOUT_PD, LAYOUT_PD_COUNT * LAYOUT_PAGE_SIZE);

	if (!pml4 || !pdpt || !pd)
		return error_set(EFAULT, "boot page tables at 0x%llx are not in guest RAM",
				 LAYOUT_PAGE_TABLES);
	for (unsigned int i = 0; i < X86_PT_ENTRIES; i++)
		pml4[i] = pdpt[i] = 0;
	pml4[0] = LAYOUT_PDPT | TABLE_FLAGS;
	for (uint64_t i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD + i * LAYOUT_PAGE_SIZE) | TABLE_FLAGS;
	/* The page directories are contiguous: entry i maps 2 MiB page i. */
	for (uint64_t i = 0; i < LAYOUT_PD_COUNT * X86_PT_ENTRIES; i++)
		pd[i] = (i * X86_PAGE_2M) | TABLE_FLAGS | X86_PTE_PS;
	return LAYOUT_PML4;
}

int64_t paging_build_pse32(const struct guest_memory *mem)
{
	uint32_t *pd = guest_ptr(mem, LAYOUT_PD32, LAYOUT_PAGE_SIZE);
	const uint32_t half = LAYOUT_HIGHER_HALF / X86_PAGE_4M; /* first higher-half entry */

	if (!pd)
		return error_set(EFAULT, "boot page directory at 0x%llx is not in guest RAM",
				 LAYOUT_PD32);
	for (uint32_t i = 0; i < X86_PD32_ENTRIES; i++) {
		uint32_t phys = (i < half ? i : i - half) * X86_PAGE_4M;

		pd[i] = phys | TABLE_FLAGS | X86_PTE_PS;
	}
	return LAYOUT_PD32;
}
