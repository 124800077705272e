/* SPDX-License-Identifier: MIT */
/* Multiboot v1 (Multiboot Specification 0.6.96): header search, a.out kludge or ELF loading, the information structure. */
#include "loaders/multiboot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "error.h"
#include "file.h"

#define mb_error(path, fmt, ...) \
	error_set(ENOEXEC, "Multiboot kernel '%s': " fmt, (path), ##__VA_ARGS__)

/* A Multiboot guest runs in 32-bit protected mode: everything below 4 GiB. */
#define MULTIBOOT_ADDRESS_LIMIT (1ULL << 32)

static size_t header_length(uint32_t flags)
{
	if (flags & MULTIBOOT_VIDEO_MODE)
		return MULTIBOOT_HEADER_VIDEO;
	if (flags & MULTIBOOT_AOUT_KLUDGE)
		return MULTIBOOT_HEADER_ADDRS;
	return MULTIBOOT_HEADER_BASE;
}

long multiboot_find_header(const uint8_t *buf, size_t size, const char *path)
{
	size_t limit = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;
	long bad_checksum = -1;

	for (size_t off = 0; limit >= MULTIBOOT_HEADER_BASE && off <= limit - MULTIBOOT_HEADER_BASE;
	     off += MULTIBOOT_HEADER_ALIGN) {
		uint32_t w[3];

		memcpy(w, buf + off, sizeof(w));
		if (w[0] != MULTIBOOT_HEADER_MAGIC)
			continue;
		if ((uint32_t)(w[0] + w[1] + w[2]) != 0) {
			if (bad_checksum < 0)
				bad_checksum = off;
			continue;
		}
		/* 3.1.1: "contained completely within the first 8192 bytes". */
		if (header_length(w[1]) > limit - off)
			return mb_error(
				path,
				"the header at 0x%zx (flags 0x%x) needs %zu bytes, but the %s ends at 0x%zx",
				off, w[1], header_length(w[1]),
				limit == size ? "file" : "first 8192 bytes", limit);
		return off;
	}
	if (bad_checksum >= 0) {
		uint32_t w[3];

		memcpy(w, buf + bad_checksum, sizeof(w));
		return mb_error(
			path,
			"the magic 0x%08x at 0x%lx has a bad checksum: magic + flags (0x%08x) + checksum (0x%08x) = 0x%08x, not 0",
			MULTIBOOT_HEADER_MAGIC, bad_checksum, w[1], w[2],
			(uint32_t)(w[0] + w[1] + w[2]));
	}
	return -ENOENT;
}

/* 3.1.3: the address fields, checked against each other and the file; one segment. */
static int parse_aout_kludge(const uint8_t *buf, size_t size, struct multiboot_kernel *k)
{
	const struct multiboot_header *h = &k->hdr;
	const char *path = k->img.path;
	uint64_t header_delta, file_offset, load_size, load_end, mem_end;

	if (h->header_addr < h->load_addr)
		return mb_error(path, "header_addr 0x%x is below load_addr 0x%x", h->header_addr,
				h->load_addr);
	header_delta = (uint64_t)h->header_addr - h->load_addr;
	if (header_delta > k->header_offset)
		return mb_error(
			path,
			"header_addr 0x%x - load_addr 0x%x = 0x%llx, but the header is at file offset 0x%zx: loading would start before the file",
			h->header_addr, h->load_addr, (unsigned long long)header_delta,
			k->header_offset);
	file_offset = k->header_offset - header_delta;
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr)
			return mb_error(path, "load_end_addr 0x%x is below load_addr 0x%x",
					h->load_end_addr, h->load_addr);
		load_size = (uint64_t)h->load_end_addr - h->load_addr;
		if (load_size > size - file_offset)
			return mb_error(
				path,
				"load_end_addr 0x%x asks for 0x%llx bytes from file offset 0x%llx, the file has 0x%zx",
				h->load_end_addr, (unsigned long long)load_size,
				(unsigned long long)file_offset, size);
	} else {
		load_size = size - file_offset; /* 3.1.3: "the whole OS image file" */
	}
	load_end = h->load_addr + load_size;
	if (load_end > MULTIBOOT_ADDRESS_LIMIT)
		return mb_error(path, "the image loaded at 0x%x passes 4 GiB", h->load_addr);
	if (header_delta + MULTIBOOT_HEADER_ADDRS > load_size)
		return mb_error(
			path,
			"header_addr 0x%x: the header is not inside the bytes loaded [0x%x, 0x%llx)",
			h->header_addr, h->load_addr, (unsigned long long)load_end);
	mem_end = load_end;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < load_end)
			return mb_error(path,
					"bss_end_addr 0x%x is below the end of the load, 0x%llx",
					h->bss_end_addr, (unsigned long long)load_end);
		mem_end = h->bss_end_addr;
	}
	if (h->entry_addr < h->load_addr || h->entry_addr >= load_end)
		return mb_error(path, "entry_addr 0x%x is outside the bytes loaded [0x%x, 0x%llx)",
				h->entry_addr, h->load_addr, (unsigned long long)load_end);

	k->img.format = IMAGE_FLAT;
	k->img.segs[0] = (struct image_segment){ .gpa = h->load_addr,
						 .data = buf + file_offset,
						 .filesz = load_size,
						 .memsz = mem_end - h->load_addr };
	k->img.nsegs = 1;
	k->img.entry = h->entry_addr;
	return 0;
}

/* An ELF kernel: its PT_LOADs by physical address, entered at e_entry with paging off. */
static int parse_elf(const uint8_t *buf, size_t size, struct multiboot_kernel *k)
{
	const char *path = k->img.path;
	bool loaded = false;
	int ret = elf_parse(buf, size, &k->img);

	if (ret < 0)
		return error_wrap(-ret, "Multiboot kernel");
	for (unsigned int i = 0; i < k->img.nsegs; i++) {
		const struct image_segment *s = &k->img.segs[i];

		if (s->gpa + s->memsz > MULTIBOOT_ADDRESS_LIMIT)
			return mb_error(
				path,
				"ELF segment at 0x%llx (0x%llx bytes) passes 4 GiB: it is entered in 32-bit mode",
				(unsigned long long)s->gpa, (unsigned long long)s->memsz);
		if (k->img.entry >= s->gpa && k->img.entry - s->gpa < s->filesz)
			loaded = true;
	}
	if (!loaded)
		return mb_error(
			path,
			"e_entry 0x%llx is not in the file bytes of any PT_LOAD by physical address (paging is off at entry)",
			(unsigned long long)k->img.entry);
	return 0;
}

int multiboot_parse(const uint8_t *buf, size_t size, struct multiboot_kernel *k)
{
	const char *path = k->img.path;
	long off = multiboot_find_header(buf, size, path);
	uint32_t required, flags;
	int ret;

	if (off == -ENOENT)
		return mb_error(path, "no Multiboot header (magic 0x%08x) in the first %d bytes",
				MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH);
	if (off < 0)
		return off;
	k->header_offset = off;
	memset(&k->hdr, 0, sizeof(k->hdr));
	memcpy(&flags, buf + off + offsetof(struct multiboot_header, flags), sizeof(flags));
	memcpy(&k->hdr, buf + off, header_length(flags));

	required = k->hdr.flags & MULTIBOOT_REQUIRED_FLAGS;
	if (required & MULTIBOOT_VIDEO_MODE)
		return mb_error(
			path,
			"the header asks for a video mode (flag 2): mini-kvm has no display, only COM1");
	if (required & ~MULTIBOOT_KNOWN_REQUIRED)
		return mb_error(
			path, "the header requires features mini-kvm does not know (flags 0x%04x)",
			required & ~MULTIBOOT_KNOWN_REQUIRED);

	if (k->hdr.flags & MULTIBOOT_AOUT_KLUDGE)
		ret = parse_aout_kludge(buf, size, k);
	else if (elf_is_elf(buf, size))
		ret = parse_elf(buf, size, k);
	else
		return mb_error(
			path,
			"not an ELF file, and the header has no address fields (flag 16) to load it by");
	if (ret < 0)
		return ret;

	k->kernel_end = 0;
	for (unsigned int i = 0; i < k->img.nsegs; i++) {
		const struct image_segment *s = &k->img.segs[i];

		if (s->gpa + s->memsz > k->kernel_end)
			k->kernel_end = s->gpa + s->memsz;
	}
	k->img.mode = BOOT_MODE_PROTECTED;
	return 0;
}

int multiboot_open(const char *path, struct multiboot_kernel *k)
{
	int ret;

	memset(k, 0, sizeof(*k));
	snprintf(k->img.path, sizeof(k->img.path), "%s", path);
	ret = image_read(path, "Multiboot kernel", MULTIBOOT_MAX_FILE_SIZE, IMAGE_READ_WHOLE,
			 &k->img);
	if (ret < 0)
		return ret;
	ret = multiboot_parse(k->img.file, k->img.file_size, k);
	if (ret < 0)
		multiboot_free(k);
	return ret;
}

void multiboot_free(struct multiboot_kernel *k)
{
	image_free(&k->img);
}

/* The mmap types are the E820 ones (3.3: 1 available, others reserved). */
_Static_assert(E820_TYPE_RAM == MULTIBOOT_MEMORY_AVAILABLE, "available RAM type");
_Static_assert(E820_TYPE_RESERVED == MULTIBOOT_MEMORY_RESERVED, "reserved type");

int multiboot_place(const struct multiboot_kernel *k, const struct guest_memory *mem,
		    const struct multiboot_boot *boot, struct loader_entry *entry)
{
	const char *path = k->img.path;
	const char *cmdline = boot->cmdline ? boot->cmdline : "";
	const char *modstr = boot->module_string ? boot->module_string : "";
	size_t cmdline_len = strlen(cmdline), modstr_len = strlen(modstr);
	uint64_t strings_len = (uint64_t)cmdline_len + 1 + modstr_len + 1;
	const struct loader_range busy[] = {
		{ LAYOUT_GDT, LAYOUT_GDT + LAYOUT_GDT_SIZE, "the boot GDT" },
		{ LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END, "the Multiboot information page" },
		{ LAYOUT_MULTIBOOT_STRINGS, LAYOUT_MULTIBOOT_STRINGS + strings_len,
		  "the command line and module string" },
	};
	struct boot_e820_entry e820[MULTIBOOT_MMAP_MAX];
	struct multiboot_mmap_entry *mmap;
	struct multiboot_info *info;
	uint8_t *page, *strings;
	uint64_t module = 0, floor, low_end = loader_low_ram_end(mem);
	int n, ret;

	if (strings_len > MULTIBOOT_STRINGS_MAX)
		return error_set(
			E2BIG,
			"Multiboot kernel '%s': the command line (%zu bytes) and module string (%zu bytes) pass the %llu bytes mini-kvm has for them",
			path, cmdline_len, modstr_len, MULTIBOOT_STRINGS_MAX);
	page = guest_ptr(mem, LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_SIZE);
	strings = guest_ptr(mem, LAYOUT_MULTIBOOT_STRINGS, strings_len);
	if (!page || !strings)
		return error_set(
			EFAULT,
			"Multiboot kernel '%s': the boot structures below 1 MiB are not guest RAM",
			path);

	ret = loader_check_ram_size(mem, k->kernel_end, "Multiboot kernel", path);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < k->img.nsegs; i++) {
		const struct image_segment *s = &k->img.segs[i];

		ret = loader_check_range(mem, s->gpa, s->gpa + s->memsz, busy,
					 sizeof(busy) / sizeof(busy[0]));
		if (ret < 0)
			return error_wrap(-ret, "Multiboot kernel '%s': segment %u", path, i);
	}
	floor = k->kernel_end > LAYOUT_HIGH_MEM ? k->kernel_end : LAYOUT_HIGH_MEM;
	if (boot->module && boot->module_size) {
		ret = loader_place_high(mem, boot->module_size, floor, &module);
		if (ret < 0)
			return error_wrap(-ret, "module '%s'", modstr);
	}
	n = e820_build(mem, e820, MULTIBOOT_MMAP_MAX);
	if (n < 0)
		return error_set(ENOSPC, "Multiboot kernel '%s': more than %d memory map entries",
				 path, MULTIBOOT_MMAP_MAX);

	/* Checks done: write. */
	ret = image_place(&k->img, mem);
	if (ret < 0)
		return ret;
	if (module && guest_write(mem, module, boot->module, boot->module_size))
		return error_set(EFAULT, "module '%s': [0x%llx, +%zu) is not guest RAM", modstr,
				 (unsigned long long)module, boot->module_size);
	memcpy(strings, cmdline, cmdline_len + 1);
	memcpy(strings + cmdline_len + 1, modstr, modstr_len + 1);
	memset(page, 0, LAYOUT_BOOT_INFO_SIZE);
	memcpy(page + (LAYOUT_MULTIBOOT_LOADER_NAME - LAYOUT_BOOT_INFO), MULTIBOOT_LOADER_NAME,
	       sizeof(MULTIBOOT_LOADER_NAME));
	mmap = (struct multiboot_mmap_entry *)(page + (LAYOUT_MULTIBOOT_MMAP - LAYOUT_BOOT_INFO));
	for (int i = 0; i < n; i++)
		mmap[i] = (struct multiboot_mmap_entry){ .size = MULTIBOOT_MMAP_ENTRY_SIZE,
							 .base_addr = e820[i].addr,
							 .length = e820[i].size,
							 .type = e820[i].type };

	info = (struct multiboot_info *)(page + (LAYOUT_MULTIBOOT_INFO - LAYOUT_BOOT_INFO));
	info->flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
		      MULTIBOOT_INFO_BOOT_LOADER_NAME;
	info->mem_lower = LAYOUT_EBDA / LAYOUT_KIB;
	info->mem_upper = (low_end - LAYOUT_HIGH_MEM) / LAYOUT_KIB;
	info->cmdline = LAYOUT_MULTIBOOT_STRINGS;
	info->mmap_length = n * sizeof(*mmap);
	info->mmap_addr = LAYOUT_MULTIBOOT_MMAP;
	info->boot_loader_name = LAYOUT_MULTIBOOT_LOADER_NAME;
	if (module) {
		struct multiboot_module *mod =
			(struct multiboot_module *)(page +
						    (LAYOUT_MULTIBOOT_MODS - LAYOUT_BOOT_INFO));

		mod->mod_start = module;
		mod->mod_end = module + boot->module_size;
		mod->string = LAYOUT_MULTIBOOT_STRINGS + cmdline_len + 1;
		info->flags |= MULTIBOOT_INFO_MODS;
		info->mods_count = 1;
		info->mods_addr = LAYOUT_MULTIBOOT_MODS;
	}

	*entry = (struct loader_entry){ .mode = BOOT_MODE_PROTECTED,
					.entry = k->img.entry,
					.eax = MULTIBOOT_BOOTLOADER_MAGIC,
					.ebx = LAYOUT_MULTIBOOT_INFO };
	return 0;
}
