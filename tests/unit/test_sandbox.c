/* SPDX-License-Identifier: MIT */
/* Unit tests of the seccomp sandboxes (src/sandbox.c): modes, and filters that bite, in forked children. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "error.h"
#include "sandbox.h"

/* What a child reports with its exit status when a check in it fails. */
#define CHILD_OK     0
#define CHILD_FAILED 1
#define MESSAGE_MAX  1024

static const enum sandbox_thread kinds[] = {
	SANDBOX_MAIN,		SANDBOX_GUEST, SANDBOX_VCPU,   SANDBOX_STDIN,	 SANDBOX_SIGNALS,
	SANDBOX_VIRTIO,		SANDBOX_GDB,   SANDBOX_SCREEN, SANDBOX_NET_USER, SANDBOX_NET_TAP,
	SANDBOX_VIRTIO_NET_USER
};
static const char *const kind_names[] = { "main",      "guest",	  "vcpu",	 "stdin",
					  "signals",   "virtio",  "gdb",	 "screen",
					  "net-slirp", "net-tap", "virtio-slirp" };

_Static_assert(ARRAY_SIZE(kinds) == SANDBOX_THREAD_KINDS, "a kind of thread without a test");

/*
 * Run fn(arg) in a forked child whose stderr goes to a pipe; return its wait status
 * and what it wrote to stderr (up to MESSAGE_MAX - 1 bytes) in message.
 */
static int in_child(void (*fn)(const void *), const void *arg, char *message)
{
	int pipefd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		fn(arg);
		_exit(CHILD_OK);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], message + len, MESSAGE_MAX - 1 - len)) > 0)
		len += n;
	message[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_killed(int status)
{
	if (!WIFSIGNALED(status))
		fail_msg("the child was not killed: exit status %d", WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void expect_exit(int status, int code)
{
	if (!WIFEXITED(status))
		fail_msg("the child died of signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

/* In a child: enter a sandbox in mode, or exit CHILD_FAILED saying why. */
static void enter(enum sandbox_mode mode, enum sandbox_thread kind)
{
	if (sandbox_setup(mode) < 0 || sandbox_enter(kind) < 0) {
		fprintf(stderr, "setup: %s\n", error_message());
		_exit(CHILD_FAILED);
	}
}

/* --- modes ------------------------------------------------------------------- */

static void test_mode_parse(void **state)
{
	static const char *const bad[] = { "", "KILL", "on", "kill ", "trap,kill", "0" };
	enum sandbox_mode mode = SANDBOX_DEFAULT;

	(void)state;
	assert_int_equal(sandbox_mode_parse("kill", &mode), 0);
	assert_int_equal(mode, SANDBOX_KILL);
	assert_int_equal(sandbox_mode_parse("trap", &mode), 0);
	assert_int_equal(mode, SANDBOX_TRAP);
	assert_int_equal(sandbox_mode_parse("off", &mode), 0);
	assert_int_equal(mode, SANDBOX_OFF);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		mode = SANDBOX_DEFAULT;
		assert_int_equal(sandbox_mode_parse(bad[i], &mode), -EINVAL);
		assert_int_equal(mode, SANDBOX_DEFAULT);
		assert_contains(error_message(), "not kill, trap or off");
	}
	assert_string_equal(sandbox_mode_name(SANDBOX_KILL), "kill");
	assert_string_equal(sandbox_mode_name(SANDBOX_TRAP), "trap");
	assert_string_equal(sandbox_mode_name(SANDBOX_OFF), "off");
}

/* The environment chooses only when the command line did not. */
static void env_modes(const void *arg)
{
	(void)arg;
	setenv(SANDBOX_MODE_ENV, "trap", 1);
	if (sandbox_setup(SANDBOX_DEFAULT) < 0 || sandbox_mode() != SANDBOX_TRAP)
		_exit(CHILD_FAILED);
	if (sandbox_setup(SANDBOX_OFF) < 0 || sandbox_mode() != SANDBOX_OFF)
		_exit(CHILD_FAILED);
	if (sandbox_setup(SANDBOX_KILL) < 0 || sandbox_mode() != SANDBOX_KILL)
		_exit(CHILD_FAILED);
	unsetenv(SANDBOX_MODE_ENV);
	if (sandbox_setup(SANDBOX_DEFAULT) < 0 || sandbox_mode() != SANDBOX_KILL)
		_exit(CHILD_FAILED);
	setenv(SANDBOX_MODE_ENV, "", 1);
	if (sandbox_setup(SANDBOX_DEFAULT) < 0 || sandbox_mode() != SANDBOX_KILL)
		_exit(CHILD_FAILED);
	setenv(SANDBOX_MODE_ENV, "strict", 1);
	if (sandbox_setup(SANDBOX_DEFAULT) != -EINVAL)
		_exit(CHILD_FAILED);
	fprintf(stderr, "%s\n", error_message());
}

static void test_mode_from_environment(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(env_modes, NULL, message), CHILD_OK);
	assert_contains(message, "MINI_KVM_SECCOMP: seccomp mode 'strict': not kill, trap or off");
}

/* Off: nothing is filtered, whatever the thread does. */
static void off_allows_everything(const void *arg)
{
	int fd;

	(void)arg;
	enter(SANDBOX_OFF, SANDBOX_VCPU);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		_exit(CHILD_FAILED);
	close(fd);
}

static void test_off_filters_nothing(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(off_allows_everything, NULL, message), CHILD_OK);
}

/* --- kill and trap ------------------------------------------------------------ */

/* Every kind of thread: no sockets (a filter that allows everything would let it). */
static void make_socket(const void *arg)
{
	const enum sandbox_thread *kind = arg;

	enter(SANDBOX_KILL, *kind);
	socket(AF_UNIX, SOCK_STREAM, 0);
	_exit(CHILD_FAILED); /* still alive: the filter let it through */
}

static void test_kill_mode_kills_every_kind(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		expect_killed(in_child(make_socket, &kinds[i], message));
}

/* Nor may any run another program. */
static void run_program(const void *arg)
{
	const enum sandbox_thread *kind = arg;
	char *const argv[] = { "/bin/true", NULL };

	enter(SANDBOX_KILL, *kind);
	execv(argv[0], argv);
	_exit(CHILD_FAILED);
}

static void test_no_kind_runs_a_program(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		expect_killed(in_child(run_program, &kinds[i], message));
}

/* Trap mode: a message naming the thread and the call (and an ioctl's request), then 159. */
static void trapped_socket(const void *arg)
{
	const enum sandbox_thread *kind = arg;

	enter(SANDBOX_TRAP, *kind);
	socket(AF_UNIX, SOCK_STREAM, 0);
	_exit(CHILD_FAILED);
}

static void test_trap_mode_names_thread_and_call(void **state)
{
	char message[MESSAGE_MAX], expected[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		expect_exit(in_child(trapped_socket, &kinds[i], message), SANDBOX_EXIT_STATUS);
		snprintf(expected, sizeof(expected),
			 "mini-kvm: seccomp: the %s thread made system call socket (41), which "
			 "its allow-list (src/sandbox/rules.h) forbids",
			 kind_names[i]);
		assert_contains(message, expected);
	}
}

/* A vCPU may make KVM_RUN, but not an ioctl of another kind (here: faking terminal input). */
static void vcpu_ioctls(const void *arg)
{
	char c = 'x';

	(void)arg;
	enter(SANDBOX_TRAP, SANDBOX_VCPU);
	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF)
		_exit(CHILD_FAILED);
	if (ioctl(-1, KVM_GET_REGS, NULL) != -1 || errno != EBADF)
		_exit(CHILD_FAILED);
	ioctl(STDIN_FILENO, TIOCSTI, &c);
	_exit(CHILD_FAILED);
}

static void test_vcpu_ioctls_are_kvm_ones(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(vcpu_ioctls, NULL, message), SANDBOX_EXIT_STATUS);
	assert_contains(message, "the vcpu thread made system call ioctl (16) with request 0x5412");
}

/*
 * main() may read the host's CPUID table (kvm_host_read_cpuid(), after its sandbox),
 * and restore the terminal, but make no other KVM ioctl (here: creating a VM).
 */
static void main_ioctls(const void *arg)
{
	(void)arg;
	enter(SANDBOX_TRAP, SANDBOX_MAIN);
	if (ioctl(-1, KVM_GET_SUPPORTED_CPUID, NULL) != -1 || errno != EBADF)
		_exit(CHILD_FAILED);
	if (ioctl(-1, TCGETS, NULL) != -1 || errno != EBADF)
		_exit(CHILD_FAILED);
	ioctl(-1, KVM_CREATE_VM, 0);
	_exit(CHILD_FAILED);
}

static void test_main_ioctls_are_cpuid_and_terminal(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(main_ioctls, NULL, message), SANDBOX_EXIT_STATUS);
	assert_contains(message, "the main thread made system call ioctl (16) with request 0xae01");
}

/* What a vCPU does pass its filter: output, the disk, the clock, malloc, a kick. */
static void vcpu_work(const void *arg)
{
	struct timespec ts;
	int fds[2];
	char byte = 'k';
	void *big;

	(void)arg;
	if (pipe(fds))
		_exit(CHILD_FAILED);
	enter(SANDBOX_KILL, SANDBOX_VCPU);
	if (write(fds[1], &byte, 1) != 1 || pread(-1, &byte, 1, 0) != -1 || errno != EBADF ||
	    pwrite(-1, &byte, 1, 0) != -1 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		_exit(CHILD_FAILED);
	big = malloc(64 << 20); /* mmap, and munmap on free */
	if (!big)
		_exit(CHILD_FAILED);
	memset(big, 1, 4096);
	free(big);
	if (pthread_kill(pthread_self(), 0) != 0)
		_exit(CHILD_FAILED);
}

static void test_vcpu_work_passes(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(vcpu_work, NULL, message), CHILD_OK);
}

/*
 * The NIC's I/O thread on --net user runs libslirp: a virtio thread's work (an
 * eventfd's read, a frame's writev) and slirp's (an AF_INET socket)...
 */
static void virtio_slirp_work(const void *arg)
{
	struct iovec iov = { .iov_base = (void *)"x", .iov_len = 1 };
	int fds[2], sock;
	char byte;

	(void)arg;
	if (pipe(fds))
		_exit(CHILD_FAILED);
	enter(SANDBOX_KILL, SANDBOX_VIRTIO_NET_USER);
	if (writev(fds[1], &iov, 1) != 1 || read(fds[0], &byte, 1) != 1 ||
	    preadv(-1, &iov, 1, 0) != -1 || errno != EBADF)
		_exit(CHILD_FAILED);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0 || close(sock) < 0)
		_exit(CHILD_FAILED);
}

static void test_virtio_slirp_work_passes(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(virtio_slirp_work, NULL, message), CHILD_OK);
}

/* ...which a plain virtio thread may not make. */
static void virtio_inet_socket(const void *arg)
{
	(void)arg;
	enter(SANDBOX_KILL, SANDBOX_VIRTIO);
	socket(AF_INET, SOCK_DGRAM, 0);
	_exit(CHILD_FAILED);
}

static void test_virtio_makes_no_inet_socket(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_killed(in_child(virtio_inet_socket, NULL, message));
}

/* No thread maps memory executable once set up. */
static void exec_mapping(const void *arg)
{
	(void)arg;
	enter(SANDBOX_KILL, SANDBOX_GUEST);
	if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	    MAP_FAILED)
		_exit(CHILD_FAILED);
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	_exit(CHILD_FAILED);
}

static void test_no_executable_memory(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_killed(in_child(exec_mapping, NULL, message));
}

/* A guest thread starts vCPU threads (clone3 fails, glibc falls back to clone)... */
static void *vcpu_thread(void *arg)
{
	char byte;

	(void)arg;
	if (sandbox_enter(SANDBOX_VCPU) < 0)
		return (void *)1;
	/* ...whose own filter stacks on the guest's: both allow a vCPU's work. */
	if (pread(-1, &byte, 1, 0) != -1 || errno != EBADF)
		return (void *)1;
	return NULL;
}

static void guest_starts_vcpus(const void *arg)
{
	pthread_t thread;
	void *result = (void *)1;

	(void)arg;
	enter(SANDBOX_KILL, SANDBOX_GUEST);
	if (pthread_create(&thread, NULL, vcpu_thread, NULL) || pthread_join(thread, &result) ||
	    result)
		_exit(CHILD_FAILED);
}

static void test_guest_starts_sandboxed_vcpus(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(guest_starts_vcpus, NULL, message), CHILD_OK);
}

/* ...but never a process: clone without CLONE_THREAD. */
static void guest_forks(const void *arg)
{
	(void)arg;
	enter(SANDBOX_KILL, SANDBOX_GUEST);
	fork();
	_exit(CHILD_FAILED);
}

static void test_guest_cannot_fork(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_killed(in_child(guest_forks, NULL, message));
}

/* --- sandbox_thread_create() -------------------------------------------------- */

static void *wait_for_signal(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigwait(&set, &sig) || sig != SIGUSR2)
		return (void *)1;
	return NULL;
}

static void signal_thread(const void *arg)
{
	pthread_t thread;
	sigset_t set;
	void *result = (void *)1;
	bool trap = arg != NULL;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sandbox_setup(trap ? SANDBOX_TRAP : SANDBOX_KILL) < 0 ||
	    sandbox_thread_create(&thread, SANDBOX_SIGNALS, wait_for_signal, NULL) < 0 ||
	    pthread_kill(thread, SIGUSR2) || pthread_join(thread, &result) || result)
		_exit(CHILD_FAILED);
}

static void test_thread_create_runs_in_its_sandbox(void **state)
{
	char message[MESSAGE_MAX];

	(void)state;
	expect_exit(in_child(signal_thread, NULL, message), CHILD_OK);
	expect_exit(in_child(signal_thread, "trap", message), CHILD_OK);
	assert_string_equal(message, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_parse),
		cmocka_unit_test(test_mode_from_environment),
		cmocka_unit_test(test_off_filters_nothing),
		cmocka_unit_test(test_kill_mode_kills_every_kind),
		cmocka_unit_test(test_no_kind_runs_a_program),
		cmocka_unit_test(test_trap_mode_names_thread_and_call),
		cmocka_unit_test(test_vcpu_ioctls_are_kvm_ones),
		cmocka_unit_test(test_main_ioctls_are_cpuid_and_terminal),
		cmocka_unit_test(test_vcpu_work_passes),
		cmocka_unit_test(test_virtio_slirp_work_passes),
		cmocka_unit_test(test_virtio_makes_no_inet_socket),
		cmocka_unit_test(test_no_executable_memory),
		cmocka_unit_test(test_guest_starts_sandboxed_vcpus),
		cmocka_unit_test(test_guest_cannot_fork),
		cmocka_unit_test(test_thread_create_runs_in_its_sandbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
