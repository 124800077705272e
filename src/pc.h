/* SPDX-License-Identifier: MIT */
/* Classic PC guests: boot sectors, Multiboot kernels, and the PC a bare --irqchip guest finds. */
#ifndef MINI_KVM_PC_H
#define MINI_KVM_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loaders/bootsector.h"
#include "loaders/multiboot.h"

struct vm;

/* How a classic PC guest boots. */
enum pc_boot {
	PC_BOOT_MULTIBOOT,   /* -k or a GUEST with a Multiboot header (Multiboot 0.6.96) */
	PC_BOOT_BOOT_SECTOR, /* --boot-disk: sector 0 of the first --ata disk */
};

/* A classic PC guest's inputs, read before anything runs. */
struct pc_guest {
	enum pc_boot boot;
	struct multiboot_kernel mb; /* PC_BOOT_MULTIBOOT */
	uint8_t *module;	    /* -i: Multiboot module 0, malloc()ed, or NULL */
	size_t module_size;
	const char *module_path; /* its string in the module list */
	const char *cmdline;	 /* -p, or NULL */
	struct bootsector bs;	 /* PC_BOOT_BOOT_SECTOR */
};

/* What a kernel file given with -k is, judged by its first bytes. */
enum pc_kernel_kind {
	PC_KERNEL_BZIMAGE,   /* the setup header's "HdrS": Linux (linux.c) */
	PC_KERNEL_MULTIBOOT, /* a Multiboot header in its first 8 KiB */
	PC_KERNEL_OTHER,     /* neither: linux_open() takes it (a vmlinux with a PVH note) */
};

/*
 * Which boot path takes the kernel at path, in this order: a bzImage ("HdrS" at
 * 0x202), then a Multiboot header in the first MULTIBOOT_SEARCH bytes, else OTHER (for
 * linux_open(): an ELF vmlinux boots by PVH). A bzImage is tried first because its
 * setup code may hold the bytes of a Multiboot header by chance; a Multiboot kernel
 * never has "HdrS" at 0x202. A kernel with both a Multiboot header and a PVH note
 * boots by Multiboot, the way its authors' loader (GRUB) boots it. Returns the kind
 * (>= 0), or -errno with a message naming the file (cannot open or read; -ENOEXEC: a
 * Multiboot magic with a bad checksum and no good header).
 */
int pc_kernel_kind(const char *path, const char *what);

/*
 * Read the Multiboot kernel at path (multiboot_open()), module 0 from initrd (NULL:
 * none; at most ram_size bytes) and the command line params (NULL: "").
 * Returns 0 with *out (free with pc_free()), or -errno with a message.
 */
int pc_multiboot_open(const char *path, const char *initrd, const char *params, uint64_t ram_size,
		      struct pc_guest **out);

/* Read sector 0 of the disk at path (bootsector_read()). Returns 0 with *out, or -errno. */
int pc_boot_disk_open(const char *path, struct pc_guest **out);

void pc_free(struct pc_guest *g);

/*
 * Write the BIOS data area words a classic kernel reads (IBM PC/AT BIOS; MP 1.4, 4.1):
 * the EBDA's segment at 0x40E (0x9FC0) and the KiB of base memory at 0x413 (639). Every
 * bare guest but a real-mode flat one (loaded at 0, it owns that area) gets them: a
 * zero base-memory word sends the classic MP-table search to "0 KiB - 1 KiB", which
 * wraps to an address no kernel maps, and a kernel that has paging on and no IDT yet
 * triple-faults there, silently. Returns 0 or -EFAULT with a message.
 */
int pc_bda_setup(struct vm *vm);

/*
 * Give a bare --irqchip guest the PC a classic kernel looks for, in its RAM: the MP
 * floating pointer and configuration table (one processor per vCPU, the ISA bus, the
 * I/O APIC, the ISA interrupts) at 0xF0000, where MP 1.4 (4.1) says to search after
 * the EBDA and the last KiB of base memory; the ACPI tables (the MADT with every vCPU,
 * the FADT saying the CMOS RTC and the text-mode VGA are there) and the reset vector
 * stub (bios.c). Call it, and pc_bda_setup(), before the guest's image is placed: an
 * image over the BDA or the BIOS area wins. Returns 0 or -errno with a message.
 */
int pc_platform_setup(struct vm *vm);

/*
 * Load g into vm and start vCPU 0 as its boot path says: Multiboot in 32-bit
 * protected mode with EAX = 0x2BADB002, EBX = the information structure; a boot
 * sector at 0000:7C00 in real mode with DL = 0x80 and the no-BIOS trap stub in every
 * IVT vector. The other vCPUs wait for INIT/SIPI (in-kernel LAPIC). Returns 0 or
 * -errno with a message.
 */
int pc_load(struct pc_guest *g, struct vm *vm);

#endif
