/* SPDX-License-Identifier: MIT */
/* Unit tests of the hypercall port (src/devices/hypercall_port.c) with a fake vCPU's registers: the guest ABI, function by function. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "devices/blk.h"
#include "devices/hypercall_port.h"
#include "fake_vcpu.h"
#include "mini-kvm/hypercall.h"
#include "clock.h"

/* Upper halves a result must clear and an argument must not leak from. */
#define JUNK_HIGH  0xdeadbeef00000000ULL
#define STRING_GPA 0x2000
#define RAM_END	   FAKE_RAM

/* One OUT of function to HC_PORT, as the bus delivers it with the vCPU's registers. */
static int call(struct fake_vcpu *f, uint8_t function)
{
	struct bus_regs regs = { .regs = fake_regs(f), .real_mode = vcpu_in_real_mode(&f->vcpu) };
	int ret = hypercall_bus_call(&f->hypercall, 0, &function, 1, &regs);

	/* What vcpu.c does with a device's "changed": KVM takes the registers back. */
	if (regs.changed)
		f->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	return ret;
}

static uint32_t eax(struct fake_vcpu *f)
{
	assert_int_equal(fake_regs(f)->rax >> 32, 0); /* a 32-bit result clears the top */
	return (uint32_t)fake_regs(f)->rax;
}

static bool regs_dirty(struct fake_vcpu *f)
{
	return fake_regs_dirty(f);
}

static void test_putchar(void **state)
{
	struct fake_vcpu *f = *state;

	fake_regs(f)->rbx = JUNK_HIGH | 0x4100 | 'h'; /* BL only */
	fake_regs(f)->rax = HC_PUTCHAR;
	assert_int_equal(call(f, HC_PUTCHAR), 0);
	fake_regs(f)->rbx = 'i';
	assert_int_equal(call(f, HC_PUTCHAR), 0);
	assert_string_equal(fake_output(f), "hi");
	/* No result: registers untouched, nothing to write back. */
	assert_false(regs_dirty(f));
	assert_int_equal(fake_regs(f)->rax, HC_PUTCHAR);
}

static void test_putnum(void **state)
{
	struct fake_vcpu *f = *state;

	fake_regs(f)->rbx = UINT32_MAX;
	assert_int_equal(call(f, HC_PUTNUM), 0);
	assert_string_equal(fake_output(f), "4294967295");
	fake_regs(f)->rbx = 0;
	assert_int_equal(call(f, HC_PUTNUM), 0);
	assert_string_equal(fake_output(f), "0");
	/* EBX, not RBX. */
	fake_regs(f)->rbx = JUNK_HIGH | 42;
	assert_int_equal(call(f, HC_PUTNUM), 0);
	assert_string_equal(fake_output(f), "42");
	assert_false(regs_dirty(f));
}

static void test_putnum_real_mode(void **state)
{
	struct fake_vcpu *f = *state;

	/* In real mode only BX counts. */
	fake_real_mode(f, true);
	fake_regs(f)->rbx = 0x12345678;
	assert_int_equal(call(f, HC_PUTNUM), 0);
	assert_string_equal(fake_output(f), "22136");
	fake_regs(f)->rbx = 0xffff;
	assert_int_equal(call(f, HC_PUTNUM), 0);
	assert_string_equal(fake_output(f), "65535");
	fake_real_mode(f, false);
	fake_regs(f)->rbx = 0x12345678;
	assert_int_equal(call(f, HC_PUTNUM), 0);
	assert_string_equal(fake_output(f), "305419896");
}

static void test_newline(void **state)
{
	struct fake_vcpu *f = *state;

	assert_int_equal(call(f, HC_NEWLINE), 0);
	assert_string_equal(fake_output(f), "\n");
	assert_false(regs_dirty(f));
}

static void test_puts(void **state)
{
	struct fake_vcpu *f = *state;

	assert_int_equal(guest_write(&f->mem, STRING_GPA, "hello", 6), 0);
	fake_regs(f)->rbx = STRING_GPA;
	fake_regs(f)->rcx = 100;
	fake_regs(f)->rax = JUNK_HIGH | HC_PUTS;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_string_equal(fake_output(f), "hello");
	assert_int_equal(eax(f), 5);
	assert_true(regs_dirty(f));

	/* ECX caps the length. */
	fake_regs(f)->rcx = 3;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_string_equal(fake_output(f), "hel");
	assert_int_equal(eax(f), 3);

	/* A maximum of 0 prints nothing and returns 0. */
	fake_regs(f)->rcx = 0;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_string_equal(fake_output(f), "");
	assert_int_equal(eax(f), 0);

	/* The upper halves of RBX and RCX are not part of the arguments. */
	fake_regs(f)->rbx = JUNK_HIGH | STRING_GPA;
	fake_regs(f)->rcx = JUNK_HIGH | 2;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_string_equal(fake_output(f), "he");
	assert_int_equal(eax(f), 2);
}

static void test_puts_capped(void **state)
{
	struct fake_vcpu *f = *state;
	uint8_t *text = guest_ptr(&f->mem, STRING_GPA, HC_PUTS_MAX + 1);

	/* Past HC_PUTS_MAX the count would not fit EAX's positive range for long. */
	f->console.out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(f->console.out_fd >= 0);
	memset(text, 'x', HC_PUTS_MAX + 1);
	fake_regs(f)->rbx = STRING_GPA;
	fake_regs(f)->rcx = UINT32_MAX;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_int_equal(eax(f), HC_PUTS_MAX);
	close(f->console.out_fd);
}

static void test_puts_real_mode(void **state)
{
	struct fake_vcpu *f = *state;

	fake_real_mode(f, true);
	assert_int_equal(guest_write(&f->mem, STRING_GPA, "real", 5), 0);
	/* BX and CX: 0x10002000 reads as 0x2000, 0x70004 as 4. */
	fake_regs(f)->rbx = 0x10000000 | STRING_GPA;
	fake_regs(f)->rcx = 0x70004;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_string_equal(fake_output(f), "real");
	assert_int_equal(eax(f), 4);
}

static void test_puts_efault(void **state)
{
	struct fake_vcpu *f = *state;
	uint8_t *end = guest_ptr(&f->mem, RAM_END - 3, 3);

	/* Outside RAM. */
	fake_regs(f)->rbx = RAM_END;
	fake_regs(f)->rcx = 10;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_int_equal(eax(f), (uint32_t)HC_EFAULT);
	assert_int_equal(eax(f), 0xfffffff2);
	assert_true(regs_dirty(f));
	fake_regs(f)->rbx = UINT32_MAX;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_int_equal(eax(f), (uint32_t)HC_EFAULT);

	/* Running off the end of RAM before the NUL: nothing printed at all. */
	memcpy(end, "abc", 3);
	fake_regs(f)->rbx = RAM_END - 3;
	fake_regs(f)->rcx = 10;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_int_equal(eax(f), (uint32_t)HC_EFAULT);
	assert_string_equal(fake_output(f), "");
	/* The same string with a maximum that ends inside RAM is fine. */
	fake_regs(f)->rcx = 3;
	assert_int_equal(call(f, HC_PUTS), 0);
	assert_int_equal(eax(f), 3);
	assert_string_equal(fake_output(f), "abc");
	/* Nothing stopped the VM. */
	assert_false(f->stopping);
}

static void test_getchar_eof(void **state)
{
	struct fake_vcpu *f = *state;

	/* No input attached: end of input. */
	fake_regs(f)->rax = JUNK_HIGH | HC_GETCHAR;
	assert_int_equal(call(f, HC_GETCHAR), 0);
	assert_int_equal(eax(f), 0xffffffff);
	assert_int_equal((int32_t)eax(f), HC_EOF);
	assert_true(regs_dirty(f));
}

static void test_getchar_input(void **state)
{
	struct fake_vcpu *f = *state;
	struct console_input in;
	int fd[2];

	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], "k\xff", 2), 2);
	close(fd[1]);
	assert_int_equal(console_input_start(&in, fd[0], NULL, NULL), 0);
	f->console.input = &in;
	assert_int_equal(call(f, HC_GETCHAR), 0);
	assert_int_equal(eax(f), 'k');
	/* A byte, not a sign-extended char: 0xff is not HC_EOF. */
	assert_int_equal(call(f, HC_GETCHAR), 0);
	assert_int_equal(eax(f), 0xff);
	assert_int_equal(call(f, HC_GETCHAR), 0);
	assert_int_equal(eax(f), 0xffffffff);
	console_input_stop(&in);
	f->console.input = NULL;
	close(fd[0]);
}

static void test_clock(void **state)
{
	struct fake_vcpu *f = *state;
	uint64_t before, after, now;

	fake_regs(f)->rdx = JUNK_HIGH;
	before = now_ns();
	assert_int_equal(call(f, HC_CLOCK), 0);
	after = now_ns();
	now = (fake_regs(f)->rdx << 32) | eax(f);
	assert_int_equal(fake_regs(f)->rdx >> 32, 0);
	assert_in_range(now, before, after);
	assert_true(regs_dirty(f));
}

static void test_exit(void **state)
{
	struct fake_vcpu *f = *state;

	fake_regs(f)->rbx = JUNK_HIGH | 7;
	assert_int_equal(call(f, HC_EXIT), 0);
	/* The VM's capability runs: it stops the VM with the guest's status. */
	assert_true(f->stopping);
	assert_int_equal(f->exit_status, 7);
}

static void test_exit_real_mode(void **state)
{
	struct fake_vcpu *f = *state;

	fake_real_mode(f, true);
	fake_regs(f)->rbx = 0x20003;
	assert_int_equal(call(f, HC_EXIT), 0);
	assert_true(f->stopping);
	assert_int_equal(f->exit_status, 3);
}

static void test_unknown_function(void **state)
{
	static const uint8_t unknown[] = { HC_MEMSIZE + 1, 0x7f, 0xff };
	struct fake_vcpu *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		f->run->kvm_dirty_regs = 0;
		fake_regs(f)->rax = JUNK_HIGH | unknown[i];
		assert_int_equal(call(f, unknown[i]), 0);
		assert_int_equal(eax(f), (uint32_t)-38);
		assert_int_equal((int32_t)eax(f), HC_ENOSYS);
		assert_true(regs_dirty(f));
	}
	/* Never fatal, and nothing printed. */
	assert_false(f->stopping);
	assert_int_equal(f->exit_status, FAKE_NO_EXIT);
	assert_string_equal(fake_output(f), "");
}

/* HC_BLK_*: registers in and out; the transfers themselves are test_blk.c's. */
static void test_blk_calls(void **state)
{
	static const uint8_t sectors[2 * HC_BLK_SECTOR_SIZE] = { [HC_BLK_SECTOR_SIZE] = 'D' };
	struct fake_vcpu *f = *state;
	char path[UNIT_TEMP_PATH_MAX];
	struct blk_dev disk;
	static const uint8_t blk_functions[] = { HC_BLK_INFO, HC_BLK_READ, HC_BLK_WRITE };
	uint8_t byte = 0;

	/* Without --disk every call says so. */
	for (size_t i = 0; i < ARRAY_SIZE(blk_functions); i++) {
		assert_int_equal(call(f, blk_functions[i]), 0);
		assert_int_equal((int32_t)eax(f), HC_ENODEV);
	}
	unit_temp_file(sectors, sizeof(sectors), path);
	assert_int_equal(blk_open(&disk, path), 0);
	f->hypercall.disk = &disk;
	assert_int_equal(call(f, HC_BLK_INFO), 0);
	assert_int_equal(eax(f), 2);
	/* EBX = sector, ECX = GPA, ESI = count; upper halves ignored. */
	fake_regs(f)->rbx = JUNK_HIGH | 1;
	fake_regs(f)->rcx = JUNK_HIGH | STRING_GPA;
	fake_regs(f)->rsi = JUNK_HIGH | 1;
	assert_int_equal(call(f, HC_BLK_READ), 0);
	assert_int_equal(eax(f), 0);
	assert_int_equal(guest_read(&f->mem, STRING_GPA, &byte, 1), 0);
	assert_int_equal(byte, 'D');
	fake_regs(f)->rsi = 2; /* sectors 1 and 2 of a 2-sector disk */
	assert_int_equal(call(f, HC_BLK_WRITE), 0);
	assert_int_equal((int32_t)eax(f), HC_EINVAL);
	fake_regs(f)->rbx = 0;
	fake_regs(f)->rcx = RAM_END - 1;
	fake_regs(f)->rsi = 1;
	assert_int_equal(call(f, HC_BLK_WRITE), 0);
	assert_int_equal((int32_t)eax(f), HC_EFAULT);
	assert_false(f->stopping); /* errors are the guest's to handle */
	f->hypercall.disk = NULL;
	assert_int_equal(blk_close(&disk), 0);
	unlink(path);
}

/* HC_MEMSIZE: EDX:EAX = RAM bytes, whole registers in real mode too; nothing printed. */
static void test_memsize(void **state)
{
	struct fake_vcpu *f = *state;

	for (int real = 0; real <= 1; real++) {
		fake_real_mode(f, real);
		fake_regs(f)->rax = JUNK_HIGH | HC_MEMSIZE;
		fake_regs(f)->rdx = JUNK_HIGH | HC_PORT;
		f->run->kvm_dirty_regs = 0;
		assert_int_equal(call(f, HC_MEMSIZE), 0);
		assert_int_equal(fake_regs(f)->rax, (uint32_t)FAKE_RAM);
		assert_int_equal(fake_regs(f)->rdx, (uint32_t)((uint64_t)FAKE_RAM >> 32));
		assert_true(regs_dirty(f));
	}
	/* Above 4 GiB the high half is in EDX. */
	f->mem.ram_size = 5ULL << 30;
	assert_int_equal(call(f, HC_MEMSIZE), 0);
	assert_int_equal(fake_regs(f)->rax, (uint32_t)(5ULL << 30));
	assert_int_equal(fake_regs(f)->rdx, 1);
	f->mem.ram_size = FAKE_RAM;
	assert_string_equal(fake_output(f), "");
	assert_false(f->stopping);
}

/* A read-only disk (--disk FILE,ro): reads work, writes answer HC_EROFS. */
static void test_blk_write_read_only(void **state)
{
	static const uint8_t sectors[HC_BLK_SECTOR_SIZE] = { 'R' };
	struct fake_vcpu *f = *state;
	char path[UNIT_TEMP_PATH_MAX];
	struct blk_dev disk;
	uint8_t byte = 0;

	unit_temp_file(sectors, sizeof(sectors), path);
	assert_int_equal(blk_open_read_only(&disk, path), 0);
	f->hypercall.disk = &disk;
	fake_regs(f)->rbx = 0;
	fake_regs(f)->rcx = STRING_GPA;
	fake_regs(f)->rsi = 1;
	assert_int_equal(call(f, HC_BLK_READ), 0);
	assert_int_equal(eax(f), 0);
	assert_int_equal(guest_read(&f->mem, STRING_GPA, &byte, 1), 0);
	assert_int_equal(byte, 'R');
	assert_int_equal(call(f, HC_BLK_WRITE), 0);
	assert_int_equal((int32_t)eax(f), HC_EROFS);
	assert_int_equal(HC_EROFS, -30);
	f->hypercall.disk = NULL;
	assert_int_equal(blk_close(&disk), 0);
	unlink(path);
}

static void test_read_abi_version(void **state)
{
	struct fake_vcpu *f = *state;
	uint8_t version = 0;

	assert_int_equal(hypercall_bus_read(&f->hypercall, 0, &version, 1), 0);
	assert_int_equal(version, HC_ABI_VERSION);
	assert_int_equal(version, 3); /* HC_MEMSIZE and HC_EROFS came with 3 */
}

static void test_output_failure(void **state)
{
	struct fake_vcpu *f = *state;

	/* stdout gone: the device reports it (the VM then stops), the guest gets EFAULT. */
	close(f->out[0]);
	f->out[0] = open("/dev/null", O_RDONLY); /* for teardown */
	assert_int_equal(guest_write(&f->mem, STRING_GPA, "x", 2), 0);
	fake_regs(f)->rbx = 'x';
	assert_int_equal(call(f, HC_PUTCHAR), -EPIPE);
	assert_int_equal(call(f, HC_PUTNUM), -EPIPE);
	assert_int_equal(call(f, HC_NEWLINE), -EPIPE);
	fake_regs(f)->rbx = STRING_GPA;
	fake_regs(f)->rcx = 10;
	assert_int_equal(call(f, HC_PUTS), -EPIPE);
	assert_int_equal(eax(f), (uint32_t)HC_EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_putchar, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_putnum, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_putnum_real_mode, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_newline, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_puts, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_puts_capped, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_puts_real_mode, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_puts_efault, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_getchar_eof, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_getchar_input, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_clock, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_exit, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_exit_real_mode, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_function, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_blk_calls, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_read_abi_version, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_memsize, fake_vcpu_setup, fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_blk_write_read_only, fake_vcpu_setup,
						fake_vcpu_teardown),
		cmocka_unit_test_setup_teardown(test_output_failure, fake_vcpu_setup,
						fake_vcpu_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("hypercall", tests, NULL, NULL);
}
