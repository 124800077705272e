/* SPDX-License-Identifier: MIT */
/* Unit tests of the virtio-mmio transport (src/virtio/virtio_mmio.c) against virtio 1.2, 4.2. */
#include "unit.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <time.h>

#include "error.h"
#include "virtio/virtio.h"
#include "virtio/virtio_mmio.h"
#include "virtio_driver.h"

/* A fake device: two queues that echo device-readable bytes into device-writable ones. */
#define FAKE_ID		 42
#define FAKE_FEATURES	 (VIRTIO_FEATURE(0) | VIRTIO_FEATURE(5))
#define FAKE_QUEUES	 2
#define FAKE_QSIZE	 16
#define FAKE_CONFIG_LEN	 12
#define FAKE_QUEUE_ERROR 0xee /* a request starting with this byte is a queue error */
#define FAKE_HOST_ERROR	 0xdd /* ... completes with a host error to log */
#define MMIO_GPA	 0xd0000000ULL
#define LOG_MAX		 16
#define LOG_LEN		 512
#define WAIT_SECONDS	 5
#define BLOCKED_CHECK_NS 100000000 /* 100 ms: long enough for a reset to get stuck */

#define STATUS_FEATURES_OK \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)
#define STATUS_LIVE (STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)
#define MODERN	    VIRTIO_FEATURE(VIRTIO_F_VERSION_1)

struct fixture {
	struct guest_memory mem;
	struct virtio_device dev;
	struct virtio_mmio t;
	struct vdrv d;
	uint8_t config[FAKE_CONFIG_LEN];
	/* What the fake device and the fake VM saw. */
	unsigned int handled[FAKE_QUEUES];
	unsigned int resets, activations;
	uint64_t activated_features;
	unsigned int interrupts; /* atomic */
	sem_t interrupt_sem;
	char logs[LOG_MAX][LOG_LEN];
	unsigned int nlogs;
	pthread_mutex_t log_lock;
	/* A handle() that waits for the test (reset-in-flight test). */
	pthread_mutex_t block_lock;
	pthread_cond_t block_cond;
	bool block, entered, release;
};

static int fake_handle(void *opaque, unsigned int queue, const struct virtq_chain *c,
		       uint32_t *written)
{
	struct fixture *f = opaque;
	uint8_t buf[4096];
	size_t n = virtq_iov_to_buf(virtq_chain_out(c), c->nout, 0, buf,
				    c->out_len < sizeof(buf) ? c->out_len : sizeof(buf));

	f->handled[queue]++;
	if (f->block) {
		pthread_mutex_lock(&f->block_lock);
		f->entered = true;
		pthread_cond_broadcast(&f->block_cond);
		while (!f->release)
			pthread_cond_wait(&f->block_cond, &f->block_lock);
		pthread_mutex_unlock(&f->block_lock);
	}
	if (n && buf[0] == FAKE_QUEUE_ERROR)
		return error_set(EPROTO, "fake: request %u is malformed", c->head);
	*written = (uint32_t)virtq_iov_from_buf(virtq_chain_in(c), c->nin, 0, buf, n);
	if (n && buf[0] == FAKE_HOST_ERROR) {
		error_set(EIO, "fake: the host disk failed");
		return VIRTIO_REQ_DONE_LOG;
	}
	return VIRTIO_REQ_DONE;
}

static void fake_activate(void *opaque, uint64_t features)
{
	struct fixture *f = opaque;

	f->activations++;
	f->activated_features = features;
}

static void fake_reset(void *opaque)
{
	struct fixture *f = opaque;

	f->resets++;
}

static void fake_interrupt(void *opaque)
{
	struct fixture *f = opaque;

	__atomic_fetch_add(&f->interrupts, 1, __ATOMIC_SEQ_CST);
	sem_post(&f->interrupt_sem);
}

static void fake_log(void *opaque, const char *message)
{
	struct fixture *f = opaque;

	pthread_mutex_lock(&f->log_lock);
	if (f->nlogs < LOG_MAX)
		snprintf(f->logs[f->nlogs], sizeof(f->logs[0]), "%s", message);
	f->nlogs++;
	pthread_mutex_unlock(&f->log_lock);
}

/* Save t's state as a snapshot does: paused. */
static void save_paused(struct virtio_mmio *t, struct virtio_mmio_state *out)
{
	virtio_mmio_pause(t);
	virtio_mmio_save(t, out);
	virtio_mmio_resume(t);
}

static unsigned int interrupts(struct fixture *f)
{
	return __atomic_load_n(&f->interrupts, __ATOMIC_SEQ_CST);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_mmio_ops ops = { .interrupt = fake_interrupt, .log = fake_log };

	if (!f || guest_memory_init(&f->mem, VDRV_RAM_SIZE)) {
		free(f);
		return -1;
	}
	for (int i = 0; i < FAKE_CONFIG_LEN; i++)
		f->config[i] = (uint8_t)(0x11 * (i + 1));
	f->dev = (struct virtio_device){
		.name = "fake-device",
		.thread_name = "virtio-fake",
		.device_id = FAKE_ID,
		.features = FAKE_FEATURES,
		.config = f->config,
		.config_len = FAKE_CONFIG_LEN,
		.num_queues = FAKE_QUEUES,
		.queue_size_max = FAKE_QSIZE,
		.handle = fake_handle,
		.activate = fake_activate,
		.reset = fake_reset,
		.opaque = f,
	};
	ops.opaque = f;
	sem_init(&f->interrupt_sem, 0, 0);
	pthread_mutex_init(&f->log_lock, NULL);
	pthread_mutex_init(&f->block_lock, NULL);
	pthread_cond_init(&f->block_cond, NULL);
	if (virtio_mmio_init(&f->t, &f->mem, &f->dev, &ops)) {
		guest_memory_destroy(&f->mem);
		free(f);
		return -1;
	}
	vdrv_init(&f->d, &f->mem, &f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_mmio_destroy(&f->t);
	guest_memory_destroy(&f->mem);
	sem_destroy(&f->interrupt_sem);
	pthread_mutex_destroy(&f->log_lock);
	pthread_mutex_destroy(&f->block_lock);
	pthread_cond_destroy(&f->block_cond);
	free(f);
	return 0;
}

/* Negotiate features, set up both queues, DRIVER_OK. */
static void bring_up(struct fixture *f, uint64_t features)
{
	assert_int_equal(vdrv_negotiate(&f->d, features), STATUS_FEATURES_OK);
	vdrv_setup_queue(&f->d, 0, FAKE_QSIZE);
	vdrv_setup_queue(&f->d, 1, FAKE_QSIZE);
	vdrv_driver_ok(&f->d);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), STATUS_LIVE);
}

/* Submit "bytes" (device-readable) with room for them (device-writable) on queue q. */
static uint16_t submit_echo(struct fixture *f, unsigned int q, const char *bytes, gpa_t *reply)
{
	uint32_t len = (uint32_t)strlen(bytes);
	gpa_t out = vdrv_alloc(&f->d, len);
	const struct vdrv_buf bufs[] = { { out, len, false }, { 0, len, true } };
	struct vdrv_buf b[2];

	memcpy(b, bufs, sizeof(b));
	b[1].gpa = vdrv_alloc(&f->d, len);
	memcpy(vdrv_ptr(&f->d, out, len), bytes, len);
	if (reply)
		*reply = b[1].gpa;
	return vdrv_submit(&f->d, q, b, 2);
}

/* Expect the next used entry of q to be head with len. */
static void expect_used(struct fixture *f, unsigned int q, uint16_t head, uint32_t len)
{
	uint32_t id, used_len;

	assert_true(vdrv_take_used(&f->d, q, &id, &used_len));
	assert_int_equal(id, head);
	assert_int_equal(used_len, len);
}

static void expect_log(struct fixture *f, unsigned int index, const char *text)
{
	assert_true(f->nlogs > index);
	assert_contains(f->logs[index], text);
}

/* --- identification and negotiation ------------------------------------------ */

static void test_identification(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_DEVICE_ID), FAKE_ID);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_CONFIG_GENERATION), 0);
	/* No shared memory regions: length and base read as -1 (4.2.2). */
	vdrv_write(&f->d, VIRTIO_MMIO_SHM_SEL, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
	/* Queues 0 and 1 exist, queue 2 does not. */
	for (uint32_t q = 0; q < 3; q++) {
		vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX),
				 q < FAKE_QUEUES ? FAKE_QSIZE : 0);
		assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	assert_int_equal(virtio_mmio_num_queues(&f->t), FAKE_QUEUES);
	assert_true(virtio_mmio_queue_notify_fd(&f->t, 0) >= 0);
	assert_true(virtio_mmio_queue_notify_fd(&f->t, 1) != virtio_mmio_queue_notify_fd(&f->t, 0));
	assert_int_equal(virtio_mmio_queue_notify_fd(&f->t, 2), -1);
	assert_int_equal(f->nlogs, 0);
}

static void test_device_features_and_config(void **state)
{
	struct fixture *f = *state;
	uint8_t bytes[8];
	uint64_t features = vdrv_device_features(&f->d);

	assert_int_equal(features, FAKE_FEATURES | MODERN | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) |
					   VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
	vdrv_write(&f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* Config space: any size at any offset, little-endian bytes, 0 past its end. */
	for (uint32_t size = 1; size <= 8; size *= 2) {
		memset(bytes, 0xcc, sizeof(bytes));
		assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_CONFIG + 3, bytes, size),
				 0);
		for (uint32_t i = 0; i < size; i++)
			assert_int_equal(bytes[i], f->config[3 + i]);
	}
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_CONFIG + 8, bytes, 8), 0);
	assert_memory_equal(bytes, ((uint8_t[]){ 0x99, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0 }), 8);
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_SIZE - 4, bytes, 4), 0);
	assert_memory_equal(bytes, ((uint8_t[]){ 0, 0, 0, 0 }), 4);
	/* Outside the window entirely: zeroes, no crash. */
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_SIZE - 2, bytes, 4), 0);
	assert_int_equal(virtio_mmio_bus_read(&f->t, ~0ULL, bytes, 8), 0);
}

static void test_handshake(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN | VIRTIO_FEATURE(5));
	assert_int_equal(f->activations, 1);
	assert_int_equal(f->activated_features, MODERN | VIRTIO_FEATURE(5));
	assert_int_equal(f->nlogs, 0);
	assert_int_equal(virtio_mmio_error_count(&f->t), 0);
}

static void test_features_ok_refused_without_version_1(void **state)
{
	struct fixture *f = *state;

	/* A legacy driver: the device does not keep FEATURES_OK (2.2.2). */
	assert_int_equal(vdrv_negotiate(&f->d, FAKE_FEATURES),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	expect_log(f, 0, "did not accept VIRTIO_F_VERSION_1");
}

static void test_features_ok_refused_for_unoffered_bits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vdrv_negotiate(&f->d, MODERN | VIRTIO_FEATURE(3)),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	expect_log(f, 0, "not offered");
	/* Word 2 of the driver features does not exist. */
	vdrv_write(&f->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	vdrv_write(&f->d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	assert_int_equal(virtio_mmio_error_count(&f->t), 2);
}

static void test_driver_features_frozen_after_features_ok(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN);
	vdrv_write(&f->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_write(&f->d, VIRTIO_MMIO_DRIVER_FEATURES, FAKE_FEATURES);
	expect_log(f, 0, "DriverFeatures written after FEATURES_OK");
	assert_int_equal(f->activated_features, MODERN);
	/* Saved features show that the write had no effect. */
	{
		struct virtio_mmio_state s;

		save_paused(&f->t, &s);
		assert_int_equal(s.driver_features, MODERN);
	}
}

static void test_driver_ok_needs_features_ok(void **state)
{
	struct fixture *f = *state;

	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(f->activations, 0);
	expect_log(f, 0, "DRIVER_OK without FEATURES_OK");
}

static void test_status_bits_cannot_be_cleared(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN);
	/* Clearing DRIVER_OK without a reset is refused (2.1.1); the device keeps going. */
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, STATUS_FEATURES_OK);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), STATUS_LIVE);
	expect_log(f, 0, "clears bits");
	/* Writing DEVICE_NEEDS_RESET does not set it: the device owns that bit. */
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, STATUS_LIVE | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), STATUS_LIVE);
	/* Bits 2.1 does not define are not kept (a snapshot could not hold them). */
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, STATUS_LIVE | 0x30 | 0xff00);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), STATUS_LIVE);
	/* FAILED may be added; the device then stops serving. */
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, STATUS_LIVE | VIRTIO_STATUS_FAILED);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), STATUS_LIVE | VIRTIO_STATUS_FAILED);
	submit_echo(f, 0, "x", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 0);
}

/* --- requests ------------------------------------------------------------------ */

static void test_request_and_interrupt(void **state)
{
	struct fixture *f = *state;
	gpa_t reply;
	uint16_t head;

	bring_up(f, MODERN);
	head = submit_echo(f, 0, "hello", &reply);
	virtio_mmio_process_queue(&f->t, 0);
	expect_used(f, 0, head, 5);
	assert_memory_equal(vdrv_ptr(&f->d, reply, 5), "hello", 5);
	assert_int_equal(interrupts(f), 1);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	/* Acknowledging an event that is not pending changes nothing; the right one clears. */
	vdrv_write(&f->d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	vdrv_write(&f->d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* Nothing new: no interrupt. Three at once: one interrupt. */
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(interrupts(f), 1);
	for (int i = 0; i < 3; i++)
		submit_echo(f, 0, "abc", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 4);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 4);
	assert_int_equal(interrupts(f), 2);
	/* The queues are independent. */
	head = submit_echo(f, 1, "q1", NULL);
	virtio_mmio_process_queue(&f->t, 1);
	expect_used(f, 1, head, 2);
	assert_int_equal(f->handled[1], 1);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 4);
}

static void test_no_service_before_driver_ok(void **state)
{
	struct fixture *f = *state;
	int fd = virtio_mmio_queue_notify_fd(&f->t, 0);

	assert_int_equal(vdrv_negotiate(&f->d, MODERN), STATUS_FEATURES_OK);
	vdrv_setup_queue(&f->d, 0, FAKE_QSIZE);
	submit_echo(f, 0, "early", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 0);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 0);
	vdrv_drain_fd(fd);
	/* DRIVER_OK wakes the queue, so the buffer made available early is served. */
	vdrv_driver_ok(&f->d);
	assert_true(vdrv_drain_fd(fd) >= 1);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 1);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 1);
}

static void test_queue_notify_writes_eventfd(void **state)
{
	struct fixture *f = *state;
	int fd0 = virtio_mmio_queue_notify_fd(&f->t, 0),
	    fd1 = virtio_mmio_queue_notify_fd(&f->t, 1);

	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(vdrv_drain_fd(fd0), 0);
	assert_int_equal(vdrv_drain_fd(fd1), 2);
	/* A queue that does not exist: ignored, logged once. */
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000);
	assert_int_equal(vdrv_drain_fd(fd0), 0);
	assert_int_equal(vdrv_drain_fd(fd1), 0);
	assert_int_equal(f->nlogs, 1);
	expect_log(f, 0, "QueueNotify for queue 7 of 2");
	assert_int_equal(virtio_mmio_error_count(&f->t), 2);
}

/* --- hostile queue setup --------------------------------------------------------- */

static void test_queue_ready_refuses_used_ring_in_mmio(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vdrv_negotiate(&f->d, MODERN), STATUS_FEATURES_OK);
	vdrv_queue_registers(&f->d, 0, FAKE_QSIZE, 0x10000, 0x11000, MMIO_GPA);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS),
			 STATUS_FEATURES_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* Before DRIVER_OK, no configuration change interrupt (2.1.2). */
	assert_int_equal(interrupts(f), 0);
	expect_log(f, 0, "fake-device: queue 0: QueueReady refused: used ring at GPA 0xd0000000");
	expect_log(f, 0, "needs a reset");
	/* A reset clears it, and a good layout then works. */
	bring_up(f, MODERN);
}

static void test_queue_ready_refuses_bad_sizes(void **state)
{
	struct fixture *f = *state;
	const uint32_t sizes[] = { 0, 12, FAKE_QSIZE * 2 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		assert_int_equal(vdrv_negotiate(&f->d, MODERN), STATUS_FEATURES_OK);
		vdrv_queue_registers(&f->d, 1, sizes[i], 0x10000, 0x11000, 0x12000);
		vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_READY, 1);
		assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 0);
		assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) &
			    VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	}
	expect_log(f, 0, "queue size 0 is not a power of 2");
	assert_int_equal(f->nlogs, 1);
	assert_int_equal(virtio_mmio_error_count(&f->t), 3);
}

static void test_queue_ready_refuses_misaligned_rings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vdrv_negotiate(&f->d, MODERN), STATUS_FEATURES_OK);
	vdrv_queue_registers(&f->d, 0, FAKE_QSIZE, 0x10004, 0x11000, 0x12000);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 0);
	expect_log(f, 0, "descriptor table at GPA 0x10004 is not 16-byte aligned");
}

static void test_queue_registers_frozen_while_ready(void **state)
{
	struct fixture *f = *state;
	uint16_t head;

	bring_up(f, MODERN);
	/* The driver moves the used ring into MMIO space under the device's feet. */
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)MMIO_GPA);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NUM, 4);
	expect_log(f, 0, "queue 0: register 0x0a0 written while the queue is ready");
	assert_int_equal(f->nlogs, 1);
	/* Ignored: the queue keeps working where it was. */
	head = submit_echo(f, 0, "still", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	expect_used(f, 0, head, 5);
	assert_false(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void test_queue_ready_zero_stops_service(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 0);
	submit_echo(f, 0, "late", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 0);
	/* Queue 1 is untouched. */
	submit_echo(f, 1, "fine", NULL);
	virtio_mmio_process_queue(&f->t, 1);
	assert_int_equal(f->handled[1], 1);
	/* Made ready again (fresh indices: the driver re-initialized the rings). */
	vdrv_setup_queue(&f->d, 0, FAKE_QSIZE);
	submit_echo(f, 0, "again", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 1);
}

/* --- hostile chains and errors ---------------------------------------------------- */

static void test_hostile_chain_needs_reset(void **state)
{
	struct fixture *f = *state;
	const struct vdrv_buf bad = { MMIO_GPA, 64, true };
	uint16_t head;

	bring_up(f, MODERN);
	head = submit_echo(f, 0, "good", NULL);
	vdrv_submit(&f->d, 0, &bad, 1);
	submit_echo(f, 0, "after", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	/* The good request completed; the bad one stopped the queue. */
	expect_used(f, 0, head, 4);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 1);
	assert_int_equal(f->handled[0], 1);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS),
			 STATUS_LIVE | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(f->nlogs, 1);
	expect_log(f, 0, "fake-device: queue 0: descriptor");
	expect_log(f, 0, "buffer at GPA 0xd0000000 (64 bytes) is not guest RAM");
	/* The queue stays stopped; a second error elsewhere is counted, not logged. */
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 1);
	vdrv_submit(&f->d, 1, &bad, 1);
	virtio_mmio_process_queue(&f->t, 1);
	assert_int_equal(f->nlogs, 1);
	assert_int_equal(virtio_mmio_error_count(&f->t), 2);
	/* A reset clears everything and the device works again. */
	bring_up(f, MODERN);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	head = submit_echo(f, 0, "new", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	expect_used(f, 0, head, 3);
}

static void test_device_queue_error(void **state)
{
	struct fixture *f = *state;
	const char bad[] = { (char)FAKE_QUEUE_ERROR, 0 };

	bring_up(f, MODERN);
	submit_echo(f, 0, bad, NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 0);
	expect_log(f, 0, "fake: request 0 is malformed");
}

static void test_host_error_logged_once(void **state)
{
	struct fixture *f = *state;
	const char bad[] = { (char)FAKE_HOST_ERROR, 'x', 0 };

	bring_up(f, MODERN);
	for (int i = 0; i < 3; i++) {
		uint16_t head = submit_echo(f, 0, bad, NULL);

		virtio_mmio_process_queue(&f->t, 0);
		expect_used(f, 0, head, 2); /* the request completed */
	}
	assert_int_equal(f->nlogs, 1);
	expect_log(f, 0, "the host disk failed");
	assert_int_equal(virtio_mmio_error_count(&f->t), 3);
	assert_false(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void test_indirect_needs_negotiation(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 8);
	const struct vdrv_buf bufs[] = { { buf, 4, false }, { buf + 4, 4, true } };
	uint16_t head;

	bring_up(f, MODERN | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC));
	memcpy(vdrv_ptr(&f->d, buf, 4), "ind!", 4);
	head = vdrv_chain_indirect(&f->d, 0, bufs, 2);
	vdrv_publish(&f->d, 0, head);
	virtio_mmio_process_queue(&f->t, 0);
	expect_used(f, 0, head, 4);
	assert_memory_equal(vdrv_ptr(&f->d, buf + 4, 4), "ind!", 4);
	/* Without the feature the same chain is a queue error. */
	bring_up(f, MODERN);
	head = vdrv_chain_indirect(&f->d, 0, bufs, 2);
	vdrv_publish(&f->d, 0, head);
	virtio_mmio_process_queue(&f->t, 0);
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	expect_log(f, 0, "VIRTIO_F_INDIRECT_DESC was not negotiated");
}

static void test_reset_mid_stream(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN);
	for (int i = 0; i < 3; i++)
		submit_echo(f, 0, "one", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 3);
	/* Two more are made available, then the driver resets before the device runs. */
	submit_echo(f, 0, "two", NULL);
	submit_echo(f, 0, "two", NULL);
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->resets, 2); /* the first was the driver's, before negotiating */
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 0);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(f->handled[0], 3);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 3);
	/* Negotiated features were forgotten: FEATURES_OK without writing them is refused. */
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, STATUS_FEATURES_OK);
	assert_false(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
}

/* --- notification suppression ----------------------------------------------------- */

static void test_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN);
	vdrv_set_avail_flags(&f->d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
	submit_echo(f, 0, "quiet", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 1);
	assert_int_equal(interrupts(f), 0);
	/* The device set no-notify while busy and cleared it when done (2.7.10). */
	assert_int_equal(vdrv_used_flags(&f->d, 0), 0);
	vdrv_set_avail_flags(&f->d, 0, 0);
	submit_echo(f, 0, "loud", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(interrupts(f), 1);
}

static void test_event_idx_suppression(void **state)
{
	struct fixture *f = *state;

	bring_up(f, MODERN | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
	/* The driver wants an interrupt only once the entry at used index 2 is written. */
	vdrv_set_used_event(&f->d, 0, 2);
	submit_echo(f, 0, "a", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(interrupts(f), 1); /* the first one always interrupts */
	submit_echo(f, 0, "b", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(interrupts(f), 1); /* used idx 1 -> 2: entry 1, not 2 */
	submit_echo(f, 0, "c", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(interrupts(f), 2); /* entry 2 written */
	submit_echo(f, 0, "d", NULL);
	virtio_mmio_process_queue(&f->t, 0);
	assert_int_equal(interrupts(f), 2);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 4);
	/* The device asks to be notified about the next entry it will take. */
	assert_int_equal(vdrv_avail_event(&f->d, 0), 4);
}

/* --- register misuse ---------------------------------------------------------------- */

static void test_bad_access_sizes(void **state)
{
	struct fixture *f = *state;
	uint8_t byte = 0x55;
	uint16_t half = htole16(VIRTIO_STATUS_ACKNOWLEDGE);
	uint32_t word;
	uint64_t wide = 0x1234;

	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_MAGIC_VALUE, &byte, 1), 0);
	assert_int_equal(byte, 0);
	assert_int_equal(virtio_mmio_bus_write(&f->t, VIRTIO_MMIO_STATUS, &half, 2), 0);
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_MAGIC_VALUE, &wide, 8), 0);
	assert_int_equal(wide, 0);
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_VERSION + 1, &word, 4), 0);
	assert_int_equal(word, 0);
	/* Size 3 is no access at all: nothing is read, nothing counted. */
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_MAGIC_VALUE, &word, 3), 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), 0);
	/* Write-only registers read as 0; read-only ones ignore writes. */
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY), 0);
	vdrv_write(&f->d, VIRTIO_MMIO_MAGIC_VALUE, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(f->nlogs, 1);
	expect_log(f, 0, "1-byte read at register offset 0x000");
	assert_int_equal(virtio_mmio_error_count(&f->t), 6);
}

static void test_config_write_ignored(void **state)
{
	struct fixture *f = *state;
	uint32_t value = 0xffffffff;
	uint8_t byte;

	assert_int_equal(virtio_mmio_bus_write(&f->t, VIRTIO_MMIO_CONFIG, &value, 4), 0);
	assert_int_equal(virtio_mmio_bus_read(&f->t, VIRTIO_MMIO_CONFIG, &byte, 1), 0);
	assert_int_equal(byte, 0x11);
	expect_log(f, 0, "write to config space");
}

/* --- the I/O thread ------------------------------------------------------------------ */

static void wait_interrupt(struct fixture *f)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_SECONDS;
	assert_int_equal(sem_timedwait(&f->interrupt_sem, &deadline), 0);
}

static void test_worker_thread(void **state)
{
	struct fixture *f = *state;
	uint16_t head;
	gpa_t reply;

	bring_up(f, MODERN);
	assert_int_equal(virtio_mmio_start(&f->t), 0);
	assert_int_equal(virtio_mmio_start(&f->t), -EBUSY);
	head = submit_echo(f, 1, "threaded", &reply);
	/* A QueueNotify exit: the transport writes the eventfd the thread waits on. */
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	wait_interrupt(f);
	expect_used(f, 1, head, 8);
	assert_memory_equal(vdrv_ptr(&f->d, reply, 8), "threaded", 8);
	/* As KVM_IOEVENTFD would: a plain eventfd write. */
	head = submit_echo(f, 0, "ioeventfd", NULL);
	assert_int_equal(eventfd_write(virtio_mmio_queue_notify_fd(&f->t, 0), 1), 0);
	wait_interrupt(f);
	expect_used(f, 0, head, 9);
	virtio_mmio_stop(&f->t);
	virtio_mmio_stop(&f->t); /* twice is fine */
}

struct reset_job {
	struct virtio_mmio *t;
	bool done; /* atomic */
};

static void *reset_thread(void *arg)
{
	struct reset_job *job = arg;
	uint32_t zero = 0;

	/* A vCPU writing Status = 0 (no cmocka asserts off the main thread). */
	virtio_mmio_bus_write(job->t, VIRTIO_MMIO_STATUS, &zero, sizeof(zero));
	__atomic_store_n(&job->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_reset_waits_for_request_in_flight(void **state)
{
	struct fixture *f = *state;
	struct reset_job job = { .t = &f->t };
	struct timespec pause = { 0, BLOCKED_CHECK_NS };
	pthread_t thread;
	uint16_t head;

	bring_up(f, MODERN);
	assert_int_equal(virtio_mmio_start(&f->t), 0);
	f->block = true;
	head = submit_echo(f, 0, "slow", NULL);
	submit_echo(f, 0, "next", NULL);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	pthread_mutex_lock(&f->block_lock);
	while (!f->entered)
		pthread_cond_wait(&f->block_cond, &f->block_lock);
	pthread_mutex_unlock(&f->block_lock);
	/* The device is inside a request: the reset must wait for it. */
	assert_int_equal(pthread_create(&thread, NULL, reset_thread, &job), 0);
	/* The reset asked the I/O thread to stop after this request... */
	for (int i = 0;
	     i < WAIT_SECONDS * 100 && !__atomic_load_n(&f->t.queues[0].quiesce, __ATOMIC_SEQ_CST);
	     i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_true(__atomic_load_n(&f->t.queues[0].quiesce, __ATOMIC_SEQ_CST));
	/* ... and waits for it. */
	nanosleep(&pause, NULL);
	assert_false(__atomic_load_n(&job.done, __ATOMIC_SEQ_CST));
	pthread_mutex_lock(&f->block_lock);
	f->release = true;
	pthread_cond_broadcast(&f->block_cond);
	pthread_mutex_unlock(&f->block_lock);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(job.done);
	/* The request in flight completed; the next one was never started. */
	expect_used(f, 0, head, 4);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 1);
	assert_int_equal(f->handled[0], 1);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), 0);
	virtio_mmio_stop(&f->t);
	assert_int_equal(f->handled[0], 1);
}

/* --- snapshots ------------------------------------------------------------------------ */

static void test_save_restore(void **state)
{
	struct fixture *f = *state;
	struct virtio_mmio_ops ops = { .interrupt = fake_interrupt, .log = fake_log, .opaque = f };
	struct virtio_mmio_state s, s2;
	struct virtio_mmio t2;
	uint16_t head;

	bring_up(f, MODERN | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
	for (int i = 0; i < 3; i++) {
		submit_echo(f, 0, "before", NULL);
		virtio_mmio_process_queue(&f->t, 0);
	}
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 1);
	save_paused(&f->t, &s);
	assert_int_equal(s.device_id, FAKE_ID);
	assert_int_equal(s.status, STATUS_LIVE);
	assert_int_equal(s.queues[0].ready, 1);
	assert_int_equal(s.queues[0].last_avail_idx, 3);
	assert_int_equal(s.queues[0].used_idx, 3);
	assert_int_equal(s.queue_sel, 1);
	for (int i = FAKE_QUEUES; i < VIRTIO_MMIO_QUEUES_MAX; i++)
		assert_int_equal(s.queues[i].num | s.queues[i].ready | s.queues[i].desc, 0);
	/* A second transport, as after loading a snapshot, carries on. */
	assert_int_equal(virtio_mmio_init(&t2, &f->mem, &f->dev, &ops), 0);
	assert_int_equal(virtio_mmio_restore(&t2, &s), 0);
	assert_int_equal(vdrv_drain_fd(virtio_mmio_queue_notify_fd(&t2, 0)), 1);
	f->d.t = &t2;
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_STATUS), STATUS_LIVE);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_READY), 1); /* queue 1 selected */
	head = submit_echo(f, 0, "after", NULL);
	virtio_mmio_process_queue(&t2, 0);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 4);
	for (int i = 0; i < 3; i++) {
		uint32_t id, len;

		assert_true(vdrv_take_used(&f->d, 0, &id, &len));
	}
	expect_used(f, 0, head, 5);
	save_paused(&t2, &s2);
	assert_int_equal(s2.queues[0].used_idx, 4);
	f->d.t = &f->t;
	virtio_mmio_destroy(&t2);
}

/* One way to spoil a good snapshot, and what the refusal says. */
struct bad_state {
	const char *name;
	void (*spoil)(struct virtio_mmio_state *s);
	const char *message;
};

static void spoil_device_id(struct virtio_mmio_state *s)
{
	s->device_id = VIRTIO_ID_BLOCK;
}

static void spoil_num_queues(struct virtio_mmio_state *s)
{
	s->num_queues = 1;
}

static void spoil_status(struct virtio_mmio_state *s)
{
	s->status |= 0x20;
}

static void spoil_interrupt_status(struct virtio_mmio_state *s)
{
	s->interrupt_status = 4;
}

static void spoil_features(struct virtio_mmio_state *s)
{
	s->driver_features |= VIRTIO_FEATURE(3);
}

static void spoil_driver_ok(struct virtio_mmio_state *s)
{
	s->status &= ~VIRTIO_STATUS_FEATURES_OK;
}

static void spoil_reserved(struct virtio_mmio_state *s)
{
	s->reserved = 1;
}

static void spoil_ready(struct virtio_mmio_state *s)
{
	s->queues[0].ready = 2;
}

static void spoil_used_ring(struct virtio_mmio_state *s)
{
	s->queues[0].device = MMIO_GPA;
}

static void spoil_queue_size(struct virtio_mmio_state *s)
{
	s->queues[0].num = FAKE_QSIZE * 2;
}

static void spoil_extra_queue(struct virtio_mmio_state *s)
{
	s->queues[FAKE_QUEUES].num = 8;
}

static void spoil_indices(struct virtio_mmio_state *s)
{
	s->queues[0].used_idx = 1000;
}

static const struct bad_state bad_states[] = {
	{ "device id", spoil_device_id, "device type 2" },
	{ "queue count", spoil_num_queues, "with 1 queues" },
	{ "status bit", spoil_status, "unknown status" },
	{ "interrupt bit", spoil_interrupt_status, "interrupt bits" },
	{ "feature not offered", spoil_features, "were not offered" },
	{ "reserved", spoil_reserved, "reserved field" },
	{ "DRIVER_OK without FEATURES_OK", spoil_driver_ok, "but not FEATURES_OK" },
	{ "ready flag", spoil_ready, "bad flags" },
	{ "used ring in MMIO", spoil_used_ring, "used ring at GPA 0xd0000000" },
	{ "queue too large", spoil_queue_size, "size 32 above 16" },
	{ "queue that does not exist", spoil_extra_queue, "state for queue 2" },
	{ "indices apart", spoil_indices, "indices 3 and 1000 apart" },
};

static void test_restore_rejects(void **state)
{
	const struct bad_state *row = *state;
	struct fixture *f;
	struct virtio_mmio_state s, after;

	assert_int_equal(setup((void **)&f), 0);
	bring_up(f, MODERN);
	for (int i = 0; i < 3; i++) {
		submit_echo(f, 0, "x", NULL);
		virtio_mmio_process_queue(&f->t, 0);
	}
	save_paused(&f->t, &s);
	row->spoil(&s);
	error_clear();
	assert_int_equal(virtio_mmio_restore(&f->t, &s), -EINVAL);
	assert_contains(error_message(), row->message);
	/* Refused before anything changed. */
	save_paused(&f->t, &after);
	assert_int_equal(after.status, STATUS_LIVE);
	assert_int_equal(after.queues[0].used_idx, 3);
	teardown((void **)&f);
}

/* A paused transport serves nothing (RAM, interrupts) until it resumes: a snapshot's state is whole. */
static void test_pause_holds_the_io_thread(void **state)
{
	struct fixture *f = *state;
	struct timespec wait = { .tv_nsec = BLOCKED_CHECK_NS };
	struct virtio_mmio_state s;
	uint16_t head;
	gpa_t reply;

	bring_up(f, MODERN);
	assert_int_equal(virtio_mmio_start(&f->t), 0);
	virtio_mmio_pause(&f->t);
	head = submit_echo(f, 0, "held", &reply);
	/* The guest's notification, as KVM_IOEVENTFD gives it: the vCPU needs no lock. */
	assert_int_equal(eventfd_write(virtio_mmio_queue_notify_fd(&f->t, 0), 1), 0);
	nanosleep(&wait, NULL);
	assert_int_equal(f->handled[0], 0);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 0);
	assert_int_equal(interrupts(f), 0);
	virtio_mmio_save(&f->t, &s);
	assert_int_equal(s.queues[0].last_avail_idx, 0);
	virtio_mmio_resume(&f->t);
	wait_interrupt(f);
	expect_used(f, 0, head, 4);
	assert_memory_equal(vdrv_ptr(&f->d, reply, 4), "held", 4);
	virtio_mmio_stop(&f->t);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identification),
		T(test_device_features_and_config),
		T(test_handshake),
		T(test_features_ok_refused_without_version_1),
		T(test_features_ok_refused_for_unoffered_bits),
		T(test_driver_features_frozen_after_features_ok),
		T(test_driver_ok_needs_features_ok),
		T(test_status_bits_cannot_be_cleared),
		T(test_request_and_interrupt),
		T(test_no_service_before_driver_ok),
		T(test_queue_notify_writes_eventfd),
		T(test_queue_ready_refuses_used_ring_in_mmio),
		T(test_queue_ready_refuses_bad_sizes),
		T(test_queue_ready_refuses_misaligned_rings),
		T(test_queue_registers_frozen_while_ready),
		T(test_queue_ready_zero_stops_service),
		T(test_hostile_chain_needs_reset),
		T(test_device_queue_error),
		T(test_host_error_logged_once),
		T(test_indirect_needs_negotiation),
		T(test_reset_mid_stream),
		T(test_no_interrupt_flag),
		T(test_event_idx_suppression),
		T(test_bad_access_sizes),
		T(test_config_write_ignored),
		T(test_worker_thread),
		T(test_reset_waits_for_request_in_flight),
		T(test_save_restore),
		T(test_pause_holds_the_io_thread),
	};
	struct CMUnitTest rejects[ARRAY_SIZE(bad_states)];

	for (size_t i = 0; i < ARRAY_SIZE(bad_states); i++)
		rejects[i] = (struct CMUnitTest){ .name = bad_states[i].name,
						  .test_func = test_restore_rejects,
						  .initial_state = (void *)&bad_states[i] };
	return cmocka_run_group_tests(tests, NULL, NULL) |
	       cmocka_run_group_tests_name("restore rejects", rejects, NULL, NULL);
}
