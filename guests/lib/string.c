/* SPDX-License-Identifier: MIT */
/* memset/memcpy/memmove/memcmp: GCC may emit calls to these even in freestanding code. */
#include <stddef.h>

/*
 * GCC's documentation (Standards, "freestanding") requires the environment to
 * provide these four. guests.mk builds with -fno-tree-loop-distribute-patterns
 * so that the loops below are not themselves turned into calls to memset.
 */

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
