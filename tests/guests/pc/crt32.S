/* SPDX-License-Identifier: MIT */
/*
 * Entry of the 32-bit C test guests (protected mode, paging off): a stack, then
 * main(EAX, EBX) -- a Multiboot loader's magic and information structure. With
 * -DMULTIBOOT the image carries a Multiboot header (Multiboot 0.6.96, 3.1.1): flags
 * page-align and memory-info, loaded by its ELF program headers.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	jmp 1f
#ifdef MULTIBOOT
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
#endif
1:	cli
	mov $stack_top, %esp
	push %ebx
	push %eax
	call main
2:	hlt
	jmp 2b

	.bss
	.balign 16
	.space 8192
stack_top:
