/* SPDX-License-Identifier: MIT */
/*
 * A 64-bit guest: checks that it really runs in long mode (EFER.LMA, CR0.PG,
 * CR4.PAE, a 64-bit code segment) and prints arithmetic that needs 64 bits,
 * formatted by guests/lib since HC_PUTNUM takes only 32. Prints "long: ok" and
 * returns 0 (the exit status, through entry64.S), or returns 1.
 */
#include <stdint.h>

#include "console.h"
#include "cpu.h"

#define EXIT_OK	  0
#define EXIT_FAIL 1

/* 20! is the largest factorial that fits in 64 bits (21! > 2^64). */
#define FACTORIAL_N  20
#define FACTORIAL_20 2432902008176640000ull

/* A segment selector's descriptor index is above its RPL and TI bits (SDM 3A, 3.4.2). */
#define SELECTOR_INDEX_SHIFT 3
/* Code segment descriptor: L, 64-bit code (SDM 3A, 3.4.5). */
#define DESC_L (1ull << 53)

/* What sgdt stores in 64-bit mode: a 16-bit limit, then a 64-bit base. */
struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Section bounds from guests/lib/elf.ld.S. */
extern char __text_start[], __text_end[];

/* volatile: computed at run time, not folded into a constant by the compiler. */
static volatile unsigned int factorial_n = FACTORIAL_N;

static unsigned int failures;

/* Ends a check's line with its verdict. */
static void verdict(int passed)
{
	if (!passed)
		failures++;
	console_printf(" %s\n", passed ? "ok" : "FAIL");
}

static void check_long_mode(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	unsigned long cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();

	console_printf("long: EFER=0x%llx CR0=0x%lx CR3=0x%lx CR4=0x%lx\n",
		       (unsigned long long)efer, cr0, cr3, cr4);
	console_printf("long: EFER.LME EFER.LMA CR0.PE CR0.PG CR4.PAE set");
	verdict((efer & EFER_LME) && (efer & EFER_LMA) && (cr0 & CR0_PE) && (cr0 & CR0_PG) &&
		(cr4 & CR4_PAE));
}

/* The descriptor behind CS has L set: we execute 64-bit code, not compatibility mode. */
static void check_code_segment(void)
{
	struct gdtr gdtr;
	uint16_t cs = read_cs();
	const uint64_t *gdt;
	uint64_t desc;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	gdt = (const uint64_t *)(uintptr_t)gdtr.base;
	desc = gdt[cs >> SELECTOR_INDEX_SHIFT];
	console_printf("long: CS=0x%x, descriptor 0x%016llx at 0x%llx, 64-bit", cs,
		       (unsigned long long)desc, (unsigned long long)gdtr.base);
	verdict((desc & DESC_L) != 0);
}

static void check_arithmetic(void)
{
	uint64_t product = 1;
	unsigned int i;

	for (i = 2; i <= factorial_n; i++)
		product *= i;
	console_printf("long: %u! = %llu = 0x%llx", factorial_n, (unsigned long long)product,
		       (unsigned long long)product);
	verdict(product == FACTORIAL_20);
	console_printf("long: 2^64 - 1 = %llu, -2^63 = %lld\n", ~0ull, (long long)(1ull << 63));
}

int main(void)
{
	console_printf("long: hello from 64-bit mode\n");
	console_printf("long: text at %p-%p\n", (void *)__text_start, (void *)__text_end);
	check_long_mode();
	check_code_segment();
	check_arithmetic();

	if (console_errors()) {
		console_printf("long: HC_PUTS misbehaved %u times", console_errors());
		verdict(0);
	}
	if (failures) {
		console_printf("long: %u failed\n", failures);
		return EXIT_FAIL;
	}
	console_printf("long: ok\n");
	return EXIT_OK;
}
