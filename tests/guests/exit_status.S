/* SPDX-License-Identifier: MIT */
/* Test guest: ends at once with HC_EXIT(STATUS) (real mode); built once per status. */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

	.code16
	.text
	.globl _start
_start:
	movl $STATUS, %ebx
	HC HC_EXIT
	hlt
