/* SPDX-License-Identifier: MIT */
/* A tiny printf-style formatter for freestanding guests (no libc, no libgcc). */
#ifndef GUESTS_FORMAT_H
#define GUESTS_FORMAT_H

#include <stdarg.h>

/* Receives the formatted output one byte at a time. */
typedef void (*format_emit_t)(char c, void *ctx);

/*
 * Formats like printf(3) for the subset the guests use: %c %s %d %u %x %p %%,
 * the length modifiers l and ll, and a field width with an optional 0 flag
 * (%08x). An unknown conversion prints as '%' and its letter.
 */
void format_va(format_emit_t emit, void *ctx, const char *fmt, va_list ap);

#endif /* GUESTS_FORMAT_H */
