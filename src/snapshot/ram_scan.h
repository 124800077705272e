/* SPDX-License-Identifier: MIT */
/* Which pages of guest RAM a snapshot must hold: touched (pagemap) and not all zero. */
#ifndef MINI_KVM_SNAPSHOT_RAM_SCAN_H
#define MINI_KVM_SNAPSHOT_RAM_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"
#include "snapshot/format.h"

/*
 * Runs of saved pages are merged across gaps of up to this many zero pages (1 MiB):
 * the gap costs no disk (a hole in the file) and saves an mmap() and a VMA at restore.
 */
#define RAM_SCAN_MERGE_PAGES 256

/* A run of RAM to save: pages [first, first + count) of the host mapping (mem->map). */
struct ram_run {
	uint64_t first, count;
};

struct ram_scan {
	uint64_t npages;      /* pages of guest RAM */
	uint64_t *nonzero;    /* bitmap by page of mem->map: holds a non-zero byte */
	struct ram_run *runs; /* sorted; none crosses a region boundary */
	size_t nruns;
	uint64_t nonzero_pages; /* pages to write */
	uint64_t run_pages;	/* pages the runs span (holes included) */
	bool pagemap;		/* /proc/self/pagemap narrowed the search */
};

/*
 * Find the pages of mem worth saving. Candidates are the pages that
 * /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst) says are present or
 * swapped, plus those of also[0 .. nalso) (GPA ranges mapped from a file, whose
 * pages are not present until touched: the extents of the snapshot a restored VM
 * came from, or the segments a PVH kernel's load mapped from its vmlinux); without pagemap every page is a candidate. A candidate holding a
 * non-zero byte is saved; runs are merged across RAM_SCAN_MERGE_PAGES zero pages.
 * Reads guest RAM: the vCPUs must be paused. Returns 0 with *scan (free with
 * ram_scan_free()), or -ENOMEM with a message.
 */
int ram_scan(const struct guest_memory *mem, const struct snapshot_ram_extent *also, size_t nalso,
	     struct ram_scan *scan);
void ram_scan_free(struct ram_scan *scan);

/*
 * Make *copy, an anonymous mapping laid out as mem is (free with
 * guest_memory_destroy()), for ram_scan_copy(), with the pages that pagemap says
 * are in use in mem already faulted in: allocating memory is what a copy costs, and
 * this runs before the guest is paused. Returns 0, or -ENOMEM with a message.
 */
int ram_scan_prepare_copy(const struct guest_memory *mem, struct guest_memory *copy);

/*
 * Copy the pages of mem that scan found non-zero into copy (ram_scan_prepare_copy()),
 * so that the guest can run on while the copy is written out. Reads guest RAM: the
 * vCPUs must be paused.
 */
void ram_scan_copy(const struct guest_memory *mem, const struct ram_scan *scan,
		   struct guest_memory *copy);

/* Whether page (an index into mem->map) holds a non-zero byte, per the scan. */
static inline bool ram_scan_nonzero(const struct ram_scan *scan, uint64_t page)
{
	return scan->nonzero[page / 64] >> (page % 64) & 1;
}

/*
 * The guest-physical address of page index page of mem->map, or UINT64_MAX if it is
 * not in a region.
 */
uint64_t ram_scan_gpa(const struct guest_memory *mem, uint64_t page);

#endif
