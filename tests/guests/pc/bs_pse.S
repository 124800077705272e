/* SPDX-License-Identifier: MIT */
/*
 * A boot sector that leaves real mode by itself, as classic boot blocks do: A20 on
 * through the 8042 (D1h, DFh), then port 92h's fast A20 too, a flat GDT, protected mode,
 * a page directory of 4 MiB pages (identity, and 0x400000 mapped to 0 as well), CR4.PSE
 * and paging on. It checks that the alias reads what the identity mapping holds, says
 * "pse: paging on, alias ok" on COM1 and exits through isa-debug-exit (0x10: status
 * 0x21; 0x7e: the alias read something else).
 */
#include "pc.inc"

#define PAGE_DIR  0x9000
#define PDE_4M	  0x83	/* present, writable, 4 MiB */
#define CR4_PSE	  0x10
#define CR0_PG	  0x80000000
#define MAGIC_AT  0x8000
#define MAGIC	  0x600dcafe

	.code16
	.text
	.globl _start
_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
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
	inb $0x92, %al
	orb $0x2, %al
	andb $0xfe, %al		/* bit 0 would reset */
	outb %al, $0x92
	lgdt gdt_desc
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmp $0x08, $pm

	.code32
pm:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %esp
	/* PDE 0 and PDE 1 both map physical 0: 0x400000 + x aliases x. */
	mov $PAGE_DIR, %edi
	mov $1024, %ecx
	xor %eax, %eax
	rep stosl
	movl $PDE_4M, PAGE_DIR
	movl $PDE_4M, PAGE_DIR + 4
	movl $MAGIC, MAGIC_AT
	mov %cr4, %eax
	or $CR4_PSE, %eax
	mov %eax, %cr4
	mov $PAGE_DIR, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	cmpl $MAGIC, 0x400000 + MAGIC_AT
	jne bad
	mov $msg, %esi
3:	lodsb
	test %al, %al
	jz 4f
	COM1_PUTC_AL
	jmp 3b
4:	DEBUG_EXIT_WITH 0x10
	hlt
bad:	DEBUG_EXIT_WITH 0x7e
	hlt

msg:	.asciz "pse: paging on, alias ok\r\n"
	.p2align 3
gdt:	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
	.org 510
	.byte 0x55, 0xaa
