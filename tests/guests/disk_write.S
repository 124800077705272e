/* SPDX-License-Identifier: MIT */
/*
 * Test guest (--mode protected, loaded at 0x1000): one HC_BLK_WRITE of
 * WRITE_SECTORS sectors of 'G' to sector 0, then prints its result (EAX, unsigned)
 * and exits with status 0. The test gives it a disk on a full file system: the
 * write must fail whole (HC_EIO) with no sector changed.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define WRITE_BUF     0x10000	/* above the code and stack, below 1 MiB */
#define WRITE_SECTORS 16	/* 8 KiB: two host pages */

	.code32
	.text
	.globl _start
_start:
	cld
	mov $WRITE_BUF, %edi
	mov $WRITE_SECTORS * HC_BLK_SECTOR_SIZE, %ecx
	mov $'G', %al
	rep stosb

	mov $0, %ebx
	mov $WRITE_BUF, %ecx
	mov $WRITE_SECTORS, %esi
	HC HC_BLK_WRITE
	PUTNUM %eax
	NEWLINE
	mov $0, %ebx
	HC HC_EXIT
	hlt
