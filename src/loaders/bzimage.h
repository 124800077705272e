/* SPDX-License-Identifier: MIT */
/* Linux bzImages: parse the setup_header, then place kernel, zero page, command line and initrd. */
#ifndef MINI_KVM_BZIMAGE_H
#define MINI_KVM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/bootparams.h"
#include "memory.h"

/* Largest bzImage and initrd mini-kvm reads. */
#define BZIMAGE_MAX_FILE_SIZE (1ULL << 30)
#define INITRD_MAX_FILE_SIZE  (1ULL << 32)

struct bzimage {
	char path[256]; /* for messages */
	uint8_t *file;	/* the whole file, malloc()ed (bzimage_open) */
	size_t file_size;
	struct setup_header hdr; /* the header as in the file */
	size_t hdr_len;	       /* bytes of it the file really has (0x202 + byte at 0x201 - 0x1f1) */
	size_t setup_size;     /* real-mode setup code: (setup_sects + 1) * 512 bytes */
	const uint8_t *kernel; /* the protected-mode kernel, right after the setup code */
	size_t kernel_size;    /* syssize * 16 bytes */
};

/*
 * Parse size bytes at buf as a bzImage for the 64-bit boot protocol (Linux x86
 * boot protocol 2.15, Documentation/arch/x86/boot.rst): checks the boot flag,
 * the "HdrS" magic, protocol >= 2.06, a loaded-high 64-bit kernel (XLF_KERNEL_64),
 * and that setup_sects and syssize fit in the file. bz->path must be set.
 * Returns 0 or -ENOEXEC with a message naming the file and the field. Pure.
 */
int bzimage_parse(const uint8_t *buf, size_t size, struct bzimage *bz);

/* Read and parse path. Returns 0 or -errno with a message. Free with bzimage_free(). */
int bzimage_open(const char *path, struct bzimage *bz);
void bzimage_free(struct bzimage *bz);

/* What goes into guest RAM besides the kernel. */
struct linux_boot {
	const char *cmdline;   /* kernel command line, NUL-terminated ("" for none) */
	const uint8_t *initrd; /* initramfs bytes, or NULL */
	size_t initrd_size;
	const char *initrd_path; /* for messages */
	uint64_t acpi_rsdp;	 /* GPA of the RSDP, or 0 */
};

/* Where the guest starts. */
struct linux_entry {
	uint64_t kernel_load; /* GPA of the protected-mode kernel */
	uint64_t rip;	      /* 64-bit entry: kernel_load + BOOT_ENTRY_64_OFFSET */
	uint64_t zero_page;   /* GPA of struct boot_params, for RSI */
	uint64_t initrd;      /* GPA of the initrd, 0 if none */
};

/*
 * Place bz into mem for the 64-bit entry: the kernel at pref_address (or the
 * lowest kernel_alignment boundary above 1 MiB) with init_size bytes free after
 * it, the command line at LAYOUT_CMDLINE (at most cmdline_size bytes), the initrd
 * as high as RAM and initrd_addr_max allow but above the kernel's footprint, and
 * the zero page at LAYOUT_ZERO_PAGE with the header, E820 map, command line,
 * initrd and RSDP filled in. Every range is checked against RAM and the others.
 * Returns 0 with *entry filled, or -errno with a message: -E2BIG (command line),
 * -ENOMEM (kernel or initrd do not fit in RAM), -ENOEXEC (a kernel that is not
 * relocatable wants to load below 1 MiB), -ENOSPC (E820 table).
 */
int bzimage_place(const struct bzimage *bz, const struct guest_memory *mem,
		  const struct linux_boot *boot, struct linux_entry *entry);

#endif
