/* SPDX-License-Identifier: MIT */
/* seccomp sandboxes: each kind of thread runs, once set up, under an allow-list of the system calls it needs. */
#ifndef MINI_KVM_SANDBOX_H
#define MINI_KVM_SANDBOX_H

#include <pthread.h>

/*
 * What a system call outside a thread's allow-list does (--seccomp, MINI_KVM_SECCOMP).
 * SANDBOX_DEFAULT means "not chosen": sandbox_setup() takes MINI_KVM_SECCOMP, else kill.
 */
enum sandbox_mode {
	SANDBOX_DEFAULT = 0,
	SANDBOX_KILL, /* SECCOMP_RET_KILL_PROCESS: the process dies of SIGSYS (status 159) */
	SANDBOX_TRAP, /* SECCOMP_RET_TRAP: a message names the call and the thread, then exit 159 */
	SANDBOX_OFF,  /* no filters (--no-seccomp) */
};

/* The environment variable that sets the mode when the command line does not. */
#define SANDBOX_MODE_ENV "MINI_KVM_SECCOMP"

/* How a process ends that a filter stopped: as a shell reports death by SIGSYS (128 + 31). */
#define SANDBOX_EXIT_STATUS 159

/*
 * The kinds of thread, each with its own allow-list (the table in sandbox.c). A new
 * kind of thread (a virtio I/O thread, the gdb server, a renderer) adds a value here
 * and a row there, and enters its sandbox when its setup is done: sandbox_enter(), or
 * sandbox_thread_create() for a thread that needs nothing before.
 */
enum sandbox_thread {
	SANDBOX_MAIN,	  /* main(): waits for the guests, then reports and exits */
	SANDBOX_GUEST,	  /* one per guest: runs its VM's vCPU threads, then destroys the VM */
	SANDBOX_VCPU,	  /* one per vCPU: KVM_RUN and the exits' device work */
	SANDBOX_STDIN,	  /* the stdin reader (console.c) */
	SANDBOX_SIGNALS,  /* the signal thread (runner.c) */
	SANDBOX_VIRTIO,	  /* a virtio device's I/O thread (virtio/virtio_worker.c) */
	SANDBOX_GDB,	  /* the gdb server (gdb/gdb_server.c) */
	SANDBOX_SCREEN,	  /* the --vga-text renderer (vga_text.c) */
	SANDBOX_NET_USER, /* --net user's libslirp thread (net/net_user.c) */
	SANDBOX_NET_TAP,  /* --net tap's reader (net/net_tap.c) */
	/* the I/O thread of a NIC on --net user: a virtio thread that also calls libslirp */
	SANDBOX_VIRTIO_NET_USER,
	SANDBOX_THREAD_KINDS,
};

/*
 * Parse a mode as the command line and MINI_KVM_SECCOMP give it: "kill", "trap" or
 * "off". Returns 0 with *mode, or -EINVAL with a message naming the text.
 */
int sandbox_mode_parse(const char *text, enum sandbox_mode *mode);

/* "kill", "trap", "off" (or "default"). */
const char *sandbox_mode_name(enum sandbox_mode mode);

/*
 * Choose the process's mode once, before any thread enters a sandbox: mode, or for
 * SANDBOX_DEFAULT the value of MINI_KVM_SECCOMP, or SANDBOX_KILL. For kill and trap,
 * check that the kernel has seccomp filters with SECCOMP_RET_KILL_PROCESS (Linux 4.14);
 * for trap, install the SIGSYS handler that reports a forbidden call. Until this is
 * called, sandbox_enter() only names threads (unit tests, `mini-kvm check`).
 * Returns 0, or -errno with a message: -EINVAL (a bad MINI_KVM_SECCOMP), -ENOSYS (no
 * seccomp filters here: --no-seccomp runs without).
 */
int sandbox_setup(enum sandbox_mode mode);

/* The mode sandbox_setup() chose (SANDBOX_OFF before it is called). */
enum sandbox_mode sandbox_mode(void);

/*
 * Put the calling thread, whose setup is done, into the sandbox of its kind: name it
 * (for top -H, gdb, strace), then, unless the mode is off, load its seccomp filter,
 * which also holds every thread it starts from now on (their own filters add to it):
 * the program compiled at build time (sandbox/filters.h), installed with
 * prctl(PR_SET_NO_NEW_PRIVS) and seccomp(SECCOMP_SET_MODE_FILTER).
 * Cannot be undone. Returns 0, or -errno with a message (prctl's or seccomp's error).
 */
int sandbox_enter(enum sandbox_thread kind);

/*
 * pthread_create() for a thread that enters its sandbox first: fn(arg) runs on a new
 * thread after sandbox_enter(kind) succeeded there. Returns 0 once it did, or -errno
 * with a message if the thread could not start or its sandbox failed (fn then never
 * runs, and the thread is gone).
 */
int sandbox_thread_create(pthread_t *thread, enum sandbox_thread kind, void *(*fn)(void *),
			  void *arg);

#endif
