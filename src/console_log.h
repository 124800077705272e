/* SPDX-License-Identifier: MIT */
/* --console-log: a file that gets a copy of everything the guests print, as they print it. */
#ifndef MINI_KVM_CONSOLE_LOG_H
#define MINI_KVM_CONSOLE_LOG_H

#include <pthread.h>
#include <stddef.h>

struct console;

/* One log for every console of a run. */
struct console_log {
	int fd;
	const char *path;     /* for messages */
	pthread_mutex_t lock; /* one line (or one unprefixed write) at a time */
};

/*
 * Create or truncate the file at path (mode 0644) as the log. Returns 0, or -errno
 * with a message naming the file.
 */
int console_log_open(struct console_log *log, const char *path);

/*
 * Append n bytes that console c printed, unchanged (the control bytes a terminal
 * shows as ^X stay what the guest wrote). A prefixed console's bytes go in whole
 * lines with its "[N:name] " prefix (no color), as on stdout; an unprefixed
 * console's as they come. Called under c->lock. Returns 0, or -errno with a message.
 */
int console_log_write(struct console_log *log, struct console *c, const void *buf, size_t n);

/* Write out c's partial last line, with a newline (prefixed consoles). Returns 0 or -errno. */
int console_log_flush(struct console_log *log, struct console *c);

/* Close the log; returns 0, or -errno with a message if the close failed. */
int console_log_close(struct console_log *log);

#endif
