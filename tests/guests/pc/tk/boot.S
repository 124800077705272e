/* SPDX-License-Identifier: MIT */
/*
 * tk's boot sector: what a classic teaching kernel's boot block does on a PC, with no
 * BIOS call. Real mode at 0000:7C00: A20 on through the 8042 (wait for an empty input
 * buffer, command D1h, output port DFh), a flat GDT, protected mode, a stack below the
 * sector, then bootmain() (bootmain.c) reads the kernel from the disk.
 */
#define SEG_CODE 0x08
#define SEG_DATA 0x10
#define CR0_PE	 0x1

	.code16
	.section .text.boot, "ax"
	.globl _start
_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss

	/* A20 through the keyboard controller's output port. */
1:	inb $0x64, %al
	testb $0x2, %al
	jnz 1b
	movb $0xd1, %al
	outb %al, $0x64
2:	inb $0x64, %al
	testb $0x2, %al
	jnz 2b
	movb $0xdf, %al
	outb %al, $0x60

	lgdt gdt_desc
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmp $SEG_CODE, $start32

	.code32
start32:
	mov $SEG_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	mov $_start, %esp
	call bootmain
3:	hlt		/* bootmain returns only when the disk holds no kernel */
	jmp 3b

	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* flat 32-bit code */
	.quad 0x00cf92000000ffff	/* flat data */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
