/* SPDX-License-Identifier: MIT */
/* String helpers shared by the kernel and the user programs. */
#include "format.h"
#include "str.h"

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

size_t str_copy(char *dst, const char *src, size_t cap)
{
	size_t len = strlen(src), n = len < cap ? len : cap - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
	dst[n] = '\0';
	return len;
}

struct sink {
	char *dst;
	size_t len, cap;
};

static void sink_put(char c, void *ctx)
{
	struct sink *s = ctx;

	if (s->len + 1 < s->cap)
		s->dst[s->len++] = c;
}

size_t str_vprintf(char *dst, size_t cap, const char *fmt, va_list ap)
{
	struct sink s = { dst, 0, cap };

	format_va(sink_put, &s, fmt, ap);
	if (cap)
		dst[s.len] = '\0';
	return s.len;
}

size_t str_printf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vprintf(dst, cap, fmt, ap);
	va_end(ap);
	return n;
}
