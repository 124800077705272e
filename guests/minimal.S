/* SPDX-License-Identifier: MIT */
/* The smallest guest: one hlt, so the VMM sees exactly one exit (KVM_EXIT_HLT, status 0). */
	.code16
	.text
	.globl _start
_start:
	hlt
