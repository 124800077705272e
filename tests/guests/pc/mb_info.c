/* SPDX-License-Identifier: MIT */
/*
 * A Multiboot kernel (Multiboot 0.6.96) that prints what its loader told it: the
 * magic, mem_lower/mem_upper, the memory map, the command line, the loader's name and
 * the modules, then exits through isa-debug-exit (value 0x10: status 0x21).
 */
#include "pclib.h"

#define MB_LOADER_MAGIC 0x2badb002
#define MBI_MEMORY	(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MODS	(1u << 3)
#define MBI_MMAP	(1u << 6)
#define MBI_LOADER_NAME (1u << 9)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

struct mb_mmap {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
};

void main(uint32_t magic, const struct mb_info *mbi)
{
	kprintf("multiboot: magic %s\n", magic == MB_LOADER_MAGIC ? "ok" : "bad");
	if (magic != MB_LOADER_MAGIC)
		debug_exit(0x7f);
	if (mbi->flags & MBI_MEMORY)
		kprintf("mem: lower %u KiB, upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
	if (mbi->flags & MBI_MMAP) {
		uint32_t p = mbi->mmap_addr;

		while (p < mbi->mmap_addr + mbi->mmap_length) {
			const struct mb_mmap *m = (const void *)p;

			kprintf("mmap: 0x%08x-0x%08x type %u\n", (uint32_t)m->base,
				(uint32_t)(m->base + m->length - 1), m->type);
			p += m->size + 4;
		}
	}
	if (mbi->flags & MBI_CMDLINE)
		kprintf("cmdline: '%s'\n", (const char *)mbi->cmdline);
	if (mbi->flags & MBI_LOADER_NAME)
		kprintf("loader: %s\n", (const char *)mbi->boot_loader_name);
	if (mbi->flags & MBI_MODS) {
		const struct mb_module *mod = (const void *)mbi->mods_addr;

		for (uint32_t i = 0; i < mbi->mods_count; i++) {
			const char *data = (const char *)mod[i].start;
			uint32_t len = mod[i].end - mod[i].start;

			kprintf("module %u: %u bytes, '%s', starts '", i, len,
				(const char *)mod[i].string);
			for (uint32_t j = 0; j < len && j < 16 && data[j] >= ' '; j++)
				kprintf("%c", data[j]);
			kprintf("'\n");
		}
	}
	debug_exit(0x10);
}
