/* SPDX-License-Identifier: MIT */
/* The physical page allocator: a singly linked free list through the free pages themselves. */
#include "tty.h"
#include "memlayout.h"
#include "page.h"

/* A free page holds the physical address of the next one in its first 8 bytes. */
static uint64_t free_head;
static uint64_t free_count;
static uint64_t managed_start, managed_end;

void page_init(uint64_t start, uint64_t end)
{
	managed_start = start;
	managed_end = end;
	for (uint64_t pa = end - PAGE_SIZE; pa >= start; pa -= PAGE_SIZE)
		page_free(pa); /* lowest address ends up first */
}

void page_zero(void *dst)
{
	uint64_t count = PAGE_SIZE / 8;

	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(count) : "a"(0ull) : "memory");
}

void page_copy(void *dst, const void *src, uint64_t len)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
}

uint64_t page_alloc(void)
{
	uint64_t pa = free_head;

	if (!pa)
		return 0;
	free_head = *(uint64_t *)phys_to_virt(pa);
	free_count--;
	page_zero(phys_to_virt(pa));
	return pa;
}

void page_free(uint64_t pa)
{
	if (pa % PAGE_SIZE || pa < managed_start || pa >= managed_end)
		panic("page_free(0x%llx): not a page of the allocator", (unsigned long long)pa);
	*(uint64_t *)phys_to_virt(pa) = free_head;
	free_head = pa;
	free_count++;
}

uint64_t page_free_count(void)
{
	return free_count;
}
