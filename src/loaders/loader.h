/* SPDX-License-Identifier: MIT */
/* What the PVH, Multiboot and boot-sector loaders share: the entry state they ask for, placement checks. */
#ifndef MINI_KVM_LOADER_H
#define MINI_KVM_LOADER_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot_state.h"
#include "arch/x86/layout.h"
#include "memory.h"

/*
 * The TR a PVH kernel is entered with: "a 32-bit TSS (active) with a base of '0' and a
 * limit of '0x67'" (Xen docs/misc/pvh.pandoc, Linux arch/x86/platform/pvh/head.S).
 */
#define LOADER_TSS32_LIMIT 0x67

/*
 * The CPU state a loader asks for: what boot_setup(mode, entry, ...) gives, then the
 * registers below on top. A plain value, filled by pvh_place(), multiboot_place() and
 * bootsector_place(); the VM applies it with loader_entry_setup().
 */
struct loader_entry {
	enum boot_mode mode; /* BOOT_MODE_PROTECTED (PVH, Multiboot) or BOOT_MODE_REAL */
	uint64_t entry;	     /* linear address of the first instruction (real mode: CS:IP
				  as boot_setup() derives it, 0x7c00 -> 0000:7C00) */
	uint32_t eax;	     /* Multiboot: MULTIBOOT_BOOTLOADER_MAGIC */
	uint32_t ebx;	     /* PVH: GPA of hvm_start_info; Multiboot: of the info structure */
	uint32_t edx;	     /* boot sector: DL = the BIOS drive number */
	uint32_t esp;	     /* 0: keep boot_setup()'s stack pointer */
	bool tss32;	     /* PVH: TR = active 32-bit TSS, base 0, limit LOADER_TSS32_LIMIT */
};

/*
 * Apply e: boot_setup(e->mode, e->entry, mem, sregs, regs), then EAX, EBX, EDX (and
 * ESP unless 0) from e, and for e->tss32 the TR the PVH ABI asks for (KVM's reset TR
 * is a busy TSS with limit 0xffff, a 16-bit one under SVM). *sregs must hold KVM's
 * reset state (KVM_GET_SREGS); the caller then does KVM_SET_SREGS and KVM_SET_REGS.
 * Returns 0 or -errno from boot_setup() (with its message).
 */
int loader_entry_setup(const struct loader_entry *e, const struct guest_memory *mem,
		       struct kvm_sregs *sregs, struct kvm_regs *regs);

/* A guest-physical range [start, end) a loader has claimed, named for messages. */
struct loader_range {
	uint64_t start, end;
	const char *what;
};

/*
 * Check that [start, end) (start < end, no wrap) lies wholly in one RAM entry of the
 * E820 map e820_build() makes for mem (so not in the EBDA, the VGA hole, the BIOS area
 * or the MMIO hole), and overlaps none of the n ranges in busy.
 * Returns 0, or -errno with a message "[start, end) <why>": -EFAULT (not RAM; also for
 * start >= end), -EBUSY (overlaps busy[i], named).
 */
int loader_check_range(const struct guest_memory *mem, uint64_t start, uint64_t end,
		       const struct loader_range *busy, unsigned int n);

/*
 * Where size bytes go "high", as bzimage.c puts an initrd: the highest start aligned to
 * LAYOUT_PAGE_SIZE with [start, start + size) below the end of the RAM under the MMIO
 * hole (RAM's end if smaller), and start >= floor. Pure: writes nothing.
 * Returns 0 with *gpa, or -ENOMEM with a message naming both bounds (size 0 fits
 * anywhere: *gpa is the top, aligned).
 */
int loader_place_high(const struct guest_memory *mem, uint64_t size, uint64_t floor, uint64_t *gpa);

/*
 * Refuse a kernel whose segments end at kernel_end beyond RAM when more RAM would help
 * (RAM ends below the MMIO hole): -ENOMEM with "<what> '<path>': -m N MiB is too small
 * ... give at least -m M". Returns 0 otherwise (loader_check_range() judges the rest).
 */
int loader_check_ram_size(const struct guest_memory *mem, uint64_t kernel_end, const char *what,
			  const char *path);

/* End of the RAM below the MMIO hole: regions[0] of mem, where boot data lives. */
uint64_t loader_low_ram_end(const struct guest_memory *mem);

#endif
