/* SPDX-License-Identifier: MIT */
/* Control registers, EFER, page-table bits and port I/O for the C guests (Intel SDM vol. 2A, 3A). */
#ifndef GUESTS_CPU_H
#define GUESTS_CPU_H

#include <stdint.h>

/* CR0 (SDM 3A, 2.5). */
#define CR0_PE (1u << 0)  /* protected mode */
#define CR0_PG (1u << 31) /* paging */

/* CR4 (SDM 3A, 2.5). */
#define CR4_PSE (1u << 4) /* 4 MiB pages in 32-bit paging */
#define CR4_PAE (1u << 5) /* 64-bit page table entries; required by long mode */

/* CR3 holds the page directory's physical address in its upper bits (SDM 3A, 4.3). */
#define CR3_ADDR_MASK 0xfffff000u

/* IA32_EFER (SDM 3A, 2.2.1). */
#define MSR_EFER 0xc0000080u
#define EFER_LME (1u << 8)  /* long mode enable */
#define EFER_LMA (1u << 10) /* long mode active: set by the CPU once paging is on */

/* A 32-bit page directory entry mapping a 4 MiB page (SDM 3A, 4.3, table 4-4). */
#define PDE_PRESENT (1u << 0)
#define PDE_WRITE   (1u << 1)
#define PDE_PS	    (1u << 7) /* maps a 4 MiB page, not a page table */
#define PDE_SHIFT   22	      /* virtual address bits 31:22 index the directory */

static inline unsigned long read_cr0(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline unsigned long read_cr3(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline unsigned long read_cr4(void)
{
	unsigned long v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* One byte to or from an I/O port (SDM 2A, OUT and IN). */
static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline uint16_t read_cs(void)
{
	uint16_t v;

	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

#endif /* GUESTS_CPU_H */
