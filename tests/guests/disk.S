/* SPDX-License-Identifier: MIT */
/*
 * Test guest (--mode protected, loaded at 0x1000) for the HC_BLK_* hypercalls. It
 * prints, one per line: the disk's size in sectors; the NUL-terminated text of
 * sector 0; the results (EAX, unsigned) of writing WRITE_TEXT to sector 1, of a
 * write past the disk's end and of a read into a buffer outside guest RAM. Then it
 * dies (ud2, no IDT: a triple fault), so the test sees the write survive a guest
 * that did not exit cleanly.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define READ_BUF  0x8000	/* one sector each, above the code, below the stack */
#define WRITE_BUF 0x9000
#define NOT_RAM	  0xfffff000	/* in the 32-bit MMIO hole: never guest RAM */

	.code32
	.text
	.globl _start
_start:
	HC HC_BLK_INFO
	mov %eax, %ebp		/* sectors, for the write past the end */
	PUTNUM %eax
	NEWLINE

	mov $0, %ebx		/* sector 0 -> READ_BUF */
	mov $READ_BUF, %ecx
	mov $1, %esi
	HC HC_BLK_READ
	movb $0, READ_BUF + HC_BLK_SECTOR_SIZE - 1	/* a NUL, whatever the disk holds */
	PUTS READ_BUF, HC_BLK_SECTOR_SIZE
	NEWLINE

	/* WRITE_BUF = WRITE_TEXT, then zeros to the end of the sector. */
	cld
	mov $WRITE_BUF, %edi
	mov $HC_BLK_SECTOR_SIZE / 4, %ecx
	xor %eax, %eax
	rep stosl
	mov $write_text, %esi
	mov $WRITE_BUF, %edi
	mov $write_text_end - write_text, %ecx
	rep movsb

	mov $1, %ebx		/* WRITE_BUF -> sector 1 */
	mov $WRITE_BUF, %ecx
	mov $1, %esi
	HC HC_BLK_WRITE
	PUTNUM %eax
	NEWLINE

	mov %ebp, %ebx		/* one sector past the end */
	mov $WRITE_BUF, %ecx
	mov $1, %esi
	HC HC_BLK_WRITE
	PUTNUM %eax
	NEWLINE

	mov $0, %ebx		/* into a buffer that is not RAM */
	mov $NOT_RAM, %ecx
	mov $1, %esi
	HC HC_BLK_READ
	PUTNUM %eax
	NEWLINE

	ud2

write_text:
	.ascii "written by the guest"
write_text_end:
