/* SPDX-License-Identifier: MIT */
/* The virtio-mmio transport, version 2 (virtio 1.2, 4.2): register file, status, queues. */
#ifndef MINI_KVM_VIRTIO_MMIO_H
#define MINI_KVM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "memory.h"
#include "virtio/virtio_worker.h"
#include "virtio/virtqueue.h"

/* Register offsets from the device's base (virtio 1.2, 4.2.2, "MMIO Device Register Layout"). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000 /* R: "virt" */
#define VIRTIO_MMIO_VERSION		0x004 /* R: 2 */
#define VIRTIO_MMIO_DEVICE_ID		0x008 /* R: VIRTIO_ID_* */
#define VIRTIO_MMIO_VENDOR_ID		0x00c /* R */
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010 /* R: 32 feature bits, selected by ..._SEL */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 /* W */
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020 /* W: 32 accepted feature bits */
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024 /* W */
#define VIRTIO_MMIO_QUEUE_SEL		0x030 /* W: the queue the Queue* registers apply to */
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034 /* R: largest queue size, 0: no such queue */
#define VIRTIO_MMIO_QUEUE_NUM		0x038 /* W: the queue size the driver chose */
#define VIRTIO_MMIO_QUEUE_READY		0x044 /* RW */
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050 /* W: a queue index: available buffers */
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060 /* R: VIRTIO_MMIO_INT_* */
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064 /* W */
#define VIRTIO_MMIO_STATUS		0x070 /* RW: VIRTIO_STATUS_*; 0 resets */
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080 /* W: Descriptor Area GPA */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090 /* W: Driver Area (available ring) GPA */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0 /* W: Device Area (used ring) GPA */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_SEL		0x0ac /* W: shared memory region (none here) */
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0 /* R: -1: no such region */
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8 /* R: -1: no such region */
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#define VIRTIO_MMIO_QUEUE_RESET		0x0c0 /* RW: VIRTIO_F_RING_RESET only (not offered) */
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc /* R */
#define VIRTIO_MMIO_CONFIG		0x100 /* device-specific configuration space */

/* The register window of one device: registers, then up to 256 bytes of config space. */
#define VIRTIO_MMIO_SIZE       0x200
#define VIRTIO_MMIO_CONFIG_MAX (VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)

#define VIRTIO_MMIO_MAGIC     0x74726976 /* "virt", little-endian */
#define VIRTIO_MMIO_VERSION_2 2		 /* the modern (virtio 1.x) register layout */
#define VIRTIO_MMIO_VENDOR    0x4d564b4d /* "MKVM": mini-kvm; drivers do not look at it */

/* InterruptStatus / InterruptACK bits (4.2.2). */
#define VIRTIO_MMIO_INT_VRING  0x1 /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 0x2 /* configuration change notification (and NEEDS_RESET) */

/*
 * Where the VM puts each device's window and which GSI it interrupts on is the
 * platform's business: arch/x86/layout.h (LAYOUT_VIRTIO_MMIO, IRQ_VIRTIO_MMIO), the
 * DSDT (arch/x86/acpi.c) and the VM's wiring (vm_virtio.c).
 */

/* The most queues one device has here. */
#define VIRTIO_MMIO_QUEUES_MAX VIRTIO_WORKER_FDS_MAX

/* What virtio_device.handle returns besides a queue error (-errno). */
#define VIRTIO_REQ_DONE	    0 /* the request completed (its status says how) */
#define VIRTIO_REQ_DONE_LOG 1 /* completed, and error_message() says what failed on the host */
/*
 * The device cannot take the chain now (virtio-net: its backend is full): the chain
 * stays available, serving the queue stops, and the device calls virtio_mmio_kick()
 * when it can take requests again.
 */
#define VIRTIO_REQ_BUSY 2

/*
 * A device (virtio-blk, virtio-rng...) as the transport sees it. Filled by the device's
 * own module (virtio_blk_device(), virtio_rng_device()); copied by virtio_mmio_init().
 */
struct virtio_device {
	const char *name;	 /* for messages, e.g. "virtio-blk 'disk.img'"; kept */
	const char *thread_name; /* its I/O thread's name, e.g. "virtio-blk" (15 chars) */
	/*
	 * Its I/O thread's sandbox (enum sandbox_thread) when not SANDBOX_VIRTIO (0: that
	 * one): a thread that runs a backend's code, started with the VM, before the
	 * guest thread's sandbox (vm_virtio.c).
	 */
	int io_sandbox;
	uint32_t device_id;	 /* VIRTIO_ID_* */
	uint64_t features;	 /* device-specific feature bits offered (bits 0-23) */
	const void *config;	 /* device configuration space, little-endian; kept */
	uint32_t config_len;	 /* its bytes, at most VIRTIO_MMIO_CONFIG_MAX */
	unsigned int num_queues; /* 1 to VIRTIO_MMIO_QUEUES_MAX */
	uint16_t queue_size_max; /* QueueNumMax: a power of 2, at most VIRTQ_SIZE_MAX */
	/*
	 * Serve one chain of queue on the I/O thread. Write what the driver should see in
	 * the chain's device-writable part and set *written to the bytes written from its
	 * start (the used ring's len). Returns VIRTIO_REQ_DONE, VIRTIO_REQ_DONE_LOG (a host
	 * failure, message in error_message(), logged once), or -errno when the chain's
	 * layout makes the request impossible to answer (a queue error: DEVICE_NEEDS_RESET).
	 */
	int (*handle)(void *opaque, unsigned int queue, const struct virtq_chain *chain,
		      uint32_t *written);
	/*
	 * Queues the device fills on its own schedule, one bit per queue (virtio-net's
	 * receive queue: buffers wait there until a frame arrives). A notification of such
	 * a queue calls notify() on the I/O thread instead of handing its chains to
	 * handle(); the device serves it with virtio_mmio_fill_begin() ... _end().
	 */
	uint32_t device_driven;
	void (*notify)(void *opaque, unsigned int queue);
	/* The driver set DRIVER_OK having accepted features. May be NULL. */
	void (*activate)(void *opaque, uint64_t features);
	/* The driver reset the device. May be NULL. */
	void (*reset)(void *opaque);
	void *opaque;
};

/*
 * What the transport needs from the VM. interrupt: raise the device's interrupt (an
 * edge on its GSI: a KVM_IRQFD eventfd write, or KVM_IRQ_LINE 1 then 0); called from
 * vCPU threads and the I/O thread, possibly at once. log: one line for the user about
 * a guest or host error, without "mini-kvm: " or a newline; may be NULL. Both must be
 * thread-safe and must not call back into the transport.
 */
struct virtio_mmio_ops {
	void (*interrupt)(void *opaque);
	void (*log)(void *opaque, const char *message);
	void *opaque;
};

/* Log classes: each is logged once in the transport's life, then only counted. */
enum virtio_mmio_log_class {
	VIRTIO_LOG_QUEUE,  /* a hostile or broken queue: DEVICE_NEEDS_RESET */
	VIRTIO_LOG_DRIVER, /* a register access the spec forbids the driver: ignored */
	VIRTIO_LOG_HOST,   /* a host-side failure serving a request (the request failed) */
	VIRTIO_LOG_CLASSES
};

/* One queue's registers and ring state. */
struct virtio_mmio_queue {
	/*
	 * Guards vq, chain and live. Held by the I/O thread for each batch of requests;
	 * taken by vCPUs (after virtio_mmio.lock) to change the queue: QueueReady, reset,
	 * DRIVER_OK, restore. So a queue never changes under a request being served.
	 */
	pthread_mutex_t lock;
	int notify_fd; /* eventfd (EFD_NONBLOCK|EFD_CLOEXEC): KVM_IOEVENTFD or QueueNotify */
	/* Under virtio_mmio.lock: the driver's configuration (4.2.2). */
	uint32_t num;	  /* QueueNum */
	gpa_t desc;	  /* QueueDesc */
	gpa_t driver;	  /* QueueDriver: the available ring */
	gpa_t device;	  /* QueueDevice: the used ring */
	bool ready;	  /* QueueReady as the driver reads it; changed under both locks */
	uint32_t quiesce; /* atomic: a vCPU waits for lock: the batch ends early */
	/* Under lock: */
	bool live;		  /* served: ready, DRIVER_OK, no FAILED, vq not broken */
	struct virtq vq;	  /* the ring state while ready */
	struct virtq_chain chain; /* the chain being served (16 KiB: not on a stack) */
	unsigned int fill_pushed; /* chains pushed since virtio_mmio_fill_begin() */
	uint16_t fill_seen;	  /* the avail idx the fill last saw: at fill_begin, or empty */
};

/*
 * A virtio-mmio device. Lock order: lock, then queues[0].lock, queues[1].lock ...;
 * the I/O thread takes one queue lock and never lock. Fields not listed under a lock
 * are set at init and constant, or atomic.
 */
struct virtio_mmio {
	/*
	 * Guards the register file: status, driver_features, the selectors and each
	 * queue's configuration. Taken by every register access from a vCPU except
	 * QueueNotify, InterruptStatus and InterruptACK (an eventfd write and atomics).
	 */
	pthread_mutex_t lock;
	const struct guest_memory *mem;
	struct virtio_device dev;
	struct virtio_mmio_ops ops;
	uint64_t device_features; /* offered: the device's plus VERSION_1, INDIRECT, EVENT_IDX */
	uint32_t status;	  /* under lock (atomic reads elsewhere), without NEEDS_RESET */
	uint64_t driver_features; /* under lock: DriverFeatures as written */
	uint32_t device_features_sel, driver_features_sel, queue_sel; /* under lock */
	uint32_t interrupt_status; /* atomic: VIRTIO_MMIO_INT_* not yet acknowledged */
	uint32_t needs_reset;	   /* atomic: DEVICE_NEEDS_RESET is set (by any thread) */
	uint32_t logged;	   /* atomic: bit per enum virtio_mmio_log_class already logged */
	uint64_t errors;	   /* atomic: every logged-class event, logged or not */
	struct virtio_mmio_queue *queues; /* dev.num_queues of them */
	struct virtio_worker worker;	  /* the I/O thread, between start and stop */
};

/*
 * Set up transport t for dev over guest memory mem (kept, as are dev's strings and
 * config): registers at reset values, one notify eventfd per queue, no thread yet.
 * Returns 0, -EINVAL for a bad dev (queue count or size, config length), -ENOMEM, or
 * -errno from eventfd(), with a message. On failure t needs no destroy.
 */
int virtio_mmio_init(struct virtio_mmio *t, const struct guest_memory *mem,
		     const struct virtio_device *dev, const struct virtio_mmio_ops *ops);

/* Stop the I/O thread if running, close the eventfds, free the queues. */
void virtio_mmio_destroy(struct virtio_mmio *t);

/*
 * Start the device's I/O thread (named dev.thread_name), which serves each queue when
 * its notify eventfd is written. Returns 0, -EBUSY if it runs already, or
 * virtio_worker_start()'s -errno.
 */
int virtio_mmio_start(struct virtio_mmio *t);

/* Whether the I/O thread runs (started and not stopped). */
bool virtio_mmio_running(const struct virtio_mmio *t);

/* Stop the I/O thread after the batch in progress; safe when not started. */
void virtio_mmio_stop(struct virtio_mmio *t);

/*
 * Bus handlers, t as opaque (virtio 1.2, 4.2.2). Registers (offsets below 0x100) take
 * 32-bit aligned accesses; the config space any size from 1 to 8 at any offset (reads
 * past the device's config are 0, writes are ignored). A forbidden access is ignored
 * (reads 0) and logged once. Always return 0: nothing here is a VMM failure.
 */
int virtio_mmio_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int virtio_mmio_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

/*
 * The device's number of queues, and the notify eventfd of queue (0 to num_queues - 1;
 * -1 for any other), owned by t: register it with KVM_IOEVENTFD at the device's base +
 * VIRTIO_MMIO_QUEUE_NOTIFY, 4 bytes, datamatch = queue.
 */
unsigned int virtio_mmio_num_queues(const struct virtio_mmio *t);
int virtio_mmio_queue_notify_fd(const struct virtio_mmio *t, unsigned int queue);

/*
 * Serve queue: take available chains and hand them to dev.handle until the ring is
 * empty (or a queue size's worth of them, or a vCPU waits to change the queue: then
 * the queue's eventfd is written to come back), then interrupt unless the driver
 * suppressed it. A queue error sets DEVICE_NEEDS_RESET, raises a configuration change
 * interrupt (after DRIVER_OK) and stops serving the queue until reset. Nothing happens
 * before DRIVER_OK or while the queue is not ready. The I/O thread calls this after
 * each notification; unit tests call it directly.
 */
void virtio_mmio_process_queue(struct virtio_mmio *t, unsigned int queue);

/*
 * Make the I/O thread serve queue (0 to num_queues - 1) as if the driver had notified
 * it: a device calls this when it can take requests again after VIRTIO_REQ_BUSY, or
 * has data for a device-driven queue. Any thread; never blocks.
 */
void virtio_mmio_kick(struct virtio_mmio *t, unsigned int queue);

/*
 * Filling a device-driven queue (virtio_device.device_driven), on the I/O thread:
 *
 *	if (virtio_mmio_fill_begin(t, q) == 0) {
 *		while (data && virtio_mmio_fill_pop(t, q, &chain) == 1)
 *			write into chain's device-writable part, virtio_mmio_fill_push() it
 *		more = virtio_mmio_fill_end(t, q, data_left_over);
 *	}
 *
 * fill_begin takes the queue's lock: returns 0, or -EAGAIN when the queue is not
 * served (not ready, no DRIVER_OK, broken): nothing is locked then. Every other call
 * needs a successful fill_begin and comes before fill_end.
 * fill_pop takes the next available chain: 1 with *chain (valid until the next pop or
 * fill_end), 0 when the ring is empty, or -errno for a queue error (already handled:
 * the queue is no longer served; go to fill_end).
 * fill_unpop gives back the last n chains popped and not pushed (virtq_unpop()).
 * fill_push returns a chain with len bytes written: 0, or -errno (a queue error,
 * handled as for fill_pop).
 * fill_fail makes a queue error of error_message() (a chain the device cannot use:
 * DEVICE_NEEDS_RESET, logged once).
 * fill_yield says whether a vCPU waits to change the queue: end the batch early.
 * fill_end interrupts the driver for the chains pushed (unless it suppressed that),
 * asks for available buffer notifications if want_buffers (the device has data but no
 * room for it) or turns them off, and unlocks. Returns 1 when buffers arrived while
 * notifications were being turned on (past those fill_pop saw last: fill again),
 * else 0.
 */
int virtio_mmio_fill_begin(struct virtio_mmio *t, unsigned int queue);
int virtio_mmio_fill_pop(struct virtio_mmio *t, unsigned int queue,
			 const struct virtq_chain **chain);
void virtio_mmio_fill_unpop(struct virtio_mmio *t, unsigned int queue, uint16_t n);
int virtio_mmio_fill_push(struct virtio_mmio *t, unsigned int queue, uint16_t head, uint32_t len);
void virtio_mmio_fill_fail(struct virtio_mmio *t, unsigned int queue);
bool virtio_mmio_fill_yield(struct virtio_mmio *t, unsigned int queue);
int virtio_mmio_fill_end(struct virtio_mmio *t, unsigned int queue, bool want_buffers);

/* Events of every log class so far (logged or only counted). */
uint64_t virtio_mmio_error_count(const struct virtio_mmio *t);

/* One queue in a snapshot. */
struct virtio_mmio_queue_state {
	uint64_t desc;		      /* QueueDesc GPA */
	uint64_t driver;	      /* QueueDriver GPA */
	uint64_t device;	      /* QueueDevice GPA */
	uint32_t num;		      /* QueueNum */
	uint32_t ready;		      /* QueueReady: 0 or 1 */
	uint16_t last_avail_idx;      /* next available ring entry to take */
	uint16_t used_idx;	      /* used idx the device wrote last */
	uint16_t signalled_used;      /* used idx at the last interrupt-suppression check */
	uint8_t signalled_used_valid; /* 0 or 1 */
	uint8_t broken;		      /* 0 or 1: a queue error stopped the queue */
};

/* A transport in a snapshot: registers and queues; the device's own state is separate. */
struct virtio_mmio_state {
	uint32_t device_id;	      /* VIRTIO_ID_*: must match at restore */
	uint32_t num_queues;	      /* must match at restore */
	uint32_t status;	      /* Status, DEVICE_NEEDS_RESET included */
	uint32_t interrupt_status;    /* VIRTIO_MMIO_INT_* pending */
	uint64_t driver_features;     /* DriverFeatures */
	uint32_t device_features_sel; /* DeviceFeaturesSel */
	uint32_t driver_features_sel; /* DriverFeaturesSel */
	uint32_t queue_sel;	      /* QueueSel */
	uint32_t reserved;	      /* 0 */
	struct virtio_mmio_queue_state queues[VIRTIO_MMIO_QUEUES_MAX]; /* unused ones zero */
};

/*
 * Hold t still for a snapshot: takes t's lock and every queue's, so the I/O thread
 * ends its batch (each request it serves is whole: read, done, pushed) and waits, and
 * no vCPU changes a register. Nothing reaches guest RAM or the disk, and no interrupt
 * is raised, until virtio_mmio_resume(t). Call from a thread that is not t's I/O
 * thread, with the vCPUs out of t's handlers (vm_pause()). Never fails.
 */
void virtio_mmio_pause(struct virtio_mmio *t);

/* Let t go on after virtio_mmio_pause(t): batches cut short come back by their eventfd. */
void virtio_mmio_resume(struct virtio_mmio *t);

/*
 * Save t's state into *out: consistent, since t is paused (virtio_mmio_pause(): the
 * caller holds its locks, so the state is between two batches).
 */
void virtio_mmio_save(const struct virtio_mmio *t, struct virtio_mmio_state *out);

/*
 * Load *in into t (same device type and queue count), the I/O thread stopped or
 * running. Ready queues are checked as at QueueReady, then served if DRIVER_OK.
 * Returns 0, or -EINVAL with a message for a state that does not fit (wrong device,
 * unknown bits, DRIVER_OK without FEATURES_OK, features not offered once FEATURES_OK
 * is set, a bad queue, reserved fields not zero); t is then unchanged.
 */
int virtio_mmio_restore(struct virtio_mmio *t, const struct virtio_mmio_state *in);

#endif
