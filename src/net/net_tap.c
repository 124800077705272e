/* SPDX-License-Identifier: MIT */
/* A tap device backend: /dev/net/tun with IFF_VNET_HDR, a reader thread feeding the NIC. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "error.h"
#include "sandbox.h"

#define TUN_PATH "/dev/net/tun"
/* The read buffer: the largest frame with its header. */
#define TAP_BUF_SIZE (NET_HDR_LEN + NET_FRAME_MAX)

struct net_tap {
	struct net_backend be;
	char name[IFNAMSIZ + 16]; /* "tap 'NAME'" */
	int fd;			  /* the tap's file, non-blocking */
	int stop_fd;		  /* eventfd: written once to end the thread */
	struct net_peer peer;
	pthread_t thread;
	bool running;
	uint8_t buf[TAP_BUF_SIZE]; /* the reader thread's */
};

/* guest -> network: the header and frame in one writev (the tap takes 12-byte headers). */
static int tap_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	struct net_tap *tap = (struct net_tap *)be;
	ssize_t r;

	do
		r = writev(tap->fd, iov, (int)n);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return 0;
	/*
	 * As a NIC on a wire: the interface down (EIO), its queue full (EAGAIN, ENOBUFS),
	 * or a frame the kernel refuses (EINVAL: a bad GSO header) are lost frames.
	 */
	if (errno == EIO || errno == EAGAIN || errno == ENOBUFS || errno == EINVAL)
		return 0;
	return error_errno(errno, "%s: writing a frame", tap->name);
}

static int tap_set_offloads(struct net_backend *be, unsigned int offloads)
{
	struct net_tap *tap = (struct net_tap *)be;
	unsigned int flags = 0;

	if (offloads & NET_OFFLOAD_CSUM)
		flags |= TUN_F_CSUM;
	if (offloads & NET_OFFLOAD_TSO4)
		flags |= TUN_F_TSO4;
	if (offloads & NET_OFFLOAD_TSO6)
		flags |= TUN_F_TSO6;
	if (ioctl(tap->fd, TUNSETOFFLOAD, (unsigned long)flags) < 0)
		return error_errno(errno, "%s: TUNSETOFFLOAD 0x%x", tap->name, flags);
	return 0;
}

/* network -> guest: read a frame when the NIC has room for it, hand it over. */
static void *tap_thread(void *arg)
{
	struct net_tap *tap = arg;
	struct pollfd pfd[2] = { { .fd = tap->fd, .events = POLLIN },
				 { .fd = tap->stop_fd, .events = POLLIN } };

	for (;;) {
		struct iovec iov;
		ssize_t n;
		int r;

		/* Back-pressure: read nothing while the NIC holds all it may. */
		if (tap->peer.wait_room(tap->peer.opaque) < 0)
			break;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		n = read(tap->fd, tap->buf, sizeof(tap->buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break; /* the device went away (EBADFD ...): nothing more will come */
		}
		iov = (struct iovec){ tap->buf, (size_t)n };
		while ((r = tap->peer.receive(tap->peer.opaque, &iov, 1)) == -EAGAIN)
			if (tap->peer.wait_room(tap->peer.opaque) < 0)
				return NULL;
	}
	return NULL;
}

static int tap_start(struct net_backend *be, const struct net_peer *peer)
{
	struct net_tap *tap = (struct net_tap *)be;
	sigset_t all, old;
	int ret;

	tap->peer = *peer;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = sandbox_thread_create(&tap->thread, SANDBOX_NET_TAP, tap_thread, tap);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0)
		return error_wrap(-ret, "%s", tap->name);
	tap->running = true;
	return 0;
}

static void tap_stop(struct net_backend *be)
{
	struct net_tap *tap = (struct net_tap *)be;
	uint64_t one = 1;

	if (!tap->running)
		return;
	while (write(tap->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(tap->thread, NULL);
	tap->running = false;
}

static void tap_destroy(struct net_backend *be)
{
	struct net_tap *tap = (struct net_tap *)be;

	tap_stop(be);
	if (tap->fd >= 0)
		close(tap->fd);
	if (tap->stop_fd >= 0)
		close(tap->stop_fd);
	free(tap);
}

int net_tap_create(struct net_backend **out, const struct net_config *cfg)
{
	struct net_tap *tap = calloc(1, sizeof(*tap));
	struct ifreq ifr = { 0 };
	int hdr_len = NET_HDR_LEN, err;

	if (!tap)
		return error_set(ENOMEM, "--net tap: out of memory");
	tap->stop_fd = -1;
	tap->fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap->fd < 0) {
		err = errno;
		free(tap);
		return error_errno(err, "--net tap: cannot open %s", TUN_PATH);
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->ifname);
	if (ioctl(tap->fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(tap->fd);
		free(tap);
		if (err == EPERM)
			return error_set(EPERM,
					 "--net tap%s%s: creating a tap device needs CAP_NET_ADMIN "
					 "(run as root, or use --net user)",
					 cfg->ifname[0] ? ",ifname=" : "", cfg->ifname);
		return error_errno(err, "--net tap: TUNSETIFF '%s'", cfg->ifname);
	}
	snprintf(tap->name, sizeof(tap->name), "tap '%s'", ifr.ifr_name);
	/* virtio 1.x headers are 12 bytes (num_buffers included) and little-endian. */
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &hdr_len) < 0 ||
	    ioctl(tap->fd, TUNSETOFFLOAD, 0UL) < 0) {
		err = errno;
		close(tap->fd);
		free(tap);
		return error_errno(err, "--net tap: setting up %s's vnet header", ifr.ifr_name);
	}
	tap->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (tap->stop_fd < 0) {
		err = errno;
		close(tap->fd);
		free(tap);
		return error_errno(err, "--net tap: eventfd");
	}
	tap->be = (struct net_backend){ .name = tap->name,
					.offloads = true,
					.send = tap_send,
					.set_offloads = tap_set_offloads,
					.start = tap_start,
					.stop = tap_stop,
					.destroy = tap_destroy };
	*out = &tap->be;
	return 0;
}
