/* SPDX-License-Identifier: MIT */
/* Linker script of the teaching OS kernel: linked in the higher half, loaded at 1 MiB. */
#include "memlayout.h"

/* Program header flags (ELF gABI, p_flags). */
#define PF_X 1
#define PF_W 2
#define PF_R 4

#define PHYS(section) AT(ADDR(section) - KERNEL_VBASE)

/*
 * mini-kvm enters an ELF64 at e_entry in long mode with the first 4 GiB
 * identity-mapped: e_entry must be a physical address. boot.S runs there until
 * it has loaded its own page tables, then jumps to the higher half.
 */
ENTRY(_start_phys)

PHDRS
{
	text PT_LOAD FLAGS(PF_R | PF_X);
	rodata PT_LOAD FLAGS(PF_R);
	data PT_LOAD FLAGS(PF_R | PF_W);
}

SECTIONS
{
	. = KERNEL_VBASE + KERNEL_LOAD_PHYS;
	_start_phys = _start - KERNEL_VBASE;
	/* guests/lib/console.c is not linked, but format.c and string.c need nothing else. */

	.text : PHYS(.text) {
		*(.text.boot)
		*(.text .text.*)
	} :text

	. = ALIGN(PAGE_SIZE);
	.rodata : PHYS(.rodata) {
		*(.rodata .rodata.*)
	} :rodata

	. = ALIGN(PAGE_SIZE);
	.data : PHYS(.data) {
		*(.data .data.*)
	} :data

	.bss : PHYS(.bss) {
		*(.bss .bss.*)
		*(COMMON)
	} :data
	. = ALIGN(PAGE_SIZE);
	__kernel_end = .;

	/DISCARD/ : {
		*(.note*)
		*(.comment)
		*(.eh_frame*)
	}
}
