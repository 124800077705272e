/* SPDX-License-Identifier: MIT */
/* String helpers shared by the kernel and the user programs (no libc on either side). */
#ifndef OS_STR_H
#define OS_STR_H

#include <stdarg.h>
#include <stddef.h>

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Copy src into dst of size cap, always NUL-terminated; returns strlen(src) (truncated if >= cap). */
size_t str_copy(char *dst, const char *src, size_t cap);

/*
 * snprintf(3) with guests/lib/format.h's conversions: writes at most cap - 1 bytes
 * and a NUL (cap > 0); returns the bytes written, without the NUL.
 */
size_t str_printf(char *dst, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t str_vprintf(char *dst, size_t cap, const char *fmt, va_list ap);

#endif /* OS_STR_H */
