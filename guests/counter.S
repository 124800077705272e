/* SPDX-License-Identifier: MIT */
/* Prints 0 to 9, one per line, through HC_PUTNUM and HC_NEWLINE, then halts (20 hypercalls). */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define COUNT_END 10		/* prints 0 .. COUNT_END - 1 */

	.code16
	.text
	.globl _start
_start:
	xor %esi, %esi		/* the counter; the macros clobber only AL, BX, DX */
next:
	PUTNUM %esi
	NEWLINE
	inc %si
	cmp $COUNT_END, %si
	jb next
	hlt
