/* SPDX-License-Identifier: MIT */
/*
 * The times tables 2 to 9: 72 lines "a x b = c", then hlt.
 *
 * Hypercalls per line: PUTNUM a; PUTCHAR ' ', 'x', ' '; PUTNUM b; PUTCHAR ' ',
 * '=', ' '; PUTNUM c; NEWLINE = 10. In all 72 * 10 = 720 hypercalls, each one
 * VM exit (KVM_EXIT_IO, port HC_PORT), and the guest ends with hlt, not HC_EXIT:
 * one more exit, KVM_EXIT_HLT, for 721 exits to the VMM. Exit status 0.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define TABLE_FIRST 2
#define TABLE_LAST 9
#define FACTOR_FIRST 1
#define FACTOR_LAST 9

	.code16
	.text
	.globl _start
_start:
	/* The macros clobber AL, BX and DX: a in SI, b in DI, c in CX. */
	mov $TABLE_FIRST, %esi
table:
	mov $FACTOR_FIRST, %edi
line:
	mov %esi, %ecx
	imul %edi, %ecx

	PUTNUM %esi
	PUTCHAR ' '
	PUTCHAR 'x'
	PUTCHAR ' '
	PUTNUM %edi
	PUTCHAR ' '
	PUTCHAR '='
	PUTCHAR ' '
	PUTNUM %ecx
	NEWLINE

	inc %di
	cmp $FACTOR_LAST, %di
	jbe line
	inc %si
	cmp $TABLE_LAST, %si
	jbe table
	hlt
