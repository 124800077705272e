/* SPDX-License-Identifier: MIT */
/* --console-log: the guests' output, unchanged and line by line, appended to one file. */
#include "console_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "console.h"
#include "error.h"

#define LOG_FILE_MODE 0644

int console_log_open(struct console_log *log, const char *path)
{
	log->path = path;
	log->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, LOG_FILE_MODE);
	if (log->fd < 0)
		return error_errno(errno, "--console-log '%s'", path);
	pthread_mutex_init(&log->lock, NULL);
	return 0;
}

/* writev() all of iov (short writes and EINTR retried). log->lock held. */
static int log_writev(struct console_log *log, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		ssize_t n = writev(log->fd, iov, iovcnt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(errno, "--console-log '%s'", log->path);
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* c's log line with its prefix, and a newline if it lacks one. */
static int log_line(struct console_log *log, struct console *c)
{
	char prefix[CONSOLE_NAME_MAX + 32];
	struct iovec iov[3];
	int iovcnt = 0, ret;

	snprintf(prefix, sizeof(prefix), "[%u:%s] ", c->index, c->name);
	iov[iovcnt++] = (struct iovec){ prefix, strlen(prefix) };
	iov[iovcnt++] = (struct iovec){ c->log_line, c->log_len };
	if (!c->log_len || c->log_line[c->log_len - 1] != '\n')
		iov[iovcnt++] = (struct iovec){ "\n", 1 };
	pthread_mutex_lock(&log->lock);
	ret = log_writev(log, iov, iovcnt);
	pthread_mutex_unlock(&log->lock);
	c->log_len = 0;
	return ret;
}

int console_log_write(struct console_log *log, struct console *c, const void *buf, size_t n)
{
	const char *p = buf;
	int ret = 0;

	if (!c->prefixed) {
		struct iovec iov = { (void *)p, n };

		pthread_mutex_lock(&log->lock);
		ret = log_writev(log, &iov, 1);
		pthread_mutex_unlock(&log->lock);
		return ret;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		c->log_line[c->log_len++] = p[i];
		/* A line longer than the buffer goes out in pieces, each prefixed (as on stdout). */
		if (p[i] == '\n' || c->log_len == sizeof(c->log_line))
			ret = log_line(log, c);
	}
	return ret;
}

int console_log_flush(struct console_log *log, struct console *c)
{
	if (!c->prefixed || !c->log_len)
		return 0;
	return log_line(log, c);
}

int console_log_close(struct console_log *log)
{
	int ret = 0;

	if (log->fd < 0)
		return 0;
	if (close(log->fd) < 0)
		ret = error_errno(errno, "--console-log '%s'", log->path);
	log->fd = -1;
	pthread_mutex_destroy(&log->lock);
	return ret;
}
