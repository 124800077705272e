/* SPDX-License-Identifier: MIT */
/* Unit tests of virtio-rng (src/virtio/virtio_rng.c) against virtio 1.2, 5.4. */
#include "unit.h"

#include <errno.h>

#include "virtio/virtio.h"
#include "virtio/virtio_rng.h"
#include "virtio_driver.h"

#define MODERN	   VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define FILL	   0xcc /* what buffers hold before the device writes them */
#define FAKE_BYTE  0x5a /* what the fake source gives */
#define FAKE_CHUNK 7	/* ... at most this many bytes per call */
#define LOG_LEN	   512

struct fixture {
	struct guest_memory mem;
	struct virtio_rng rng;
	struct virtio_device dev;
	struct virtio_mmio t;
	struct vdrv d;
	char log[LOG_LEN];
	unsigned int nlogs;
};

/* The fake source's behaviour, per test. */
static int fake_errno; /* fail with this, when not 0 */
static unsigned int fake_calls;

static ssize_t fake_source(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	fake_calls++;
	if (fake_errno) {
		errno = fake_errno;
		return -1;
	}
	if (fake_calls % 3 == 0) {
		errno = EINTR; /* interrupted now and then: retried */
		return -1;
	}
	if (len > FAKE_CHUNK)
		len = FAKE_CHUNK;
	memset(buf, FAKE_BYTE, len);
	return (ssize_t)len;
}

static void fake_log(void *opaque, const char *message)
{
	struct fixture *f = opaque;

	snprintf(f->log, sizeof(f->log), "%s", message);
	f->nlogs++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct virtio_mmio_ops ops = { .log = fake_log, .opaque = f };

	if (!f || guest_memory_init(&f->mem, VDRV_RAM_SIZE)) {
		free(f);
		return -1;
	}
	virtio_rng_init(&f->rng);
	virtio_rng_device(&f->rng, &f->dev);
	if (virtio_mmio_init(&f->t, &f->mem, &f->dev, &ops)) {
		guest_memory_destroy(&f->mem);
		free(f);
		return -1;
	}
	vdrv_init(&f->d, &f->mem, &f->t);
	assert_true(vdrv_negotiate(&f->d, MODERN) & VIRTIO_STATUS_FEATURES_OK);
	vdrv_setup_queue(&f->d, 0, VIRTIO_RNG_QUEUE_SIZE);
	vdrv_driver_ok(&f->d);
	fake_errno = 0;
	fake_calls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_mmio_destroy(&f->t);
	guest_memory_destroy(&f->mem);
	free(f);
	return 0;
}

/* A buffer of len bytes filled with FILL. */
static struct vdrv_buf buffer(struct fixture *f, uint32_t len, bool write)
{
	gpa_t gpa = vdrv_alloc(&f->d, len);

	memset(vdrv_ptr(&f->d, gpa, len), FILL, len);
	return (struct vdrv_buf){ gpa, len, write };
}

/* Submit, serve, and return the used length. */
static uint32_t serve(struct fixture *f, const struct vdrv_buf *bufs, unsigned int n)
{
	uint16_t head = vdrv_submit(&f->d, 0, bufs, n);
	uint32_t id, len;

	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_take_used(&f->d, 0, &id, &len));
	assert_int_equal(id, head);
	return len;
}

static size_t count(const uint8_t *p, size_t len, uint8_t byte)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == byte;
	return n;
}

static void test_identification(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_ENTROPY);
	assert_int_equal(vdrv_device_features(&f->d) & VIRTIO_DEVICE_FEATURES_MASK, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_CONFIG), 0);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_fills_buffer_from_getrandom(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, 64, true);
	const uint8_t *p = vdrv_ptr(&f->d, b.gpa, 64);

	assert_int_equal(serve(f, &b, 1), 64);
	/* 64 random bytes are not all FILL (chance 2^-512). */
	assert_true(count(p, 64, FILL) < 64);
	assert_int_equal(f->rng.bytes, 64);
	assert_int_equal(f->nlogs, 0);
}

static void test_several_segments(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf bufs[3] = { buffer(f, 10, true), buffer(f, 1, true), buffer(f, 20, true) };

	f->rng.source = fake_source;
	assert_int_equal(serve(f, bufs, 3), 31);
	assert_int_equal(count(vdrv_ptr(&f->d, bufs[0].gpa, 10), 10, FAKE_BYTE), 10);
	assert_int_equal(count(vdrv_ptr(&f->d, bufs[1].gpa, 1), 1, FAKE_BYTE), 1);
	assert_int_equal(count(vdrv_ptr(&f->d, bufs[2].gpa, 20), 20, FAKE_BYTE), 20);
}

static void test_large_request_is_capped(void **state)
{
	struct fixture *f = *state;
	const uint32_t len = 2 * VIRTIO_RNG_REQUEST_MAX + 100;
	struct vdrv_buf b = buffer(f, len, true);
	const uint8_t *p = vdrv_ptr(&f->d, b.gpa, len);

	f->rng.source = fake_source;
	assert_int_equal(serve(f, &b, 1), VIRTIO_RNG_REQUEST_MAX);
	assert_int_equal(count(p, VIRTIO_RNG_REQUEST_MAX, FAKE_BYTE), VIRTIO_RNG_REQUEST_MAX);
	/* Nothing past what the used length says. */
	assert_int_equal(count(p + VIRTIO_RNG_REQUEST_MAX, len - VIRTIO_RNG_REQUEST_MAX, FILL),
			 len - VIRTIO_RNG_REQUEST_MAX);
}

static void test_readable_buffers_are_skipped(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf bufs[2] = { buffer(f, 16, false), buffer(f, 16, true) };

	f->rng.source = fake_source;
	assert_int_equal(serve(f, bufs, 2), 16);
	/* The device never writes a device-readable buffer (2.7.5.1). */
	assert_int_equal(count(vdrv_ptr(&f->d, bufs[0].gpa, 16), 16, FILL), 16);
	assert_int_equal(count(vdrv_ptr(&f->d, bufs[1].gpa, 16), 16, FAKE_BYTE), 16);
	/* Only readable: nothing to fill. */
	assert_int_equal(serve(f, bufs, 1), 0);
	assert_int_equal(f->nlogs, 0);
	assert_false(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void test_failing_source(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, 32, true);

	f->rng.source = fake_source;
	fake_errno = ENOSYS;
	assert_int_equal(serve(f, &b, 1), 0);
	assert_int_equal(serve(f, &b, 1), 0);
	assert_int_equal(f->nlogs, 1);
	assert_contains(f->log, "virtio-rng: queue 0: getrandom() failed");
	assert_int_equal(count(vdrv_ptr(&f->d, b.gpa, 32), 32, FILL), 32);
	/* The device carries on once the source works again. */
	fake_errno = 0;
	assert_int_equal(serve(f, &b, 1), 32);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identification),
		T(test_fills_buffer_from_getrandom),
		T(test_several_segments),
		T(test_large_request_is_capped),
		T(test_readable_buffers_are_skipped),
		T(test_failing_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
