/* SPDX-License-Identifier: MIT */
/* Entry of 32-bit C guests: own stack, call main(), hand its return value to HC_EXIT. */
#include <mini-kvm/hypercall.h>

/* Enough for the printf-style formatter and a few frames; the guests are small. */
#define GUEST_STACK_SIZE 0x4000
/* The i386 System V ABI wants 16-byte stack alignment at every call. */
#define STACK_ALIGN 16

	.code32
	.section .text.entry, "ax"
	.globl _start
_start:
	/*
	 * The VMM's stack (LAYOUT_FLAT_STACK_TOP) is a low physical address; a
	 * higher-half kernel should run on an address of its own image, so it
	 * sets its own. The .bss is already zero: the ELF loader clears
	 * p_memsz beyond p_filesz.
	 */
	mov $stack_top, %esp
	xor %ebp, %ebp			/* end of the frame chain for debuggers */
	call main

	mov %eax, %ebx			/* exit status */
	mov $HC_EXIT, %al
	mov $HC_PORT, %dx
	out %al, (%dx)
1:	hlt				/* HC_EXIT does not return; stay put if it does */
	jmp 1b

	.section .bss
	.balign STACK_ALIGN
stack_bottom:
	.space GUEST_STACK_SIZE
stack_top:
