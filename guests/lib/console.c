/* SPDX-License-Identifier: MIT */
/* Console output of C guests: printf-style, line-buffered, one HC_PUTS per line. */
#include <stdarg.h>
#include <stdint.h>

#include <mini-kvm/hypercall.h>

#include "console.h"
#include "format.h"

/* A line of the guests' output fits; a longer one goes out in pieces. */
#define CONSOLE_LINE_MAX 128

/*
 * Virtual minus physical address of this image, set by guests/lib/elf.ld.S:
 * LAYOUT_HIGHER_HALF for the paging guest, 0 for identity-mapped guests.
 * HC_PUTS takes a guest-physical address, never a virtual one.
 */
extern const char __guest_virt_offset[];

static char line[CONSOLE_LINE_MAX + 1]; /* + 1: HC_PUTS also wants a NUL */
static uint32_t line_len;
static unsigned int puts_errors;

static uint32_t virt_to_phys(const void *p)
{
	return (uint32_t)((uintptr_t)p - (uintptr_t)__guest_virt_offset);
}

void console_flush(void)
{
	int32_t written;
	uint32_t sent, i;

	if (!line_len)
		return;
	line[line_len] = '\0';
	written = hc_puts(virt_to_phys(line), line_len);
	sent = written < 0 ? 0 : (uint32_t)written;

	/* HC_PUTS may stop early only at a NUL byte inside the text. */
	if (written < 0 || sent > line_len || (sent < line_len && line[sent] != '\0'))
		puts_errors++;
	for (i = sent; i < line_len; i++)
		hc_putchar(line[i]);
	line_len = 0;
}

static void console_putc(char c, void *ctx)
{
	(void)ctx;
	line[line_len++] = c;
	if (c == '\n' || line_len == CONSOLE_LINE_MAX)
		console_flush();
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_va(console_putc, 0, fmt, ap);
	va_end(ap);
}

unsigned int console_errors(void)
{
	return puts_errors;
}
