/* SPDX-License-Identifier: MIT */
/* The console: COM1's 16550 UART (PC16550D datasheet), polled output, buffered input. */
#include <stdarg.h>

#include <mini-kvm/hypercall.h>

#include "tty.h"
#include "format.h"
#include <mini-kvm/boot.h>
#include "privileged.h"

/* 16550 registers, as offsets from MKVM_COM1 (datasheet, table 2). */
#define UART_RBR 0 /* receive buffer (read) / transmit holding (write) */
#define UART_THR 0
#define UART_DLL 0 /* divisor latch, with LCR.DLAB */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define IER_RDI	     0x01 /* interrupt when a byte arrives */
#define FCR_FIFO_ON  0x07 /* enable and clear both FIFOs; trigger at 1 byte */
#define LCR_8N1	     0x03
#define LCR_DLAB     0x80
#define MCR_DTR_RTS  0x03
#define MCR_OUT2     0x08 /* on a PC, gates the UART's interrupt line to the PIC */
#define LSR_DR	     0x01 /* a byte is waiting */
#define LSR_THRE     0x20 /* the transmitter takes another byte */
#define BAUD_DIVISOR 1	  /* 115200 baud; the VMM ignores it, a real UART would not */

/* Input typed ahead of the reader; a power of two for the index mask. */
#define INPUT_SIZE 256
#define INPUT_MASK (INPUT_SIZE - 1)

static uint8_t input[INPUT_SIZE];
static unsigned int input_head, input_tail; /* free-running; tail - head = bytes buffered */

void console_init(void)
{
	outb(MKVM_COM1 + UART_IER, 0);
	outb(MKVM_COM1 + UART_LCR, LCR_DLAB);
	outb(MKVM_COM1 + UART_DLL, BAUD_DIVISOR);
	outb(MKVM_COM1 + UART_DLM, 0);
	outb(MKVM_COM1 + UART_LCR, LCR_8N1);
	outb(MKVM_COM1 + UART_FCR, FCR_FIFO_ON);
	outb(MKVM_COM1 + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(MKVM_COM1 + UART_IER, IER_RDI);
}

static void uart_put(uint8_t byte)
{
	while (!(inb(MKVM_COM1 + UART_LSR) & LSR_THRE))
		cpu_relax();
	outb(MKVM_COM1 + UART_THR, byte);
}

void console_putc(char c)
{
	if (c == '\n')
		uart_put('\r');
	uart_put((uint8_t)c);
}

static void emit(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_va(emit, 0, fmt, ap);
	va_end(ap);
}

unsigned int console_poll(void)
{
	unsigned int n = 0;

	/*
	 * Flow control: with the buffer full the bytes stay in the UART, and the VMM
	 * stops taking them from the host, so nothing typed ahead is lost (a newline
	 * least of all). console_getc() picks them up as it makes room.
	 */
	while (input_tail - input_head < INPUT_SIZE && (inb(MKVM_COM1 + UART_LSR) & LSR_DR)) {
		input[input_tail++ & INPUT_MASK] = inb(MKVM_COM1 + UART_RBR);
		n++;
	}
	return n;
}

int console_getc(void)
{
	console_poll(); /* what waits in the UART while the buffer was full */
	if (input_head == input_tail)
		return -1;
	return input[input_head++ & INPUT_MASK];
}

void panic(const char *fmt, ...)
{
	va_list ap;

	kprintf("kernel panic: ");
	va_start(ap, fmt);
	format_va(emit, 0, fmt, ap);
	va_end(ap);
	kprintf("\n");
	hc_exit(OS_PANIC_STATUS);
}
