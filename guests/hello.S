/* SPDX-License-Identifier: MIT */
/* Prints "Hello, KVM!\n" straight to the COM1 16550A, polling like a real driver, then halts. */
#include <mini-kvm/boot.h>

/* 16550A registers, as offsets from MKVM_COM1 (with DLAB = 0; the guest never sets it). */
#define UART_THR 0		/* transmit holding register (write) */
#define UART_LSR 5		/* line status register (read) */
#define UART_LSR_THRE 0x20	/* THR empty: the UART takes another byte */

	.code16
	.text
	.globl _start
_start:
	cld			/* lodsb walks forward */
	mov $message, %si
next_byte:
	lodsb
	test %al, %al
	jz done
	mov %al, %bl

	/* Wait for THRE before writing THR, as a driver for real hardware must. */
	mov $(MKVM_COM1 + UART_LSR), %dx
wait_thre:
	in (%dx), %al
	test $UART_LSR_THRE, %al
	jz wait_thre

	mov $(MKVM_COM1 + UART_THR), %dx
	mov %bl, %al
	out %al, (%dx)
	jmp next_byte
done:
	hlt

message:
	.asciz "Hello, KVM!\n"
