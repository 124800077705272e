/* SPDX-License-Identifier: MIT */
/* The device side of a split virtqueue (virtio 1.2, 2.7) over checked guest memory. */
#ifndef MINI_KVM_VIRTQUEUE_H
#define MINI_KVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "memory.h"

/*
 * The most segments (descriptors with a buffer) one chain may have. The spec lets a
 * device set "a reasonable limit of descriptors it will allow in a chain" (2.7.4.1);
 * this one is Linux's IOV_MAX, so that any chain's data fits one preadv()/pwritev().
 * A chain is also limited to the queue size, or to its indirect table's size.
 */
#define VIRTQ_CHAIN_MAX 1024

/* The most bytes one chain may describe: the used ring's len field is 32-bit (2.7.8). */
#define VIRTQ_CHAIN_BYTES_MAX UINT32_MAX

/* Sizes in guest memory (2.7: 16 * size; 6 + 2 * size; 6 + 8 * size, event fields included). */
#define VIRTQ_DESC_SIZE		    16
#define VIRTQ_DESC_TABLE_SIZE(size) ((uint64_t)VIRTQ_DESC_SIZE * (size))
#define VIRTQ_AVAIL_RING_SIZE(size) (6 + 2 * (uint64_t)(size))
#define VIRTQ_USED_ELEM_SIZE	    8
#define VIRTQ_USED_RING_SIZE(size)  (6 + (uint64_t)VIRTQ_USED_ELEM_SIZE * (size))

/*
 * One descriptor chain taken from the available ring, its buffers translated to host
 * pointers: iov[0, nout) are device-readable, iov[nout, nout + nin) device-writable
 * (the order 2.7.4.2 requires of the driver, checked by virtq_pop()). Zero-length
 * descriptors get no iov entry.
 */
struct virtq_chain {
	uint16_t head;	   /* the head descriptor's index: what goes back in the used ring */
	unsigned int nout; /* device-readable segments */
	unsigned int nin;  /* device-writable segments */
	uint32_t out_len;  /* bytes in the device-readable segments */
	uint32_t in_len;   /* bytes in the device-writable segments */
	struct iovec iov[VIRTQ_CHAIN_MAX];
};

/*
 * A split virtqueue, device side. Not thread-safe: its owner (the transport) serializes
 * every call. All guest memory is reached through guest_ptr() on each access, so a ring
 * or buffer that is not RAM is refused rather than touched.
 */
struct virtq {
	const struct guest_memory *mem;
	uint16_t size;		   /* queue size: entries in each ring, a power of 2 */
	gpa_t desc;		   /* GPA of the descriptor table (Descriptor Area) */
	gpa_t avail;		   /* GPA of the available ring (Driver Area) */
	gpa_t used;		   /* GPA of the used ring (Device Area) */
	bool event_idx;		   /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;		   /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint16_t last_avail_idx;   /* the next available ring entry to take (free-running) */
	uint16_t used_idx;	   /* the used ring's idx as the device last wrote it */
	uint16_t signalled_used;   /* used_idx when interrupt suppression was last evaluated */
	bool signalled_used_valid; /* false until the first evaluation after init */
	bool broken;		   /* a queue error happened: every call fails until init */
};

/*
 * Check that a queue of size entries with its three parts at desc, avail and used can
 * be used: size a power of 2 from 1 to VIRTQ_SIZE_MAX, each part aligned as 2.7 requires
 * (16, 2, 4) and wholly in guest RAM (so never in MMIO space).
 * Returns 0, or -EINVAL with a message saying which part is wrong.
 */
int virtq_check_layout(const struct guest_memory *mem, uint32_t size, gpa_t desc, gpa_t avail,
		       gpa_t used);

/*
 * Make vq a fresh queue (indices 0, not broken) over mem after virtq_check_layout().
 * features: the negotiated feature bits (VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC are
 * used). Returns 0 or virtq_check_layout()'s error (vq is then zeroed and broken).
 */
int virtq_init(struct virtq *vq, const struct guest_memory *mem, uint32_t size, gpa_t desc,
	       gpa_t avail, gpa_t used, uint64_t features);

/* Change the negotiated features of a live queue (at DRIVER_OK). */
void virtq_set_features(struct virtq *vq, uint64_t features);

/*
 * Take the next available descriptor chain into *chain (virtio 1.2, 2.7.5, 2.7.6).
 * Returns 1 with *chain filled, 0 when the available ring is empty, or a queue error
 * (-EINVAL, -EFAULT, -E2BIG, with a message; vq is then broken): the available index
 * moved by more than the queue size; a head or next index outside its table; a chain
 * longer than its table (a loop) or than VIRTQ_CHAIN_MAX segments; more than
 * VIRTQ_CHAIN_BYTES_MAX bytes; a ring, descriptor, indirect table or buffer not wholly
 * in guest RAM; an indirect descriptor without VIRTIO_F_INDIRECT_DESC, inside an
 * indirect table (2.7.5.3.1), with VIRTQ_DESC_F_NEXT, or of a length that is 0 or not a
 * multiple of 16; a device-readable descriptor after a device-writable one (2.7.4.2).
 * Each descriptor is copied out of guest memory once, so a driver that rewrites it
 * meanwhile cannot make the checks and the use disagree.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/*
 * Give the last n chains taken by virtq_pop() and not yet pushed back to the
 * available ring: the next virtq_pop() takes them again. The ring index is the
 * device's own (2.7.6: the driver never sees last_avail_idx), so this is invisible to
 * the driver; a device uses it when it cannot finish with chains it took (virtio-net's
 * receive queue: the frame does not fit the buffers available). n must not exceed the
 * chains taken since the last push.
 */
void virtq_unpop(struct virtq *vq, uint16_t n);

/*
 * The driver's available ring idx (2.7.6), read with acquire ordering: 0 to 65535, or
 * -EFAULT if the ring is not RAM (vq is then broken), -EIO if vq is broken.
 */
int virtq_avail_idx(struct virtq *vq);

/*
 * Return the chain whose head is head to the driver: a used ring entry {head, len}
 * then the used idx (2.7.8, 2.7.14), with a release barrier between them.
 * len: bytes the device wrote from the start of the device-writable part.
 * Returns 0, -EINVAL for a head outside the queue, -EFAULT if the used ring is not RAM
 * (vq is then broken), -EIO if vq is broken.
 */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * Available buffer notification suppression (2.7.10). virtq_notify_disable() tells the
 * driver that notifications are not needed while the device works through the ring
 * (VIRTQ_USED_F_NO_NOTIFY without EVENT_IDX; with it, avail_event simply stays behind).
 * virtq_notify_enable() asks for them again (flags 0, or avail_event = the next index
 * the device will take), then looks once more: returns 1 when buffers arrived in
 * between (process them, then enable again), 0 when the ring is empty, or -errno as
 * virtq_pop() (vq broken).
 */
int virtq_notify_disable(struct virtq *vq);
int virtq_notify_enable(struct virtq *vq);

/*
 * virtq_notify_enable() for a device that has seen the available ring up to idx but
 * taken less of it (chains given back with virtq_unpop() are still available): asks for
 * a notification once the driver makes entry idx available, i.e. for buffers it has
 * not published yet. With EVENT_IDX, avail_event at an entry the driver published
 * already would never be crossed, and the driver would never notify (2.7.10).
 * Returns 1 when the avail idx is past idx already, 0 when it is idx, or -errno as
 * virtq_pop().
 */
int virtq_notify_enable_at(struct virtq *vq, uint16_t idx);

/*
 * Used buffer notification suppression (2.7.7): after pushing, should the device
 * interrupt the driver? Without EVENT_IDX: unless the driver set
 * VIRTQ_AVAIL_F_NO_INTERRUPT. With it: when the used idx went past used_event since
 * the last call (the first call after init always says yes).
 * Returns 1 (interrupt), 0 (don't), or -EFAULT if the available ring is not RAM.
 */
int virtq_should_interrupt(struct virtq *vq);

/*
 * Copy len bytes between buf and the bytes of iov[0, n) that start offset bytes in
 * (the iovecs read as one buffer). Return the bytes copied: less than len when the
 * iovecs end first.
 */
size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset, void *buf,
			size_t len);
size_t virtq_iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset, const void *buf,
			  size_t len);

/*
 * Describe bytes [offset, offset + len) of iov[0, n) as iovecs in out (room for max).
 * Returns the count of iovecs written (0 for len 0); stops early when the input or
 * out runs out (the caller compares the described length with len).
 */
unsigned int virtq_iov_slice(const struct iovec *iov, unsigned int n, size_t offset, size_t len,
			     struct iovec *out, unsigned int max);

/* The device-readable and device-writable segments of a chain. */
static inline const struct iovec *virtq_chain_out(const struct virtq_chain *chain)
{
	return chain->iov;
}

static inline const struct iovec *virtq_chain_in(const struct virtq_chain *chain)
{
	return chain->iov + chain->nout;
}

#endif
