/* SPDX-License-Identifier: MIT */
/* Virtio 1.2 (OASIS) constants shared by the transport, the virtqueue code and every device. */
#ifndef MINI_KVM_VIRTIO_H
#define MINI_KVM_VIRTIO_H

/*
 * Device status bits (virtio 1.2, 2.1 "Device Status Field"). The driver sets them in
 * this order during initialization (3.1.1); writing 0 resets the device (2.4).
 */
#define VIRTIO_STATUS_ACKNOWLEDGE	 0x01 /* the guest OS found the device */
#define VIRTIO_STATUS_DRIVER		 0x02 /* the guest OS knows how to drive it */
#define VIRTIO_STATUS_DRIVER_OK		 0x04 /* the driver is ready: the device may use queues */
#define VIRTIO_STATUS_FEATURES_OK	 0x08 /* feature negotiation is complete */
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40 /* the device hit an error it cannot recover from */
#define VIRTIO_STATUS_FAILED		 0x80 /* the driver gave up on the device */
/* Every bit the status field defines. */
#define VIRTIO_STATUS_MASK                                                            \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)

/*
 * Reserved (device-independent) feature bits (virtio 1.2, 6 "Reserved Feature Bits").
 * Linux calls the first two VIRTIO_RING_F_INDIRECT_DESC and VIRTIO_RING_F_EVENT_IDX.
 */
#define VIRTIO_F_INDIRECT_DESC	   28 /* indirect descriptor tables (2.7.5.3) */
#define VIRTIO_F_EVENT_IDX	   29 /* used_event / avail_event suppression (2.7.7, 2.7.10) */
#define VIRTIO_F_VERSION_1	   32 /* a virtio 1.x (non-legacy) device */
#define VIRTIO_F_ACCESS_PLATFORM   33 /* buffers go through a platform IOMMU */
#define VIRTIO_F_RING_PACKED	   34 /* the packed virtqueue layout (2.8) */
#define VIRTIO_F_IN_ORDER	   35 /* buffers are used in the order they were made available */
#define VIRTIO_F_ORDER_PLATFORM	   36 /* memory accesses ordered as the platform orders them */
#define VIRTIO_F_SR_IOV		   37 /* single-root I/O virtualization */
#define VIRTIO_F_NOTIFICATION_DATA 38 /* the driver passes extra data in notifications */
#define VIRTIO_F_RING_RESET	   40 /* the driver may reset one queue */

/* A feature bit as a mask of the 64-bit feature word. */
#define VIRTIO_FEATURE(bit) (1ULL << (bit))
/* Bits 0 to 23 are the device type's own; 24 and up belong to the transport and rings (2.2). */
#define VIRTIO_DEVICE_FEATURES_MASK (VIRTIO_FEATURE(24) - 1)

/* Device IDs (virtio 1.2, 5 "Device Types"). 0 means "no device here" (4.2.2). */
#define VIRTIO_ID_NET	  1
#define VIRTIO_ID_BLOCK	  2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_ENTROPY 4

/* Split virtqueue descriptor flags (virtio 1.2, 2.7.5 "The Virtqueue Descriptor Table"). */
#define VIRTQ_DESC_F_NEXT     1 /* the chain continues in the field next */
#define VIRTQ_DESC_F_WRITE    2 /* the buffer is device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT 4 /* the buffer is a table of descriptors (2.7.5.3) */

/* Available ring flags (2.7.6): the driver needs no used buffer notification. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* Used ring flags (2.7.8): the device needs no available buffer notification. */
#define VIRTQ_USED_F_NO_NOTIFY 1

/* The largest queue size a split virtqueue can have (2.7: a power of 2, at most 32768). */
#define VIRTQ_SIZE_MAX 32768

/* Alignment of each part of a split virtqueue in guest memory (2.7, the alignment table). */
#define VIRTQ_DESC_ALIGN  16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN  4

#endif
