/* SPDX-License-Identifier: MIT */
/* Linker script for flat-binary guests: one blob, linked where the VMM loads it (FLAT_ORIGIN). */
#include <mini-kvm/boot.h>

/*
 * guests.mk preprocesses this with -DFLAT_ORIGIN=MKVM_REAL_LOAD (real mode)
 * or -DFLAT_ORIGIN=MKVM_FLAT_LOAD (--mode protected). The result is linked to
 * an ELF (kept for objdump and symbols) and then turned into the flat .bin with
 * objcopy -O binary, which keeps bytes from FLAT_ORIGIN on.
 *
 * Everything goes into one output section, .bss included: a flat loader copies
 * the file and nothing else, so zero-initialised data must be in the file too.
 */
ENTRY(_start)

SECTIONS
{
	. = FLAT_ORIGIN;

	.text : {
		*(.text.entry)		/* _start first: the VMM enters at FLAT_ORIGIN */
		*(.text .text.*)
		*(.rodata .rodata.*)
		*(.data .data.*)
		*(.bss .bss.*)
		*(COMMON)
	}

	/DISCARD/ : {
		*(.note*)
		*(.comment)
		*(.eh_frame*)
	}
}
