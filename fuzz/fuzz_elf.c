/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the ELF loader: elf_file_ranges() and elf_parse() on any bytes, then image_place() into fake guest RAM. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "loaders/image.h"

/*
 * The input is the whole file. Oracle (besides ASan/UBSan): every range
 * elf_file_ranges() names lies in the file, every segment elf_parse() accepts points
 * into the file with its filesz bytes, no more than IMAGE_MAX_SEGMENTS of them, and
 * image_place() writes only into RAM (ASan would see a write past the mapping's
 * guard; the placing is also tried in every boot mode, as --mode allows).
 */
#define FUZZ_RAM	(4 * LAYOUT_MIB)
#define FUZZ_RANGES_MAX 256

static const enum boot_mode modes[] = { BOOT_MODE_REAL, BOOT_MODE_PROTECTED, BOOT_MODE_PAGING,
					BOOT_MODE_LONG };

static void check_ranges(const uint8_t *data, size_t size, enum elf_parts parts)
{
	struct file_range ranges[FUZZ_RANGES_MAX];
	unsigned int n = elf_file_ranges(data, size, parts, ranges, FUZZ_RANGES_MAX);

	if (n > FUZZ_RANGES_MAX)
		abort();
	for (unsigned int i = 0; i < n; i++)
		if (ranges[i].offset > size || ranges[i].len > size - ranges[i].offset)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_memory mem;
	struct guest_image img;

	if (!mem.map && guest_memory_init(&mem, FUZZ_RAM))
		abort();
	check_ranges(data, size, ELF_PARTS_PHDRS);
	check_ranges(data, size, ELF_PARTS_SEGMENTS);
	check_ranges(data, size, ELF_PARTS_NOT_LOADED);

	memset(&img, 0, sizeof(img));
	snprintf(img.path, sizeof(img.path), "fuzz");
	if (elf_parse(data, size, &img) < 0)
		return 0;
	if (img.nsegs == 0 || img.nsegs > IMAGE_MAX_SEGMENTS)
		abort();
	for (unsigned int i = 0; i < img.nsegs; i++) {
		const struct image_segment *seg = &img.segs[i];

		if (seg->data < data || (size_t)(seg->data - data) > size ||
		    seg->filesz > size - (size_t)(seg->data - data) || seg->filesz > seg->memsz)
			abort();
	}
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		img.mode = modes[m];
		image_place(&img, &mem);
	}
	return 0;
}
