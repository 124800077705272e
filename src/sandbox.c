/* SPDX-License-Identifier: MIT */
/* seccomp-BPF sandboxes per kind of thread, Firecracker-style: an allow-list each (compiled at build time), death for the rest. */
#include "sandbox.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "error.h"
#include "sandbox/filters.h"
#include "util.h"

static enum sandbox_mode process_mode = SANDBOX_OFF;
/*
 * The kind of the calling thread once it entered its sandbox (for the SIGSYS report);
 * a new thread has its parent's filter, but not this, until it enters its own.
 */
static __thread int thread_kind = -1;

/* A message built without stdio or malloc: the SIGSYS handler may run inside either. */
struct text {
	char buf[256];
	size_t len;
};

static void text_add(struct text *t, const char *s)
{
	while (*s && t->len < sizeof(t->buf) - 1)
		t->buf[t->len++] = *s++;
}

static void text_add_number(struct text *t, uint64_t n, unsigned int base)
{
	char digits[24];
	size_t i = sizeof(digits) - 1;

	digits[i] = '\0';
	do {
		digits[--i] = "0123456789abcdef"[n % base];
		n /= base;
	} while (n && i);
	text_add(t, base == 16 ? "0x" : "");
	text_add(t, digits + i);
}

/*
 * SIGSYS from a filter in trap mode (seccomp(2), SECCOMP_RET_TRAP: si_syscall is the
 * call): say which thread made which call, then end the process as kill mode would.
 */
static void trapped(int sig, siginfo_t *info, void *context)
{
	const ucontext_t *uc = context;
	int nr = info->si_syscall;
	struct text t = { .len = 0 };

	(void)sig;
	text_add(&t, "mini-kvm: seccomp: the ");
	if (thread_kind >= 0) {
		text_add(&t, sandbox_kinds[thread_kind].name);
		text_add(&t, " thread");
	} else {
		text_add(&t, "new thread (in its parent's sandbox, not yet in its own)");
	}
	text_add(&t, " made system call ");
	text_add(&t, nr >= 0 && nr < SANDBOX_SYSCALL_NAMES && sandbox_syscall_names[nr]
			     ? sandbox_syscall_names[nr]
			     : "?");
	text_add(&t, " (");
	text_add_number(&t, (uint64_t)nr, 10);
	text_add(&t, ")");
	if (nr == SYS_ioctl) {
		text_add(&t, " with request ");
		text_add_number(&t, (uint64_t)uc->uc_mcontext.gregs[REG_RSI] & IOCTL_REQUEST_MASK,
				16);
	}
	text_add(&t, ", which its allow-list (src/sandbox/rules.h) forbids; --no-seccomp runs "
		     "without the filters\n");
	/* Raw system calls: no wrapper (nor a sanitizer's interceptor) runs in this state. */
	syscall(SYS_write, STDERR_FILENO, t.buf, t.len);
	syscall(SYS_exit_group, SANDBOX_EXIT_STATUS);
}

static int install_trap_handler(void)
{
	struct sigaction sa = { .sa_sigaction = trapped, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return error_errno(errno, "seccomp: cannot handle SIGSYS");
	return 0;
}

int sandbox_mode_parse(const char *text, enum sandbox_mode *mode)
{
	static const struct {
		const char *name;
		enum sandbox_mode mode;
	} names[] = { { "kill", SANDBOX_KILL }, { "trap", SANDBOX_TRAP }, { "off", SANDBOX_OFF } };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(text, names[i].name)) {
			*mode = names[i].mode;
			return 0;
		}
	}
	return error_set(EINVAL, "seccomp mode '%s': not kill, trap or off", text);
}

const char *sandbox_mode_name(enum sandbox_mode mode)
{
	switch (mode) {
	case SANDBOX_KILL:
		return "kill";
	case SANDBOX_TRAP:
		return "trap";
	case SANDBOX_OFF:
		return "off";
	case SANDBOX_DEFAULT:
		break;
	}
	return "default";
}

/* glibc's default limit on malloc arenas: 8 per CPU on 64-bit (mallopt(3), M_ARENA_MAX). */
#define MALLOC_ARENAS_PER_CPU 8
/* glibc's largest thread heap (HEAP_MAX_SIZE: 2 * 4 MiB * sizeof(long) on 64-bit). */
#define MALLOC_TRIM_THRESHOLD (64 << 20)

/*
 * Whether this kernel's seccomp(2) filters can kill the process (Linux 4.14): it knows
 * SECCOMP_GET_ACTION_AVAIL and answers 0 for SECCOMP_RET_KILL_PROCESS (seccomp(2)); a
 * kernel without seccomp(2) fails with ENOSYS, one without the operation with EINVAL.
 */
static bool kill_process_available(void)
{
	uint32_t action = SECCOMP_RET_KILL_PROCESS;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

int sandbox_setup(enum sandbox_mode mode)
{
	const char *env = getenv(SANDBOX_MODE_ENV);

	if (mode == SANDBOX_DEFAULT && env && env[0]) {
		if (sandbox_mode_parse(env, &mode) < 0)
			return error_wrap(EINVAL, "%s", SANDBOX_MODE_ENV);
	}
	if (mode == SANDBOX_DEFAULT)
		mode = SANDBOX_KILL;
	process_mode = SANDBOX_OFF;
	if (mode == SANDBOX_OFF)
		return 0;
	/*
	 * glibc's malloc works out how many arenas it may make (8 per CPU) the first time
	 * a thread needs one beyond eight, by reading /sys/devices/system/cpu/online --
	 * in a sandboxed thread, where open is forbidden. Give it that limit now.
	 */
	mallopt(M_ARENA_MAX, (int)(MALLOC_ARENAS_PER_CPU * sysconf(_SC_NPROCESSORS_ONLN)));
	/*
	 * Likewise, the first time it shrinks a thread's heap after a large free
	 * (--net tap's 64 KiB frames, freed by the NIC's I/O thread), it opens
	 * /proc/sys/vm/overcommit_memory. A trim threshold of a whole thread heap means
	 * no thread heap is ever shrunk (its top never gets that large); the main
	 * arena still trims past it.
	 */
	mallopt(M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD);
	if (!kill_process_available())
		return error_set(ENOSYS,
				 "seccomp: this kernel has no seccomp filters that can kill a "
				 "process (Linux 4.14); --no-seccomp runs without them");
	if (mode == SANDBOX_TRAP) {
		int ret = install_trap_handler();

		if (ret < 0)
			return ret;
	}
	process_mode = mode;
	return 0;
}

enum sandbox_mode sandbox_mode(void)
{
	return process_mode;
}

/*
 * Install the calling thread's filter for its kind and the process's mode: the program
 * compiled at build time (sandbox/filters.h), with what libseccomp's seccomp_load()
 * does by default -- no_new_privs first (prctl(2), PR_SET_NO_NEW_PRIVS: required of a
 * thread without CAP_SYS_ADMIN), then seccomp(SECCOMP_SET_MODE_FILTER) with no flags
 * (seccomp(2)): this thread alone, no logging.
 */
static int load_filter(enum sandbox_thread kind)
{
	const struct sandbox_kind *k = &sandbox_kinds[kind];
	const struct sandbox_filter *f =
		&k->filter[process_mode == SANDBOX_TRAP ? SANDBOX_ACTION_TRAP : SANDBOX_ACTION_KILL];
	struct sock_fprog prog = { .len = f->len, .filter = (struct sock_filter *)f->code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_errno(errno, "seccomp: no_new_privs for the %s thread", k->name);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return error_errno(errno, "seccomp: loading the %s thread's filter", k->name);
	return 0;
}

#ifdef SANDBOX_TEST_HOOK
/*
 * Test builds only ($(BUILD)/mini-kvm-sandbox-test, for tests/integration/test_sandbox.py):
 * with MINI_KVM_SANDBOX_TEST set to a kind's name, a thread of that kind makes a system
 * call that no kind allows (socket) as soon as it is in its sandbox; with
 * MINI_KVM_SANDBOX_TEST_HEAP, it mallocs TEST_HEAP_CHUNKS chunks of TEST_HEAP_CHUNK bytes
 * and frees them, last first, which leaves its heap's top large enough to shrink.
 */
#define SANDBOX_TEST_ENV      "MINI_KVM_SANDBOX_TEST"
#define SANDBOX_TEST_HEAP_ENV "MINI_KVM_SANDBOX_TEST_HEAP"
#define TEST_HEAP_CHUNKS      64
#define TEST_HEAP_CHUNK	      (64 * 1024)

static void test_hook(const struct sandbox_kind *p)
{
	const char *kind = getenv(SANDBOX_TEST_ENV);
	const char *heap = getenv(SANDBOX_TEST_HEAP_ENV);

	if (kind && !strcmp(kind, p->name)) {
		int fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);

		if (fd >= 0)
			close(fd); /* the mode is off */
	}
	if (heap && !strcmp(heap, p->name)) {
		void *chunk[TEST_HEAP_CHUNKS];

		for (int i = 0; i < TEST_HEAP_CHUNKS; i++) {
			chunk[i] = malloc(TEST_HEAP_CHUNK);
			if (chunk[i])
				memset(chunk[i], 1, TEST_HEAP_CHUNK);
		}
		for (int i = TEST_HEAP_CHUNKS - 1; i >= 0; i--)
			free(chunk[i]);
	}
}
#endif

int sandbox_enter(enum sandbox_thread kind)
{
	const struct sandbox_kind *p = &sandbox_kinds[kind];
	int ret = 0;

	if (p->rename)
		prctl(PR_SET_NAME, p->name, 0, 0, 0);
	if (process_mode != SANDBOX_OFF) {
		thread_kind = kind;
		ret = load_filter(kind);
	}
#ifdef SANDBOX_TEST_HOOK
	if (ret == 0)
		test_hook(p);
#endif
	return ret;
}

#define START_MESSAGE_MAX 512

/* What a sandboxed thread needs to start: handed over on the creator's stack. */
struct start {
	enum sandbox_thread kind;
	void *(*fn)(void *);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;  /* under lock: the thread entered its sandbox, or failed to */
	int result; /* sandbox_enter()'s */
	char message[START_MESSAGE_MAX]; /* its error message (error.h keeps 511 bytes) */
};

static void *sandboxed_start(void *opaque)
{
	struct start *s = opaque;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	int ret = sandbox_enter(s->kind);

	pthread_mutex_lock(&s->lock);
	s->result = ret;
	if (ret < 0)
		snprintf(s->message, sizeof(s->message), "%s", error_message());
	s->done = true;
	pthread_cond_signal(&s->done_cond);
	pthread_mutex_unlock(&s->lock); /* s is the creator's again: gone soon */
	return ret < 0 ? NULL : fn(arg);
}

int sandbox_thread_create(pthread_t *thread, enum sandbox_thread kind, void *(*fn)(void *),
			  void *arg)
{
	struct start s = { .kind = kind, .fn = fn, .arg = arg };
	int ret;

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.done_cond, NULL);
	ret = pthread_create(thread, NULL, sandboxed_start, &s);
	if (ret) {
		ret = error_errno(ret, "cannot start the %s thread", sandbox_kinds[kind].name);
		goto out;
	}
	pthread_mutex_lock(&s.lock);
	while (!s.done)
		pthread_cond_wait(&s.done_cond, &s.lock);
	ret = s.result;
	pthread_mutex_unlock(&s.lock);
	if (ret < 0) {
		pthread_join(*thread, NULL);
		ret = error_set(-ret, "%s", s.message);
	}
out:
	pthread_cond_destroy(&s.done_cond);
	pthread_mutex_destroy(&s.lock);
	return ret;
}
