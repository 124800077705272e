/* SPDX-License-Identifier: MIT */
/*
 * Test guest: counts from 0 to COUNT_END - 1, one number a line, COUNT_DELAY_NS of
 * the host's clock (HC_CLOCK) apart, then exits with status 0. A snapshot taken
 * mid-loop must resume the count with the next number: no gap, no repeat.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define COUNT_END	300
#define COUNT_DELAY_NS	10000000	/* 10 ms: 3 s in all */

	.code16
	.text
	.globl _start
_start:
	xor %esi, %esi		/* the counter; the macros clobber only AL, BX, DX */
next:
	PUTNUM %esi
	NEWLINE
	HC HC_CLOCK		/* EDX:EAX = now; its low 32 bits wrap every 4.3 s */
	mov %eax, %edi		/* when this number was printed */
wait:
	HC HC_CLOCK
	sub %edi, %eax		/* ns since then, modulo 2^32 */
	cmp $COUNT_DELAY_NS, %eax
	jb wait
	inc %esi
	cmp $COUNT_END, %esi
	jb next
	xor %ebx, %ebx
	HC HC_EXIT
