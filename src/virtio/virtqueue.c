/* SPDX-License-Identifier: MIT */
/* Split virtqueue, device side (virtio 1.2, 2.7): hardened chain walking over guest_ptr(). */
#include "virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "error.h"
#include "virtio/virtio.h"

/* Offsets inside the rings (2.7.6, 2.7.8). */
#define AVAIL_FLAGS	 0
#define AVAIL_IDX	 2
#define AVAIL_RING	 4
#define USED_FLAGS	 0
#define USED_IDX	 2
#define USED_RING	 4
#define RING_ENTRY_SIZE	 2 /* an available ring entry: le16 head index */
#define EVENT_FIELD_SIZE 2 /* used_event, avail_event: le16 */

/* The descriptor layout in guest memory (2.7.5): le64 addr, le32 len, le16 flags, le16 next. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct desc) == VIRTQ_DESC_SIZE, "virtq_desc is 16 bytes");

static bool is_power_of_2(uint32_t x)
{
	return x && !(x & (x - 1));
}

int virtq_check_layout(const struct guest_memory *mem, uint32_t size, gpa_t desc, gpa_t avail,
		       gpa_t used)
{
	static const char *const part[] = { "descriptor table", "available ring", "used ring" };
	const gpa_t gpa[] = { desc, avail, used };
	const uint64_t align[] = { VIRTQ_DESC_ALIGN, VIRTQ_AVAIL_ALIGN, VIRTQ_USED_ALIGN };
	uint64_t len[3];

	if (!is_power_of_2(size) || size > VIRTQ_SIZE_MAX)
		return error_set(EINVAL, "queue size %u is not a power of 2 from 1 to %u", size,
				 VIRTQ_SIZE_MAX);
	len[0] = VIRTQ_DESC_TABLE_SIZE(size);
	len[1] = VIRTQ_AVAIL_RING_SIZE(size);
	len[2] = VIRTQ_USED_RING_SIZE(size);
	for (int i = 0; i < 3; i++) {
		if (gpa[i] % align[i])
			return error_set(EINVAL, "%s at GPA 0x%llx is not %llu-byte aligned",
					 part[i], (unsigned long long)gpa[i],
					 (unsigned long long)align[i]);
		if (!guest_ptr(mem, gpa[i], len[i]))
			return error_set(EINVAL, "%s at GPA 0x%llx (%llu bytes) is not guest RAM",
					 part[i], (unsigned long long)gpa[i],
					 (unsigned long long)len[i]);
	}
	return 0;
}

void virtq_set_features(struct virtq *vq, uint64_t features)
{
	vq->event_idx = features & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX);
	vq->indirect = features & VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC);
}

int virtq_init(struct virtq *vq, const struct guest_memory *mem, uint32_t size, gpa_t desc,
	       gpa_t avail, gpa_t used, uint64_t features)
{
	int ret = virtq_check_layout(mem, size, desc, avail, used);

	memset(vq, 0, sizeof(*vq));
	if (ret < 0) {
		vq->broken = true;
		return ret;
	}
	vq->mem = mem;
	vq->size = (uint16_t)size; /* 32768 at most: fits */
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	virtq_set_features(vq, features);
	return 0;
}

/* A queue error: the queue is unusable until the driver sets it up again. */
static int broken(struct virtq *vq, int ret)
{
	vq->broken = true;
	return ret;
}

/*
 * Host pointer to len bytes at offset into a ring, rechecked on every use. The ring was
 * RAM at init; the check is cheap and keeps every access behind guest_ptr().
 */
static void *ring_ptr(const struct virtq *vq, gpa_t ring, uint64_t offset, uint64_t len)
{
	return guest_ptr(vq->mem, ring + offset, len);
}

/* Ring fields are shared with a running guest: single atomic accesses, little-endian. */
static uint16_t load16(const void *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static void store16(void *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

static int avail_fault(struct virtq *vq)
{
	return broken(vq, error_set(EFAULT, "available ring at GPA 0x%llx is not guest RAM",
				    (unsigned long long)vq->avail));
}

static int used_fault(struct virtq *vq)
{
	return broken(vq, error_set(EFAULT, "used ring at GPA 0x%llx is not guest RAM",
				    (unsigned long long)vq->used));
}

/* The driver's avail idx, or -errno. */
static int read_avail_idx(struct virtq *vq)
{
	const void *p = ring_ptr(vq, vq->avail, AVAIL_IDX, sizeof(uint16_t));

	if (!p)
		return avail_fault(vq);
	/* Acquire: the ring entries and descriptors the driver wrote before idx (2.7.13). */
	return load16(p, __ATOMIC_ACQUIRE);
}

/* Copy descriptor index of the table at table_gpa out of guest memory. */
static int read_desc(struct virtq *vq, gpa_t table_gpa, uint32_t index, bool indirect,
		     struct desc *d)
{
	const void *p =
		guest_ptr(vq->mem, table_gpa + (uint64_t)index * VIRTQ_DESC_SIZE, VIRTQ_DESC_SIZE);

	if (!p)
		return broken(vq,
			      error_set(EFAULT, "%sdescriptor %u at GPA 0x%llx is not guest RAM",
					indirect ? "indirect " : "", index,
					(unsigned long long)(table_gpa +
							     (uint64_t)index * VIRTQ_DESC_SIZE)));
	memcpy(d, p, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
	return 0;
}

/* Walk state of one chain: which table, how far, what was collected. */
struct walk {
	gpa_t table;	     /* GPA of the table being walked */
	uint32_t table_size; /* its entries */
	uint32_t visited;    /* descriptors visited in this table */
	bool indirect;	     /* walking an indirect table */
	bool writable;	     /* a device-writable descriptor was seen */
	uint64_t bytes;	     /* total length so far */
};

/* Switch the walk to the indirect table that descriptor d (at index) describes. */
static int enter_indirect(struct virtq *vq, struct walk *w, const struct desc *d, uint32_t index)
{
	if (!vq->indirect)
		return broken(vq, error_set(EINVAL,
					    "descriptor %u is indirect but VIRTIO_F_INDIRECT_DESC "
					    "was not negotiated",
					    index));
	if (w->indirect)
		return broken(vq, error_set(EINVAL,
					    "indirect descriptor %u inside an indirect table "
					    "(virtio 1.2, 2.7.5.3.1)",
					    index));
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return broken(vq, error_set(EINVAL,
					    "descriptor %u has both INDIRECT and NEXT "
					    "(virtio 1.2, 2.7.5.3.1)",
					    index));
	if (d->len == 0 || d->len % VIRTQ_DESC_SIZE)
		return broken(vq, error_set(EINVAL,
					    "indirect table of descriptor %u: length %u is not a "
					    "non-zero multiple of %d",
					    index, d->len, VIRTQ_DESC_SIZE));
	if (d->len / VIRTQ_DESC_SIZE > VIRTQ_CHAIN_MAX)
		return broken(vq, error_set(E2BIG,
					    "indirect table of descriptor %u: %u descriptors, more "
					    "than the %d this device allows in a chain",
					    index, d->len / VIRTQ_DESC_SIZE, VIRTQ_CHAIN_MAX));
	if (!guest_ptr(vq->mem, d->addr, d->len))
		return broken(vq, error_set(EFAULT,
					    "indirect table of descriptor %u at GPA 0x%llx (%u "
					    "bytes) is not guest RAM",
					    index, (unsigned long long)d->addr, d->len));
	w->table = d->addr;
	w->table_size = d->len / VIRTQ_DESC_SIZE;
	w->visited = 0;
	w->indirect = true;
	return 0;
}

/* Add the buffer of descriptor d (at index) to the chain. */
static int add_buffer(struct virtq *vq, struct walk *w, const struct desc *d, uint32_t index,
		      struct virtq_chain *chain)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	const char *where = w->indirect ? "indirect " : "";
	void *hva;

	if (!writable && w->writable)
		return broken(vq,
			      error_set(EINVAL,
					"%sdescriptor %u: device-readable after device-writable "
					"(virtio 1.2, 2.7.4.2)",
					where, index));
	w->writable = writable;
	/* Both at most 2^32 - 1: the sum cannot overflow 64 bits. */
	w->bytes += d->len;
	if (w->bytes > VIRTQ_CHAIN_BYTES_MAX)
		return broken(vq,
			      error_set(E2BIG, "chain of head %u is longer than %llu bytes",
					chain->head, (unsigned long long)VIRTQ_CHAIN_BYTES_MAX));
	if (d->len == 0)
		return 0;
	hva = guest_ptr(vq->mem, d->addr, d->len);
	if (!hva)
		return broken(vq, error_set(EFAULT,
					    "%sdescriptor %u: buffer at GPA 0x%llx (%u bytes) is "
					    "not guest RAM",
					    where, index, (unsigned long long)d->addr, d->len));
	if (chain->nout + chain->nin >= VIRTQ_CHAIN_MAX)
		return broken(vq, error_set(E2BIG, "chain of head %u has more than %d buffers",
					    chain->head, VIRTQ_CHAIN_MAX));
	chain->iov[chain->nout + chain->nin] = (struct iovec){ .iov_base = hva, .iov_len = d->len };
	if (writable) {
		chain->nin++;
		chain->in_len += d->len;
	} else {
		chain->nout++;
		chain->out_len += d->len;
	}
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	struct walk w = { .table = vq->desc, .table_size = vq->size };
	const void *entry;
	uint16_t pending;
	uint32_t index;
	int avail_idx, ret;

	if (vq->broken)
		return -EIO;
	avail_idx = read_avail_idx(vq);
	if (avail_idx < 0)
		return avail_idx;
	pending = (uint16_t)(avail_idx - vq->last_avail_idx);
	if (pending == 0)
		return 0;
	/* The driver cannot have more chains outstanding than the ring holds (2.7.13). */
	if (pending > vq->size)
		return broken(vq, error_set(EINVAL,
					    "available index jumped from %u to %d, more than the "
					    "queue size %u",
					    vq->last_avail_idx, avail_idx, vq->size));
	entry = ring_ptr(vq, vq->avail,
			 AVAIL_RING + (uint64_t)RING_ENTRY_SIZE * (vq->last_avail_idx % vq->size),
			 RING_ENTRY_SIZE);
	if (!entry)
		return avail_fault(vq);
	index = load16(entry, __ATOMIC_RELAXED);
	memset(chain, 0, offsetof(struct virtq_chain, iov));
	chain->head = (uint16_t)index;
	if (index >= vq->size)
		return broken(vq, error_set(EINVAL,
					    "available ring entry %u: head %u is outside the queue "
					    "of %u",
					    vq->last_avail_idx % vq->size, index, vq->size));
	for (;;) {
		struct desc d;

		/* At most one visit per table entry: a longer chain loops (2.7.5.2). */
		if (w.visited++ >= w.table_size)
			return broken(vq, error_set(ELOOP,
						    "chain of head %u is longer than its %stable "
						    "of %u descriptors (a loop?)",
						    chain->head, w.indirect ? "indirect " : "",
						    w.table_size));
		ret = read_desc(vq, w.table, index, w.indirect, &d);
		if (ret < 0)
			return ret;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			ret = enter_indirect(vq, &w, &d, index);
			if (ret < 0)
				return ret;
			index = 0;
			continue;
		}
		ret = add_buffer(vq, &w, &d, index, chain);
		if (ret < 0)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		index = d.next;
		if (index >= w.table_size)
			return broken(vq, error_set(EINVAL,
						    "%sdescriptor chain of head %u: next %u is "
						    "outside the table of %u",
						    w.indirect ? "indirect " : "", chain->head,
						    index, w.table_size));
	}
	vq->last_avail_idx++;
	return 1;
}

int virtq_avail_idx(struct virtq *vq)
{
	if (vq->broken)
		return -EIO;
	return read_avail_idx(vq);
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - n);
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint32_t elem[2] = { htole32(head), htole32(len) };
	void *slot, *idx;

	if (vq->broken)
		return -EIO;
	if (head >= vq->size)
		return error_set(EINVAL, "used head %u is outside the queue of %u", head, vq->size);
	slot = ring_ptr(vq, vq->used,
			USED_RING + (uint64_t)VIRTQ_USED_ELEM_SIZE * (vq->used_idx % vq->size),
			VIRTQ_USED_ELEM_SIZE);
	idx = ring_ptr(vq, vq->used, USED_IDX, sizeof(uint16_t));
	if (!slot || !idx)
		return used_fault(vq);
	memcpy(slot, elem, sizeof(elem));
	vq->used_idx++;
	/* Release: the element (and the data written) before the index (2.7.8.2). */
	store16(idx, vq->used_idx, __ATOMIC_RELEASE);
	return 0;
}

int virtq_notify_disable(struct virtq *vq)
{
	void *flags;

	if (vq->broken)
		return -EIO;
	if (vq->event_idx)
		return 0; /* avail_event stays behind: the driver will not notify */
	flags = ring_ptr(vq, vq->used, USED_FLAGS, sizeof(uint16_t));
	if (!flags)
		return used_fault(vq);
	store16(flags, VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	return 0;
}

int virtq_notify_enable(struct virtq *vq)
{
	return virtq_notify_enable_at(vq, vq->last_avail_idx);
}

int virtq_notify_enable_at(struct virtq *vq, uint16_t idx)
{
	int avail_idx;
	void *p;

	if (vq->broken)
		return -EIO;
	if (vq->event_idx)
		p = ring_ptr(vq, vq->used, USED_RING + (uint64_t)VIRTQ_USED_ELEM_SIZE * vq->size,
			     EVENT_FIELD_SIZE);
	else
		p = ring_ptr(vq, vq->used, USED_FLAGS, sizeof(uint16_t));
	if (!p)
		return used_fault(vq);
	/* avail_event: "notify me when you make entry idx available" (2.7.10). */
	store16(p, vq->event_idx ? idx : 0, __ATOMIC_RELAXED);
	/* Full barrier: publish the request before looking at idx again, or miss a kick. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail_idx = read_avail_idx(vq);
	if (avail_idx < 0)
		return avail_idx;
	return (uint16_t)avail_idx != idx;
}

int virtq_should_interrupt(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, event;
	bool valid = vq->signalled_used_valid;
	const void *p;

	if (vq->broken)
		return -EIO;
	/* Full barrier: the used idx store before reading the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx) {
		p = ring_ptr(vq, vq->avail, AVAIL_FLAGS, sizeof(uint16_t));
		if (!p)
			return avail_fault(vq);
		return !(load16(p, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	p = ring_ptr(vq, vq->avail, AVAIL_RING + (uint64_t)RING_ENTRY_SIZE * vq->size,
		     EVENT_FIELD_SIZE);
	if (!p)
		return avail_fault(vq);
	event = load16(p, __ATOMIC_RELAXED);
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	if (!valid)
		return 1;
	/*
	 * Interrupt when used_event lies in [old, new): the entry at index used_event was
	 * written since the last check (2.7.7.2), in 16-bit wrapping arithmetic.
	 */
	return (uint16_t)(vq->used_idx - event - 1) < (uint16_t)(vq->used_idx - old);
}

size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset, void *buf,
			size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - offset;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + offset, chunk);
		done += chunk;
		offset = 0;
	}
	return done;
}

size_t virtq_iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset, const void *buf,
			  size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - offset;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)iov[i].iov_base + offset, (const uint8_t *)buf + done, chunk);
		done += chunk;
		offset = 0;
	}
	return done;
}

unsigned int virtq_iov_slice(const struct iovec *iov, unsigned int n, size_t offset, size_t len,
			     struct iovec *out, unsigned int max)
{
	unsigned int count = 0;

	for (unsigned int i = 0; i < n && len && count < max; i++) {
		size_t chunk;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - offset;
		if (chunk > len)
			chunk = len;
		out[count++] = (struct iovec){ .iov_base = (uint8_t *)iov[i].iov_base + offset,
					       .iov_len = chunk };
		len -= chunk;
		offset = 0;
	}
	return count;
}
