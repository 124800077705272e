/* SPDX-License-Identifier: MIT */
/* The snapshot file format: laying a file out (builder) and checking one read back (parser). */
#include "snapshot/format.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arch/x86/layout.h"
#include "error.h"
#include "memory.h"

/* KVM's own limits (arch/x86/include/asm/kvm_host.h, uapi kvm.h): larger is not KVM's. */
#define SNAPSHOT_MAX_CPUID_ENTRIES 256
#define SNAPSHOT_MAX_MSRS	   4096
#define SNAPSHOT_XSAVE_MIN	   sizeof(struct kvm_xsave) /* 4096: the legacy area and more */
#define SNAPSHOT_ALIGN		   8 /* sections start 8-byte aligned, as their structs want */
#define SNAPSHOT_MAX_DISKS	   16
_Static_assert(SNAPSHOT_DISK_ID_VIRTIO(SNAPSHOT_VIRTIO_DISKS) <= SNAPSHOT_MAX_DISKS,
	       "every disk's section id is below SNAPSHOT_MAX_DISKS");

uint32_t snapshot_crc32(uint32_t crc, const void *data, size_t len)
{
	return (uint32_t)crc32_z(crc, data, len);
}

static uint64_t align_up(uint64_t x, uint64_t to)
{
	return (x + to - 1) / to * to;
}

/* --- writing ------------------------------------------------------------- */

void snapshot_builder_init(struct snapshot_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void snapshot_builder_free(struct snapshot_builder *b)
{
	for (size_t i = 0; i < b->nsections; i++)
		free(b->data[i]);
	free(b->data);
	free(b->sections);
	free(b->extents);
	memset(b, 0, sizeof(*b));
}

int snapshot_builder_add(struct snapshot_builder *b, uint32_t type, uint32_t id, const void *data,
			 size_t len, uint32_t flags)
{
	void *copy;

	if (type == SNAPSHOT_SEC_RAM_EXTENTS || type == SNAPSHOT_SEC_RAM_DATA ||
	    len > SNAPSHOT_MAX_SECTION || (flags & ~SNAPSHOT_SECTION_FLAGS))
		return error_set(EINVAL, "snapshot section %u/%u: %zu bytes or flags 0x%x refused",
				 type, id, len, flags);
	/* Two RAM sections more are added by finish(). */
	if (b->nsections + 2 >= SNAPSHOT_MAX_SECTIONS)
		return error_set(EINVAL, "snapshot: more than %d sections", SNAPSHOT_MAX_SECTIONS);
	for (size_t i = 0; i < b->nsections; i++)
		if (b->sections[i].type == type && b->sections[i].id == id)
			return error_set(EINVAL, "snapshot section %u/%u added twice", type, id);
	if (b->nsections == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;
		struct snapshot_section *s = realloc(b->sections, cap * sizeof(*s));
		void **d;

		if (!s)
			return error_set(ENOMEM, "no memory for the snapshot's sections");
		b->sections = s;
		d = realloc(b->data, cap * sizeof(*d));
		if (!d)
			return error_set(ENOMEM, "no memory for the snapshot's sections");
		b->data = d;
		b->cap = cap;
	}
	copy = malloc(len ? len : 1);
	if (!copy)
		return error_set(ENOMEM, "no memory for a snapshot section of %zu bytes", len);
	if (len)
		memcpy(copy, data, len);
	b->sections[b->nsections] =
		(struct snapshot_section){ .type = type, .id = id, .length = len, .flags = flags };
	b->data[b->nsections++] = copy;
	return 0;
}

int snapshot_builder_add_extent(struct snapshot_builder *b, uint64_t gpa, uint64_t size,
				uint32_t crc)
{
	const struct snapshot_ram_extent *last = b->nextents ? &b->extents[b->nextents - 1] : NULL;

	if (gpa % SNAPSHOT_PAGE_SIZE || size % SNAPSHOT_PAGE_SIZE || !size ||
	    (last && gpa < last->gpa + last->size))
		return error_set(EINVAL,
				 "snapshot: RAM extent 0x%llx + 0x%llx not page-aligned or "
				 "not above the last one",
				 (unsigned long long)gpa, (unsigned long long)size);
	if (b->nextents == SNAPSHOT_MAX_EXTENTS)
		return error_set(EINVAL, "snapshot: more than %d RAM extents",
				 SNAPSHOT_MAX_EXTENTS);
	if (b->nextents == b->extents_cap) {
		size_t cap = b->extents_cap ? 2 * b->extents_cap : 64;
		struct snapshot_ram_extent *e = realloc(b->extents, cap * sizeof(*e));

		if (!e)
			return error_set(ENOMEM, "no memory for the snapshot's RAM extents");
		b->extents = e;
		b->extents_cap = cap;
	}
	b->extents[b->nextents++] =
		(struct snapshot_ram_extent){ .gpa = gpa, .size = size, .crc = crc };
	return 0;
}

int snapshot_builder_finish(struct snapshot_builder *b, uint8_t **meta, size_t *meta_len,
			    uint64_t *file_size)
{
	size_t extents_len = b->nextents * sizeof(struct snapshot_ram_extent);
	uint32_t n = (uint32_t)b->nsections + (b->nextents ? 2 : 1);
	struct snapshot_header *h;
	struct snapshot_section *table;
	uint64_t pos, ram_start, ram_len = 0;
	uint8_t *buf;

	pos = sizeof(*h) + (uint64_t)n * sizeof(*table);
	for (size_t i = 0; i < b->nsections; i++) {
		pos = align_up(pos, SNAPSHOT_ALIGN);
		b->sections[i].offset = pos;
		pos += b->sections[i].length;
	}
	pos = align_up(pos, SNAPSHOT_ALIGN);
	ram_start = align_up(pos + extents_len, SNAPSHOT_PAGE_SIZE);
	for (size_t i = 0; i < b->nextents; i++) {
		b->extents[i].offset = ram_start + ram_len;
		ram_len += b->extents[i].size;
	}

	buf = calloc(1, pos + extents_len);
	if (!buf)
		return error_set(ENOMEM, "no memory for the snapshot's header");
	h = (struct snapshot_header *)buf;
	table = (struct snapshot_section *)(buf + sizeof(*h));
	for (size_t i = 0; i < b->nsections; i++) {
		table[i] = b->sections[i];
		if (table[i].length)
			memcpy(buf + table[i].offset, b->data[i], table[i].length);
		table[i].crc = snapshot_crc32(0, b->data[i], table[i].length);
	}
	if (extents_len)
		memcpy(buf + pos, b->extents, extents_len);
	table[b->nsections] = (struct snapshot_section){
		.type = SNAPSHOT_SEC_RAM_EXTENTS,
		.offset = pos,
		.length = extents_len,
		.crc = snapshot_crc32(0, b->extents, extents_len),
	};
	if (b->nextents)
		table[b->nsections + 1] = (struct snapshot_section){ .type = SNAPSHOT_SEC_RAM_DATA,
								     .offset = ram_start,
								     .length = ram_len,
								     .crc = SNAPSHOT_CRC_NONE };
	memcpy(h->magic, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	h->version = SNAPSHOT_VERSION;
	h->header_size = sizeof(*h);
	h->section_size = sizeof(*table);
	h->nsections = n;
	h->page_size = SNAPSHOT_PAGE_SIZE;
	h->table_offset = sizeof(*h);
	h->file_size = b->nextents ? ram_start + ram_len : pos + extents_len;
	h->table_crc = snapshot_crc32(0, table, (size_t)n * sizeof(*table));
	h->header_crc = snapshot_crc32(0, h, sizeof(*h));
	*meta = buf;
	*meta_len = pos + extents_len;
	*file_size = h->file_size;
	return 0;
}

/* --- reading ------------------------------------------------------------- */

/* A bad file: -EINVAL with "snapshot 'NAME': " and what is wrong. */
static int bad(const struct snapshot_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(const struct snapshot_reader *r, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(EINVAL, "snapshot '%s': %s", r->name, what);
}

static int read_at(const struct snapshot_reader *r, uint64_t offset, void *buf, size_t len)
{
	int ret = r->read(r->opaque, offset, buf, len);

	return ret < 0 ? error_wrap(-ret, "snapshot '%s'", r->name) : 0;
}

/* What a section type must look like: its name (for messages) and size rule. */
struct section_shape {
	uint32_t type;
	const char *name;
	size_t size;	 /* exact size, or 0 when variable */
	size_t unit;	 /* variable: a multiple of this ... */
	size_t min, max; /* ... from min to max bytes */
	bool per_vcpu;	 /* id is a vCPU index */
};

static const struct section_shape shapes[] = {
	{ SNAPSHOT_SEC_MACHINE, "machine", sizeof(struct snapshot_machine), 0, 0, 0, false },
	{ SNAPSHOT_SEC_RAM_EXTENTS, "RAM extents", 0, sizeof(struct snapshot_ram_extent), 0,
	  SNAPSHOT_MAX_EXTENTS * sizeof(struct snapshot_ram_extent), false },
	{ SNAPSHOT_SEC_RAM_DATA, "RAM data", 0, SNAPSHOT_PAGE_SIZE, SNAPSHOT_PAGE_SIZE,
	  SNAPSHOT_MAX_MEM, false },
	{ SNAPSHOT_SEC_DISK, "disk", 0, 1, sizeof(struct snapshot_disk) + 2,
	  sizeof(struct snapshot_disk) + SNAPSHOT_PATH_MAX, false },
	{ SNAPSHOT_SEC_DEVICE, "device", 0, 1, 1, SNAPSHOT_MAX_SECTION, false },
	{ SNAPSHOT_SEC_CLOCK, "KVM clock", sizeof(struct kvm_clock_data), 0, 0, 0, false },
	{ SNAPSHOT_SEC_IRQCHIP, "irqchip", sizeof(struct kvm_irqchip), 0, 0, 0, false },
	{ SNAPSHOT_SEC_PIT2, "PIT", sizeof(struct kvm_pit_state2), 0, 0, 0, false },
	{ SNAPSHOT_SEC_CPUID, "CPUID", 0, sizeof(struct kvm_cpuid_entry2),
	  sizeof(struct kvm_cpuid_entry2),
	  SNAPSHOT_MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2), true },
	{ SNAPSHOT_SEC_REGS, "registers", sizeof(struct kvm_regs), 0, 0, 0, true },
	{ SNAPSHOT_SEC_SREGS, "special registers", sizeof(struct kvm_sregs), 0, 0, 0, true },
	{ SNAPSHOT_SEC_FPU, "FPU", sizeof(struct kvm_fpu), 0, 0, 0, true },
	{ SNAPSHOT_SEC_XSAVE, "XSAVE", 0, 4, SNAPSHOT_XSAVE_MIN, SNAPSHOT_MAX_XSAVE, true },
	{ SNAPSHOT_SEC_XCRS, "XCRs", sizeof(struct kvm_xcrs), 0, 0, 0, true },
	{ SNAPSHOT_SEC_MSRS, "MSRs", 0, sizeof(struct kvm_msr_entry), 0,
	  SNAPSHOT_MAX_MSRS * sizeof(struct kvm_msr_entry), true },
	{ SNAPSHOT_SEC_LAPIC, "local APIC", sizeof(struct kvm_lapic_state), 0, 0, 0, true },
	{ SNAPSHOT_SEC_MP_STATE, "MP state", sizeof(struct kvm_mp_state), 0, 0, 0, true },
	{ SNAPSHOT_SEC_EVENTS, "vCPU events", sizeof(struct kvm_vcpu_events), 0, 0, 0, true },
	{ SNAPSHOT_SEC_DEBUGREGS, "debug registers", sizeof(struct kvm_debugregs), 0, 0, 0, true },
};

static const struct section_shape *shape_of(uint32_t type)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (shapes[i].type == type)
			return &shapes[i];
	return NULL;
}

void snapshot_free(struct snapshot *snap)
{
	for (uint32_t i = 0; snap->data && i < snap->nsections; i++)
		free(snap->data[i]);
	free(snap->data);
	free(snap->sections);
	memset(snap, 0, sizeof(*snap));
}

const void *snapshot_find(const struct snapshot *snap, uint32_t type, uint32_t id, uint64_t *len)
{
	for (uint32_t i = 0; i < snap->nsections; i++)
		if (snap->sections[i].type == type && snap->sections[i].id == id && snap->data[i]) {
			if (len)
				*len = snap->sections[i].length;
			return snap->data[i];
		}
	return NULL;
}

static int check_header(const struct snapshot_reader *r, struct snapshot_header *h)
{
	uint32_t crc = h->header_crc;
	uint64_t table_len;

	if (memcmp(h->magic, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN))
		return bad(r, "not a mini-kvm snapshot (no '%s' at offset 0)", SNAPSHOT_MAGIC);
	if (h->version != SNAPSHOT_VERSION)
		return bad(r, "format version %u; this mini-kvm reads version %u", h->version,
			   SNAPSHOT_VERSION);
	h->header_crc = 0;
	if (snapshot_crc32(0, h, sizeof(*h)) != crc)
		return bad(r, "the header's CRC does not match: damaged");
	h->header_crc = crc;
	if (h->header_size != sizeof(*h) || h->section_size != sizeof(struct snapshot_section) ||
	    h->page_size != SNAPSHOT_PAGE_SIZE || h->flags || h->reserved)
		return bad(r, "header sizes %u/%u, page size %u or flags 0x%x are not version %u's",
			   h->header_size, h->section_size, h->page_size, h->flags,
			   SNAPSHOT_VERSION);
	if (h->file_size != r->size)
		return bad(r, "%llu bytes, but its header says %llu: %s",
			   (unsigned long long)r->size, (unsigned long long)h->file_size,
			   r->size < h->file_size ? "truncated" : "something was appended");
	if (h->nsections == 0 || h->nsections > SNAPSHOT_MAX_SECTIONS)
		return bad(r, "%u sections (1 to %d)", h->nsections, SNAPSHOT_MAX_SECTIONS);
	table_len = (uint64_t)h->nsections * sizeof(struct snapshot_section);
	if (h->table_offset < sizeof(*h) || h->table_offset % SNAPSHOT_ALIGN ||
	    h->table_offset > r->size || table_len > r->size - h->table_offset)
		return bad(r, "section table at %llu (%llu bytes) is not inside the file",
			   (unsigned long long)h->table_offset, (unsigned long long)table_len);
	return 0;
}

static int cmp_offset(const void *a, const void *b)
{
	const struct snapshot_section *x = *(const struct snapshot_section *const *)a;
	const struct snapshot_section *y = *(const struct snapshot_section *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Every section inside the file, after the table, and no two sharing a byte. */
static int check_placement(const struct snapshot_reader *r, struct snapshot *snap)
{
	uint64_t table_end = snap->header.table_offset +
			     (uint64_t)snap->nsections * sizeof(struct snapshot_section);
	const struct snapshot_section **order = calloc(snap->nsections, sizeof(*order));
	int ret = 0;

	if (!order)
		return error_set(ENOMEM, "no memory to check a snapshot's table");
	for (uint32_t i = 0; i < snap->nsections; i++) {
		const struct snapshot_section *s = &snap->sections[i];

		order[i] = s;
		if (s->offset < table_end || s->offset > r->size ||
		    s->length > r->size - s->offset) {
			ret = bad(r,
				  "section %u (type %u) at %llu, %llu bytes, is not inside the "
				  "file after the table",
				  i, s->type, (unsigned long long)s->offset,
				  (unsigned long long)s->length);
			goto out;
		}
	}
	qsort(order, snap->nsections, sizeof(*order), cmp_offset);
	for (uint32_t i = 1; i < snap->nsections; i++)
		if (order[i - 1]->offset + order[i - 1]->length > order[i]->offset) {
			ret = bad(r, "sections of types %u and %u overlap at %llu",
				  order[i - 1]->type, order[i]->type,
				  (unsigned long long)order[i]->offset);
			goto out;
		}
out:
	free(order);
	return ret;
}

/* A section's size against its type's shape, and its id against its type's range. */
static int check_shape(const struct snapshot_reader *r, const struct snapshot_section *s,
		       const struct section_shape *shape, uint32_t ncpus)
{
	uint64_t len = s->length;

	if (shape->size && len != shape->size)
		return bad(r, "%s section %u is %llu bytes, not %zu", shape->name, s->id,
			   (unsigned long long)len, shape->size);
	if (!shape->size && (len % shape->unit || len < shape->min || len > shape->max))
		return bad(r, "%s section %u is %llu bytes: not a multiple of %zu from %zu to %zu",
			   shape->name, s->id, (unsigned long long)len, shape->unit, shape->min,
			   shape->max);
	if (shape->per_vcpu && s->id >= ncpus)
		return bad(r, "%s section for vCPU %u of a machine with %u", shape->name, s->id,
			   ncpus);
	switch (s->type) {
	case SNAPSHOT_SEC_MACHINE:
	case SNAPSHOT_SEC_RAM_EXTENTS:
	case SNAPSHOT_SEC_RAM_DATA:
	case SNAPSHOT_SEC_CLOCK:
	case SNAPSHOT_SEC_PIT2:
		if (s->id)
			return bad(r, "%s section with id %u (only 0)", shape->name, s->id);
		break;
	case SNAPSHOT_SEC_IRQCHIP:
		if (s->id > KVM_IRQCHIP_IOAPIC)
			return bad(r, "irqchip section %u (0 to %d)", s->id, KVM_IRQCHIP_IOAPIC);
		break;
	case SNAPSHOT_SEC_DISK:
		if (s->id >= SNAPSHOT_MAX_DISKS)
			return bad(r, "disk section %u (0 to %d)", s->id, SNAPSHOT_MAX_DISKS - 1);
		break;
	}
	if (s->type == SNAPSHOT_SEC_RAM_DATA && s->offset % SNAPSHOT_PAGE_SIZE)
		return bad(r, "RAM data at %llu is not page-aligned",
			   (unsigned long long)s->offset);
	return 0;
}

/* What a machine section may say. */
static int check_machine(const struct snapshot_reader *r, const struct snapshot_machine *m)
{
	if (m->mem_size % SNAPSHOT_PAGE_SIZE || m->mem_size < LAYOUT_MEM_MIN ||
	    m->mem_size > SNAPSHOT_MAX_MEM)
		return bad(r, "RAM size %llu bytes: not a page multiple from %llu KiB to %llu GiB",
			   (unsigned long long)m->mem_size, LAYOUT_MEM_MIN / LAYOUT_KIB,
			   SNAPSHOT_MAX_MEM / LAYOUT_GIB);
	if (m->ncpus < 1 || m->ncpus > SNAPSHOT_MAX_CPUS)
		return bad(r, "%u vCPUs (1 to %d)", m->ncpus, SNAPSHOT_MAX_CPUS);
	if (m->flags & ~SNAPSHOT_MACHINE_FLAGS)
		return bad(r, "unknown machine flags 0x%x", m->flags & ~SNAPSHOT_MACHINE_FLAGS);
	if (!memchr(m->name, '\0', sizeof(m->name)) || !m->name[0])
		return bad(r, "the guest's name is empty or not NUL-terminated");
	if ((m->flags & SNAPSHOT_MACHINE_LINUX) && !(m->flags & SNAPSHOT_MACHINE_IRQCHIP))
		return bad(r, "a Linux guest without the in-kernel irqchip");
	return 0;
}

/* Whether a disk section's kind goes with its id: --disk is 0, ATA disks their slot's. */
static bool disk_kind_fits(uint32_t kind, uint32_t id)
{
	if (kind == SNAPSHOT_DISK_HC_BLK)
		return id == 0;
	if (kind == SNAPSHOT_DISK_ATA || kind == SNAPSHOT_DISK_ATA_RO)
		return id >= SNAPSHOT_DISK_ID_ATA(0) && id < SNAPSHOT_DISK_ID_ATA(SNAPSHOT_ATA_DISKS);
	if (kind == SNAPSHOT_DISK_VIRTIO || kind == SNAPSHOT_DISK_VIRTIO_RO)
		return id >= SNAPSHOT_DISK_ID_VIRTIO(0) &&
		       id < SNAPSHOT_DISK_ID_VIRTIO(SNAPSHOT_VIRTIO_DISKS);
	return false;
}

/* The contents of sections whose bytes say more than their size. */
static int check_content(const struct snapshot_reader *r, const struct snapshot_section *s,
			 const void *data)
{
	const struct snapshot_disk *disk = data;
	const struct kvm_irqchip *chip = data;
	const struct kvm_xcrs *xcrs = data;

	switch (s->type) {
	case SNAPSHOT_SEC_DISK:
		if (!disk_kind_fits(disk->kind, s->id) ||
		    disk->path_len != s->length - sizeof(*disk) ||
		    strnlen((const char *)(disk + 1), disk->path_len) != disk->path_len - 1u ||
		    disk->path_len < 2)
			return bad(r, "disk section %u: kind %u or its path is malformed", s->id,
				   disk->kind);
		break;
	case SNAPSHOT_SEC_IRQCHIP:
		if (chip->chip_id != s->id)
			return bad(r, "irqchip section %u holds chip %u", s->id, chip->chip_id);
		break;
	case SNAPSHOT_SEC_XCRS:
		if (xcrs->nr_xcrs > KVM_MAX_XCRS)
			return bad(r, "XCRs section %u: %u XCRs (at most %d)", s->id, xcrs->nr_xcrs,
				   KVM_MAX_XCRS);
		break;
	}
	return 0;
}

/* The sections a machine cannot do without, once each (duplicates are refused earlier). */
static int check_required(const struct snapshot_reader *r, const struct snapshot *snap)
{
	static const uint32_t per_vcpu[] = { SNAPSHOT_SEC_CPUID,    SNAPSHOT_SEC_REGS,
					     SNAPSHOT_SEC_SREGS,    SNAPSHOT_SEC_MSRS,
					     SNAPSHOT_SEC_MP_STATE, SNAPSHOT_SEC_EVENTS };
	const struct snapshot_machine *m = snap->machine;
	bool irqchip = m->flags & SNAPSHOT_MACHINE_IRQCHIP;

	if (!snapshot_find(snap, SNAPSHOT_SEC_CLOCK, 0, NULL))
		return bad(r, "no KVM clock section");
	for (uint32_t chip = 0; chip <= KVM_IRQCHIP_IOAPIC; chip++)
		if (!snapshot_find(snap, SNAPSHOT_SEC_IRQCHIP, chip, NULL) != !irqchip)
			return bad(r, "irqchip section %u %s", chip,
				   irqchip ? "missing" : "in a machine without an irqchip");
	if (!snapshot_find(snap, SNAPSHOT_SEC_PIT2, 0, NULL) != !irqchip)
		return bad(r, "PIT section %s", irqchip ? "missing" : "in a machine without one");
	for (uint32_t cpu = 0; cpu < m->ncpus; cpu++) {
		for (size_t i = 0; i < sizeof(per_vcpu) / sizeof(per_vcpu[0]); i++)
			if (!snapshot_find(snap, per_vcpu[i], cpu, NULL))
				return bad(r, "no %s section for vCPU %u",
					   shape_of(per_vcpu[i])->name, cpu);
		if (!snapshot_find(snap, SNAPSHOT_SEC_FPU, cpu, NULL) &&
		    !snapshot_find(snap, SNAPSHOT_SEC_XSAVE, cpu, NULL))
			return bad(r, "neither FPU nor XSAVE section for vCPU %u", cpu);
		if (!snapshot_find(snap, SNAPSHOT_SEC_LAPIC, cpu, NULL) != !irqchip)
			return bad(r, "local APIC section for vCPU %u %s", cpu,
				   irqchip ? "missing" : "in a machine without an irqchip");
	}
	return 0;
}

/* Whether [gpa, gpa + size) lies inside one RAM region of a machine with mem_size bytes. */
static bool in_ram(uint64_t mem_size, uint64_t gpa, uint64_t size)
{
	struct guest_region regions[GUEST_MAX_REGIONS];
	unsigned int n = guest_memory_layout(mem_size, regions);

	for (unsigned int i = 0; i < n; i++)
		if (gpa >= regions[i].gpa && gpa - regions[i].gpa < regions[i].size &&
		    size <= regions[i].size - (gpa - regions[i].gpa))
			return true;
	return false;
}

static int check_extents(const struct snapshot_reader *r, const struct snapshot *snap)
{
	const struct snapshot_section *data = snap->ram_data;
	uint64_t mem_size = snap->machine->mem_size;

	if (!snap->nextents != !data)
		return bad(r, "%zu RAM extents but %s RAM data section", snap->nextents,
			   data ? "a" : "no");
	for (size_t i = 0; i < snap->nextents; i++) {
		const struct snapshot_ram_extent *e = &snap->extents[i];
		const struct snapshot_ram_extent *prev = i ? &snap->extents[i - 1] : NULL;

		if (e->flags)
			return bad(r, "RAM extent %zu has flags 0x%x (none are defined)", i, e->flags);
		if (e->gpa % SNAPSHOT_PAGE_SIZE || e->size % SNAPSHOT_PAGE_SIZE || !e->size ||
		    e->offset % SNAPSHOT_PAGE_SIZE)
			return bad(r,
				   "RAM extent %zu (GPA 0x%llx, 0x%llx bytes at %llu) is not "
				   "page-aligned",
				   i, (unsigned long long)e->gpa, (unsigned long long)e->size,
				   (unsigned long long)e->offset);
		if (!in_ram(mem_size, e->gpa, e->size))
			return bad(r,
				   "RAM extent %zu (GPA 0x%llx, 0x%llx bytes) is not inside the "
				   "machine's %llu MiB of RAM",
				   i, (unsigned long long)e->gpa, (unsigned long long)e->size,
				   (unsigned long long)(mem_size / LAYOUT_MIB));
		if (e->offset < data->offset || e->offset - data->offset > data->length ||
		    e->size > data->length - (e->offset - data->offset))
			return bad(r,
				   "RAM extent %zu's bytes (at %llu) are not inside the RAM data",
				   i, (unsigned long long)e->offset);
		/* in_ram() bounds both sums below the 1 TiB of SNAPSHOT_MAX_MEM + 4 GiB. */
		if (prev &&
		    (e->gpa < prev->gpa + prev->size || e->offset < prev->offset + prev->size))
			return bad(r, "RAM extent %zu overlaps or precedes extent %zu", i, i - 1);
	}
	return 0;
}

/* Read section i's bytes, check its CRC and what they say. */
static int load_section(const struct snapshot_reader *r, struct snapshot *snap, uint32_t i)
{
	const struct snapshot_section *s = &snap->sections[i];
	void *buf = malloc(s->length ? s->length : 1);
	int ret;

	if (!buf)
		return error_set(ENOMEM, "no memory for a snapshot section of %llu bytes",
				 (unsigned long long)s->length);
	snap->data[i] = buf;
	ret = read_at(r, s->offset, buf, s->length);
	if (ret < 0)
		return ret;
	if (snapshot_crc32(0, buf, s->length) != s->crc)
		return bad(r, "the CRC of section %u (%s %u) does not match: damaged", i,
			   shape_of(s->type) ? shape_of(s->type)->name : "?", s->id);
	return check_content(r, s, buf);
}

int snapshot_parse(const struct snapshot_reader *r, struct snapshot *snap)
{
	size_t table_len;
	int ret;

	memset(snap, 0, sizeof(*snap));
	if (r->size < sizeof(snap->header))
		return bad(r, "%llu bytes: too short for its %zu-byte header (truncated?)",
			   (unsigned long long)r->size, sizeof(snap->header));
	ret = read_at(r, 0, &snap->header, sizeof(snap->header));
	if (ret == 0)
		ret = check_header(r, &snap->header);
	if (ret < 0)
		return ret;

	snap->nsections = snap->header.nsections;
	table_len = (size_t)snap->nsections * sizeof(struct snapshot_section);
	snap->sections = malloc(table_len);
	snap->data = calloc(snap->nsections, sizeof(*snap->data));
	if (!snap->sections || !snap->data) {
		ret = error_set(ENOMEM, "no memory for a snapshot's table");
		goto fail;
	}
	ret = read_at(r, snap->header.table_offset, snap->sections, table_len);
	if (ret < 0)
		goto fail;
	if (snapshot_crc32(0, snap->sections, table_len) != snap->header.table_crc) {
		ret = bad(r, "the section table's CRC does not match: damaged");
		goto fail;
	}
	ret = check_placement(r, snap);
	if (ret < 0)
		goto fail;

	/* First pass: types, flags, duplicates, and the machine (its vCPU count bounds ids). */
	for (uint32_t i = 0; i < snap->nsections; i++) {
		const struct snapshot_section *s = &snap->sections[i];

		if (s->flags & ~SNAPSHOT_SECTION_FLAGS) {
			ret = bad(r, "section %u has unknown flags 0x%x", i, s->flags);
			goto fail;
		}
		if (!shape_of(s->type) && !(s->flags & SNAPSHOT_SECTION_OPTIONAL)) {
			ret = bad(r, "section %u has type %u, unknown to this mini-kvm", i,
				  s->type);
			goto fail;
		}
		for (uint32_t j = 0; j < i; j++)
			if (snap->sections[j].type == s->type && snap->sections[j].id == s->id) {
				ret = bad(r, "sections %u and %u are both type %u id %u", j, i,
					  s->type, s->id);
				goto fail;
			}
		if (s->type == SNAPSHOT_SEC_MACHINE) {
			ret = check_shape(r, s, shape_of(s->type), 0);
			if (ret == 0)
				ret = load_section(r, snap, i);
			if (ret == 0)
				ret = check_machine(r, snap->data[i]);
			if (ret < 0)
				goto fail;
			snap->machine = snap->data[i];
		}
	}
	if (!snap->machine) {
		ret = bad(r, "no machine section");
		goto fail;
	}
	/* Second pass: every other known section's shape and bytes. */
	for (uint32_t i = 0; i < snap->nsections; i++) {
		const struct snapshot_section *s = &snap->sections[i];
		const struct section_shape *shape = shape_of(s->type);

		if (!shape || s->type == SNAPSHOT_SEC_MACHINE)
			continue;
		ret = check_shape(r, s, shape, snap->machine->ncpus);
		if (ret < 0)
			goto fail;
		if (s->type == SNAPSHOT_SEC_RAM_DATA) {
			snap->ram_data = s;
			continue;
		}
		ret = load_section(r, snap, i);
		if (ret < 0)
			goto fail;
		if (s->type == SNAPSHOT_SEC_RAM_EXTENTS) {
			snap->extents = snap->data[i];
			snap->nextents = s->length / sizeof(struct snapshot_ram_extent);
		}
	}
	if (!snapshot_find(snap, SNAPSHOT_SEC_RAM_EXTENTS, 0, NULL)) {
		ret = bad(r, "no RAM extents section");
		goto fail;
	}
	ret = check_required(r, snap);
	if (ret == 0)
		ret = check_extents(r, snap);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	snapshot_free(snap);
	return ret;
}

/* How much RAM snapshot_verify_ram() reads at a time. */
#define VERIFY_CHUNK (1U << 20)

int snapshot_verify_ram(const struct snapshot_reader *r, const struct snapshot *snap)
{
	uint8_t *buf = malloc(VERIFY_CHUNK);
	int ret = 0;

	if (!buf)
		return error_set(ENOMEM, "no memory to check a snapshot's RAM");
	for (size_t i = 0; i < snap->nextents && ret == 0; i++) {
		const struct snapshot_ram_extent *e = &snap->extents[i];
		uint32_t crc = 0;

		for (uint64_t done = 0; done < e->size && ret == 0; done += VERIFY_CHUNK) {
			size_t n = e->size - done < VERIFY_CHUNK ? e->size - done : VERIFY_CHUNK;

			ret = read_at(r, e->offset + done, buf, n);
			crc = snapshot_crc32(crc, buf, n);
		}
		if (ret == 0 && crc != e->crc)
			ret = bad(r,
				  "RAM extent %zu (GPA 0x%llx, %llu KiB) does not match its CRC: "
				  "damaged",
				  i, (unsigned long long)e->gpa,
				  (unsigned long long)(e->size / LAYOUT_KIB));
	}
	free(buf);
	return ret;
}
