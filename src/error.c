/* SPDX-License-Identifier: MIT */
/* Thread-local error messages that travel beside -errno return values. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_MESSAGE_MAX 512

static __thread char error_buf[ERROR_MESSAGE_MAX];

static int error_vset(int err, const char *fmt, va_list ap)
{
	vsnprintf(error_buf, sizeof(error_buf), fmt, ap);
	return -err;
}

int error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, fmt, ap);
	va_end(ap);
	return -err;
}

int error_errno(int err, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	error_vset(err, fmt, ap);
	va_end(ap);
	len = strlen(error_buf);
	snprintf(error_buf + len, sizeof(error_buf) - len, ": %s", strerror(err));
	return -err;
}

int error_wrap(int err, const char *fmt, ...)
{
	char inner[ERROR_MESSAGE_MAX];
	size_t len;
	va_list ap;

	memcpy(inner, error_buf, sizeof(inner));
	va_start(ap, fmt);
	vsnprintf(error_buf, sizeof(error_buf), fmt, ap);
	va_end(ap);
	len = strlen(error_buf);
	snprintf(error_buf + len, sizeof(error_buf) - len, ": %s",
		 inner[0] ? inner : strerror(err));
	return -err;
}

const char *error_message(void)
{
	return error_buf;
}

void error_clear(void)
{
	error_buf[0] = '\0';
}
