/* SPDX-License-Identifier: MIT */
/* A VM's virtio-mmio devices: slots in layout.h, bus ranges, KVM_IOEVENTFD/KVM_IRQFD, I/O threads. */
#include "vm_virtio.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/gsi.h"
#include "error.h"

/* QueueNotify takes the queue index as a 32-bit write (virtio 1.2, 4.2.2, 4.2.3.3). */
#define QUEUE_NOTIFY_SIZE 4

_Static_assert(LAYOUT_VIRTIO_MMIO_SIZE == VIRTIO_MMIO_SIZE,
	       "a slot in layout.h holds one transport's register window");
_Static_assert(IRQ_VIRTIO_MMIO(LAYOUT_VIRTIO_MMIO_COUNT - 1) < GSI_IOAPIC_PINS,
	       "every slot's GSI is an I/O APIC pin that gsi_routing_pc() routes");

/* The transport's interrupt capability: an edge on the slot's GSI. */
static void slot_interrupt(void *opaque)
{
	struct vm_virtio_slot *s = opaque;
	uint64_t one = 1;

	if (s->irq_fd >= 0) {
		/* EAGAIN: the count is at its maximum, an injection is pending anyway. */
		while (write(s->irq_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		return;
	}
	s->owner->irq.irq_line(s->owner->irq.opaque, IRQ_VIRTIO_MMIO(s->index), 1);
	s->owner->irq.irq_line(s->owner->irq.opaque, IRQ_VIRTIO_MMIO(s->index), 0);
}

/* The transport's log capability: keep the line for the end of the VM. */
static void slot_log(void *opaque, const char *message)
{
	struct vm_virtio *v = ((struct vm_virtio_slot *)opaque)->owner;

	pthread_mutex_lock(&v->notes_lock);
	if (v->nnotes < VM_VIRTIO_NOTES_MAX)
		snprintf(v->notes[v->nnotes++], VM_VIRTIO_NOTE_MAX, "%s", message);
	else
		v->notes_dropped++;
	pthread_mutex_unlock(&v->notes_lock);
}

/* Put dev in the next slot: its transport, and its window on the bus. */
static int add_device(struct vm_virtio *v, const struct guest_memory *mem, struct bus *mmio,
		      const struct virtio_device *dev)
{
	struct vm_virtio_slot *s;
	struct virtio_mmio_ops ops;
	struct bus_device bd;
	int ret;

	if (v->count == LAYOUT_VIRTIO_MMIO_COUNT)
		return error_set(EINVAL, "%s: all %d virtio-mmio slots are taken", dev->name,
				 LAYOUT_VIRTIO_MMIO_COUNT);
	s = &v->slots[v->count];
	*s = (struct vm_virtio_slot){ .owner = v, .index = v->count, .irq_fd = -1 };
	ops = (struct virtio_mmio_ops){ .interrupt = slot_interrupt, .log = slot_log, .opaque = s };
	ret = virtio_mmio_init(&s->transport, mem, dev, &ops);
	if (ret < 0)
		return ret;
	v->count++; /* destroy owns it from here */
	bd = (struct bus_device){ .name = dev->name,
				  .read = virtio_mmio_bus_read,
				  .write = virtio_mmio_bus_write,
				  .opaque = &s->transport };
	return bus_register(mmio, LAYOUT_VIRTIO_MMIO(s->index), LAYOUT_VIRTIO_MMIO_SIZE, &bd);
}

int vm_virtio_init(struct vm_virtio *v, const struct guest_memory *mem, struct bus *mmio,
		   struct virtio_blk *disks, unsigned int ndisks, bool rng,
		   const struct vm_virtio_irq_ops *irq)
{
	struct virtio_device dev;
	int ret = 0;

	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->notes_lock, NULL);
	v->initialized = true;
	v->irq = *irq;
	if (ndisks + (rng ? 1 : 0) > LAYOUT_VIRTIO_MMIO_COUNT)
		return error_set(EINVAL, "%u disks%s: more virtio devices than the %d slots",
				 ndisks, rng ? " and an entropy device" : "",
				 LAYOUT_VIRTIO_MMIO_COUNT);
	for (unsigned int i = 0; i < ndisks && ret == 0; i++) {
		virtio_blk_device(&disks[i], &dev);
		ret = add_device(v, mem, mmio, &dev);
	}
	if (rng && ret == 0) {
		virtio_rng_init(&v->rng);
		virtio_rng_device(&v->rng, &dev);
		ret = add_device(v, mem, mmio, &dev);
	}
	return ret;
}

int vm_virtio_add_net(struct vm_virtio *v, const struct guest_memory *mem, struct bus *mmio,
		      const struct net_config *cfg, unsigned int guest_index)
{
	uint8_t mac[NET_ETH_ADDR_LEN];
	struct virtio_device dev;
	struct net_peer peer;
	unsigned int slot = v->count;
	int ret;

	if (v->count == LAYOUT_VIRTIO_MMIO_COUNT)
		return error_set(EINVAL, "--net: all %d virtio-mmio slots are taken",
				 LAYOUT_VIRTIO_MMIO_COUNT);
	ret = cfg->kind == NET_TAP ? net_tap_create(&v->backend, cfg)
				   : net_user_create(&v->backend, cfg);
	if (ret < 0)
		return ret;
	if (cfg->has_mac)
		memcpy(mac, cfg->mac, sizeof(mac));
	else
		net_default_mac(mac, guest_index);
	virtio_net_init(&v->net, mac, v->backend);
	v->has_net = true;
	virtio_net_device(&v->net, &dev);
	ret = add_device(v, mem, mmio, &dev);
	if (v->count > slot) /* the transport exists (even if the bus refused it) */
		virtio_net_attach(&v->net, &v->slots[slot].transport);
	if (ret < 0)
		return ret;
	/*
	 * The backend's thread starts now, before the guest thread's sandbox (sandbox.c:
	 * its own filter allows sockets, the guest's need not). Frames that come before
	 * the guest's driver wait in the NIC, as they would for a slow guest.
	 */
	virtio_net_start(&v->net);
	virtio_net_peer(&v->net, &peer);
	ret = v->backend->start(v->backend, &peer);
	if (ret == 0)
		v->backend_running = true;
	return ret;
}

int vm_virtio_attach_kvm(struct vm_virtio *v, int vm_fd, bool ioeventfd, bool irqfd)
{
	v->ioeventfd = ioeventfd;
	v->irqfd = irqfd;
	for (unsigned int i = 0; i < v->count; i++) {
		struct vm_virtio_slot *s = &v->slots[i];
		const char *name = s->transport.dev.name;
		struct kvm_irqfd bind = { .gsi = IRQ_VIRTIO_MMIO(s->index) };

		for (unsigned int q = 0; ioeventfd && q < virtio_mmio_num_queues(&s->transport);
		     q++) {
			struct kvm_ioeventfd io = {
				.datamatch = q,
				.addr = LAYOUT_VIRTIO_MMIO(s->index) + VIRTIO_MMIO_QUEUE_NOTIFY,
				.len = QUEUE_NOTIFY_SIZE,
				.fd = virtio_mmio_queue_notify_fd(&s->transport, q),
				.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
			};

			if (ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0)
				return error_errno(errno,
						   "%s: KVM_IOEVENTFD for queue %u at 0x%llx", name,
						   q, (unsigned long long)io.addr);
		}
		if (!irqfd)
			continue;
		s->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->irq_fd < 0)
			return error_errno(errno, "%s: eventfd for its interrupt", name);
		bind.fd = (uint32_t)s->irq_fd;
		if (ioctl(vm_fd, KVM_IRQFD, &bind) < 0) {
			int err = errno;

			close(s->irq_fd);
			s->irq_fd = -1;
			return error_errno(err, "%s: KVM_IRQFD on GSI %u", name, bind.gsi);
		}
	}
	/*
	 * An I/O thread that runs a backend's code (the NIC's on --net user: libslirp,
	 * sockets) starts now, wired, before the guest thread enters its sandbox (the
	 * guest's filter would be its own too, and allows no sockets). Until the guest's
	 * driver makes a queue ready, it has nothing to serve.
	 */
	for (unsigned int i = 0; i < v->count; i++) {
		struct virtio_mmio *t = &v->slots[i].transport;
		int ret;

		if (!t->dev.io_sandbox)
			continue;
		ret = virtio_mmio_start(t);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int vm_virtio_start(struct vm_virtio *v)
{
	for (unsigned int i = 0; i < v->count; i++) {
		int ret;

		if (virtio_mmio_running(&v->slots[i].transport))
			continue; /* started by vm_virtio_attach_kvm() */
		ret = virtio_mmio_start(&v->slots[i].transport);
		if (ret < 0) {
			vm_virtio_stop(v);
			return ret;
		}
	}
	return 0;
}

void vm_virtio_stop(struct vm_virtio *v)
{
	/* The NIC first: a backend waiting for it to make room returns. */
	if (v->backend_running) {
		virtio_net_stop(&v->net);
		v->backend->stop(v->backend);
		v->backend_running = false;
	}
	for (unsigned int i = 0; i < v->count; i++)
		virtio_mmio_stop(&v->slots[i].transport);
}

void vm_virtio_pause(struct vm_virtio *v)
{
	for (unsigned int i = 0; i < v->count; i++)
		virtio_mmio_pause(&v->slots[i].transport);
}

void vm_virtio_resume(struct vm_virtio *v)
{
	for (unsigned int i = v->count; i-- > 0;)
		virtio_mmio_resume(&v->slots[i].transport);
}

void vm_virtio_destroy(struct vm_virtio *v)
{
	if (!v->initialized)
		return;
	vm_virtio_stop(v); /* the backend's thread runs from vm_virtio_add_net() */
	for (unsigned int i = 0; i < v->count; i++) {
		virtio_mmio_destroy(&v->slots[i].transport);
		if (v->slots[i].irq_fd >= 0)
			close(v->slots[i].irq_fd);
		v->slots[i].irq_fd = -1;
	}
	v->count = 0;
	if (v->has_net) {
		v->backend->destroy(v->backend);
		v->backend = NULL;
		virtio_net_destroy(&v->net);
		v->has_net = false;
	} else if (v->backend) {
		v->backend->destroy(v->backend); /* created, but the NIC could not be */
		v->backend = NULL;
	}
	pthread_mutex_destroy(&v->notes_lock);
	v->initialized = false;
}

unsigned int vm_virtio_count(const struct vm_virtio *v)
{
	return v->count;
}

char *vm_virtio_notes(struct vm_virtio *v)
{
	char *text = NULL;
	size_t size;
	FILE *out;

	if (!v->initialized)
		return NULL;
	pthread_mutex_lock(&v->notes_lock);
	if (v->nnotes && (out = open_memstream(&text, &size))) {
		for (unsigned int i = 0; i < v->nnotes; i++)
			fprintf(out, "%s\n", v->notes[i]);
		if (v->notes_dropped)
			fprintf(out, "(%u more virtio notes not shown)\n", v->notes_dropped);
		if (fclose(out) != 0) {
			free(text);
			text = NULL;
		}
	}
	pthread_mutex_unlock(&v->notes_lock);
	return text;
}
