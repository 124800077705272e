/* SPDX-License-Identifier: MIT */
/* The kernel's GDT and 64-bit TSS (SDM 3A, 3.4.5 descriptors; 8.7 the 64-bit TSS). */
#include "descriptors.h"
#include "segments.h"

/* Flat 64-bit descriptors: access byte and L/D/G flags, base and limit ignored in long mode. */
#define DESC_KERNEL_CODE 0x00af9a000000ffffull /* present, DPL 0, code, L */
#define DESC_KERNEL_DATA 0x00cf92000000ffffull /* present, DPL 0, data, writable */
#define DESC_USER_DATA	 0x00cff2000000ffffull /* present, DPL 3, data, writable */
#define DESC_USER_CODE	 0x00affa000000ffffull /* present, DPL 3, code, L */
#define DESC_TSS_TYPE	 0x89ull	       /* present, DPL 0, available 64-bit TSS */

#define DOUBLE_FAULT_STACK_SIZE 4096

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* rsp[0]: the stack for interrupts from ring 3 */
	uint64_t reserved1;
	uint64_t ist[7]; /* ist[0] is IST slot 1 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* past the limit: no I/O bitmap, ring 3 gets no ports */
} __attribute__((packed));

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[GDT_ENTRIES];
static struct tss tss;
static uint8_t double_fault_stack[DOUBLE_FAULT_STACK_SIZE] __attribute__((aligned(16)));

void gdt_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	struct gdtr gdtr = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };

	gdt[KERNEL_CS / 8] = DESC_KERNEL_CODE;
	gdt[KERNEL_DS / 8] = DESC_KERNEL_DATA;
	gdt[USER_DS / 8] = DESC_USER_DATA;
	gdt[USER_CS / 8] = DESC_USER_CODE;
	/* A system descriptor of 16 bytes: base 63:32 in the second slot. */
	gdt[TSS_SEL / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (DESC_TSS_TYPE << 40) |
			   ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[TSS_SEL / 8 + 1] = base >> 32;
	tss.iomap_base = sizeof(tss);
	tss.ist[IST_DOUBLE_FAULT - 1] =
		(uint64_t)(uintptr_t)(double_fault_stack + DOUBLE_FAULT_STACK_SIZE);

	/* CS only changes through a far transfer: lretq to the next instruction. */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "mov %3, %%fs\n\t"
			 "mov %3, %%gs\n\t"
			 "ltr %4"
			 :
			 : "m"(gdtr), "i"(KERNEL_CS), "r"((uint16_t)KERNEL_DS), "r"((uint16_t)0),
			   "r"((uint16_t)TSS_SEL)
			 : "rax", "memory");
}

void gdt_set_kernel_stack(uint64_t top)
{
	tss.rsp[0] = top;
}
