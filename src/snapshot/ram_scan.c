/* SPDX-License-Identifier: MIT */
/* Finding the guest RAM worth saving: pagemap for what was touched, a scan for what is not zero. */
#include "snapshot/ram_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"

/* /proc/self/pagemap: one 64-bit entry per virtual page (pagemap.rst). */
#define PAGEMAP_PATH	"/proc/self/pagemap"
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define PAGEMAP_BATCH	512 /* entries read at a time: one page of them */
#define BITS_PER_WORD	64

static void set_bit(uint64_t *map, uint64_t i)
{
	map[i / BITS_PER_WORD] |= 1ULL << (i % BITS_PER_WORD);
}

static bool test_bit(const uint64_t *map, uint64_t i)
{
	return map[i / BITS_PER_WORD] >> (i % BITS_PER_WORD) & 1;
}

static bool page_is_zero(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;
	uint64_t any = 0;

	for (size_t i = 0; i < SNAPSHOT_PAGE_SIZE / sizeof(*w); i++)
		any |= w[i];
	return any == 0;
}

/*
 * Mark in candidates the pages of mem->map that pagemap says are present or swapped.
 * Returns 0, or -1 when pagemap cannot be read (the caller then scans everything).
 */
static int mark_touched(const struct guest_memory *mem, uint64_t npages, uint64_t *candidates)
{
	uint64_t entries[PAGEMAP_BATCH];
	uint64_t first = (uintptr_t)mem->map / SNAPSHOT_PAGE_SIZE;
	int fd = open(PAGEMAP_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (uint64_t page = 0; page < npages; page += PAGEMAP_BATCH) {
		uint64_t n = npages - page < PAGEMAP_BATCH ? npages - page : PAGEMAP_BATCH;
		ssize_t got = pread(fd, entries, n * sizeof(entries[0]),
				    (off_t)((first + page) * sizeof(entries[0])));

		if (got != (ssize_t)(n * sizeof(entries[0]))) {
			close(fd);
			return -1;
		}
		for (uint64_t i = 0; i < n; i++)
			if (entries[i] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED))
				set_bit(candidates, page + i);
	}
	close(fd);
	return 0;
}

uint64_t ram_scan_gpa(const struct guest_memory *mem, uint64_t page)
{
	uint64_t offset = page * SNAPSHOT_PAGE_SIZE;

	for (unsigned int i = 0; i < mem->nregions; i++) {
		uint64_t start = (uint64_t)(mem->regions[i].hva - mem->map);

		if (offset >= start && offset - start < mem->regions[i].size)
			return mem->regions[i].gpa + (offset - start);
	}
	return UINT64_MAX;
}

/* The page index in mem->map where the region holding page ends. */
static uint64_t region_end(const struct guest_memory *mem, uint64_t page)
{
	uint64_t offset = page * SNAPSHOT_PAGE_SIZE;

	for (unsigned int i = 0; i < mem->nregions; i++) {
		uint64_t start = (uint64_t)(mem->regions[i].hva - mem->map);

		if (offset >= start && offset - start < mem->regions[i].size)
			return (start + mem->regions[i].size) / SNAPSHOT_PAGE_SIZE;
	}
	return page + 1;
}

static int add_run(struct ram_scan *scan, size_t *cap, uint64_t first, uint64_t end)
{
	if (scan->nruns == *cap) {
		size_t n = *cap ? 2 * *cap : 64;
		struct ram_run *runs = realloc(scan->runs, n * sizeof(*runs));

		if (!runs)
			return error_set(ENOMEM, "no memory for the snapshot's RAM runs");
		scan->runs = runs;
		*cap = n;
	}
	scan->runs[scan->nruns++] = (struct ram_run){ .first = first, .count = end - first };
	scan->run_pages += end - first;
	return 0;
}

int ram_scan(const struct guest_memory *mem, const struct snapshot_ram_extent *also, size_t nalso,
	     struct ram_scan *scan)
{
	uint64_t npages = mem->ram_size / SNAPSHOT_PAGE_SIZE;
	size_t words = (npages + BITS_PER_WORD - 1) / BITS_PER_WORD;
	uint64_t *candidates = calloc(words ? words : 1, sizeof(uint64_t));
	uint64_t run_first = 0, run_end = 0, limit = 0;
	size_t cap = 0;
	int ret = 0;

	memset(scan, 0, sizeof(*scan));
	scan->npages = npages;
	scan->nonzero = calloc(words ? words : 1, sizeof(uint64_t));
	if (!candidates || !scan->nonzero) {
		free(candidates);
		free(scan->nonzero);
		scan->nonzero = NULL;
		return error_set(ENOMEM, "no memory for a bitmap of %llu pages",
				 (unsigned long long)npages);
	}
	scan->pagemap = mark_touched(mem, npages, candidates) == 0;
	if (!scan->pagemap)
		memset(candidates, 0xff, words * sizeof(uint64_t));
	for (size_t i = 0; i < nalso; i++) {
		const uint8_t *hva = guest_ptr(mem, also[i].gpa, also[i].size);

		for (uint64_t p = 0; hva && p < also[i].size / SNAPSHOT_PAGE_SIZE; p++)
			set_bit(candidates, (uint64_t)(hva - mem->map) / SNAPSHOT_PAGE_SIZE + p);
	}

	for (uint64_t page = 0; page < npages && ret == 0; page++) {
		if (!test_bit(candidates, page) ||
		    page_is_zero(mem->map + page * SNAPSHOT_PAGE_SIZE))
			continue;
		set_bit(scan->nonzero, page);
		scan->nonzero_pages++;
		/* Extend the open run across a short gap in the same region, else start anew. */
		if (run_end && page < limit && page - run_end <= RAM_SCAN_MERGE_PAGES) {
			run_end = page + 1;
			continue;
		}
		if (run_end)
			ret = add_run(scan, &cap, run_first, run_end);
		run_first = page;
		run_end = page + 1;
		limit = region_end(mem, page);
	}
	if (ret == 0 && run_end)
		ret = add_run(scan, &cap, run_first, run_end);
	free(candidates);
	if (ret < 0)
		ram_scan_free(scan);
	return ret;
}

void ram_scan_free(struct ram_scan *scan)
{
	free(scan->nonzero);
	free(scan->runs);
	memset(scan, 0, sizeof(*scan));
}

int ram_scan_prepare_copy(const struct guest_memory *mem, struct guest_memory *copy)
{
	uint64_t npages = mem->ram_size / SNAPSHOT_PAGE_SIZE;
	size_t words = (npages + BITS_PER_WORD - 1) / BITS_PER_WORD;
	uint64_t *touched = calloc(words ? words : 1, sizeof(uint64_t));
	uint8_t *map = mmap(NULL, mem->ram_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (!touched || map == MAP_FAILED) {
		free(touched);
		if (map != MAP_FAILED)
			munmap(map, mem->ram_size);
		return error_set(ENOMEM, "no memory for a copy of %llu MiB of guest RAM",
				 (unsigned long long)(mem->ram_size >> 20));
	}
	*copy = *mem;
	copy->map = map;
	for (unsigned int i = 0; i < mem->nregions; i++)
		copy->regions[i].hva = map + (mem->regions[i].hva - mem->map);
	/* Without pagemap, pages fault in during the copy instead: slower, the same. */
	if (mark_touched(mem, npages, touched) == 0)
		for (uint64_t p = 0; p < npages; p++)
			if (test_bit(touched, p))
				map[p * SNAPSHOT_PAGE_SIZE] = 0; /* a write fault allocates it */
	free(touched);
	return 0;
}

void ram_scan_copy(const struct guest_memory *mem, const struct ram_scan *scan,
		   struct guest_memory *copy)
{
	for (size_t r = 0; r < scan->nruns; r++) {
		const struct ram_run *run = &scan->runs[r];
		uint64_t end = run->first + run->count;

		for (uint64_t p = run->first; p < end;) {
			uint64_t n = 0;

			while (p + n < end && ram_scan_nonzero(scan, p + n))
				n++;
			if (n)
				memcpy(copy->map + p * SNAPSHOT_PAGE_SIZE,
				       mem->map + p * SNAPSHOT_PAGE_SIZE, n * SNAPSHOT_PAGE_SIZE);
			p += n ? n : 1;
		}
	}
}
