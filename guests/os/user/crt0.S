/* SPDX-License-Identifier: MIT */
/* Entry of user programs: call main(), hand its return value to SYS_EXIT. */
#include "abi.h"

	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	/* RSP = USER_STACK_TOP, 16-byte aligned; the call makes main's frame ABI-shaped. */
	xor %ebp, %ebp
	call main
	mov %eax, %edi
	mov $SYS_EXIT, %eax
	syscall
1:	jmp 1b				/* SYS_EXIT does not return */
