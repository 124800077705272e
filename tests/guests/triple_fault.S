/* SPDX-License-Identifier: MIT */
/* Test guest (--mode long): an invalid opcode with no IDT, i.e. a triple fault on any x86. */
	.code64
	.text
	.globl _start
_start:
	mov $0x1234abcd, %rax	/* a value the register dump must show */
	ud2
