/* SPDX-License-Identifier: MIT */
/* Multiboot v1 (Multiboot Specification 0.6.96): find the header, load the kernel, write the information structure. */
#ifndef MINI_KVM_MULTIBOOT_H
#define MINI_KVM_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/bootparams.h"
#include "loaders/image.h"
#include "loaders/loader.h"
#include "memory.h"

/* 3.1.1, 3.1.2: the header, 4-byte aligned, wholly within the first 8192 bytes. */
#define MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define MULTIBOOT_SEARCH       8192
#define MULTIBOOT_HEADER_ALIGN 4
#define MULTIBOOT_HEADER_BASE  12 /* magic, flags, checksum */
#define MULTIBOOT_HEADER_ADDRS 32 /* ... and the address fields (flag 16) */
#define MULTIBOOT_HEADER_VIDEO 48 /* ... and the video fields (flag 2) */
/* 3.2: EAX at entry. */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002

/* Header flags (3.1.2). Bits 0-15 are requirements, 16-31 optional features. */
#define MULTIBOOT_PAGE_ALIGN	 (1U << 0)  /* modules on 4 KiB boundaries */
#define MULTIBOOT_MEMORY_INFO	 (1U << 1)  /* mem_* fields (and mmap_* if there is a map) */
#define MULTIBOOT_VIDEO_MODE	 (1U << 2)  /* video mode table: refused, no display */
#define MULTIBOOT_AOUT_KLUDGE	 (1U << 16) /* load by the header's address fields */
#define MULTIBOOT_REQUIRED_FLAGS 0xffffU
#define MULTIBOOT_KNOWN_REQUIRED (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

/* Information structure flags (3.3): which fields are valid. */
#define MULTIBOOT_INFO_MEMORY		(1U << 0)
#define MULTIBOOT_INFO_BOOTDEV		(1U << 1)
#define MULTIBOOT_INFO_CMDLINE		(1U << 2)
#define MULTIBOOT_INFO_MODS		(1U << 3)
#define MULTIBOOT_INFO_AOUT_SYMS	(1U << 4)
#define MULTIBOOT_INFO_ELF_SHDR		(1U << 5)
#define MULTIBOOT_INFO_MEM_MAP		(1U << 6)
#define MULTIBOOT_INFO_DRIVE_INFO	(1U << 7)
#define MULTIBOOT_INFO_CONFIG_TABLE	(1U << 8)
#define MULTIBOOT_INFO_BOOT_LOADER_NAME (1U << 9)
#define MULTIBOOT_INFO_APM_TABLE	(1U << 10)
#define MULTIBOOT_INFO_VBE_INFO		(1U << 11)
#define MULTIBOOT_INFO_FRAMEBUFFER_INFO (1U << 12)

/* mmap entry types (3.3): 1 is available RAM; the rest are the ACPI/E820 types. */
#define MULTIBOOT_MEMORY_AVAILABLE 1
#define MULTIBOOT_MEMORY_RESERVED  2

#define MULTIBOOT_LOADER_NAME "mini-kvm"

/* 3.1.1 "OS image format": the header as in the file. */
struct multiboot_header {
	uint32_t magic;		/* MULTIBOOT_HEADER_MAGIC */
	uint32_t flags;		/* MULTIBOOT_* header flags */
	uint32_t checksum;	/* magic + flags + checksum == 0 (mod 2^32) */
	uint32_t header_addr;	/* flag 16: the GPA the header's magic loads at */
	uint32_t load_addr;	/* flag 16: GPA of the first byte loaded */
	uint32_t load_end_addr; /* flag 16: end of the bytes loaded; 0: to the file's end */
	uint32_t bss_end_addr;	/* flag 16: end of the zeroed bss; 0: none */
	uint32_t entry_addr;	/* flag 16: where to jump */
	uint32_t mode_type;	/* flag 2 */
	uint32_t width;
	uint32_t height;
	uint32_t depth;
};

/* 3.3 "Boot information format": every address a 32-bit GPA. */
struct multiboot_info {
	uint32_t flags;		/* MULTIBOOT_INFO_* */
	uint32_t mem_lower;	/* KiB of RAM from 0 (at most 640) */
	uint32_t mem_upper;	/* KiB of RAM from 1 MiB to the first hole */
	uint32_t boot_device;	/* absent: no BIOS drive */
	uint32_t cmdline;	/* NUL-terminated */
	uint32_t mods_count;	/* struct multiboot_module[mods_count] ... */
	uint32_t mods_addr;	/* ... here */
	uint32_t syms[4];	/* a.out or ELF symbols: not given */
	uint32_t mmap_length;	/* bytes of the memory map ... */
	uint32_t mmap_addr;	/* ... here: struct multiboot_mmap_entry, size-prefixed */
	uint32_t drives_length; /* not given */
	uint32_t drives_addr;
	uint32_t config_table;	   /* not given */
	uint32_t boot_loader_name; /* NUL-terminated */
	uint32_t apm_table;	   /* not given */
	uint32_t vbe_control_info; /* not given: no display */
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
	uint64_t framebuffer_addr; /* not given */
	uint32_t framebuffer_pitch;
	uint32_t framebuffer_width;
	uint32_t framebuffer_height;
	uint8_t framebuffer_bpp;
	uint8_t framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));

/* 3.3, "mods": one boot module. */
struct multiboot_module {
	uint32_t mod_start; /* first byte */
	uint32_t mod_end;   /* one past the last byte (as GRUB sets it) */
	uint32_t string;    /* NUL-terminated: the module's command line */
	uint32_t reserved;  /* 0 */
};

/* 3.3, "mmap": size is the entry's length without the size field itself. */
struct multiboot_mmap_entry {
	uint32_t size; /* MULTIBOOT_MMAP_ENTRY_SIZE */
	uint64_t base_addr;
	uint64_t length;
	uint32_t type; /* MULTIBOOT_MEMORY_* */
} __attribute__((packed));
#define MULTIBOOT_MMAP_ENTRY_SIZE (sizeof(struct multiboot_mmap_entry) - sizeof(uint32_t))

_Static_assert(offsetof(struct multiboot_header, header_addr) == 12, "header_addr");
_Static_assert(offsetof(struct multiboot_header, entry_addr) == 28, "entry_addr");
_Static_assert(offsetof(struct multiboot_header, mode_type) == MULTIBOOT_HEADER_ADDRS, "mode_type");
_Static_assert(sizeof(struct multiboot_header) == MULTIBOOT_HEADER_VIDEO, "header is 48 bytes");
_Static_assert(offsetof(struct multiboot_info, mem_lower) == 4, "mem_lower");
_Static_assert(offsetof(struct multiboot_info, mem_upper) == 8, "mem_upper");
_Static_assert(offsetof(struct multiboot_info, boot_device) == 12, "boot_device");
_Static_assert(offsetof(struct multiboot_info, cmdline) == 16, "cmdline");
_Static_assert(offsetof(struct multiboot_info, mods_count) == 20, "mods_count");
_Static_assert(offsetof(struct multiboot_info, mods_addr) == 24, "mods_addr");
_Static_assert(offsetof(struct multiboot_info, syms) == 28, "syms");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "mmap_length");
_Static_assert(offsetof(struct multiboot_info, mmap_addr) == 48, "mmap_addr");
_Static_assert(offsetof(struct multiboot_info, drives_length) == 52, "drives_length");
_Static_assert(offsetof(struct multiboot_info, config_table) == 60, "config_table");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "boot_loader_name");
_Static_assert(offsetof(struct multiboot_info, apm_table) == 68, "apm_table");
_Static_assert(offsetof(struct multiboot_info, vbe_control_info) == 72, "vbe_control_info");
_Static_assert(offsetof(struct multiboot_info, vbe_mode) == 80, "vbe_mode");
_Static_assert(offsetof(struct multiboot_info, framebuffer_addr) == 88, "framebuffer_addr");
_Static_assert(offsetof(struct multiboot_info, framebuffer_bpp) == 108, "framebuffer_bpp");
_Static_assert(offsetof(struct multiboot_info, color_info) == 110, "color_info");
_Static_assert(sizeof(struct multiboot_info) == 116, "multiboot_info is 116 bytes");
_Static_assert(sizeof(struct multiboot_module) == 16, "module is 16 bytes");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry is 24 bytes");

/*
 * Where a Multiboot boot puts its structures (moves to arch/x86/layout.h): the
 * information structure, module list, boot loader name and memory map in the boot info
 * page; the command line, then the module's string, where a bzImage's command line
 * goes. All below 1 MiB, where 3.2 leaves the OS free to put its stack or tables once
 * it has read them.
 */
#define LAYOUT_MULTIBOOT_INFO	     LAYOUT_BOOT_INFO
#define LAYOUT_MULTIBOOT_MODS	     (LAYOUT_MULTIBOOT_INFO + LAYOUT_U64(0x80))
#define MULTIBOOT_MODS_MAX	     1 /* the initrd (-i) */
#define LAYOUT_MULTIBOOT_LOADER_NAME (LAYOUT_MULTIBOOT_INFO + LAYOUT_U64(0xc0))
#define LAYOUT_MULTIBOOT_MMAP	     (LAYOUT_MULTIBOOT_INFO + LAYOUT_U64(0x100))
#define MULTIBOOT_MMAP_MAX	     BOOT_E820_MAX
#define LAYOUT_MULTIBOOT_STRINGS     LAYOUT_CMDLINE
#define MULTIBOOT_STRINGS_MAX	     LAYOUT_CMDLINE_MAX

_Static_assert(LAYOUT_MULTIBOOT_INFO + sizeof(struct multiboot_info) <= LAYOUT_MULTIBOOT_MODS,
	       "info overlaps the module list");
_Static_assert(LAYOUT_MULTIBOOT_MODS + MULTIBOOT_MODS_MAX * sizeof(struct multiboot_module) <=
		       LAYOUT_MULTIBOOT_LOADER_NAME,
	       "module list overlaps the loader name");
_Static_assert(LAYOUT_MULTIBOOT_LOADER_NAME + sizeof(MULTIBOOT_LOADER_NAME) <=
		       LAYOUT_MULTIBOOT_MMAP,
	       "loader name overlaps the memory map");
_Static_assert(LAYOUT_MULTIBOOT_MMAP + MULTIBOOT_MMAP_MAX * sizeof(struct multiboot_mmap_entry) <=
		       LAYOUT_BOOT_INFO_END,
	       "the memory map passes the boot info page");

/* A parsed Multiboot kernel. */
struct multiboot_kernel {
	struct guest_image img;	     /* path (set it first); segments by GPA; entry; mode
					BOOT_MODE_PROTECTED; format IMAGE_FLAT for the
					a.out kludge, else the ELF class */
	struct multiboot_header hdr; /* as in the file; fields past what flags ask for are 0 */
	size_t header_offset;	     /* file offset of the magic */
	uint64_t kernel_end;	     /* end of the highest segment (memsz): modules go above */
};

/*
 * Parse the kernel in buf (size bytes): find the Multiboot header (a 4-byte aligned
 * magic whose checksum holds, wholly in the first MULTIBOOT_SEARCH bytes and in the
 * file); refuse required flags mini-kvm cannot meet (bit 2, a video mode: there is no
 * display; bits 3-15: unknown) and ignore unknown optional ones (3.1.2); then load by
 * the address fields if flag 16 is set (3.1.3: load_addr <= header_addr, the header's
 * file offset - (header_addr - load_addr) >= 0, load_end_addr 0 or >= load_addr and
 * within the file, the header inside the bytes loaded, bss_end_addr 0 or >=
 * load_end_addr, entry_addr inside the bytes loaded), else as ELF by its PT_LOADs
 * (elf_parse(); every segment and e_entry below 4 GiB, e_entry inside a segment's file
 * bytes by physical address, since paging is off at entry). k->img.path must be set.
 * Pure. Returns 0, or -ENOEXEC with a message naming the file and the field.
 */
int multiboot_parse(const uint8_t *buf, size_t size, struct multiboot_kernel *k);

/*
 * Find a Multiboot header in buf alone. Returns its file offset (>= 0), or -ENOENT
 * (none; no message) or -ENOEXEC (a magic with a bad checksum and no good header, or a
 * header cut off by the end of the search area or file; message naming path). Pure.
 */
long multiboot_find_header(const uint8_t *buf, size_t size, const char *path);

/* Largest Multiboot kernel multiboot_open() reads. */
#define MULTIBOOT_MAX_FILE_SIZE (1ULL << 30)

/* Read path and multiboot_parse() it. Returns 0 or -errno with a message. Free with multiboot_free(). */
int multiboot_open(const char *path, struct multiboot_kernel *k);
void multiboot_free(struct multiboot_kernel *k);

/* What goes into guest RAM besides the kernel. */
struct multiboot_boot {
	const char *cmdline;	   /* -p; NULL: "" */
	const uint8_t *module;	   /* -i: module 0, or NULL */
	size_t module_size;	   /* bytes; 0: no module */
	const char *module_string; /* its string (the file name); NULL: "" */
};

/*
 * Place k into mem for a Multiboot boot and describe the entry in *entry (3.2):
 * - the segments at their GPAs: each RAM in the E820 map, clear of the boot GDT, the
 *   boot info page and the strings (command line, module string);
 * - module 0 (if module_size) page aligned as high as low RAM allows, above the kernel
 *   and 1 MiB (so flag 0 is always met);
 * - the information structure at LAYOUT_MULTIBOOT_INFO: flags MEMORY (mem_lower = the
 *   RAM below the EBDA, mem_upper = RAM from 1 MiB to the MMIO hole or RAM's end, in
 *   KiB), CMDLINE, MEM_MAP (the E820 map as size-prefixed entries), BOOT_LOADER_NAME
 *   ("mini-kvm"), MODS when there is a module; no boot_device, symbols, drives, APM,
 *   VBE or framebuffer.
 * Nothing is written unless every check passes. *entry: BOOT_MODE_PROTECTED (paging
 * off) at k->img.entry, EAX = MULTIBOOT_BOOTLOADER_MAGIC, EBX = LAYOUT_MULTIBOOT_INFO.
 * Returns 0 or -errno with a message: -EFAULT (a segment not in RAM), -EBUSY (over a
 * boot structure), -E2BIG (strings), -ENOMEM (RAM too small for the kernel, or for the
 * module), -ENOSPC (memory map).
 */
int multiboot_place(const struct multiboot_kernel *k, const struct guest_memory *mem,
		    const struct multiboot_boot *boot, struct loader_entry *entry);

#endif
