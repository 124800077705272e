/* SPDX-License-Identifier: MIT */
/* A virtio device's I/O thread: waits on its queues' notify eventfds and serves them. */
#ifndef MINI_KVM_VIRTIO_WORKER_H
#define MINI_KVM_VIRTIO_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "sandbox.h"

/* Queues one worker can watch (its poll set is that plus the stop eventfd). */
#define VIRTIO_WORKER_FDS_MAX 8

/*
 * Called on the worker thread when fds[index] was written (an available buffer
 * notification, through KVM_IOEVENTFD or a QueueNotify exit), after the eventfd's
 * count was read and cleared.
 */
typedef void (*virtio_worker_fn)(void *opaque, unsigned int index);

/*
 * The thread and what it waits on. Fields are set by virtio_worker_start() and read
 * by the thread; only virtio_worker_stop() changes them afterwards (after the join).
 */
struct virtio_worker {
	pthread_t thread;
	bool running;			/* the thread exists and has not been joined */
	int stop_fd;			/* eventfd: written once to end the thread; -1 */
	int fds[VIRTIO_WORKER_FDS_MAX]; /* the queues' eventfds (not owned) */
	unsigned int nfds;
	virtio_worker_fn handle;
	void *opaque;
	char name[16]; /* the thread's name: at most 15 characters and a NUL (prctl) */
};

/*
 * Start a thread named name (at most 15 characters are kept) that polls fds[0, nfds)
 * (non-blocking eventfds, owned by the caller and open until virtio_worker_stop()
 * returns) plus a stop eventfd of its own, and calls handle(opaque, i) each time
 * fds[i] is readable. The thread blocks every signal: signals stay with the VMM's
 * signal thread. nfds: 1 to VIRTIO_WORKER_FDS_MAX. The thread enters the sandbox of
 * kind (SANDBOX_VIRTIO, or SANDBOX_VIRTIO_NET_USER for a NIC whose backend it calls).
 * Returns 0, or -EINVAL (nfds), -errno from eventfd() or pthread_create(), with a
 * message; w is then not running.
 */
int virtio_worker_start(struct virtio_worker *w, const char *name, const int *fds,
			unsigned int nfds, virtio_worker_fn handle, void *opaque,
			enum sandbox_thread kind);

/*
 * Stop the thread and wait for it: a handle() call in progress finishes first.
 * Safe on a worker that is not running (or zeroed with stop_fd -1). Never fails.
 */
void virtio_worker_stop(struct virtio_worker *w);

#endif
