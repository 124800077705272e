/* SPDX-License-Identifier: MIT */
/* Errors as values: -errno plus a thread-local message that says what failed, on what, and why. */
#ifndef MINI_KVM_ERROR_H
#define MINI_KVM_ERROR_H

#include <errno.h>

/*
 * Record a message for the current thread and return -err, so a failing function
 * can write `return error_set(ENOEXEC, "ELF '%s': not x86-64", path);`.
 * err: a positive errno value. The message is printf-formatted, without the
 * "mini-kvm: " prefix and without a trailing newline; at most 511 bytes are kept.
 */
int error_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Like error_set(), with ": strerror(err)" appended: for failed system calls,
 * e.g. error_errno(errno, "open '%s'", path).
 */
int error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Prefix the current thread's message with "context: ", keeping the errno;
 * returns -err. Used by callers that know the input the callee didn't.
 */
int error_wrap(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current thread's last message, or "" if none was set. Never NULL. */
const char *error_message(void);

/* Forget the current thread's message. */
void error_clear(void);

#endif
