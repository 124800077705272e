/* SPDX-License-Identifier: MIT */
/* struct boot_params (the "zero page") and its setup_header: Linux x86 boot protocol 2.15. */
#ifndef MINI_KVM_BOOTPARAMS_H
#define MINI_KVM_BOOTPARAMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Layouts from Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header",
 * "Details of Header Fields") and Documentation/arch/x86/zero-page.rst. Only the
 * fields mini-kvm reads or writes have names; the rest is padding. Every offset
 * is checked below against the documents.
 */

#define SETUP_HEADER_OFFSET 0x1f1 /* in the bzImage and in boot_params */
#define SETUP_BOOT_FLAG	    0xaa55
#define SETUP_HDRS_MAGIC    0x53726448 /* "HdrS" */
#define SETUP_SECTOR_SIZE   512
#define SETUP_SECTS_DEFAULT 4 /* setup_sects 0 means 4 */

/* loadflags */
#define LOADFLAG_LOADED_HIGH  (1 << 0) /* protected-mode kernel at 0x100000 or above */
#define LOADFLAG_CAN_USE_HEAP (1 << 7)

/* xloadflags */
#define XLF_KERNEL_64		   (1 << 0) /* has the 64-bit entry at load address + 0x200 */
#define XLF_CAN_BE_LOADED_ABOVE_4G (1 << 1)

#define BOOT_ENTRY_64_OFFSET	   0x200 /* startup_64 from the load address */
#define BOOT_LOADER_TYPE_UNDEFINED 0xff	 /* type_of_loader for a loader without an ID */
#define BOOT_VID_MODE_NORMAL	   0xffff

/* Minimum protocol: 2.06 brought cmdline_size; the 64-bit entry needs 2.12 (xloadflags). */
#define BOOT_PROTOCOL_MIN   0x0206
#define BOOT_PROTOCOL_64BIT 0x020c

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize; /* protected-mode code size, in 16-byte paragraphs */
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag; /* SETUP_BOOT_FLAG */
	uint16_t jump;
	uint32_t header;  /* SETUP_HDRS_MAGIC */
	uint16_t version; /* protocol version, major << 8 | minor */
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image; /* initrd GPA, low 32 bits */
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;	  /* command line GPA, low 32 bits */
	uint32_t initrd_addr_max; /* highest byte the initrd may occupy */
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size; /* longest command line, without its NUL */
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address; /* where a relocatable kernel prefers to be */
	uint32_t init_size;    /* bytes the kernel needs from its load address */
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

/* One E820 entry (ACPI 6.4 15.1, "Address Range Descriptor Structure"). */
struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_TYPE_RAM	   1
#define E820_TYPE_RESERVED 2
#define BOOT_E820_MAX	   128 /* entries in boot_params.e820_table */

struct boot_params {
	uint8_t screen_info[0x40];
	uint8_t apm_bios_info[0x14];
	uint8_t pad1[4];
	uint64_t tboot_addr;
	uint8_t ist_info[0x10];
	uint64_t acpi_rsdp_addr; /* protocol 2.14: where the RSDP is */
	uint8_t pad2[8];
	uint8_t hd0_info[16];
	uint8_t hd1_info[16];
	uint8_t sys_desc_table[0x10];
	uint8_t olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image; /* high 32 bits of the initrd GPA */
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad3[0x70];
	uint32_t cc_blob_address;
	uint8_t edid_info[0x80];
	uint8_t efi_info[0x20];
	uint32_t alt_mem_k;
	uint32_t scratch;
	uint8_t e820_entries; /* entries used in e820_table */
	uint8_t eddbuf_entries;
	uint8_t edd_mbr_sig_buf_entries;
	uint8_t kbd_status;
	uint8_t secure_boot;
	uint8_t pad4[2];
	uint8_t sentinel;
	uint8_t pad5[1];
	struct setup_header hdr;
	uint8_t pad6[0x290 - SETUP_HEADER_OFFSET - sizeof(struct setup_header)];
	uint32_t edd_mbr_sig_buffer[16];
	struct boot_e820_entry e820_table[BOOT_E820_MAX];
	uint8_t pad7[48];
	uint8_t eddbuf[0x1ec];
	uint8_t pad8[276];
} __attribute__((packed));

/* Offsets from zero-page.rst and boot.rst. */
_Static_assert(sizeof(struct boot_params) == 4096, "the zero page is one page");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(offsetof(struct boot_params, alt_mem_k) == 0x1e0, "alt_mem_k");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == SETUP_HEADER_OFFSET, "hdr at 0x1f1");
_Static_assert(offsetof(struct boot_params, edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table at 0x2d0");
_Static_assert(offsetof(struct boot_params, eddbuf) == 0xd00, "eddbuf");
_Static_assert(offsetof(struct boot_params, hdr.boot_flag) == 0x1fe, "boot_flag");
_Static_assert(offsetof(struct boot_params, hdr.header) == 0x202, "header (HdrS)");
_Static_assert(offsetof(struct boot_params, hdr.version) == 0x206, "version");
_Static_assert(offsetof(struct boot_params, hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(offsetof(struct boot_params, hdr.loadflags) == 0x211, "loadflags");
_Static_assert(offsetof(struct boot_params, hdr.code32_start) == 0x214, "code32_start");
_Static_assert(offsetof(struct boot_params, hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(offsetof(struct boot_params, hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, hdr.initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(offsetof(struct boot_params, hdr.kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(offsetof(struct boot_params, hdr.xloadflags) == 0x236, "xloadflags");
_Static_assert(offsetof(struct boot_params, hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(offsetof(struct boot_params, hdr.pref_address) == 0x258, "pref_address");
_Static_assert(offsetof(struct boot_params, hdr.init_size) == 0x260, "init_size");
_Static_assert(offsetof(struct boot_params, hdr.kernel_info_offset) == 0x268, "kernel_info_offset");

#endif
