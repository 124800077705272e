/* SPDX-License-Identifier: MIT */
/* libFuzzer target: fuzzer bytes become guest RAM holding a split virtqueue; pop/push loop. */
/*
 * Input: a 16-byte header, then an image copied to guest RAM at GPA 0.
 *   byte 0      queue size: 1 << (byte % 13), 1 to 4096
 *   byte 1      bit 0: VIRTIO_F_INDIRECT_DESC, bit 1: VIRTIO_F_EVENT_IDX
 *   byte 2      rounds of pop / push / suppression checks: byte % 64 + 1
 *   byte 3      reserved
 *   bytes 4-15  le32 GPAs of the descriptor table, available ring and used ring
 * Checks: no sanitizer report; every segment virtq_pop() returns lies in guest RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "virtio/virtio.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE    (1024 * 1024)
#define HEADER_SIZE 16
#define SIZE_SHIFTS 13
#define ROUNDS_MAX  64

static struct guest_memory mem;
static struct virtq_chain chain;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The device side of one chain: touch every byte it was given, as a device would. */
static uint32_t use_chain(const struct virtq_chain *c)
{
	const uint8_t *ram = mem.map;
	uint8_t sum = 0;

	if (c->nout + c->nin > VIRTQ_CHAIN_MAX)
		__builtin_trap();
	for (unsigned int i = 0; i < c->nout + c->nin; i++) {
		const uint8_t *p = c->iov[i].iov_base;

		if (p < ram || c->iov[i].iov_len > RAM_SIZE ||
		    p + c->iov[i].iov_len > ram + RAM_SIZE)
			__builtin_trap();
		if (i < c->nout)
			for (size_t j = 0; j < c->iov[i].iov_len; j += 64)
				sum += p[j];
		else
			memset(c->iov[i].iov_base, sum, c->iov[i].iov_len);
	}
	return c->in_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq vq;
	uint64_t features = 0;
	unsigned int rounds;

	if (!mem.map && guest_memory_init(&mem, RAM_SIZE))
		__builtin_trap();
	if (size < HEADER_SIZE)
		return 0;
	memset(mem.map, 0, RAM_SIZE);
	memcpy(mem.map, data + HEADER_SIZE,
	       size - HEADER_SIZE < RAM_SIZE ? size - HEADER_SIZE : RAM_SIZE);
	if (data[1] & 1)
		features |= VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC);
	if (data[1] & 2)
		features |= VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX);
	rounds = data[2] % ROUNDS_MAX + 1;
	if (virtq_init(&vq, &mem, 1u << (data[0] % SIZE_SHIFTS), le32(data + 4), le32(data + 8),
		       le32(data + 12), features) < 0)
		return 0;
	for (unsigned int i = 0; i < rounds; i++) {
		int ret;

		if (virtq_notify_disable(&vq) < 0)
			break;
		ret = virtq_pop(&vq, &chain);
		if (ret < 0)
			break;
		if (ret == 0) {
			if (virtq_notify_enable(&vq) <= 0)
				break;
			continue;
		}
		if (virtq_push(&vq, chain.head, use_chain(&chain)) < 0)
			break;
		if (virtq_should_interrupt(&vq) < 0)
			break;
	}
	return 0;
}
