/* SPDX-License-Identifier: MIT */
/*
 * tk's boot loader, the second half of its boot sector: read the kernel, an ELF file
 * starting at sector 1 of the first ATA disk, with PIO polling (no BIOS, no
 * interrupts), load its program headers at their physical addresses, zero their bss
 * and jump to its entry. On any error it returns (the sector halts).
 */
#include <stdint.h>

#define SECTOR	     512
#define ELF_MAGIC    0x464c457fu /* "\x7fELF", little-endian */
#define PT_LOAD	     1
#define SCRATCH	     0x10000 /* the ELF header and program headers land here */
#define HEADER_BYTES 4096

struct elf32 {
	uint32_t magic;
	uint8_t ident[12];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr32 {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void wait_ready(void)
{
	while ((inb(0x1f7) & 0xc0) != 0x40) /* BSY clear, DRDY set */
		;
}

/* Read sector lba of disk 0 into dst: READ SECTORS, then one DRQ block of 128 dwords. */
static void read_sector(uint8_t *dst, uint32_t lba)
{
	wait_ready();
	outb(0x1f2, 1);
	outb(0x1f3, lba);
	outb(0x1f4, lba >> 8);
	outb(0x1f5, lba >> 16);
	outb(0x1f6, (lba >> 24) | 0xe0);
	outb(0x1f7, 0x20);
	wait_ready();
	__asm__ volatile("cld; rep insl" : "+D"(dst), "+c"((uint32_t){ SECTOR / 4 }) : "d"(0x1f0)
			 : "memory");
}

/* Read count bytes at file offset off to pa (the sector holding off starts before pa). */
static void read_file(uint8_t *pa, uint32_t count, uint32_t off)
{
	uint8_t *end = pa + count;
	uint32_t lba = off / SECTOR + 1;

	for (pa -= off % SECTOR; pa < end; pa += SECTOR)
		read_sector(pa, lba++);
}

void bootmain(void)
{
	struct elf32 *elf = (struct elf32 *)SCRATCH;
	struct phdr32 *ph, *last;

	read_file((uint8_t *)elf, HEADER_BYTES, 0);
	if (elf->magic != ELF_MAGIC)
		return;
	ph = (struct phdr32 *)((uint8_t *)elf + elf->phoff);
	for (last = ph + elf->phnum; ph < last; ph++) {
		uint8_t *pa = (uint8_t *)ph->paddr;

		if (ph->type != PT_LOAD)
			continue;
		read_file(pa, ph->filesz, ph->offset);
		for (uint32_t i = ph->filesz; i < ph->memsz; i++)
			pa[i] = 0;
	}
	((void (*)(void))elf->entry)();
}
