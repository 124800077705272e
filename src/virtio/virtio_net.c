/* SPDX-License-Identifier: MIT */
/* virtio-net (virtio 1.2, 5.1): transmit to a backend, receive into the driver's buffers. */
#include "virtio/virtio_net.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "virtio/virtio.h"

_Static_assert(sizeof(struct virtio_net_hdr) == NET_HDR_LEN, "the header is 12 bytes (5.1.6)");
_Static_assert(sizeof(struct virtio_net_config) == 12, "no padding in the config space");
_Static_assert(VIRTIO_NET_QUEUES <= 32, "device_driven holds a bit per queue");

/* Where num_buffers sits in the header (5.1.6). */
#define NUM_BUFFERS_OFFSET offsetof(struct virtio_net_hdr, num_buffers)
#define NUM_BUFFERS_SIZE   sizeof(uint16_t)

/* The largest header-and-frame either way. */
#define PACKET_MAX (NET_HDR_LEN + NET_FRAME_MAX)

/* Offered with every backend: the MAC, the link status and merged receive buffers. */
#define FEATURES_BASE                                                             \
	(VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS) | \
	 VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF))
/* Offered when the backend carries the header's offloads (a tap device). */
#define FEATURES_OFFLOAD                                                                   \
	(VIRTIO_FEATURE(VIRTIO_NET_F_CSUM) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM) |     \
	 VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO6) | \
	 VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO6))

/* What virtio_net_process_rx()'s delivery of one frame came to. */
enum rx_result {
	RX_DELIVERED,
	RX_NO_ROOM, /* not enough buffers: the frame waits, nothing taken */
	RX_DROPPED, /* larger than the driver's buffers (no MRG_RXBUF) */
	RX_BROKEN,  /* a queue error: the queue is no longer served */
};

int virtio_net_init(struct virtio_net *net, const uint8_t mac[NET_ETH_ADDR_LEN],
		    struct net_backend *be)
{
	memset(net, 0, sizeof(*net));
	net->backend = be;
	snprintf(net->name, sizeof(net->name), "virtio-net (%s)", be ? be->name : "no backend");
	net->features = FEATURES_BASE | (be && be->offloads ? FEATURES_OFFLOAD : 0);
	memcpy(net->config.mac, mac, NET_ETH_ADDR_LEN);
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	pthread_mutex_init(&net->lock, NULL);
	pthread_cond_init(&net->room, NULL);
	return 0;
}

/* Free every pending frame; net->lock held. Wakes a backend waiting for room. */
static void drop_pending(struct virtio_net *net)
{
	while (net->npending) {
		free(net->pending[net->pending_head]);
		net->pending[net->pending_head] = NULL;
		net->pending_head = (net->pending_head + 1) % VIRTIO_NET_RX_PENDING;
		net->npending--;
	}
	pthread_cond_broadcast(&net->room);
}

void virtio_net_destroy(struct virtio_net *net)
{
	pthread_mutex_lock(&net->lock);
	drop_pending(net);
	pthread_mutex_unlock(&net->lock);
	pthread_cond_destroy(&net->room);
	pthread_mutex_destroy(&net->lock);
}

void virtio_net_attach(struct virtio_net *net, struct virtio_mmio *t)
{
	net->transport = t;
}

/* --- transmit ------------------------------------------------------------------ */

/* Whether the header asks only for offloads the driver negotiated (5.1.6.2.1). */
static bool tx_header_allowed(const struct virtio_net *net, const struct virtio_net_hdr *hdr)
{
	uint8_t gso = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !(net->negotiated & VIRTIO_FEATURE(VIRTIO_NET_F_CSUM)))
		return false;
	if (hdr->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		return false; /* HOST_ECN is not offered */
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return net->negotiated & VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return net->negotiated & VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO6);
	default:
		return false; /* UFO and unknown types are not offered */
	}
}

/* The transport's handle() for transmitq1: one frame per chain. */
static int tx_handle(struct virtio_net *net, const struct virtq_chain *chain, uint32_t *written)
{
	struct virtio_net_hdr hdr;
	int ret;

	*written = 0; /* nothing is written into a transmit buffer */
	if (chain->out_len < NET_HDR_LEN + NET_ETH_HLEN || chain->out_len > PACKET_MAX) {
		net->stats.tx_dropped++;
		return VIRTIO_REQ_DONE;
	}
	virtq_iov_to_buf(virtq_chain_out(chain), chain->nout, 0, &hdr, sizeof(hdr));
	if (!tx_header_allowed(net, &hdr) || !net->backend) {
		net->stats.tx_dropped++;
		return VIRTIO_REQ_DONE;
	}
	ret = net->backend->send(net->backend, virtq_chain_out(chain), chain->nout);
	if (ret == -EAGAIN)
		return VIRTIO_REQ_BUSY;
	if (ret < 0) {
		net->stats.tx_dropped++;
		return VIRTIO_REQ_DONE_LOG;
	}
	net->stats.tx_frames++;
	net->stats.tx_bytes += chain->out_len;
	return VIRTIO_REQ_DONE;
}

static int net_handle(void *opaque, unsigned int queue, const struct virtq_chain *chain,
		      uint32_t *written)
{
	struct virtio_net *net = opaque;

	if (queue == VIRTIO_NET_TXQ)
		return tx_handle(net, chain, written);
	/* receiveq1 is device-driven: its chains never come here. */
	*written = 0;
	return VIRTIO_REQ_DONE;
}

/* --- receive ------------------------------------------------------------------- */

int virtio_net_receive(void *opaque, const struct iovec *iov, unsigned int n)
{
	struct virtio_net *net = opaque;
	struct virtio_net_frame *f;
	size_t len = 0, at = 0;
	bool was_empty;

	for (unsigned int i = 0; i < n; i++) {
		if (iov[i].iov_len > PACKET_MAX || len + iov[i].iov_len > PACKET_MAX) {
			len = PACKET_MAX + 1;
			break;
		}
		len += iov[i].iov_len;
	}
	if (len < NET_HDR_LEN + NET_ETH_HLEN || len > PACKET_MAX) {
		pthread_mutex_lock(&net->lock);
		net->stats.rx_dropped++;
		pthread_mutex_unlock(&net->lock);
		return 0;
	}
	pthread_mutex_lock(&net->lock);
	if (net->npending == VIRTIO_NET_RX_PENDING) {
		pthread_mutex_unlock(&net->lock);
		return -EAGAIN;
	}
	pthread_mutex_unlock(&net->lock);
	f = malloc(sizeof(*f) + len);
	if (!f)
		return -EAGAIN; /* as if full: the backend waits and offers it again */
	f->len = (uint32_t)len;
	for (unsigned int i = 0; i < n; i++) {
		memcpy(f->data + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	pthread_mutex_lock(&net->lock);
	if (net->npending == VIRTIO_NET_RX_PENDING) {
		/* Two producers raced (one backend has one thread: never, but be sure). */
		pthread_mutex_unlock(&net->lock);
		free(f);
		return -EAGAIN;
	}
	was_empty = net->npending == 0;
	net->pending[(net->pending_head + net->npending) % VIRTIO_NET_RX_PENDING] = f;
	net->npending++;
	pthread_mutex_unlock(&net->lock);
	/*
	 * A non-empty list has a wake-up coming already: the I/O thread is serving it,
	 * waits for the driver's buffers (their notification), or for DRIVER_OK (which
	 * kicks the queue).
	 */
	if (was_empty && net->transport)
		virtio_mmio_kick(net->transport, VIRTIO_NET_RXQ);
	return 0;
}

int virtio_net_wait_room(void *opaque)
{
	struct virtio_net *net = opaque;
	int ret;

	pthread_mutex_lock(&net->lock);
	while (net->npending == VIRTIO_NET_RX_PENDING && !net->stopping)
		pthread_cond_wait(&net->room, &net->lock);
	ret = net->stopping ? -ECANCELED : 0;
	pthread_mutex_unlock(&net->lock);
	return ret;
}

void virtio_net_send_ready(void *opaque)
{
	struct virtio_net *net = opaque;

	if (net->transport)
		virtio_mmio_kick(net->transport, VIRTIO_NET_TXQ);
}

/* The oldest pending frame, or NULL. Only the I/O thread takes frames off the list. */
static struct virtio_net_frame *peek_pending(struct virtio_net *net)
{
	struct virtio_net_frame *f = NULL;

	pthread_mutex_lock(&net->lock);
	if (net->npending)
		f = net->pending[net->pending_head];
	pthread_mutex_unlock(&net->lock);
	return f;
}

/* Take the oldest pending frame off the list (delivered or dropped) and free it. */
static void pop_pending(struct virtio_net *net, enum rx_result result)
{
	struct virtio_net_frame *f;

	pthread_mutex_lock(&net->lock);
	f = net->pending[net->pending_head];
	net->pending[net->pending_head] = NULL;
	net->pending_head = (net->pending_head + 1) % VIRTIO_NET_RX_PENDING;
	net->npending--;
	if (result == RX_DELIVERED) {
		net->stats.rx_frames++;
		net->stats.rx_bytes += f->len;
	} else {
		net->stats.rx_dropped++;
	}
	pthread_cond_signal(&net->room);
	pthread_mutex_unlock(&net->lock);
	free(f);
}

/*
 * Copy frame f into receiveq1's available buffers (5.1.6.4): as many chains as it
 * takes with MRG_RXBUF, else one that holds it all. The chains are pushed only when
 * the frame is all written, num_buffers set in the first; when the ring runs out
 * first, they are given back and the frame waits.
 */
static enum rx_result rx_deliver(struct virtio_net *net, const struct virtio_net_frame *f)
{
	struct virtio_mmio *t = net->transport;
	bool mergeable = net->negotiated & VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF);
	struct iovec num_buffers_at[NUM_BUFFERS_SIZE];
	unsigned int nat = 0, nused = 0;
	uint32_t off = 0;
	uint16_t num_buffers;

	while (off < f->len) {
		const struct virtq_chain *chain;
		uint32_t n;
		int ret;

		if (nused == VIRTIO_NET_QUEUE_SIZE) {
			/* Cannot happen (a ring holds at most that many), but never overrun. */
			virtio_mmio_fill_unpop(t, VIRTIO_NET_RXQ, nused);
			return RX_NO_ROOM;
		}
		ret = virtio_mmio_fill_pop(t, VIRTIO_NET_RXQ, &chain);
		if (ret < 0)
			return RX_BROKEN;
		if (ret == 0) {
			virtio_mmio_fill_unpop(t, VIRTIO_NET_RXQ, nused);
			return RX_NO_ROOM;
		}
		if (chain->in_len < (nused ? 1 : NET_HDR_LEN)) {
			/* 5.1.6.3.1: every buffer holds at least the header (one byte more, here). */
			error_set(EINVAL,
				  "receive buffer of head %u has %u device-writable bytes, fewer "
				  "than %u",
				  chain->head, chain->in_len, nused ? 1 : NET_HDR_LEN);
			virtio_mmio_fill_fail(t, VIRTIO_NET_RXQ);
			return RX_BROKEN;
		}
		if (!mergeable && chain->in_len < f->len) {
			virtio_mmio_fill_unpop(t, VIRTIO_NET_RXQ, 1);
			return RX_DROPPED;
		}
		n = f->len - off < chain->in_len ? f->len - off : chain->in_len;
		virtq_iov_from_buf(virtq_chain_in(chain), chain->nin, 0, f->data + off, n);
		if (nused == 0)
			nat = virtq_iov_slice(virtq_chain_in(chain), chain->nin, NUM_BUFFERS_OFFSET,
					      NUM_BUFFERS_SIZE, num_buffers_at, NUM_BUFFERS_SIZE);
		net->rx_used[nused].head = chain->head;
		net->rx_used[nused].len = n;
		nused++;
		off += n;
	}
	num_buffers = htole16((uint16_t)nused);
	virtq_iov_from_buf(num_buffers_at, nat, 0, &num_buffers, sizeof(num_buffers));
	for (unsigned int i = 0; i < nused; i++)
		if (virtio_mmio_fill_push(t, VIRTIO_NET_RXQ, net->rx_used[i].head,
					  net->rx_used[i].len) < 0)
			return RX_BROKEN;
	return RX_DELIVERED;
}

void virtio_net_process_rx(struct virtio_net *net)
{
	struct virtio_mmio *t = net->transport;

	for (;;) {
		/* A ring's worth per batch, so that a vCPU changing the queue gets its turn. */
		unsigned int budget = VIRTIO_NET_QUEUE_SIZE;
		bool want_buffers = false, again = false;
		struct virtio_net_frame *f;

		if (!t || virtio_mmio_fill_begin(t, VIRTIO_NET_RXQ) < 0)
			return; /* not served: DRIVER_OK or QueueReady will kick it */
		while ((f = peek_pending(net))) {
			enum rx_result r;

			if (!budget-- || virtio_mmio_fill_yield(t, VIRTIO_NET_RXQ)) {
				again = true;
				break;
			}
			r = rx_deliver(net, f);
			if (r == RX_BROKEN)
				break; /* frames wait for the reset, which drops them */
			if (r == RX_NO_ROOM) {
				want_buffers = true;
				break;
			}
			pop_pending(net, r);
		}
		if (virtio_mmio_fill_end(t, VIRTIO_NET_RXQ, want_buffers) == 0 || again) {
			if (again)
				virtio_mmio_kick(t, VIRTIO_NET_RXQ);
			return;
		}
		/* Buffers came while notifications were being turned on: fill them. */
	}
}

static void net_notify(void *opaque, unsigned int queue)
{
	if (queue == VIRTIO_NET_RXQ)
		virtio_net_process_rx(opaque);
}

/* --- negotiation and lifecycle ------------------------------------------------- */

/* The backend's NET_OFFLOAD_* for the driver's receive features (5.1.3.1: TSO needs CSUM). */
static unsigned int guest_offloads(uint64_t features)
{
	unsigned int offloads = 0;

	if (!(features & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	offloads |= NET_OFFLOAD_CSUM;
	if (features & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4))
		offloads |= NET_OFFLOAD_TSO4;
	if (features & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO6))
		offloads |= NET_OFFLOAD_TSO6;
	return offloads;
}

/* The driver accepted features (DRIVER_OK, every queue lock held). */
static void net_activate(void *opaque, uint64_t features)
{
	struct virtio_net *net = opaque;

	net->negotiated = features;
	/*
	 * If this fails the tap device keeps its offloads off and gives complete frames,
	 * which a driver that accepted GUEST_CSUM or TSO takes all the same.
	 */
	if (net->backend && net->backend->offloads && net->backend->set_offloads)
		net->backend->set_offloads(net->backend, guest_offloads(features));
}

/* Device reset (every queue lock held): forget features, drop what the old driver missed. */
static void net_reset(void *opaque)
{
	struct virtio_net *net = opaque;

	net->negotiated = 0;
	if (net->backend && net->backend->offloads && net->backend->set_offloads)
		net->backend->set_offloads(net->backend, 0);
	pthread_mutex_lock(&net->lock);
	drop_pending(net);
	pthread_mutex_unlock(&net->lock);
}

void virtio_net_device(struct virtio_net *net, struct virtio_device *dev)
{
	*dev = (struct virtio_device){
		.name = net->name,
		.thread_name = "virtio-net",
		.io_sandbox = net->backend ? net->backend->io_sandbox : 0,
		.device_id = VIRTIO_ID_NET,
		.features = net->features,
		.config = &net->config,
		.config_len = sizeof(net->config),
		.num_queues = VIRTIO_NET_QUEUES,
		.queue_size_max = VIRTIO_NET_QUEUE_SIZE,
		.handle = net_handle,
		.device_driven = 1u << VIRTIO_NET_RXQ,
		.notify = net_notify,
		.activate = net_activate,
		.reset = net_reset,
		.opaque = net,
	};
}

void virtio_net_peer(struct virtio_net *net, struct net_peer *peer)
{
	*peer = (struct net_peer){
		.receive = virtio_net_receive,
		.wait_room = virtio_net_wait_room,
		.send_ready = virtio_net_send_ready,
		.opaque = net,
	};
}

void virtio_net_start(struct virtio_net *net)
{
	pthread_mutex_lock(&net->lock);
	net->stopping = false;
	pthread_mutex_unlock(&net->lock);
}

void virtio_net_stop(struct virtio_net *net)
{
	pthread_mutex_lock(&net->lock);
	net->stopping = true;
	pthread_cond_broadcast(&net->room);
	pthread_mutex_unlock(&net->lock);
}

void virtio_net_get_stats(struct virtio_net *net, struct virtio_net_stats *out)
{
	pthread_mutex_lock(&net->lock);
	*out = net->stats;
	pthread_mutex_unlock(&net->lock);
}
