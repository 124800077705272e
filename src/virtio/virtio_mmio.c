/* SPDX-License-Identifier: MIT */
/* The virtio-mmio transport, version 2 (virtio 1.2, 4.2): registers, negotiation, reset. */
#include "virtio/virtio_mmio.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "error.h"
#include "virtio/virtio.h"

_Static_assert(sizeof(struct virtio_mmio_queue_state) == 40, "no padding in the queue state");
_Static_assert(sizeof(struct virtio_mmio_state) == 40 + 40 * VIRTIO_MMIO_QUEUES_MAX,
	       "no padding in the transport state");

/* Registers are 32 bits wide and aligned (4.2.2.2). */
#define REG_SIZE 4
/* The status register holds 8 bits (2.1); writing 0 to them resets (4.2.2). */
#define STATUS_BITS 0xff
/* What the device keeps of a status write: the bits 2.1 defines, but NEEDS_RESET (its own). */
#define STATUS_DRIVER_BITS (VIRTIO_STATUS_MASK & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET)
#define LOG_MESSAGE_MAX	   512
#define U32_MASK	   0xffffffffULL

/* Transport features every device gets (6): modern, indirect tables, event indices. */
#define TRANSPORT_FEATURES                                                             \
	(VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) | \
	 VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX))

static uint32_t load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Report an event of class cls: counted always, logged the first time only. */
static void log_event(struct virtio_mmio *t, enum virtio_mmio_log_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void log_event(struct virtio_mmio *t, enum virtio_mmio_log_class cls, const char *fmt, ...)
{
	static const char *const suffix[VIRTIO_LOG_CLASSES] = {
		[VIRTIO_LOG_QUEUE] = "; the device needs a reset (further errors not shown)",
		[VIRTIO_LOG_DRIVER] = "; ignored (further misuse not shown)",
		[VIRTIO_LOG_HOST] = " (further host errors not shown)",
	};
	char message[LOG_MESSAGE_MAX];
	int len;
	va_list ap;

	__atomic_fetch_add(&t->errors, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_or(&t->logged, 1u << cls, __ATOMIC_RELAXED) & (1u << cls))
		return;
	if (!t->ops.log)
		return;
	len = snprintf(message, sizeof(message), "%s: ", t->dev.name);
	va_start(ap, fmt);
	if (len >= 0 && (size_t)len < sizeof(message))
		vsnprintf(message + len, sizeof(message) - len, fmt, ap);
	va_end(ap);
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, "%s", suffix[cls]);
	t->ops.log(t->ops.opaque, message);
}

static void raise_interrupt(struct virtio_mmio *t, uint32_t bits)
{
	__atomic_fetch_or(&t->interrupt_status, bits, __ATOMIC_SEQ_CST);
	if (t->ops.interrupt)
		t->ops.interrupt(t->ops.opaque);
}

/* Make the I/O thread (or the next virtio_mmio_process_queue()) look at queue q. */
static void kick(struct virtio_mmio_queue *q)
{
	uint64_t one = 1;

	/* EAGAIN means the count is at its maximum: a wake-up is pending anyway. */
	while (write(q->notify_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static bool status_serves(uint32_t status)
{
	return (status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_FAILED);
}

/*
 * Recompute whether q is served. Called with t->lock and q->lock held, after a change
 * of status, readiness or the ring. Returns true if it became served (kick it: buffers
 * made available before DRIVER_OK wait in the ring).
 */
static bool update_live(struct virtio_mmio *t, struct virtio_mmio_queue *q)
{
	bool was = q->live;

	q->live = q->ready && status_serves(t->status) && !load32(&t->needs_reset) && !q->vq.broken;
	return q->live && !was;
}

/*
 * A queue error: stop serving q, set DEVICE_NEEDS_RESET and tell the driver with a
 * configuration change interrupt if it is running the device (2.1.2). q->lock held;
 * error_message() says what happened.
 */
static void queue_error(struct virtio_mmio *t, unsigned int index)
{
	struct virtio_mmio_queue *q = &t->queues[index];

	q->vq.broken = true;
	q->live = false;
	__atomic_store_n(&t->needs_reset, 1, __ATOMIC_SEQ_CST);
	log_event(t, VIRTIO_LOG_QUEUE, "queue %u: %s", index, error_message());
	if (__atomic_load_n(&t->status, __ATOMIC_ACQUIRE) & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

int virtio_mmio_init(struct virtio_mmio *t, const struct guest_memory *mem,
		     const struct virtio_device *dev, const struct virtio_mmio_ops *ops)
{
	unsigned int n = dev->num_queues;

	memset(t, 0, sizeof(*t));
	t->worker.stop_fd = -1;
	if (n == 0 || n > VIRTIO_MMIO_QUEUES_MAX)
		return error_set(EINVAL, "%s: %u queues (1 to %d)", dev->name, n,
				 VIRTIO_MMIO_QUEUES_MAX);
	if (dev->queue_size_max == 0 || dev->queue_size_max & (dev->queue_size_max - 1) ||
	    dev->queue_size_max > VIRTQ_SIZE_MAX)
		return error_set(EINVAL, "%s: queue size %u is not a power of 2 up to %d",
				 dev->name, dev->queue_size_max, VIRTQ_SIZE_MAX);
	if (dev->config_len > VIRTIO_MMIO_CONFIG_MAX || (dev->config_len && !dev->config))
		return error_set(EINVAL, "%s: config space of %u bytes (at most %d)", dev->name,
				 dev->config_len, VIRTIO_MMIO_CONFIG_MAX);
	if (!dev->handle)
		return error_set(EINVAL, "%s: no request handler", dev->name);
	t->queues = calloc(n, sizeof(*t->queues));
	if (!t->queues)
		return error_set(ENOMEM, "%s: out of memory for %u queues", dev->name, n);
	t->mem = mem;
	t->dev = *dev;
	t->ops = *ops;
	t->device_features = (dev->features & VIRTIO_DEVICE_FEATURES_MASK) | TRANSPORT_FEATURES;
	pthread_mutex_init(&t->lock, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct virtio_mmio_queue *q = &t->queues[i];

		pthread_mutex_init(&q->lock, NULL);
		q->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->notify_fd < 0) {
			int err = errno;

			for (unsigned int j = 0; j < i; j++)
				close(t->queues[j].notify_fd);
			free(t->queues);
			t->queues = NULL;
			return error_errno(err, "%s: eventfd for queue %u", dev->name, i);
		}
	}
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	virtio_mmio_stop(t);
	for (unsigned int i = 0; t->queues && i < t->dev.num_queues; i++) {
		close(t->queues[i].notify_fd);
		pthread_mutex_destroy(&t->queues[i].lock);
	}
	if (t->queues)
		pthread_mutex_destroy(&t->lock);
	free(t->queues);
	t->queues = NULL;
}

static void worker_handle(void *opaque, unsigned int index)
{
	struct virtio_mmio *t = opaque;

	if ((t->dev.device_driven & (1u << index)) && t->dev.notify)
		t->dev.notify(t->dev.opaque, index);
	else
		virtio_mmio_process_queue(t, index);
}

int virtio_mmio_start(struct virtio_mmio *t)
{
	int fds[VIRTIO_MMIO_QUEUES_MAX];

	if (t->worker.running)
		return error_set(EBUSY, "%s: its I/O thread is already running", t->dev.name);
	for (unsigned int i = 0; i < t->dev.num_queues; i++)
		fds[i] = t->queues[i].notify_fd;
	return virtio_worker_start(&t->worker, t->dev.thread_name ? t->dev.thread_name : "virtio",
				   fds, t->dev.num_queues, worker_handle, t,
				   t->dev.io_sandbox ? (enum sandbox_thread)t->dev.io_sandbox
						     : SANDBOX_VIRTIO);
}

bool virtio_mmio_running(const struct virtio_mmio *t)
{
	return t->worker.running;
}

void virtio_mmio_stop(struct virtio_mmio *t)
{
	virtio_worker_stop(&t->worker);
}

unsigned int virtio_mmio_num_queues(const struct virtio_mmio *t)
{
	return t->dev.num_queues;
}

int virtio_mmio_queue_notify_fd(const struct virtio_mmio *t, unsigned int queue)
{
	return queue < t->dev.num_queues ? t->queues[queue].notify_fd : -1;
}

uint64_t virtio_mmio_error_count(const struct virtio_mmio *t)
{
	return __atomic_load_n(&t->errors, __ATOMIC_RELAXED);
}

/* --- serving a queue (the I/O thread) --------------------------------------- */

void virtio_mmio_kick(struct virtio_mmio *t, unsigned int queue)
{
	if (queue < t->dev.num_queues)
		kick(&t->queues[queue]);
}

int virtio_mmio_fill_begin(struct virtio_mmio *t, unsigned int index)
{
	struct virtio_mmio_queue *q;

	if (index >= t->dev.num_queues)
		return -EINVAL;
	q = &t->queues[index];
	pthread_mutex_lock(&q->lock);
	if (!q->live) {
		pthread_mutex_unlock(&q->lock);
		return -EAGAIN;
	}
	q->fill_pushed = 0;
	q->fill_seen = q->vq.last_avail_idx; /* at least this much was seen */
	return 0;
}

int virtio_mmio_fill_pop(struct virtio_mmio *t, unsigned int index,
			 const struct virtq_chain **chain)
{
	struct virtio_mmio_queue *q = &t->queues[index];
	int ret;

	if (!q->live)
		return -EIO;
	ret = virtq_pop(&q->vq, &q->chain);
	if (ret < 0) {
		queue_error(t, index);
		return ret;
	}
	if (ret == 0)
		q->fill_seen = q->vq.last_avail_idx; /* = the avail idx just read */
	*chain = &q->chain;
	return ret;
}

void virtio_mmio_fill_unpop(struct virtio_mmio *t, unsigned int index, uint16_t n)
{
	virtq_unpop(&t->queues[index].vq, n);
}

int virtio_mmio_fill_push(struct virtio_mmio *t, unsigned int index, uint16_t head, uint32_t len)
{
	struct virtio_mmio_queue *q = &t->queues[index];
	int ret;

	if (!q->live)
		return -EIO;
	ret = virtq_push(&q->vq, head, len);
	if (ret < 0) {
		queue_error(t, index);
		return ret;
	}
	q->fill_pushed++;
	return 0;
}

void virtio_mmio_fill_fail(struct virtio_mmio *t, unsigned int index)
{
	if (t->queues[index].live)
		queue_error(t, index);
}

bool virtio_mmio_fill_yield(struct virtio_mmio *t, unsigned int index)
{
	return __atomic_load_n(&t->queues[index].quiesce, __ATOMIC_ACQUIRE);
}

int virtio_mmio_fill_end(struct virtio_mmio *t, unsigned int index, bool want_buffers)
{
	struct virtio_mmio_queue *q = &t->queues[index];
	int more = 0, ret;

	if (q->live) {
		/*
		 * Chains given back with fill_unpop() are still available: only buffers
		 * past what fill_pop saw last are news, and the notification asked for is
		 * of those (avail_event = fill_seen, not last_avail_idx, which the driver
		 * has passed already and would never notify for: a device waiting for
		 * room for a frame larger than the buffers left would wait forever).
		 */
		ret = want_buffers ? virtq_notify_enable_at(&q->vq, q->fill_seen)
				   : virtq_notify_disable(&q->vq);
		if (ret < 0)
			queue_error(t, index);
		else if (want_buffers)
			more = ret;
	}
	if (q->live && q->fill_pushed) {
		ret = virtq_should_interrupt(&q->vq);
		if (ret < 0)
			queue_error(t, index);
		else if (ret)
			raise_interrupt(t, VIRTIO_MMIO_INT_VRING);
	}
	q->fill_pushed = 0;
	pthread_mutex_unlock(&q->lock);
	return more;
}

void virtio_mmio_process_queue(struct virtio_mmio *t, unsigned int index)
{
	struct virtio_mmio_queue *q;
	unsigned int budget, pushed = 0;
	bool busy = false;
	int ret;

	if (index >= t->dev.num_queues)
		return;
	q = &t->queues[index];
	pthread_mutex_lock(&q->lock);
	if (!q->live)
		goto out;
	/* A guest that keeps the ring full cannot hold the lock forever: a ring's worth. */
	budget = q->vq.size;
	if (virtq_notify_disable(&q->vq) < 0) {
		queue_error(t, index);
		goto out;
	}
	for (;;) {
		while (budget && !__atomic_load_n(&q->quiesce, __ATOMIC_ACQUIRE)) {
			uint32_t written = 0;

			ret = virtq_pop(&q->vq, &q->chain);
			if (ret == 0)
				break;
			if (ret < 0) {
				queue_error(t, index);
				goto out;
			}
			ret = t->dev.handle(t->dev.opaque, index, &q->chain, &written);
			if (ret < 0) {
				queue_error(t, index);
				goto out;
			}
			if (ret == VIRTIO_REQ_BUSY) {
				/* The device kicks the queue when it can take requests again. */
				virtq_unpop(&q->vq, 1);
				busy = true;
				break;
			}
			if (ret == VIRTIO_REQ_DONE_LOG)
				log_event(t, VIRTIO_LOG_HOST, "queue %u: %s", index,
					  error_message());
			/* Never claim more than the chain could hold (2.7.8.2). */
			if (written > q->chain.in_len)
				written = q->chain.in_len;
			if (virtq_push(&q->vq, q->chain.head, written) < 0) {
				queue_error(t, index);
				goto out;
			}
			pushed++;
			budget--;
		}
		if (busy)
			break;
		if (!budget || __atomic_load_n(&q->quiesce, __ATOMIC_ACQUIRE)) {
			/* Notifications stay off: come back through the eventfd instead. */
			kick(q);
			break;
		}
		ret = virtq_notify_enable(&q->vq);
		if (ret < 0) {
			queue_error(t, index);
			goto out;
		}
		if (ret == 0)
			break;
		if (virtq_notify_disable(&q->vq) < 0) {
			queue_error(t, index);
			goto out;
		}
	}
	if (pushed) {
		ret = virtq_should_interrupt(&q->vq);
		if (ret < 0)
			queue_error(t, index);
		else if (ret)
			raise_interrupt(t, VIRTIO_MMIO_INT_VRING);
	}
out:
	pthread_mutex_unlock(&q->lock);
}

/* --- register writes that change queues (vCPU threads, t->lock held) -------- */

/* Take q's lock from a vCPU, ending the I/O thread's batch on q early. */
static void lock_queue(struct virtio_mmio_queue *q)
{
	__atomic_store_n(&q->quiesce, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&q->lock);
}

static void unlock_queue(struct virtio_mmio_queue *q)
{
	__atomic_store_n(&q->quiesce, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&q->lock);
}

/* Every queue lock, in order. */
static void lock_queues(struct virtio_mmio *t)
{
	for (unsigned int i = 0; i < t->dev.num_queues; i++)
		lock_queue(&t->queues[i]);
}

static void unlock_queues(struct virtio_mmio *t)
{
	for (unsigned int i = t->dev.num_queues; i-- > 0;)
		unlock_queue(&t->queues[i]);
}

/* Device reset (2.4, 4.2.2.1): forget status, features, queues and interrupts. */
static void device_reset(struct virtio_mmio *t)
{
	lock_queues(t);
	for (unsigned int i = 0; i < t->dev.num_queues; i++) {
		struct virtio_mmio_queue *q = &t->queues[i];

		q->ready = false;
		q->live = false;
		q->num = 0;
		q->desc = q->driver = q->device = 0;
		memset(&q->vq, 0, sizeof(q->vq));
	}
	if (t->dev.reset)
		t->dev.reset(t->dev.opaque);
	__atomic_store_n(&t->status, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->needs_reset, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->interrupt_status, 0, __ATOMIC_RELEASE);
	t->driver_features = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	unlock_queues(t);
}

/* What the device accepts at FEATURES_OK (2.2.2): offered bits only, and VERSION_1. */
static bool features_acceptable(struct virtio_mmio *t)
{
	if (t->driver_features & ~t->device_features) {
		log_event(t, VIRTIO_LOG_DRIVER,
			  "driver accepted features 0x%llx that were not offered (0x%llx); "
			  "FEATURES_OK refused",
			  (unsigned long long)t->driver_features,
			  (unsigned long long)t->device_features);
		return false;
	}
	if (!(t->driver_features & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
		log_event(t, VIRTIO_LOG_DRIVER,
			  "driver did not accept VIRTIO_F_VERSION_1 (a legacy driver?); "
			  "FEATURES_OK refused");
		return false;
	}
	return true;
}

static void write_status(struct virtio_mmio *t, uint32_t value)
{
	bool kick_queues[VIRTIO_MMIO_QUEUES_MAX] = { false };
	uint32_t was = t->status;
	uint32_t now = value & STATUS_DRIVER_BITS;

	if ((value & STATUS_BITS) == 0) {
		device_reset(t);
		return;
	}
	/* The driver MUST NOT clear a status bit (2.1.1); only a reset does. */
	if (was & ~now) {
		log_event(t, VIRTIO_LOG_DRIVER, "status write 0x%x clears bits of 0x%x", value,
			  was);
		return;
	}
	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(was & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(t))
		now &= ~VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back (3.1.1) */
	if ((now & VIRTIO_STATUS_DRIVER_OK) && !(now & VIRTIO_STATUS_FEATURES_OK)) {
		log_event(t, VIRTIO_LOG_DRIVER, "DRIVER_OK without FEATURES_OK (status 0x%x)",
			  value);
		now &= ~VIRTIO_STATUS_DRIVER_OK;
	}
	if (now == was)
		return;
	lock_queues(t);
	__atomic_store_n(&t->status, now, __ATOMIC_RELEASE);
	if ((now & VIRTIO_STATUS_DRIVER_OK) && !(was & VIRTIO_STATUS_DRIVER_OK)) {
		for (unsigned int i = 0; i < t->dev.num_queues; i++)
			virtq_set_features(&t->queues[i].vq, t->driver_features);
		if (t->dev.activate)
			t->dev.activate(t->dev.opaque, t->driver_features);
	}
	for (unsigned int i = 0; i < t->dev.num_queues; i++)
		kick_queues[i] = update_live(t, &t->queues[i]);
	unlock_queues(t);
	for (unsigned int i = 0; i < t->dev.num_queues; i++)
		if (kick_queues[i])
			kick(&t->queues[i]);
}

static void write_queue_ready(struct virtio_mmio *t, struct virtio_mmio_queue *q,
			      unsigned int index, uint32_t value)
{
	bool start = false;
	int ret = 0;

	if (!!value == q->ready)
		return;
	lock_queue(q);
	if (!value) {
		/* The driver stops using the queue (4.2.2.2) and reads QueueReady back. */
		q->ready = false;
		q->live = false;
		memset(&q->vq, 0, sizeof(q->vq));
	} else if (q->num > t->dev.queue_size_max) {
		ret = error_set(EINVAL, "QueueNum %u is larger than QueueNumMax %u", q->num,
				t->dev.queue_size_max);
	} else {
		ret = virtq_init(&q->vq, t->mem, q->num, q->desc, q->driver, q->device,
				 t->driver_features);
		if (ret == 0) {
			q->ready = true;
			start = update_live(t, q);
		}
	}
	if (ret < 0) {
		/* Refused: QueueReady stays 0, and the device needs a reset. */
		error_wrap(-ret, "QueueReady refused");
		queue_error(t, index);
	}
	unlock_queue(q);
	if (start)
		kick(q);
}

/* Set the low or high 32 bits of a queue address register. */
static void set_half(gpa_t *gpa, bool high, uint32_t value)
{
	if (high)
		*gpa = (*gpa & U32_MASK) | ((uint64_t)value << 32);
	else
		*gpa = (*gpa & ~U32_MASK) | value;
}

/* The selected queue, or NULL when QueueSel names none. */
static struct virtio_mmio_queue *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->dev.num_queues ? &t->queues[t->queue_sel] : NULL;
}

/* A write to a queue configuration register (QueueNum, QueueDesc...): only while not ready. */
static struct virtio_mmio_queue *queue_config(struct virtio_mmio *t, uint64_t offset)
{
	struct virtio_mmio_queue *q = selected(t);

	if (!q)
		return NULL;
	if (q->ready) {
		/* 4.2.2.2: "When QueueReady is not zero, the driver MUST NOT access ..." */
		log_event(t, VIRTIO_LOG_DRIVER,
			  "queue %u: register 0x%03llx written while the queue is ready",
			  t->queue_sel, (unsigned long long)offset);
		return NULL;
	}
	return q;
}

static void write_register(struct virtio_mmio *t, uint64_t offset, uint32_t value)
{
	struct virtio_mmio_queue *q;

	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->device_features_sel = value;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->driver_features_sel = value;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (t->status & VIRTIO_STATUS_FEATURES_OK) {
			log_event(t, VIRTIO_LOG_DRIVER, "DriverFeatures written after FEATURES_OK");
			break;
		}
		if (t->driver_features_sel == 0)
			t->driver_features = (t->driver_features & ~U32_MASK) | value;
		else if (t->driver_features_sel == 1)
			t->driver_features =
				(t->driver_features & U32_MASK) | ((uint64_t)value << 32);
		else if (value)
			log_event(t, VIRTIO_LOG_DRIVER, "DriverFeatures word %u set to 0x%x",
				  t->driver_features_sel, value);
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = value;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		q = queue_config(t, offset);
		if (q)
			q->num = value;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		q = queue_config(t, offset);
		if (q)
			set_half(&q->desc, offset == VIRTIO_MMIO_QUEUE_DESC_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		q = queue_config(t, offset);
		if (q)
			set_half(&q->driver, offset == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		q = queue_config(t, offset);
		if (q)
			set_half(&q->device, offset == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		q = selected(t);
		if (q)
			write_queue_ready(t, q, t->queue_sel, value);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(t, value);
		break;
	case VIRTIO_MMIO_SHM_SEL:
		break; /* no shared memory regions: every one reads as absent */
	case VIRTIO_MMIO_QUEUE_RESET:
		/* VIRTIO_F_RING_RESET is not offered: nothing to reset. */
		log_event(t, VIRTIO_LOG_DRIVER, "QueueReset written without VIRTIO_F_RING_RESET");
		break;
	default:
		log_event(t, VIRTIO_LOG_DRIVER,
			  "write of 0x%x to read-only or unknown register "
			  "0x%03llx",
			  value, (unsigned long long)offset);
		break;
	}
}

static uint32_t read_register(struct virtio_mmio *t, uint64_t offset)
{
	struct virtio_mmio_queue *q;

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->dev.device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->device_features_sel == 0)
			return (uint32_t)t->device_features;
		if (t->device_features_sel == 1)
			return (uint32_t)(t->device_features >> 32);
		return 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return selected(t) ? t->dev.queue_size_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		q = selected(t);
		return q && q->ready;
	case VIRTIO_MMIO_STATUS:
		return t->status | (load32(&t->needs_reset) ? VIRTIO_STATUS_DEVICE_NEEDS_RESET : 0);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return (uint32_t)U32_MASK; /* -1: no such region (4.2.2) */
	case VIRTIO_MMIO_QUEUE_RESET:
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return 0; /* the config space never changes: one generation */
	default:
		/* Write-only or unknown: the driver MUST NOT read them (4.2.2.2). */
		log_event(t, VIRTIO_LOG_DRIVER, "read of write-only or unknown register 0x%03llx",
			  (unsigned long long)offset);
		return 0;
	}
}

static bool valid_size(uint32_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

int virtio_mmio_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct virtio_mmio *t = opaque;
	uint8_t *out = data;
	uint32_t value;

	if (!valid_size(size))
		return 0;
	memset(data, 0, size);
	if (offset >= VIRTIO_MMIO_SIZE || size > VIRTIO_MMIO_SIZE - offset)
		return 0;
	if (offset >= VIRTIO_MMIO_CONFIG) {
		const uint8_t *config = t->dev.config;
		uint64_t at = offset - VIRTIO_MMIO_CONFIG;

		/* Constant after init: no lock. Little-endian bytes as stored. */
		for (uint32_t i = 0; i < size; i++)
			if (at + i < t->dev.config_len)
				out[i] = config[at + i];
		return 0;
	}
	if (size != REG_SIZE || offset % REG_SIZE) {
		log_event(t, VIRTIO_LOG_DRIVER, "%u-byte read at register offset 0x%03llx", size,
			  (unsigned long long)offset);
		return 0;
	}
	if (offset == VIRTIO_MMIO_INTERRUPT_STATUS) {
		value = __atomic_load_n(&t->interrupt_status, __ATOMIC_SEQ_CST);
	} else {
		pthread_mutex_lock(&t->lock);
		value = read_register(t, offset);
		pthread_mutex_unlock(&t->lock);
	}
	value = htole32(value);
	memcpy(data, &value, sizeof(value));
	return 0;
}

int virtio_mmio_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct virtio_mmio *t = opaque;
	uint32_t value;

	if (!valid_size(size) || offset >= VIRTIO_MMIO_SIZE || size > VIRTIO_MMIO_SIZE - offset)
		return 0;
	if (offset >= VIRTIO_MMIO_CONFIG) {
		/* No config field offered here is writable by the driver. */
		log_event(t, VIRTIO_LOG_DRIVER, "%u-byte write to config space offset 0x%llx", size,
			  (unsigned long long)(offset - VIRTIO_MMIO_CONFIG));
		return 0;
	}
	if (size != REG_SIZE || offset % REG_SIZE) {
		log_event(t, VIRTIO_LOG_DRIVER, "%u-byte write at register offset 0x%03llx", size,
			  (unsigned long long)offset);
		return 0;
	}
	memcpy(&value, data, sizeof(value));
	value = le32toh(value);
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/*
		 * The value is the queue index (4.2.3.3, no VIRTIO_F_NOTIFICATION_DATA), all 32
		 * bits of it, as KVM_IOEVENTFD's datamatch compares them. The same eventfd
		 * KVM writes: one path for requests either way.
		 */
		if (value < t->dev.num_queues)
			kick(&t->queues[value]);
		else
			log_event(t, VIRTIO_LOG_DRIVER, "QueueNotify for queue %u of %u", value,
				  t->dev.num_queues);
		return 0;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&t->interrupt_status, ~value, __ATOMIC_SEQ_CST);
		return 0;
	default:
		pthread_mutex_lock(&t->lock);
		write_register(t, offset, value);
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
}

/* --- snapshots --------------------------------------------------------------- */

void virtio_mmio_pause(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	lock_queues(t);
}

void virtio_mmio_resume(struct virtio_mmio *t)
{
	unlock_queues(t);
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_save(const struct virtio_mmio *t, struct virtio_mmio_state *out)
{
	memset(out, 0, sizeof(*out));
	out->device_id = t->dev.device_id;
	out->num_queues = t->dev.num_queues;
	out->status = t->status | (load32(&t->needs_reset) ? VIRTIO_STATUS_DEVICE_NEEDS_RESET : 0);
	out->interrupt_status = load32(&t->interrupt_status);
	out->driver_features = t->driver_features;
	out->device_features_sel = t->device_features_sel;
	out->driver_features_sel = t->driver_features_sel;
	out->queue_sel = t->queue_sel;
	for (unsigned int i = 0; i < t->dev.num_queues; i++) {
		const struct virtio_mmio_queue *q = &t->queues[i];
		struct virtio_mmio_queue_state *s = &out->queues[i];

		s->desc = q->desc;
		s->driver = q->driver;
		s->device = q->device;
		s->num = q->num;
		s->ready = q->ready;
		if (q->ready) {
			s->last_avail_idx = q->vq.last_avail_idx;
			s->used_idx = q->vq.used_idx;
			s->signalled_used = q->vq.signalled_used;
			s->signalled_used_valid = q->vq.signalled_used_valid;
			s->broken = q->vq.broken;
		}
	}
}

static bool zeroed(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Check a snapshot against t without changing anything. */
static int restore_check(const struct virtio_mmio *t, const struct virtio_mmio_state *in)
{
	if (in->device_id != t->dev.device_id || in->num_queues != t->dev.num_queues)
		return error_set(EINVAL,
				 "%s: snapshot of device type %u with %u queues, not %u with %u",
				 t->dev.name, in->device_id, in->num_queues, t->dev.device_id,
				 t->dev.num_queues);
	if (in->reserved)
		return error_set(EINVAL, "%s: snapshot with a reserved field set", t->dev.name);
	if (in->status & ~VIRTIO_STATUS_MASK ||
	    in->interrupt_status & ~(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG))
		return error_set(EINVAL, "%s: snapshot with unknown status or interrupt bits",
				 t->dev.name);
	if ((in->status & VIRTIO_STATUS_DRIVER_OK) && !(in->status & VIRTIO_STATUS_FEATURES_OK))
		return error_set(EINVAL, "%s: snapshot with DRIVER_OK but not FEATURES_OK",
				 t->dev.name);
	/* Before FEATURES_OK, DriverFeatures holds whatever the driver wrote. */
	if ((in->status & VIRTIO_STATUS_FEATURES_OK) && (in->driver_features & ~t->device_features))
		return error_set(EINVAL, "%s: snapshot features 0x%llx were not offered (0x%llx)",
				 t->dev.name, (unsigned long long)in->driver_features,
				 (unsigned long long)t->device_features);
	for (unsigned int i = 0; i < VIRTIO_MMIO_QUEUES_MAX; i++) {
		const struct virtio_mmio_queue_state *s = &in->queues[i];
		int ret;

		if (i >= t->dev.num_queues) {
			if (!zeroed(s, sizeof(*s)))
				return error_set(EINVAL, "%s: snapshot has state for queue %u",
						 t->dev.name, i);
			continue;
		}
		if (s->ready > 1 || s->signalled_used_valid > 1 || s->broken > 1)
			return error_set(EINVAL, "%s: snapshot queue %u: bad flags", t->dev.name,
					 i);
		if (!s->ready)
			continue;
		if (s->num > t->dev.queue_size_max)
			return error_set(EINVAL, "%s: snapshot queue %u: size %u above %u",
					 t->dev.name, i, s->num, t->dev.queue_size_max);
		ret = virtq_check_layout(t->mem, s->num, s->desc, s->driver, s->device);
		if (ret < 0)
			return error_wrap(-ret, "%s: snapshot queue %u", t->dev.name, i);
		/* Each used entry was taken from the available ring first. */
		if ((uint16_t)(s->last_avail_idx - s->used_idx) > s->num)
			return error_set(EINVAL, "%s: snapshot queue %u: indices %u and %u apart",
					 t->dev.name, i, s->last_avail_idx, s->used_idx);
	}
	return 0;
}

int virtio_mmio_restore(struct virtio_mmio *t, const struct virtio_mmio_state *in)
{
	bool kick_queues[VIRTIO_MMIO_QUEUES_MAX] = { false };
	int ret = restore_check(t, in);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&t->lock);
	device_reset(t);
	lock_queues(t);
	t->driver_features = in->driver_features;
	t->device_features_sel = in->device_features_sel;
	t->driver_features_sel = in->driver_features_sel;
	t->queue_sel = in->queue_sel;
	__atomic_store_n(&t->status, in->status & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&t->needs_reset, !!(in->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&t->interrupt_status, in->interrupt_status, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < t->dev.num_queues; i++) {
		const struct virtio_mmio_queue_state *s = &in->queues[i];
		struct virtio_mmio_queue *q = &t->queues[i];

		q->desc = s->desc;
		q->driver = s->driver;
		q->device = s->device;
		q->num = s->num;
		if (!s->ready)
			continue;
		/* Checked above: cannot fail. */
		virtq_init(&q->vq, t->mem, s->num, s->desc, s->driver, s->device,
			   in->driver_features);
		q->vq.last_avail_idx = s->last_avail_idx;
		q->vq.used_idx = s->used_idx;
		q->vq.signalled_used = s->signalled_used;
		q->vq.signalled_used_valid = s->signalled_used_valid;
		q->vq.broken = s->broken;
		q->ready = true;
	}
	if ((t->status & VIRTIO_STATUS_DRIVER_OK) && t->dev.activate)
		t->dev.activate(t->dev.opaque, t->driver_features);
	for (unsigned int i = 0; i < t->dev.num_queues; i++)
		kick_queues[i] = update_live(t, &t->queues[i]);
	unlock_queues(t);
	pthread_mutex_unlock(&t->lock);
	for (unsigned int i = 0; i < t->dev.num_queues; i++)
		if (kick_queues[i])
			kick(&t->queues[i]);
	return 0;
}
