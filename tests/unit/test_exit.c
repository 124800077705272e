/* SPDX-License-Identifier: MIT */
/* Unit tests of VM-exit handling (vcpu_handle_exit() in src/vcpu.c) with fake exits and no KVM. */
#include "unit.h"

#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "devices/serial.h"
#include "error.h"
#include "fake_vcpu.h"
#include "arch/x86/layout.h"
#include "vcpu.h"
#include "mini-kvm/hypercall.h"

#define PORT_UNCLAIMED 0x80 /* POST diagnostics: nothing there in mini-kvm */
#define MMIO_DEV       0xd0000000ULL
#define MMIO_DEV_SIZE  0x1000
#define MMIO_UNCLAIMED 0xfec00000ULL
#define GUEST_RIP      0x1234
#define FAIL_REASON    0x80000021ULL /* VMX: invalid guest state */

/* The I/O statistics entry for (mmio, addr, write), which must exist. */
static const struct io_stat *io_entry(struct fake_vcpu *f, bool mmio, uint64_t addr, bool write)
{
	const struct vcpu_stats *s = &f->vcpu.stats;

	for (unsigned int i = 0; i < s->nio; i++)
		if (s->io[i].mmio == mmio && s->io[i].addr == addr && s->io[i].write == write)
			return &s->io[i];
	fail_msg("no statistics for %s 0x%llx", mmio ? "mmio" : "port", (unsigned long long)addr);
	return NULL;
}

static enum vcpu_outcome handle(struct fake_vcpu *f)
{
	return vcpu_handle_exit(&f->vcpu);
}

static void test_io_out_hypercall(void **state)
{
	struct fake_vcpu *f = *state;
	const uint8_t fn = HC_PUTCHAR;
	const struct io_stat *io;
	const struct exit_record *rec = &f->vcpu.ring[0];

	fake_regs(f)->rbx = 'Q';
	fake_regs(f)->rip = GUEST_RIP;
	fake_io(f, true, HC_PORT, 1, 1, &fn);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_string_equal(fake_output(f), "Q");
	assert_false(f->stopping);

	io = io_entry(f, false, HC_PORT, true);
	assert_int_equal(io->count, 1);
	assert_false(io->unclaimed);
	assert_int_equal(f->vcpu.stats.unclaimed, 0);
	/* The exit is in the ring for a later dump. */
	assert_int_equal(f->vcpu.nexits, 1);
	assert_int_equal(rec->reason, KVM_EXIT_IO);
	assert_int_equal(rec->rip, GUEST_RIP);
	assert_int_equal(rec->addr, HC_PORT);
	assert_int_equal(rec->size, 1);
	assert_int_equal(rec->count, 1);
	assert_true(rec->write);
	assert_int_equal(rec->data, HC_PUTCHAR);
}

static void test_io_string_out(void **state)
{
	struct fake_vcpu *f = *state;
	const uint8_t fns[] = { HC_PUTCHAR, HC_NEWLINE, HC_PUTCHAR };

	/* rep outsb: three elements in one exit, each a hypercall. */
	fake_regs(f)->rbx = 'Z';
	fake_io(f, true, HC_PORT, 1, ARRAY_SIZE(fns), fns);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_string_equal(fake_output(f), "Z\nZ");
	assert_int_equal(io_entry(f, false, HC_PORT, true)->count, 3);
}

static void test_io_string_out_stops_at_exit(void **state)
{
	struct fake_vcpu *f = *state;
	const uint8_t fns[] = { HC_PUTCHAR, HC_EXIT, HC_PUTCHAR, HC_NEWLINE };

	/* The VM ended at the second element: the rest of the string never runs. */
	fake_regs(f)->rbx = 'Z';
	fake_io(f, true, HC_PORT, 1, ARRAY_SIZE(fns), fns);
	assert_int_equal(handle(f), VCPU_STOPPED);
	assert_string_equal(fake_output(f), "Z");
	assert_int_equal(f->exit_status, 'Z'); /* HC_EXIT's status: EBX, still 'Z' */
}

static void test_io_in_hypercall(void **state)
{
	struct fake_vcpu *f = *state;
	uint8_t *data = fake_io(f, false, HC_PORT, 1, 1, NULL);

	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(data[0], HC_ABI_VERSION);
	assert_int_equal(f->vcpu.ring[0].data, HC_ABI_VERSION);
	assert_false(io_entry(f, false, HC_PORT, false)->unclaimed);
}

static void test_io_unclaimed_in(void **state)
{
	struct fake_vcpu *f = *state;
	const struct io_stat *io;
	uint8_t *data;

	data = fake_io(f, false, PORT_UNCLAIMED, 1, 1, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[1], 0); /* only size * count bytes */

	/* A 32-bit rep insd of two elements: 8 bytes of all ones. */
	data = fake_io(f, false, PORT_UNCLAIMED, 4, 2, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(data[i], 0xff);
	assert_int_equal(data[8], 0);

	io = io_entry(f, false, PORT_UNCLAIMED, false);
	assert_true(io->unclaimed);
	assert_int_equal(io->count, 3);
	assert_int_equal(f->vcpu.stats.unclaimed, 3);
	/* Harmless to the guest. */
	assert_false(f->stopping);
	assert_int_equal(f->exit_status, FAKE_NO_EXIT);
}

static void test_io_unclaimed_out(void **state)
{
	struct fake_vcpu *f = *state;
	const uint16_t word = 0x1234;

	fake_io(f, true, PORT_UNCLAIMED, 2, 1, &word);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_true(io_entry(f, false, PORT_UNCLAIMED, true)->unclaimed);
	assert_int_equal(f->vcpu.stats.unclaimed, 1);
	assert_int_equal(f->vcpu.ring[0].data, 0x1234);
	/* Straddling a device's last port is unclaimed too. */
	fake_io(f, true, HC_PORT, 2, 1, &word);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_true(io_entry(f, false, HC_PORT, true)->unclaimed);
	assert_int_equal(f->vcpu.stats.unclaimed, 2);
	assert_string_equal(fake_output(f), "");
}

/*
 * A KVM_EXIT_IO unlike any KVM makes -- found by fuzz_exit, which once left an MMIO
 * exit's fields under KVM_EXIT_IO -- is refused before its data is touched: no
 * element size but 1, 2 and 4, no data outside the kvm_run mapping, however the
 * sums would wrap.
 */
static void test_io_malformed_is_refused(void **state)
{
	struct fake_vcpu *f = *state;
	const struct {
		uint8_t size;
		uint32_t count;
		uint64_t data_offset;
	} bad[] = {
		{ 3, 1, FAKE_IO_DATA_OFFSET },
		{ 8, 1, FAKE_IO_DATA_OFFSET },
		{ 1, 1, FAKE_RUN_SIZE },
		{ 1, 1, 0x9999fc099999a999ULL },
		{ 4, FAKE_IO_DATA_SIZE / 4 + 1, FAKE_IO_DATA_OFFSET },
		{ 4, UINT32_MAX, FAKE_IO_DATA_OFFSET },
		{ 1, 2, UINT64_MAX },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		fake_io(f, false, HC_PORT, 1, 1, NULL);
		f->run->io.size = bad[i].size;
		f->run->io.count = bad[i].count;
		f->run->io.data_offset = bad[i].data_offset;
		assert_int_equal(handle(f), VCPU_FAILED);
		assert_contains(f->vcpu.message, "malformed KVM_EXIT_IO");
	}
	/* The largest a page holds is still fine. */
	fake_io(f, false, PORT_UNCLAIMED, 4, FAKE_IO_DATA_SIZE / 4, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_false(f->stopping);
}

static void test_io_device_offset(void **state)
{
	struct fake_vcpu *f = *state;
	struct serial uart;
	const struct bus_device com1 = { .name = "serial COM1",
					 .read = serial_bus_read,
					 .write = serial_bus_write,
					 .opaque = &uart };
	const uint8_t value = 0xa5;
	uint8_t *data;

	serial_init(&uart, NULL, NULL);
	assert_int_equal(bus_register(&f->pio, PORT_COM1, PORT_COM_SIZE, &com1), 0);
	fake_io(f, true, PORT_COM1 + UART_SCR, 1, 1, &value);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(uart.scr, value);
	data = fake_io(f, false, PORT_COM1 + UART_SCR, 1, 1, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(data[0], value);
	data = fake_io(f, false, PORT_COM1 + UART_LSR, 1, 1, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(data[0], UART_LSR_THRE | UART_LSR_TEMT);
	serial_destroy(&uart);
}

static int failing_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)size;
	return error_set(EIO, "device on fire");
}

static void test_io_device_failure(void **state)
{
	struct fake_vcpu *f = *state;
	const struct bus_device bad = { .name = "bad", .write = failing_write };
	const uint8_t byte = 1;

	assert_int_equal(bus_register(&f->pio, PORT_UNCLAIMED, 1, &bad), 0);
	fake_io(f, true, PORT_UNCLAIMED, 1, 1, &byte);
	/* A VMM-side failure is reported with the device's message (the VM stops for it). */
	assert_int_equal(handle(f), VCPU_IO_ERROR);
	assert_string_equal(f->vcpu.message, "device on fire");
}

static void test_io_output_closed(void **state)
{
	struct fake_vcpu *f = *state;
	const uint8_t fn = HC_NEWLINE;

	close(f->out[0]);
	f->out[0] = open("/dev/null", O_RDONLY); /* for teardown */
	fake_io(f, true, HC_PORT, 1, 1, &fn);
	assert_int_equal(handle(f), VCPU_IO_ERROR);
	assert_contains(f->vcpu.message, "Broken pipe");
}

static void test_io_hc_exit(void **state)
{
	struct fake_vcpu *f = *state;
	const uint8_t fn = HC_EXIT;

	fake_regs(f)->rbx = 42;
	fake_io(f, true, HC_PORT, 1, 1, &fn);
	/* The run loop sees the VM stopping before its next KVM_RUN. */
	assert_int_equal(handle(f), VCPU_STOPPED);
	assert_true(f->stopping);
	assert_int_equal(f->exit_status, 42);
}

static int fill_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	uint64_t *seen = opaque;
	uint64_t value = 0x1122334455667788ULL;

	*seen = offset;
	memcpy(data, &value, size);
	return 0;
}

static int store_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	uint64_t *seen = opaque;

	*seen = offset;
	memcpy(&seen[1], data, size);
	return 0;
}

static void test_mmio(void **state)
{
	struct fake_vcpu *f = *state;
	uint64_t seen[2] = { 0 };
	const struct bus_device dev = {
		.name = "mmio dev", .read = fill_read, .write = store_write, .opaque = seen
	};
	const uint32_t value = 0xcafef00d;

	assert_int_equal(bus_register(&f->mmio, MMIO_DEV, MMIO_DEV_SIZE, &dev), 0);
	fake_mmio(f, true, MMIO_DEV + 0x10, 4, &value);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(seen[0], 0x10);
	assert_int_equal(seen[1], value);
	assert_false(io_entry(f, true, MMIO_DEV + 0x10, true)->unclaimed);

	fake_mmio(f, false, MMIO_DEV + 0x20, 8, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(seen[0], 0x20);
	assert_memory_equal(f->run->mmio.data, &(uint64_t){ 0x1122334455667788ULL }, 8);

	/* Nothing there: all ones, counted as unclaimed. */
	fake_mmio(f, false, MMIO_UNCLAIMED, 4, NULL);
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_memory_equal(f->run->mmio.data, "\xff\xff\xff\xff\0\0\0\0", 8);
	assert_true(io_entry(f, true, MMIO_UNCLAIMED, false)->unclaimed);
	assert_int_equal(f->vcpu.stats.unclaimed, 1);

	/* A length KVM never sends is refused, not copied. */
	f->run->mmio.len = sizeof(f->run->mmio.data) + 1;
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(f->vcpu.stats.unclaimed, 2);
	assert_false(f->stopping);
}

static void test_hlt(void **state)
{
	struct fake_vcpu *f = *state;

	/* The vCPU reports; what a halt means is the VM's to decide (test_vm.c). */
	f->run->exit_reason = KVM_EXIT_HLT;
	assert_int_equal(handle(f), VCPU_HALTED);
	assert_false(f->stopping);
	assert_string_equal(f->vcpu.message, "");
}

static void test_shutdown(void **state)
{
	struct fake_vcpu *f = *state;

	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f), VCPU_SHUTDOWN);
	assert_contains(f->vcpu.message, "triple fault");
	assert_contains(f->vcpu.message, "KVM_EXIT_SHUTDOWN");
}

static void test_fail_entry(void **state)
{
	struct fake_vcpu *f = *state;

	f->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	f->run->fail_entry.hardware_entry_failure_reason = FAIL_REASON;
	assert_int_equal(handle(f), VCPU_FAILED);
	assert_contains(f->vcpu.message,
			"VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware reason 0x80000021");
}

static void test_internal_error(void **state)
{
	struct fake_vcpu *f = *state;

	f->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	f->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	f->run->internal.ndata = 2;
	f->run->internal.data[0] = 0x12;
	f->run->internal.data[1] = 0xabc;
	assert_int_equal(handle(f), VCPU_FAILED);
	assert_contains(f->vcpu.message, "KVM internal error, suberror 1: ");
	assert_contains(f->vcpu.message, "emulation");
	assert_contains(f->vcpu.message, "; data: 0x12 0xabc");
}

static void test_internal_error_bad_ndata(void **state)
{
	struct fake_vcpu *f = *state;
	const char *p;
	unsigned int words = 0;

	/* ndata from a confused kernel: at most the 16 words kvm_run has. */
	f->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	f->run->internal.suberror = 999;
	f->run->internal.ndata = UINT32_MAX;
	assert_int_equal(handle(f), VCPU_FAILED);
	assert_contains(f->vcpu.message, "suberror 999: unknown");
	assert_contains(f->vcpu.message, "; data: 0x0");
	for (p = f->vcpu.message; (p = strstr(p, " 0x0")); p++)
		words++;
	assert_int_equal(words, ARRAY_SIZE(f->run->internal.data));
}

static void test_unexpected_exit(void **state)
{
	struct fake_vcpu *f = *state;

	f->run->exit_reason = KVM_EXIT_EXCEPTION;
	assert_int_equal(handle(f), VCPU_FAILED);
	assert_contains(f->vcpu.message, "unexpected VM exit 1 (");
}

/* A debug exit with no debugger to take it (nothing asked KVM for one): a failure that says so. */
static void test_debug_exit_without_debugger(void **state)
{
	struct fake_vcpu *f = *state;

	f->run->exit_reason = KVM_EXIT_DEBUG;
	f->run->debug.arch.exception = 3;
	f->run->debug.arch.pc = GUEST_RIP;
	assert_int_equal(handle(f), VCPU_FAILED);
	assert_contains(f->vcpu.message, "debug exit (exception 3 at 0x1234");
	assert_contains(f->vcpu.message, "with no debugger");
}

/* A fake debugger: counts debug exits and answers with a set outcome. */
struct fake_debugger {
	unsigned int exits;
	uint32_t exception;
	enum vcpu_outcome answer;
};

static enum vcpu_outcome fake_debug_exit(void *opaque, struct vcpu *vcpu)
{
	struct fake_debugger *d = opaque;

	d->exits++;
	d->exception = vcpu->run->debug.arch.exception;
	if (d->answer != VCPU_CONTINUE)
		snprintf(vcpu->message, sizeof(vcpu->message), "the debugger says no");
	return d->answer;
}

/* The vCPU reports a debug exit to its debugger, which decides. */
static void test_debug_exit_goes_to_debugger(void **state)
{
	struct fake_vcpu *f = *state;
	struct fake_debugger d = { .answer = VCPU_CONTINUE };
	const struct vcpu_debug hooks = { .debug_exit = fake_debug_exit, .opaque = &d };

	f->vcpu.env.debug = &hooks;
	f->run->exit_reason = KVM_EXIT_DEBUG;
	f->run->debug.arch.exception = 1;
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(d.exits, 1);
	assert_int_equal(d.exception, 1);
	assert_int_equal(f->vcpu.ring[0].reason, KVM_EXIT_DEBUG);

	d.answer = VCPU_FAILED;
	assert_int_equal(handle(f), VCPU_FAILED);
	assert_string_equal(f->vcpu.message, "the debugger says no");
	assert_int_equal(d.exits, 2);

	/* Another thread ended the VM meanwhile: the exit still went to the debugger. */
	d.answer = VCPU_CONTINUE;
	f->stopping = true;
	assert_int_equal(handle(f), VCPU_STOPPED);
	assert_int_equal(d.exits, 3);
	f->vcpu.env.debug = NULL;
}

static void test_intr(void **state)
{
	struct fake_vcpu *f = *state;

	/* A signal kicked the vCPU out: nothing to do, keep running. */
	f->run->exit_reason = KVM_EXIT_INTR;
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_false(f->stopping);
	assert_int_equal(f->exit_status, FAKE_NO_EXIT);
}

static void test_exit_ring(void **state)
{
	struct fake_vcpu *f = *state;
	const uint8_t fn = HC_NEWLINE;
	struct vcpu *vcpu = &f->vcpu;

	for (unsigned int i = 0; i < VCPU_EXIT_RING + 4; i++) {
		fake_regs(f)->rip = i;
		fake_io(f, true, HC_PORT, 1, 1, &fn);
		assert_int_equal(handle(f), VCPU_CONTINUE);
	}
	f->run->exit_reason = KVM_EXIT_INTR;
	fake_regs(f)->rip = 0x999;
	assert_int_equal(handle(f), VCPU_CONTINUE);
	assert_int_equal(vcpu->nexits, VCPU_EXIT_RING + 5);
	/* The ring holds the last VCPU_EXIT_RING exits, the newest where nexits - 1 points. */
	assert_int_equal(vcpu->ring[(vcpu->nexits - 1) % VCPU_EXIT_RING].reason, KVM_EXIT_INTR);
	assert_int_equal(vcpu->ring[(vcpu->nexits - 1) % VCPU_EXIT_RING].rip, 0x999);
	assert_int_equal(vcpu->ring[(vcpu->nexits - 2) % VCPU_EXIT_RING].rip, VCPU_EXIT_RING + 3);
	assert_int_equal(vcpu->ring[vcpu->nexits % VCPU_EXIT_RING].rip, 5);
	/* vcpu_handle_exit() counts I/O; exits are vcpu_run()'s to count. */
	assert_int_equal(io_entry(f, false, HC_PORT, true)->count, VCPU_EXIT_RING + 4);
	assert_int_equal(vcpu->stats.exits, 0);
}

/* Run a PUTNUM-less hypercall and a HLT through a trace with filter; what the sink got. */
static void traced_exits(struct fake_vcpu *f, const char *filter, char *out, size_t size)
{
	const uint8_t fn = HC_NEWLINE;
	struct trace_sink sink;
	struct trace trace = { .label = "[1:fake]", .sink = &sink };
	int pipefd[2];
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	sink.fd = pipefd[1];
	assert_int_equal(trace_filter_parse(filter, &sink.filter), 0);
	f->vcpu.env.trace = &trace;
	fake_regs(f)->rip = GUEST_RIP;
	fake_io(f, true, HC_PORT, 1, 1, &fn);
	handle(f);
	f->run->exit_reason = KVM_EXIT_HLT;
	handle(f);
	f->vcpu.env.trace = NULL;
	close(pipefd[1]);
	n = read(pipefd[0], out, size - 1);
	close(pipefd[0]);
	out[n > 0 ? n : 0] = '\0';
}

static void test_trace(void **state)
{
	char line[512];

	traced_exits(*state, NULL, line, sizeof(line));
	assert_contains(line, "[1:fake] vcpu0 IO rip=0x1234 write 0x500 size=1 count=1 data=0x3\n");
	assert_contains(line, "[1:fake] vcpu0 HLT rip=0x1234\n");
}

static void test_trace_filtered(void **state)
{
	char line[512];

	traced_exits(*state, "other", line, sizeof(line));
	assert_string_equal(line, "[1:fake] vcpu0 HLT rip=0x1234\n");
	traced_exits(*state, "io,port=0x3f8-0x3ff", line, sizeof(line));
	assert_string_equal(line, "");
	traced_exits(*state, "port=0x500", line, sizeof(line));
	assert_string_equal(line,
			    "[1:fake] vcpu0 IO rip=0x1234 write 0x500 size=1 count=1 data=0x3\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_out_hypercall, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_string_out, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_string_out_stops_at_exit, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_in_hypercall, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_unclaimed_in, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_unclaimed_out, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_malformed_is_refused, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_device_offset, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_device_failure, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_output_closed, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_io_hc_exit, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_mmio, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_hlt, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_fail_entry, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_internal_error, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_internal_error_bad_ndata, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_unexpected_exit, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_debug_exit_without_debugger, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_debug_exit_goes_to_debugger, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_intr, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_exit_ring, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_trace, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_trace_filtered, fake_vcpu_setup,
						fake_vcpu_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("exit", tests, NULL, NULL);
}
