/* SPDX-License-Identifier: MIT */
/* The seccomp allow-lists of each kind of thread: compiled to BPF at build time (sandbox/compile.c). */
#ifndef MINI_KVM_SANDBOX_RULES_H
#define MINI_KVM_SANDBOX_RULES_H

/*
 * Only the build-time compiler includes this (src/sandbox/compile.c, linked with
 * libseccomp): it turns these tables into the BPF programs of the generated
 * $(BUILD)/gen/sandbox_filters.c, which src/sandbox.c installs at run time. A change
 * here rebuilds that file (Makefile).
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox/filters.h"
#include "util.h"

/*
 * Which system calls each kind of thread makes once its setup is done, read from the
 * code (and glibc's: pthread, malloc, stdio, the vDSO's fallbacks) and checked by
 * strace over the whole test suite (docs/architecture.md, "Sandboxes"). A rule allows
 * one system call, with at most one condition: (argument & mask) == value.
 */
struct rule {
	int syscall;	      /* a __NR_ number, SCMP_SYS(name) */
	int arg;	      /* the argument the condition tests, or RULE_ANY */
	uint64_t mask, value; /* allowed when (args[arg] & mask) == value */
	int error;	      /* 0: allowed; else it fails with this errno instead */
};

#define RULE_ANY -1
/* clang-format off */
#define ALLOW(name)			 { SCMP_SYS(name), RULE_ANY, 0, 0, 0 }
#define ALLOW_IF(name, arg, mask, value) { SCMP_SYS(name), (arg), (mask), (value), 0 }
#define ALLOW_IF_EQ(name, arg, value)	 ALLOW_IF(name, arg, ~0ULL, value)
#define FAIL(name, err)			 { SCMP_SYS(name), RULE_ANY, 0, 0, (err) }
/* clang-format on */

/* An ioctl's request: the kernel reads 32 bits of it (an unsigned int cmd). */
#define IOCTL_REQUEST_ARG    1
#define ALLOW_IOCTL(request) ALLOW_IF(ioctl, IOCTL_REQUEST_ARG, IOCTL_REQUEST_MASK, (request))
/* Any KVM ioctl: its request's type field is KVMIO (ioctl-number.rst; _IOC_TYPE()). */
#define IOCTL_TYPE_MASK ((uint64_t)_IOC_TYPEMASK << _IOC_TYPESHIFT)
#define ALLOW_KVM_IOCTLS \
	ALLOW_IF(ioctl, IOCTL_REQUEST_ARG, IOCTL_TYPE_MASK, (uint64_t)KVMIO << _IOC_TYPESHIFT)

/* openat(dirfd, path, flags, mode): its flags. */
#define OPENAT_FLAGS_ARG 2
/* newfstatat(dirfd, path, buf, flags): its flags. */
#define NEWFSTATAT_FLAGS_ARG 3

/* Memory is never made executable after setup: mmap()/mprotect()'s prot without PROT_EXEC. */
#define PROT_ARG 2

/*
 * Every thread: locks and condition variables (futex), its own end (exit) and the
 * process's (exit_group), signal handlers' return (the vCPU kick, SIGSYS), glibc's
 * signal masking around pthread_kill() and thread exit, kicking a vCPU
 * (pthread_kill(): getpid, tgkill), the clock (clock_gettime and gettimeofday when
 * the vDSO cannot answer), malloc (brk, mmap, mprotect, mremap for realloc, munmap,
 * madvise; glibc also madvises a dead thread's stack away), messages on stderr, and
 * fstat() of an open file (stdio's first write to a FILE; whether an output is stdout's
 * file): glibc 2.36 makes it newfstatat(fd, "", AT_EMPTY_PATH), allowed with that flag
 * only (seccomp cannot read the path: a thread could stat a path it names, never open
 * one).
 */
static const struct rule common_rules[] = {
	ALLOW(futex),
	ALLOW(exit),
	ALLOW(exit_group),
	ALLOW(rt_sigreturn),
	ALLOW(rt_sigprocmask),
	ALLOW(restart_syscall),
	ALLOW(getpid),
	ALLOW(gettid),
	ALLOW(tgkill),
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(brk),
	ALLOW_IF(mmap, PROT_ARG, PROT_EXEC, 0),
	ALLOW_IF(mprotect, PROT_ARG, PROT_EXEC, 0),
	ALLOW(mremap),
	ALLOW(munmap),
	ALLOW(madvise),
	ALLOW_IF_EQ(write, 0, STDERR_FILENO),
	ALLOW_IF_EQ(prctl, 0, PR_SET_NAME),
	ALLOW(fstat),
	ALLOW_IF(newfstatat, NEWFSTATAT_FLAGS_ARG, AT_EMPTY_PATH, AT_EMPTY_PATH),
};

/*
 * main(), waiting: reads the host's CPUID table (a read-only KVM ioctl, while the
 * guest threads build their VMs), joins the guest threads, stops the stdin reader (an
 * eventfd write) and the signal thread, restores the terminal (tcsetattr(TCSAFLUSH): TCSETSF, with a
 * TCGETS before and after in Debian's glibc 2.36), flushes and closes the disk (fsync),
 * frees the inputs, then prints the report on stderr and exits.
 */
static const struct rule main_rules[] = {
	ALLOW(write),	      /* the eventfd, the report */
	ALLOW(close),	      /* the eventfd, the disk, /dev/kvm */
	ALLOW(fsync),	      /* the disk */
	ALLOW_IOCTL(TCGETS),  /* tcsetattr() */
	ALLOW_IOCTL(TCSETSF), /* tcsetattr(TCSAFLUSH) */
	/* kvm_host_read_cpuid(), once its threads are started: the host's CPUID, read-only */
	ALLOW_IOCTL(KVM_GET_SUPPORTED_CPUID),
};

/*
 * A guest thread, once its VM is built and loaded: starts the vCPU threads
 * (pthread_create(): clone for threads only -- clone3 fails so that glibc falls back to
 * clone, whose flags a filter can see -- and what each new thread does before its own
 * sandbox: robust futex list, rseq, naming itself, its filter), installs the kick
 * handler once, waits, flushes the console, and destroys the VM. A guest that died
 * gets its death diagnosed with probe VMs (diagnose.c): every KVM ioctl that builds
 * and runs a VM.
 */
static const struct rule guest_rules[] = {
	ALLOW_IF(clone, 0, CLONE_THREAD, CLONE_THREAD), FAIL(clone3, ENOSYS),
	ALLOW(set_robust_list), ALLOW(rseq), ALLOW_IF_EQ(prctl, 0, PR_SET_NO_NEW_PRIVS),
	ALLOW_IF_EQ(seccomp, 0, SECCOMP_SET_MODE_FILTER), ALLOW(rt_sigaction), ALLOW_KVM_IOCTLS,
	ALLOW(write), ALLOW(writev), ALLOW(poll), ALLOW(close),
	/*
	 * Snapshots, taken on this thread (vm_snapshot.c, snapshot/): the RAM scan reads
	 * /proc/self/pagemap (opened read-only); the file is written under a temporary
	 * name (opened write-only, created, truncated), sized, synced and renamed, or
	 * removed on failure. Only these two ways of opening: nothing opened here can be
	 * executed or both read and written.
	 */
	ALLOW_IF_EQ(openat, OPENAT_FLAGS_ARG, O_RDONLY | O_CLOEXEC),
	ALLOW_IF_EQ(openat, OPENAT_FLAGS_ARG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC),
	ALLOW(read), ALLOW(pread64), ALLOW(pwrite64), ALLOW(ftruncate), ALLOW(fsync), ALLOW(rename),
	ALLOW(unlink), ALLOW(lseek), ALLOW(getcwd), /* the --disk path saved absolute */
	ALLOW(eventfd2), /* the stop eventfd of each virtio I/O thread it starts (vm_run()) */
};

/*
 * A vCPU: KVM_RUN; the devices' work on its exits (guest output to stdout, which it
 * may wait for with poll; the --disk and --ata files' sectors: pread, pwrite,
 * fallocate, and an ATA FLUSH CACHE's fdatasync; the interrupts of the UART and the
 * ATA channels, KVM_IRQ_LINE on the VM; a virtio queue notification without
 * KVM_IOEVENTFD, an eventfd write); its register dump when it dies or times out
 * (KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_VCPU_EVENTS, KVM_TRANSLATE); the halt watch's
 * look at a halted vCPU (KVM_GET_MP_STATE, vcpu_idle.c); with --gdb, its
 * registers and debug state as gdb sets them (KVM_SET_GUEST_DEBUG, KVM_SET_REGS,
 * KVM_SET_SREGS, KVM_GET_FPU, KVM_SET_FPU) and the gdb server's wake-up pipe.
 */
static const struct rule vcpu_rules[] = {
	ALLOW_IOCTL(KVM_RUN),
	ALLOW_IOCTL(KVM_IRQ_LINE),
	ALLOW_IOCTL(KVM_GET_REGS),
	ALLOW_IOCTL(KVM_GET_SREGS),
	ALLOW_IOCTL(KVM_GET_VCPU_EVENTS),
	ALLOW_IOCTL(KVM_GET_MP_STATE),
	ALLOW_IOCTL(KVM_TRANSLATE),
	ALLOW_IOCTL(KVM_SET_GUEST_DEBUG),
	ALLOW_IOCTL(KVM_SET_REGS),
	ALLOW_IOCTL(KVM_SET_SREGS),
	ALLOW_IOCTL(KVM_GET_FPU),
	ALLOW_IOCTL(KVM_SET_FPU),
	ALLOW_IOCTL(TUNSETOFFLOAD), /* virtio-net's DRIVER_OK or reset on a tap (--net tap) */
	ALLOW(write),
	ALLOW(writev),
	ALLOW(poll),
	ALLOW(pread64),
	ALLOW(pwrite64),
	ALLOW(fallocate),
	ALLOW(fdatasync),
	ALLOW(fsync),
};

/*
 * The stdin reader: waits for input or its stop (poll on stdin and an eventfd), reads,
 * and hands the input to the first guest's UART, which raises its interrupt
 * (KVM_IRQ_LINE); Ctrl-A x stops every VM (pthread_kill, in the common rules); on a
 * cooked terminal, a lone Ctrl-A switches it to key mode and back (tcsetattr(TCSANOW)).
 */
static const struct rule stdin_rules[] = {
	ALLOW(read),
	ALLOW(poll),
	ALLOW(write), /* Ctrl-A h's help on stderr (or the console's fd) */
	ALLOW_IOCTL(KVM_IRQ_LINE),
	ALLOW_IOCTL(TCGETS), /* tcsetattr() */
	ALLOW_IOCTL(TCSETS), /* a cooked terminal's key mode after a lone Ctrl-A */
};

/* The signal thread: sigwait(), then stops every VM (pthread_kill, in the common rules). */
static const struct rule signal_rules[] = {
	ALLOW(rt_sigtimedwait),
};

/*
 * A virtio I/O thread: waits on its queues' eventfds and its stop eventfd (poll, read),
 * serves requests on the disk file (preadv, pwritev; fallocate for DISCARD and
 * WRITE_ZEROES, else a pwrite of zeroes; fdatasync for FLUSH) or from getrandom(), and
 * interrupts the guest (an irqfd write, or KVM_IRQ_LINE without KVM_IRQFD).
 */
static const struct rule virtio_rules[] = {
	ALLOW(poll),
	ALLOW(read),
	ALLOW(write),
	ALLOW(preadv),
	ALLOW(pwritev),
	ALLOW(pread64),
	ALLOW(pwrite64),
	ALLOW(fdatasync),
	ALLOW(fsync),
	ALLOW(getrandom),
	ALLOW(writev), /* virtio-net: a frame to the tap device */
	ALLOW_IOCTL(KVM_IRQ_LINE),
	ALLOW(fallocate), /* DISCARD and WRITE_ZEROES: punch a hole, zero a range */
};

/*
 * --net user's libslirp thread: polls its wake eventfd and slirp's sockets, makes the
 * host sockets of the guest's TCP and UDP connections (ICMP echo: a datagram ICMP
 * socket; IPv4 only: slirp's IPv6 is off) and of the forwards, moves their bytes, reads /etc/resolv.conf once for the
 * DNS at 10.0.2.3, and hands frames to the NIC (futex, in the common rules).
 */
static const struct rule net_user_rules[] = {
	ALLOW(poll),	       ALLOW(read),
	ALLOW(write),	       ALLOW(readv),
	ALLOW(writev),	       ALLOW(recvfrom),
	ALLOW(sendto),	       ALLOW(recvmsg),
	ALLOW(sendmsg),	       ALLOW_IF_EQ(socket, 0, AF_INET),
	ALLOW(connect),	       ALLOW(bind),
	ALLOW(listen),	       ALLOW(accept),
	ALLOW(accept4),	       ALLOW(setsockopt),
	ALLOW(getsockopt),     ALLOW(getsockname),
	ALLOW(getpeername),    ALLOW(shutdown),
	ALLOW(close),	       ALLOW(fcntl),
	ALLOW(openat),	       ALLOW(newfstatat),
	ALLOW(fstat),	       ALLOW(lseek),
	ALLOW(getrandom),      ALLOW_IOCTL(FIONBIO),
	ALLOW_IOCTL(FIONREAD),
};

/*
 * --net tap's reader: polls the tap and its stop eventfd, reads frames, hands them on
 * (kicking the NIC's receive queue: an eventfd write).
 * Both net threads start with the VM (vm_virtio_add_net()), before the guest thread
 * enters its sandbox, so that the guest's filter need not allow their calls (socket).
 */
static const struct rule net_tap_rules[] = {
	ALLOW(poll), ALLOW(read),
	ALLOW(write), /* the receive queue's notify eventfd: a frame is waiting */
};

/*
 * The gdb server: waits on its socket, its client and its wake-up pipe (poll, read),
 * takes one client at a time (accept4, setsockopt, send of the busy line, close), talks
 * the remote protocol (recvfrom, sendto), and, with every vCPU parked, reads and writes
 * their state and the guest's memory for gdb: any KVM ioctl on the VM's vCPUs
 * (KVM_GET/SET_REGS, SREGS, FPU, KVM_TRANSLATE, KVM_SET_GUEST_DEBUG).
 */
static const struct rule gdb_rules[] = {
	ALLOW(poll),	 ALLOW(read),	ALLOW(write), ALLOW(accept4),	ALLOW(setsockopt),
	ALLOW(recvfrom), ALLOW(sendto), ALLOW(close), ALLOW_KVM_IOCTLS,
};

/*
 * The --vga-text renderer: ten times a second, draws the text buffer through the
 * console (write, writev, poll while stdout is full) and sleeps on its condition
 * variable (futex, in the common rules).
 */
static const struct rule screen_rules[] = {
	ALLOW(write),
	ALLOW(writev),
	ALLOW(poll),
};

/*
 * What the sanitizer runtimes of a build with AddressSanitizer need besides (make
 * check-asan): their reports (the binary and /proc/self/maps, for symbols; isatty), and
 * the leak check at exit, which stops the world with a tracer (a clone sharing the
 * memory but not a thread, ptrace, /proc/self/task) on the main thread. Only in that
 * build (the generated file holds each filter with and without these, and a build with
 * __SANITIZE_ADDRESS__ takes the first); still no fork (clone without CLONE_VM) and no
 * execve.
 */
static const struct rule sanitizer_rules[] = {
	ALLOW(openat),
	ALLOW(open),
	ALLOW(read),
	ALLOW(readlink),
	ALLOW(close),
	ALLOW(newfstatat),
	ALLOW(fstat),
	ALLOW(lseek),
	ALLOW(getdents64),
	ALLOW(getdents),
	ALLOW(write),
	ALLOW(sigaltstack),
	ALLOW(sched_yield),
	ALLOW_IF(clone, 0, CLONE_VM, CLONE_VM),
	ALLOW(ptrace),
	ALLOW(wait4),
	ALLOW(prctl),
	ALLOW(getppid),
	ALLOW(rt_sigaction),
	ALLOW(set_robust_list),
	ALLOW(rseq),
	ALLOW(nanosleep),
	ALLOW(getrlimit),
	ALLOW(prlimit64),
	ALLOW(sched_getaffinity),
	ALLOW_IOCTL(TCGETS),
};

/*
 * One kind of thread: its name (for messages and the thread's own), its allow-list,
 * the kinds whose code it runs as well (their lists join its own: the I/O thread of a
 * NIC on --net user calls libslirp), and the kind of thread it starts once sandboxed,
 * if any. A thread's filter also
 * holds every thread it starts, whose own filter only narrows it further: so a
 * thread's filter allows what its children need too (a guest thread starts vCPUs,
 * also for the probe VMs that diagnose a death).
 */
struct policy {
	const char *name;
	bool rename; /* give the thread this name (not main(): that is the program's) */
	const struct rule *rules;
	size_t nrules;
	unsigned int starts; /* the kinds of its children: a set of STARTS(enum sandbox_thread) */
	unsigned int runs;   /* the kinds whose code it runs too: a set of STARTS(...) */
};

#define STARTS(kind) (1u << (kind))
#define STARTS_NONE  0u
/* clang-format off */
#define POLICY(name, rename, rules, starts) { (name), (rename), (rules), ARRAY_SIZE(rules), (starts), 0 }
#define POLICY_RUNS(name, rename, rules, runs) { (name), (rename), (rules), ARRAY_SIZE(rules), STARTS_NONE, (runs) }
/* clang-format on */

/* The table of sandboxes: a new kind of thread adds its row (sandbox.h). */
static const struct policy policies[SANDBOX_THREAD_KINDS] = {
	[SANDBOX_MAIN] = POLICY("main", false, main_rules, STARTS_NONE),
	[SANDBOX_GUEST] = POLICY("guest", true, guest_rules,
				 STARTS(SANDBOX_VCPU) | STARTS(SANDBOX_VIRTIO) |
					 STARTS(SANDBOX_GDB) | STARTS(SANDBOX_SCREEN)),
	[SANDBOX_VCPU] = POLICY("vcpu", true, vcpu_rules, STARTS_NONE),
	[SANDBOX_STDIN] = POLICY("stdin", true, stdin_rules, STARTS_NONE),
	[SANDBOX_SIGNALS] = POLICY("signals", true, signal_rules, STARTS_NONE),
	/* A virtio thread keeps the name virtio_worker_start() gives it (its device's). */
	[SANDBOX_VIRTIO] = POLICY("virtio", false, virtio_rules, STARTS_NONE),
	[SANDBOX_GDB] = POLICY("gdb", true, gdb_rules, STARTS_NONE),
	[SANDBOX_SCREEN] = POLICY("screen", true, screen_rules, STARTS_NONE),
	[SANDBOX_NET_USER] = POLICY("net-slirp", true, net_user_rules, STARTS_NONE),
	[SANDBOX_NET_TAP] = POLICY("net-tap", true, net_tap_rules, STARTS_NONE),
	/*
	 * The NIC's I/O thread on --net user hands the guest's frames to libslirp itself
	 * (net_user.c): a virtio thread with the slirp thread's calls. It starts with the
	 * VM (vm_virtio_attach_kvm()), before the guest thread's sandbox, as the net
	 * threads do, so that the guest's filter need not allow sockets.
	 */
	[SANDBOX_VIRTIO_NET_USER] =
		POLICY_RUNS("virtio-slirp", false, virtio_rules, STARTS(SANDBOX_NET_USER)),
};

#endif
