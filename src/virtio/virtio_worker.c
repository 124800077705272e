/* SPDX-License-Identifier: MIT */
/* A virtio device's I/O thread: poll() on the queues' eventfds and a stop eventfd. */
#include "virtio/virtio_worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "error.h"
#include "sandbox.h"

/* pthread_setname_np() keeps 15 characters and the NUL. */
#define THREAD_NAME_MAX 16

/* Read (and so clear) an eventfd's count; nothing to do if it was 0 (EAGAIN). */
static void drain(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
}

static void *worker_thread(void *arg)
{
	struct virtio_worker *w = arg;
	struct pollfd pfd[VIRTIO_WORKER_FDS_MAX + 1];

	/* Named from inside: naming another thread opens /proc, which no sandbox allows. */
	prctl(PR_SET_NAME, w->name, 0, 0, 0); /* a debugging aid: failure is harmless */
	for (unsigned int i = 0; i < w->nfds; i++)
		pfd[i] = (struct pollfd){ .fd = w->fds[i], .events = POLLIN };
	pfd[w->nfds] = (struct pollfd){ .fd = w->stop_fd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, w->nfds + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break; /* EFAULT/EINVAL/ENOMEM: nothing a retry would fix */
		}
		if (pfd[w->nfds].revents)
			break;
		for (unsigned int i = 0; i < w->nfds; i++) {
			if (!pfd[i].revents)
				continue;
			/* Clear first: a notification that arrives during handle() polls again. */
			drain(w->fds[i]);
			w->handle(w->opaque, i);
		}
	}
	return NULL;
}

int virtio_worker_start(struct virtio_worker *w, const char *name, const int *fds,
			unsigned int nfds, virtio_worker_fn handle, void *opaque,
			enum sandbox_thread kind)
{
	sigset_t all, old;
	int ret;

	memset(w, 0, sizeof(*w));
	w->stop_fd = -1;
	if (nfds == 0 || nfds > VIRTIO_WORKER_FDS_MAX)
		return error_set(EINVAL, "virtio worker '%s': %u queues (1 to %d)", name, nfds,
				 VIRTIO_WORKER_FDS_MAX);
	memcpy(w->fds, fds, nfds * sizeof(*fds));
	w->nfds = nfds;
	w->handle = handle;
	w->opaque = opaque;
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return error_errno(errno, "virtio worker '%s': eventfd", name);
	/* The thread inherits the mask: block everything while creating it. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	snprintf(w->name, sizeof(w->name), "%s", name);
	ret = sandbox_thread_create(&w->thread, kind, worker_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0) {
		close(w->stop_fd);
		w->stop_fd = -1;
		return error_wrap(-ret, "virtio worker '%s'", name);
	}
	w->running = true;
	return 0;
}

void virtio_worker_stop(struct virtio_worker *w)
{
	uint64_t one = 1;

	if (w->running) {
		while (write(w->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	w->stop_fd = -1;
}
