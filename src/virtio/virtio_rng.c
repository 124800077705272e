/* SPDX-License-Identifier: MIT */
/* virtio-rng (virtio 1.2, 5.4): fill the guest's device-writable buffers from getrandom(). */
#include "virtio/virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"
#include "virtio/virtio.h"

void virtio_rng_init(struct virtio_rng *rng)
{
	*rng = (struct virtio_rng){ .source = getrandom };
}

static int rng_handle(void *opaque, unsigned int queue, const struct virtq_chain *c,
		      uint32_t *written)
{
	struct virtio_rng *rng = opaque;
	const struct iovec *iov = virtq_chain_in(c);
	size_t total = 0;

	(void)queue;
	for (unsigned int i = 0; i < c->nin && total < VIRTIO_RNG_REQUEST_MAX; i++) {
		size_t want = iov[i].iov_len, got = 0;

		if (want > VIRTIO_RNG_REQUEST_MAX - total)
			want = VIRTIO_RNG_REQUEST_MAX - total;
		while (got < want) {
			ssize_t n = rng->source((uint8_t *)iov[i].iov_base + got, want - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				int err = n < 0 ? errno : EIO;

				total += got;
				*written = (uint32_t)total;
				rng->bytes += total;
				if (total)
					return VIRTIO_REQ_DONE;
				error_set(err, "getrandom() failed: %s", strerror(err));
				return VIRTIO_REQ_DONE_LOG;
			}
			got += (size_t)n;
		}
		total += got;
	}
	*written = (uint32_t)total;
	rng->bytes += total;
	return VIRTIO_REQ_DONE;
}

void virtio_rng_device(struct virtio_rng *rng, struct virtio_device *dev)
{
	*dev = (struct virtio_device){
		.name = "virtio-rng",
		.thread_name = "virtio-rng",
		.device_id = VIRTIO_ID_ENTROPY,
		.num_queues = 1,
		.queue_size_max = VIRTIO_RNG_QUEUE_SIZE,
		.handle = rng_handle,
		.opaque = rng,
	};
}
