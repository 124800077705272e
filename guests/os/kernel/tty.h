/* SPDX-License-Identifier: MIT */
/* The console: COM1's 16550 UART, polled for output, interrupt-driven (IRQ 4) for input. */
#ifndef OS_TTY_H
#define OS_TTY_H

#include <stdint.h>

/* Set up COM1 (8N1, FIFO, receive interrupts). */
void console_init(void);

/* One byte out; '\n' goes out as "\r\n" (the host terminal is raw). */
void console_putc(char c);

/* Formatted output (guests/lib/format.h's subset of printf). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Move received bytes from the UART into the input buffer, as many as fit (IRQ 4,
 * the idle loop, console_getc()). Returns how many arrived.
 */
unsigned int console_poll(void);

/* The next input byte, or -1 when none is buffered. */
int console_getc(void);

/* A kernel bug: print, then stop the VM with HC_EXIT(OS_PANIC_STATUS). */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* HC_EXIT status of a kernel panic or kernel-mode fault: EX_SOFTWARE (sysexits.h). */
#define OS_PANIC_STATUS 70

#endif /* OS_TTY_H */
