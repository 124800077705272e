/* SPDX-License-Identifier: MIT */
/* The user programs' library: line-buffered printf over SYS_WRITE, error messages. */
#include <stdarg.h>

#include "format.h"
#include "ulib.h"

#define LINE_MAX 128

static char line[LINE_MAX];
static size_t line_len;

static void flush(void)
{
	if (line_len)
		sys_write(line, line_len);
	line_len = 0;
}

static void put(char c, void *ctx)
{
	(void)ctx;
	line[line_len++] = c;
	if (c == '\n' || line_len == LINE_MAX)
		flush();
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_va(put, 0, fmt, ap);
	va_end(ap);
	flush(); /* a prompt has no '\n' but must show */
}

const char *strerror(int err)
{
	switch (err) {
	case OS_ENOENT:
		return "no such file or program";
	case OS_EAGAIN:
		return "too many processes";
	case OS_ENOMEM:
		return "out of memory";
	case OS_EFAULT:
		return "bad address";
	case OS_EINVAL:
		return "invalid argument";
	case OS_EFBIG:
		return "file too large";
	case OS_ENOSPC:
		return "no space left (file slots or disk)";
	case OS_EROFS:
		return "the disk is read-only";
	case OS_EIO:
		return "disk I/O error";
	case OS_ENAMETOOLONG:
		return "name too long";
	case OS_ECHILD:
		return "no such child";
	default:
		return "unknown error";
	}
}
