/* SPDX-License-Identifier: MIT */
/*
 * A small higher-half kernel for 32-bit paging: prints where it runs, checks
 * the control registers and its page directory, and that a pattern written
 * through one mapping of memory reads back through the other.
 *
 * Linked at MKVM_HIGHER_HALF + MKVM_FLAT_LOAD and loaded at MKVM_FLAT_LOAD
 * (guests/lib/elf.ld.S), so the VMM boots it in paging mode: virtual 0..2 GiB
 * identity-mapped and MKVM_HIGHER_HALF + x mapped to x, with 4 MiB pages.
 * Prints "paging: ok" and returns 0 (the exit status, through entry32.S), or
 * says what differed where and returns 1.
 */
#include <stdint.h>

#include "console.h"
#include "cpu.h"
#include <mini-kvm/boot.h>

#define EXIT_OK	  0
#define EXIT_FAIL 1

/* The probe buffer: 4 KiB of .bss, each dword a different multiple of a seed. */
#define PROBE_DWORDS 1024
#define PROBE_SEED   0x9e3779b9u /* 2^32 / golden ratio: no two dwords alike */

/* An initialised variable, so that .data is in the file and the loader copies it. */
#define DATA_MARKER 0x0da7a0adu

/* Bits 31:22 of a PDE that maps a 4 MiB page: the page's physical address. */
#define PDE_4M_FRAME_MASK 0xffc00000u

/* Section bounds from guests/lib/elf.ld.S (virtual addresses). */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];

static uint32_t probe[PROBE_DWORDS];
static volatile uint32_t data_marker = DATA_MARKER;
static unsigned int failures;

/* The physical address behind one of our (higher-half) virtual addresses. */
static uint32_t virt_to_phys(const volatile void *p)
{
	return (uint32_t)((uintptr_t)p - MKVM_HIGHER_HALF);
}

/* Physical memory below 2 GiB is also mapped at its own address. */
static volatile uint32_t *phys_to_identity(uint32_t phys)
{
	return (volatile uint32_t *)(uintptr_t)phys;
}

/* Ends a check's line with its verdict. */
static void verdict(int passed)
{
	if (!passed)
		failures++;
	console_printf(" %s\n", passed ? "ok" : "FAIL");
}

static void print_section(const char *name, const char *start, const char *end)
{
	console_printf("paging: %s virt %p-%p phys 0x%x-0x%x\n", name, (const void *)start,
		       (const void *)end, virt_to_phys(start), virt_to_phys(end));
}

static void check_control_registers(void)
{
	unsigned long cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();

	console_printf("paging: CR0=0x%08lx CR3=0x%08lx CR4=0x%08lx\n", cr0, cr3, cr4);
	console_printf("paging: CR0.PE CR0.PG CR4.PSE set, CR4.PAE clear");
	verdict((cr0 & CR0_PE) && (cr0 & CR0_PG) && (cr4 & CR4_PSE) && !(cr4 & CR4_PAE));
}

/* Both directory entries that cover our code map the same 4 MiB page. */
static void check_page_directory(void)
{
	volatile uint32_t *pd = phys_to_identity(read_cr3() & CR3_ADDR_MASK);
	uint32_t high_index = (uint32_t)(uintptr_t)__text_start >> PDE_SHIFT;
	uint32_t low_index = virt_to_phys(__text_start) >> PDE_SHIFT;
	uint32_t high = pd[high_index], low = pd[low_index];
	uint32_t wanted = PDE_PRESENT | PDE_PS;

	console_printf("paging: PDE[%u]=0x%08x PDE[%u]=0x%08x", high_index, high, low_index, low);
	verdict((high & wanted) == wanted && (low & wanted) == wanted &&
		(high & PDE_4M_FRAME_MASK) == (low & PDE_4M_FRAME_MASK));
}

/*
 * The loader copies p_filesz bytes of each segment and zeroes the rest up to
 * p_memsz: .data must hold its initial value, and probe (nothing has touched
 * it yet) must be all zero.
 */
static void check_loaded(void)
{
	uint32_t i, nonzero = 0;

	console_printf("paging: data loaded");
	verdict(data_marker == DATA_MARKER);

	for (i = 0; i < PROBE_DWORDS; i++)
		nonzero |= probe[i];
	console_printf("paging: bss zeroed");
	verdict(nonzero == 0);
}

/*
 * Write PROBE_DWORDS values through one pointer, read them through the other.
 * Returns 0, or prints the first difference and returns -1. volatile: the
 * compiler must not forward the stored values instead of reading memory.
 */
static int probe_through(const char *what, volatile uint32_t *writer, volatile uint32_t *reader,
			 uint32_t flip)
{
	uint32_t i;

	for (i = 0; i < PROBE_DWORDS; i++)
		writer[i] = (i * PROBE_SEED) ^ flip;
	for (i = 0; i < PROBE_DWORDS; i++) {
		uint32_t want = (i * PROBE_SEED) ^ flip, got = reader[i];

		if (got != want) {
			console_printf("paging: %s mismatch: wrote 0x%08x at %p, "
				       "read 0x%08x at %p\n",
				       what, want, (const void *)&writer[i], got,
				       (const void *)&reader[i]);
			failures++;
			return -1;
		}
	}
	console_printf("paging: %s: wrote at %p, read at %p, %u bytes", what, (const void *)writer,
		       (const void *)reader, (unsigned int)sizeof(probe));
	verdict(1);
	return 0;
}

int main(void)
{
	volatile uint32_t *high = probe;
	volatile uint32_t *low = phys_to_identity(virt_to_phys(probe));
	uint32_t on_stack = 0;

	console_printf("paging: hello from a higher-half kernel\n");
	print_section("text", __text_start, __text_end);
	print_section("rodata", __rodata_start, __rodata_end);
	print_section("data", __data_start, __data_end);
	print_section("bss", __bss_start, __bss_end);

	console_printf("paging: stack at %p", (void *)&on_stack);
	verdict((uintptr_t)&on_stack >= MKVM_HIGHER_HALF);

	check_control_registers();
	check_page_directory();
	check_loaded();

	/* Higher half to identity, then back with every bit flipped. */
	if (probe_through("higher half -> identity", high, low, 0) == 0)
		probe_through("identity -> higher half", low, high, ~0u);

	if (console_errors()) {
		console_printf("paging: HC_PUTS misbehaved %u times", console_errors());
		verdict(0);
	}
	if (failures) {
		console_printf("paging: %u failed\n", failures);
		return EXIT_FAIL;
	}
	console_printf("paging: ok\n");
	return EXIT_OK;
}
