/* SPDX-License-Identifier: MIT */
/* Unit tests of virtio-blk (src/virtio/virtio_blk.c) against virtio 1.2, 5.2, on a temporary file. */
#include "unit.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "error.h"
#include "virtio/virtio.h"
#include "virtio/virtio_blk.h"
#include "virtio_driver.h"

/* The disk: 128 whole sectors and a 100-byte tail the guest never sees. */
#define DISK_SECTORS 128
#define DISK_TAIL    100
#define DISK_SIZE    (DISK_SECTORS * VIRTIO_BLK_SECTOR_SIZE + DISK_TAIL)
#define SECTOR	     VIRTIO_BLK_SECTOR_SIZE
#define STATUS_UNSET 0xff /* what the status byte holds until the device writes it */

#define MODERN	 VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define INDIRECT VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC)
#define DISCARD	 VIRTIO_FEATURE(VIRTIO_BLK_F_DISCARD)
#define WZ	 VIRTIO_FEATURE(VIRTIO_BLK_F_WRITE_ZEROES)
#define LOG_MAX	 8
#define LOG_LEN	 512

struct fixture {
	char path[UNIT_TEMP_PATH_MAX];
	struct guest_memory mem;
	struct virtio_blk blk;
	struct virtio_device dev;
	struct virtio_mmio t;
	bool t_ready;
	struct vdrv d;
	char logs[LOG_MAX][LOG_LEN];
	unsigned int nlogs;
};

/* A request as the test builds it, and what came back. */
struct req {
	uint32_t type;
	uint64_t sector;
	const void *out; /* data after the header (device-readable) */
	uint32_t out_len;
	uint32_t in_len;   /* room for data before the status byte (device-writable) */
	gpa_t in_gpa;	   /* filled: where that data is */
	uint8_t status;	   /* filled */
	uint32_t used_len; /* filled */
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / SECTOR);
}

static void fake_log(void *opaque, const char *message)
{
	struct fixture *f = opaque;

	if (f->nlogs < LOG_MAX)
		snprintf(f->logs[f->nlogs], LOG_LEN, "%s", message);
	f->nlogs++;
}

/* (Re)open the disk and put a transport in front of it. */
static void attach(struct fixture *f, bool read_only, const char *serial)
{
	const struct virtio_mmio_ops ops = { .log = fake_log, .opaque = f };

	if (f->t_ready)
		virtio_mmio_destroy(&f->t);
	f->t_ready = false;
	virtio_blk_close(&f->blk);
	assert_int_equal(virtio_blk_open(&f->blk, f->path, read_only, serial), 0);
	virtio_blk_device(&f->blk, &f->dev);
	assert_int_equal(virtio_mmio_init(&f->t, &f->mem, &f->dev, &ops), 0);
	f->t_ready = true;
	vdrv_init(&f->d, &f->mem, &f->t);
}

/* Negotiate features (VERSION_1 added), set up the request queue, DRIVER_OK. */
static void bring_up(struct fixture *f, uint64_t features)
{
	uint32_t status = vdrv_negotiate(&f->d, features | MODERN);

	assert_true(status & VIRTIO_STATUS_FEATURES_OK);
	vdrv_setup_queue(&f->d, 0, 64);
	vdrv_driver_ok(&f->d);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t *data = malloc(DISK_SIZE);

	if (!f || !data || guest_memory_init(&f->mem, VDRV_RAM_SIZE)) {
		free(f);
		free(data);
		return -1;
	}
	for (size_t i = 0; i < DISK_SIZE; i++)
		data[i] = pattern(i);
	unit_temp_file(data, DISK_SIZE, f->path);
	free(data);
	f->blk.fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->t_ready)
		virtio_mmio_destroy(&f->t);
	virtio_blk_close(&f->blk);
	unlink(f->path);
	guest_memory_destroy(&f->mem);
	free(f);
	return 0;
}

/* Build the request's chain: header, data out, data in, status; serve it. */
static void run(struct fixture *f, struct req *r)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = { htole32(r->type), 0, htole64(r->sector) };
	struct vdrv_buf bufs[4];
	unsigned int n = 0;
	gpa_t status = vdrv_alloc(&f->d, 1);
	uint32_t id;
	uint16_t head;

	bufs[n++] = (struct vdrv_buf){ vdrv_alloc(&f->d, sizeof(hdr)), sizeof(hdr), false };
	memcpy(vdrv_ptr(&f->d, bufs[0].gpa, sizeof(hdr)), &hdr, sizeof(hdr));
	if (r->out_len) {
		bufs[n] = (struct vdrv_buf){ vdrv_alloc(&f->d, r->out_len), r->out_len, false };
		memcpy(vdrv_ptr(&f->d, bufs[n].gpa, r->out_len), r->out, r->out_len);
		n++;
	}
	if (r->in_len) {
		r->in_gpa = vdrv_alloc(&f->d, r->in_len);
		memset(vdrv_ptr(&f->d, r->in_gpa, r->in_len), 0xcc, r->in_len);
		bufs[n++] = (struct vdrv_buf){ r->in_gpa, r->in_len, true };
	}
	*(uint8_t *)vdrv_ptr(&f->d, status, 1) = STATUS_UNSET;
	bufs[n++] = (struct vdrv_buf){ status, 1, true };
	head = vdrv_submit(&f->d, 0, bufs, n);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_take_used(&f->d, 0, &id, &r->used_len));
	assert_int_equal(id, head);
	r->status = *(uint8_t *)vdrv_ptr(&f->d, status, 1);
}

/* The file's bytes at offset. */
static void file_read(struct fixture *f, uint64_t offset, void *buf, size_t len)
{
	int fd = open(f->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)offset), (ssize_t)len);
	close(fd);
}

static void expect_file_pattern(struct fixture *f, uint64_t offset, size_t len)
{
	uint8_t *buf = malloc(len);

	file_read(f, offset, buf, len);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(offset + i))
			fail_msg("file byte %zu is 0x%02x, not 0x%02x", (size_t)(offset + i),
				 buf[i], pattern(offset + i));
	free(buf);
}

static void expect_file_zeroes(struct fixture *f, uint64_t offset, size_t len)
{
	uint8_t *buf = malloc(len);

	file_read(f, offset, buf, len);
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			fail_msg("file byte %zu is 0x%02x, not 0", (size_t)(offset + i), buf[i]);
	free(buf);
}

/* --- opening and the config space ------------------------------------------------- */

static void test_open_and_config(void **state)
{
	struct fixture *f = *state;
	uint64_t capacity, features;
	uint32_t word;

	attach(f, false, NULL);
	assert_int_equal(f->blk.capacity, DISK_SECTORS);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_BLK_QUEUE_SIZE);
	features = vdrv_device_features(&f->d);
	assert_true(features & VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH));
	assert_true(features & VIRTIO_FEATURE(VIRTIO_BLK_F_SEG_MAX));
	assert_true(features & VIRTIO_FEATURE(VIRTIO_BLK_F_SIZE_MAX));
	assert_true(features & VIRTIO_FEATURE(VIRTIO_BLK_F_BLK_SIZE));
	assert_false(features & VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
	assert_int_equal(!!(features & DISCARD), f->blk.discard);
	assert_int_equal(!!(features & WZ), f->blk.discard);
	/* Read as Linux does: 64-bit capacity as two 32-bit halves (5.2.4). */
	capacity = vdrv_read(&f->d, VIRTIO_MMIO_CONFIG);
	capacity |= (uint64_t)vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 4) << 32;
	assert_int_equal(capacity, DISK_SECTORS);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 8), VIRTIO_BLK_SIZE_MAX);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 12), VIRTIO_BLK_QUEUE_SIZE - 2);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 20), SECTOR);
	if (f->blk.discard) {
		word = vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 40);
		assert_int_equal(word, VIRTIO_BLK_DWZ_SEGS_MAX);
		assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 56) & 0xff, 1);
	}
	/* The default serial is the file's name. */
	assert_memory_equal(f->blk.id, strrchr(f->path, '/') + 1,
			    strlen(strrchr(f->path, '/') + 1));
}

static void test_small_file(void **state)
{
	struct fixture *f = *state;
	struct req r = { .type = VIRTIO_BLK_T_IN, .sector = 0, .in_len = SECTOR };

	/* 100 bytes: a disk of 0 sectors; the bytes are never read or written. */
	assert_int_equal(truncate(f->path, DISK_TAIL), 0);
	attach(f, false, NULL);
	assert_int_equal(f->blk.capacity, 0);
	bring_up(f, 0);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
}

static void test_lock_conflicts(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk other, reader;

	attach(f, false, NULL);
	error_clear();
	assert_int_equal(virtio_blk_open(&other, f->path, false, NULL), -EBUSY);
	assert_contains(error_message(), "in use by another process");
	assert_contains(error_message(), f->path);
	assert_int_equal(virtio_blk_open(&other, f->path, true, NULL), -EBUSY);
	/* Readers share. */
	assert_int_equal(virtio_blk_close(&f->blk), 0);
	assert_int_equal(virtio_blk_open(&other, f->path, true, NULL), 0);
	assert_int_equal(virtio_blk_open(&reader, f->path, true, NULL), 0);
	assert_int_equal(virtio_blk_open(&f->blk, f->path, false, NULL), -EBUSY);
	virtio_blk_close(&reader);
	virtio_blk_close(&other);
	/* Unlocked again: a writer may open it. */
	assert_int_equal(virtio_blk_open(&f->blk, f->path, false, NULL), 0);
}

static void test_refuses_non_regular_files(void **state)
{
	struct fixture *f = *state;
	char fifo[UNIT_TEMP_PATH_MAX + 8];
	char *slash;

	error_clear();
	assert_int_equal(virtio_blk_open(&f->blk, "/dev/null", false, NULL), -EINVAL);
	assert_contains(error_message(), "not a regular file");
	snprintf(fifo, sizeof(fifo), "%s", f->path);
	slash = strrchr(fifo, '/');
	*slash = '\0';
	assert_int_equal(virtio_blk_open(&f->blk, fifo, true, NULL), -EINVAL);
	/* A FIFO with no writer: opening it must not block the VMM. */
	snprintf(fifo, sizeof(fifo), "%s.fifo", f->path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(virtio_blk_open(&f->blk, fifo, true, NULL), -EINVAL);
	assert_int_equal(virtio_blk_open(&f->blk, fifo, false, NULL), -EINVAL);
	unlink(fifo);
	assert_int_equal(virtio_blk_open(&f->blk, fifo, false, NULL), -ENOENT);
	assert_contains(error_message(), "cannot open it read-write");
	assert_int_equal(f->blk.fd, -1);
}

/* --- reads and writes ------------------------------------------------------------ */

static void test_read(void **state)
{
	struct fixture *f = *state;
	struct req r = { .type = VIRTIO_BLK_T_IN, .sector = 3, .in_len = 2 * SECTOR };
	const uint8_t *data;

	attach(f, false, NULL);
	bring_up(f, 0);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 2 * SECTOR + 1);
	data = vdrv_ptr(&f->d, r.in_gpa, 2 * SECTOR);
	for (size_t i = 0; i < 2 * SECTOR; i++)
		assert_int_equal(data[i], pattern(3 * SECTOR + i));
	/* The last whole sector is readable. */
	r = (struct req){ .type = VIRTIO_BLK_T_IN, .sector = DISK_SECTORS - 1, .in_len = SECTOR };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(*(uint8_t *)vdrv_ptr(&f->d, r.in_gpa + SECTOR - 1, 1),
			 pattern(DISK_SECTORS * SECTOR - 1));
}

static void test_any_descriptor_layout(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = { htole32(VIRTIO_BLK_T_IN), 0, htole64(7) };
	struct vdrv_buf bufs[3];
	uint32_t id, len;
	uint16_t head;
	gpa_t h, in;

	attach(f, false, NULL);
	bring_up(f, 0);
	h = vdrv_alloc(&f->d, 16);
	in = vdrv_alloc(&f->d, SECTOR + 1);
	/* The header split 4 + 12, the data and the status in one descriptor (2.7.4). */
	bufs[0] = (struct vdrv_buf){ h, 4, false };
	bufs[1] = (struct vdrv_buf){ h + 4, 12, false };
	bufs[2] = (struct vdrv_buf){ in, SECTOR + 1, true };
	memcpy(vdrv_ptr(&f->d, h, 16), &hdr, 16);
	head = vdrv_submit(&f->d, 0, bufs, 3);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_take_used(&f->d, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, SECTOR + 1);
	assert_int_equal(*(uint8_t *)vdrv_ptr(&f->d, in + SECTOR, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(*(uint8_t *)vdrv_ptr(&f->d, in, 1), pattern(7 * SECTOR));
}

static void test_write(void **state)
{
	struct fixture *f = *state;
	uint8_t data[2 * SECTOR], back[2 * SECTOR];
	struct req r = {
		.type = VIRTIO_BLK_T_OUT, .sector = 5, .out = data, .out_len = sizeof(data)
	};

	memset(data, 0xab, SECTOR);
	memset(data + SECTOR, 0xcd, SECTOR);
	attach(f, false, NULL);
	bring_up(f, 0);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 1);
	file_read(f, 5 * SECTOR, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	expect_file_pattern(f, 4 * SECTOR, SECTOR);
	expect_file_pattern(f, 7 * SECTOR, SECTOR);
	/* The last sector: the tail past the capacity stays as it was. */
	r = (struct req){
		.type = VIRTIO_BLK_T_OUT, .sector = DISK_SECTORS - 1, .out = data, .out_len = SECTOR
	};
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	expect_file_pattern(f, DISK_SECTORS * SECTOR, DISK_TAIL);
	{
		struct stat st;

		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_size, DISK_SIZE);
	}
}

static void test_write_many_segments_indirect(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = { htole32(VIRTIO_BLK_T_OUT), 0, htole64(16) };
	struct vdrv_buf bufs[10];
	uint8_t back[8 * SECTOR];
	uint32_t id, len;
	uint16_t head;

	attach(f, false, NULL);
	bring_up(f, INDIRECT);
	bufs[0] = (struct vdrv_buf){ vdrv_alloc(&f->d, 16), 16, false };
	memcpy(vdrv_ptr(&f->d, bufs[0].gpa, 16), &hdr, 16);
	/* Eight segments of unequal sizes, 4 KiB in all. */
	for (int i = 0; i < 8; i++) {
		uint32_t size = (i % 2) ? SECTOR + 256 : SECTOR - 256;

		bufs[1 + i] = (struct vdrv_buf){ vdrv_alloc(&f->d, size), size, false };
		memset(vdrv_ptr(&f->d, bufs[1 + i].gpa, size), 0x10 + i, size);
	}
	bufs[9] = (struct vdrv_buf){ vdrv_alloc(&f->d, 1), 1, true };
	head = vdrv_chain_indirect(&f->d, 0, bufs, 10);
	vdrv_publish(&f->d, 0, head);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_take_used(&f->d, 0, &id, &len));
	assert_int_equal(*(uint8_t *)vdrv_ptr(&f->d, bufs[9].gpa, 1), VIRTIO_BLK_S_OK);
	file_read(f, 16 * SECTOR, back, sizeof(back));
	assert_int_equal(back[0], 0x10);
	assert_int_equal(back[SECTOR - 256], 0x11);
	assert_int_equal(back[sizeof(back) - 1], 0x17);
}

static void test_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t data[SECTOR] = { 1 };
	struct req w = { .type = VIRTIO_BLK_T_OUT, .sector = 9, .out = data, .out_len = SECTOR };
	struct req r = { .type = VIRTIO_BLK_T_FLUSH };

	attach(f, false, NULL);
	bring_up(f, 0);
	run(f, &w);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 1);
}

static void test_out_of_range(void **state)
{
	struct fixture *f = *state;
	uint8_t data[2 * SECTOR] = { 0 };
	const struct req cases[] = {
		{ .type = VIRTIO_BLK_T_IN, .sector = DISK_SECTORS, .in_len = SECTOR },
		{ .type = VIRTIO_BLK_T_IN, .sector = DISK_SECTORS - 1, .in_len = 2 * SECTOR },
		{ .type = VIRTIO_BLK_T_IN, .sector = ~0ULL, .in_len = SECTOR },
		/* sector * 512 wraps to 0 in 64 bits: still out of range. */
		{ .type = VIRTIO_BLK_T_IN, .sector = 1ULL << 55, .in_len = SECTOR },
		{ .type = VIRTIO_BLK_T_IN, .sector = 0, .in_len = 100 },
		{ .type = VIRTIO_BLK_T_OUT,
		  .sector = DISK_SECTORS - 1,
		  .out = data,
		  .out_len = 2 * SECTOR },
		{ .type = VIRTIO_BLK_T_OUT,
		  .sector = ~0ULL - 1,
		  .out = data,
		  .out_len = 2 * SECTOR },
		{ .type = VIRTIO_BLK_T_OUT, .sector = 0, .out = data, .out_len = SECTOR + 1 },
	};

	attach(f, false, NULL);
	bring_up(f, 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct req r = cases[i];

		run(f, &r);
		if (r.status != VIRTIO_BLK_S_IOERR)
			fail_msg("case %zu: status %u, not IOERR", i, r.status);
		/* Only the status byte was written, not from the start when there is data room. */
		assert_int_equal(r.used_len, r.in_len ? 0 : 1);
	}
	expect_file_pattern(f, 0, DISK_SIZE);
	/* Errors of the guest's making are not logged. */
	assert_int_equal(f->nlogs, 0);
}

static void test_truncated_file_is_a_host_error(void **state)
{
	struct fixture *f = *state;
	struct req r = { .type = VIRTIO_BLK_T_IN, .sector = 100, .in_len = SECTOR };

	attach(f, false, NULL);
	bring_up(f, 0);
	/* Another process shrinks the file under the disk. */
	assert_int_equal(truncate(f->path, 10 * SECTOR), 0);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	run(f, &r);
	assert_int_equal(f->nlogs, 1);
	assert_contains(f->logs[0], "read at sector 100");
	assert_contains(f->logs[0], "shorter than the disk");
	assert_false(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* --- GET_ID ------------------------------------------------------------------------ */

static void test_get_id(void **state)
{
	struct fixture *f = *state;
	struct req r = { .type = VIRTIO_BLK_T_GET_ID, .in_len = VIRTIO_BLK_ID_BYTES };
	const char *serial = "serial-0123456789abcdef"; /* 23 bytes: 20 are kept */

	attach(f, false, serial);
	bring_up(f, 0);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, VIRTIO_BLK_ID_BYTES + 1);
	assert_memory_equal(vdrv_ptr(&f->d, r.in_gpa, 20), serial, 20);
	/* More room: NUL-padded, all of it written. */
	attach(f, false, "disk\x01\x7f");
	bring_up(f, 0);
	r = (struct req){ .type = VIRTIO_BLK_T_GET_ID, .in_len = 30 };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 31);
	assert_memory_equal(vdrv_ptr(&f->d, r.in_gpa, 30),
			    "disk__\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 30);
	/* Too little room: IOERR. */
	r = (struct req){ .type = VIRTIO_BLK_T_GET_ID, .in_len = 10 };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	assert_int_equal(*(uint8_t *)vdrv_ptr(&f->d, r.in_gpa, 1), 0xcc);
}

/* --- read-only ---------------------------------------------------------------------- */

static void test_read_only(void **state)
{
	struct fixture *f = *state;
	uint8_t data[SECTOR], seg[16] = { 0 };
	struct req r;
	uint64_t features;

	memset(data, 0x5a, sizeof(data));
	attach(f, true, NULL);
	assert_int_equal(fcntl(f->blk.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	features = vdrv_device_features(&f->d);
	assert_true(features & VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
	assert_false(features & (DISCARD | WZ));
	bring_up(f, VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
	r = (struct req){ .type = VIRTIO_BLK_T_OUT, .sector = 1, .out = data, .out_len = SECTOR };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	seg[8] = 1; /* sector 0, 1 sector */
	r = (struct req){ .type = VIRTIO_BLK_T_WRITE_ZEROES, .out = seg, .out_len = 16 };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	r = (struct req){ .type = VIRTIO_BLK_T_DISCARD, .out = seg, .out_len = 16 };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	r = (struct req){ .type = VIRTIO_BLK_T_FLUSH };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	r = (struct req){ .type = VIRTIO_BLK_T_IN, .sector = 1, .in_len = SECTOR };
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	expect_file_pattern(f, 0, DISK_SIZE);
	assert_int_equal(virtio_blk_close(&f->blk), 0);
}

/* --- discard and write zeroes ------------------------------------------------------ */

struct segment {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static struct req dwz(uint32_t type, struct segment *segs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		segs[i].sector = htole64(segs[i].sector);
		segs[i].num_sectors = htole32(segs[i].num_sectors);
		segs[i].flags = htole32(segs[i].flags);
	}
	return (struct req){ .type = type, .out = segs, .out_len = n * sizeof(*segs) };
}

static void test_write_zeroes_and_discard(void **state)
{
	struct fixture *f = *state;
	struct segment segs[VIRTIO_BLK_DWZ_SEGS_MAX + 1];
	struct req r;

	attach(f, false, NULL);
	if (!f->blk.discard)
		skip(); /* this file system punches no holes */
	bring_up(f, DISCARD | WZ);
	/* Without UNMAP: zeroed in place. Two segments in one request. */
	segs[0] = (struct segment){ 10, 4, 0 };
	segs[1] = (struct segment){ 30, 2, 0 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 2);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	expect_file_zeroes(f, 10 * SECTOR, 4 * SECTOR);
	expect_file_zeroes(f, 30 * SECTOR, 2 * SECTOR);
	expect_file_pattern(f, 14 * SECTOR, 16 * SECTOR);
	/* With UNMAP: a hole, which reads as zeroes too (5.2.6.2). */
	segs[0] = (struct segment){ 40, 16, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	expect_file_zeroes(f, 40 * SECTOR, 16 * SECTOR);
	expect_file_pattern(f, 56 * SECTOR, SECTOR);
	/* Discard: allowed to drop the data; the rest of the disk is intact. */
	segs[0] = (struct segment){ 64, 8, 0 };
	r = dwz(VIRTIO_BLK_T_DISCARD, segs, 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_OK);
	expect_file_pattern(f, 72 * SECTOR, (DISK_SECTORS - 72) * SECTOR + DISK_TAIL);
	assert_int_equal(f->nlogs, 0);
}

static void test_discard_write_zeroes_refusals(void **state)
{
	struct fixture *f = *state;
	struct segment segs[VIRTIO_BLK_DWZ_SEGS_MAX + 1];
	struct req r;

	attach(f, false, NULL);
	if (!f->blk.discard)
		skip();
	bring_up(f, DISCARD | WZ);
	/* UNMAP on a discard, unknown flags: UNSUPP (5.2.6.2). */
	segs[0] = (struct segment){ 0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP };
	r = dwz(VIRTIO_BLK_T_DISCARD, segs, 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_UNSUPP);
	segs[0] = (struct segment){ 0, 1, 2 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_UNSUPP);
	/* A bad segment after a good one: nothing is done at all. */
	segs[0] = (struct segment){ 0, 1, 0 };
	segs[1] = (struct segment){ DISK_SECTORS, 1, 0 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 2);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	/* num_sectors wrapping past 2^64 with the sector. */
	segs[0] = (struct segment){ ~0ULL - 1, 4, 0 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	/* Too many segments, or a length that is not whole segments. */
	for (int i = 0; i <= VIRTIO_BLK_DWZ_SEGS_MAX; i++)
		segs[i] = (struct segment){ (uint64_t)i, 1, 0 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, VIRTIO_BLK_DWZ_SEGS_MAX + 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	segs[0] = (struct segment){ 0, 1, 0 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 1);
	r.out_len = 12;
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_IOERR);
	expect_file_pattern(f, 0, DISK_SIZE);
	/* Not negotiated: UNSUPP. */
	bring_up(f, 0);
	segs[0] = (struct segment){ 0, 1, 0 };
	r = dwz(VIRTIO_BLK_T_WRITE_ZEROES, segs, 1);
	run(f, &r);
	assert_int_equal(r.status, VIRTIO_BLK_S_UNSUPP);
	expect_file_pattern(f, 0, SECTOR);
}

/* --- other requests and malformed chains -------------------------------------------- */

static void test_unsupported_types(void **state)
{
	struct fixture *f = *state;
	const uint32_t types[] = { VIRTIO_BLK_T_GET_LIFETIME, VIRTIO_BLK_T_SECURE_ERASE, 5, 99,
				   0x80000000 };

	attach(f, false, NULL);
	bring_up(f, 0);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct req r = { .type = types[i], .in_len = 8 };

		run(f, &r);
		assert_int_equal(r.status, VIRTIO_BLK_S_UNSUPP);
	}
}

static void test_malformed_chains_need_reset(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf short_header[2], no_status[1];
	gpa_t buf;

	attach(f, false, NULL);
	bring_up(f, 0);
	buf = vdrv_alloc(&f->d, 64);
	short_header[0] = (struct vdrv_buf){ buf, 8, false };
	short_header[1] = (struct vdrv_buf){ buf + 8, 1, true };
	no_status[0] = (struct vdrv_buf){ buf, 16, false };
	vdrv_submit(&f->d, 0, short_header, 2);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 0);
	assert_contains(f->logs[0], "the header needs 16");
	bring_up(f, 0);
	vdrv_submit(&f->d, 0, no_status, 1);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(f->nlogs, 1); /* logged once */
}

/* --- closing and snapshots ---------------------------------------------------------- */

static void test_close(void **state)
{
	struct fixture *f = *state;
	uint8_t data[SECTOR];
	struct req r = { .type = VIRTIO_BLK_T_OUT, .sector = 2, .out = data, .out_len = SECTOR };
	uint8_t back[SECTOR];

	memset(data, 0x77, sizeof(data));
	attach(f, false, NULL);
	bring_up(f, 0);
	run(f, &r);
	assert_int_equal(virtio_blk_close(&f->blk), 0);
	assert_int_equal(f->blk.fd, -1);
	assert_int_equal(virtio_blk_close(&f->blk), 0);
	file_read(f, 2 * SECTOR, back, SECTOR);
	assert_memory_equal(back, data, SECTOR);
	/* The lock went with the file. */
	assert_int_equal(virtio_blk_open(&f->blk, f->path, false, NULL), 0);
}

static void test_save_restore(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk_state s, bad;

	attach(f, false, NULL);
	bring_up(f, VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH));
	virtio_blk_save(&f->blk, &s);
	assert_int_equal(s.capacity, DISK_SECTORS);
	assert_int_equal(s.negotiated, MODERN | VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH));
	assert_int_equal(s.read_only, 0);
	f->blk.negotiated = 0;
	assert_int_equal(virtio_blk_restore(&f->blk, &s), 0);
	assert_int_equal(f->blk.negotiated, s.negotiated);
	bad = s;
	bad.capacity++;
	assert_int_equal(virtio_blk_restore(&f->blk, &bad), -EINVAL);
	assert_contains(error_message(), "129 sectors");
	bad = s;
	bad.read_only = 1;
	assert_int_equal(virtio_blk_restore(&f->blk, &bad), -EINVAL);
	bad = s;
	bad.reserved = 1;
	assert_int_equal(virtio_blk_restore(&f->blk, &bad), -EINVAL);
	bad = s;
	bad.negotiated |= VIRTIO_FEATURE(VIRTIO_BLK_F_MQ);
	assert_int_equal(virtio_blk_restore(&f->blk, &bad), -EINVAL);
	assert_int_equal(f->blk.negotiated, s.negotiated);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_and_config),
		T(test_small_file),
		T(test_lock_conflicts),
		T(test_refuses_non_regular_files),
		T(test_read),
		T(test_any_descriptor_layout),
		T(test_write),
		T(test_write_many_segments_indirect),
		T(test_flush),
		T(test_out_of_range),
		T(test_truncated_file_is_a_host_error),
		T(test_get_id),
		T(test_read_only),
		T(test_write_zeroes_and_discard),
		T(test_discard_write_zeroes_refusals),
		T(test_unsupported_types),
		T(test_malformed_chains_need_reset),
		T(test_close),
		T(test_save_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
