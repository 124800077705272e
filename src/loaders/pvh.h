/* SPDX-License-Identifier: MIT */
/* PVH boot: an ELF kernel entered in 32-bit protected mode at its PHYS32 entry note, with hvm_start_info. */
#ifndef MINI_KVM_PVH_H
#define MINI_KVM_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/bootparams.h"
#include "loaders/bzimage.h"
#include "loaders/image.h"
#include "loaders/loader.h"
#include "memory.h"

/*
 * Sources: Xen public/elfnote.h (the note), Xen public/arch-x86/hvm/start_info.h (the
 * structures, "Version 1"), Xen docs/misc/pvh.pandoc and Linux
 * Documentation/arch/x86/boot.rst / arch/x86/platform/pvh/ (the entry state).
 */

/* ELF note of type 18 and owner "Xen": the 32-bit physical entry point (Xen elfnote.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_ELFNOTE_NAME	 "Xen" /* namesz 4: with its NUL */
#define ELF_NOTE_ALIGN		 4     /* namesz and descsz are padded to 4 bytes */

#define HVM_START_MAGIC_VALUE  0x336ec578 /* "xEn3" with the 0x80 bit of the "E" set */
#define HVM_START_INFO_VERSION 1	  /* adds memmap_paddr and memmap_entries */

/* hvm_memmap_table_entry.type: the ACPI address range types (start_info.h). */
#define XEN_HVM_MEMMAP_TYPE_RAM	     1
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2
#define XEN_HVM_MEMMAP_TYPE_ACPI     3
#define XEN_HVM_MEMMAP_TYPE_NVS	     4
#define XEN_HVM_MEMMAP_TYPE_UNUSABLE 5
#define XEN_HVM_MEMMAP_TYPE_DISABLED 6
#define XEN_HVM_MEMMAP_TYPE_PMEM     7

/*
 * The start-of-day structure, its EBX. All addresses are GPAs; 0 means "not present"
 * (nothing is ever placed at 0). Little-endian, naturally aligned: no padding.
 */
struct hvm_start_info {
	uint32_t magic;		 /* HVM_START_MAGIC_VALUE */
	uint32_t version;	 /* HVM_START_INFO_VERSION */
	uint32_t flags;		 /* SIF_* (Xen PV flags): none apply, 0 */
	uint32_t nr_modules;	 /* entries at modlist_paddr */
	uint64_t modlist_paddr;	 /* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;	 /* NUL-terminated ASCII */
	uint64_t rsdp_paddr;	 /* the ACPI RSDP */
	uint64_t memmap_paddr;	 /* version 1: struct hvm_memmap_table_entry[memmap_entries] */
	uint32_t memmap_entries; /* version 1: 0 = no memory map */
	uint32_t reserved;	 /* version 1: 0 */
};

struct hvm_modlist_entry {
	uint64_t paddr;		/* the module's first byte */
	uint64_t size;		/* bytes */
	uint64_t cmdline_paddr; /* its command line, 0 for none */
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;	   /* first byte */
	uint64_t size;	   /* bytes */
	uint32_t type;	   /* XEN_HVM_MEMMAP_TYPE_* */
	uint32_t reserved; /* 0 in version 1 */
};

/* Offsets from the layout diagrams of start_info.h. */
_Static_assert(offsetof(struct hvm_start_info, magic) == 0, "magic");
_Static_assert(offsetof(struct hvm_start_info, version) == 4, "version");
_Static_assert(offsetof(struct hvm_start_info, flags) == 8, "flags");
_Static_assert(offsetof(struct hvm_start_info, nr_modules) == 12, "nr_modules");
_Static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "modlist_paddr");
_Static_assert(offsetof(struct hvm_start_info, cmdline_paddr) == 24, "cmdline_paddr");
_Static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "memmap_entries");
_Static_assert(offsetof(struct hvm_start_info, reserved) == 52, "reserved");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(offsetof(struct hvm_modlist_entry, paddr) == 0, "paddr");
_Static_assert(offsetof(struct hvm_modlist_entry, size) == 8, "size");
_Static_assert(offsetof(struct hvm_modlist_entry, cmdline_paddr) == 16, "module cmdline_paddr");
_Static_assert(offsetof(struct hvm_modlist_entry, reserved) == 24, "module reserved");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry is 32 bytes");
_Static_assert(offsetof(struct hvm_memmap_table_entry, addr) == 0, "addr");
_Static_assert(offsetof(struct hvm_memmap_table_entry, size) == 8, "size");
_Static_assert(offsetof(struct hvm_memmap_table_entry, type) == 16, "type");
_Static_assert(offsetof(struct hvm_memmap_table_entry, reserved) == 20, "memmap reserved");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry is 24 bytes");

/*
 * Where a PVH boot puts its structures (moves to arch/x86/layout.h): all in the boot
 * info page, the command line where a bzImage's goes. The kernel loads at its
 * PT_LOADs' physical addresses (16 MiB for a default x86-64 config) and the initrd as
 * high as low RAM allows; pvh_place() checks that nothing overlaps.
 */
#define LAYOUT_PVH_START_INFO LAYOUT_BOOT_INFO
#define LAYOUT_PVH_MODLIST    (LAYOUT_PVH_START_INFO + LAYOUT_U64(0x40))
#define PVH_MODULES_MAX	      1 /* the initrd */
#define LAYOUT_PVH_MEMMAP     (LAYOUT_PVH_START_INFO + LAYOUT_U64(0x80))
#define PVH_MEMMAP_MAX	      BOOT_E820_MAX
#define LAYOUT_PVH_CMDLINE    LAYOUT_CMDLINE
#define PVH_CMDLINE_MAX	      LAYOUT_CMDLINE_MAX /* with its NUL */

_Static_assert(LAYOUT_PVH_START_INFO + sizeof(struct hvm_start_info) <= LAYOUT_PVH_MODLIST,
	       "start info overlaps the module list");
_Static_assert(LAYOUT_PVH_MODLIST + PVH_MODULES_MAX * sizeof(struct hvm_modlist_entry) <=
		       LAYOUT_PVH_MEMMAP,
	       "module list overlaps the memory map");
_Static_assert(LAYOUT_PVH_MEMMAP + PVH_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry) <=
		       LAYOUT_BOOT_INFO_END,
	       "the memory map passes the boot info page");
_Static_assert(LAYOUT_PVH_MODLIST % 8 == 0 && LAYOUT_PVH_MEMMAP % 8 == 0,
	       "64-bit fields naturally aligned");

/* A parsed PVH kernel. */
struct pvh_kernel {
	struct guest_image img; /* path (set it first), PT_LOADs by GPA, entry = phys32_entry,
				   mode BOOT_MODE_PROTECTED */
	uint32_t phys32_entry;	/* the note's value */
	uint64_t kernel_end;	/* end of the highest PT_LOAD (memsz): initrds go above */
};

/*
 * Parse the ELF32/ELF64 kernel in buf (size bytes) for a PVH boot: its PT_LOADs by
 * physical address (elf_parse()) and the XEN_ELFNOTE_PHYS32_ENTRY note in a PT_NOTE
 * segment: owner "Xen" (namesz 4), descsz 4 or 8 (the entry as a 32- or 64-bit value,
 * which must be below 4 GiB), namesz and descsz padded to 4 bytes, every note bounds
 * checked against its segment and the file. The entry must lie in a PT_LOAD's file
 * bytes. k->img.path must be set (messages name it). Pure: no I/O, no guest memory.
 * Returns 0, or -ENOEXEC with a message: not ELF / bad ELF (elf_parse's), no note ("no
 * XEN_ELFNOTE_PHYS32_ENTRY note"), a truncated or malformed note, an entry beyond
 * 4 GiB or outside the loaded segments.
 */
int pvh_parse(const uint8_t *buf, size_t size, struct pvh_kernel *k);

/*
 * Find the PHYS32 entry note alone in the ELF file buf, whose header elf_parse()
 * accepted. Returns 0 with *entry (a 64-bit value as the note has it), -ENOENT (no such
 * note; no message) or -ENOEXEC (malformed note segment, with a message naming path).
 */
int pvh_find_entry_note(const uint8_t *buf, size_t size, const char *path, uint64_t *entry);

/* Largest ELF kernel pvh_open() reads (Debian 12's vmlinux: 63 MiB). */
#define PVH_MAX_FILE_SIZE (1ULL << 30)

/*
 * Read path (at most PVH_MAX_FILE_SIZE bytes) and pvh_parse() it. Returns 0 or -errno
 * with a message naming the file (file_read_all()'s, or pvh_parse()'s). Free with
 * pvh_free(), which is safe on a kernel that failed to open.
 */
int pvh_open(const char *path, struct pvh_kernel *k);
void pvh_free(struct pvh_kernel *k);

/*
 * Place k for a PVH boot into mem and describe the entry in *entry:
 * - the PT_LOADs at their GPAs: each must be RAM in the E820 map and clear of the boot
 *   GDT, the boot info page and the command line; the file mapped over their whole
 *   pages where it can be, copy-on-write (image_place_mapped(): k->img.maps), read
 *   elsewhere;
 * - the command line (boot->cmdline, "" for NULL; at most PVH_CMDLINE_MAX - 1 bytes) at
 *   LAYOUT_PVH_CMDLINE;
 * - the initrd (if boot->initrd_size) page aligned as high as low RAM allows, above the
 *   kernel, as module 0 in LAYOUT_PVH_MODLIST (cmdline_paddr 0);
 * - the memory map from e820_build() at LAYOUT_PVH_MEMMAP, E820 types as Xen's;
 * - struct hvm_start_info, version 1, at LAYOUT_PVH_START_INFO, with boot->acpi_rsdp.
 * Nothing is written unless every check passes. *entry: BOOT_MODE_PROTECTED at
 * k->phys32_entry, EBX = LAYOUT_PVH_START_INFO, tss32 (the PVH ABI's TR).
 * Returns 0 or -errno with a message naming the file: -EFAULT (a segment not in RAM),
 * -EBUSY (a segment over a boot structure), -E2BIG (command line), -ENOMEM (RAM too
 * small for the kernel, with the -m it needs; or for the initrd), -ENOSPC (memory map),
 * -EIO (the file shrank since pvh_open()) or a failed read's or mapping's -errno.
 */
int pvh_place(struct pvh_kernel *k, const struct guest_memory *mem, const struct linux_boot *boot,
	      struct loader_entry *entry);

#endif
