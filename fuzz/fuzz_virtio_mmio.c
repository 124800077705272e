/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a sequence of virtio-mmio register accesses, guest RAM pokes and queue runs. */
/*
 * Input: 8-byte records { u8 op, u8 arg, le16 offset, le32 value }; op % 4 selects:
 *   0  register write of value at offset % 0x200, 1 << (arg % 4) bytes
 *   1  register read at offset % 0x200, 1 << (arg % 4) bytes
 *   2  guest RAM poke: le32 value at GPA (arg << 16 | offset) % RAM, rounded down to 4
 *   3  serve queue value % 2 (the I/O thread's work, done inline)
 * The device is virtio-rng with a deterministic entropy source. At the end the state is
 * saved, restored and saved again: both snapshots must agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "error.h"
#include "memory.h"
#include "virtio/virtio_mmio.h"
#include "virtio/virtio_rng.h"

#define RAM_SIZE    (1024 * 1024)
#define RECORD_SIZE 8
#define POKE_SIZE   4

static struct guest_memory mem;

/* Save t's state as a snapshot does: paused. */
static void save_paused(struct virtio_mmio *t, struct virtio_mmio_state *out)
{
	virtio_mmio_pause(t);
	virtio_mmio_save(t, out);
	virtio_mmio_resume(t);
}

static ssize_t fixed_source(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	memset(buf, 0xab, len);
	return (ssize_t)len;
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
	struct virtio_mmio_state before, after;
	struct virtio_device dev;
	struct virtio_rng rng;
	struct virtio_mmio t;

	if (!mem.map && guest_memory_init(&mem, RAM_SIZE))
		__builtin_trap();
	memset(mem.map, 0, RAM_SIZE);
	virtio_rng_init(&rng);
	rng.source = fixed_source;
	virtio_rng_device(&rng, &dev);
	if (virtio_mmio_init(&t, &mem, &dev, &ops) < 0)
		__builtin_trap();
	for (size_t at = 0; at + RECORD_SIZE <= size; at += RECORD_SIZE) {
		const uint8_t *r = data + at;
		uint32_t offset = (uint32_t)(r[2] | r[3] << 8);
		uint32_t value = (uint32_t)r[4] | (uint32_t)r[5] << 8 | (uint32_t)r[6] << 16 |
				 (uint32_t)r[7] << 24;
		uint8_t buf[8];
		uint64_t gpa;

		switch (r[0] % 4) {
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
		default:
			virtio_mmio_process_queue(&t, value % 2);
			break;
		}
	}
	save_paused(&t, &before);
	if (virtio_mmio_restore(&t, &before) < 0) {
		fprintf(stderr, "restore of a saved state failed: %s\n", error_message());
		__builtin_trap();
	}
	save_paused(&t, &after);
	if (memcmp(&before, &after, sizeof(before))) {
		for (size_t i = 0; i < sizeof(before); i++)
			if (((uint8_t *)&before)[i] != ((uint8_t *)&after)[i])
				fprintf(stderr, "snapshot byte %zu: 0x%02x then 0x%02x\n", i,
					((uint8_t *)&before)[i], ((uint8_t *)&after)[i]);
		__builtin_trap();
	}
	virtio_mmio_destroy(&t);
	return 0;
}
