/* SPDX-License-Identifier: MIT */
/* A small virtio driver for unit tests: what Linux's virtio_mmio and virtio_ring do, simplified. */
#include "unit.h"

#include <endian.h>
#include <errno.h>

#include "virtio/virtio.h"
#include "virtio_driver.h"

#define HEAP_ALIGN 16

void vdrv_init(struct vdrv *d, struct guest_memory *mem, struct virtio_mmio *t)
{
	memset(d, 0, sizeof(*d));
	d->mem = mem;
	d->t = t;
	d->heap = VDRV_HEAP;
}

uint32_t vdrv_read(struct vdrv *d, uint64_t offset)
{
	uint32_t value = 0xdeadbeef;

	assert_int_equal(virtio_mmio_bus_read(d->t, offset, &value, sizeof(value)), 0);
	return le32toh(value);
}

void vdrv_write(struct vdrv *d, uint64_t offset, uint32_t value)
{
	value = htole32(value);
	assert_int_equal(virtio_mmio_bus_write(d->t, offset, &value, sizeof(value)), 0);
}

uint64_t vdrv_device_features(struct vdrv *d)
{
	uint64_t features;

	vdrv_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	features = (uint64_t)vdrv_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vdrv_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return features | vdrv_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

uint32_t vdrv_negotiate(struct vdrv *d, uint64_t features)
{
	vdrv_write(d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_STATUS), 0);
	vdrv_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	(void)vdrv_device_features(d);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vdrv_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return vdrv_read(d, VIRTIO_MMIO_STATUS);
}

void *vdrv_ptr(struct vdrv *d, gpa_t gpa, uint64_t len)
{
	void *p = guest_ptr(d->mem, gpa, len);

	assert_non_null(p);
	return p;
}

gpa_t vdrv_alloc(struct vdrv *d, uint64_t len)
{
	gpa_t gpa = d->heap;

	d->heap = (d->heap + len + HEAP_ALIGN - 1) & ~(gpa_t)(HEAP_ALIGN - 1);
	assert_true(d->heap <= VDRV_HEAP_END);
	memset(vdrv_ptr(d, gpa, len), 0, len);
	return gpa;
}

void vdrv_queue_registers(struct vdrv *d, unsigned int q, uint32_t num, gpa_t desc, gpa_t avail,
			  gpa_t used)
{
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
}

void vdrv_setup_queue(struct vdrv *d, unsigned int q, uint16_t size)
{
	struct vdrv_queue *vq = &d->q[q];
	gpa_t base = VDRV_RINGS + (gpa_t)q * VDRV_RING_SPAN;

	assert_true(q < VDRV_QUEUES_MAX);
	memset(vq, 0, sizeof(*vq));
	vq->size = size;
	vq->desc = base;
	vq->avail = base + VIRTQ_DESC_TABLE_SIZE(size);
	vq->used = (vq->avail + VIRTQ_AVAIL_RING_SIZE(size) + 3) & ~(gpa_t)3;
	assert_true(vq->used + VIRTQ_USED_RING_SIZE(size) <= base + VDRV_RING_SPAN);
	memset(vdrv_ptr(d, base, VDRV_RING_SPAN), 0, VDRV_RING_SPAN);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(vdrv_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) >= size);
	vdrv_queue_registers(d, q, size, vq->desc, vq->avail, vq->used);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_READY), 1);
}

void vdrv_driver_ok(struct vdrv *d)
{
	uint32_t status = vdrv_read(d, VIRTIO_MMIO_STATUS);

	vdrv_write(d, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
	assert_true(vdrv_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
}

void vdrv_put_desc(struct vdrv *d, gpa_t table, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	uint8_t *p = vdrv_ptr(d, table + (gpa_t)i * VIRTQ_DESC_SIZE, VIRTQ_DESC_SIZE);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &f, 2);
	memcpy(p + 14, &n, 2);
}

uint16_t vdrv_chain(struct vdrv *d, unsigned int q, const struct vdrv_buf *bufs, unsigned int n)
{
	struct vdrv_queue *vq = &d->q[q];
	uint16_t head = vq->next_desc;

	assert_true(n >= 1 && n <= vq->size);
	for (unsigned int i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % vq->size);
		uint16_t next = (uint16_t)((head + i + 1) % vq->size);
		uint16_t flags = (bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

		vdrv_put_desc(d, vq->desc, at, bufs[i].gpa, bufs[i].len, flags,
			      i + 1 < n ? next : 0);
	}
	vq->next_desc = (uint16_t)((head + n) % vq->size);
	return head;
}

uint16_t vdrv_chain_indirect(struct vdrv *d, unsigned int q, const struct vdrv_buf *bufs,
			     unsigned int n)
{
	struct vdrv_queue *vq = &d->q[q];
	gpa_t table = vdrv_alloc(d, (uint64_t)n * VIRTQ_DESC_SIZE);
	uint16_t head = vq->next_desc;

	for (unsigned int i = 0; i < n; i++)
		vdrv_put_desc(d, table, (uint16_t)i, bufs[i].gpa, bufs[i].len,
			      (bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
			      (uint16_t)(i + 1 < n ? i + 1 : 0));
	vdrv_put_desc(d, vq->desc, head, table, n * VIRTQ_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
	vq->next_desc = (uint16_t)((head + 1) % vq->size);
	return head;
}

void vdrv_publish(struct vdrv *d, unsigned int q, uint16_t head)
{
	struct vdrv_queue *vq = &d->q[q];
	uint16_t *ring = vdrv_ptr(d, vq->avail + 4 + 2 * (gpa_t)(vq->avail_idx % vq->size), 2);
	uint16_t *idx = vdrv_ptr(d, vq->avail + 2, 2);

	*ring = htole16(head);
	vq->avail_idx++;
	__atomic_store_n(idx, htole16(vq->avail_idx), __ATOMIC_RELEASE);
}

uint16_t vdrv_submit(struct vdrv *d, unsigned int q, const struct vdrv_buf *bufs, unsigned int n)
{
	uint16_t head = vdrv_chain(d, q, bufs, n);

	vdrv_publish(d, q, head);
	return head;
}

uint16_t vdrv_used_idx(struct vdrv *d, unsigned int q)
{
	uint16_t *idx = vdrv_ptr(d, d->q[q].used + 2, 2);

	return le16toh(__atomic_load_n(idx, __ATOMIC_ACQUIRE));
}

bool vdrv_take_used(struct vdrv *d, unsigned int q, uint32_t *id, uint32_t *len)
{
	struct vdrv_queue *vq = &d->q[q];
	uint8_t *elem;

	if (vdrv_used_idx(d, q) == vq->last_used)
		return false;
	elem = vdrv_ptr(d, vq->used + 4 + 8 * (gpa_t)(vq->last_used % vq->size), 8);
	memcpy(id, elem, 4);
	memcpy(len, elem + 4, 4);
	*id = le32toh(*id);
	*len = le32toh(*len);
	vq->last_used++;
	return true;
}

void vdrv_set_avail_flags(struct vdrv *d, unsigned int q, uint16_t flags)
{
	uint16_t *p = vdrv_ptr(d, d->q[q].avail, 2);

	*p = htole16(flags);
}

void vdrv_set_used_event(struct vdrv *d, unsigned int q, uint16_t event)
{
	uint16_t *p = vdrv_ptr(d, d->q[q].avail + 4 + 2 * (gpa_t)d->q[q].size, 2);

	*p = htole16(event);
}

uint16_t vdrv_avail_event(struct vdrv *d, unsigned int q)
{
	uint16_t *p = vdrv_ptr(d, d->q[q].used + 4 + 8 * (gpa_t)d->q[q].size, 2);

	return le16toh(*p);
}

uint16_t vdrv_used_flags(struct vdrv *d, unsigned int q)
{
	uint16_t *p = vdrv_ptr(d, d->q[q].used, 2);

	return le16toh(*p);
}

uint64_t vdrv_drain_fd(int fd)
{
	uint64_t count = 0;

	if (read(fd, &count, sizeof(count)) < 0)
		assert_int_equal(errno, EAGAIN);
	return count;
}
