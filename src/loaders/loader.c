/* SPDX-License-Identifier: MIT */
/* Entry state and placement checks shared by the PVH, Multiboot and boot-sector loaders. */
#include "loaders/loader.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/bootparams.h"
#include "arch/x86/e820.h"
#include "arch/x86/x86.h"
#include "error.h"

int loader_entry_setup(const struct loader_entry *e, const struct guest_memory *mem,
		       struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	int ret = boot_setup(e->mode, e->entry, mem, sregs, regs);

	if (ret < 0)
		return ret;
	regs->rax = e->eax;
	regs->rbx = e->ebx;
	regs->rdx = e->edx;
	if (e->esp)
		regs->rsp = e->esp;
	if (e->tss32) {
		/* SDM 3A 7.2.2: a TSS descriptor is a system segment (S = 0). */
		sregs->tr = (struct kvm_segment){ .base = 0,
						  .limit = LOADER_TSS32_LIMIT,
						  .selector = 0,
						  .type = X86_SEG_TYPE_TSS_BUSY,
						  .present = 1,
						  .s = 0 };
	}
	return 0;
}

uint64_t loader_low_ram_end(const struct guest_memory *mem)
{
	return mem->regions[0].gpa + mem->regions[0].size;
}

int loader_check_ram_size(const struct guest_memory *mem, uint64_t kernel_end, const char *what,
			  const char *path)
{
	uint64_t low_end = loader_low_ram_end(mem);

	if (kernel_end <= low_end || low_end >= LAYOUT_MMIO_HOLE)
		return 0;
	return error_set(
		ENOMEM,
		"%s '%s': -m %llu MiB is too small: the kernel's segments end at 0x%llx: give at least -m %llu",
		what, path, (unsigned long long)(mem->ram_size / LAYOUT_MIB),
		(unsigned long long)kernel_end,
		(unsigned long long)((kernel_end + LAYOUT_MIB - 1) / LAYOUT_MIB));
}

int loader_check_range(const struct guest_memory *mem, uint64_t start, uint64_t end,
		       const struct loader_range *busy, unsigned int n)
{
	struct boot_e820_entry map[BOOT_E820_MAX];
	int entries = e820_build(mem, map, BOOT_E820_MAX);
	bool in_ram = false;

	if (entries < 0)
		return error_set(ENOSPC, "more RAM regions than an E820 map of %d entries holds",
				 BOOT_E820_MAX);
	for (int i = 0; i < entries && start < end; i++) {
		if (map[i].type == E820_TYPE_RAM && start >= map[i].addr &&
		    end - map[i].addr <= map[i].size)
			in_ram = true;
	}
	if (!in_ram)
		return error_set(
			EFAULT,
			"[0x%llx, 0x%llx) is not RAM in the E820 map (RAM: 0-0x%llx, 0x%llx-0x%llx%s)",
			(unsigned long long)start, (unsigned long long)end, LAYOUT_EBDA,
			LAYOUT_HIGH_MEM, (unsigned long long)loader_low_ram_end(mem),
			mem->nregions > 1 ? " and from 4 GiB" : "");
	for (unsigned int i = 0; i < n; i++) {
		if (start < busy[i].end && busy[i].start < end)
			return error_set(EBUSY, "[0x%llx, 0x%llx) overlaps %s at [0x%llx, 0x%llx)",
					 (unsigned long long)start, (unsigned long long)end,
					 busy[i].what, (unsigned long long)busy[i].start,
					 (unsigned long long)busy[i].end);
	}
	return 0;
}

int loader_place_high(const struct guest_memory *mem, uint64_t size, uint64_t floor, uint64_t *gpa)
{
	uint64_t top = loader_low_ram_end(mem);
	uint64_t start;

	/* Written so that no sum can overflow: size comes from a file. */
	if (size > top || (start = (top - size) / LAYOUT_PAGE_SIZE * LAYOUT_PAGE_SIZE) < floor)
		return error_set(
			ENOMEM,
			"%llu bytes do not fit in RAM between 0x%llx and 0x%llx: give more -m",
			(unsigned long long)size, (unsigned long long)floor,
			(unsigned long long)top);
	*gpa = start;
	return 0;
}
