/* SPDX-License-Identifier: MIT */
/* Test guest: spins forever in real mode, so tests can stop it (--timeout, signals). */
	.code16
	.text
	.globl _start
_start:
1:	jmp 1b
