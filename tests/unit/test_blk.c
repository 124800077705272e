/* SPDX-License-Identifier: MIT */
/* Unit tests of the paravirtual block device (src/devices/blk.c): opening a disk file, HC_BLK_* transfers and their range checks. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "devices/blk.h"
#include "error.h"
#include "arch/x86/layout.h"
#include "mini-kvm/hypercall.h"

#define SECTOR	     HC_BLK_SECTOR_SIZE
#define DISK_SECTORS 8
#define BUF_GPA	     0x10000

struct disk_fixture {
	struct guest_memory mem;
	struct blk_dev blk;
	char path[UNIT_TEMP_PATH_MAX];
};

/* Sector s of the test disk holds the byte 's' + 1 throughout. */
static void fill_disk(uint8_t *data)
{
	for (int s = 0; s < DISK_SECTORS; s++)
		memset(data + s * SECTOR, s + 1, SECTOR);
}

static int setup(void **state)
{
	static uint8_t data[DISK_SECTORS * SECTOR];
	struct disk_fixture *f = calloc(1, sizeof(*f));

	if (!f || guest_memory_init(&f->mem, LAYOUT_MEM_MIN))
		return -1;
	fill_disk(data);
	unit_temp_file(data, sizeof(data), f->path);
	if (blk_open(&f->blk, f->path))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct disk_fixture *f = *state;

	blk_close(&f->blk);
	unlink(f->path);
	guest_memory_destroy(&f->mem);
	free(f);
	return 0;
}

/* The file's bytes at offset, read back through a separate descriptor. */
static void file_bytes(const char *path, off_t offset, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, offset), (ssize_t)len);
	close(fd);
}

static void test_info(void **state)
{
	struct disk_fixture *f = *state;

	assert_int_equal(blk_info(&f->blk), DISK_SECTORS);
	assert_int_equal(blk_info(NULL), HC_ENODEV);
}

static void test_read(void **state)
{
	struct disk_fixture *f = *state;
	uint8_t *buf = guest_ptr(&f->mem, BUF_GPA, 3 * SECTOR + 1);

	buf[3 * SECTOR] = 0xee; /* the byte after the transfer stays */
	assert_int_equal(blk_read(&f->blk, &f->mem, 2, BUF_GPA, 3), 0);
	for (int s = 0; s < 3; s++) {
		assert_int_equal(buf[s * SECTOR], 2 + s + 1);
		assert_int_equal(buf[s * SECTOR + SECTOR - 1], 2 + s + 1);
	}
	assert_int_equal(buf[3 * SECTOR], 0xee);
}

static void test_write_reaches_the_file(void **state)
{
	struct disk_fixture *f = *state;
	uint8_t *buf = guest_ptr(&f->mem, BUF_GPA, 2 * SECTOR);
	uint8_t back[3 * SECTOR];

	memset(buf, 0xab, 2 * SECTOR);
	assert_int_equal(blk_write(&f->blk, &f->mem, 5, BUF_GPA, 2), 0);
	/* Written through: in the file at once, before any close. */
	file_bytes(f->path, 4 * SECTOR, back, sizeof(back));
	assert_int_equal(back[0], 5);
	assert_int_equal(back[SECTOR - 1], 5);
	assert_int_equal(back[SECTOR], 0xab);
	assert_int_equal(back[3 * SECTOR - 1], 0xab);
	/* And a read sees it. */
	memset(buf, 0, 2 * SECTOR);
	assert_int_equal(blk_read(&f->blk, &f->mem, 6, BUF_GPA, 1), 0);
	assert_int_equal(buf[0], 0xab);
}

static void test_ranges(void **state)
{
	struct disk_fixture *f = *state;
	uint8_t before[DISK_SECTORS * SECTOR], after[DISK_SECTORS * SECTOR];

	file_bytes(f->path, 0, before, sizeof(before));
	/* The last sector is fine; one more is not, nor is a sum that wraps 32 bits. */
	assert_int_equal(blk_read(&f->blk, &f->mem, DISK_SECTORS - 1, BUF_GPA, 1), 0);
	assert_int_equal(blk_read(&f->blk, &f->mem, DISK_SECTORS - 1, BUF_GPA, 2), HC_EINVAL);
	assert_int_equal(blk_read(&f->blk, &f->mem, DISK_SECTORS, BUF_GPA, 1), HC_EINVAL);
	assert_int_equal(blk_write(&f->blk, &f->mem, UINT32_MAX, BUF_GPA, 2), HC_EINVAL);
	assert_int_equal(blk_write(&f->blk, &f->mem, 1, BUF_GPA, UINT32_MAX), HC_EINVAL);
	/* Zero sectors: nothing to do, wherever the buffer is. */
	assert_int_equal(blk_read(&f->blk, &f->mem, 0, UINT32_MAX, 0), 0);
	/* Buffers leaving guest RAM, or outside it. */
	assert_int_equal(blk_read(&f->blk, &f->mem, 0, LAYOUT_MEM_MIN - SECTOR, 2), HC_EFAULT);
	assert_int_equal(blk_write(&f->blk, &f->mem, 0, LAYOUT_MEM_MIN - SECTOR, 2), HC_EFAULT);
	assert_int_equal(blk_write(&f->blk, &f->mem, 0, UINT32_MAX, 1), HC_EFAULT);
	/* No disk at all. */
	assert_int_equal(blk_read(NULL, &f->mem, 0, BUF_GPA, 1), HC_ENODEV);
	assert_int_equal(blk_write(NULL, &f->mem, 0, BUF_GPA, 1), HC_ENODEV);
	/* None of the refused writes touched the file. */
	file_bytes(f->path, 0, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
}

static void test_second_owner_refused(void **state)
{
	struct disk_fixture *f = *state;
	struct blk_dev second;

	assert_int_equal(blk_open(&second, f->path), -EBUSY);
	assert_contains(error_message(), "in use by another process");
	assert_int_equal(second.fd, -1);
}

/*
 * Read-only disks share: under a shared lock, with each other but not with a writer;
 * a write answers HC_EROFS and changes nothing; a file mini-kvm may not write opens.
 */
static void test_read_only(void **state)
{
	struct disk_fixture *f = *state;
	struct blk_dev a, b;
	uint8_t before[SECTOR], after[SECTOR];
	char path[UNIT_TEMP_PATH_MAX];

	/* f->blk holds the file read-write: a reader must wait its turn. */
	assert_int_equal(blk_open_read_only(&a, f->path), -EBUSY);
	assert_int_equal(blk_close(&f->blk), 0);
	assert_int_equal(blk_open_read_only(&a, f->path), 0);
	assert_int_equal(blk_open_read_only(&b, f->path), 0);
	assert_true(a.read_only && b.read_only);
	assert_int_equal(blk_open(&f->blk, f->path), -EBUSY);
	assert_int_equal(blk_info(&a), DISK_SECTORS);
	assert_int_equal(blk_read(&a, &f->mem, 1, BUF_GPA, 1), 0);
	file_bytes(f->path, SECTOR, before, sizeof(before));
	assert_int_equal(blk_write(&a, &f->mem, 3, BUF_GPA, 1), HC_EROFS);
	file_bytes(f->path, SECTOR, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(blk_close(&a), 0);
	assert_int_equal(blk_close(&b), 0);
	assert_int_equal(blk_open(&f->blk, f->path), 0); /* for teardown */

	/* Mode 0444: read-only works where read-write is refused (unless root). */
	unit_temp_file(before, sizeof(before), path);
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(blk_open_read_only(&a, path), 0);
	assert_int_equal(blk_info(&a), 1);
	assert_int_equal(blk_close(&a), 0);
	unlink(path);
}

static void test_open_errors(void **state)
{
	static const uint8_t ragged[SECTOR + 1];
	char path[UNIT_TEMP_PATH_MAX];
	struct blk_dev blk;

	(void)state;
	assert_int_equal(blk_open(&blk, "/nonexistent/disk.tar"), -ENOENT);
	assert_contains(error_message(), "disk '/nonexistent/disk.tar': cannot open it");
	assert_int_equal(blk_open(&blk, "/tmp"), -EISDIR); /* open(O_RDWR) refuses it */
	unit_temp_file(ragged, sizeof(ragged), path);
	assert_int_equal(blk_open(&blk, path), -EINVAL);
	assert_contains(error_message(), "513 bytes is not a whole number of 512-byte sectors");
	unlink(path);
	/* An empty file is a disk of no sectors. */
	unit_temp_file(ragged, 0, path);
	assert_int_equal(blk_open(&blk, path), 0);
	assert_int_equal(blk_info(&blk), 0);
	assert_int_equal(blk_close(&blk), 0);
	assert_int_equal(blk.fd, -1);
	assert_int_equal(blk_close(&blk), 0); /* twice is harmless */
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_reaches_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_owner_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
