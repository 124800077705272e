/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the boot-sector loader: bootsector_parse(), and bootsector_diagnose() on guest-chosen memory and registers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "loaders/bootsector.h"

/*
 * The input: CS, IP, SS, SP (little-endian 16-bit), a flags byte (bit 0: install the
 * traps first; bit 1: the next IVT-sized block is the IVT), then bytes for the memory
 * from FUZZ_CODE_BASE (the boot sector's page and the stack below it). The memory is
 * cleared for each input, so runs do not depend on each other.
 */
#define FUZZ_REGS	  8
#define FUZZ_FLAGS	  FUZZ_REGS
#define FUZZ_HEADER	  (FUZZ_REGS + 1)
#define FUZZ_TRAPS	  (1 << 0)
#define FUZZ_IVT	  (1 << 1)
#define FUZZ_IVT_SIZE	  (IVT_VECTORS * IVT_ENTRY_SIZE)
#define FUZZ_CODE_BASE	  0x7000
#define FUZZ_CODE_MAX	  0x2000
#define FUZZ_MESSAGE_SIZE 256

static uint16_t rd16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_memory mem;
	struct bootsector bs;
	struct bootsector_cpu cpu;
	char msg[FUZZ_MESSAGE_SIZE];
	size_t n;

	memset(&bs, 0, sizeof(bs));
	snprintf(bs.path, sizeof(bs.path), "fuzz");
	bootsector_parse(data, size, &bs);

	if (size < FUZZ_HEADER)
		return 0;
	if (!mem.map && guest_memory_init(&mem, LAYOUT_MEM_MIN))
		return 0;
	memset(mem.map, 0, LAYOUT_LOW_RAM_END);
	cpu = (struct bootsector_cpu){ rd16(data), rd16(data + 2), rd16(data + 4), rd16(data + 6) };
	if (data[FUZZ_FLAGS] & FUZZ_TRAPS)
		bootsector_install_traps(&mem);
	data += FUZZ_HEADER;
	size -= FUZZ_HEADER;
	if (data[-1] & FUZZ_IVT && size >= FUZZ_IVT_SIZE) {
		guest_write(&mem, LAYOUT_IVT, data, FUZZ_IVT_SIZE);
		data += FUZZ_IVT_SIZE;
		size -= FUZZ_IVT_SIZE;
	}
	n = size < FUZZ_CODE_MAX ? size : FUZZ_CODE_MAX;
	guest_write(&mem, FUZZ_CODE_BASE, data, n);
	bootsector_diagnose(&mem, &cpu, msg, sizeof(msg));
	return 0;
}
