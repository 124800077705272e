/* SPDX-License-Identifier: MIT */
/* Unit tests of virtio-net (src/virtio/virtio_net.c) against virtio 1.2, 5.1, with a fake backend. */
#include "unit.h"

#include <errno.h>

#include "virtio/virtio.h"
#include "virtio/virtio_net.h"
#include "virtio_driver.h"

#define MODERN	  VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define MRG	  VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF)
#define CSUM	  VIRTIO_FEATURE(VIRTIO_NET_F_CSUM)
#define FILL	  0xcc /* what buffers hold before the device writes them */
#define FRAME_MAX (NET_HDR_LEN + NET_FRAME_MAX)
#define RXQ	  VIRTIO_NET_RXQ
#define TXQ	  VIRTIO_NET_TXQ

static const uint8_t test_mac[NET_ETH_ADDR_LEN] = { 0x02, 0x4d, 0x4b, 0x00, 0x00, 0x07 };

/* The fake backend: records what is sent, says -EAGAIN while full. */
struct fake_backend {
	struct net_backend be;
	bool full;
	unsigned int sent;
	size_t last_len;
	uint8_t last[256];
	unsigned int offloads;
	unsigned int set_offloads_calls;
};

struct fixture {
	struct guest_memory mem;
	struct fake_backend fb;
	struct virtio_net net;
	struct virtio_device dev;
	struct virtio_mmio t;
	struct vdrv d;
	unsigned int nlogs;
};

static int fake_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	struct fake_backend *fb = (struct fake_backend *)be;
	size_t len = 0;

	if (fb->full)
		return -EAGAIN;
	for (unsigned int i = 0; i < n; i++) {
		size_t room = sizeof(fb->last) - len;
		size_t c = iov[i].iov_len < room ? iov[i].iov_len : room;

		memcpy(fb->last + len, iov[i].iov_base, c);
		len += c;
	}
	fb->last_len = len;
	fb->sent++;
	return 0;
}

static int fake_set_offloads(struct net_backend *be, unsigned int offloads)
{
	struct fake_backend *fb = (struct fake_backend *)be;

	fb->offloads = offloads;
	fb->set_offloads_calls++;
	return 0;
}

static void fake_log(void *opaque, const char *message)
{
	struct fixture *f = opaque;

	(void)message;
	f->nlogs++;
}

/* A NIC on a fake backend (with offloads or not), not yet negotiated. */
static struct fixture *make(bool offloads)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct virtio_mmio_ops ops = { .log = fake_log, .opaque = f };

	assert_non_null(f);
	assert_int_equal(guest_memory_init(&f->mem, VDRV_RAM_SIZE), 0);
	f->fb.be = (struct net_backend){ .name = "fake",
					 .offloads = offloads,
					 .send = fake_send,
					 .set_offloads = fake_set_offloads };
	assert_int_equal(virtio_net_init(&f->net, test_mac, &f->fb.be), 0);
	virtio_net_device(&f->net, &f->dev);
	assert_int_equal(virtio_mmio_init(&f->t, &f->mem, &f->dev, &ops), 0);
	virtio_net_attach(&f->net, &f->t);
	virtio_net_start(&f->net);
	vdrv_init(&f->d, &f->mem, &f->t);
	return f;
}

/* Negotiate features, set up both queues, DRIVER_OK. */
static void bring_up(struct fixture *f, uint64_t features)
{
	assert_true(vdrv_negotiate(&f->d, MODERN | features) & VIRTIO_STATUS_FEATURES_OK);
	vdrv_setup_queue(&f->d, RXQ, VIRTIO_NET_QUEUE_SIZE);
	vdrv_setup_queue(&f->d, TXQ, VIRTIO_NET_QUEUE_SIZE);
	vdrv_driver_ok(&f->d);
}

static int setup_mrg(void **state)
{
	struct fixture *f = make(false);

	bring_up(f, MRG);
	*state = f;
	return 0;
}

static int setup_mrg_event_idx(void **state)
{
	struct fixture *f = make(false);

	bring_up(f, MRG | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
	*state = f;
	return 0;
}

static int setup_plain(void **state)
{
	struct fixture *f = make(false);

	bring_up(f, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_mmio_destroy(&f->t);
	virtio_net_destroy(&f->net);
	guest_memory_destroy(&f->mem);
	free(f);
	return 0;
}

static struct vdrv_buf buffer(struct fixture *f, uint32_t len, bool write)
{
	gpa_t gpa = vdrv_alloc(&f->d, len);

	memset(vdrv_ptr(&f->d, gpa, len), FILL, len);
	return (struct vdrv_buf){ gpa, len, write };
}

/* A frame from the network: a zero header and len bytes of Ethernet frame, byte i = i. */
static int offer(struct fixture *f, uint32_t len)
{
	static uint8_t frame[NET_FRAME_MAX + 16];
	uint8_t hdr[NET_HDR_LEN] = { 0 };
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { frame, len } };

	for (uint32_t i = 0; i < len; i++)
		frame[i] = (uint8_t)i;
	return virtio_net_receive(&f->net, iov, 2);
}

static uint16_t num_buffers(const uint8_t *hdr)
{
	return (uint16_t)(hdr[10] | hdr[11] << 8);
}

static void test_identification_and_config(void **state)
{
	struct fixture *f = make(false);
	uint64_t features = vdrv_device_features(&f->d);
	uint32_t word;

	(void)state;
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	assert_true(features & VIRTIO_FEATURE(VIRTIO_NET_F_MAC));
	assert_true(features & VIRTIO_FEATURE(VIRTIO_NET_F_STATUS));
	assert_true(features & MRG);
	/* slirp-like backend: no offloads offered. */
	assert_false(features & CSUM);
	assert_false(features & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM));
	assert_false(features & VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4));
	assert_false(features & VIRTIO_FEATURE(VIRTIO_NET_F_CTRL_VQ));
	/* Config space: the MAC, then status = LINK_UP (5.1.4). */
	word = vdrv_read(&f->d, VIRTIO_MMIO_CONFIG);
	assert_int_equal(word, 0x004b4d02);
	word = vdrv_read(&f->d, VIRTIO_MMIO_CONFIG + 4);
	assert_int_equal(word, 0x00010700);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	*state = f;
}

static void test_offloads_with_tap_like_backend(void **state)
{
	struct fixture *f = make(true);
	uint64_t features = vdrv_device_features(&f->d);
	uint64_t guest =
		VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4);

	*state = f;
	assert_true(features & CSUM);
	assert_true(features & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM));
	assert_true(features & VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO6));
	assert_true(features & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO6));
	bring_up(f, guest | MRG);
	/* DRIVER_OK tells the backend what the guest takes; a reset takes it back. */
	assert_int_equal(f->fb.offloads, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4);
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->fb.offloads, 0);
}

static void test_transmit(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b[2] = { buffer(f, NET_HDR_LEN, false), buffer(f, 60, false) };
	uint8_t *frame = vdrv_ptr(&f->d, b[1].gpa, 60);
	uint32_t id, len;
	uint16_t head;

	memset(vdrv_ptr(&f->d, b[0].gpa, NET_HDR_LEN), 0, NET_HDR_LEN);
	frame[0] = 0xab;
	head = vdrv_submit(&f->d, TXQ, b, 2);
	virtio_mmio_process_queue(&f->t, TXQ);
	assert_true(vdrv_take_used(&f->d, TXQ, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_int_equal(f->fb.sent, 1);
	/* The backend gets the header and the frame as one packet. */
	assert_int_equal(f->fb.last_len, NET_HDR_LEN + 60);
	assert_int_equal(f->fb.last[NET_HDR_LEN], 0xab);
	assert_int_equal(f->net.stats.tx_frames, 1);
}

/* Malformed transmit chains: completed, dropped and counted; the device keeps working. */
static void test_transmit_malformed(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf tiny = buffer(f, NET_HDR_LEN + 3, false);
	struct vdrv_buf huge = buffer(f, FRAME_MAX + 1, false);
	struct vdrv_buf csum = buffer(f, NET_HDR_LEN + 60, false);
	uint32_t id, len;

	memset(vdrv_ptr(&f->d, csum.gpa, csum.len), 0, csum.len);
	/* NEEDS_CSUM without VIRTIO_NET_F_CSUM negotiated (5.1.6.2.1). */
	*(uint8_t *)vdrv_ptr(&f->d, csum.gpa, 1) = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memset(vdrv_ptr(&f->d, huge.gpa, NET_HDR_LEN), 0, NET_HDR_LEN);
	vdrv_submit(&f->d, TXQ, &tiny, 1);
	vdrv_submit(&f->d, TXQ, &huge, 1);
	vdrv_submit(&f->d, TXQ, &csum, 1);
	virtio_mmio_process_queue(&f->t, TXQ);
	for (int i = 0; i < 3; i++) {
		assert_true(vdrv_take_used(&f->d, TXQ, &id, &len));
		assert_int_equal(len, 0);
	}
	assert_int_equal(f->fb.sent, 0);
	assert_int_equal(f->net.stats.tx_dropped, 3);
	assert_false(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* A full backend keeps the chain available until it says send_ready. */
static void test_transmit_backpressure(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, NET_HDR_LEN + 60, false);
	uint32_t id, len;

	memset(vdrv_ptr(&f->d, b.gpa, b.len), 0, b.len);
	f->fb.full = true;
	vdrv_submit(&f->d, TXQ, &b, 1);
	virtio_mmio_process_queue(&f->t, TXQ);
	assert_false(vdrv_take_used(&f->d, TXQ, &id, &len));
	assert_int_equal(f->fb.sent, 0);
	/* Again: still there, still not lost. */
	virtio_mmio_process_queue(&f->t, TXQ);
	assert_false(vdrv_take_used(&f->d, TXQ, &id, &len));
	f->fb.full = false;
	vdrv_drain_fd(virtio_mmio_queue_notify_fd(&f->t, TXQ));
	virtio_net_send_ready(&f->net);
	assert_int_equal(vdrv_drain_fd(virtio_mmio_queue_notify_fd(&f->t, TXQ)), 1);
	virtio_mmio_process_queue(&f->t, TXQ);
	assert_true(vdrv_take_used(&f->d, TXQ, &id, &len));
	assert_int_equal(f->fb.sent, 1);
}

static void test_receive_one_buffer(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, 2048, true);
	const uint8_t *p = vdrv_ptr(&f->d, b.gpa, b.len);
	uint32_t id, len;
	uint16_t head = vdrv_submit(&f->d, RXQ, &b, 1);

	vdrv_drain_fd(virtio_mmio_queue_notify_fd(&f->t, RXQ));
	assert_int_equal(offer(f, 100), 0);
	/* The offer kicked the receive queue. */
	assert_int_equal(vdrv_drain_fd(virtio_mmio_queue_notify_fd(&f->t, RXQ)), 1);
	virtio_net_process_rx(&f->net);
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, NET_HDR_LEN + 100);
	assert_int_equal(num_buffers(p), 1);
	assert_int_equal(p[0], 0);
	assert_int_equal(p[NET_HDR_LEN + 99], 99);
	assert_int_equal(p[NET_HDR_LEN + 100], FILL);
	assert_int_equal(f->net.stats.rx_frames, 1);
}

/* MRG_RXBUF: one frame over several buffers, num_buffers in the first (5.1.6.4). */
static void test_receive_merged(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b[3] = { buffer(f, 100, true), buffer(f, 100, true), buffer(f, 100, true) };
	const uint8_t *p0 = vdrv_ptr(&f->d, b[0].gpa, 100);
	const uint8_t *p2 = vdrv_ptr(&f->d, b[2].gpa, 100);
	uint32_t id, len, total = 0;
	uint16_t heads[3];

	for (int i = 0; i < 3; i++)
		heads[i] = vdrv_submit(&f->d, RXQ, &b[i], 1);
	assert_int_equal(offer(f, 250), 0);
	virtio_net_process_rx(&f->net);
	for (int i = 0; i < 3; i++) {
		assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
		assert_int_equal(id, heads[i]);
		total += len;
	}
	assert_int_equal(total, NET_HDR_LEN + 250);
	assert_int_equal(num_buffers(p0), 3);
	/* Byte 250 - 1 of the frame is the 262nd of the packet: in the third buffer. */
	assert_int_equal(p2[NET_HDR_LEN + 250 - 1 - 200], 249);
}

/* No buffers: the frame waits (nothing lost), and goes out when buffers come. */
static void test_receive_waits_for_buffers(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf small = buffer(f, 100, true), more = buffer(f, 100, true);
	uint32_t id, len;

	assert_int_equal(offer(f, 150), 0);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	/* One buffer is not enough for 162 bytes: taken back, nothing used. */
	vdrv_submit(&f->d, RXQ, &small, 1);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	/* The device asked for notifications (EVENT_IDX off: flags 0). */
	assert_int_equal(vdrv_used_flags(&f->d, RXQ) & VIRTQ_USED_F_NO_NOTIFY, 0);
	vdrv_submit(&f->d, RXQ, &more, 1);
	virtio_net_process_rx(&f->net);
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_int_equal(f->net.stats.rx_frames, 1);
	assert_int_equal(f->net.stats.rx_dropped, 0);
}

/*
 * The same with EVENT_IDX, as Linux negotiates it: the buffer given back is still
 * available, so the notification asked for must be of the driver's next one
 * (avail_event = its avail idx, 2.7.10). Asking for the given-back entry, which the
 * driver has passed, meant no notification ever came: receiving stopped for good
 * (a tap's 64 KiB TSO frames over several merged buffers did it).
 */
static void test_receive_waits_for_buffers_event_idx(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf small = buffer(f, 100, true), more = buffer(f, 100, true);
	uint16_t event;
	uint32_t id, len;

	assert_int_equal(offer(f, 150), 0);
	vdrv_submit(&f->d, RXQ, &small, 1);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	/* The driver's next entry (index 1) moves its idx from 1 to 2: it must notify. */
	event = vdrv_avail_event(&f->d, RXQ);
	assert_int_equal(event, 1);
	assert_true((uint16_t)(2 - event - 1) < (uint16_t)(2 - 1));
	vdrv_submit(&f->d, RXQ, &more, 1);
	virtio_net_process_rx(&f->net);
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_int_equal(f->net.stats.rx_frames, 1);
}

/* The pending list is bounded: the backend is told to wait, then waits no more at stop. */
static void test_receive_backpressure_bounded(void **state)
{
	struct fixture *f = *state;
	uint32_t id, len;

	for (int i = 0; i < VIRTIO_NET_RX_PENDING; i++)
		assert_int_equal(offer(f, 60), 0);
	assert_int_equal(offer(f, 60), -EAGAIN);
	assert_int_equal(f->net.npending, VIRTIO_NET_RX_PENDING);
	/* One buffer: one frame out, room for one more. */
	struct vdrv_buf b = buffer(f, 2048, true);
	vdrv_submit(&f->d, RXQ, &b, 1);
	virtio_net_process_rx(&f->net);
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_int_equal(virtio_net_wait_room(&f->net), 0);
	assert_int_equal(offer(f, 60), 0);
	assert_int_equal(offer(f, 60), -EAGAIN);
	virtio_net_stop(&f->net);
	assert_int_equal(virtio_net_wait_room(&f->net), -ECANCELED);
}

/* Without MRG_RXBUF a frame larger than the buffer is dropped; the buffer stays. */
static void test_receive_oversized_for_buffer(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, 200, true);
	uint32_t id, len;

	vdrv_submit(&f->d, RXQ, &b, 1);
	assert_int_equal(offer(f, 500), 0);
	assert_int_equal(offer(f, 100), 0);
	virtio_net_process_rx(&f->net);
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, NET_HDR_LEN + 100);
	assert_int_equal(num_buffers(vdrv_ptr(&f->d, b.gpa, 12)), 1);
	assert_int_equal(f->net.stats.rx_dropped, 1);
	assert_int_equal(f->net.stats.rx_frames, 1);
}

/* Frames larger than any Ethernet frame, or shorter than a header, never queue. */
static void test_receive_malformed_frames(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(offer(f, NET_FRAME_MAX + 1), 0);
	assert_int_equal(offer(f, 3), 0);
	assert_int_equal(f->net.npending, 0);
	assert_int_equal(f->net.stats.rx_dropped, 2);
	/* The largest frame is fine. */
	assert_int_equal(offer(f, NET_FRAME_MAX), 0);
	assert_int_equal(f->net.npending, 1);
}

/* A receive buffer too small for the header is a queue error, not a crash (5.1.6.3.1). */
static void test_receive_buffer_smaller_than_header(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, 4, true);
	uint32_t id, len;

	vdrv_submit(&f->d, RXQ, &b, 1);
	assert_int_equal(offer(f, 60), 0);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(f->nlogs, 1);
	/* A reset drops the frames the old driver never took. */
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->net.npending, 0);
}

/* A device-readable-only chain on the receive queue: no writable bytes: queue error. */
static void test_receive_readable_chain(void **state)
{
	struct fixture *f = *state;
	struct vdrv_buf b = buffer(f, 2048, false);
	uint32_t id, len;

	vdrv_submit(&f->d, RXQ, &b, 1);
	assert_int_equal(offer(f, 60), 0);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* The frame was not written into the readable buffer. */
	assert_int_equal(*(uint8_t *)vdrv_ptr(&f->d, b.gpa, 1), FILL);
}

/* Before DRIVER_OK nothing is delivered; DRIVER_OK kicks the queue. */
static void test_receive_before_driver_ok(void **state)
{
	struct fixture *f = make(false);
	struct vdrv_buf b;
	uint32_t id, len;

	*state = f;
	assert_true(vdrv_negotiate(&f->d, MODERN | MRG) & VIRTIO_STATUS_FEATURES_OK);
	vdrv_setup_queue(&f->d, RXQ, VIRTIO_NET_QUEUE_SIZE);
	vdrv_setup_queue(&f->d, TXQ, VIRTIO_NET_QUEUE_SIZE);
	b = buffer(f, 2048, true);
	vdrv_submit(&f->d, RXQ, &b, 1);
	assert_int_equal(offer(f, 60), 0);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	vdrv_drain_fd(virtio_mmio_queue_notify_fd(&f->t, RXQ));
	vdrv_driver_ok(&f->d);
	assert_int_equal(vdrv_drain_fd(virtio_mmio_queue_notify_fd(&f->t, RXQ)), 1);
	virtio_net_process_rx(&f->net);
	assert_true(vdrv_take_used(&f->d, RXQ, &id, &len));
}

/* A hostile available index on the receive queue breaks the queue, nothing else. */
static void test_receive_hostile_avail_index(void **state)
{
	struct fixture *f = *state;
	uint16_t *idx = vdrv_ptr(&f->d, f->d.q[RXQ].avail + 2, 2);
	uint32_t id, len;

	*idx = 1000; /* more chains than the ring holds */
	assert_int_equal(offer(f, 60), 0);
	virtio_net_process_rx(&f->net);
	assert_false(vdrv_take_used(&f->d, RXQ, &id, &len));
	assert_true(vdrv_read(&f->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_identification_and_config, teardown),
		cmocka_unit_test_teardown(test_offloads_with_tap_like_backend, teardown),
		cmocka_unit_test_setup_teardown(test_transmit, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(test_transmit_malformed, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(test_transmit_backpressure, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(test_receive_one_buffer, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(test_receive_merged, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(test_receive_waits_for_buffers, setup_mrg,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive_waits_for_buffers_event_idx,
						setup_mrg_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_receive_backpressure_bounded, setup_mrg,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive_oversized_for_buffer, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive_malformed_frames, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(test_receive_buffer_smaller_than_header, setup_mrg,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive_readable_chain, setup_mrg, teardown),
		cmocka_unit_test_teardown(test_receive_before_driver_ok, teardown),
		cmocka_unit_test_setup_teardown(test_receive_hostile_avail_index, setup_mrg,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
