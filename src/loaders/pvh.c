/* SPDX-License-Identifier: MIT */
/* PVH boot (Xen start_info.h, version 1): find the PHYS32 entry note, then place the kernel and hvm_start_info. */
#include "loaders/pvh.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "error.h"
#include "file.h"

#define pvh_error(path, fmt, ...) error_set(ENOEXEC, "PVH kernel '%s': " fmt, (path), ##__VA_ARGS__)

/* An ELF note's header: three 4-byte words (gABI "Note Section"; also in ELF64 on x86). */
struct note_header {
	uint32_t namesz, descsz, type;
};

static uint64_t note_pad(uint64_t n)
{
	return (n + ELF_NOTE_ALIGN - 1) / ELF_NOTE_ALIGN * ELF_NOTE_ALIGN;
}

/*
 * Walk the notes in seg[0, len) (one PT_NOTE segment at file offset off). Returns 0
 * with *entry for the first Xen PHYS32 note, -ENOENT if it has none, -ENOEXEC for a
 * note that does not fit the segment.
 */
static int find_in_segment(const uint8_t *seg, uint64_t len, uint64_t off, const char *path,
			   uint64_t *entry)
{
	static const char xen[] = XEN_ELFNOTE_NAME;
	uint64_t pos = 0;

	while (pos < len) {
		struct note_header nh;
		uint64_t name_at, desc_at;

		if (len - pos < sizeof(nh))
			return pvh_error(
				path,
				"truncated note at file offset 0x%llx: %llu bytes left of the PT_NOTE segment, a note header needs %zu",
				(unsigned long long)(off + pos), (unsigned long long)(len - pos),
				sizeof(nh));
		memcpy(&nh, seg + pos, sizeof(nh));
		name_at = pos + sizeof(nh);
		/* 64-bit sums of 32-bit sizes: no wrap. */
		if (note_pad(nh.namesz) > len - name_at)
			return pvh_error(
				path,
				"note at file offset 0x%llx: its name (namesz %u, padded to 4) passes the end of the PT_NOTE segment",
				(unsigned long long)(off + pos), nh.namesz);
		desc_at = name_at + note_pad(nh.namesz);
		if (nh.descsz > len - desc_at)
			return pvh_error(
				path,
				"note at file offset 0x%llx: its descriptor (descsz %u) passes the end of the PT_NOTE segment",
				(unsigned long long)(off + pos), nh.descsz);
		if (nh.type == XEN_ELFNOTE_PHYS32_ENTRY && nh.namesz == sizeof(xen) &&
		    !memcmp(seg + name_at, xen, sizeof(xen))) {
			uint32_t e32;

			if (nh.descsz == sizeof(uint32_t)) {
				memcpy(&e32, seg + desc_at, sizeof(e32));
				*entry = e32;
			} else if (nh.descsz == sizeof(uint64_t)) {
				memcpy(entry, seg + desc_at, sizeof(*entry));
			} else {
				return pvh_error(
					path,
					"XEN_ELFNOTE_PHYS32_ENTRY at file offset 0x%llx: descsz %u, expected 4 or 8",
					(unsigned long long)(off + pos), nh.descsz);
			}
			return 0;
		}
		/* The last note's descriptor padding may be cut by the segment's end. */
		pos = desc_at + note_pad(nh.descsz);
	}
	return -ENOENT;
}

int pvh_find_entry_note(const uint8_t *buf, size_t size, const char *path, uint64_t *entry)
{
	uint64_t phoff;
	uint16_t phnum, phentsize;
	bool is64;

	if (size < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) ||
	    (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64))
		return pvh_error(path, "not an ELF32 or ELF64 file");
	is64 = buf[EI_CLASS] == ELFCLASS64;
	if (size < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return pvh_error(path, "truncated in the ELF header (%zu bytes)", size);
	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
	}
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phoff > size ||
	    (uint64_t)phnum * phentsize > size - phoff)
		return pvh_error(path, "malformed program header table");

	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *p = buf + phoff + (uint64_t)i * phentsize;
		uint64_t offset, filesz;
		uint32_t type;
		int ret;

		if (is64) {
			Elf64_Phdr ph;

			memcpy(&ph, p, sizeof(ph));
			type = ph.p_type, offset = ph.p_offset, filesz = ph.p_filesz;
		} else {
			Elf32_Phdr ph;

			memcpy(&ph, p, sizeof(ph));
			type = ph.p_type, offset = ph.p_offset, filesz = ph.p_filesz;
		}
		if (type != PT_NOTE)
			continue;
		if (offset > size || filesz > size - offset)
			return pvh_error(
				path,
				"truncated: PT_NOTE segment %u needs bytes [0x%llx, 0x%llx), the file has %zu",
				i, (unsigned long long)offset,
				(unsigned long long)(offset + filesz), size);
		ret = find_in_segment(buf + offset, filesz, offset, path, entry);
		if (ret != -ENOENT)
			return ret;
	}
	return -ENOENT;
}

int pvh_parse(const uint8_t *buf, size_t size, struct pvh_kernel *k)
{
	const char *path = k->img.path;
	uint64_t entry = 0;
	bool loaded = false;
	int ret;

	ret = elf_parse(buf, size, &k->img);
	if (ret < 0)
		return error_wrap(-ret, "PVH kernel");
	ret = pvh_find_entry_note(buf, size, path, &entry);
	if (ret == -ENOENT)
		return pvh_error(
			path,
			"no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel (Linux needs CONFIG_PVH=y)");
	if (ret < 0)
		return ret;
	if (entry > UINT32_MAX)
		return pvh_error(path, "PHYS32 entry 0x%llx is beyond 4 GiB: not a 32-bit entry",
				 (unsigned long long)entry);

	k->kernel_end = 0;
	for (unsigned int i = 0; i < k->img.nsegs; i++) {
		const struct image_segment *s = &k->img.segs[i];

		if (entry >= s->gpa && entry - s->gpa < s->filesz)
			loaded = true;
		if (s->gpa + s->memsz > k->kernel_end)
			k->kernel_end = s->gpa + s->memsz;
	}
	if (!loaded)
		return pvh_error(
			path,
			"PHYS32 entry 0x%llx is not in the file bytes of any PT_LOAD segment (by physical address)",
			(unsigned long long)entry);
	k->phys32_entry = entry;
	k->img.entry = entry;
	k->img.mode = BOOT_MODE_PROTECTED;
	return 0;
}

int pvh_open(const char *path, struct pvh_kernel *k)
{
	int ret;

	memset(k, 0, sizeof(*k));
	snprintf(k->img.path, sizeof(k->img.path), "%s", path);
	ret = image_read(path, "PVH kernel", PVH_MAX_FILE_SIZE, IMAGE_READ_LOADS_LATER, &k->img);
	if (ret < 0)
		return ret;
	ret = pvh_parse(k->img.file, k->img.file_size, k);
	if (ret < 0)
		pvh_free(k);
	return ret;
}

void pvh_free(struct pvh_kernel *k)
{
	image_free(&k->img);
}

/* Xen's memory-map types are the ACPI address range types, as E820's are: same numbers. */
_Static_assert(E820_TYPE_RAM == XEN_HVM_MEMMAP_TYPE_RAM, "RAM type");
_Static_assert(E820_TYPE_RESERVED == XEN_HVM_MEMMAP_TYPE_RESERVED, "reserved type");

int pvh_place(struct pvh_kernel *k, const struct guest_memory *mem, const struct linux_boot *boot,
	      struct loader_entry *entry)
{
	const char *path = k->img.path;
	const char *cmdline = boot->cmdline ? boot->cmdline : "";
	size_t cmdline_len = strlen(cmdline);
	const struct loader_range busy[] = {
		{ LAYOUT_GDT, LAYOUT_GDT + LAYOUT_GDT_SIZE, "the boot GDT" },
		{ LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END, "the PVH start info page" },
		{ LAYOUT_PVH_CMDLINE, LAYOUT_PVH_CMDLINE + cmdline_len + 1, "the command line" },
	};
	struct boot_e820_entry e820[PVH_MEMMAP_MAX];
	struct hvm_memmap_table_entry *memmap;
	struct hvm_start_info *info;
	uint8_t *page, *cmdline_dst;
	uint64_t initrd = 0, floor;
	int n, ret;

	if (cmdline_len > PVH_CMDLINE_MAX - 1)
		return error_set(
			E2BIG,
			"PVH kernel '%s': the command line is %zu bytes, mini-kvm passes at most %llu; it begins '%.32s'",
			path, cmdline_len, PVH_CMDLINE_MAX - 1, cmdline);
	page = guest_ptr(mem, LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_SIZE);
	cmdline_dst = guest_ptr(mem, LAYOUT_PVH_CMDLINE, cmdline_len + 1);
	if (!page || !cmdline_dst)
		return error_set(
			EFAULT,
			"PVH kernel '%s': the boot structures below 1 MiB are not guest RAM", path);

	/* Every segment in RAM, clear of what this function writes besides it. */
	ret = loader_check_ram_size(mem, k->kernel_end, "PVH kernel", path);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < k->img.nsegs; i++) {
		const struct image_segment *s = &k->img.segs[i];

		ret = loader_check_range(mem, s->gpa, s->gpa + s->memsz, busy,
					 sizeof(busy) / sizeof(busy[0]));
		if (ret < 0)
			return error_wrap(-ret, "PVH kernel '%s': segment %u", path, i);
	}

	/* The initrd above the kernel and above 1 MiB (busy[] is all below). */
	floor = k->kernel_end > LAYOUT_HIGH_MEM ? k->kernel_end : LAYOUT_HIGH_MEM;
	if (boot->initrd && boot->initrd_size) {
		ret = loader_place_high(mem, boot->initrd_size, floor, &initrd);
		if (ret < 0)
			return error_wrap(-ret, "initrd '%s'", boot->initrd_path);
	}
	n = e820_build(mem, e820, PVH_MEMMAP_MAX);
	if (n < 0)
		return error_set(ENOSPC, "PVH kernel '%s': more than %d memory map entries", path,
				 PVH_MEMMAP_MAX);

	/* Checks done: write. */
	ret = image_place_mapped(&k->img, mem);
	if (ret < 0)
		return ret;
	if (initrd && guest_write(mem, initrd, boot->initrd, boot->initrd_size))
		return error_set(EFAULT, "initrd '%s': [0x%llx, +%zu) is not guest RAM",
				 boot->initrd_path, (unsigned long long)initrd, boot->initrd_size);
	memcpy(cmdline_dst, cmdline, cmdline_len + 1);
	memset(page, 0, LAYOUT_BOOT_INFO_SIZE);

	memmap = (struct hvm_memmap_table_entry *)(page + (LAYOUT_PVH_MEMMAP - LAYOUT_BOOT_INFO));
	for (int i = 0; i < n; i++)
		memmap[i] = (struct hvm_memmap_table_entry){ .addr = e820[i].addr,
							     .size = e820[i].size,
							     .type = e820[i].type };
	info = (struct hvm_start_info *)(page + (LAYOUT_PVH_START_INFO - LAYOUT_BOOT_INFO));
	info->magic = HVM_START_MAGIC_VALUE;
	info->version = HVM_START_INFO_VERSION;
	info->cmdline_paddr = LAYOUT_PVH_CMDLINE;
	info->rsdp_paddr = boot->acpi_rsdp;
	info->memmap_paddr = LAYOUT_PVH_MEMMAP;
	info->memmap_entries = n;
	if (initrd) {
		struct hvm_modlist_entry *module =
			(struct hvm_modlist_entry *)(page +
						     (LAYOUT_PVH_MODLIST - LAYOUT_BOOT_INFO));

		module->paddr = initrd;
		module->size = boot->initrd_size;
		info->nr_modules = 1;
		info->modlist_paddr = LAYOUT_PVH_MODLIST;
	}

	*entry = (struct loader_entry){ .mode = BOOT_MODE_PROTECTED,
					.entry = k->phys32_entry,
					.ebx = LAYOUT_PVH_START_INFO,
					.tss32 = true };
	return 0;
}
