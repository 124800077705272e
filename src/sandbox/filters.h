/* SPDX-License-Identifier: MIT */
/* The seccomp filters compiled at build time: the table $(BUILD)/gen/sandbox_filters.c defines. */
#ifndef MINI_KVM_SANDBOX_FILTERS_H
#define MINI_KVM_SANDBOX_FILTERS_H

#include <linux/filter.h>
#include <stdbool.h>

#include "sandbox.h"

/*
 * src/sandbox/compile.c, run by make, compiles each kind's allow-list
 * (src/sandbox/rules.h) with libseccomp (seccomp_export_bpf()) into the generated
 * $(BUILD)/gen/sandbox_filters.c; src/sandbox.c installs these programs at run time
 * with seccomp(2), without libseccomp. The generated file holds every program twice,
 * with and without what the sanitizer runtimes need: a build with AddressSanitizer
 * (__SANITIZE_ADDRESS__) compiles the first.
 */

/* What a call outside the list does: the index of a kind's filter (SECCOMP_RET_*). */
enum sandbox_action {
	SANDBOX_ACTION_KILL, /* SECCOMP_RET_KILL_PROCESS */
	SANDBOX_ACTION_TRAP, /* SECCOMP_RET_TRAP: SIGSYS, which src/sandbox.c reports */
	SANDBOX_ACTIONS,
};

/* One BPF program: what seccomp(SECCOMP_SET_MODE_FILTER) takes (struct sock_fprog). */
struct sandbox_filter {
	const struct sock_filter *code;
	unsigned short len; /* instructions (BPF_MAXINSNS at most) */
};

/* One kind of thread: its name (for messages and the thread's own) and its filters. */
struct sandbox_kind {
	const char *name;
	bool rename; /* give the thread this name (not main(): that is the program's) */
	struct sandbox_filter filter[SANDBOX_ACTIONS];
};

/* Every kind, indexed by enum sandbox_thread. */
extern const struct sandbox_kind sandbox_kinds[SANDBOX_THREAD_KINDS];

/* x86-64 system call names by number, for trap mode's SIGSYS report (NULL: unknown). */
#define SANDBOX_SYSCALL_NAMES 512
extern const char *const sandbox_syscall_names[SANDBOX_SYSCALL_NAMES];

/* An ioctl's request: the kernel reads 32 bits of it (an unsigned int cmd). */
#define IOCTL_REQUEST_MASK 0xffffffffULL

#endif
