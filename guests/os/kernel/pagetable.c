/* SPDX-License-Identifier: MIT */
/* Page tables (SDM 3A, 4.5: 4-level paging, 4 KiB pages) for the kernel and each process. */
#include "abi.h"
#include "tty.h"
#include "memlayout.h"
#include "page.h"
#include "pagetable.h"
#include "privileged.h"

#define ENTRIES		512
#define INDEX_BITS	9
#define INDEX_MASK	(ENTRIES - 1)
#define LEVELS		4
#define PTE_ADDR_MASK	0x000ffffffffff000ull
#define USER_HALF_SLOTS (ENTRIES / 2) /* PML4 slots 0-255: the lower half */

static uint64_t kernel_pml4;

/* The index of va in the table of level (4 = PML4 ... 1 = PT). */
static unsigned int pt_index(uint64_t va, int level)
{
	return (va >> (PAGE_SHIFT + INDEX_BITS * (level - 1))) & INDEX_MASK;
}

static uint64_t *table(uint64_t pa)
{
	return phys_to_virt(pa & PTE_ADDR_MASK);
}

/*
 * The PT entry of va, creating missing tables with flags when create is set.
 * Returns NULL when a table is missing (or cannot be allocated).
 */
static uint64_t *pte_lookup(uint64_t pml4, uint64_t va, int create, uint64_t flags)
{
	uint64_t *t = table(pml4);

	for (int level = LEVELS; level > 1; level--) {
		uint64_t *e = &t[pt_index(va, level)];

		if (!(*e & PTE_P)) {
			uint64_t pa;

			if (!create || !(pa = page_alloc()))
				return 0;
			*e = pa | flags;
		}
		t = table(*e);
	}
	return &t[pt_index(va, 1)];
}

int vm_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
	/* Intermediate entries as permissive as the leaf: the leaf decides (SDM 3A, 4.6). */
	uint64_t *pte = pte_lookup(pml4, va, 1, PTE_P | PTE_W | (flags & PTE_U));

	if (!pte)
		return OS_ENOMEM;
	*pte = pa | flags | PTE_P;
	return 0;
}

void vm_init(void)
{
	kernel_pml4 = page_alloc();
	if (!kernel_pml4)
		panic("no page for the kernel's PML4");
	for (uint64_t pa = 0; pa < OS_RAM_END; pa += PAGE_SIZE)
		if (vm_map(kernel_pml4, KERNEL_VBASE + pa, pa, PTE_W))
			panic("out of memory mapping the kernel");
	write_cr3(kernel_pml4);
}

uint64_t vm_kernel_pml4(void)
{
	return kernel_pml4;
}

uint64_t vm_create(void)
{
	uint64_t pml4 = page_alloc();
	uint64_t *dst, *src;

	if (!pml4)
		return 0;
	/* Share the kernel's upper-half tables: its mappings never change after vm_init. */
	dst = table(pml4);
	src = table(kernel_pml4);
	for (unsigned int i = USER_HALF_SLOTS; i < ENTRIES; i++)
		dst[i] = src[i];
	return pml4;
}

/* Free the table at pa and, below it, every table and (level 1) page it points to. */
static void free_tree(uint64_t pa, int level)
{
	uint64_t *t = table(pa);

	for (unsigned int i = 0; i < ENTRIES; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if (level > 1)
			free_tree(t[i] & PTE_ADDR_MASK, level - 1);
		else
			page_free(t[i] & PTE_ADDR_MASK);
	}
	page_free(pa);
}

void vm_destroy(uint64_t pml4)
{
	uint64_t *t = table(pml4);

	for (unsigned int i = 0; i < USER_HALF_SLOTS; i++)
		if (t[i] & PTE_P)
			free_tree(t[i] & PTE_ADDR_MASK, LEVELS - 1);
	page_free(pml4);
}

int vm_user_range_ok(uint64_t pml4, uint64_t va, uint64_t len, int write)
{
	uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
	uint64_t end = va + len;

	if (end < va || end > USER_STACK_TOP)
		return 0;
	for (uint64_t page = va & ~(PAGE_SIZE - 1); page < end; page += PAGE_SIZE) {
		uint64_t *pte = pte_lookup(pml4, page, 0, 0);

		if (!pte || (*pte & need) != need)
			return 0;
	}
	return 1;
}
