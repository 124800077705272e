/* SPDX-License-Identifier: MIT */
/* The physical page allocator: a free list of 4 KiB pages threaded through the pages. */
#ifndef OS_PAGE_H
#define OS_PAGE_H

#include <stdint.h>

/* Hand the pages of [start, end) (physical, page aligned) to the allocator. */
void page_init(uint64_t start, uint64_t end);

/* A zeroed page; returns its physical address, or 0 when none is left. */
uint64_t page_alloc(void);

/* Give back a page from page_alloc(). */
void page_free(uint64_t pa);

/* Pages free now: the leak check compares it before and after. */
uint64_t page_free_count(void);

/* Bytes set to zero / copied with rep stos / rep movs: one instruction each for the emulator. */
void page_zero(void *dst);
void page_copy(void *dst, const void *src, uint64_t len);

#endif /* OS_PAGE_H */
