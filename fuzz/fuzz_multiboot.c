/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the Multiboot loader: header search and multiboot_parse() on any bytes, then multiboot_place(). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "loaders/multiboot.h"

#define FUZZ_RAM	(8 * LAYOUT_MIB)
#define FUZZ_MODULE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_memory mem;
	struct multiboot_kernel k;
	struct loader_entry entry;
	struct multiboot_boot boot = { .cmdline = "root=/dev/ram0",
				       .module = data,
				       .module_size =
					       size < FUZZ_MODULE_MAX ? size : FUZZ_MODULE_MAX,
				       .module_string = "fuzz-module" };

	if (!mem.map && guest_memory_init(&mem, FUZZ_RAM))
		return 0;
	memset(&k, 0, sizeof(k));
	snprintf(k.img.path, sizeof(k.img.path), "fuzz");
	if (multiboot_parse(data, size, &k) == 0)
		multiboot_place(&k, &mem, &boot, &entry);
	return 0;
}
