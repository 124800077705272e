/* SPDX-License-Identifier: MIT */
/* virtio-rng, the entropy device (virtio 1.2, 5.4): random bytes from the host's getrandom(). */
#ifndef MINI_KVM_VIRTIO_RNG_H
#define MINI_KVM_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtio/virtio_mmio.h"

/* QueueNumMax of the one request queue (Linux keeps one buffer in it). */
#define VIRTIO_RNG_QUEUE_SIZE 64
/*
 * The most bytes given for one request. The device MAY use less than the buffer
 * (5.4.6.2), so a guest asking for a gigabyte cannot keep the I/O thread busy.
 */
#define VIRTIO_RNG_REQUEST_MAX 65536

/* Where the bytes come from: getrandom(2)'s shape. Tests put their own here. */
typedef ssize_t (*virtio_rng_source_fn)(void *buf, size_t len, unsigned int flags);

/*
 * An entropy device. It has no state the guest can see besides the transport's
 * (virtio_mmio_save() covers a snapshot); bytes is a statistic. Used by the I/O
 * thread only.
 */
struct virtio_rng {
	virtio_rng_source_fn source; /* getrandom() unless a test says otherwise */
	uint64_t bytes;		     /* random bytes given to the guest so far */
};

/* A device reading the host's getrandom() (flags 0: the host pool is ready after boot). */
void virtio_rng_init(struct virtio_rng *rng);

/*
 * Describe rng to the transport: device ID 4, one request queue, no features, no
 * config space. Each chain gets random bytes from the start of its device-writable
 * part, up to VIRTIO_RNG_REQUEST_MAX; device-readable buffers (which the driver MUST
 * NOT give, 5.4.6.1) are skipped. A chain without writable room completes with length
 * 0. A failing source ends the request early (logged once when it gave nothing).
 */
void virtio_rng_device(struct virtio_rng *rng, struct virtio_device *dev);

#endif
