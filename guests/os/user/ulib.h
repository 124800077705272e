/* SPDX-License-Identifier: MIT */
/* The user programs' library: system call wrappers and console printing. */
#ifndef OS_ULIB_H
#define OS_ULIB_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "str.h"

/* One system call (see abi.h): number n, up to three arguments; returns RAX. */
static inline int64_t syscall3(uint64_t n, uint64_t a, uint64_t b, uint64_t c)
{
	int64_t ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noreturn)) static inline void sys_exit(int status)
{
	syscall3(SYS_EXIT, (uint64_t)status, 0, 0);
	__builtin_unreachable();
}

static inline int sys_getchar(void)
{
	return (int)syscall3(SYS_GETCHAR, 0, 0, 0);
}

static inline void sys_putchar(char c)
{
	syscall3(SYS_PUTCHAR, (uint8_t)c, 0, 0);
}

static inline int64_t sys_write(const void *buf, size_t len)
{
	return syscall3(SYS_WRITE, (uint64_t)(uintptr_t)buf, len, 0);
}

static inline void sys_yield(void)
{
	syscall3(SYS_YIELD, 0, 0, 0);
}

/* Returns bytes read, or OS_ENOENT, OS_EFAULT, OS_ENAMETOOLONG. */
static inline int64_t sys_readfile(const char *name, void *buf, size_t len)
{
	return syscall3(SYS_READFILE, (uint64_t)(uintptr_t)name, (uint64_t)(uintptr_t)buf, len);
}

/* Returns 0, or a negative OS_E* error. */
static inline int64_t sys_writefile(const char *name, const void *data, size_t len)
{
	return syscall3(SYS_WRITEFILE, (uint64_t)(uintptr_t)name, (uint64_t)(uintptr_t)data, len);
}

static inline int64_t sys_listfiles(char *buf, size_t len)
{
	return syscall3(SYS_LISTFILES, (uint64_t)(uintptr_t)buf, len, 0);
}

static inline int64_t sys_ps(char *buf, size_t len)
{
	return syscall3(SYS_PS, (uint64_t)(uintptr_t)buf, len, 0);
}

/* Returns the child's pid, or a negative OS_E* error. */
static inline int sys_spawn(const char *name)
{
	return (int)syscall3(SYS_SPAWN, (uint64_t)(uintptr_t)name, 0, 0);
}

/* Returns the child's exit status (OS_STATUS_KILLED for a fault), or OS_ECHILD. */
static inline int sys_wait(int pid)
{
	return (int)syscall3(SYS_WAIT, (uint64_t)pid, 0, 0);
}

static inline int sys_getpid(void)
{
	return (int)syscall3(SYS_GETPID, 0, 0, 0);
}

static inline uint64_t sys_ticks(void)
{
	return (uint64_t)syscall3(SYS_TICKS, 0, 0, 0);
}

static inline uint64_t sys_freepages(void)
{
	return (uint64_t)syscall3(SYS_FREEPAGES, 0, 0, 0);
}

/* Make the kernel fault (SYS_CRASH): the VM stops, so this never returns. */
static inline void sys_crash(void)
{
	syscall3(SYS_CRASH, 0, 0, 0);
}

/* printf to the console, buffered up to a line (one SYS_WRITE per line). */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message for an OS_E* error ("no such file" ...). */
const char *strerror(int err);

#endif /* OS_ULIB_H */
