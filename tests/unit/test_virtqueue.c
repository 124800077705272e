/* SPDX-License-Identifier: MIT */
/* Unit tests of the split virtqueue (src/virtio/virtqueue.c) against virtio 1.2, 2.7, with fake RAM. */
#include "unit.h"

#include <endian.h>
#include <errno.h>

#include "error.h"
#include "virtio/virtio.h"
#include "virtio/virtqueue.h"
#include "virtio_driver.h"

#define QSIZE 8
/* A GPA in the 32-bit MMIO hole: never RAM. */
#define MMIO_GPA 0xd0000000ULL

/* The fake driver (no transport) and the device's queue. */
struct fixture {
	struct guest_memory mem;
	struct vdrv d;
	struct virtq vq;
	struct virtq_chain chain;
};

static int setup_features(void **state, uint64_t features)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vdrv_queue *q;

	if (!f || guest_memory_init(&f->mem, VDRV_RAM_SIZE)) {
		free(f);
		return -1;
	}
	vdrv_init(&f->d, &f->mem, NULL);
	q = &f->d.q[0];
	q->size = QSIZE;
	q->desc = VDRV_RINGS;
	q->avail = q->desc + VIRTQ_DESC_TABLE_SIZE(QSIZE);
	q->used = (q->avail + VIRTQ_AVAIL_RING_SIZE(QSIZE) + 3) & ~3ULL;
	if (virtq_init(&f->vq, &f->mem, QSIZE, q->desc, q->avail, q->used, features)) {
		guest_memory_destroy(&f->mem);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_features(state, VIRTIO_FEATURE(VIRTIO_F_VERSION_1));
}

static int setup_indirect(void **state)
{
	return setup_features(state, VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC));
}

static int setup_event_idx(void **state)
{
	return setup_features(state, VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_memory_destroy(&f->mem);
	free(f);
	return 0;
}

/* Pop and expect a queue error whose message contains text; the queue stays broken. */
static void expect_queue_error(struct fixture *f, const char *text)
{
	error_clear();
	assert_true(virtq_pop(&f->vq, &f->chain) < 0);
	assert_contains(error_message(), text);
	assert_true(f->vq.broken);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), -EIO);
	assert_int_equal(virtq_push(&f->vq, 0, 0), -EIO);
}

/* --- layout ------------------------------------------------------------------ */

static void test_layout_accepts_good_queue(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtq_check_layout(&f->mem, 256, 0x10000, 0x11000, 0x12000), 0);
	/* The largest queue, right at the end of RAM. */
	assert_int_equal(virtq_check_layout(&f->mem, VIRTQ_SIZE_MAX, 0x100000, 0x80000,
					    VDRV_RAM_SIZE - 0x40008),
			 0);
}

static void test_layout_refuses_bad_sizes(void **state)
{
	struct fixture *f = *state;
	const uint32_t sizes[] = { 0, 3, 6, 100, VIRTQ_SIZE_MAX * 2, 0xffffffff };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		error_clear();
		assert_int_equal(virtq_check_layout(&f->mem, sizes[i], 0x10000, 0x11000, 0x12000),
				 -EINVAL);
		assert_contains(error_message(), "power of 2");
	}
}

static void test_layout_refuses_misalignment(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtq_check_layout(&f->mem, 8, 0x10008, 0x11000, 0x12000), -EINVAL);
	assert_contains(error_message(), "descriptor table");
	assert_int_equal(virtq_check_layout(&f->mem, 8, 0x10000, 0x11001, 0x12000), -EINVAL);
	assert_contains(error_message(), "available ring");
	assert_int_equal(virtq_check_layout(&f->mem, 8, 0x10000, 0x11000, 0x12002), -EINVAL);
	assert_contains(error_message(), "used ring");
}

static void test_layout_refuses_rings_outside_ram(void **state)
{
	struct fixture *f = *state;

	/* A used ring in MMIO space. */
	assert_int_equal(virtq_check_layout(&f->mem, 8, 0x10000, 0x11000, MMIO_GPA), -EINVAL);
	assert_contains(error_message(), "used ring at GPA 0xd0000000");
	assert_contains(error_message(), "not guest RAM");
	/* A descriptor table that runs off the end of RAM. */
	assert_int_equal(
		virtq_check_layout(&f->mem, 256, VDRV_RAM_SIZE - 16 * 128, 0x11000, 0x12000),
		-EINVAL);
	assert_contains(error_message(), "descriptor table");
	/* An available ring whose end wraps past 2^64. */
	assert_int_equal(virtq_check_layout(&f->mem, 8, 0x10000, 0xfffffffffffffff0ULL, 0x12000),
			 -EINVAL);
	assert_contains(error_message(), "available ring");
	/* virtq_init refuses the same and leaves the queue broken. */
	assert_int_equal(virtq_init(&f->vq, &f->mem, 8, 0x10000, 0x11000, MMIO_GPA, 0), -EINVAL);
	assert_true(f->vq.broken);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), -EIO);
}

/* --- normal operation -------------------------------------------------------- */

static void test_pop_empty_ring(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtq_pop(&f->vq, &f->chain), 0);
	assert_false(f->vq.broken);
}

static void test_pop_chain_and_push(void **state)
{
	struct fixture *f = *state;
	gpa_t out = vdrv_alloc(&f->d, 100), in = vdrv_alloc(&f->d, 300);
	const struct vdrv_buf bufs[] = { { out, 100, false },
					 { in, 200, true },
					 { in + 200, 100, true } };
	uint32_t id, len;
	uint16_t head = vdrv_submit(&f->d, 0, bufs, 3);

	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.head, head);
	assert_int_equal(f->chain.nout, 1);
	assert_int_equal(f->chain.nin, 2);
	assert_int_equal(f->chain.out_len, 100);
	assert_int_equal(f->chain.in_len, 300);
	assert_ptr_equal(f->chain.iov[0].iov_base, vdrv_ptr(&f->d, out, 100));
	assert_ptr_equal(virtq_chain_in(&f->chain)[1].iov_base, vdrv_ptr(&f->d, in + 200, 100));
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 0);
	assert_false(vdrv_take_used(&f->d, 0, &id, &len));
	assert_int_equal(virtq_push(&f->vq, head, 42), 0);
	assert_true(vdrv_take_used(&f->d, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 42);
	assert_int_equal(vdrv_used_idx(&f->d, 0), 1);
	/* A head outside the queue is refused without breaking it. */
	assert_int_equal(virtq_push(&f->vq, QSIZE, 0), -EINVAL);
	assert_false(f->vq.broken);
}

static void test_indices_wrap_at_65536(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 16);
	const struct vdrv_buf b = { buf, 16, true };
	uint32_t id, len;

	/* Both sides just below the wrap. */
	f->vq.last_avail_idx = f->vq.used_idx = 65534;
	f->d.q[0].avail_idx = f->d.q[0].last_used = 65534;
	*(uint16_t *)vdrv_ptr(&f->d, f->d.q[0].avail + 2, 2) = htole16(65534);
	*(uint16_t *)vdrv_ptr(&f->d, f->d.q[0].used + 2, 2) = htole16(65534);
	for (int i = 0; i < 4; i++) {
		uint16_t head = vdrv_submit(&f->d, 0, &b, 1);

		assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
		assert_int_equal(f->chain.head, head);
		assert_int_equal(virtq_push(&f->vq, head, 16), 0);
		assert_true(vdrv_take_used(&f->d, 0, &id, &len));
		assert_int_equal(id, head);
	}
	assert_int_equal(vdrv_used_idx(&f->d, 0), 2);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 0);
}

static void test_full_ring_and_longest_chain(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf bufs[QSIZE];

	/* One chain using every descriptor: allowed (2.7.5.3.1: not longer than the queue). */
	for (int i = 0; i < QSIZE; i++)
		bufs[i] = (struct vdrv_buf){ vdrv_alloc(&f->d, 8), 8, i >= 4 };
	vdrv_submit(&f->d, 0, bufs, QSIZE);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.nout, 4);
	assert_int_equal(f->chain.nin, 4);
	/* A full available ring: size entries outstanding is fine. */
	for (int i = 0; i < QSIZE; i++)
		vdrv_submit(&f->d, 0, &bufs[4], 1);
	for (int i = 0; i < QSIZE; i++)
		assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 0);
}

static void test_zero_length_descriptors_are_skipped(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 32);
	/* A zero-length descriptor may even point outside RAM: it describes no bytes. */
	const struct vdrv_buf bufs[] = { { buf, 32, false },
					 { MMIO_GPA, 0, true },
					 { buf, 0, true } };

	vdrv_submit(&f->d, 0, bufs, 3);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.nout, 1);
	assert_int_equal(f->chain.nin, 0);
	assert_int_equal(f->chain.in_len, 0);
}

static void test_descriptor_is_read_once(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 64);
	const struct vdrv_buf b = { buf, 64, true };
	uint16_t head = vdrv_submit(&f->d, 0, &b, 1);

	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	/* The driver rewrites the descriptor afterwards: the chain keeps what was checked. */
	vdrv_put_desc(&f->d, f->d.q[0].desc, head, MMIO_GPA, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	assert_ptr_equal(f->chain.iov[0].iov_base, vdrv_ptr(&f->d, buf, 64));
	assert_int_equal(f->chain.iov[0].iov_len, 64);
}

/* --- hostile chains ---------------------------------------------------------- */

static void test_head_outside_queue(void **state)
{
	struct fixture *f = *state;

	vdrv_publish(&f->d, 0, QSIZE);
	expect_queue_error(f, "head 8 is outside the queue");
}

static void test_next_outside_queue(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 16);

	vdrv_put_desc(&f->d, f->d.q[0].desc, 0, buf, 16, VIRTQ_DESC_F_NEXT, 1000);
	vdrv_publish(&f->d, 0, 0);
	expect_queue_error(f, "next 1000 is outside the table");
}

static void test_chain_loop(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 16);

	vdrv_put_desc(&f->d, f->d.q[0].desc, 0, buf, 16, VIRTQ_DESC_F_NEXT, 1);
	vdrv_put_desc(&f->d, f->d.q[0].desc, 1, buf, 16, VIRTQ_DESC_F_NEXT, 0);
	vdrv_publish(&f->d, 0, 0);
	expect_queue_error(f, "a loop?");
}

static void test_self_loop(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 16);

	vdrv_put_desc(&f->d, f->d.q[0].desc, 3, buf, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	vdrv_publish(&f->d, 0, 3);
	expect_queue_error(f, "longer than its table of 8");
}

static void test_buffer_outside_ram(void **state)
{
	struct fixture *f = *state;
	const struct vdrv_buf b = { MMIO_GPA, 512, true };

	vdrv_submit(&f->d, 0, &b, 1);
	expect_queue_error(f, "buffer at GPA 0xd0000000 (512 bytes) is not guest RAM");
}

static void test_buffer_straddles_end_of_ram(void **state)
{
	struct fixture *f = *state;
	const struct vdrv_buf b = { VDRV_RAM_SIZE - 256, 512, false };

	vdrv_submit(&f->d, 0, &b, 1);
	expect_queue_error(f, "not guest RAM");
}

static void test_buffer_address_wraps(void **state)
{
	struct fixture *f = *state;
	/* addr + len wraps past 2^64 into low RAM: guest_ptr's arithmetic must not. */
	const struct vdrv_buf b = { 0xffffffffffffff00ULL, 0x1000, false };

	vdrv_submit(&f->d, 0, &b, 1);
	expect_queue_error(f, "not guest RAM");
}

static void test_total_length_over_4_gib(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, VIRTQ_CHAIN_MAX * VIRTQ_DESC_SIZE);

	/*
	 * 1024 descriptors each covering all 4 MiB of RAM: 2^32 bytes, one more than a used
	 * length can say. Each is RAM; only the total is wrong, and it must not wrap.
	 */
	for (uint16_t i = 0; i < VIRTQ_CHAIN_MAX; i++)
		vdrv_put_desc(&f->d, table, i, 0, VDRV_RAM_SIZE,
			      i + 1 < VIRTQ_CHAIN_MAX ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	vdrv_put_desc(&f->d, f->d.q[0].desc, 0, table, VIRTQ_CHAIN_MAX * VIRTQ_DESC_SIZE,
		      VIRTQ_DESC_F_INDIRECT, 0);
	vdrv_publish(&f->d, 0, 0);
	expect_queue_error(f, "longer than 4294967295 bytes");
}

static void test_longest_indirect_chain(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, VIRTQ_CHAIN_MAX * VIRTQ_DESC_SIZE);

	/* VIRTQ_CHAIN_MAX buffers of 4 MiB - 1 bytes: just under the byte limit. */
	for (uint16_t i = 0; i < VIRTQ_CHAIN_MAX; i++)
		vdrv_put_desc(&f->d, table, i, 1, VDRV_RAM_SIZE - 1,
			      i + 1 < VIRTQ_CHAIN_MAX ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	vdrv_put_desc(&f->d, f->d.q[0].desc, 0, table, VIRTQ_CHAIN_MAX * VIRTQ_DESC_SIZE,
		      VIRTQ_DESC_F_INDIRECT, 0);
	vdrv_publish(&f->d, 0, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.nout, VIRTQ_CHAIN_MAX);
	assert_int_equal(f->chain.out_len, (uint64_t)VIRTQ_CHAIN_MAX * (VDRV_RAM_SIZE - 1));
}

static void test_readable_after_writable(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 32);
	const struct vdrv_buf bufs[] = { { buf, 16, true }, { buf + 16, 16, false } };

	vdrv_submit(&f->d, 0, bufs, 2);
	expect_queue_error(f, "device-readable after device-writable");
}

static void test_avail_index_jump(void **state)
{
	struct fixture *f = *state;

	*(uint16_t *)vdrv_ptr(&f->d, f->d.q[0].avail + 2, 2) = htole16(QSIZE + 1);
	expect_queue_error(f, "available index jumped from 0 to 9");
}

static void test_avail_index_backwards(void **state)
{
	struct fixture *f = *state;

	/* "Decrementing" idx reads as a jump of 65535 entries. */
	*(uint16_t *)vdrv_ptr(&f->d, f->d.q[0].avail + 2, 2) = htole16(0xffff);
	expect_queue_error(f, "more than the queue size");
}

static void test_used_ring_rechecked_on_use(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 16);
	const struct vdrv_buf b = { buf, 16, true };
	uint16_t head = vdrv_submit(&f->d, 0, &b, 1);

	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	/* As if the memory map had changed since QueueReady. */
	f->vq.used = MMIO_GPA;
	error_clear();
	assert_int_equal(virtq_push(&f->vq, head, 16), -EFAULT);
	assert_contains(error_message(), "used ring at GPA 0xd0000000");
	assert_true(f->vq.broken);
}

static void test_indirect_without_feature(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 16);
	const struct vdrv_buf b = { buf, 16, true };

	vdrv_chain_indirect(&f->d, 0, &b, 1);
	vdrv_publish(&f->d, 0, 0);
	expect_queue_error(f, "VIRTIO_F_INDIRECT_DESC was not negotiated");
}

/* --- indirect descriptors (VIRTIO_F_INDIRECT_DESC negotiated) ---------------- */

static void test_indirect_chain(void **state)
{
	struct fixture *f = *state;
	gpa_t out = vdrv_alloc(&f->d, 16), in = vdrv_alloc(&f->d, 4096);
	/* Longer than the queue: an indirect table is limited by its own size. */
	struct vdrv_buf bufs[QSIZE + 4];
	uint16_t head;

	bufs[0] = (struct vdrv_buf){ out, 16, false };
	for (int i = 1; i < QSIZE + 4; i++)
		bufs[i] = (struct vdrv_buf){ in + 256 * (i - 1), 256, true };
	head = vdrv_chain_indirect(&f->d, 0, bufs, QSIZE + 4);
	vdrv_publish(&f->d, 0, head);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.head, head);
	assert_int_equal(f->chain.nout, 1);
	assert_int_equal(f->chain.nin, QSIZE + 3);
	assert_int_equal(f->chain.in_len, 256 * (QSIZE + 3));
	assert_ptr_equal(virtq_chain_in(&f->chain)[2].iov_base, vdrv_ptr(&f->d, in + 512, 256));
}

static void test_direct_then_indirect(void **state)
{
	struct fixture *f = *state;
	gpa_t hdr = vdrv_alloc(&f->d, 16), in = vdrv_alloc(&f->d, 64);
	gpa_t table = vdrv_alloc(&f->d, 2 * VIRTQ_DESC_SIZE);

	/* 2.7.5.3.2: normal descriptors followed by one indirect descriptor is valid. */
	vdrv_put_desc(&f->d, table, 0, in, 32, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vdrv_put_desc(&f->d, table, 1, in + 32, 32, VIRTQ_DESC_F_WRITE, 0);
	vdrv_put_desc(&f->d, f->d.q[0].desc, 5, hdr, 16, VIRTQ_DESC_F_NEXT, 6);
	/* The WRITE flag on the descriptor of a table is ignored (2.7.5.3.2). */
	vdrv_put_desc(&f->d, f->d.q[0].desc, 6, table, 2 * VIRTQ_DESC_SIZE,
		      VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	vdrv_publish(&f->d, 0, 5);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.head, 5);
	assert_int_equal(f->chain.nout, 1);
	assert_int_equal(f->chain.nin, 2);
	assert_int_equal(f->chain.in_len, 64);
}

/* Publish descriptor 0 pointing at a table with the given length and flags. */
static void publish_table(struct fixture *f, gpa_t table, uint32_t len, uint16_t flags)
{
	vdrv_put_desc(&f->d, f->d.q[0].desc, 0, table, len, VIRTQ_DESC_F_INDIRECT | flags, 1);
	vdrv_publish(&f->d, 0, 0);
}

static void test_nested_indirect(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, 2 * VIRTQ_DESC_SIZE);

	vdrv_put_desc(&f->d, table, 0, table, 2 * VIRTQ_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
	publish_table(f, table, 2 * VIRTQ_DESC_SIZE, 0);
	expect_queue_error(f, "inside an indirect table");
}

static void test_indirect_with_next(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, VIRTQ_DESC_SIZE);

	publish_table(f, table, VIRTQ_DESC_SIZE, VIRTQ_DESC_F_NEXT);
	expect_queue_error(f, "both INDIRECT and NEXT");
}

static void test_indirect_bad_lengths(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, 64);

	publish_table(f, table, 24, 0);
	expect_queue_error(f, "length 24 is not a non-zero multiple of 16");
}

static void test_indirect_zero_length(void **state)
{
	struct fixture *f = *state;

	publish_table(f, vdrv_alloc(&f->d, 16), 0, 0);
	expect_queue_error(f, "length 0");
}

static void test_indirect_table_too_large(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, (VIRTQ_CHAIN_MAX + 1) * VIRTQ_DESC_SIZE);

	publish_table(f, table, (VIRTQ_CHAIN_MAX + 1) * VIRTQ_DESC_SIZE, 0);
	expect_queue_error(f, "1025 descriptors");
}

static void test_indirect_table_outside_ram(void **state)
{
	struct fixture *f = *state;

	publish_table(f, MMIO_GPA, 4 * VIRTQ_DESC_SIZE, 0);
	expect_queue_error(f, "indirect table of descriptor 0 at GPA 0xd0000000");
}

static void test_indirect_loop(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, 3 * VIRTQ_DESC_SIZE), buf = vdrv_alloc(&f->d, 8);

	vdrv_put_desc(&f->d, table, 0, buf, 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_put_desc(&f->d, table, 1, buf, 8, VIRTQ_DESC_F_NEXT, 2);
	vdrv_put_desc(&f->d, table, 2, buf, 8, VIRTQ_DESC_F_NEXT, 0);
	publish_table(f, table, 3 * VIRTQ_DESC_SIZE, 0);
	expect_queue_error(f, "longer than its indirect table of 3");
}

static void test_indirect_next_outside_table(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, 2 * VIRTQ_DESC_SIZE), buf = vdrv_alloc(&f->d, 8);

	/* next 5 is inside the queue's table but outside this 2-entry indirect table. */
	vdrv_put_desc(&f->d, table, 0, buf, 8, VIRTQ_DESC_F_NEXT, 5);
	publish_table(f, table, 2 * VIRTQ_DESC_SIZE, 0);
	expect_queue_error(f, "next 5 is outside the table of 2");
}

static void test_indirect_buffer_outside_ram(void **state)
{
	struct fixture *f = *state;
	gpa_t table = vdrv_alloc(&f->d, VIRTQ_DESC_SIZE);

	vdrv_put_desc(&f->d, table, 0, VDRV_RAM_SIZE, 1, VIRTQ_DESC_F_WRITE, 0);
	publish_table(f, table, VIRTQ_DESC_SIZE, 0);
	expect_queue_error(f, "indirect descriptor 0: buffer at GPA 0x400000");
}

/* --- notification suppression ------------------------------------------------ */

static void test_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 8);
	const struct vdrv_buf b = { buf, 8, true };

	vdrv_submit(&f->d, 0, &b, 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(virtq_push(&f->vq, f->chain.head, 8), 0);
	assert_int_equal(virtq_should_interrupt(&f->vq), 1);
	vdrv_set_avail_flags(&f->d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_should_interrupt(&f->vq), 0);
}

static void test_no_notify_flag(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 8);
	const struct vdrv_buf b = { buf, 8, true };

	assert_int_equal(virtq_notify_disable(&f->vq), 0);
	assert_int_equal(vdrv_used_flags(&f->d, 0), VIRTQ_USED_F_NO_NOTIFY);
	assert_int_equal(virtq_notify_enable(&f->vq), 0);
	assert_int_equal(vdrv_used_flags(&f->d, 0), 0);
	/* A buffer made available while notifications were off is seen on enable. */
	assert_int_equal(virtq_notify_disable(&f->vq), 0);
	vdrv_submit(&f->d, 0, &b, 1);
	assert_int_equal(virtq_notify_enable(&f->vq), 1);
}

static void test_event_idx_interrupts(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 8);
	const struct vdrv_buf b = { buf, 8, true };
	int interrupts[6];

	/* The driver wants an interrupt once the entry at index 3 is written. */
	vdrv_set_used_event(&f->d, 0, 3);
	/* Flags are ignored with EVENT_IDX (2.7.7.2). */
	vdrv_set_avail_flags(&f->d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
	for (int i = 0; i < 6; i++) {
		vdrv_submit(&f->d, 0, &b, 1);
		assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
		assert_int_equal(virtq_push(&f->vq, f->chain.head, 8), 0);
		interrupts[i] = virtq_should_interrupt(&f->vq);
	}
	/* The first check always interrupts; then only as used idx goes from 3 to 4. */
	assert_int_equal(interrupts[0], 1);
	assert_int_equal(interrupts[1], 0);
	assert_int_equal(interrupts[2], 0);
	assert_int_equal(interrupts[3], 1);
	assert_int_equal(interrupts[4], 0);
	assert_int_equal(interrupts[5], 0);
	/* Several pushes between two checks: crossing used_event inside the batch counts. */
	vdrv_set_used_event(&f->d, 0, 7);
	for (int i = 0; i < 3; i++) {
		vdrv_submit(&f->d, 0, &b, 1);
		assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
		assert_int_equal(virtq_push(&f->vq, f->chain.head, 8), 0);
	}
	assert_int_equal(virtq_should_interrupt(&f->vq), 1);
	/* Nothing pushed since: no interrupt. */
	assert_int_equal(virtq_should_interrupt(&f->vq), 0);
}

static void test_event_idx_avail_event(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 8);
	const struct vdrv_buf b = { buf, 8, true };

	/* With EVENT_IDX, disable leaves the flags alone and enable writes avail_event. */
	assert_int_equal(virtq_notify_disable(&f->vq), 0);
	assert_int_equal(vdrv_used_flags(&f->d, 0), 0);
	vdrv_submit(&f->d, 0, &b, 1);
	vdrv_submit(&f->d, 0, &b, 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(virtq_notify_enable(&f->vq), 1); /* one still waiting */
	assert_int_equal(vdrv_avail_event(&f->d, 0), 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(virtq_notify_enable(&f->vq), 0);
	assert_int_equal(vdrv_avail_event(&f->d, 0), 2);
}

/* The driver's side of 2.7.10: notify when the new idx passes avail_event (Linux's
 * vring_need_event()). */
static bool driver_must_notify(uint16_t avail_event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - avail_event - 1) < (uint16_t)(new_idx - old_idx);
}

static void test_event_idx_enable_at_after_unpop(void **state)
{
	struct fixture *f = *state;
	gpa_t buf = vdrv_alloc(&f->d, 8);
	const struct vdrv_buf b = { buf, 8, true };

	/* Two chains seen (the ring then empty), both given back: still available. */
	vdrv_submit(&f->d, 0, &b, 1);
	vdrv_submit(&f->d, 0, &b, 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 0);
	virtq_unpop(&f->vq, 2);
	/* Plain enable asks for entry 0, which the driver published: it would not notify. */
	assert_int_equal(virtq_notify_enable(&f->vq), 1);
	assert_false(driver_must_notify(vdrv_avail_event(&f->d, 0), 3, 2));
	/* enable_at(2): nothing past 2 yet, and the driver's next entry does notify. */
	assert_int_equal(virtq_notify_enable_at(&f->vq, 2), 0);
	assert_int_equal(vdrv_avail_event(&f->d, 0), 2);
	assert_true(driver_must_notify(vdrv_avail_event(&f->d, 0), 3, 2));
	vdrv_submit(&f->d, 0, &b, 1);
	assert_int_equal(virtq_notify_enable_at(&f->vq, 2), 1);
	/* The given-back chains come first again. */
	assert_int_equal(virtq_pop(&f->vq, &f->chain), 1);
}

/* --- iovec helpers ----------------------------------------------------------- */

static void test_iov_helpers(void **state)
{
	uint8_t a[3] = { 1, 2, 3 }, b[4] = { 4, 5, 6, 7 }, c[2] = { 8, 9 }, out[9];
	const struct iovec iov[] = { { a, 3 }, { b, 4 }, { c, 2 } };
	const uint8_t data[] = { 0xa0, 0xa1, 0xa2 };
	struct iovec slice[3];

	(void)state;
	assert_int_equal(virtq_iov_to_buf(iov, 3, 2, out, 5), 5);
	assert_memory_equal(out, ((uint8_t[]){ 3, 4, 5, 6, 7 }), 5);
	/* Past the end: only what there is. */
	assert_int_equal(virtq_iov_to_buf(iov, 3, 7, out, 9), 2);
	assert_int_equal(virtq_iov_to_buf(iov, 3, 20, out, 9), 0);
	assert_int_equal(virtq_iov_from_buf(iov, 3, 6, data, 3), 3);
	assert_int_equal(b[3], 0xa0);
	assert_int_equal(c[0], 0xa1);
	assert_int_equal(c[1], 0xa2);
	assert_int_equal(virtq_iov_slice(iov, 3, 1, 7, slice, 3), 3);
	assert_ptr_equal(slice[0].iov_base, a + 1);
	assert_int_equal(slice[0].iov_len, 2);
	assert_int_equal(slice[1].iov_len, 4);
	assert_int_equal(slice[2].iov_len, 1);
	assert_int_equal(virtq_iov_slice(iov, 3, 3, 4, slice, 3), 1);
	assert_ptr_equal(slice[0].iov_base, b);
	assert_int_equal(virtq_iov_slice(iov, 3, 0, 0, slice, 3), 0);
	assert_int_equal(virtq_iov_slice(iov, 3, 0, 9, slice, 2), 2); /* out is full */
}

#define T(name)	 cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TI(name) cmocka_unit_test_setup_teardown(name, setup_indirect, teardown)
#define TE(name) cmocka_unit_test_setup_teardown(name, setup_event_idx, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_layout_accepts_good_queue),
		T(test_layout_refuses_bad_sizes),
		T(test_layout_refuses_misalignment),
		T(test_layout_refuses_rings_outside_ram),
		T(test_pop_empty_ring),
		T(test_pop_chain_and_push),
		T(test_indices_wrap_at_65536),
		T(test_full_ring_and_longest_chain),
		T(test_zero_length_descriptors_are_skipped),
		T(test_descriptor_is_read_once),
		T(test_head_outside_queue),
		T(test_next_outside_queue),
		T(test_chain_loop),
		T(test_self_loop),
		T(test_buffer_outside_ram),
		T(test_buffer_straddles_end_of_ram),
		T(test_buffer_address_wraps),
		T(test_readable_after_writable),
		T(test_avail_index_jump),
		T(test_avail_index_backwards),
		T(test_used_ring_rechecked_on_use),
		T(test_indirect_without_feature),
		TI(test_indirect_chain),
		TI(test_direct_then_indirect),
		TI(test_nested_indirect),
		TI(test_indirect_with_next),
		TI(test_indirect_bad_lengths),
		TI(test_indirect_zero_length),
		TI(test_indirect_table_too_large),
		TI(test_indirect_table_outside_ram),
		TI(test_indirect_loop),
		TI(test_indirect_next_outside_table),
		TI(test_indirect_buffer_outside_ram),
		TI(test_total_length_over_4_gib),
		TI(test_longest_indirect_chain),
		T(test_no_interrupt_flag),
		T(test_no_notify_flag),
		TE(test_event_idx_interrupts),
		TE(test_event_idx_avail_event),
		TE(test_event_idx_enable_at_after_unpop),
		T(test_iov_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
