/* SPDX-License-Identifier: MIT */
/* The Linux x86 boot protocol's 64-bit entry, without a BIOS (Documentation/arch/x86/boot.rst). */
#include "loaders/bzimage.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "error.h"
#include "file.h"
#include "arch/x86/layout.h"

/* The setup header's own length: it ends at 0x202 + the byte at 0x201 (boot.rst). */
#define SETUP_HEADER_JUMP_END 0x202
#define SETUP_HEADER_JUMP_ARG 0x201
#define SYSSIZE_UNIT	      16 /* syssize counts 16-byte paragraphs */
#define INITRD_ALIGN	      LAYOUT_PAGE_SIZE

#define bz_error(bz, err, fmt, ...) error_set(err, "bzImage '%s': " fmt, (bz)->path, ##__VA_ARGS__)

int bzimage_parse(const uint8_t *buf, size_t size, struct bzimage *bz)
{
	struct setup_header *hdr = &bz->hdr;
	unsigned int setup_sects;

	size_t magic_at = offsetof(struct boot_params, hdr.header);
	uint32_t magic;

	if (size < magic_at + sizeof(magic))
		return bz_error(
			bz, ENOEXEC,
			"not a bzImage: %zu bytes, too short for the setup_header magic 'HdrS' at 0x%zx",
			size, magic_at);
	memcpy(&magic, buf + magic_at, sizeof(magic));
	if (magic != SETUP_HDRS_MAGIC)
		return bz_error(bz, ENOEXEC,
				"setup_header magic 'HdrS' missing at 0x%zx: not a bzImage",
				magic_at);
	if (size < SETUP_HEADER_OFFSET + sizeof(*hdr))
		return bz_error(bz, ENOEXEC, "truncated: %zu bytes, the setup_header ends at 0x%zx",
				size, SETUP_HEADER_OFFSET + sizeof(*hdr));
	memcpy(hdr, buf + SETUP_HEADER_OFFSET, sizeof(*hdr));
	if (hdr->boot_flag != SETUP_BOOT_FLAG)
		return bz_error(bz, ENOEXEC, "boot_flag 0x%04x at 0x%zx, expected 0x%04x",
				hdr->boot_flag, offsetof(struct boot_params, hdr.boot_flag),
				SETUP_BOOT_FLAG);
	if (hdr->version < BOOT_PROTOCOL_MIN)
		return bz_error(bz, ENOEXEC,
				"boot protocol %u.%02u is too old: mini-kvm needs 2.06 or later",
				hdr->version >> 8, hdr->version & 0xff);
	if (!(hdr->loadflags & LOADFLAG_LOADED_HIGH))
		return bz_error(bz, ENOEXEC,
				"a zImage (loaded below 1 MiB): mini-kvm boots bzImages only");
	if (hdr->version < BOOT_PROTOCOL_64BIT || !(hdr->xloadflags & XLF_KERNEL_64))
		return bz_error(
			bz, ENOEXEC,
			"no 64-bit entry point (xloadflags lacks XLF_KERNEL_64): mini-kvm boots 64-bit kernels");

	bz->hdr_len = SETUP_HEADER_JUMP_END + buf[SETUP_HEADER_JUMP_ARG] - SETUP_HEADER_OFFSET;
	if (bz->hdr_len > sizeof(*hdr))
		bz->hdr_len = sizeof(*hdr);
	setup_sects = hdr->setup_sects ? hdr->setup_sects : SETUP_SECTS_DEFAULT;
	bz->setup_size = (size_t)(setup_sects + 1) * SETUP_SECTOR_SIZE;
	bz->kernel_size = (size_t)hdr->syssize * SYSSIZE_UNIT;
	if (bz->setup_size > size || bz->kernel_size > size - bz->setup_size)
		return bz_error(
			bz, ENOEXEC,
			"truncated: the setup_header promises %zu bytes (setup_sects %u, syssize %u), the file has %zu",
			bz->setup_size + bz->kernel_size, setup_sects, hdr->syssize, size);
	if (bz->kernel_size == 0)
		return bz_error(bz, ENOEXEC, "syssize is 0: no protected-mode kernel");
	bz->kernel = buf + bz->setup_size;
	return 0;
}

int bzimage_open(const char *path, struct bzimage *bz)
{
	int ret;

	memset(bz, 0, sizeof(*bz));
	snprintf(bz->path, sizeof(bz->path), "%s", path);
	ret = file_read_all(path, "bzImage", BZIMAGE_MAX_FILE_SIZE, "mini-kvm loads (1 GiB)",
			    &bz->file, &bz->file_size);
	if (ret < 0)
		return ret;
	ret = bzimage_parse(bz->file, bz->file_size, bz);
	if (ret < 0)
		bzimage_free(bz);
	return ret;
}

void bzimage_free(struct bzimage *bz)
{
	free(bz->file);
	bz->file = NULL;
	bz->kernel = NULL;
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) / align * align;
}

/* End of the RAM below the MMIO hole, where everything of the boot protocol lives. */
static uint64_t low_ram_end(const struct guest_memory *mem)
{
	return mem->regions[0].gpa + mem->regions[0].size;
}

/*
 * Whether the kernel's footprint fits at load: in high memory, clear of the zero
 * page, command line and firmware tables below 1 MiB, and inside low RAM. No sum
 * here can wrap: pref_address comes from the file.
 */
static bool kernel_fits(const struct guest_memory *mem, uint64_t load, uint64_t footprint)
{
	uint64_t end = low_ram_end(mem);

	return load >= LAYOUT_HIGH_MEM && load <= end && footprint <= end - load;
}

/* The kernel's load address: preferred when it fits, else aligned above 1 MiB. */
/*
 * The kernel's load address, and the end of the memory it uses. A relocatable
 * kernel's 64-bit entry decompresses itself at max(load address aligned to
 * kernel_alignment, pref_address) (arch/x86/boot/compressed/head_64.S), so it
 * always needs [pref_address, pref_address + init_size): loading it lower saves
 * nothing. Load it at pref_address rounded up to kernel_alignment (a relocatable
 * kernel) and at least at 1 MiB.
 */
static int choose_load_address(const struct bzimage *bz, const struct guest_memory *mem,
			       uint64_t footprint, uint64_t *load, uint64_t *end)
{
	uint64_t align = bz->hdr.kernel_alignment ? bz->hdr.kernel_alignment : LAYOUT_PAGE_SIZE;
	uint64_t pref = bz->hdr.pref_address ? bz->hdr.pref_address : LAYOUT_HIGH_MEM;
	uint64_t run;

	if (bz->hdr.relocatable_kernel)
		*load = align_up(pref > LAYOUT_HIGH_MEM ? pref : LAYOUT_HIGH_MEM, align);
	else if (pref >= LAYOUT_HIGH_MEM)
		*load = pref;
	else
		return bz_error(
			bz, ENOEXEC,
			"pref_address 0x%llx is below 1 MiB and the kernel is not relocatable",
			(unsigned long long)pref);
	run = *load > pref ? *load : pref;
	/* No -m helps a kernel that runs beyond low RAM (and the sum below would wrap). */
	if (!kernel_fits(mem, run, footprint) &&
	    (run >= LAYOUT_MMIO_HOLE || footprint > LAYOUT_MMIO_HOLE - run))
		return bz_error(
			bz, ENOMEM,
			"the kernel runs from 0x%llx and needs %llu MiB there (init_size): beyond the %llu MiB below the MMIO hole that any -m gives (pref_address)",
			(unsigned long long)run,
			(unsigned long long)align_up(footprint, LAYOUT_MIB) / LAYOUT_MIB,
			(unsigned long long)(LAYOUT_MMIO_HOLE / LAYOUT_MIB));
	if (!kernel_fits(mem, run, footprint))
		return bz_error(
			bz, ENOMEM,
			"-m %llu MiB is too small: the kernel runs from 0x%llx and needs %llu MiB there (init_size): give at least -m %llu",
			(unsigned long long)(mem->ram_size / LAYOUT_MIB), (unsigned long long)run,
			(unsigned long long)align_up(footprint, LAYOUT_MIB) / LAYOUT_MIB,
			(unsigned long long)align_up(run + footprint, LAYOUT_MIB) / LAYOUT_MIB);
	*end = run + footprint;
	return 0;
}

static int place_cmdline(const struct bzimage *bz, const struct guest_memory *mem,
			 const char *cmdline)
{
	size_t len = strlen(cmdline);
	uint64_t max = bz->hdr.cmdline_size;

	if (max > LAYOUT_CMDLINE_MAX - 1)
		max = LAYOUT_CMDLINE_MAX - 1;
	if (len > max)
		return bz_error(
			bz, E2BIG,
			"the command line is %zu bytes, the kernel takes at most %llu (cmdline_size); it begins '%.32s'",
			len, (unsigned long long)max, cmdline);
	return guest_write(mem, LAYOUT_CMDLINE, cmdline, len + 1);
}

/* The initrd: as high as allowed, page aligned, above the kernel's footprint. */
static int place_initrd(const struct bzimage *bz, const struct guest_memory *mem,
			const struct linux_boot *boot, uint64_t kernel_end, uint64_t *gpa)
{
	uint64_t top = low_ram_end(mem), start;

	*gpa = 0;
	if (!boot->initrd || !boot->initrd_size)
		return 0; /* an empty initrd is none (boot.rst: ramdisk_size 0) */
	if (bz->hdr.initrd_addr_max && (uint64_t)bz->hdr.initrd_addr_max + 1 < top)
		top = (uint64_t)bz->hdr.initrd_addr_max + 1;
	if (boot->initrd_size > top ||
	    (top - boot->initrd_size) / INITRD_ALIGN * INITRD_ALIGN < kernel_end)
		return error_set(
			ENOMEM,
			"initrd '%s': %zu bytes do not fit in RAM between the kernel's end (0x%llx) and 0x%llx: give more -m",
			boot->initrd_path, boot->initrd_size, (unsigned long long)kernel_end,
			(unsigned long long)top);
	start = (top - boot->initrd_size) / INITRD_ALIGN * INITRD_ALIGN;
	if (guest_write(mem, start, boot->initrd, boot->initrd_size))
		return error_set(EFAULT, "initrd '%s': [0x%llx, +%zu) is not guest RAM",
				 boot->initrd_path, (unsigned long long)start, boot->initrd_size);
	*gpa = start;
	return 0;
}

static int fill_zero_page(const struct bzimage *bz, const struct guest_memory *mem,
			  const struct linux_boot *boot, const struct linux_entry *entry)
{
	struct boot_params *zp = guest_ptr(mem, LAYOUT_ZERO_PAGE, sizeof(*zp));
	int n;

	if (!zp)
		return error_set(EFAULT, "zero page at 0x%llx is not guest RAM", LAYOUT_ZERO_PAGE);
	memset(zp, 0, sizeof(*zp));
	memcpy(&zp->hdr, bz->file ? bz->file + SETUP_HEADER_OFFSET : (const uint8_t *)&bz->hdr,
	       bz->hdr_len);
	zp->hdr.type_of_loader = BOOT_LOADER_TYPE_UNDEFINED;
	zp->hdr.vid_mode = BOOT_VID_MODE_NORMAL;
	zp->hdr.code32_start = entry->kernel_load;
	zp->hdr.cmd_line_ptr = LAYOUT_CMDLINE;
	zp->ext_cmd_line_ptr = 0;
	zp->hdr.ramdisk_image = (uint32_t)entry->initrd;
	zp->ext_ramdisk_image = (uint32_t)(entry->initrd >> 32);
	zp->hdr.ramdisk_size = (uint32_t)boot->initrd_size;
	zp->ext_ramdisk_size = (uint32_t)((uint64_t)boot->initrd_size >> 32);
	zp->acpi_rsdp_addr = boot->acpi_rsdp;
	n = e820_build(mem, zp->e820_table, BOOT_E820_MAX);
	if (n < 0)
		return bz_error(bz, ENOSPC,
				"more RAM regions than the zero page's E820 table holds");
	zp->e820_entries = n;
	return 0;
}

int bzimage_place(const struct bzimage *bz, const struct guest_memory *mem,
		  const struct linux_boot *boot, struct linux_entry *entry)
{
	uint64_t footprint =
		bz->hdr.init_size > bz->kernel_size ? bz->hdr.init_size : bz->kernel_size;
	uint64_t kernel_end = 0;
	int ret;

	memset(entry, 0, sizeof(*entry));
	ret = choose_load_address(bz, mem, footprint, &entry->kernel_load, &kernel_end);
	if (ret < 0)
		return ret;
	ret = place_cmdline(bz, mem, boot->cmdline ? boot->cmdline : "");
	if (ret < 0)
		return ret;
	ret = place_initrd(bz, mem, boot, kernel_end, &entry->initrd);
	if (ret < 0)
		return ret;
	if (guest_write(mem, entry->kernel_load, bz->kernel, bz->kernel_size))
		return bz_error(bz, EFAULT, "kernel at 0x%llx is not guest RAM",
				(unsigned long long)entry->kernel_load);
	entry->rip = entry->kernel_load + BOOT_ENTRY_64_OFFSET;
	entry->zero_page = LAYOUT_ZERO_PAGE;
	return fill_zero_page(bz, mem, boot, entry);
}
