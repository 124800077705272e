/* SPDX-License-Identifier: MIT */
/* User-mode networking on libslirp: a NATed 10.0.2.0/24 made of host sockets, on a thread of its own. */
#include "net/net.h"

#include <errno.h>

#include "error.h"
#include "sandbox.h"

#ifndef MKVM_HAVE_SLIRP

/* The static twin: Debian ships libslirp as a shared library only. */
int net_user_create(struct net_backend **out, const struct net_config *cfg)
{
	(void)out;
	(void)cfg;
	return error_set(ENOTSUP, "--net user: this mini-kvm was built without libslirp (the "
				  "static build/mini-kvm-static); use build/mini-kvm");
}

#else

#include <arpa/inet.h>
#include <dlfcn.h>
#include <libslirp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* The network QEMU's -netdev user gives, so guides and habits carry over. */
#define USER_NETWORK		  "10.0.2.0"
#define USER_NETMASK		  "255.255.255.0"
#define USER_HOST		  "10.0.2.2" /* gateway; reaches the host's 127.0.0.1 */
#define USER_DHCP_START		  "10.0.2.15"
#define USER_DNS		  "10.0.2.3"
#define USER_HOSTNAME		  "mini-kvm"
/* libslirp's SlirpConfig version this file fills (4: disable_dhcp, timer_new_opaque). */
#define USER_SLIRP_CONFIG_VERSION 4

/*
 * Frames from the guest waiting for the slirp thread, at most (then the NIC's
 * transmit queue waits: VIRTIO_REQ_BUSY). slirp's MTU is 1500: frames of 1514 bytes,
 * 1518 with a VLAN tag; anything larger slirp could not take and is dropped.
 */
#define USER_TX_SLOTS		  64
#define USER_TX_FRAME_MAX	  (NET_ETH_HLEN + NET_ETH_VLAN_HLEN + 1500)
#define NS_PER_MS		  1000000LL
/* poll() without timers: wake now and then anyway (slirp's own timeouts are shorter). */
#define USER_POLL_MAX_MS	  1000

/*
 * libslirp is loaded when --net user is first used, not linked: it brings glib and
 * pcre2 (~2 MiB of a tiny guest's peak RSS, and their relocations at every start), which
 * only this backend needs. Its soname is Debian's libslirp0's; dlopen() runs on a
 * guest thread inside vm_create(), before that thread enters its sandbox (and the
 * library's own calls are then those its thread's filter was written for).
 */
#define SLIRP_LIBRARY		  "libslirp.so.0"
#define SLIRP_LOAD_ERROR_MAX	  256

/* The libslirp functions this file calls, with the header's own types (libslirp.h). */
#define SLIRP_FN(name)		  __typeof__(slirp_##name) *name
static struct {
	SLIRP_FN(new);
	SLIRP_FN(cleanup);
	SLIRP_FN(input);
	SLIRP_FN(pollfds_fill);
	SLIRP_FN(pollfds_poll);
	SLIRP_FN(handle_timer);
	SLIRP_FN(add_hostfwd);
} slirp_fn;

static pthread_once_t slirp_once = PTHREAD_ONCE_INIT;
static int slirp_load_status; /* 0, or -errno: set once by slirp_load() */
static char slirp_load_error[SLIRP_LOAD_ERROR_MAX];

/* dlsym() into slirp_fn.name; false if the library has no such symbol. */
#define SLIRP_RESOLVE(handle, name) \
	((slirp_fn.name = (__typeof__(slirp_fn.name))dlsym((handle), "slirp_" #name)) != NULL)

/* pthread_once(): open the library and resolve every function, or say why not. */
static void slirp_load(void)
{
	void *h = dlopen(SLIRP_LIBRARY, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(slirp_load_error, sizeof(slirp_load_error), "%s", dlerror());
		slirp_load_status = -ENOENT;
		return;
	}
	if (!SLIRP_RESOLVE(h, new) || !SLIRP_RESOLVE(h, cleanup) || !SLIRP_RESOLVE(h, input) ||
	    !SLIRP_RESOLVE(h, pollfds_fill) || !SLIRP_RESOLVE(h, pollfds_poll) ||
	    !SLIRP_RESOLVE(h, handle_timer) || !SLIRP_RESOLVE(h, add_hostfwd)) {
		snprintf(slirp_load_error, sizeof(slirp_load_error), "%s", dlerror());
		slirp_load_status = -ENOSYS;
		dlclose(h);
	}
	/* Never closed once loaded: glib does not expect to be unloaded. */
}

/*
 * Load libslirp on the first call (any thread; later calls wait for the first).
 * Returns 0, or -ENOENT (not installed) / -ENOSYS (a libslirp without a function this
 * file calls) with a one-line message.
 */
static int slirp_library(void)
{
	pthread_once(&slirp_once, slirp_load);
	if (slirp_load_status < 0)
		return error_set(-slirp_load_status,
				 "--net user needs libslirp (Debian's libslirp0), which cannot be "
				 "loaded: %s",
				 slirp_load_error);
	return 0;
}

struct user_tx_slot {
	uint32_t len;
	uint8_t data[USER_TX_FRAME_MAX];
};

/* A libslirp timer: fires at expire_ms (CLOCK_MONOTONIC) unless expire_ms < 0. */
struct user_timer {
	SlirpTimerId id;
	void *cb_opaque;
	SlirpTimerCb cb; /* timer_new()'s kind; NULL for timer_new_opaque()'s */
	int64_t expire_ms;
	struct user_timer *next;
};

/* A frame from slirp that the NIC could not take on the I/O thread, which never waits. */
struct user_held {
	struct user_held *next;
	size_t len;
	uint8_t data[];
};

/* The pollfds of one slirp_pollfds_fill(): index 0 is the wake eventfd, then slirp's. */
struct user_pollset {
	struct pollfd *fds;
	unsigned int n, cap;
};

/*
 * Threads: the slirp thread polls slirp's sockets and runs its timers; the NIC's I/O
 * thread gives slirp the guest's frames itself when it can (user_send()), so that a
 * frame costs no thread switch, as in a VMM whose one loop runs both (QEMU's).
 * libslirp is not thread-safe: slirp_lock serializes every call into it, and the
 * slirp thread holds it but in poll(). The I/O thread only tries it: when the slirp
 * thread has it (it may be waiting for room in the NIC, which the I/O thread makes),
 * the frame goes through the hand-off ring as before, and the slirp thread gives it.
 */
struct net_user {
	struct net_backend be;
	Slirp *slirp;
	struct net_peer peer;
	pthread_t thread;
	bool running;
	bool stop;   /* atomic */
	int wake_fd; /* eventfd: frames to send, held frames, a changed poll set, or stop */
	/* Guarded by lock: the hand-off of frames from the NIC's I/O thread. */
	pthread_mutex_t lock;
	struct user_tx_slot *tx; /* USER_TX_SLOTS of them, a ring */
	unsigned int tx_head, tx_count;
	bool tx_blocked; /* a send() said -EAGAIN: say send_ready() when there is room */
	/* Guarded by slirp_lock: slirp, and what its callbacks and the threads share. */
	pthread_mutex_t slirp_lock;
	bool on_io;  /* the I/O thread is in slirp: a callback must not wait */
	bool rewake; /* its call changed a timer: the slirp thread must look again */
	bool stale;  /* its call changed slirp's sockets: the poll's indices are old */
	struct user_held *held, **held_tail; /* in order; the slirp thread delivers them */
	struct user_pollset poll;	     /* the slirp thread's, as it polls them */
	int64_t poll_deadline_ms;	     /* when that poll() times out */
	struct user_pollset scratch;	     /* the I/O thread's fill, compared with poll */
	uint8_t frame[USER_TX_FRAME_MAX];    /* the I/O thread's copy of the frame it gives */
	struct user_timer *timers;
};

static int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / NS_PER_MS;
}

static void wake(struct net_user *u)
{
	uint64_t one = 1;

	while (write(u->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* --- libslirp's callbacks (on whichever thread holds slirp_lock) ------------------- */

/* Offer a frame to the NIC: 0, or -EAGAIN when it holds as many as it may. */
static int offer(struct net_user *u, const void *buf, size_t len)
{
	static const uint8_t zero_hdr[NET_HDR_LEN];
	struct iovec iov[2] = { { (void *)zero_hdr, sizeof(zero_hdr) }, { (void *)buf, len } };

	return u->peer.receive(u->peer.opaque, iov, 2);
}

/* The slirp thread: deliver the held frames in order, waiting for room (back-pressure). */
static void deliver_held(struct net_user *u)
{
	while (u->held) {
		struct user_held *h = u->held;

		while (offer(u, h->data, h->len) == -EAGAIN)
			if (u->peer.wait_room(u->peer.opaque) < 0)
				break; /* stopping: the frame is lost with the VM */
		u->held = h->next;
		free(h);
	}
	u->held_tail = &u->held;
}

/*
 * slirp -> guest: hand the frame to the NIC. The slirp thread waits while the NIC is
 * full (back-pressure: slirp stops reading its sockets). The I/O thread must not (it
 * is what empties the NIC): it holds the frame for the slirp thread, which it wakes.
 */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_user *u = opaque;
	struct user_held *h;

	if (!u->on_io) {
		deliver_held(u);
		while (offer(u, buf, len) == -EAGAIN)
			if (u->peer.wait_room(u->peer.opaque) < 0)
				break; /* stopping: the frame is lost with the VM */
		return (ssize_t)len;
	}
	if (!u->held && offer(u, buf, len) == 0)
		return (ssize_t)len;
	h = malloc(sizeof(*h) + len);
	if (!h)
		return (ssize_t)len; /* lost, as on a congested link: TCP sends it again */
	h->next = NULL;
	h->len = len;
	memcpy(h->data, buf, len);
	*u->held_tail = h;
	u->held_tail = &h->next;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)msg;
	(void)opaque; /* a guest's malformed packet: slirp dropped it; nothing to do */
}

static int64_t cb_clock_get_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct user_timer *timer_add(struct net_user *u, SlirpTimerId id, SlirpTimerCb cb,
				    void *cb_opaque)
{
	struct user_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL; /* slirp then has no timer: only IPv6 router adverts use one */
	*t = (struct user_timer){
		.id = id, .cb = cb, .cb_opaque = cb_opaque, .expire_ms = -1, .next = u->timers
	};
	u->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, SLIRP_TIMER_NUM, cb, cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, id, NULL, cb_opaque);
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_user *u = opaque;

	for (struct user_timer **p = &u->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = ((struct user_timer *)timer)->next;
			free(timer);
			return;
		}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct net_user *u = opaque;

	if (timer)
		((struct user_timer *)timer)->expire_ms = expire_ms;
	u->rewake |= u->on_io; /* the slirp thread's poll timeout may be too long now */
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque; /* every fd comes through slirp_pollfds_fill() each round */
}

static void cb_notify(void *opaque)
{
	wake(opaque);
}

static const SlirpCb user_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_register_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* slirp_pollfds_fill()'s add_poll into a struct user_pollset: returns its index. */
static int add_poll(int fd, int events, void *opaque)
{
	struct user_pollset *set = opaque;
	short ev = 0;

	if (set->n == set->cap) {
		unsigned int cap = set->cap ? 2 * set->cap : 16;
		struct pollfd *p = realloc(set->fds, cap * sizeof(*p));

		if (!p)
			return -1; /* this socket is not polled this round */
		set->fds = p;
		set->cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	set->fds[set->n] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)set->n++;
}

static int get_revents(int idx, void *opaque)
{
	struct user_pollset *set = opaque;
	short re;
	int events = 0;

	if (idx < 0 || (unsigned int)idx >= set->n)
		return 0;
	re = set->fds[idx].revents;
	if (re & POLLIN)
		events |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		events |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		events |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		events |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		events |= SLIRP_POLL_HUP;
	return events;
}

/* --- the slirp thread ------------------------------------------------------------ */

/*
 * Give slirp the frames waiting in the hand-off, in order; tell the NIC when it has
 * room again. slirp_lock held (the slirp thread, or the I/O thread before a frame of
 * its own).
 */
static void drain_tx(struct net_user *u)
{
	for (;;) {
		struct user_tx_slot *slot;
		bool ready;

		pthread_mutex_lock(&u->lock);
		if (!u->tx_count) {
			pthread_mutex_unlock(&u->lock);
			return;
		}
		slot = &u->tx[u->tx_head];
		pthread_mutex_unlock(&u->lock);
		/* The producer never writes a slot in use: only slirp_lock's holder frees them. */
		slirp_fn.input(u->slirp, slot->data, (int)slot->len);
		pthread_mutex_lock(&u->lock);
		u->tx_head = (u->tx_head + 1) % USER_TX_SLOTS;
		u->tx_count--;
		ready = u->tx_blocked;
		u->tx_blocked = false;
		pthread_mutex_unlock(&u->lock);
		if (ready)
			u->peer.send_ready(u->peer.opaque);
	}
}

/* Fire the expired timers; return the ms to the next one (or USER_POLL_MAX_MS). */
static int run_timers(struct net_user *u)
{
	int64_t now = clock_ms(), next = now + USER_POLL_MAX_MS;
	bool fired;

	do {
		fired = false;
		for (struct user_timer *t = u->timers; t; t = t->next) {
			if (t->expire_ms < 0)
				continue;
			if (t->expire_ms <= now) {
				t->expire_ms = -1;
				/* The callback may free or add timers: walk again. */
				if (t->cb)
					t->cb(t->cb_opaque);
				else
					slirp_fn.handle_timer(u->slirp, t->id, t->cb_opaque);
				fired = true;
				break;
			}
			if (t->expire_ms < next)
				next = t->expire_ms;
		}
	} while (fired);
	return (int)(next - now);
}

static void *user_thread(void *arg)
{
	struct net_user *u = arg;

	pthread_mutex_lock(&u->slirp_lock);
	while (!__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE)) {
		uint32_t timeout = (uint32_t)run_timers(u);
		uint64_t count;
		int n;

		deliver_held(u);
		drain_tx(u);
		u->poll.n = 0;
		add_poll(u->wake_fd, SLIRP_POLL_IN, &u->poll); /* index 0 */
		slirp_fn.pollfds_fill(u->slirp, &timeout, add_poll, &u->poll);
		u->poll_deadline_ms = clock_ms() + timeout;
		u->stale = false;
		u->rewake = false;
		pthread_mutex_unlock(&u->slirp_lock);
		n = poll(u->poll.fds, u->poll.n, (int)timeout);
		if (n < 0 && errno != EINTR) {
			pthread_mutex_lock(&u->slirp_lock);
			break;
		}
		if (u->poll.fds[0].revents & POLLIN)
			while (read(u->wake_fd, &count, sizeof(count)) < 0 && errno == EINTR)
				;
		pthread_mutex_lock(&u->slirp_lock);
		/* Sockets the I/O thread's frames changed meanwhile: poll them again first. */
		slirp_fn.pollfds_poll(u->slirp, n < 0 || u->stale, get_revents, &u->poll);
	}
	pthread_mutex_unlock(&u->slirp_lock);
	return NULL;
}

/* --- the backend ------------------------------------------------------------------ */

/* Copy the frame of iov[0, n) (the header skipped: total bytes in all) into dst. */
static void copy_frame(uint8_t *dst, const struct iovec *iov, unsigned int n)
{
	for (unsigned int i = 0, skip = NET_HDR_LEN, at = 0; i < n; i++) {
		size_t len = iov[i].iov_len;
		const uint8_t *p = iov[i].iov_base;

		if (skip >= len) {
			skip -= (unsigned int)len;
			continue;
		}
		memcpy(dst + at, p + skip, len - skip);
		at += (unsigned int)(len - skip);
		skip = 0;
	}
}

/*
 * After the I/O thread's slirp_input() (slirp_lock held): whether the slirp thread
 * must wake to wait for something else than what it polls: frames held for it, a
 * timer, sockets made, closed or waiting for other events, or slirp's own timeout
 * now shorter (a delayed ACK). Found by filling a poll set as it would and comparing:
 * an identical set gets identical indices, so its poll in progress stays right;
 * another one marks it stale.
 */
static bool slirp_thread_must_look(struct net_user *u)
{
	uint32_t timeout = USER_POLL_MAX_MS;

	if (u->held || u->rewake)
		return true;
	if (u->stale)
		return false; /* woken already, and it has not filled again since */
	u->scratch.n = 0;
	add_poll(u->wake_fd, SLIRP_POLL_IN, &u->scratch);
	slirp_fn.pollfds_fill(u->slirp, &timeout, add_poll, &u->scratch);
	if (u->scratch.n != u->poll.n) {
		u->stale = true;
		return true;
	}
	for (unsigned int i = 0; i < u->scratch.n; i++)
		if (u->scratch.fds[i].fd != u->poll.fds[i].fd ||
		    u->scratch.fds[i].events != u->poll.fds[i].events) {
			u->stale = true;
			return true;
		}
	return clock_ms() + timeout < u->poll_deadline_ms;
}

/*
 * guest -> slirp, on the NIC's I/O thread: into slirp directly (a copy, no wake-up)
 * when the slirp thread is in poll() (slirp_lock free) and nothing waits before this
 * frame; else a copy into the hand-off and a wake-up; -EAGAIN when that is full.
 */
static int user_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	struct net_user *u = (struct net_user *)be;
	struct user_tx_slot *slot;
	size_t total = 0;
	bool was_empty;

	for (unsigned int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total < NET_HDR_LEN || total - NET_HDR_LEN > USER_TX_FRAME_MAX)
		return 0; /* larger than slirp's MTU allows: lost, as on a real link */
	if (pthread_mutex_trylock(&u->slirp_lock) == 0) {
		bool look;

		u->on_io = true;
		drain_tx(u); /* frames given while the slirp thread was busy go first */
		if (u->held) {
			/* The NIC is full: leave this one to the slirp thread, which waits. */
			u->on_io = false;
			pthread_mutex_unlock(&u->slirp_lock);
		} else {
			/*
			 * Copied, never read in guest memory: slirp parses an ARP (or NCSI)
			 * frame in place, to its header's full size whatever the frame's
			 * length, which in a buffer of the largest frame stays inside it;
			 * and a vCPU could change the frame under slirp's feet.
			 */
			copy_frame(u->frame, iov, n);
			slirp_fn.input(u->slirp, u->frame, (int)(total - NET_HDR_LEN));
			u->on_io = false;
			look = slirp_thread_must_look(u);
			pthread_mutex_unlock(&u->slirp_lock);
			if (look)
				wake(u);
			return 0;
		}
	}
	pthread_mutex_lock(&u->lock);
	if (u->tx_count == USER_TX_SLOTS) {
		u->tx_blocked = true;
		pthread_mutex_unlock(&u->lock);
		return -EAGAIN;
	}
	slot = &u->tx[(u->tx_head + u->tx_count) % USER_TX_SLOTS];
	pthread_mutex_unlock(&u->lock);
	/* Only this (one) producer writes free slots: copy outside the lock. */
	slot->len = (uint32_t)(total - NET_HDR_LEN);
	copy_frame(slot->data, iov, n);
	pthread_mutex_lock(&u->lock);
	was_empty = u->tx_count == 0;
	u->tx_count++;
	pthread_mutex_unlock(&u->lock);
	if (was_empty)
		wake(u);
	return 0;
}

static int user_start(struct net_backend *be, const struct net_peer *peer)
{
	struct net_user *u = (struct net_user *)be;
	sigset_t all, old;
	int ret;

	u->peer = *peer;
	__atomic_store_n(&u->stop, false, __ATOMIC_RELEASE);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = sandbox_thread_create(&u->thread, SANDBOX_NET_USER, user_thread, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0)
		return error_wrap(-ret, "--net user");
	u->running = true;
	return 0;
}

static void user_stop(struct net_backend *be)
{
	struct net_user *u = (struct net_user *)be;

	if (!u->running)
		return;
	__atomic_store_n(&u->stop, true, __ATOMIC_RELEASE);
	wake(u);
	pthread_join(u->thread, NULL);
	u->running = false;
}

static void user_destroy(struct net_backend *be)
{
	struct net_user *u = (struct net_user *)be;

	user_stop(be);
	if (u->slirp)
		slirp_fn.cleanup(u->slirp); /* frees its timers through timer_free */
	while (u->timers) {
		struct user_timer *t = u->timers;

		u->timers = t->next;
		free(t);
	}
	if (u->wake_fd >= 0)
		close(u->wake_fd);
	while (u->held) {
		struct user_held *h = u->held;

		u->held = h->next;
		free(h);
	}
	pthread_mutex_destroy(&u->lock);
	pthread_mutex_destroy(&u->slirp_lock);
	free(u->poll.fds);
	free(u->scratch.fds);
	free(u->tx);
	free(u);
}

static int add_forwards(struct net_user *u, const struct net_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nhostfwd; i++) {
		const struct net_hostfwd *f = &cfg->hostfwd[i];
		char host[INET_ADDRSTRLEN], guest[INET_ADDRSTRLEN];

		errno = 0;
		if (slirp_fn.add_hostfwd(u->slirp, f->udp, f->host_addr, f->host_port,
					 f->guest_addr, f->guest_port) == 0)
			continue;
		inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
		inet_ntop(AF_INET, &f->guest_addr, guest, sizeof(guest));
		return error_errno(errno ? errno : EADDRINUSE,
				   "--net user: hostfwd=%s:%s:%u-%s:%u: cannot listen on %s:%u",
				   f->udp ? "udp" : "tcp", host, f->host_port, guest, f->guest_port,
				   host, f->host_port);
	}
	return 0;
}

int net_user_create(struct net_backend **out, const struct net_config *cfg)
{
	SlirpConfig sc = { .version = USER_SLIRP_CONFIG_VERSION, .in_enabled = true };
	struct net_user *u;
	int ret = slirp_library();

	if (ret < 0)
		return ret;
	u = calloc(1, sizeof(*u));
	if (!u)
		return error_set(ENOMEM, "--net user: out of memory");
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->slirp_lock, NULL);
	u->held_tail = &u->held;
	u->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	u->tx = calloc(USER_TX_SLOTS, sizeof(*u->tx));
	u->be = (struct net_backend){ .name = "user",
				      .io_sandbox = SANDBOX_VIRTIO_NET_USER,
				      .send = user_send,
				      .start = user_start,
				      .stop = user_stop,
				      .destroy = user_destroy };
	if (u->wake_fd < 0 || !u->tx) {
		ret = error_errno(u->wake_fd < 0 ? errno : ENOMEM, "--net user: setting up");
		user_destroy(&u->be);
		return ret;
	}
	inet_pton(AF_INET, USER_NETWORK, &sc.vnetwork);
	inet_pton(AF_INET, USER_NETMASK, &sc.vnetmask);
	inet_pton(AF_INET, USER_HOST, &sc.vhost);
	inet_pton(AF_INET, USER_DHCP_START, &sc.vdhcp_start);
	inet_pton(AF_INET, USER_DNS, &sc.vnameserver);
	sc.vhostname = USER_HOSTNAME;
	u->slirp = slirp_fn.new(&sc, &user_callbacks, u);
	if (!u->slirp) {
		user_destroy(&u->be);
		return error_set(ENOMEM, "--net user: libslirp could not start");
	}
	ret = add_forwards(u, cfg);
	if (ret < 0) {
		user_destroy(&u->be);
		return ret;
	}
	*out = &u->be;
	return 0;
}

#endif
