/* SPDX-License-Identifier: MIT */
/* Boot modes for flat and ELF guests: the CPU state each mode starts in. */
#ifndef MINI_KVM_BOOT_STATE_H
#define MINI_KVM_BOOT_STATE_H

#include <linux/kvm.h>
#include <stdint.h>

#include "memory.h"

enum boot_mode {
	BOOT_MODE_AUTO = 0,  /* the image decides: flat real, ELF32 protected/paging, ELF64 long */
	BOOT_MODE_REAL,	     /* 16-bit real mode */
	BOOT_MODE_PROTECTED, /* 32-bit protected mode, flat GDT, no paging */
	BOOT_MODE_PAGING,    /* protected + 32-bit PSE paging, identity and higher half */
	BOOT_MODE_LONG,	     /* 64-bit long mode, identity-mapped 4 GiB */
	BOOT_MODE_LINUX,     /* long mode as the Linux 64-bit boot protocol wants it (-k) */
};

/* "real", "protected", "paging", "long" ("auto" for BOOT_MODE_AUTO). */
const char *boot_mode_name(enum boot_mode mode);

/* Parse a --mode argument (real, protected, paging, long). Returns 0, or -EINVAL. */
int boot_mode_parse(const char *name, enum boot_mode *mode);

/*
 * Prepare the CPU state mode starts in, entering at entry (a linear address; in
 * real mode below 1 MiB, reached as CS:IP with CS = entry's 64 KiB block).
 * Writes the boot GDT and page tables the mode needs into mem, and edits *sregs
 * (which must hold KVM's reset state, from KVM_GET_SREGS) and *regs.
 * Returns 0, or -errno with a message (-EINVAL: entry not reachable in mode,
 * -EFAULT: boot structures not in RAM).
 */
int boot_setup(enum boot_mode mode, uint64_t entry, const struct guest_memory *mem,
	       struct kvm_sregs *sregs, struct kvm_regs *regs);

/*
 * The guest-physical ranges boot_setup() writes for mode, so that loaders can refuse
 * images that overlap them. Fills at most max ranges; returns how many.
 */
struct boot_reserved {
	uint64_t start, end; /* [start, end) */
	const char *what;
};
unsigned int boot_reserved_ranges(enum boot_mode mode, struct boot_reserved *out, unsigned int max);

#endif
