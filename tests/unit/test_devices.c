/* Unit tests of a Linux guest's ends and milestones: i8042, ACPI power, console watch, timeline. */
#include "unit.h"

#include <errno.h>
#include <signal.h>

#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "error.h"
#include "fake_vm.h"
#include "layout.h"
#include "linux.h"
#include "stats.h"
#include "timeline.h"
#include "vm.h"

/* 8042 status: output and input buffers empty, self-test passed ("system flag"). */
#define I8042_STATUS_IDLE  0x04
#define I8042_STATUS_IBF   0x02 /* input buffer full: the controller is busy */
#define I8042_PULSE_RESET  0xfe
#define I8042_READ_CMDBYTE 0x20
#define I8042_WRITE_OUTPUT 0xd1
#define I8042_DISABLE_KBD  0xad
#define I8042_SELF_TEST	   0xaa
#define I8042_PULSE_NONE   0xff /* pulse no output line */

/* ACPI sleep control register (ACPI 6.4, 4.8.3.7): SLP_TYP in bits 2-4, SLP_EN bit 5. */
#define SLP_TYP(t)  ((t) << 2)
#define SLP_EN	    (1 << 5)
#define SLP_TYP_MAX 7
#define SLEEP_S5    (SLP_TYP(ACPI_S5_SLEEP_TYPE) | SLP_EN)

#define BOOT_MARKER  "Run /init as init process"
#define BANNER_LINE  "[    0.000000] Linux version 6.6.30 (builder@host) (gcc 12.2.0) #1 SMP"
#define MARKER_LINE  "[    1.234567] " BOOT_MARKER
#define PANIC_WHY    "VFS: Unable to mount root fs on unknown-block(0,0)"
#define PANIC_TEXT   "Kernel panic - not syncing: " PANIC_WHY
#define PANIC_LINE   "[    2.345678] " PANIC_TEXT
#define PANIC_END    "[    2.400000] ---[ end " PANIC_TEXT " ]---"
#define PANIC_REASON "the guest kernel panicked: "
#define EXITS_BEFORE 42

/* --- vCPU count: mini-kvm's tables and the host's KVM_CAP_MAX_VCPUS ------ */

static void test_vcpu_count_limits(void **state)
{
	struct kvm_host host = { .max_vcpus = 4, .module = "kvm_amd" };

	(void)state;
	assert_int_equal(vm_check_vcpu_count(&host, 1), 0);
	assert_int_equal(vm_check_vcpu_count(&host, 4), 0);
	assert_int_equal(vm_check_vcpu_count(&host, 5), -EINVAL);
	assert_string_equal(error_message(), "5 vCPUs: this host's KVM (kvm_amd) runs at most 4 "
					     "in a VM (KVM_CAP_MAX_VCPUS)");
	assert_int_equal(vm_check_vcpu_count(&host, 0), -EINVAL);
	assert_contains(error_message(), "0 vCPUs: mini-kvm runs 1 to 254");

	/* The tables' 8-bit APIC IDs bound a KVM that allows more. */
	host.max_vcpus = 1024;
	assert_int_equal(vm_check_vcpu_count(&host, VM_MAX_VCPUS), 0);
	assert_int_equal(vm_check_vcpu_count(&host, VM_MAX_VCPUS + 1), -EINVAL);
	assert_contains(error_message(),
			"255 vCPUs: mini-kvm runs 1 to 254 (its MP table and MADT");

	/* A KVM that did not say: only mini-kvm's own bound. */
	host.max_vcpus = 0;
	assert_int_equal(vm_check_vcpu_count(&host, 64), 0);
}

/* What vcpu_handle_exit() returns. */
#define RUNNING	 0
#define STOPPING 1

#define TIMEOUT_MESSAGE "still running after 1.000 s (--timeout)"

/* Timeline times: mini-kvm started at ORIGIN_NS; events some milliseconds later. */
#define NS_PER_MS    1000000ULL
#define ORIGIN_NS    (5000 * NS_PER_MS)
#define TIMELINE_MAX 4096

static int handle(struct fake_vm *f)
{
	return vcpu_handle_exit(fake_vcpu(f));
}

/* The PC devices vm.c registers for a Linux guest, on the fake VM's PIO bus. */
static int pc_setup(void **state)
{
	const struct bus_device data = { "i8042 data", i8042_data_read, NULL, NULL };
	const struct bus_device command = { "i8042 command", i8042_status_read, i8042_command_write,
					    NULL };
	const struct bus_device pm = { "ACPI power", acpi_pm_bus_read, acpi_pm_bus_write, NULL };
	struct fake_vm *f;

	if (fake_vm_setup(state))
		return -1;
	f = *state;
	if (bus_register(&f->vm.pio, PORT_I8042_DATA, 1, &data) ||
	    bus_register(&f->vm.pio, PORT_I8042_COMMAND, 1, &command) ||
	    bus_register(&f->vm.pio, PORT_ACPI_SLEEP_CONTROL, ACPI_PM_PORTS, &pm)) {
		fake_vm_teardown(state);
		return -1;
	}
	return 0;
}

/* A one-byte IN from port; the value the guest gets. */
static uint8_t port_in(struct fake_vm *f, uint16_t port)
{
	uint8_t *data = fake_io(f, false, port, 1, 1, NULL);

	assert_int_equal(handle(f), RUNNING);
	return data[0];
}

/* A one-byte OUT to port: vcpu_handle_exit()'s RUNNING or STOPPING. */
static int port_out(struct fake_vm *f, uint16_t port, uint8_t value)
{
	fake_io(f, true, port, 1, 1, &value);
	return handle(f);
}

static void assert_running(struct fake_vm *f)
{
	assert_false(f->vm.stopping);
	assert_int_equal(f->vm.result.end, VM_END_RUNNING);
}

static void assert_ended(struct fake_vm *f, enum vm_end end, int vcpu, const char *message)
{
	assert_true(f->vm.stopping);
	assert_int_equal(f->vm.result.end, end);
	assert_int_equal(f->vm.result.status, 0);
	assert_int_equal(f->vm.result.vcpu, vcpu);
	assert_string_equal(f->vm.result.message, message);
}

/* --- i8042 ---------------------------------------------------------------- */

static void test_i8042_reads(void **state)
{
	struct fake_vm *f = *state;

	assert_int_equal(port_in(f, PORT_I8042_COMMAND), I8042_STATUS_IDLE);
	assert_int_equal(port_in(f, PORT_I8042_DATA), 0);
	/* Claimed ports, not the all-ones of an empty bus. */
	assert_int_equal(fake_vcpu(f)->stats.unclaimed, 0);
	assert_running(f);
}

static void test_i8042_reset(void **state)
{
	struct fake_vm *f = *state;

	/* Linux's reboot=k: wait for an empty input buffer, then pulse the reset line. */
	assert_int_equal(port_in(f, PORT_I8042_COMMAND) & I8042_STATUS_IBF, 0);
	assert_int_equal(port_out(f, PORT_I8042_COMMAND, I8042_PULSE_RESET), STOPPING);
	assert_ended(f, VM_END_RESET, 0, "reset through the 8042 controller");
}

static void test_i8042_other_commands(void **state)
{
	static const uint8_t commands[] = { I8042_READ_CMDBYTE,
					    I8042_WRITE_OUTPUT,
					    I8042_DISABLE_KBD,
					    I8042_SELF_TEST,
					    I8042_PULSE_NONE,
					    I8042_PULSE_RESET - 1,
					    0x00 };
	struct fake_vm *f = *state;

	for (unsigned int i = 0; i < ARRAY_SIZE(commands); i++)
		assert_int_equal(port_out(f, PORT_I8042_COMMAND, commands[i]), RUNNING);
	/* The reset command on the data port is just data. */
	assert_int_equal(port_out(f, PORT_I8042_DATA, I8042_PULSE_RESET), RUNNING);
	assert_running(f);
	assert_int_equal(fake_vcpu(f)->stats.unclaimed, 0);
}

/* --- ACPI sleep and reset registers --------------------------------------- */

static void test_acpi_poweroff(void **state)
{
	struct fake_vm *f = *state;

	/* What Linux's acpi_hw_extended_sleep() writes for S5. */
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_CONTROL, SLEEP_S5), STOPPING);
	assert_ended(f, VM_END_POWEROFF, 0, "powered off (ACPI S5)");
}

static void test_acpi_other_sleep(void **state)
{
	struct fake_vm *f = *state;

	/* SLP_EN with any other type: ignored, the guest keeps running. */
	for (unsigned int type = 0; type <= SLP_TYP_MAX; type++)
		if (type != ACPI_S5_SLEEP_TYPE)
			assert_int_equal(
				port_out(f, PORT_ACPI_SLEEP_CONTROL, SLP_TYP(type) | SLP_EN),
				RUNNING);
	/* The S5 type without SLP_EN only prepares the transition. */
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_CONTROL, SLP_TYP(ACPI_S5_SLEEP_TYPE)),
			 RUNNING);
	/* The poweroff value on the other registers. */
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_STATUS, SLEEP_S5), RUNNING);
	assert_int_equal(port_out(f, PORT_ACPI_RESET, SLEEP_S5), RUNNING);
	assert_running(f);
}

static void test_acpi_reset(void **state)
{
	struct fake_vm *f = *state;

	assert_int_equal(port_out(f, PORT_ACPI_RESET, ACPI_RESET_VALUE), STOPPING);
	assert_ended(f, VM_END_RESET, 0, "reset through ACPI");
}

static void test_acpi_reset_other_values(void **state)
{
	static const uint8_t values[] = { 0x00, ACPI_RESET_VALUE + 1, 0x06, 0x0e, 0xff };
	struct fake_vm *f = *state;

	for (unsigned int i = 0; i < ARRAY_SIZE(values); i++)
		assert_int_equal(port_out(f, PORT_ACPI_RESET, values[i]), RUNNING);
	/* The reset value on the sleep registers does nothing either. */
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_CONTROL, ACPI_RESET_VALUE), RUNNING);
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_STATUS, ACPI_RESET_VALUE), RUNNING);
	assert_running(f);
}

static void test_acpi_reads(void **state)
{
	struct fake_vm *f = *state;

	/* No wake status, and the write-only registers read as 0 too. */
	assert_int_equal(port_in(f, PORT_ACPI_SLEEP_STATUS), 0);
	assert_int_equal(port_in(f, PORT_ACPI_SLEEP_CONTROL), 0);
	assert_int_equal(port_in(f, PORT_ACPI_RESET), 0);
	assert_int_equal(fake_vcpu(f)->stats.unclaimed, 0);
	assert_running(f);
}

/* --- the Linux console watch --------------------------------------------- */

static void start_timeline(struct fake_vm *f)
{
	f->config.boot_marker = BOOT_MARKER;
	timeline_init(&f->vm.timeline, stats_now_ns());
}

/* Feed line to the watch, and check that event got marked between the call's start and end. */
static void expect_mark(struct fake_vm *f, const char *line, enum timeline_event event)
{
	const struct timeline *t = &f->vm.timeline;
	uint64_t before = stats_now_ns() - t->origin_ns, after;

	linux_console_line(&f->vm, line);
	after = stats_now_ns() - t->origin_ns;
	assert_true(t->seen[event]);
	assert_in_range(t->ns[event], before, after);
	assert_int_equal(t->exits[event], vm_exits(&f->vm));
}

static void test_linux_banner(void **state)
{
	struct fake_vm *f = *state;
	const struct timeline *t = &f->vm.timeline;
	uint64_t ns;

	start_timeline(f);
	linux_console_line(&f->vm, "[    0.000000] Command line: console=ttyS0");
	linux_console_line(&f->vm, "[    0.500000] Linux agpgart interface v0.103");
	assert_false(t->seen[TIMELINE_BANNER]);
	fake_vcpu(f)->nexits = EXITS_BEFORE;
	expect_mark(f, BANNER_LINE, TIMELINE_BANNER);
	assert_int_equal(t->exits[TIMELINE_BANNER], EXITS_BEFORE);
	assert_false(t->seen[TIMELINE_MARKER]);
	/* The first banner counts; a later one (kexec, a guest's dmesg) does not move it. */
	ns = t->ns[TIMELINE_BANNER];
	fake_vcpu(f)->nexits = EXITS_BEFORE * 2;
	linux_console_line(&f->vm, BANNER_LINE);
	assert_int_equal(t->ns[TIMELINE_BANNER], ns);
	assert_int_equal(t->exits[TIMELINE_BANNER], EXITS_BEFORE);
	assert_running(f);
}

static void test_linux_marker(void **state)
{
	struct fake_vm *f = *state;
	const struct timeline *t = &f->vm.timeline;

	start_timeline(f);
	linux_console_line(&f->vm, "[    1.200000] Freeing unused kernel image memory: 2048K");
	assert_false(t->seen[TIMELINE_MARKER]);
	fake_vcpu(f)->nexits = EXITS_BEFORE;
	expect_mark(f, MARKER_LINE, TIMELINE_MARKER);
	assert_int_equal(t->exits[TIMELINE_MARKER], EXITS_BEFORE);
	assert_false(t->seen[TIMELINE_BANNER]);
	assert_running(f);
}

static void test_linux_no_marker(void **state)
{
	struct fake_vm *f = *state;
	const struct timeline *t = &f->vm.timeline;

	start_timeline(f);
	/* No --boot-marker, or an empty one: no line is the marker. */
	f->config.boot_marker = NULL;
	linux_console_line(&f->vm, MARKER_LINE);
	f->config.boot_marker = "";
	linux_console_line(&f->vm, MARKER_LINE);
	linux_console_line(&f->vm, "");
	assert_false(t->seen[TIMELINE_MARKER]);
	/* A banner that is also the marker marks both. */
	f->config.boot_marker = "Linux version";
	linux_console_line(&f->vm, BANNER_LINE);
	assert_true(t->seen[TIMELINE_BANNER]);
	assert_true(t->seen[TIMELINE_MARKER]);
	assert_int_equal(t->ns[TIMELINE_MARKER], t->ns[TIMELINE_BANNER]);
}

static void test_linux_panic(void **state)
{
	struct fake_vm *f = *state;

	start_timeline(f);
	linux_console_line(&f->vm, PANIC_LINE);
	/* Remembered, but the kernel is still printing its dying words. */
	assert_string_equal(f->vm.panic, PANIC_TEXT);
	assert_running(f);
	linux_console_line(&f->vm,
			   "[    2.350000] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.6.30 #1");
	linux_console_line(&f->vm, "[    2.360000] Kernel panic - not syncing: a second one");
	assert_string_equal(f->vm.panic, PANIC_TEXT);
	assert_running(f);
	/* Its last line: without panic=N the kernel spins forever, so the VM ends here. */
	linux_console_line(&f->vm, PANIC_END);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_linux_panic_end_only(void **state)
{
	struct fake_vm *f = *state;

	/* The first panic line lost (cut by a full buffer): the end line still ends the VM. */
	linux_console_line(&f->vm, PANIC_END);
	assert_true(f->vm.stopping);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_contains(f->vm.result.message, PANIC_REASON PANIC_TEXT);
}

static void test_linux_long_panic(void **state)
{
	struct fake_vm *f = *state;
	char line[VM_PANIC_MAX * 2];

	snprintf(line, sizeof(line), "%s", PANIC_TEXT);
	memset(line + strlen(PANIC_TEXT), 'p', sizeof(line) - strlen(PANIC_TEXT) - 1);
	line[sizeof(line) - 1] = '\0';
	linux_console_line(&f->vm, line);
	/* Kept up to the buffer, NUL-terminated. */
	assert_int_equal(strlen(f->vm.panic), VM_PANIC_MAX - 1);
	assert_memory_equal(f->vm.panic, line, VM_PANIC_MAX - 1);
	linux_console_line(&f->vm, PANIC_END);
	assert_int_equal(f->vm.result.end, VM_END_DIED);
	assert_int_equal(strlen(f->vm.result.message), strlen(PANIC_REASON) + VM_PANIC_MAX - 1);
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
	struct fake_vm *f = *state;
	const struct timeline *t = &f->vm.timeline;

	start_timeline(f);
	f->console.watch = (struct console_watch){ .line = linux_console_line, .opaque = &f->vm };
	for (unsigned int i = 0; i < ARRAY_SIZE(chunks); i++) {
		assert_running(f);
		assert_int_equal(console_write(&f->console, chunks[i], strlen(chunks[i])), 0);
	}
	assert_true(t->seen[TIMELINE_BANNER]);
	assert_true(t->seen[TIMELINE_MARKER]);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
	/* The watch only looks: the output is unchanged. */
	assert_string_equal(fake_vm_output(f),
			    BANNER_LINE "\r\n[    0.1] x86/fpu: x87\r\n" MARKER_LINE
					"\r\n" PANIC_LINE "\r\n[    2.36] Call Trace:\r\n"
					"---[ end " PANIC_TEXT " ]---\r\n");
}

/* --- vm_stop() after a panic ---------------------------------------------- */

static void test_reset_after_panic(void **state)
{
	struct fake_vm *f = *state;

	/* panic=1: the kernel reboots instead of printing its end line. */
	linux_console_line(&f->vm, PANIC_LINE);
	assert_int_equal(port_out(f, PORT_I8042_COMMAND, I8042_PULSE_RESET), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_acpi_reset_after_panic(void **state)
{
	struct fake_vm *f = *state;

	linux_console_line(&f->vm, PANIC_LINE);
	assert_int_equal(port_out(f, PORT_ACPI_RESET, ACPI_RESET_VALUE), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_halt_after_panic(void **state)
{
	struct fake_vm *f = *state;

	linux_console_line(&f->vm, PANIC_LINE);
	f->run->exit_reason = KVM_EXIT_HLT;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_triple_fault(void **state)
{
	struct fake_vm *f = *state;

	/* Linux's last resort reboot (reboot=t) is a reset, not a death. */
	f->config.linux_guest = true;
	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_RESET, 0, "reset by triple fault");
}

static void test_triple_fault_after_panic(void **state)
{
	struct fake_vm *f = *state;

	f->config.linux_guest = true;
	linux_console_line(&f->vm, PANIC_LINE);
	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_poweroff_after_panic(void **state)
{
	struct fake_vm *f = *state;

	linux_console_line(&f->vm, PANIC_LINE);
	assert_int_equal(port_out(f, PORT_ACPI_SLEEP_CONTROL, SLEEP_S5), STOPPING);
	assert_ended(f, VM_END_DIED, -1, PANIC_REASON PANIC_TEXT);
}

static void test_stop_before_panic_reset(void **state)
{
	struct fake_vm *f = *state;

	/* The VM already ended (a timeout, Ctrl-A x) when the panicked guest resets. */
	linux_console_line(&f->vm, PANIC_LINE);
	vm_stop(&f->vm, VM_END_TIMEOUT, 0, -1, "%s", TIMEOUT_MESSAGE);
	assert_int_equal(port_out(f, PORT_I8042_COMMAND, I8042_PULSE_RESET), STOPPING);
	linux_console_line(&f->vm, PANIC_END);
	/* The first stop wins, message and all. */
	assert_ended(f, VM_END_TIMEOUT, -1, TIMEOUT_MESSAGE);
}

/* --- timeline_print() ----------------------------------------------------- */

/* timeline_print()'s output into text (TIMELINE_MAX bytes). */
static void print_timeline(const struct timeline *t, const char *marker, char *text)
{
	FILE *out = fmemopen(text, TIMELINE_MAX, "w");

	assert_non_null(out);
	timeline_print(out, "[1:linux]", t, marker);
	assert_int_equal(fclose(out), 0);
}

/* Index in text of the line containing what, which must exist. */
static ptrdiff_t line_of(const char *text, const char *what)
{
	const char *p = strstr(text, what);

	if (!p)
		fail_msg("no \"%s\" in:\n%s", what, text);
	return p - text;
}

static void test_timeline_first_mark_wins(void **state)
{
	struct timeline t;

	(void)state;
	timeline_init(&t, ORIGIN_NS);
	for (unsigned int i = 0; i < TIMELINE_EVENTS; i++)
		assert_false(t.seen[i]);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 10 * NS_PER_MS, 110);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 20 * NS_PER_MS, 999);
	assert_true(t.seen[TIMELINE_BANNER]);
	/* Relative to the origin. */
	assert_int_equal(t.ns[TIMELINE_BANNER], 10 * NS_PER_MS);
	assert_int_equal(t.exits[TIMELINE_BANNER], 110);
	assert_false(t.seen[TIMELINE_MARKER]);
	/* An event at the origin itself is seen, at 0. */
	timeline_mark(&t, TIMELINE_FIRST_RUN, ORIGIN_NS, 0);
	assert_true(t.seen[TIMELINE_FIRST_RUN]);
	assert_int_equal(t.ns[TIMELINE_FIRST_RUN], 0);
}

static void test_timeline_print(void **state)
{
	char text[TIMELINE_MAX];
	struct timeline t;

	(void)state;
	timeline_init(&t, ORIGIN_NS);
	timeline_mark(&t, TIMELINE_FIRST_RUN, ORIGIN_NS + 1 * NS_PER_MS, 0);
	timeline_mark(&t, TIMELINE_FIRST_BYTE, ORIGIN_NS + 3500000, 10);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 10250000, 110);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 20 * NS_PER_MS, 999);
	timeline_mark(&t, TIMELINE_END, ORIGIN_NS + 50 * NS_PER_MS, 1000);
	print_timeline(&t, BOOT_MARKER, text);

	assert_contains(text, "[1:linux] boot timeline (from mini-kvm's start):\n");
	/* Time and exits since the start, then since the previous event. */
	assert_contains(
		text,
		"  first KVM_RUN                 1.000            0          1.000            0\n");
	assert_contains(
		text,
		"  first serial byte             3.500           10          2.500           10\n");
	assert_contains(
		text,
		"  Linux version                10.250          110          6.750          100\n");
	assert_contains(text, "  marker                            -  (\"" BOOT_MARKER
			      "\" never appeared)\n");
	assert_contains(
		text,
		"  end                          50.000         1000         39.750          890\n");
	/* In the order they happened. */
	assert_true(line_of(text, "first KVM_RUN") < line_of(text, "first serial byte"));
	assert_true(line_of(text, "first serial byte") < line_of(text, "Linux version"));
	assert_true(line_of(text, "Linux version") < line_of(text, "  marker"));
	assert_true(line_of(text, "  marker") < line_of(text, "  end"));

	/* Printed before the VM ended: the missing marker still says so. */
	t.seen[TIMELINE_END] = false;
	print_timeline(&t, BOOT_MARKER, text);
	assert_true(line_of(text, "Linux version") < line_of(text, "never appeared"));
	assert_not_contains(text, "  end ");

	/* Without --boot-marker the marker is not missed. */
	print_timeline(&t, NULL, text);
	assert_not_contains(text, "marker");
	assert_not_contains(text, "never appeared");
}

static void test_timeline_marker_before_banner(void **state)
{
	char text[TIMELINE_MAX];
	struct timeline t;

	(void)state;
	/* A marker the decompressor prints (earlyprintk) comes before the banner. */
	timeline_init(&t, ORIGIN_NS);
	timeline_mark(&t, TIMELINE_FIRST_RUN, ORIGIN_NS + 1 * NS_PER_MS, 0);
	timeline_mark(&t, TIMELINE_MARKER, ORIGIN_NS + 5 * NS_PER_MS, 50);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 8 * NS_PER_MS, 80);
	print_timeline(&t, "Booting the kernel", text);
	assert_true(line_of(text, "  marker") < line_of(text, "Linux version"));
	assert_contains(
		text,
		"  marker                        5.000           50          4.000           50\n");
	assert_contains(
		text,
		"  Linux version                 8.000           80          3.000           30\n");
	/* No phase goes backwards (a negative one would print as 2^64). */
	assert_not_contains(text, "18446744");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_i8042_reads, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_i8042_reset, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_i8042_other_commands, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_poweroff, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_other_sleep, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_reset, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_reset_other_values, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_reads, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_banner, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_marker, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_no_marker, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_panic, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_panic_end_only, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_long_panic, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_linux_watch_console, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_reset_after_panic, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_reset_after_panic, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_halt_after_panic, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, pc_setup, fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault_after_panic, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_after_panic, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test_setup_teardown(test_stop_before_panic_reset, pc_setup,
						fake_vm_teardown),
		cmocka_unit_test(test_vcpu_count_limits),
		cmocka_unit_test(test_timeline_first_mark_wins),
		cmocka_unit_test(test_timeline_print),
		cmocka_unit_test(test_timeline_marker_before_banner),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
