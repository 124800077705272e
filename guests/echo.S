/* SPDX-License-Identifier: MIT */
/* Echoes its console input back, byte for byte, until end of input; then HC_EXIT 0. */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

/* A byte from HC_GETCHAR is 0..BYTE_MAX; anything else but HC_EOF is a VMM bug. */
#define BYTE_MAX 0xff
#define EXIT_OK 0
#define EXIT_BAD_INPUT 1

/*
 * Byte by byte through HC_PUTCHAR rather than line by line through HC_PUTS:
 * the echo stays exact for any byte, NUL included, and for a last line
 * without '\n'. Lines still come back whole, since each byte of a line is
 * echoed before the next one is read.
 */
	.code16
	.text
	.globl _start
_start:
next:
	HC HC_GETCHAR
	cmp $HC_EOF, %ax	/* real mode sees the low 16 bits: 0xffff */
	je eof
	cmp $BYTE_MAX, %ax
	ja bad_input
	mov %al, %bl
	HC HC_PUTCHAR
	jmp next
eof:
	movl $EXIT_OK, %ebx
	HC HC_EXIT
	hlt			/* not reached: HC_EXIT stops the VM */
bad_input:
	movl $EXIT_BAD_INPUT, %ebx
	HC HC_EXIT
	hlt
