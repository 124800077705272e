/* SPDX-License-Identifier: MIT */
/* Linker script for ELF C guests: physical load address and virtual offset are parameters. */
#include <mini-kvm/boot.h>

/*
 * guests.mk preprocesses this with
 *   -DELF_LOAD_PHYS=...    where the VMM copies the image (each PT_LOAD's p_paddr)
 *   -DELF_VIRT_OFFSET=...  virtual minus physical address: 0 for an identity-mapped
 *                          guest, MKVM_HIGHER_HALF for a higher-half kernel
 * The VMM's ELF loader picks paging mode for an ELF32 exactly when some PT_LOAD
 * has p_vaddr != p_paddr, so AT() below is what makes a higher-half kernel.
 */
#define PHYS(section) AT(ADDR(section) - ELF_VIRT_OFFSET)

/* Program header flags (ELF gABI, p_flags). */
#define PF_X 1
#define PF_W 2
#define PF_R 4

ENTRY(_start)

/* Separate segments so that code is never writable and data never executable. */
PHDRS
{
	text PT_LOAD FLAGS(PF_R | PF_X);
	rodata PT_LOAD FLAGS(PF_R);
	data PT_LOAD FLAGS(PF_R | PF_W);
}

SECTIONS
{
	/* console.c turns buffer addresses into the GPAs that HC_PUTS wants with this. */
	__guest_virt_offset = ELF_VIRT_OFFSET;

	. = ELF_LOAD_PHYS + ELF_VIRT_OFFSET;

	__text_start = .;
	.text : PHYS(.text) {
		*(.text.entry)
		*(.text .text.*)
	} :text
	__text_end = .;

	. = ALIGN(MKVM_PAGE_SIZE);
	__rodata_start = .;
	.rodata : PHYS(.rodata) {
		*(.rodata .rodata.*)
	} :rodata
	__rodata_end = .;

	. = ALIGN(MKVM_PAGE_SIZE);
	__data_start = .;
	.data : PHYS(.data) {
		*(.data .data.*)
	} :data
	__data_end = .;

	/* Not in the file: the loader zeroes p_memsz beyond p_filesz. */
	__bss_start = .;
	.bss : PHYS(.bss) {
		*(.bss .bss.*)
		*(COMMON)
	} :data
	__bss_end = .;

	/DISCARD/ : {
		*(.note*)
		*(.comment)
		*(.eh_frame*)
	}
}
