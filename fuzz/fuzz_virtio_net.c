/* SPDX-License-Identifier: MIT */
/* libFuzzer target: virtio-net driven by register accesses, RAM pokes, frames and queue runs. */
/*
 * Input: 8-byte records { u8 op, u8 arg, le16 offset, le32 value }; op % 6 selects:
 *   0  register write of value at offset % 0x200, 1 << (arg % 4) bytes
 *   1  register read at offset % 0x200, 1 << (arg % 4) bytes
 *   2  guest RAM poke: le32 value at GPA (arg << 16 | offset) % RAM, rounded down to 4
 *   3  serve the transmit queue (the I/O thread's work, done inline)
 *   4  a frame from the network of value % (NET_HDR_LEN + NET_FRAME_MAX + 2) bytes
 *   5  serve the receive queue
 * The backend alternately takes frames and says it is full. The pending list must never
 * hold more than VIRTIO_NET_RX_PENDING frames.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "virtio/virtio_mmio.h"
#include "virtio/virtio_net.h"

#define RAM_SIZE    (1024 * 1024)
#define RECORD_SIZE 8
#define POKE_SIZE   4
#define FRAME_SPAN  (NET_HDR_LEN + NET_FRAME_MAX + 2)

static struct guest_memory mem;
static uint8_t frame[FRAME_SPAN];
static unsigned int sends;

static int fake_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	size_t len = 0;

	(void)be;
	for (unsigned int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len > NET_HDR_LEN + NET_FRAME_MAX)
		__builtin_trap(); /* the device must have dropped it */
	return sends++ % 3 == 2 ? -EAGAIN : 0;
}

static void no_interrupt(void *opaque)
{
	(void)opaque;
}

static void no_log(void *opaque, const char *message)
{
	(void)opaque;
	(void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct virtio_mmio_ops ops = { .interrupt = no_interrupt, .log = no_log };
	static const uint8_t mac[NET_ETH_ADDR_LEN] = { 2, 0x4d, 0x4b, 0, 0, 1 };
	struct net_backend be = { .name = "fuzz", .send = fake_send };
	struct virtio_device dev;
	struct virtio_net net;
	struct virtio_mmio t;

	if (!mem.map && guest_memory_init(&mem, RAM_SIZE))
		__builtin_trap();
	memset(mem.map, 0, RAM_SIZE);
	sends = 0;
	virtio_net_init(&net, mac, &be);
	virtio_net_device(&net, &dev);
	if (virtio_mmio_init(&t, &mem, &dev, &ops) < 0)
		__builtin_trap();
	virtio_net_attach(&net, &t);
	virtio_net_start(&net);
	for (size_t at = 0; at + RECORD_SIZE <= size; at += RECORD_SIZE) {
		const uint8_t *r = data + at;
		uint32_t offset = (uint32_t)(r[2] | r[3] << 8);
		uint32_t value = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 |
				 (uint32_t)r[7] << 24;
		struct iovec iov;
		uint8_t buf[8];
		uint64_t gpa;

		switch (r[0] % 6) {
		case 0:
			memcpy(buf, &value, sizeof(value));
			memset(buf + 4, 0, 4);
			virtio_mmio_bus_write(&t, offset % VIRTIO_MMIO_SIZE, buf, 1u << (r[1] % 4));
			break;
		case 1:
			virtio_mmio_bus_read(&t, offset % VIRTIO_MMIO_SIZE, buf, 1u << (r[1] % 4));
			break;
		case 2:
			gpa = (((uint64_t)r[1] << 16 | offset) % RAM_SIZE) &
			      ~(uint64_t)(POKE_SIZE - 1);
			memcpy(mem.map + gpa, &value, POKE_SIZE);
			break;
		case 3:
			virtio_mmio_process_queue(&t, VIRTIO_NET_TXQ);
			break;
		case 4:
			memset(frame, r[1], sizeof(frame));
			iov = (struct iovec){ frame, value % FRAME_SPAN };
			virtio_net_receive(&net, &iov, 1);
			break;
		default:
			virtio_net_process_rx(&net);
			break;
		}
		if (net.npending > VIRTIO_NET_RX_PENDING)
			__builtin_trap();
	}
	virtio_net_stop(&net);
	virtio_mmio_destroy(&t);
	virtio_net_destroy(&net);
	return 0;
}
