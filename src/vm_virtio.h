/* SPDX-License-Identifier: MIT */
/* A VM's virtio-mmio devices: a transport per disk and entropy source, on the bus and wired to KVM. */
#ifndef MINI_KVM_VM_VIRTIO_H
#define MINI_KVM_VM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/layout.h"
#include "bus.h"
#include "memory.h"
#include "net/net.h"
#include "virtio/virtio_blk.h"
#include "virtio/virtio_mmio.h"
#include "virtio/virtio_net.h"
#include "virtio/virtio_rng.h"

/* Lines of device notes kept (each transport logs each class once: few ever come). */
#define VM_VIRTIO_NOTES_MAX 16
#define VM_VIRTIO_NOTE_MAX  512

/*
 * How a device raises its interrupt when KVM_IRQFD is missing: irq_line(opaque, gsi,
 * level), called with 1 then 0 (an edge). Thread-safe; called from vCPU and I/O threads.
 */
struct vm_virtio_irq_ops {
	void (*irq_line)(void *opaque, unsigned int gsi, int level);
	void *opaque;
};

struct vm_virtio;

/* Slot n: the device at LAYOUT_VIRTIO_MMIO(n), interrupting on GSI IRQ_VIRTIO_MMIO(n). */
struct vm_virtio_slot {
	struct virtio_mmio transport;
	struct vm_virtio *owner;
	unsigned int index; /* n */
	int irq_fd;	    /* eventfd bound to the GSI with KVM_IRQFD; -1: irq_line() pulses */
};

/*
 * The devices, in slot order: the disks (the guest's vda, vdb ... in the order given),
 * then the entropy source. Set up by vm_virtio_init(), wired to KVM by
 * vm_virtio_attach_kvm(); their I/O threads run from vm_virtio_start() to
 * vm_virtio_stop(), around the vCPU threads.
 */
struct vm_virtio {
	bool initialized;
	struct vm_virtio_slot slots[LAYOUT_VIRTIO_MMIO_COUNT];
	unsigned int count;    /* slots in use */
	struct virtio_rng rng; /* the entropy device's state, when there is one */
	/* --net: the NIC and its backend (owned), when there is one (vm_virtio_add_net()). */
	bool has_net;
	struct virtio_net net;
	struct net_backend *backend;
	bool backend_running; /* its thread runs: from vm_virtio_add_net() to the stop */
	struct vm_virtio_irq_ops irq;
	bool ioeventfd, irqfd; /* what vm_virtio_attach_kvm() could use, for --stats */
	/*
	 * What the transports logged (a broken queue, a driver's misuse, a host error),
	 * one line each, for the user once the VM has ended. notes_lock is a leaf: taken
	 * under a transport's locks, it takes none.
	 */
	pthread_mutex_t notes_lock;
	char notes[VM_VIRTIO_NOTES_MAX][VM_VIRTIO_NOTE_MAX];
	unsigned int nnotes;
	unsigned int notes_dropped;
};

/*
 * Set up v over guest memory mem: a virtio-blk transport for each of disks[0, ndisks)
 * (open, owned by the caller, which closes them after vm_virtio_destroy()), then a
 * virtio-rng one if rng, each in the next slot, its register window on the bus mmio.
 * No thread runs yet and no KVM is involved (unit tests drive the bus).
 * Returns 0, or -errno with a message: -EINVAL for more devices than
 * LAYOUT_VIRTIO_MMIO_COUNT, virtio_mmio_init()'s or bus_register()'s errors.
 * v needs vm_virtio_destroy() either way.
 */
int vm_virtio_init(struct vm_virtio *v, const struct guest_memory *mem, struct bus *mmio,
		   struct virtio_blk *disks, unsigned int ndisks, bool rng,
		   const struct vm_virtio_irq_ops *irq);

/*
 * Add a virtio-net NIC in the next slot, on the backend cfg names (created here:
 * slirp's forwards listen, the tap device opens), with cfg's MAC or the default of
 * guest number guest_index (net_default_mac()). After vm_virtio_init(); no thread
 * runs yet. Returns 0, or -errno with a message: net_user_create()'s or
 * net_tap_create()'s, -EINVAL when the slots are taken.
 */
/* (The backend's thread starts here, and stops with vm_virtio_stop() or _destroy().) */
int vm_virtio_add_net(struct vm_virtio *v, const struct guest_memory *mem, struct bus *mmio,
		      const struct net_config *cfg, unsigned int guest_index);

/*
 * Wire v's devices to the VM vm_fd (which has an in-kernel irqchip routing GSIs 16-23 to
 * I/O APIC pins): each queue's notify eventfd with KVM_IOEVENTFD at its window's
 * QueueNotify (4 bytes, datamatch = queue index), so a notification wakes the I/O
 * thread without leaving the kernel; an eventfd per device with KVM_IRQFD on its GSI.
 * ioeventfd / irqfd: whether the host's KVM has KVM_CAP_IOEVENTFD / KVM_CAP_IRQFD;
 * without them, notifications exit to the bus handler (which writes the same eventfd)
 * and interrupts are KVM_IRQ_LINE pulses. Then starts the I/O threads of devices with
 * a sandbox of their own (dev.io_sandbox: the NIC on --net user), which must start
 * before the caller's sandbox. Returns 0 or -errno with a message.
 */
int vm_virtio_attach_kvm(struct vm_virtio *v, int vm_fd, bool ioeventfd, bool irqfd);

/*
 * Start every device's I/O thread not running yet. Returns 0, or -errno with a message
 * (none then run).
 */
int vm_virtio_start(struct vm_virtio *v);

/* Stop the I/O threads after their batches in progress. Safe when not started. */
void vm_virtio_stop(struct vm_virtio *v);

/*
 * Hold every device still for a snapshot (virtio_mmio_pause(), each slot in order):
 * its I/O thread ends its batch and waits, so guest RAM, the disks and the interrupts
 * stay as the saved state says, until vm_virtio_resume(v). The vCPUs must be paused
 * already (vm_pause()). Never fails; a v with no devices is a no-op.
 */
void vm_virtio_pause(struct vm_virtio *v);

/* Let every device go on after vm_virtio_pause(v). */
void vm_virtio_resume(struct vm_virtio *v);

/* Stop the threads, close the eventfds, free the transports. Safe on a zeroed v. */
void vm_virtio_destroy(struct vm_virtio *v);

/* Slots in use: what the DSDT describes. */
unsigned int vm_virtio_count(const struct vm_virtio *v);

/*
 * The notes the devices logged, as malloc()ed text of whole lines (the caller frees
 * it), or NULL when there are none (or no memory). Call after vm_virtio_stop().
 */
char *vm_virtio_notes(struct vm_virtio *v);

#endif
