/* SPDX-License-Identifier: MIT */
/* Entry of 64-bit C guests: own stack, call main(), hand its return value to HC_EXIT. */
#include <mini-kvm/hypercall.h>

/* Enough for the printf-style formatter and a few frames; the guests are small. */
#define GUEST_STACK_SIZE 0x4000
/* The x86-64 System V ABI wants RSP 16-byte aligned at every call. */
#define STACK_ALIGN 16

	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	/*
	 * The VMM gives us RSP = LAYOUT_FLAT_STACK_TOP, below its page tables;
	 * a stack inside the image keeps the guest out of the VMM's structures
	 * whatever it does. The .bss is already zero (the ELF loader clears it).
	 */
	mov $stack_top, %rsp
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
