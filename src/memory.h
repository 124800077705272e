/* SPDX-License-Identifier: MIT */
/* Guest RAM: GPA <-> HVA translation with bounds checks, and the RAM map. */
#ifndef MINI_KVM_MEMORY_H
#define MINI_KVM_MEMORY_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* A guest-physical address. Never dereferenced by the host: see guest_ptr(). */
typedef uint64_t gpa_t;

/* One contiguous RAM range, registered as one KVM memory slot. */
struct guest_region {
	gpa_t gpa;     /* first guest-physical byte */
	uint64_t size; /* bytes, a multiple of 4 KiB */
	uint8_t *hva;  /* host virtual address of the first byte */
};

/* Guest RAM: one anonymous mapping, split around the 32-bit MMIO hole. */
#define GUEST_MAX_REGIONS 2

struct guest_memory {
	uint64_t ram_size; /* bytes of RAM in all regions */
	uint8_t *map;	   /* the mmap()ed host range backing all regions */
	struct guest_region regions[GUEST_MAX_REGIONS];
	unsigned int nregions;
};

/*
 * Map ram_size bytes of guest RAM (lazily allocated, zero-filled) and lay them out:
 * [0, min(ram_size, LAYOUT_MMIO_HOLE)) and, for the rest, from 4 GiB up.
 * ram_size: bytes, a multiple of 4 KiB, at least LAYOUT_MEM_MIN.
 * Returns 0, -EINVAL for a bad size, or -ENOMEM (with a message) if mmap fails.
 */
int guest_memory_init(struct guest_memory *mem, uint64_t ram_size);

/*
 * Guest RAM from which transparent huge pages pay without being asked: a 2 MiB page
 * costs a guest that touches a few KiB 2 MiB of host memory (the first write faults
 * in a whole one), so small bare guests get 4 KiB pages (docs/benchmarks.md, "tiny").
 */
#define GUEST_HUGEPAGE_MIN_RAM (1ULL << 30)

/*
 * Whether guest RAM of ram_size bytes should be backed by transparent huge pages:
 * yes from GUEST_HUGEPAGE_MIN_RAM on, or for a guest that loads a large image and
 * touches much of its RAM (large_image: Linux). Pure.
 */
bool guest_memory_hugepages_pay(uint64_t ram_size, bool large_image);

/*
 * Ask for transparent huge pages over all of mem's RAM (MADV_HUGEPAGE), before the
 * guest touches it. A hint: ignored where the host has no THP; never fails.
 */
void guest_memory_advise_hugepages(struct guest_memory *mem);

/*
 * The RAM map of a guest with ram_size bytes, as guest_memory_init() lays it out:
 * [0, min(ram_size, LAYOUT_MMIO_HOLE)) and the rest from 4 GiB up, into out[] (hva
 * is the byte offset into the host mapping, as a pointer from NULL). Pure: for
 * parsers that check addresses against a RAM they have not mapped (snapshots).
 * Returns the number of regions (1 or 2).
 */
unsigned int guest_memory_layout(uint64_t ram_size, struct guest_region out[GUEST_MAX_REGIONS]);

/*
 * Put size bytes of file fd at offset (page-aligned) in place of guest RAM at gpa
 * (page-aligned, the range wholly in one region), copy-on-write (MAP_PRIVATE): the
 * guest reads the file and its writes stay in this process; left out of core dumps
 * as the rest of guest RAM. A snapshot's RAM, a PVH kernel's segments. The pages are
 * the file's until written: the file must not shrink while mapped (an access past its
 * end would be SIGBUS). mem itself is not changed. Returns 0, -EFAULT if the range is
 * not guest RAM, or -errno of mmap or madvise with a message.
 */
int guest_memory_map_file(const struct guest_memory *mem, gpa_t gpa, uint64_t size, int fd,
			  uint64_t offset);

/* Unmap guest RAM. Safe on a zeroed or already destroyed struct. */
void guest_memory_destroy(struct guest_memory *mem);

/*
 * Translate [gpa, gpa + len) to a host pointer. Returns NULL unless the whole
 * range lies inside one RAM region (len 0 counts as inside when gpa is RAM).
 * This is the one way host code reaches guest memory.
 */
void *guest_ptr(const struct guest_memory *mem, gpa_t gpa, uint64_t len);

/*
 * Copy len bytes between host memory and guest RAM at gpa.
 * Returns 0, or -EFAULT if [gpa, gpa + len) is not wholly guest RAM.
 */
int guest_write(const struct guest_memory *mem, gpa_t gpa, const void *src, uint64_t len);
int guest_read(const struct guest_memory *mem, gpa_t gpa, void *dst, uint64_t len);

/*
 * Length of the NUL-terminated string at gpa, looking at no more than max bytes.
 * Returns the length (without the NUL; max if no NUL came first), or -EFAULT if
 * the scan leaves guest RAM before it ends.
 */
int64_t guest_strnlen(const struct guest_memory *mem, gpa_t gpa, uint64_t max);

#endif
