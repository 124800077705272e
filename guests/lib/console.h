/* SPDX-License-Identifier: MIT */
/* Console output of C guests: printf-style, line-buffered, one HC_PUTS per line. */
#ifndef GUESTS_CONSOLE_H
#define GUESTS_CONSOLE_H

/* Format (see format.h) and queue; a '\n' or a full buffer sends the line. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Send what is queued now, even without a '\n'. */
void console_flush(void);

/*
 * How many times HC_PUTS failed or wrote a different count than it should
 * have (the missing bytes still went out, through HC_PUTCHAR). A guest checks
 * this before it reports success: a VMM that mistranslates the buffer address
 * must not pass unnoticed.
 */
unsigned int console_errors(void);

#endif /* GUESTS_CONSOLE_H */
