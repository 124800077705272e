/* SPDX-License-Identifier: MIT */
/* Unit tests of the VM layer without KVM (vm_init()): how vCPU outcomes end a VM, and a Linux guest's policy. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>

#include "arch/x86/layout.h"
#include "clock.h"
#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "error.h"
#include "linux.h"
#include "mini-kvm/hypercall.h"
#include "timeline.h"
#include "vm.h"

#define FIXTURE_RAM  (4 * LAYOUT_MIB)
#define FIXTURE_NAME "fake"
/* Where a fake KVM_EXIT_IO keeps its data, as KVM does: the page after struct kvm_run. */
#define IO_DATA_OFFSET 4096
#define RUN_SIZE       (2 * IO_DATA_OFFSET)

/* ACPI sleep control register (ACPI 6.4, 4.8.3.7): SLP_TYP in bits 2-4, SLP_EN bit 5. */
#define SLP_TYP(t)	  ((t) << 2)
#define SLP_EN		  (1 << 5)
#define SLEEP_S5	  (SLP_TYP(ACPI_S5_SLEEP_TYPE) | SLP_EN)
#define I8042_PULSE_RESET 0xfe

#define BOOT_MARKER	"Run /init as init process"
#define BANNER_LINE	"[    0.000000] Linux version 6.6.30 (builder@host) (gcc 12.2.0) #1 SMP"
#define MARKER_LINE	"[    1.234567] " BOOT_MARKER
#define PANIC_WHY	"VFS: Unable to mount root fs on unknown-block(0,0)"
#define PANIC_TEXT	"Kernel panic - not syncing: " PANIC_WHY
#define PANIC_LINE	"[    2.345678] " PANIC_TEXT
#define PANIC_END	"[    2.400000] ---[ end " PANIC_TEXT " ]---"
#define PANIC_REASON	"the guest kernel panicked: "
#define EXITS_BEFORE	42
#define TIMEOUT_MESSAGE "still running after 1.000 s (--timeout)"
#define FAIL_REASON	0x80000021ULL /* VMX: invalid guest state */

/* What handle() says: the vCPU runs on, or its VM is stopping. */
#define RUNNING	 0
#define STOPPING 1

/*
 * A VM as vm_init() makes it -- RAM, buses, the platform's devices, no KVM --
 * with one vCPU whose kvm_run is plain memory, and a Linux guest to attach.
 */
struct fixture {
	struct vm vm;
	struct vm_config config;
	struct console console;
	int out[2];
	struct vcpu vcpu;
	struct kvm_run *run;
	struct linux_guest lg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || pipe(f->out) || fcntl(f->out[0], F_SETFL, O_NONBLOCK))
		return -1;
	console_init(&f->console, 1, FIXTURE_NAME, false, NULL, f->out[1]);
	f->config = (struct vm_config){ .index = 1,
					.name = FIXTURE_NAME,
					.mem_size = FIXTURE_RAM,
					.cpus = 1,
					.console = &f->console };
	if (vm_init(&f->vm, &f->config))
		return -1;
	f->run = aligned_alloc(IO_DATA_OFFSET, RUN_SIZE);
	if (!f->run)
		return -1;
	memset(f->run, 0, RUN_SIZE);
	f->vcpu = (struct vcpu){
		.index = 0,
		.fd = -1,
		.run = f->run,
		.run_size = RUN_SIZE,
		.env = { .pio = &f->vm.pio, .mmio = &f->vm.mmio, .stopping = &f->vm.stopping }
	};
	f->vm.vcpus = &f->vcpu;
	f->vm.nvcpus = 1;
	pthread_mutex_init(&f->lg.lock, NULL);
	*state = f;
	return 0;
}

/* A Linux guest's VM: its policy and console watch attached, as linux_load() does. */
static int linux_setup(void **state)
{
	struct fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	linux_attach(&f->lg, &f->vm);
	return 0;
}

/* A bare guest with --irqchip and --debug-exit 0xf4 booting a disk: the classic PC's devices. */
static int pc_setup(void **state)
{
	struct fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	f->vm.vcpus = NULL;
	f->vm.nvcpus = 0;
	vm_destroy(&f->vm);
	f->config.bare = f->config.pc = f->config.nobios = f->config.debug_exit = true;
	f->config.debug_exit_port = 0xf4;
	if (vm_init(&f->vm, &f->config))
		return -1;
	f->vcpu.env = (struct vcpu_env){ .pio = &f->vm.pio,
					 .mmio = &f->vm.mmio,
					 .stopping = &f->vm.stopping };
	f->vm.vcpus = &f->vcpu;
	f->vm.nvcpus = 1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->vm.vcpus = NULL; /* the fixture's, not calloc()ed */
	f->vm.nvcpus = 0;
	vm_destroy(&f->vm);
	pthread_mutex_destroy(&f->lg.lock);
	console_destroy(&f->console);
	free(f->run);
	close(f->out[0]);
	close(f->out[1]);
	free(f);
	return 0;
}

/* The vCPU thread's two steps: handle the exit, then let the VM decide what it means. */
static int handle(struct fixture *f)
{
	enum vcpu_outcome o = vcpu_handle_exit(&f->vcpu);

	vm_vcpu_ended(&f->vm, &f->vcpu, o);
	return o == VCPU_CONTINUE ? RUNNING : STOPPING;
}

/* A one-byte OUT to port: RUNNING or STOPPING. */
static int port_out(struct fixture *f, uint16_t port, uint8_t value)
{
	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.direction = KVM_EXIT_IO_OUT;
	f->run->io.size = 1;
	f->run->io.port = port;
	f->run->io.count = 1;
	f->run->io.data_offset = IO_DATA_OFFSET;
	*((uint8_t *)f->run + IO_DATA_OFFSET) = value;
	return handle(f);
}

static void assert_running(struct fixture *f)
{
	assert_false(f->vm.stopping);
	assert_int_equal(f->vm.result.end, VM_END_RUNNING);
}

static void assert_ended(struct fixture *f, enum vm_end end, int vcpu, const char *message)
{
	assert_true(f->vm.stopping);
	assert_int_equal(f->vm.result.end, end);
	assert_int_equal(f->vm.result.status, 0);
	assert_int_equal(f->vm.result.vcpu, vcpu);
	assert_string_equal(f->vm.result.message, message);
}

/* --- the classic PC's devices ------------------------------------------------ */

static const char *pio_name(struct fixture *f, uint16_t port)
{
	return vm_device_name(port, false, &f->vm);
}

static void test_pc_devices_where_a_pc_has_them(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(pio_name(f, PORT_CMOS_INDEX), "CMOS/RTC");
	assert_string_equal(pio_name(f, PORT_CMOS_DATA), "CMOS/RTC");
	assert_string_equal(pio_name(f, PORT_SYSCTL_A), "port 92h");
	assert_string_equal(pio_name(f, PORT_DEBUGCON), "debugcon");
	assert_string_equal(pio_name(f, PORT_CRTC_DATA), "CRTC");
	assert_string_equal(pio_name(f, PORT_NOBIOS_TRAP), "no-BIOS trap");
	assert_string_equal(pio_name(f, 0xf7), "debug-exit");
	assert_string_equal(pio_name(f, 0xf8), "");
	assert_string_equal(pio_name(f, PORT_ATA_PRIMARY_CMD), ""); /* no --ata */
	assert_string_equal(pio_name(f, PORT_COM1), "serial COM1");
}

/* A Linux guest's VM (bare false) keeps its platform as it was: none of them. */
static void test_no_pc_devices_for_linux(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(pio_name(f, PORT_DEBUGCON), "");
	assert_string_equal(pio_name(f, PORT_CMOS_INDEX), "");
	assert_string_equal(pio_name(f, PORT_CRTC_INDEX), "");
	assert_string_equal(pio_name(f, PORT_SYSCTL_A), "");
}

static void test_debug_exit_status(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(port_out(f, 0xf4, 0x10), STOPPING);
	assert_int_equal(f->vm.result.end, VM_END_EXIT);
	assert_int_equal(f->vm.result.status, 0x21);
}

static void test_debugcon_writes_the_console(void **state)
{
	struct fixture *f = *state;
	char got[4] = "";

	assert_int_equal(port_out(f, PORT_DEBUGCON, 'o'), RUNNING);
	assert_int_equal(port_out(f, PORT_DEBUGCON, 'k'), RUNNING);
	assert_int_equal(read(f->out[0], got, sizeof(got) - 1), 2);
	assert_string_equal(got, "ok");
	assert_running(f);
}

/* The trap stub's report ends the VM; off a vCPU thread, from the vector alone. */
static void test_nobios_trap_ends_the_guest(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(port_out(f, PORT_NOBIOS_TRAP, 0x13), STOPPING);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_contains(f->vm.result.message, "INT 13h");
	assert_contains(f->vm.result.message, "there is no BIOS");
	assert_contains(f->vm.result.message, "ATA PIO ports 0x1F0-0x1F7");
}

/* --- vCPU count: the host's KVM_CAP_MAX_VCPUS ------------------------------ */

static void test_vcpu_count_limits(void **state)
{
	struct kvm_host host = { .max_vcpus = 4, .module = "kvm_amd" };

	(void)state;
	assert_int_equal(vm_check_host_vcpus(&host, 1), 0);
	assert_int_equal(vm_check_host_vcpus(&host, 4), 0);
	assert_int_equal(vm_check_host_vcpus(&host, 5), -EINVAL);
	assert_string_equal(error_message(), "5 vCPUs: this host's KVM (kvm_amd) runs at most 4 "
					     "in a VM (KVM_CAP_MAX_VCPUS)");
	/* mini-kvm's own bound (the tables' 8-bit APIC IDs) is the command line's: options.c. */
	host.max_vcpus = 1024;
	assert_int_equal(vm_check_host_vcpus(&host, VM_MAX_VCPUS), 0);
	/* A KVM that did not say: nothing to check here. */
	host.max_vcpus = 0;
	assert_int_equal(vm_check_host_vcpus(&host, 64), 0);
}

/* --- the vCPU reports, the VM decides --------------------------------------- */

static void test_hlt_halts(void **state)
{
	struct fixture *f = *state;

	f->run->exit_reason = KVM_EXIT_HLT;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_HALT, 0, "");
}

static void test_triple_fault_kills_a_bare_guest(void **state)
{
	struct fixture *f = *state;

	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), STOPPING);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_int_equal(f->vm.result.vcpu, 0);
	assert_int_equal(f->vm.result.exit_reason, KVM_EXIT_SHUTDOWN);
	assert_contains(f->vm.result.message, "triple fault");
	assert_contains(f->vm.result.message, "KVM_EXIT_SHUTDOWN");
}

static void test_first_stop_wins(void **state)
{
	struct fixture *f = *state;

	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), STOPPING);
	f->run->exit_reason = KVM_EXIT_HLT;
	assert_int_equal(handle(f), STOPPING);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_contains(f->vm.result.message, "triple fault");
}

static void test_failures_are_deaths(void **state)
{
	struct fixture *f = *state;

	f->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	f->run->fail_entry.hardware_entry_failure_reason = FAIL_REASON;
	assert_int_equal(handle(f), STOPPING);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_contains(f->vm.result.message,
			"VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware reason 0x80000021");
}

static void test_device_failure_is_an_error(void **state)
{
	struct fixture *f = *state;

	/* stdout gone: the hypercall port's write fails, a VMM error with its message. */
	close(f->out[0]);
	f->out[0] = open("/dev/null", O_RDONLY); /* for teardown */
	assert_int_equal(port_out(f, HC_PORT, HC_NEWLINE), STOPPING);
	assert_true(f->vm.stopping);
	assert_int_equal(f->vm.result.end, VM_END_ERROR);
	assert_int_equal(f->vm.result.vcpu, 0);
	assert_contains(f->vm.result.message, "Broken pipe");
}

static void test_outcomes_map_to_ends(void **state)
{
	static const struct {
		enum vcpu_outcome outcome;
		enum vm_end end;
	} map[] = {
		{ VCPU_HALTED, VM_END_HALT },	  { VCPU_SHUTDOWN, VM_END_DIED },
		{ VCPU_FAILED, VM_END_DIED },	  { VCPU_IO_ERROR, VM_END_ERROR },
		{ VCPU_KVM_ERROR, VM_END_ERROR },
	};
	struct fixture *f = *state;

	for (unsigned int i = 0; i < ARRAY_SIZE(map); i++) {
		f->vm.result = (struct vm_result){ 0 };
		f->vm.stopping = false;
		snprintf(f->vcpu.message, sizeof(f->vcpu.message), "why %u", i);
		vm_vcpu_ended(&f->vm, &f->vcpu, map[i].outcome);
		assert_int_equal(f->vm.result.end, map[i].end);
		if (map[i].end != VM_END_HALT)
			assert_string_equal(f->vm.result.message, f->vcpu.message);
	}
	/* VCPU_STOPPED: someone else ended the VM; nothing to add. */
	f->vm.result = (struct vm_result){ 0 };
	f->vm.stopping = false;
	vm_vcpu_ended(&f->vm, &f->vcpu, VCPU_STOPPED);
	assert_running(f);
}

/* --- devices reach the VM through their capabilities ----------------------- */

static void test_i8042_reset_resets(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(port_out(f, PORT_I8042_COMMAND, I8042_PULSE_RESET), STOPPING);
	assert_ended(f, VM_END_RESET, -1, "reset through the 8042 controller");
}

static void test_acpi_powers_off(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_CONTROL, SLEEP_S5), STOPPING);
	assert_ended(f, VM_END_POWEROFF, -1, "powered off (ACPI S5)");
}

static void test_hc_exit_exits(void **state)
{
	struct fixture *f = *state;

	f->run->s.regs.sregs.cr0 = 1; /* CR0.PE: 32-bit arguments */
	f->run->s.regs.regs.rbx = 7;
	assert_int_equal(port_out(f, HC_PORT, HC_EXIT), STOPPING);
	assert_true(f->vm.stopping);
	assert_int_equal(f->vm.result.end, VM_END_EXIT);
	assert_int_equal(f->vm.result.status, 7);
}

/* Everything the console wrote since the last call, as a string. */
static const char *output(struct fixture *f)
{
	static char text[4096];
	ssize_t n = read(f->out[0], text, sizeof(text) - 1);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* --- the Linux console watch --------------------------------------------- */

static void start_timeline(struct fixture *f)
{
	f->lg.boot_marker = BOOT_MARKER;
	timeline_init(&f->vm.timeline, now_ns());
}

/* Feed line to the watch, and check that event got marked between the call's start and end. */
static void expect_mark(struct fixture *f, const char *line, enum timeline_event event)
{
	const struct timeline *t = &f->vm.timeline;
	uint64_t before = now_ns() - t->origin_ns, after;

	linux_console_line(&f->lg, line);
	after = now_ns() - t->origin_ns;
	assert_true(t->seen[event]);
	assert_in_range(t->ns[event], before, after);
	assert_int_equal(t->exits[event], vm_exits(&f->vm));
}

static void test_linux_banner(void **state)
{
	struct fixture *f = *state;
	const struct timeline *t = &f->vm.timeline;
	uint64_t ns;

	start_timeline(f);
	linux_console_line(&f->lg, "[    0.000000] Command line: console=ttyS0");
	linux_console_line(&f->lg, "[    0.500000] Linux agpgart interface v0.103");
	assert_false(t->seen[TIMELINE_BANNER]);
	f->vcpu.nexits = EXITS_BEFORE;
	expect_mark(f, BANNER_LINE, TIMELINE_BANNER);
	assert_int_equal(t->exits[TIMELINE_BANNER], EXITS_BEFORE);
	assert_false(t->seen[TIMELINE_MARKER]);
	/* The first banner counts; a later one (kexec, a guest's dmesg) does not move it. */
	ns = t->ns[TIMELINE_BANNER];
	f->vcpu.nexits = EXITS_BEFORE * 2;
	linux_console_line(&f->lg, BANNER_LINE);
	assert_int_equal(t->ns[TIMELINE_BANNER], ns);
	assert_int_equal(t->exits[TIMELINE_BANNER], EXITS_BEFORE);
	assert_running(f);
}

static void test_linux_marker(void **state)
{
	struct fixture *f = *state;
	const struct timeline *t = &f->vm.timeline;

	start_timeline(f);
	linux_console_line(&f->lg, "[    1.200000] Freeing unused kernel image memory: 2048K");
	assert_false(t->seen[TIMELINE_MARKER]);
	f->vcpu.nexits = EXITS_BEFORE;
	expect_mark(f, MARKER_LINE, TIMELINE_MARKER);
	assert_int_equal(t->exits[TIMELINE_MARKER], EXITS_BEFORE);
	assert_false(t->seen[TIMELINE_BANNER]);
	assert_running(f);
}

static void test_linux_no_marker(void **state)
{
	struct fixture *f = *state;
	const struct timeline *t = &f->vm.timeline;

	start_timeline(f);
	/* No --boot-marker, or an empty one: no line is the marker. */
	f->lg.boot_marker = NULL;
	linux_console_line(&f->lg, MARKER_LINE);
	f->lg.boot_marker = "";
	linux_console_line(&f->lg, MARKER_LINE);
	linux_console_line(&f->lg, "");
	assert_false(t->seen[TIMELINE_MARKER]);
	/* A banner that is also the marker marks both. */
	f->lg.boot_marker = "Linux version";
	linux_console_line(&f->lg, BANNER_LINE);
	assert_true(t->seen[TIMELINE_BANNER]);
	assert_true(t->seen[TIMELINE_MARKER]);
	assert_int_equal(t->ns[TIMELINE_MARKER], t->ns[TIMELINE_BANNER]);
}

static void test_linux_panic(void **state)
{
	struct fixture *f = *state;

	start_timeline(f);
	linux_console_line(&f->lg, PANIC_LINE);
	/* Remembered, but the kernel is still printing its dying words. */
	assert_string_equal(f->lg.panic, PANIC_TEXT);
	assert_running(f);
	linux_console_line(&f->lg,
			   "[    2.350000] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.6.30 #1");
	linux_console_line(&f->lg, "[    2.360000] Kernel panic - not syncing: a second one");
	assert_string_equal(f->lg.panic, PANIC_TEXT);
	assert_running(f);
	/* Its last line: without panic=N the kernel spins forever, so the VM ends here. */
	linux_console_line(&f->lg, PANIC_END);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_linux_panic_end_only(void **state)
{
	struct fixture *f = *state;

	/* The first panic line lost (cut by a full buffer): the end line still ends the VM. */
	linux_console_line(&f->lg, PANIC_END);
	assert_true(f->vm.stopping);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_contains(f->vm.result.message, PANIC_REASON PANIC_TEXT);
}

static void test_linux_long_panic(void **state)
{
	struct fixture *f = *state;
	char line[LINUX_PANIC_MAX * 2];

	snprintf(line, sizeof(line), "%s", PANIC_TEXT);
	memset(line + strlen(PANIC_TEXT), 'p', sizeof(line) - strlen(PANIC_TEXT) - 1);
	line[sizeof(line) - 1] = '\0';
	linux_console_line(&f->lg, line);
	/* Kept up to the buffer, NUL-terminated. */
	assert_int_equal(strlen(f->lg.panic), LINUX_PANIC_MAX - 1);
	assert_memory_equal(f->lg.panic, line, LINUX_PANIC_MAX - 1);
	linux_console_line(&f->lg, PANIC_END);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_int_equal(strlen(f->vm.result.message), strlen(PANIC_REASON) + LINUX_PANIC_MAX - 1);
}

/* Through a real console: chunks of output with \r\n line ends, as the UART sends them. */
static void test_linux_watch_console(void **state)
{
	static const char *const chunks[] = {
		BANNER_LINE "\r\n[    0.1] x86/fpu: x87\r",
		"\n" MARKER_LINE "\r\n" PANIC_LINE,
		"\r\n[    2.36] Call Trace:\r\n---[ end ",
		PANIC_TEXT " ]---\r\n",
	};
	struct fixture *f = *state;
	const struct timeline *t = &f->vm.timeline;

	start_timeline(f);
	f->console.watch = (struct console_watch){ .line = linux_console_line, .opaque = &f->lg };
	for (unsigned int i = 0; i < ARRAY_SIZE(chunks); i++) {
		assert_running(f);
		assert_int_equal(console_write(&f->console, chunks[i], strlen(chunks[i])), 0);
	}
	assert_true(t->seen[TIMELINE_BANNER]);
	assert_true(t->seen[TIMELINE_MARKER]);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
	/* The watch only looks: the output is unchanged. */
	assert_string_equal(output(f),
			    BANNER_LINE "\r\n[    0.1] x86/fpu: x87\r\n" MARKER_LINE
					"\r\n" PANIC_LINE "\r\n[    2.36] Call Trace:\r\n"
					"---[ end " PANIC_TEXT " ]---\r\n");
}

/* --- vm_stop() after a panic ---------------------------------------------- */

static void test_reset_after_panic(void **state)
{
	struct fixture *f = *state;

	/* panic=1: the kernel reboots instead of printing its end line. */
	linux_console_line(&f->lg, PANIC_LINE);
	assert_int_equal(port_out(f, PORT_I8042_COMMAND, I8042_PULSE_RESET), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_acpi_reset_after_panic(void **state)
{
	struct fixture *f = *state;

	linux_console_line(&f->lg, PANIC_LINE);
	assert_int_equal(port_out(f, PORT_ACPI_RESET, ACPI_RESET_VALUE), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_halt_after_panic(void **state)
{
	struct fixture *f = *state;

	linux_console_line(&f->lg, PANIC_LINE);
	f->run->exit_reason = KVM_EXIT_HLT;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_triple_fault(void **state)
{
	struct fixture *f = *state;

	/* Linux's last resort reboot (reboot=t) is a reset, not a death. */
	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_RESET, 0, "reset by triple fault");
}

static void test_triple_fault_after_panic(void **state)
{
	struct fixture *f = *state;

	linux_console_line(&f->lg, PANIC_LINE);
	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_poweroff_after_panic(void **state)
{
	struct fixture *f = *state;

	linux_console_line(&f->lg, PANIC_LINE);
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_CONTROL, SLEEP_S5), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_stop_before_panic_reset(void **state)
{
	struct fixture *f = *state;

	/* The VM already ended (a timeout, Ctrl-A x) when the panicked guest resets. */
	linux_console_line(&f->lg, PANIC_LINE);
	vm_stop(&f->vm, VM_END_TIMEOUT, 0, -1, "%s", TIMEOUT_MESSAGE);
	assert_int_equal(port_out(f, PORT_I8042_COMMAND, I8042_PULSE_RESET), STOPPING);
	linux_console_line(&f->lg, PANIC_END);
	/* The first stop wins, message and all. */
	assert_ended(f, VM_END_TIMEOUT, -1, TIMEOUT_MESSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_count_limits),
		cmocka_unit_test_setup_teardown(test_pc_devices_where_a_pc_has_them, pc_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_pc_devices_for_linux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_exit_status, pc_setup, teardown),
		cmocka_unit_test_setup_teardown(test_debugcon_writes_the_console, pc_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nobios_trap_ends_the_guest, pc_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hlt_halts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault_kills_a_bare_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_first_stop_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_are_deaths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_failure_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes_map_to_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_i8042_reset_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_powers_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hc_exit_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_banner, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_marker, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_no_marker, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_panic, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_panic_end_only, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_long_panic, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_watch_console, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_after_panic, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_reset_after_panic, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_halt_after_panic, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault_after_panic, linux_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_after_panic, linux_setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_before_panic_reset, linux_setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
