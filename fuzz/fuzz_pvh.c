/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the PVH loader: pvh_parse() on any bytes, then pvh_place() into fake guest RAM. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "loaders/pvh.h"

/* Small enough to clear quickly, big enough for a kernel at 1 MiB and an initrd. */
#define FUZZ_RAM	(8 * LAYOUT_MIB)
#define FUZZ_INITRD_MAX 4096
#define FUZZ_RSDP	LAYOUT_ACPI

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_memory mem;
	struct pvh_kernel k;
	struct loader_entry entry;
	struct linux_boot boot = { .cmdline = "console=ttyS0",
				   .initrd = data,
				   .initrd_size = size < FUZZ_INITRD_MAX ? size : FUZZ_INITRD_MAX,
				   .initrd_path = "fuzz-initrd",
				   .acpi_rsdp = FUZZ_RSDP };

	if (!mem.map && guest_memory_init(&mem, FUZZ_RAM))
		return 0;
	memset(&k, 0, sizeof(k));
	snprintf(k.img.path, sizeof(k.img.path), "fuzz");
	if (pvh_parse(data, size, &k) == 0)
		pvh_place(&k, &mem, &boot, &entry);
	return 0;
}
