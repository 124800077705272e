/* SPDX-License-Identifier: MIT */
/* A small virtio driver for unit tests: register handshake, split rings in fake guest RAM. */
#ifndef MINI_KVM_TEST_VIRTIO_DRIVER_H
#define MINI_KVM_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"
#include "virtio/virtio_mmio.h"

/* Fake guest RAM for virtio tests, and where the driver puts things in it. */
#define VDRV_RAM_SIZE	(4 * 1024 * 1024)
#define VDRV_RINGS	0x10000 /* queue q's rings at VDRV_RINGS + q * VDRV_RING_SPAN */
#define VDRV_RING_SPAN	0x10000
#define VDRV_HEAP	0x100000 /* buffers and indirect tables, bump-allocated */
#define VDRV_HEAP_END	VDRV_RAM_SIZE
#define VDRV_QUEUES_MAX 4

/* One buffer of a chain the test builds. */
struct vdrv_buf {
	gpa_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

/* One queue as the driver sees it. */
struct vdrv_queue {
	uint16_t size;
	gpa_t desc, avail, used;
	uint16_t avail_idx; /* the driver's next available ring index */
	uint16_t last_used; /* used entries the driver has consumed */
	uint16_t next_desc; /* next free descriptor (round robin) */
};

struct vdrv {
	struct guest_memory *mem;
	struct virtio_mmio *t;
	gpa_t heap; /* next free heap byte */
	struct vdrv_queue q[VDRV_QUEUES_MAX];
};

/* Start a driver for transport t over mem (rings not set up yet). */
void vdrv_init(struct vdrv *d, struct guest_memory *mem, struct virtio_mmio *t);

/* 32-bit register access through the transport's bus handlers (fails the test on -errno). */
uint32_t vdrv_read(struct vdrv *d, uint64_t offset);
void vdrv_write(struct vdrv *d, uint64_t offset, uint32_t value);

/*
 * Reset, ACKNOWLEDGE, DRIVER, read the device features, accept features, FEATURES_OK
 * (virtio 1.2, 3.1.1). Returns the status read back (FEATURES_OK set or not).
 */
uint32_t vdrv_negotiate(struct vdrv *d, uint64_t features);

/* The 64-bit DeviceFeatures. */
uint64_t vdrv_device_features(struct vdrv *d);

/* Lay out queue q (size entries) in RAM, zeroed, tell the device, QueueReady = 1. */
void vdrv_setup_queue(struct vdrv *d, unsigned int q, uint16_t size);

/* Tell the device where queue q is without making it ready (for hostile layouts). */
void vdrv_queue_registers(struct vdrv *d, unsigned int q, uint32_t num, gpa_t desc, gpa_t avail,
			  gpa_t used);

/* Set DRIVER_OK on top of the current status. */
void vdrv_driver_ok(struct vdrv *d);

/* Bump-allocate len bytes of zeroed guest RAM (16-byte aligned). */
gpa_t vdrv_alloc(struct vdrv *d, uint64_t len);

/* Host pointer to guest RAM (fails the test if not RAM). */
void *vdrv_ptr(struct vdrv *d, gpa_t gpa, uint64_t len);

/* Write descriptor i of the table at table. */
void vdrv_put_desc(struct vdrv *d, gpa_t table, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);

/* Build a chain of n buffers in the descriptor table of queue q; returns its head. */
uint16_t vdrv_chain(struct vdrv *d, unsigned int q, const struct vdrv_buf *bufs, unsigned int n);

/* Build an indirect table of n buffers and a one-descriptor chain pointing at it. */
uint16_t vdrv_chain_indirect(struct vdrv *d, unsigned int q, const struct vdrv_buf *bufs,
			     unsigned int n);

/* Put head in the available ring of queue q and publish it (avail idx + 1). */
void vdrv_publish(struct vdrv *d, unsigned int q, uint16_t head);

/* Build, publish, return the head. */
uint16_t vdrv_submit(struct vdrv *d, unsigned int q, const struct vdrv_buf *bufs, unsigned int n);

/* Take the next used entry of queue q: true with id and len, false if none. */
bool vdrv_take_used(struct vdrv *d, unsigned int q, uint32_t *id, uint32_t *len);

/* The used ring's idx as the device wrote it. */
uint16_t vdrv_used_idx(struct vdrv *d, unsigned int q);

/* Ring fields the driver writes: avail flags, used_event; and avail_event (device's). */
void vdrv_set_avail_flags(struct vdrv *d, unsigned int q, uint16_t flags);
void vdrv_set_used_event(struct vdrv *d, unsigned int q, uint16_t event);
uint16_t vdrv_avail_event(struct vdrv *d, unsigned int q);
uint16_t vdrv_used_flags(struct vdrv *d, unsigned int q);

/* Read and clear a notify eventfd: its count (0 if it was not written). */
uint64_t vdrv_drain_fd(int fd);

#endif
