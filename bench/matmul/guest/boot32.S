/* SPDX-License-Identifier: MIT */
/*
 * The bare matmul guest's PC entry: a Multiboot (v1) kernel, as QEMU's -kernel loads one
 * (it takes only 32-bit images: the Makefile turns this ELF64 into an ELF32). Entered
 * in 32-bit protected mode with paging off, EAX = MULTIBOOT_BOOTLOADER_MAGIC and EBX =
 * the Multiboot information (Multiboot 0.6.96, 3.2 "Machine state"). It maps the first
 * GiB 1:1 with 2 MiB user-accessible pages, turns long mode on (SDM 3A, 10.8.5
 * "Initializing IA-32e Mode") and jumps to _start64 (ring3.S), the entry mini-kvm uses.
 */
#include "selectors.h"

/* Multiboot header (Multiboot 0.6.96, 3.1.1): no flags, the ELF headers say where to load. */
#define MULTIBOOT_HEADER_MAGIC 0x1badb002
#define MULTIBOOT_HEADER_FLAGS 0

#define CR0_PE	 (1 << 0)
#define CR0_PG	 (1 << 31)
#define CR4_PAE	 (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

/* Page-table entries (SDM 3A, 4.5): present, writable, user; PS maps 2 MiB at the PD. */
#define PTE_PRESENT (1 << 0)
#define PTE_WRITE   (1 << 1)
#define PTE_USER    (1 << 2)
#define PTE_PS	    (1 << 7)
#define PTE_TABLE   (PTE_PRESENT | PTE_WRITE | PTE_USER)
#define PTE_LARGE   (PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_PS)
#define PAGE_SIZE   0x1000
#define LARGE_PAGE  0x200000
#define PT_ENTRIES  512		/* one PD: 512 x 2 MiB = 1 GiB */
#define PT_PAGES    3		/* PML4, PDPT, PD */
#define BOOT_STACK_SIZE 0x1000

	.section .multiboot, "a"
	.balign 4
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

	.code32
	.section .text.boot32, "ax"
	.globl _start32
_start32:
	cli
	mov %ebx, multiboot_info	/* platform_pc.c reads the command line there */
	mov $boot_stack_top, %esp

	mov $page_tables, %edi		/* RAM need not be zero: clear the tables */
	xor %eax, %eax
	mov $(PT_PAGES * PAGE_SIZE / 4), %ecx
	rep stosl
	mov $(page_tables + PAGE_SIZE), %eax
	or $PTE_TABLE, %eax
	mov %eax, page_tables		/* PML4[0] -> PDPT */
	mov $(page_tables + 2 * PAGE_SIZE), %eax
	or $PTE_TABLE, %eax
	mov %eax, page_tables + PAGE_SIZE	/* PDPT[0] -> PD */
	mov $(page_tables + 2 * PAGE_SIZE), %edi
	mov $PTE_LARGE, %eax		/* PD[i] -> i * 2 MiB */
	mov $PT_ENTRIES, %ecx
1:	mov %eax, (%edi)
	add $LARGE_PAGE, %eax
	add $8, %edi
	loop 1b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $page_tables, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PE | CR0_PG), %eax
	mov %eax, %cr0			/* long mode active, in compatibility mode */
	lgdt gdtr			/* ring3.S's GDT: its KERNEL_CS is 64-bit code */
	ljmp $KERNEL_CS, $1f

	.code64
1:	jmp _start64

	.data
	.balign 4
	.globl multiboot_info
multiboot_info:
	.long 0

	.bss
	.balign PAGE_SIZE
page_tables:
	.space PT_PAGES * PAGE_SIZE
	.balign 16
	.space BOOT_STACK_SIZE
boot_stack_top:
