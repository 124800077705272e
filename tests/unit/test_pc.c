/* SPDX-License-Identifier: MIT */
/* Unit tests of src/pc.c without KVM: which boot path a -k kernel takes, and the BIOS data area words. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arch/x86/bootparams.h"
#include "arch/x86/layout.h"
#include "error.h"
#include "pc.h"
#include "vm.h"

#define KERNEL_SIZE 16384

/* A file of KERNEL_SIZE zero bytes with what put() wrote into it; returns its path. */
static char *kernel_file(void (*put)(uint8_t *buf))
{
	static char path[] = "/tmp/mkvm-pc-XXXXXX";
	uint8_t *buf = calloc(1, KERNEL_SIZE);
	int fd;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "/tmp/mkvm-pc-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	if (put)
		put(buf);
	assert_int_equal(write(fd, buf, KERNEL_SIZE), KERNEL_SIZE);
	close(fd);
	free(buf);
	return path;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_hdrs(uint8_t *buf)
{
	put_u32(buf + 0x202, SETUP_HDRS_MAGIC);
}

/* A Multiboot header at 4 KiB: magic, flags, checksum. */
static void put_multiboot(uint8_t *buf)
{
	put_u32(buf + 4096, MULTIBOOT_HEADER_MAGIC);
	put_u32(buf + 4100, MULTIBOOT_MEMORY_INFO);
	put_u32(buf + 4104, -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_MEMORY_INFO));
}

/* Both: the bzImage wins (its setup code may hold such bytes by chance). */
static void put_both(uint8_t *buf)
{
	put_hdrs(buf);
	put_multiboot(buf);
}

static void put_bad_checksum(uint8_t *buf)
{
	put_u32(buf + 4096, MULTIBOOT_HEADER_MAGIC);
	put_u32(buf + 4100, 0);
	put_u32(buf + 4104, 1);
}

/* Past the first 8 KiB a header does not count. */
static void put_late_multiboot(uint8_t *buf)
{
	put_u32(buf + MULTIBOOT_SEARCH, MULTIBOOT_HEADER_MAGIC);
	put_u32(buf + MULTIBOOT_SEARCH + 4, 0);
	put_u32(buf + MULTIBOOT_SEARCH + 8, -MULTIBOOT_HEADER_MAGIC);
}

static void check_kind(void (*put)(uint8_t *), int want)
{
	char *path = kernel_file(put);

	error_clear();
	assert_int_equal(pc_kernel_kind(path, "kernel"), want);
	unlink(path);
}

static void test_kernel_kinds(void **state)
{
	(void)state;
	check_kind(put_hdrs, PC_KERNEL_BZIMAGE);
	check_kind(put_multiboot, PC_KERNEL_MULTIBOOT);
	check_kind(put_both, PC_KERNEL_BZIMAGE);
	check_kind(NULL, PC_KERNEL_OTHER);
	check_kind(put_late_multiboot, PC_KERNEL_OTHER);
	check_kind(put_bad_checksum, -ENOEXEC);
	assert_int_equal(pc_kernel_kind("/nonexistent/kernel", "kernel"), -ENOENT);
	assert_contains(error_message(), "kernel '/nonexistent/kernel'");
}

/* The words a classic kernel's MP-table search reads: never 0 (issue 16's triple fault). */
static void test_bda_words(void **state)
{
	struct console console;
	struct vm_config config = {
		.index = 1, .name = "pc", .mem_size = 4 * LAYOUT_MIB, .cpus = 1, .console = &console
	};
	struct vm vm;
	uint16_t ebda = 0, base_kib = 0;

	(void)state;
	console_init(&console, 1, "pc", false, NULL, -1);
	assert_int_equal(vm_init(&vm, &config), 0);
	assert_int_equal(pc_bda_setup(&vm), 0);
	assert_int_equal(guest_read(&vm.mem, LAYOUT_BDA_EBDA_SEGMENT, &ebda, 2), 0);
	assert_int_equal(guest_read(&vm.mem, LAYOUT_BDA_BASE_MEM_KIB, &base_kib, 2), 0);
	assert_int_equal(ebda << 4, LAYOUT_EBDA);
	assert_int_equal(base_kib, 639);
	/* MP 1.4, 4.1's second place, "the last KiB of base memory": RAM, just below the EBDA. */
	assert_int_equal(base_kib * 1024 - 1024, LAYOUT_EBDA - LAYOUT_KIB);
	vm_destroy(&vm);
	console_destroy(&console);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_kinds),
		cmocka_unit_test(test_bda_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
