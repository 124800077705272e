/* SPDX-License-Identifier: MIT */
/* Guest RAM: one anonymous mapping, split around the MMIO hole, and checked GPA access. */
#include "memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "arch/x86/layout.h"

int guest_memory_init(struct guest_memory *mem, uint64_t ram_size)
{
	void *map;

	memset(mem, 0, sizeof(*mem));
	if (ram_size < LAYOUT_MEM_MIN || ram_size % LAYOUT_PAGE_SIZE)
		return error_set(
			EINVAL,
			"guest RAM size %llu bytes: must be a multiple of 4 KiB and at least %llu KiB",
			(unsigned long long)ram_size, LAYOUT_MEM_MIN / LAYOUT_KIB);

	/* NORESERVE: a 4 GiB guest that touches 1 MiB costs the host 1 MiB. */
	map = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return error_errno(ENOMEM, "cannot map %llu MiB of guest RAM",
				   (unsigned long long)(ram_size / LAYOUT_MIB));

	/* The guest's secrets stay out of a core dump of mini-kvm (and it stays small). */
	if (madvise(map, ram_size, MADV_DONTDUMP) < 0) {
		int err = errno;

		munmap(map, ram_size);
		return error_errno(err, "cannot exclude guest RAM from core dumps (MADV_DONTDUMP)");
	}
	mem->map = map;
	mem->ram_size = ram_size;
	mem->nregions = guest_memory_layout(ram_size, mem->regions);
	for (unsigned int i = 0; i < mem->nregions; i++)
		mem->regions[i].hva = mem->map + (uintptr_t)mem->regions[i].hva;
	return 0;
}

unsigned int guest_memory_layout(uint64_t ram_size, struct guest_region out[GUEST_MAX_REGIONS])
{
	uint64_t low = ram_size < LAYOUT_MMIO_HOLE ? ram_size : LAYOUT_MMIO_HOLE;

	out[0] = (struct guest_region){ .gpa = 0, .size = low, .hva = NULL };
	if (ram_size == low)
		return 1;
	out[1] = (struct guest_region){ .gpa = LAYOUT_4GIB,
					.size = ram_size - low,
					.hva = (uint8_t *)(uintptr_t)low };
	return 2;
}

int guest_memory_map_file(const struct guest_memory *mem, gpa_t gpa, uint64_t size, int fd,
			  uint64_t offset)
{
	uint8_t *hva = guest_ptr(mem, gpa, size);

	if (!hva || !size)
		return error_set(EFAULT, "GPA 0x%llx + 0x%llx is not guest RAM",
				 (unsigned long long)gpa, (unsigned long long)size);
	/* MAP_FIXED replaces the anonymous pages in place: the KVM slot's HVA stays valid. */
	if (mmap(hva, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd,
		 (off_t)offset) == MAP_FAILED)
		return error_errno(errno, "mmap of %llu KiB at file offset 0x%llx over GPA 0x%llx",
				   (unsigned long long)(size / LAYOUT_KIB),
				   (unsigned long long)offset, (unsigned long long)gpa);
	/* A new mapping has its own flags: keep the guest's pages out of core dumps. */
	if (madvise(hva, size, MADV_DONTDUMP) < 0)
		return error_errno(errno, "cannot exclude guest RAM at GPA 0x%llx from core dumps",
				   (unsigned long long)gpa);
	return 0;
}

bool guest_memory_hugepages_pay(uint64_t ram_size, bool large_image)
{
	return large_image || ram_size >= GUEST_HUGEPAGE_MIN_RAM;
}

void guest_memory_advise_hugepages(struct guest_memory *mem)
{
	/*
	 * Transparent huge pages where the host allows them: fewer page faults while
	 * loading a kernel and fewer, larger nested-paging entries while it runs. A
	 * hint only; without THP the mapping works the same.
	 */
	if (mem->map)
		madvise(mem->map, mem->ram_size, MADV_HUGEPAGE);
}

void guest_memory_destroy(struct guest_memory *mem)
{
	if (mem->map)
		munmap(mem->map, mem->ram_size);
	memset(mem, 0, sizeof(*mem));
}

void *guest_ptr(const struct guest_memory *mem, gpa_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_region *r = &mem->regions[i];

		/* Written so that no sum can overflow: gpa and len come from guests. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int guest_write(const struct guest_memory *mem, gpa_t gpa, const void *src, uint64_t len)
{
	void *dst = guest_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int guest_read(const struct guest_memory *mem, gpa_t gpa, void *dst, uint64_t len)
{
	const void *src = guest_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int64_t guest_strnlen(const struct guest_memory *mem, gpa_t gpa, uint64_t max)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_region *r = &mem->regions[i];
		uint64_t avail;
		const char *s, *nul;

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		s = (const char *)r->hva + (gpa - r->gpa);
		avail = r->size - (gpa - r->gpa);
		nul = memchr(s, '\0', avail < max ? avail : max);
		if (nul)
			return nul - s;
		/* No NUL: fine if max stopped us, a fault if the region end did. */
		return max <= avail ? (int64_t)max : -EFAULT;
	}
	return -EFAULT;
}
