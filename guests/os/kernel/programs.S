/* SPDX-License-Identifier: MIT */
/* The user programs, embedded as flat images (built by os.mk, found through as -I). */

/* One program: its image, and a program_table row {name, start, end}. */
.macro PROGRAM name
	.section .rodata
	.balign 16
image_\name:
	.incbin "\name\().bin"
image_\name\()_end:
name_\name:
	.asciz "\name"
	.section .data.programs, "aw"
	.quad name_\name, image_\name, image_\name\()_end
.endm

	.section .data.programs, "aw"
	.balign 8
	.globl program_table
program_table:
	PROGRAM shell
	PROGRAM hello
	PROGRAM null
	PROGRAM spin
	PROGRAM true
	.section .data.programs, "aw"
	.quad 0, 0, 0			/* end of the table */
