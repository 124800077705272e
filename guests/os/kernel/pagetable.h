/* SPDX-License-Identifier: MIT */
/* Page tables: the kernel's higher-half map and the per-process address spaces. */
#ifndef OS_PAGETABLE_H
#define OS_PAGETABLE_H

#include <stdint.h>

/* Page table entry bits (SDM 3A, 4.5). */
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull

/*
 * Build the kernel's own 4-level tables (4 KiB pages): physical [0, OS_RAM_END)
 * at KERNEL_VBASE, supervisor-only, nothing in the lower half. Loads them.
 */
void vm_init(void);

/* The physical address of the kernel-only PML4 (for the idle loop). */
uint64_t vm_kernel_pml4(void);

/* A new address space: empty lower half, the kernel's upper half. 0 when out of memory. */
uint64_t vm_create(void);

/* Map the page at virtual va to physical pa with flags. Returns 0 or OS_ENOMEM. */
int vm_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags);

/* Free every lower-half page and page table, then the PML4 itself. */
void vm_destroy(uint64_t pml4);

/*
 * True when [va, va + len) is mapped user-accessible (and writable, if write) in
 * pml4: the check before the kernel touches a pointer a process passed.
 */
int vm_user_range_ok(uint64_t pml4, uint64_t va, uint64_t len, int write);

#endif /* OS_PAGETABLE_H */
