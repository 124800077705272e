/* SPDX-License-Identifier: MIT */
/* The teaching OS's kernel<->user ABI: user address space, system call numbers, error codes. */
#ifndef OS_ABI_H
#define OS_ABI_H

/*
 * A user process sees (virtual addresses, 4 KiB pages, all user-accessible):
 *
 *   0x0000_0000 .. USER_BASE        unmapped: a NULL dereference faults
 *   USER_BASE ..                    the program image (code, data and .bss, one blob)
 *   USER_STACK_TOP - USER_STACK_SIZE .. USER_STACK_TOP   the stack
 *
 * Everything from 0xffff_8000_0000_0000 up belongs to the kernel (supervisor-only).
 */
#define USER_BASE	 0x400000
#define USER_IMAGE_MAX	 0x40000 /* 256 KiB: the largest program image */
#define USER_STACK_TOP	 0x800000
#define USER_STACK_PAGES 4
#define USER_PAGE_SIZE	 0x1000
#define USER_STACK_SIZE	 (USER_STACK_PAGES * USER_PAGE_SIZE)

/*
 * System calls use the `syscall` instruction: RAX = number, arguments in RDI, RSI,
 * RDX; the result comes back in RAX (negative: an OS_E* error). RCX and R11 are
 * clobbered (the CPU keeps the return address and RFLAGS there); nothing else is.
 */
#define SYS_EXIT      0	 /* RDI = status; does not return                                */
#define SYS_PUTCHAR   1	 /* RDI = byte                                                    */
#define SYS_GETCHAR   2	 /* returns the next console byte; blocks the process until one */
#define SYS_WRITE     3	 /* RDI = buffer, RSI = length: console output; returns length   */
#define SYS_YIELD     4	 /* gives up the CPU to the next runnable process                */
#define SYS_READFILE  5	 /* RDI = name, RSI = buffer, RDX = size; returns bytes read     */
#define SYS_WRITEFILE 6	 /* RDI = name, RSI = data, RDX = length; creates or replaces    */
#define SYS_LISTFILES 7	 /* RDI = buffer, RSI = size: "name size\n" lines; returns length */
#define SYS_PS	      8	 /* RDI = buffer, RSI = size: "pid state name\n" lines; length    */
#define SYS_SPAWN     9	 /* RDI = program name; returns the new process's pid            */
#define SYS_WAIT      10 /* RDI = pid of a child; returns its exit status               */
#define SYS_GETPID    11 /* returns the caller's pid                                    */
#define SYS_TICKS     12 /* returns timer ticks since boot (OS_TICK_HZ a second)        */
#define SYS_FREEPAGES 13 /* returns the number of free physical pages                   */
#define SYS_CRASH     14 /* a deliberate kernel bug: the kernel reads address 0 and dies */
#define SYS_COUNT     15

/* Timer interrupts a second (PIT channel 0). */
#define OS_TICK_HZ 100

/* The exit status of a process the kernel killed for a fault. */
#define OS_STATUS_KILLED (-1)

/* Files: a name of up to FILE_NAME_MAX - 1 bytes (a ustar name field holds 100). */
#define FILE_NAME_MAX 100
#define FILE_DATA_MAX 4096

/* Errors (negated Linux errno values, so that they read familiar). */
#define OS_ENOENT	(-2)
#define OS_ECHILD	(-10)
#define OS_EAGAIN	(-11) /* no free process slot */
#define OS_ENOMEM	(-12)
#define OS_EFAULT	(-14)
#define OS_EINVAL	(-22)
#define OS_EFBIG	(-27)
#define OS_ENOSPC	(-28)
#define OS_EROFS	(-30)
#define OS_EIO		(-5)
#define OS_ENAMETOOLONG (-36)
#define OS_ENOSYS	(-38)

#endif /* OS_ABI_H */
