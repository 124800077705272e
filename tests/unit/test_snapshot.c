/* SPDX-License-Identifier: MIT */
/* Unit tests of the snapshot file format (src/snapshot/format.c): round trips and hostile files. */
#include "unit.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>

#include "arch/x86/layout.h"
#include "error.h"
#include "snapshot/format.h"

#define PAGE	    SNAPSHOT_PAGE_SIZE
#define TEST_MEM    (8 * LAYOUT_MIB)
#define TEST_NAME   "test-snapshot"
#define MAX_EXTENTS 4
#define MAX_EXTRA   2
#define RAM_FILL    0x5a
#define FILL_BYTE   0x77
#define IRQCHIPS    (KVM_IRQCHIP_IOAPIC + 1)
#define BIG_MEM	    (5 * LAYOUT_GIB) /* RAM from 4 GiB up too: two regions */

/* What a test snapshot holds: a valid machine unless a row spoils it. */
struct input {
	struct snapshot_machine machine;
	uint32_t skip_type, skip_id; /* a section to leave out (type 0: none) */
	uint32_t vcpu_sections;	     /* vCPUs given sections (normally machine.ncpus) */
	bool irqchip_sections;	     /* irqchip, PIT and local APICs (normally with the flag) */
	size_t regs_len;	     /* REGS section length (normally sizeof(struct kvm_regs)) */
	uint32_t nr_xcrs;
	struct {
		uint32_t type, id, flags;
		size_t len;
	} extra[MAX_EXTRA];
	size_t nextra;
	struct {
		uint64_t gpa, size;
	} extents[MAX_EXTENTS];
	size_t nextents;
	const char *disk_path; /* a disk section, or NULL */
	uint32_t disk_kind;
	uint32_t disk_id; /* its section id */
};

/* A whole snapshot file in memory. */
struct file {
	uint8_t *bytes;
	size_t size;
};

static void default_input(struct input *in)
{
	memset(in, 0, sizeof(*in));
	in->machine = (struct snapshot_machine){ .mem_size = TEST_MEM,
						 .ncpus = 2,
						 .flags = SNAPSHOT_MACHINE_IRQCHIP,
						 .boot_mode = 4,
						 .tsc_khz = 2000000 };
	snprintf(in->machine.name, sizeof(in->machine.name), "%s", TEST_NAME);
	in->vcpu_sections = 2;
	in->irqchip_sections = true;
	in->regs_len = sizeof(struct kvm_regs);
	in->nr_xcrs = 1;
	in->extents[0].gpa = 0;
	in->extents[0].size = 2 * PAGE;
	in->extents[1].gpa = LAYOUT_MIB;
	in->extents[1].size = 3 * PAGE;
	in->nextents = 2;
}

static void add(struct snapshot_builder *b, const struct input *in, uint32_t type, uint32_t id,
		const void *data, size_t len)
{
	if (type == in->skip_type && id == in->skip_id)
		return;
	assert_int_equal(snapshot_builder_add(b, type, id, data, len, 0), 0);
}

/* Build in into a file: sections through the builder, RAM extents filled with RAM_FILL. */
static void build(const struct input *in, struct file *f)
{
	static uint8_t zeros[SNAPSHOT_MAX_XSAVE];
	struct snapshot_builder b;
	struct kvm_xcrs xcrs = { .nr_xcrs = in->nr_xcrs };
	struct kvm_clock_data clock = { .clock = 12345 };
	uint8_t *meta;
	size_t meta_len;
	uint64_t size;

	snapshot_builder_init(&b);
	add(&b, in, SNAPSHOT_SEC_MACHINE, 0, &in->machine, sizeof(in->machine));
	add(&b, in, SNAPSHOT_SEC_CLOCK, 0, &clock, sizeof(clock));
	for (uint32_t chip = 0; in->irqchip_sections && chip < IRQCHIPS; chip++) {
		struct kvm_irqchip c = { .chip_id = chip };

		add(&b, in, SNAPSHOT_SEC_IRQCHIP, chip, &c, sizeof(c));
	}
	if (in->irqchip_sections)
		add(&b, in, SNAPSHOT_SEC_PIT2, 0, zeros, sizeof(struct kvm_pit_state2));
	for (uint32_t cpu = 0; cpu < in->vcpu_sections; cpu++) {
		struct kvm_cpuid_entry2 cpuid[2] = { { .function = 0 }, { .function = 1 } };
		struct kvm_msr_entry msrs[2] = { { .index = 0x10, .data = 1 },
						 { .index = 0x6e0, .data = 2 } };

		add(&b, in, SNAPSHOT_SEC_CPUID, cpu, cpuid, sizeof(cpuid));
		add(&b, in, SNAPSHOT_SEC_REGS, cpu, zeros, in->regs_len);
		add(&b, in, SNAPSHOT_SEC_SREGS, cpu, zeros, sizeof(struct kvm_sregs));
		add(&b, in, SNAPSHOT_SEC_FPU, cpu, zeros, sizeof(struct kvm_fpu));
		add(&b, in, SNAPSHOT_SEC_XSAVE, cpu, zeros, sizeof(struct kvm_xsave));
		add(&b, in, SNAPSHOT_SEC_XCRS, cpu, &xcrs, sizeof(xcrs));
		add(&b, in, SNAPSHOT_SEC_MSRS, cpu, msrs, sizeof(msrs));
		if (in->irqchip_sections)
			add(&b, in, SNAPSHOT_SEC_LAPIC, cpu, zeros, sizeof(struct kvm_lapic_state));
		add(&b, in, SNAPSHOT_SEC_MP_STATE, cpu, zeros, sizeof(struct kvm_mp_state));
		add(&b, in, SNAPSHOT_SEC_EVENTS, cpu, zeros, sizeof(struct kvm_vcpu_events));
		add(&b, in, SNAPSHOT_SEC_DEBUGREGS, cpu, zeros, sizeof(struct kvm_debugregs));
	}
	add(&b, in, SNAPSHOT_SEC_DEVICE, SNAPSHOT_DEV_SERIAL(0), zeros, 32);
	if (in->disk_path) {
		size_t len = strlen(in->disk_path) + 1;
		uint8_t buf[sizeof(struct snapshot_disk) + SNAPSHOT_PATH_MAX];
		struct snapshot_disk d = { .size = 65536,
					   .kind = in->disk_kind,
					   .path_len = (uint32_t)len };

		memcpy(buf, &d, sizeof(d));
		memcpy(buf + sizeof(d), in->disk_path, len);
		add(&b, in, SNAPSHOT_SEC_DISK, in->disk_id, buf, sizeof(d) + len);
	}
	for (size_t i = 0; i < in->nextra; i++) {
		uint8_t data[64];

		memset(data, FILL_BYTE, sizeof(data));
		assert_true(in->extra[i].len <= sizeof(data));
		assert_int_equal(snapshot_builder_add(&b, in->extra[i].type, in->extra[i].id, data,
						      in->extra[i].len, in->extra[i].flags),
				 0);
	}
	for (size_t i = 0; i < in->nextents; i++) {
		uint8_t page[PAGE];

		memset(page, RAM_FILL, sizeof(page));
		/* Every page of a test extent holds RAM_FILL: its CRC is a page's, repeated. */
		uint32_t crc = 0;

		for (uint64_t p = 0; p < in->extents[i].size / PAGE; p++)
			crc = snapshot_crc32(crc, page, PAGE);
		assert_int_equal(snapshot_builder_add_extent(&b, in->extents[i].gpa,
							     in->extents[i].size, crc),
				 0);
	}
	assert_int_equal(snapshot_builder_finish(&b, &meta, &meta_len, &size), 0);
	f->size = size;
	f->bytes = calloc(1, size);
	assert_non_null(f->bytes);
	memcpy(f->bytes, meta, meta_len);
	for (size_t i = 0; i < b.nextents; i++)
		memset(f->bytes + b.extents[i].offset, RAM_FILL, b.extents[i].size);
	free(meta);
	snapshot_builder_free(&b);
}

static int mem_read(void *opaque, uint64_t offset, void *buf, size_t len)
{
	const struct file *f = opaque;

	if (offset > f->size || len > f->size - offset)
		return error_set(EIO, "read past the end");
	memcpy(buf, f->bytes + offset, len);
	return 0;
}

static int parse_file(struct file *f, struct snapshot *snap)
{
	const struct snapshot_reader r = {
		.read = mem_read, .opaque = f, .size = f->size, .name = TEST_NAME
	};

	return snapshot_parse(&r, snap);
}

static struct snapshot_header *header(struct file *f)
{
	return (struct snapshot_header *)f->bytes;
}

static struct snapshot_section *table(struct file *f)
{
	return (struct snapshot_section *)(f->bytes + header(f)->table_offset);
}

static struct snapshot_section *section(struct file *f, uint32_t type, uint32_t id)
{
	for (uint32_t i = 0; i < header(f)->nsections; i++)
		if (table(f)[i].type == type && table(f)[i].id == id)
			return &table(f)[i];
	fail_msg("no section %u/%u", type, id);
	return NULL;
}

/* Checksums made right again after a row changed bytes, so that deeper checks are reached. */
static void reseal(struct file *f)
{
	struct snapshot_header *h = header(f);
	uint64_t table_len = (uint64_t)h->nsections * sizeof(struct snapshot_section);

	/* A row that broke the table itself gets only its header sealed. */
	if (h->table_offset > f->size || table_len > f->size - h->table_offset)
		goto seal_header;
	for (uint32_t i = 0; i < h->nsections; i++) {
		struct snapshot_section *s = &table(f)[i];

		if (s->type != SNAPSHOT_SEC_RAM_DATA && s->offset < f->size &&
		    s->length <= f->size - s->offset)
			s->crc = snapshot_crc32(0, f->bytes + s->offset, s->length);
	}
	h->table_crc = snapshot_crc32(0, table(f), table_len);
seal_header:
	h->header_crc = 0;
	h->header_crc = snapshot_crc32(0, h, sizeof(*h));
}

static struct snapshot_ram_extent *extents(struct file *f)
{
	return (struct snapshot_ram_extent *)(f->bytes +
					      section(f, SNAPSHOT_SEC_RAM_EXTENTS, 0)->offset);
}

/* --- round trips ---------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct input in;
	struct file f;
	struct snapshot snap;
	uint64_t len;
	const struct kvm_msr_entry *msrs;

	(void)state;
	default_input(&in);
	in.disk_path = "/tmp/disk.tar";
	in.disk_kind = SNAPSHOT_DISK_HC_BLK;
	build(&in, &f);
	assert_int_equal(parse_file(&f, &snap), 0);
	assert_int_equal(snap.machine->mem_size, TEST_MEM);
	assert_int_equal(snap.machine->ncpus, 2);
	assert_string_equal(snap.machine->name, TEST_NAME);
	assert_int_equal(snap.nextents, 2);
	assert_int_equal(snap.extents[1].gpa, LAYOUT_MIB);
	assert_int_equal(snap.extents[1].size, 3 * PAGE);
	/* RAM is page-aligned in the file, extent after extent, inside RAM_DATA. */
	assert_non_null(snap.ram_data);
	assert_int_equal(snap.ram_data->offset % PAGE, 0);
	assert_int_equal(snap.extents[0].offset, snap.ram_data->offset);
	assert_int_equal(snap.extents[1].offset, snap.ram_data->offset + 2 * PAGE);
	assert_int_equal(snap.ram_data->length, 5 * PAGE);
	assert_int_equal(f.size, snap.ram_data->offset + 5 * PAGE);
	msrs = snapshot_find(&snap, SNAPSHOT_SEC_MSRS, 1, &len);
	assert_non_null(msrs);
	assert_int_equal(len, 2 * sizeof(*msrs));
	assert_int_equal(msrs[1].index, 0x6e0);
	assert_null(snapshot_find(&snap, SNAPSHOT_SEC_MSRS, 2, NULL));
	assert_non_null(snapshot_find(&snap, SNAPSHOT_SEC_DISK, 0, NULL));
	snapshot_free(&snap);
	free(f.bytes);
}

/* A Linux guest's last virtio disk, read-only, and a virtio-rng: the parser takes both. */
static void test_virtio_disk_and_rng(void **state)
{
	const unsigned int last = SNAPSHOT_VIRTIO_DISKS - 1;
	const struct snapshot_disk *d;
	struct input in;
	struct file f;
	struct snapshot snap;

	(void)state;
	default_input(&in);
	in.machine.flags |= SNAPSHOT_MACHINE_LINUX | SNAPSHOT_MACHINE_VIRTIO_RNG;
	in.disk_path = "/srv/root.ext4";
	in.disk_kind = SNAPSHOT_DISK_VIRTIO_RO;
	in.disk_id = SNAPSHOT_DISK_ID_VIRTIO(last);
	build(&in, &f);
	assert_int_equal(parse_file(&f, &snap), 0);
	assert_true(snap.machine->flags & SNAPSHOT_MACHINE_VIRTIO_RNG);
	d = snapshot_find(&snap, SNAPSHOT_SEC_DISK, SNAPSHOT_DISK_ID_VIRTIO(last), NULL);
	assert_non_null(d);
	assert_int_equal(d->kind, SNAPSHOT_DISK_VIRTIO_RO);
	assert_string_equal((const char *)(d + 1), "/srv/root.ext4");
	snapshot_free(&snap);
	free(f.bytes);
}

/* The RAM's CRCs are checked on request only (restore --verify), and catch a bad byte. */
static void test_verify_ram(void **state)
{
	struct input in;
	struct file f;
	struct snapshot snap;
	const struct snapshot_reader r = {
		.read = mem_read, .opaque = &f, .size = 0, .name = TEST_NAME
	};
	struct snapshot_reader sized = r;

	(void)state;
	default_input(&in);
	build(&in, &f);
	sized.size = f.size;
	assert_int_equal(snapshot_parse(&sized, &snap), 0);
	assert_int_equal(snapshot_verify_ram(&sized, &snap), 0);
	f.bytes[snap.extents[1].offset + PAGE + 7] ^= 1;
	assert_int_equal(snapshot_verify_ram(&sized, &snap), -EINVAL);
	assert_contains(error_message(), "RAM extent 1 (GPA 0x100000, 12 KiB)");
	assert_contains(error_message(), "damaged");
	snapshot_free(&snap);
	/* Parsing alone does not read the RAM: the damaged file still parses. */
	assert_int_equal(snapshot_parse(&sized, &snap), 0);
	snapshot_free(&snap);
	free(f.bytes);
}

/* A machine without an irqchip, no RAM saved, one vCPU without the optional sections. */
static void test_minimal(void **state)
{
	struct input in;
	struct file f;
	struct snapshot snap;

	(void)state;
	default_input(&in);
	in.machine.ncpus = 1;
	in.machine.flags = 0;
	in.vcpu_sections = 1;
	in.irqchip_sections = false;
	in.nextents = 0;
	build(&in, &f);
	assert_int_equal(parse_file(&f, &snap), 0);
	assert_int_equal(snap.nextents, 0);
	assert_null(snap.ram_data);
	snapshot_free(&snap);
	free(f.bytes);
}

/* RAM above 4 GiB (past the MMIO hole) is where a machine with more than 3 GiB has it. */
static void test_high_ram(void **state)
{
	struct input in;
	struct file f;
	struct snapshot snap;

	(void)state;
	default_input(&in);
	in.machine.mem_size = BIG_MEM;
	in.extents[1].gpa = LAYOUT_4GIB + LAYOUT_MIB;
	build(&in, &f);
	assert_int_equal(parse_file(&f, &snap), 0);
	snapshot_free(&snap);
	free(f.bytes);
}

/* A section a reader does not know, flagged optional, is skipped rather than refused. */
static void test_unknown_optional_section(void **state)
{
	struct input in;
	struct file f;
	struct snapshot snap;

	(void)state;
	default_input(&in);
	in.extra[0].type = 999;
	in.extra[0].len = 8;
	in.extra[0].flags = SNAPSHOT_SECTION_OPTIONAL;
	in.nextra = 1;
	build(&in, &f);
	assert_int_equal(parse_file(&f, &snap), 0);
	assert_null(snapshot_find(&snap, 999, 0, NULL));
	snapshot_free(&snap);
	free(f.bytes);
}

/* The builder refuses what a parser would: duplicates, RAM sections, unaligned extents. */
static void test_builder_refuses(void **state)
{
	struct snapshot_builder b;
	uint8_t byte = 0;

	(void)state;
	snapshot_builder_init(&b);
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_REGS, 0, &byte, 1, 0), 0);
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_REGS, 0, &byte, 1, 0), -EINVAL);
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_RAM_DATA, 0, &byte, 1, 0), -EINVAL);
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_REGS, 1, &byte, 1, 0x80), -EINVAL);
	assert_int_equal(snapshot_builder_add_extent(&b, 1, PAGE, 0), -EINVAL);
	assert_int_equal(snapshot_builder_add_extent(&b, 0, PAGE + 1, 0), -EINVAL);
	assert_int_equal(snapshot_builder_add_extent(&b, PAGE, PAGE, 0), 0);
	assert_int_equal(snapshot_builder_add_extent(&b, 0, PAGE, 0), -EINVAL); /* below the last */
	snapshot_builder_free(&b);
}

/* --- hostile files: one row each ------------------------------------------ */

struct bad_file {
	const char *name;
	void (*input)(struct input *in); /* spoil what is built, or NULL */
	void (*bytes)(struct file *f);	 /* spoil the built file, or NULL */
	bool reseal;			 /* then fix the checksums */
	const char *message;
};

static void cut_last_byte(struct file *f)
{
	f->size--;
}

static void cut_to_header(struct file *f)
{
	f->size = sizeof(struct snapshot_header) - 1;
}

static void append_byte(struct file *f)
{
	f->bytes = realloc(f->bytes, f->size + 1);
	f->bytes[f->size++] = 0;
}

static void bad_magic(struct file *f)
{
	f->bytes[0] = 'X';
}

static void version_2(struct file *f)
{
	header(f)->version = 2;
}

static void header_flip(struct file *f)
{
	header(f)->nsections ^= 1;
}

static void header_size(struct file *f)
{
	header(f)->header_size = 128;
}

static void page_size(struct file *f)
{
	header(f)->page_size = 2 * PAGE;
}

static void no_sections(struct file *f)
{
	header(f)->nsections = 0;
}

static void many_sections(struct file *f)
{
	header(f)->nsections = SNAPSHOT_MAX_SECTIONS + 1;
}

static void table_past_end(struct file *f)
{
	header(f)->table_offset = f->size;
}

static void table_offset_wraps(struct file *f)
{
	header(f)->table_offset = UINT64_MAX & ~(uint64_t)7;
}

static void table_flip(struct file *f)
{
	table(f)[0].id ^= 1;
}

static void section_flip(struct file *f)
{
	f->bytes[section(f, SNAPSHOT_SEC_SREGS, 1)->offset + 3] ^= 1;
}

static void section_length_wraps(struct file *f)
{
	section(f, SNAPSHOT_SEC_FPU, 0)->length = UINT64_MAX - 100;
}

static void section_in_header(struct file *f)
{
	section(f, SNAPSHOT_SEC_FPU, 0)->offset = 8;
}

static void sections_overlap(struct file *f)
{
	section(f, SNAPSHOT_SEC_FPU, 0)->offset = section(f, SNAPSHOT_SEC_REGS, 0)->offset + 8;
}

static void duplicate_section(struct file *f)
{
	section(f, SNAPSHOT_SEC_REGS, 1)->id = 0;
}

static void unknown_type(struct input *in)
{
	in->extra[0].type = 999;
	in->extra[0].len = 8;
	in->nextra = 1;
}

static void unknown_section_flag(struct file *f)
{
	section(f, SNAPSHOT_SEC_REGS, 0)->flags = 0x100;
}

static void no_machine(struct input *in)
{
	in->skip_type = SNAPSHOT_SEC_MACHINE;
}

static void mem_unaligned(struct input *in)
{
	in->machine.mem_size += 1;
}

static void mem_zero(struct input *in)
{
	in->machine.mem_size = 0;
}

static void mem_huge(struct input *in)
{
	in->machine.mem_size = SNAPSHOT_MAX_MEM + PAGE;
}

static void no_cpus(struct input *in)
{
	in->machine.ncpus = 0;
}

static void too_many_cpus(struct input *in)
{
	in->machine.ncpus = SNAPSHOT_MAX_CPUS + 1;
}

static void name_unterminated(struct input *in)
{
	memset(in->machine.name, 'x', sizeof(in->machine.name));
}

static void unknown_machine_flag(struct input *in)
{
	in->machine.flags |= 0x80;
}

static void linux_without_irqchip(struct input *in)
{
	in->machine.flags = SNAPSHOT_MACHINE_LINUX;
	in->irqchip_sections = false;
}

static void missing_regs(struct input *in)
{
	in->skip_type = SNAPSHOT_SEC_REGS;
	in->skip_id = 1;
}

static void missing_lapic(struct input *in)
{
	in->skip_type = SNAPSHOT_SEC_LAPIC;
}

static void missing_clock(struct input *in)
{
	in->skip_type = SNAPSHOT_SEC_CLOCK;
}

static void missing_ioapic(struct input *in)
{
	in->skip_type = SNAPSHOT_SEC_IRQCHIP;
	in->skip_id = KVM_IRQCHIP_IOAPIC;
}

static void irqchip_without_flag(struct input *in)
{
	in->machine.flags = 0;
}

static void vcpu_beyond_machine(struct input *in)
{
	in->machine.ncpus = 1;
}

static void regs_short(struct input *in)
{
	in->regs_len = sizeof(struct kvm_regs) - 8;
}

static void too_many_xcrs(struct input *in)
{
	in->nr_xcrs = KVM_MAX_XCRS + 1;
}

static void irqchip_id_mismatch(struct file *f)
{
	struct kvm_irqchip *chip =
		(struct kvm_irqchip *)(f->bytes + section(f, SNAPSHOT_SEC_IRQCHIP, 1)->offset);

	chip->chip_id = 2;
}

static void extent_past_ram(struct input *in)
{
	in->extents[1].gpa = TEST_MEM - PAGE; /* 3 pages from here: past the 8 MiB */
}

static void extent_in_mmio_hole(struct input *in)
{
	in->machine.mem_size = BIG_MEM;
	in->extents[1].gpa = LAYOUT_MMIO_HOLE;
}

static void extent_wraps(struct file *f)
{
	extents(f)[1].gpa = UINT64_MAX & ~(uint64_t)(PAGE - 1);
}

static void extent_unaligned(struct file *f)
{
	extents(f)[1].gpa += 8;
}

static void extent_offset_unaligned(struct file *f)
{
	extents(f)[1].offset += 8;
}

static void extents_overlap(struct file *f)
{
	extents(f)[1].gpa = extents(f)[0].gpa + PAGE;
}

static void extent_outside_data(struct file *f)
{
	extents(f)[1].offset = PAGE;
}

static void extent_flags(struct file *f)
{
	extents(f)[0].flags = 1;
}

static void ram_data_unaligned(struct file *f)
{
	section(f, SNAPSHOT_SEC_RAM_DATA, 0)->offset += 8;
	section(f, SNAPSHOT_SEC_RAM_DATA, 0)->length -= PAGE;
}

static void extents_without_data(struct file *f)
{
	section(f, SNAPSHOT_SEC_RAM_DATA, 0)->type = SNAPSHOT_SEC_DEVICE;
}

static void disk_path_unterminated(struct file *f)
{
	struct snapshot_section *s = section(f, SNAPSHOT_SEC_DISK, 0);

	f->bytes[s->offset + s->length - 1] = 'x';
}

static void with_disk(struct input *in)
{
	in->disk_path = "/tmp/disk.tar";
	in->disk_kind = SNAPSHOT_DISK_HC_BLK;
}

static void unknown_disk_kind(struct input *in)
{
	with_disk(in);
	in->disk_kind = 7;
}

/* A virtio disk's kind in --disk's section (id 0): virtio disks have ids 0x100 + n. */
static void virtio_kind_as_disk_0(struct input *in)
{
	with_disk(in);
	in->disk_kind = SNAPSHOT_DISK_VIRTIO_RO;
}

/* An ATA disk's kind in --disk's section (id 0): ATA disks have their slots' ids. */
static void ata_kind_as_disk_0(struct input *in)
{
	with_disk(in);
	in->disk_kind = SNAPSHOT_DISK_ATA;
}

static void with_disk_unterminated(struct file *f)
{
	disk_path_unterminated(f);
}

static const struct bad_file bad_files[] = {
	{ "truncated by a byte", NULL, cut_last_byte, false, "truncated" },
	{ "shorter than a header", NULL, cut_to_header, false, "too short for its 64-byte header" },
	{ "a byte appended", NULL, append_byte, false, "something was appended" },
	{ "wrong magic", NULL, bad_magic, false, "not a mini-kvm snapshot" },
	{ "version 2", NULL, version_2, true, "format version 2; this mini-kvm reads version 1" },
	{ "header damaged", NULL, header_flip, false, "header's CRC does not match" },
	{ "header size", NULL, header_size, true, "header sizes 128/32" },
	{ "page size", NULL, page_size, true, "page size 8192" },
	{ "no sections", NULL, no_sections, true, "0 sections" },
	{ "too many sections", NULL, many_sections, true, "8193 sections" },
	{ "table past the end", NULL, table_past_end, true, "section table at" },
	{ "table offset wraps", NULL, table_offset_wraps, true, "section table at" },
	{ "table damaged", NULL, table_flip, false, "section table's CRC does not match" },
	{ "section damaged", NULL, section_flip, false, "CRC of section" },
	{ "section length wraps", NULL, section_length_wraps, true, "is not inside the file" },
	{ "section inside the header", NULL, section_in_header, true, "is not inside the file" },
	{ "sections overlap", NULL, sections_overlap, true, "overlap" },
	{ "duplicate section", NULL, duplicate_section, true, "are both type 33 id 0" },
	{ "unknown section type", unknown_type, NULL, false, "type 999, unknown" },
	{ "unknown section flag", NULL, unknown_section_flag, true, "unknown flags 0x100" },
	{ "no machine", no_machine, NULL, false, "no machine section" },
	{ "RAM size not a page multiple", mem_unaligned, NULL, false, "RAM size 8388609 bytes" },
	{ "RAM size zero", mem_zero, NULL, false, "RAM size 0 bytes" },
	{ "RAM size too large", mem_huge, NULL, false, "not a page multiple from" },
	{ "no vCPUs", no_cpus, NULL, false, "0 vCPUs" },
	{ "too many vCPUs", too_many_cpus, NULL, false, "255 vCPUs" },
	{ "name not terminated", name_unterminated, NULL, false, "not NUL-terminated" },
	{ "unknown machine flag", unknown_machine_flag, NULL, false, "unknown machine flags 0x80" },
	{ "Linux without irqchip", linux_without_irqchip, NULL, false, "Linux guest without" },
	{ "vCPU 1 has no registers", missing_regs, NULL, false, "no registers section for vCPU 1" },
	{ "no local APIC", missing_lapic, NULL, false, "local APIC section for vCPU 0 missing" },
	{ "no clock", missing_clock, NULL, false, "no KVM clock section" },
	{ "no I/O APIC", missing_ioapic, NULL, false, "irqchip section 2 missing" },
	{ "irqchip without the flag", irqchip_without_flag, NULL, false,
	  "in a machine without an irqchip" },
	{ "sections of a vCPU it lacks", vcpu_beyond_machine, NULL, false,
	  "section for vCPU 1 of a machine with 1" },
	{ "registers too short", regs_short, NULL, false, "registers section 0 is 136 bytes" },
	{ "too many XCRs", too_many_xcrs, NULL, false, "17 XCRs" },
	{ "irqchip id mismatch", NULL, irqchip_id_mismatch, true,
	  "irqchip section 1 holds chip 2" },
	{ "extent past the RAM", extent_past_ram, NULL, false, "not inside the machine's 8 MiB" },
	{ "extent in the MMIO hole", extent_in_mmio_hole, NULL, false,
	  "not inside the machine's 5120 MiB" },
	{ "extent GPA wraps", NULL, extent_wraps, true, "not inside the machine's" },
	{ "extent not page-aligned", NULL, extent_unaligned, true, "is not page-aligned" },
	{ "extent offset not aligned", NULL, extent_offset_unaligned, true, "is not page-aligned" },
	{ "extents overlap", NULL, extents_overlap, true, "overlaps or precedes" },
	{ "extent outside the RAM data", NULL, extent_outside_data, true,
	  "are not inside the RAM data" },
	{ "extent flags", NULL, extent_flags, true, "RAM extent 0 has flags 0x1" },
	{ "RAM data not aligned", NULL, ram_data_unaligned, true, "RAM data at" },
	{ "extents without RAM data", NULL, extents_without_data, true, "but no RAM data section" },
	{ "unknown disk kind", unknown_disk_kind, NULL, false, "disk section 0: kind 7" },
	{ "ATA disk kind as disk 0", ata_kind_as_disk_0, NULL, false, "disk section 0: kind 2" },
	{ "virtio disk kind as disk 0", virtio_kind_as_disk_0, NULL, false,
	  "disk section 0: kind 5" },
	{ "disk path not terminated", with_disk, with_disk_unterminated, true,
	  "its path is malformed" },
};

static void test_bad_file(void **state)
{
	const struct bad_file *row = *state;
	struct input in;
	struct file f;
	struct snapshot snap;

	default_input(&in);
	if (row->input)
		row->input(&in);
	build(&in, &f);
	if (row->bytes)
		row->bytes(&f);
	if (row->reseal)
		reseal(&f);
	error_clear();
	assert_int_equal(parse_file(&f, &snap), -EINVAL);
	assert_contains(error_message(), "snapshot '" TEST_NAME "': ");
	assert_contains(error_message(), row->message);
	assert_null(strchr(error_message(), '\n'));
	/* Nothing is kept from a refused file. */
	assert_null(snap.sections);
	assert_null(snap.data);
	free(f.bytes);
}

/* A reader that fails (an I/O error) fails the parse with its errno. */
static int failing_read(void *opaque, uint64_t offset, void *buf, size_t len)
{
	(void)opaque;
	(void)offset;
	(void)buf;
	(void)len;
	return error_set(EIO, "read failed");
}

static void test_read_error(void **state)
{
	const struct snapshot_reader r = { .read = failing_read,
					   .size = 1 << 20,
					   .name = TEST_NAME };
	struct snapshot snap;

	(void)state;
	assert_int_equal(snapshot_parse(&r, &snap), -EIO);
	assert_contains(error_message(), "snapshot '" TEST_NAME "': read failed");
}

int main(void)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_virtio_disk_and_rng),
		cmocka_unit_test(test_verify_ram),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_high_ram),
		cmocka_unit_test(test_unknown_optional_section),
		cmocka_unit_test(test_builder_refuses),
		cmocka_unit_test(test_read_error),
	};
	struct CMUnitTest tests[ARRAY_SIZE(bad_files) + ARRAY_SIZE(cases)];

	UNIT_TABLE_CASES(tests, bad_files, test_bad_file);
	memcpy(tests + ARRAY_SIZE(bad_files), cases, sizeof(cases));
	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
