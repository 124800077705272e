/* SPDX-License-Identifier: MIT */
/* A network backend (slirp user networking, a tap device): where a NIC's frames go and come from. */
#ifndef MINI_KVM_NET_H
#define MINI_KVM_NET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * Every frame between a NIC and its backend starts with this many bytes of header: a
 * struct virtio_net_hdr_v1 (virtio 1.2, 5.1.6: flags, gso_type, hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers), the format a tap device with IFF_VNET_HDR
 * reads and writes once told so (TUNSETVNETHDRSZ). A backend without offloads (slirp)
 * gives an all-zero header and ignores the guest's.
 */
#define NET_HDR_LEN 12

/* Ethernet (IEEE 802.3): the header, and the largest frame a backend carries. */
#define NET_ETH_HLEN	  14
#define NET_ETH_VLAN_HLEN 4
#define NET_ETH_ADDR_LEN  6
#define NET_IP_MAXPACKET  65535 /* the IPv4 total length (and IPv6 payload) field's max */
/* A TSO frame: 64 KiB of IP packet behind an Ethernet header with a VLAN tag. */
#define NET_FRAME_MAX (NET_ETH_HLEN + NET_ETH_VLAN_HLEN + NET_IP_MAXPACKET)

/* Offloads a guest takes on receive (virtio-net's GUEST_CSUM, GUEST_TSO4, GUEST_TSO6). */
#define NET_OFFLOAD_CSUM 0x1 /* partly checksummed frames (NEEDS_CSUM) */
#define NET_OFFLOAD_TSO4 0x2 /* TCP segmentation offload frames, IPv4 */
#define NET_OFFLOAD_TSO6 0x4 /* ... IPv6 */

/* --net's parts, parsed by net_config_parse(). */
enum net_kind {
	NET_NONE,
	NET_USER, /* libslirp: a NATed network 10.0.2.0/24 of sockets, no privileges */
	NET_TAP,  /* a tap device: the host's own network stack (CAP_NET_ADMIN) */
};

#define NET_HOSTFWD_MAX 8 /* hostfwd= rules per --net user */

/* hostfwd=[tcp|udp]:[ADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU's syntax). */
struct net_hostfwd {
	bool udp;
	struct in_addr host_addr;  /* default 127.0.0.1: never the outside unless asked */
	uint16_t host_port;	   /* 0: any free port */
	struct in_addr guest_addr; /* default the DHCP address, 10.0.2.15 */
	uint16_t guest_port;
};

struct net_config {
	enum net_kind kind;
	bool has_mac;		       /* mac= given; else a default from the guest index */
	uint8_t mac[NET_ETH_ADDR_LEN]; /* mac= */
	char ifname[IFNAMSIZ];	       /* tap's ifname= ("" : the kernel picks tapN) */
	struct net_hostfwd hostfwd[NET_HOSTFWD_MAX];
	unsigned int nhostfwd;
};

/*
 * Parse --net's argument into *cfg: "user[,hostfwd=RULE]...[,mac=MAC]" or
 * "tap[,ifname=NAME][,mac=MAC]". MAC: six hex pairs separated by ':', unicast (the
 * group bit of the first byte clear). Returns 0, or -EINVAL with a message naming the
 * part that is wrong; cfg is then unspecified.
 */
int net_config_parse(struct net_config *cfg, const char *arg);

/*
 * The default MAC address of guest number index (1-based): 02:4d:4b:00:HH:LL, locally
 * administered (IEEE 802, the U/L bit of the first byte) and unicast, "MK" for mini-kvm,
 * then the index: stable across runs, different per guest of one mini-kvm.
 */
void net_default_mac(uint8_t mac[NET_ETH_ADDR_LEN], unsigned int index);

/*
 * What a backend hands frames to and waits on: the NIC (virtio-net). Each call may
 * come from the backend's own thread.
 */
struct net_peer {
	/*
	 * A frame from the network: iov[0, n) is NET_HDR_LEN bytes of header then the
	 * Ethernet frame. The peer copies it. Returns 0 (taken, or dropped when it is
	 * malformed or larger than NET_HDR_LEN + NET_FRAME_MAX: counted), or -EAGAIN when
	 * the peer holds as many frames as it may: call wait_room() and offer it again.
	 */
	int (*receive)(void *opaque, const struct iovec *iov, unsigned int n);
	/* Block until receive() may take a frame (0) or the peer stops (-ECANCELED). */
	int (*wait_room)(void *opaque);
	/* A send() that said -EAGAIN may be tried again. Never blocks. */
	void (*send_ready)(void *opaque);
	void *opaque;
};

/*
 * A backend. Created by net_user_create() / net_tap_create(); then start() (its
 * thread), stop(), destroy().
 */
struct net_backend {
	const char *name; /* for messages: "user", "tap 'tap0'" */
	/*
	 * The backend carries the header's offloads (a tap device): partly checksummed and
	 * TSO frames both ways. Without it, frames must be complete (no NEEDS_CSUM, no GSO).
	 */
	bool offloads;
	/*
	 * The sandbox (enum sandbox_thread) of the NIC's I/O thread, which calls send():
	 * 0 for the plain virtio one (SANDBOX_VIRTIO), else a kind of the backend's that
	 * allows what send() does (--net user: slirp's socket calls); such an I/O thread
	 * starts with the VM, before the guest thread's sandbox.
	 */
	int io_sandbox;
	/*
	 * Send a frame from the guest: iov[0, n) is the header then the frame (checked by
	 * the NIC: at least NET_HDR_LEN + NET_ETH_HLEN bytes, at most NET_HDR_LEN +
	 * NET_FRAME_MAX). Returns 0 (sent, or dropped as a network may), -EAGAIN (full:
	 * keep it and try again after peer.send_ready()), or -errno with a message (the
	 * frame is lost: a host failure). Called from the NIC's I/O thread only.
	 */
	int (*send)(struct net_backend *be, const struct iovec *iov, unsigned int n);
	/*
	 * The offloads the guest takes on receive changed (NET_OFFLOAD_*, 0 at reset):
	 * the backend may then hand it such frames. Only for backends with offloads.
	 * Returns 0 or -errno with a message.
	 */
	int (*set_offloads)(struct net_backend *be, unsigned int offloads);
	/* Start the backend's thread, handing frames to peer (copied). 0 or -errno. */
	int (*start)(struct net_backend *be, const struct net_peer *peer);
	/* Stop and join the thread (after the peer stopped: wait_room() returns). */
	void (*stop)(struct net_backend *be);
	/* Close everything and free be. Safe after a failed start. */
	void (*destroy)(struct net_backend *be);
};

/*
 * User-mode networking on libslirp for the guest of MAC address mac: network
 * 10.0.2.0/24, gateway and host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15; no IPv6;
 * cfg's host forwards listen now. Returns 0 with *out, or -errno with a message:
 * -EADDRINUSE etc. for a forward that cannot listen, -ENOTSUP in a build without
 * libslirp (the static twin).
 */
int net_user_create(struct net_backend **out, const struct net_config *cfg);

/*
 * A tap device: opens /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, named
 * cfg->ifname (or the kernel's tapN), 12-byte little-endian headers, no offloads until
 * set_offloads(). The interface is left down and unconfigured (the host's business).
 * Returns 0 with *out, or -errno with a one-line message (-EPERM without
 * CAP_NET_ADMIN, -ENOENT without /dev/net/tun).
 */
int net_tap_create(struct net_backend **out, const struct net_config *cfg);

#endif
