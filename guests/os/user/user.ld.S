/* SPDX-License-Identifier: MIT */
/* Linker script of user programs: one flat blob at USER_BASE, entered at its first byte. */
#include "abi.h"

ENTRY(_start)

SECTIONS
{
	. = USER_BASE;

	/* .bss too: the kernel copies the image and nothing else, so zeroes must be in it. */
	.image : {
		*(.text.entry)
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
