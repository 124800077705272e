/* SPDX-License-Identifier: MIT */
/* System calls: the syscall instruction's MSRs and the dispatch by number. */
#ifndef OS_SYSCALL_H
#define OS_SYSCALL_H

#include "trap.h"

/* Enable syscall (EFER.SCE) and point LSTAR at entry.S's syscall_entry. */
void syscall_init(void);

/* Carry out the system call in f (RAX, RDI, RSI, RDX); the result goes to f->rax. */
void syscall_dispatch(struct trap_frame *f);

#endif /* OS_SYSCALL_H */
