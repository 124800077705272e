/* SPDX-License-Identifier: MIT */
/* Boot page tables written by the VMM into guest memory (SDM 3A ch. 4). */
#ifndef MINI_KVM_PAGING_H
#define MINI_KVM_PAGING_H

#include "memory.h"

/*
 * Four-level tables at LAYOUT_PML4 that identity-map the first 4 GiB with 2 MiB
 * pages (PML4, one PDPT, LAYOUT_PD_COUNT page directories), read/write, user-accessible.
 * Returns the CR3 value (LAYOUT_PML4), or -EFAULT if the tables are not in RAM.
 */
int64_t paging_build_long(const struct guest_memory *mem);

/*
 * One 32-bit page directory at LAYOUT_PD32 of 4 MiB (PSE) pages: virtual 0..2 GiB
 * identity-mapped, and LAYOUT_HIGHER_HALF + x mapped to physical x, read/write,
 * user-accessible. Needs CR4.PSE.
 * Returns the CR3 value (LAYOUT_PD32), or -EFAULT if it is not in RAM.
 */
int64_t paging_build_pse32(const struct guest_memory *mem);

#endif
