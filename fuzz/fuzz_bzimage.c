/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the bzImage loader: bzimage_parse() on any bytes, then bzimage_place() into fake guest RAM. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "loaders/bzimage.h"

/*
 * The input is the whole bzImage. Its first bytes, which the boot protocol leaves to
 * the legacy boot sector and the loader never reads, choose the rest of the setting:
 *   byte 0, bits 0-1: guest RAM (ram_sizes[]): 2, 32 or 128 MiB (the default), or
 *           64 MiB more than fits below the MMIO hole (RAM in two regions)
 *   byte 0, bits 2-3: the command line (none, empty, short, longer than any kernel takes)
 *   bytes 1-2: initrd length (le16); the initrd's bytes are the file's
 * Oracle (besides ASan/UBSan): a placed kernel lies in RAM at or above 1 MiB, its
 * entry is its load address + 0x200, and an initrd lies in RAM above the kernel.
 */
#define FUZZ_SETTING	   3
#define FUZZ_RAM_MASK	   0x03
#define FUZZ_CMDLINE_SHIFT 2
#define FUZZ_CMDLINE_MASK  0x03
#define FUZZ_LONG_CMDLINE  (LAYOUT_CMDLINE_MAX + 16)

static const uint64_t ram_sizes[] = { 2 * LAYOUT_MIB, 32 * LAYOUT_MIB, 128 * LAYOUT_MIB,
				      LAYOUT_MMIO_HOLE + 64 * LAYOUT_MIB };

static const char *cmdline(unsigned int choice)
{
	static char longest[FUZZ_LONG_CMDLINE + 1];

	switch (choice) {
	case 0:
		return NULL;
	case 1:
		return "";
	case 2:
		return "console=ttyS0 pci=off";
	}
	if (!longest[0])
		memset(longest, 'x', FUZZ_LONG_CMDLINE);
	return longest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_memory mems[sizeof(ram_sizes) / sizeof(ram_sizes[0])];
	struct guest_memory *mem;
	struct linux_entry entry;
	struct linux_boot boot;
	struct bzimage bz;
	size_t initrd_size;

	if (size < FUZZ_SETTING)
		return 0;
	mem = &mems[data[0] & FUZZ_RAM_MASK];
	if (!mem->map && guest_memory_init(mem, ram_sizes[data[0] & FUZZ_RAM_MASK]))
		abort();
	initrd_size = (size_t)(data[1] | data[2] << 8);
	if (initrd_size > size)
		initrd_size = size;

	memset(&bz, 0, sizeof(bz));
	snprintf(bz.path, sizeof(bz.path), "fuzz");
	if (bzimage_parse(data, size, &bz) < 0)
		return 0;
	/* As bzimage_open() leaves it: the file is the buffer parsed. */
	bz.file = (uint8_t *)data;
	bz.file_size = size;
	if (bz.kernel < data || bz.kernel_size > size - (size_t)(bz.kernel - data))
		abort();

	boot = (struct linux_boot){ .cmdline = cmdline((data[0] >> FUZZ_CMDLINE_SHIFT) &
						       FUZZ_CMDLINE_MASK),
				    .initrd = initrd_size ? data : NULL,
				    .initrd_size = initrd_size,
				    .initrd_path = "fuzz-initrd",
				    .acpi_rsdp = LAYOUT_ACPI };
	if (bzimage_place(&bz, mem, &boot, &entry) < 0)
		return 0;
	if (entry.kernel_load < LAYOUT_HIGH_MEM ||
	    !guest_ptr(mem, entry.kernel_load, bz.kernel_size) ||
	    entry.rip != entry.kernel_load + BOOT_ENTRY_64_OFFSET)
		abort();
	if (entry.initrd && (entry.initrd < entry.kernel_load + bz.kernel_size ||
			     !guest_ptr(mem, entry.initrd, initrd_size)))
		abort();
	return 0;
}
