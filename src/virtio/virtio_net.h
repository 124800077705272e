/* SPDX-License-Identifier: MIT */
/* virtio-net (virtio 1.2, 5.1): an Ethernet NIC whose frames go to a network backend (src/net/). */
#ifndef MINI_KVM_VIRTIO_NET_H
#define MINI_KVM_VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/net.h"
#include "virtio/virtio_mmio.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM	0 /* the device takes partly checksummed frames */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* the driver takes partly checksummed frames */
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5 /* the config space has the MAC address */
#define VIRTIO_NET_F_GUEST_TSO4 7 /* the driver takes TSOv4 frames */
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN	9
#define VIRTIO_NET_F_GUEST_UFO	10
#define VIRTIO_NET_F_HOST_TSO4	11 /* the device takes TSOv4 frames */
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_HOST_ECN	13
#define VIRTIO_NET_F_HOST_UFO	14
#define VIRTIO_NET_F_MRG_RXBUF	15 /* a received frame may span several buffers */
#define VIRTIO_NET_F_STATUS	16 /* the config space has the link status */
#define VIRTIO_NET_F_CTRL_VQ	17

/* virtio_net_config.status (5.1.4). */
#define VIRTIO_NET_S_LINK_UP 1

/* virtio_net_hdr.flags and gso_type (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE	    0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_UDP	    3
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN	    0x80

/* The queues without VIRTIO_NET_F_MQ or CTRL_VQ (5.1.2): receiveq1, transmitq1. */
#define VIRTIO_NET_RXQ	  0
#define VIRTIO_NET_TXQ	  1
#define VIRTIO_NET_QUEUES 2

/* QueueNumMax of both queues. */
#define VIRTIO_NET_QUEUE_SIZE 256
/*
 * Frames from the backend waiting for receive buffers, at most: the backend waits
 * (wait_room()) beyond that. With 64 KiB TSO frames from a tap device, 4 MiB.
 */
#define VIRTIO_NET_RX_PENDING 64

/* The header (5.1.6), little-endian; always 12 bytes with VIRTIO_F_VERSION_1. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers; /* buffers of a received frame (1 without MRG_RXBUF) */
};

/* The device configuration space (5.1.4), little-endian; mtu and pairs unoffered (0). */
struct virtio_net_config {
	uint8_t mac[NET_ETH_ADDR_LEN];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
};

/* A received frame waiting for buffers: header then Ethernet frame. */
struct virtio_net_frame {
	uint32_t len;
	uint8_t data[];
};

/* What the device counts (the I/O thread writes them; read them after it stopped). */
struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes; /* sent to the backend (header included) */
	uint64_t tx_dropped; /* malformed, oversized, offloads not negotiated, host error */
	uint64_t rx_frames, rx_bytes; /* given to the driver */
	uint64_t rx_dropped;	      /* malformed, or larger than the driver's buffers */
};

#define VIRTIO_NET_NAME_MAX 64

/*
 * A virtio-net NIC.
 *
 * Transmit: the transport hands each chain of transmitq1 to the device on its I/O
 * thread, which checks it and passes it to backend->send() (a tap: writev(); slirp:
 * a bounded hand-off to its thread). A full backend says -EAGAIN: the chain stays in
 * the ring (VIRTIO_REQ_BUSY) until the backend's send_ready().
 *
 * Receive: the backend's thread offers frames with virtio_net_receive(), which copies
 * them into a bounded list of pending frames (VIRTIO_NET_RX_PENDING) and kicks
 * receiveq1, a device-driven queue: the I/O thread copies pending frames into the
 * driver's buffers (several per frame with MRG_RXBUF). When the driver has no buffers
 * the frames wait, and when the list is full the backend waits (wait_room()): a slow
 * guest loses nothing, and memory stays bounded.
 *
 * lock guards the pending list, stopping and the statistics of receive; the queue
 * locks (taken by the transport) guard negotiated. Lock order: queue lock, then lock.
 */
struct virtio_net {
	char name[VIRTIO_NET_NAME_MAX]; /* "virtio-net (user)" */
	struct net_backend *backend;	/* not owned */
	struct virtio_mmio *transport;	/* set by virtio_net_attach() */
	uint64_t features;		/* device feature bits offered */
	uint64_t negotiated;		/* accepted by the driver, from DRIVER_OK to reset */
	struct virtio_net_config config;
	pthread_mutex_t lock;
	pthread_cond_t room; /* signalled when a pending frame is taken, or at stop */
	struct virtio_net_frame *pending[VIRTIO_NET_RX_PENDING]; /* a ring */
	unsigned int pending_head, npending;
	bool stopping; /* wait_room() returns -ECANCELED */
	struct virtio_net_stats stats;
	/* The chains one received frame takes (MRG_RXBUF), pushed once it is all written. */
	struct {
		uint16_t head;
		uint32_t len;
	} rx_used[VIRTIO_NET_QUEUE_SIZE];
};

/*
 * Make net a NIC with MAC address mac on backend be (kept; may be NULL in tests that
 * drive virtio_net_receive() themselves: frames sent are then dropped). Offers
 * VIRTIO_NET_F_MAC, STATUS (link always up), MRG_RXBUF; with a backend that carries
 * offloads also CSUM, GUEST_CSUM, HOST_TSO4/6 and GUEST_TSO4/6. Returns 0.
 */
int virtio_net_init(struct virtio_net *net, const uint8_t mac[NET_ETH_ADDR_LEN],
		    struct net_backend *be);

/* Free the pending frames and the locks. */
void virtio_net_destroy(struct virtio_net *net);

/*
 * Describe net to the transport: device ID 1, receiveq1 (device-driven) and
 * transmitq1 of VIRTIO_NET_QUEUE_SIZE, the features and config space above.
 *
 * Transmit (5.1.6.2): a chain's device-readable bytes are the header and the frame.
 * Dropped (completed, counted) when shorter than the header and an Ethernet header,
 * longer than NET_HDR_LEN + NET_FRAME_MAX, or asking for an offload (NEEDS_CSUM, GSO)
 * that was not negotiated. Receive (5.1.6.3, 5.1.6.4): the header's num_buffers is the
 * count of buffers used; a first buffer with fewer device-writable bytes than the
 * header (or a later one with none) is a queue error (DEVICE_NEEDS_RESET). Without
 * MRG_RXBUF a frame larger than the next buffer is dropped and the buffer stays.
 */
void virtio_net_device(struct virtio_net *net, struct virtio_device *dev);

/* The transport net's device was given to (after virtio_mmio_init()). */
void virtio_net_attach(struct virtio_net *net, struct virtio_mmio *t);

/*
 * The peer a backend hands frames to (net_peer.receive is virtio_net_receive() etc.),
 * filled into *peer. Call virtio_net_start() before the backend starts, and
 * virtio_net_stop() before it stops (so a backend waiting for room returns).
 */
void virtio_net_peer(struct virtio_net *net, struct net_peer *peer);
void virtio_net_start(struct virtio_net *net);
void virtio_net_stop(struct virtio_net *net);

/* net_peer's calls, net as opaque (see struct net_peer). */
int virtio_net_receive(void *opaque, const struct iovec *iov, unsigned int n);
int virtio_net_wait_room(void *opaque);
void virtio_net_send_ready(void *opaque);

/*
 * Serve receiveq1: copy pending frames into the driver's buffers until either runs
 * out. The I/O thread calls it on each notification of receiveq1 (the driver's new
 * buffers, or virtio_net_receive()'s kick); unit tests call it directly.
 */
void virtio_net_process_rx(struct virtio_net *net);

/* A copy of the statistics (under the lock). */
void virtio_net_get_stats(struct virtio_net *net, struct virtio_net_stats *out);

#endif
