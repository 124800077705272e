/* SPDX-License-Identifier: MIT */
/*
 * Test guest (real mode, loaded at 0): prints FLOOD_LINES lines of FLOOD_LINE_LEN
 * bytes (256 KiB, four times what a pipe holds), then exits with status 0. Tests use
 * it to stall a reader (a stop must still stop) and to write through a non-blocking
 * stdout.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define FLOOD_LINES    4096
#define FLOOD_LINE_LEN 64

	.code16
	.text
	.globl _start
_start:
	mov $FLOOD_LINES, %bp
1:	PUTS line, FLOOD_LINE_LEN
	dec %bp
	jnz 1b
	PUTCHAR 'E'
	NEWLINE
	mov $0, %ebx
	HC HC_EXIT
	hlt

line:	/* 64 bytes, the newline included */
	.ascii "flood: a line of guest output that nobody may be reading.......\n"
	.byte 0
