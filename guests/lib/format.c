/* SPDX-License-Identifier: MIT */
/* A tiny printf-style formatter for freestanding guests (no libc, no libgcc). */
#include <stdint.h>

#include "format.h"

#define DECIMAL 10
#define HEX	16

/* 2^64 - 1 is the longest number: 20 decimal digits. */
#define NUM_DIGITS_MAX 20

/*
 * Long division by 16-bit "digits": the remainder is below the base (at most
 * 16), so (remainder << 16 | next chunk) always fits in 32 bits.
 */
#define CHUNK_BITS 16
#define CHUNK_MASK 0xffffu
#define U64_BITS   64

static const char digit_chars[] = "0123456789abcdef";

/*
 * n /= base; returns n % base. Written with 32-bit divisions only: a 64-bit
 * '/' in i386 code is a call to libgcc's __udivdi3, and a freestanding -m32
 * build (here, without gcc-multilib) has no libgcc to link.
 */
static unsigned int divmod(uint64_t *n, unsigned int base)
{
	uint64_t quotient = 0;
	uint32_t rem = 0;
	int shift;

	for (shift = U64_BITS - CHUNK_BITS; shift >= 0; shift -= CHUNK_BITS) {
		uint32_t cur = (rem << CHUNK_BITS) | (uint32_t)((*n >> shift) & CHUNK_MASK);

		quotient |= (uint64_t)(cur / base) << shift;
		rem = cur % base;
	}
	*n = quotient;
	return rem;
}

/* One number, right-aligned in width; with pad '0' the sign precedes the zeros. */
static void emit_number(format_emit_t emit, void *ctx, uint64_t n, unsigned int base, int negative,
			unsigned int width, char pad)
{
	char digits[NUM_DIGITS_MAX];
	unsigned int len = 0;
	unsigned int total;

	do
		digits[len++] = digit_chars[divmod(&n, base)];
	while (n);

	total = len + (negative ? 1 : 0);
	if (negative && pad == '0')
		emit('-', ctx);
	for (; total < width; total++)
		emit(pad, ctx);
	if (negative && pad != '0')
		emit('-', ctx);
	while (len)
		emit(digits[--len], ctx);
}

/* The next unsigned argument, as wide as its length modifier says (l count). */
static uint64_t arg_unsigned(va_list *ap, unsigned int longs)
{
	if (longs == 0)
		return va_arg(*ap, unsigned int);
	if (longs == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned long long);
}

static int64_t arg_signed(va_list *ap, unsigned int longs)
{
	if (longs == 0)
		return va_arg(*ap, int);
	if (longs == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, long long);
}

void format_va(format_emit_t emit, void *ctx, const char *fmt, va_list ap)
{
	va_list args;

	/* A copy we can pass by address: va_list is an array type on x86-64. */
	va_copy(args, ap);
	for (; *fmt; fmt++) {
		unsigned int width = 0, longs = 0;
		char pad = ' ';
		const char *s;
		int64_t value;

		if (*fmt != '%') {
			emit(*fmt, ctx);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * DECIMAL + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}

		switch (*fmt) {
		case 'c':
			emit((char)va_arg(args, int), ctx);
			break;
		case 's':
			for (s = va_arg(args, const char *); *s; s++)
				emit(*s, ctx);
			break;
		case 'd':
			value = arg_signed(&args, longs);
			/* Negate as unsigned: -INT64_MIN does not exist. */
			emit_number(emit, ctx, value < 0 ? -(uint64_t)value : (uint64_t)value,
				    DECIMAL, value < 0, width, pad);
			break;
		case 'u':
			emit_number(emit, ctx, arg_unsigned(&args, longs), DECIMAL, 0, width, pad);
			break;
		case 'x':
			emit_number(emit, ctx, arg_unsigned(&args, longs), HEX, 0, width, pad);
			break;
		case 'p':
			emit('0', ctx);
			emit('x', ctx);
			emit_number(emit, ctx, (uintptr_t)va_arg(args, const void *), HEX, 0, width,
				    pad);
			break;
		case '%':
			emit('%', ctx);
			break;
		case '\0':
			/* The format ended inside a conversion. */
			va_end(args);
			return;
		default:
			emit('%', ctx);
			emit(*fmt, ctx);
			break;
		}
	}
	va_end(args);
}
