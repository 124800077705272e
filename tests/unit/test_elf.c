/* SPDX-License-Identifier: MIT */
/* Unit tests of the guest loaders (src/loaders): ELF32/ELF64 parsing, flat binaries, image_open/image_place. */
#include "unit.h"

#include <elf.h>
#include <errno.h>
#include <sys/stat.h>

#include "error.h"
#include "arch/x86/layout.h"
#include "loaders/image.h"

/* The name elf_parse() tests give their image, to find in messages. */
#define ELF_NAME "test.elf"

/* Guest RAM for image_place() tests: small, but past the boot page tables. */
#define PLACE_RAM  (4 * LAYOUT_MIB)
#define TEST_RAM   (128 * LAYOUT_MIB) /* what image_open() may read: the default -m */
#define RAM_POISON 0xaa

#define ELF64_LOAD 0x100000ULL
#define ELF32_PHYS 0x1000ULL

struct seg_spec {
	uint32_t type;
	uint64_t vaddr, paddr, filesz, memsz;
};

struct elf_spec {
	bool is64;
	uint16_t type, machine;
	uint64_t entry;
	unsigned int nsegs;
	struct seg_spec segs[IMAGE_MAX_SEGMENTS + 2];
};

/* Byte j of segment i's file data: distinct per segment, never zero. */
static uint8_t seg_byte(unsigned int i, uint64_t j)
{
	return (uint8_t)(0x11 * (i + 1) + j) | 1;
}

static size_t ehdr_size(bool is64)
{
	return is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static size_t phdr_size(bool is64)
{
	return is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

/* Where segment i's data starts in the file build_elf() makes. */
static size_t seg_offset(const struct elf_spec *spec, unsigned int i)
{
	size_t off = ehdr_size(spec->is64) + spec->nsegs * phdr_size(spec->is64);

	for (unsigned int k = 0; k < i; k++)
		off += spec->segs[k].filesz;
	return off;
}

/* An ELF file: header, program headers, then each segment's file bytes in order. */
static uint8_t *build_elf(const struct elf_spec *spec, size_t *size)
{
	size_t total = seg_offset(spec, spec->nsegs);
	uint8_t *buf = calloc(1, total);
	uint8_t *ph = buf + ehdr_size(spec->is64);

	assert_non_null(buf);
	if (spec->is64) {
		Elf64_Ehdr eh = { .e_type = spec->type,
				  .e_machine = spec->machine,
				  .e_version = EV_CURRENT,
				  .e_entry = spec->entry,
				  .e_phoff = sizeof(Elf64_Ehdr),
				  .e_ehsize = sizeof(Elf64_Ehdr),
				  .e_phentsize = sizeof(Elf64_Phdr),
				  .e_phnum = spec->nsegs };

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(buf, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh = { .e_type = spec->type,
				  .e_machine = spec->machine,
				  .e_version = EV_CURRENT,
				  .e_entry = (Elf32_Addr)spec->entry,
				  .e_phoff = sizeof(Elf32_Ehdr),
				  .e_ehsize = sizeof(Elf32_Ehdr),
				  .e_phentsize = sizeof(Elf32_Phdr),
				  .e_phnum = spec->nsegs };

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(buf, &eh, sizeof(eh));
	}
	for (unsigned int i = 0; i < spec->nsegs; i++) {
		const struct seg_spec *s = &spec->segs[i];
		size_t off = seg_offset(spec, i);

		if (spec->is64) {
			Elf64_Phdr h = { .p_type = s->type,
					 .p_flags = PF_R | PF_W | PF_X,
					 .p_offset = off,
					 .p_vaddr = s->vaddr,
					 .p_paddr = s->paddr,
					 .p_filesz = s->filesz,
					 .p_memsz = s->memsz,
					 .p_align = LAYOUT_PAGE_SIZE };

			memcpy(ph + i * sizeof(h), &h, sizeof(h));
		} else {
			Elf32_Phdr h = { .p_type = s->type,
					 .p_flags = PF_R | PF_W | PF_X,
					 .p_offset = off,
					 .p_vaddr = s->vaddr,
					 .p_paddr = s->paddr,
					 .p_filesz = s->filesz,
					 .p_memsz = s->memsz,
					 .p_align = LAYOUT_PAGE_SIZE };

			memcpy(ph + i * sizeof(h), &h, sizeof(h));
		}
		for (uint64_t j = 0; j < s->filesz; j++)
			buf[off + j] = seg_byte(i, j);
	}
	*size = total;
	return buf;
}

/* A valid ELF64: one PT_LOAD of 0x40 file bytes zero-filled to 4 KiB, at 1 MiB. */
static struct elf_spec elf64_spec(void)
{
	return (struct elf_spec){
		.is64 = true,
		.type = ET_EXEC,
		.machine = EM_X86_64,
		.entry = ELF64_LOAD + 0x10,
		.nsegs = 1,
		.segs = { { PT_LOAD, ELF64_LOAD, ELF64_LOAD, 0x40, 0x1000 } },
	};
}

/* A valid ELF32 at 4 KiB, identity-mapped. */
static struct elf_spec elf32_spec(void)
{
	return (struct elf_spec){
		.is64 = false,
		.type = ET_EXEC,
		.machine = EM_386,
		.entry = ELF32_PHYS,
		.nsegs = 1,
		.segs = { { PT_LOAD, ELF32_PHYS, ELF32_PHYS, 0x20, 0x100 } },
	};
}

static void poke16(uint8_t *buf, size_t off, uint16_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void poke64(uint8_t *buf, size_t off, uint64_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void init_image(struct guest_image *img)
{
	memset(img, 0, sizeof(*img));
	snprintf(img->path, sizeof(img->path), "%s", ELF_NAME);
}

/*
 * elf_parse() on an exact-size heap copy of buf[0, size), so that ASan catches
 * a read past the end; returns its result, the message in error_message().
 */
static int parse_copy(const uint8_t *buf, size_t size)
{
	struct guest_image img;
	uint8_t *copy = malloc(size ? size : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, buf, size);
	init_image(&img);
	error_clear();
	ret = elf_parse(copy, size, &img);
	free(copy);
	return ret;
}

#define assert_noexec(buf, size, cause)                                   \
	do {                                                              \
		assert_int_equal(parse_copy((buf), (size)), -ENOEXEC);    \
		assert_contains(error_message(), "ELF '" ELF_NAME "': "); \
		assert_contains(error_message(), cause);                  \
	} while (0)

/* Build spec, pass it to fix (may be NULL), expect -ENOEXEC naming cause. */
static void expect_bad(const struct elf_spec *spec, void (*fix)(uint8_t *buf), const char *cause)
{
	size_t size;
	uint8_t *buf = build_elf(spec, &size);

	if (fix)
		fix(buf);
	assert_noexec(buf, size, cause);
	free(buf);
}

static void test_elf64_valid(void **state)
{
	struct elf_spec spec = {
		.is64 = true, .type = ET_EXEC, .machine = EM_X86_64, .entry = 0x100020,
		.nsegs = 4,
		.segs = {
			{ PT_LOAD, 0x100000, 0x100000, 0x40, 0x1000 },
			{ PT_NOTE, 0, 0, 0x8, 0x8 },
			{ PT_LOAD, 0x180000, 0x180000, 0, 0 }, /* empty: skipped */
			{ PT_LOAD, 0x200000, 0x200000, 0x10, 0x10 },
		},
	};
	struct guest_image img;
	size_t size;
	uint8_t *buf = build_elf(&spec, &size);

	(void)state;
	init_image(&img);
	assert_true(elf_is_elf(buf, size));
	assert_int_equal(elf_parse(buf, size, &img), 0);
	assert_int_equal(img.format, IMAGE_ELF64);
	assert_int_equal(img.entry, 0x100020);
	assert_false(img.higher_half);
	assert_int_equal(img.nsegs, 2);
	assert_int_equal(img.segs[0].gpa, 0x100000);
	assert_int_equal(img.segs[0].filesz, 0x40);
	assert_int_equal(img.segs[0].memsz, 0x1000);
	assert_ptr_equal(img.segs[0].data, buf + seg_offset(&spec, 0));
	assert_int_equal(img.segs[0].data[0], seg_byte(0, 0));
	assert_int_equal(img.segs[1].gpa, 0x200000);
	assert_int_equal(img.segs[1].filesz, 0x10);
	assert_int_equal(img.segs[1].memsz, 0x10);
	assert_ptr_equal(img.segs[1].data, buf + seg_offset(&spec, 3));
	assert_int_equal(img.segs[1].data[0x0f], seg_byte(3, 0x0f));
	free(buf);
}

static void test_elf64_open_and_place(void **state)
{
	struct elf_spec spec = elf64_spec();
	struct image_options opts = { 0 };
	struct guest_memory mem;
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf = build_elf(&spec, &size), *ram;

	(void)state;
	unit_temp_file(buf, size, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_string_equal(img.path, path);
	assert_int_equal(img.format, IMAGE_ELF64);
	assert_int_equal(img.mode, BOOT_MODE_LONG);
	assert_int_equal(img.entry, ELF64_LOAD + 0x10);
	assert_int_equal(img.file_size, size);

	assert_int_equal(guest_memory_init(&mem, PLACE_RAM), 0);
	ram = guest_ptr(&mem, 0, PLACE_RAM);
	memset(ram, RAM_POISON, PLACE_RAM);
	assert_int_equal(image_place(&img, &mem), 0);
	/* filesz bytes from the file, zeroes up to memsz, nothing beyond. */
	for (uint64_t j = 0; j < 0x40; j++)
		assert_int_equal(ram[ELF64_LOAD + j], seg_byte(0, j));
	for (uint64_t j = 0x40; j < 0x1000; j++)
		assert_int_equal(ram[ELF64_LOAD + j], 0);
	assert_int_equal(ram[ELF64_LOAD + 0x1000], RAM_POISON);
	assert_int_equal(ram[ELF64_LOAD - 1], RAM_POISON);
	/* image_place() writes no boot structures: that is boot_setup()'s job. */
	assert_int_equal(ram[LAYOUT_GDT], RAM_POISON);

	guest_memory_destroy(&mem);
	image_free(&img);
	assert_null(img.file);
	unlink(path);
	free(buf);
}

static void test_entry_override(void **state)
{
	struct elf_spec spec = elf64_spec();
	struct image_options opts = { .has_entry = true, .entry = 0x100abc };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf = build_elf(&spec, &size);

	(void)state;
	unit_temp_file(buf, size, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.entry, 0x100abc);
	image_free(&img);
	unlink(path);
	free(buf);
}

static void test_elf32_higher_half(void **state)
{
	struct elf_spec spec = elf32_spec();
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf;

	(void)state;
	spec.segs[0].vaddr = LAYOUT_HIGHER_HALF + ELF32_PHYS;
	spec.entry = LAYOUT_HIGHER_HALF + ELF32_PHYS;
	buf = build_elf(&spec, &size);

	init_image(&img);
	assert_int_equal(elf_parse(buf, size, &img), 0);
	assert_int_equal(img.format, IMAGE_ELF32);
	assert_true(img.higher_half);
	assert_int_equal(img.segs[0].gpa, ELF32_PHYS);
	assert_int_equal(img.entry, LAYOUT_HIGHER_HALF + ELF32_PHYS);

	unit_temp_file(buf, size, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.mode, BOOT_MODE_PAGING);
	assert_int_equal(img.entry, 0x80001000);
	image_free(&img);

	/* An explicit mode wins over the image's wish. */
	opts.mode = BOOT_MODE_PROTECTED;
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.mode, BOOT_MODE_PROTECTED);
	image_free(&img);

	opts.mode = BOOT_MODE_LONG;
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -EINVAL);
	assert_contains(error_message(), path);
	assert_contains(error_message(),
			"an ELF32 image runs in protected or paging mode, not long mode");
	assert_null(img.file);

	opts.mode = BOOT_MODE_REAL;
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -EINVAL);
	assert_contains(error_message(), "not real mode");
	unlink(path);
	free(buf);
}

static void test_elf32_identity(void **state)
{
	struct elf_spec spec = elf32_spec();
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf = build_elf(&spec, &size);

	(void)state;
	unit_temp_file(buf, size, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.format, IMAGE_ELF32);
	assert_false(img.higher_half);
	assert_int_equal(img.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(img.entry, ELF32_PHYS);
	assert_int_equal(img.nsegs, 1);
	assert_int_equal(img.segs[0].filesz, 0x20);
	assert_int_equal(img.segs[0].memsz, 0x100);
	image_free(&img);
	unlink(path);
	free(buf);
}

/* Cut a two-segment image at every length short of whole: each cut names its cause. */
static void check_every_cut(struct elf_spec spec)
{
	size_t size, ehdr = ehdr_size(spec.is64);
	size_t seg1 = seg_offset(&spec, 1), data = seg_offset(&spec, 0);
	uint8_t *buf = build_elf(&spec, &size);
	char want[128];

	assert_int_equal(parse_copy(buf, size), 0);
	for (size_t cut = 0; cut < size; cut++) {
		if (cut < SELFMAG)
			snprintf(want, sizeof(want), "no ELF magic");
		else if (cut < EI_NIDENT)
			snprintf(want, sizeof(want), "truncated in e_ident (%zu bytes)", cut);
		else if (cut < ehdr)
			snprintf(want, sizeof(want),
				 "truncated: %zu bytes, the ELF header needs %zu", cut, ehdr);
		else if (cut < data)
			snprintf(want, sizeof(want), "truncated: program headers at 0x%zx", ehdr);
		else if (cut < seg1)
			snprintf(
				want, sizeof(want),
				"truncated: segment 0 needs bytes [0x%zx, 0x%zx), the file has %zu",
				data, seg1, cut);
		else
			snprintf(want, sizeof(want),
				 "truncated: segment 1 needs bytes [0x%zx, 0x%zx)", seg1, size);
		assert_noexec(buf, cut, want);
	}
	free(buf);
}

static void test_truncated_elf64(void **state)
{
	struct elf_spec spec = elf64_spec();

	(void)state;
	spec.nsegs = 2;
	spec.segs[1] = (struct seg_spec){ PT_LOAD, 0x200000, 0x200000, 0x30, 0x30 };
	check_every_cut(spec);
}

static void test_truncated_elf32(void **state)
{
	struct elf_spec spec = elf32_spec();

	(void)state;
	spec.nsegs = 2;
	spec.segs[1] = (struct seg_spec){ PT_LOAD, 0x3000, 0x3000, 0x8, 0x10 };
	check_every_cut(spec);
}

static void fix_machine_arm(uint8_t *buf)
{
	poke16(buf, offsetof(Elf64_Ehdr, e_machine), EM_ARM);
}

static void fix_machine_x86_64(uint8_t *buf)
{
	poke16(buf, offsetof(Elf32_Ehdr, e_machine), EM_X86_64);
}

static void fix_class_none(uint8_t *buf)
{
	buf[EI_CLASS] = ELFCLASSNONE;
}

static void fix_class_3(uint8_t *buf)
{
	buf[EI_CLASS] = ELFCLASSNUM;
}

static void fix_big_endian(uint8_t *buf)
{
	buf[EI_DATA] = ELFDATA2MSB;
}

static void fix_data_none(uint8_t *buf)
{
	buf[EI_DATA] = ELFDATANONE;
}

static void fix_phentsize_32(uint8_t *buf)
{
	poke16(buf, offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf32_Phdr));
}

static void fix_phentsize_56(uint8_t *buf)
{
	poke16(buf, offsetof(Elf32_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
}

static void fix_phentsize_0(uint8_t *buf)
{
	poke16(buf, offsetof(Elf64_Ehdr, e_phentsize), 0);
}

static void fix_phoff_max(uint8_t *buf)
{
	poke64(buf, offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX);
}

static void fix_phnum_max(uint8_t *buf)
{
	poke16(buf, offsetof(Elf64_Ehdr, e_phnum), UINT16_MAX);
}

static void fix_offset_max(uint8_t *buf)
{
	poke64(buf, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_offset), UINT64_MAX);
}

static void fix_filesz_max(uint8_t *buf)
{
	poke64(buf, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_filesz), UINT64_MAX);
	poke64(buf, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_memsz), UINT64_MAX);
}

/* Spec edits for the rejection table: what each row changes in a good image. */
static void edit_machine_386(struct elf_spec *spec)
{
	spec->machine = EM_386;
}

static void edit_type_dyn(struct elf_spec *spec)
{
	spec->type = ET_DYN;
}

static void edit_type_rel(struct elf_spec *spec)
{
	spec->type = ET_REL;
}

static void edit_type_core(struct elf_spec *spec)
{
	spec->type = ET_CORE;
}

static void edit_no_phdrs(struct elf_spec *spec)
{
	spec->nsegs = 0;
}

static void edit_filesz_above_memsz(struct elf_spec *spec)
{
	spec->segs[0].filesz = 0x40;
	spec->segs[0].memsz = 0x20;
}

/* p_memsz 0 does not make file bytes acceptable (gABI: p_filesz <= p_memsz). */
static void edit_filesz_memsz_zero(struct elf_spec *spec)
{
	spec->segs[0].filesz = 0x40;
	spec->segs[0].memsz = 0;
}

static void edit_second_filesz_above_memsz(struct elf_spec *spec)
{
	spec->nsegs = 2;
	spec->segs[1] = (struct seg_spec){ PT_LOAD, 0x3000, 0x3000, 0x11, 0x10 };
}

static void edit_segment_wraps(struct elf_spec *spec)
{
	spec->segs[0] = (struct seg_spec){ PT_LOAD, 0, 0xfffffffffffff000ULL, 0x10, 0x2000 };
}

static void edit_segment_ends_at_top(struct elf_spec *spec)
{
	spec->segs[0] = (struct seg_spec){ PT_LOAD, 0, UINT64_MAX, 0, 2 };
}

static void edit_only_note(struct elf_spec *spec)
{
	spec->segs[0].type = PT_NOTE;
}

static void edit_empty_load_and_stack(struct elf_spec *spec)
{
	spec->nsegs = 2;
	spec->segs[0] = (struct seg_spec){ PT_LOAD, 0x100000, 0x100000, 0, 0 };
	spec->segs[1] = (struct seg_spec){ PT_GNU_STACK, 0, 0, 0, 0 };
}

/*
 * ELF files elf_parse() refuses, one named case per row: a good ELF64 or ELF32
 * image, its spec changed by edit() and its bytes by fix() (either may be NULL),
 * and what the message says.
 */
struct bad_elf {
	const char *name;
	bool is64;
	void (*edit)(struct elf_spec *spec);
	void (*fix)(uint8_t *buf);
	const char *cause;
};

static const struct bad_elf bad_elves[] = {
	{ "ELF64 for ARM", true, NULL, fix_machine_arm, "e_machine 40 is not EM_X86_64 (62)" },
	{ "ELF32 for x86-64", false, NULL, fix_machine_x86_64, "e_machine 62 is not EM_386 (3)" },
	{ "ELF64 for i386", true, edit_machine_386, NULL, "e_machine 3 is not EM_X86_64" },
	{ "class none", true, NULL, fix_class_none, "unknown class 0 in e_ident[EI_CLASS]" },
	{ "class 3", true, NULL, fix_class_3, "unknown class 3 in e_ident[EI_CLASS]" },
	{ "ELF64 big-endian", true, NULL, fix_big_endian,
	  "not little-endian (e_ident[EI_DATA] = 2)" },
	{ "ELF32 big-endian", false, NULL, fix_big_endian, "not little-endian" },
	{ "no data encoding", true, NULL, fix_data_none,
	  "not little-endian (e_ident[EI_DATA] = 0)" },
	{ "shared object", true, edit_type_dyn, NULL,
	  "e_type 3 is not ET_EXEC (a static executable)" },
	{ "relocatable object", true, edit_type_rel, NULL, "e_type 1 is not ET_EXEC" },
	{ "ELF32 core file", false, edit_type_core, NULL, "e_type 4 is not ET_EXEC" },
	{ "ELF64 with 32-byte phdrs", true, NULL, fix_phentsize_32, "e_phentsize 32, expected 56" },
	{ "e_phentsize 0", true, NULL, fix_phentsize_0, "e_phentsize 0, expected 56" },
	{ "ELF32 with 56-byte phdrs", false, NULL, fix_phentsize_56,
	  "e_phentsize 56, expected 32" },
	{ "no program headers", true, edit_no_phdrs, NULL, "no program headers" },
	{ "p_filesz above p_memsz", true, edit_filesz_above_memsz, NULL,
	  "segment 0: p_filesz 0x40 > p_memsz 0x20" },
	{ "file bytes with p_memsz 0", true, edit_filesz_memsz_zero, NULL,
	  "segment 0: p_filesz 0x40 > p_memsz 0x0" },
	{ "ELF32 second segment overfull", false, edit_second_filesz_above_memsz, NULL,
	  "segment 1: p_filesz 0x11 > p_memsz 0x10" },
	{ "segment wraps", true, edit_segment_wraps, NULL,
	  "segment 0 wraps around the address space" },
	{ "segment ends past the top", true, edit_segment_ends_at_top, NULL,
	  "segment 0 wraps around" },
	{ "only a note", true, edit_only_note, NULL, "no PT_LOAD segment to load" },
	{ "only an empty load and a stack", true, edit_empty_load_and_stack, NULL,
	  "no PT_LOAD segment to load" },
	/* Sums that would wrap must not pass the bounds checks. */
	{ "e_phoff at the top", true, NULL, fix_phoff_max,
	  "truncated: program headers at 0xffffffffffffffff" },
	{ "e_phnum 65535", true, NULL, fix_phnum_max, "(65535 x 56 bytes) end beyond the file" },
	{ "p_offset at the top", true, NULL, fix_offset_max,
	  "truncated: segment 0 needs bytes [0xffffffffffffffff" },
	{ "p_filesz at the top", true, NULL, fix_filesz_max, "truncated: segment 0 needs bytes" },
};

static void test_bad_elf(void **state)
{
	const struct bad_elf *row = *state;
	struct elf_spec spec = row->is64 ? elf64_spec() : elf32_spec();

	if (row->edit)
		row->edit(&spec);
	expect_bad(&spec, row->fix, row->cause);
}

static void test_segment_limit(void **state)
{
	struct elf_spec spec = elf64_spec();
	struct guest_image img;
	size_t size;
	uint8_t *buf;

	(void)state;
	spec.nsegs = IMAGE_MAX_SEGMENTS;
	for (unsigned int i = 0; i < spec.nsegs; i++)
		spec.segs[i] = (struct seg_spec){ PT_LOAD, 0x100000 + i * 0x1000,
						  0x100000 + i * 0x1000, 4, 0x1000 };
	buf = build_elf(&spec, &size);
	init_image(&img);
	assert_int_equal(elf_parse(buf, size, &img), 0);
	assert_int_equal(img.nsegs, IMAGE_MAX_SEGMENTS);
	assert_int_equal(img.segs[IMAGE_MAX_SEGMENTS - 1].gpa, 0x10f000);
	free(buf);

	spec.nsegs = IMAGE_MAX_SEGMENTS + 1;
	spec.segs[IMAGE_MAX_SEGMENTS] = (struct seg_spec){ PT_LOAD, 0x200000, 0x200000, 4, 4 };
	expect_bad(&spec, NULL, "more than 16 PT_LOAD segments");
}

static void test_not_elf(void **state)
{
	static const uint8_t flat[] = { 0xea, 0x00, 0x7c, 0x00, 0x00 };
	static const uint8_t almost[] = { 0x7f, 'E', 'L', 'F' };

	(void)state;
	assert_false(elf_is_elf(flat, sizeof(flat)));
	assert_false(elf_is_elf(almost, SELFMAG - 1));
	assert_true(elf_is_elf(almost, SELFMAG));
	assert_noexec(flat, sizeof(flat), "no ELF magic");
}

static void test_open_missing_file(void **state)
{
	static const char path[] = "/nonexistent/mini-kvm-unit/guest.bin";
	struct image_options opts = { 0 };
	struct guest_image img;

	(void)state;
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -ENOENT);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "No such file or directory");
	assert_null(img.file);
}

static void test_open_unreadable_file(void **state)
{
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	if (geteuid() == 0)
		skip(); /* root reads a mode-000 file */
	unit_temp_file("x", 1, path);
	assert_int_equal(chmod(path, 0), 0);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -EACCES);
	assert_contains(error_message(), path);
	unlink(path);
}

static void test_open_empty_file(void **state)
{
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	unit_temp_file("", 0, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "empty file");
	assert_null(img.file);
	unlink(path);
}

static void test_open_directory(void **state)
{
	struct image_options opts = { 0 };
	struct guest_image img;
	char dir[UNIT_TEMP_PATH_MAX] = "/tmp/mini-kvm-unit-dir-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(image_open(dir, &opts, TEST_RAM, &img), -ENOEXEC);
	assert_contains(error_message(), dir);
	assert_contains(error_message(), "not a regular file");
	assert_null(img.file);
	rmdir(dir);
}

static void test_open_bad_elf(void **state)
{
	struct elf_spec spec = elf64_spec();
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf;

	(void)state;
	spec.machine = EM_AARCH64;
	buf = build_elf(&spec, &size);
	unit_temp_file(buf, size, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "is not EM_X86_64");
	assert_null(img.file);
	unlink(path);

	/* Four bytes of magic and nothing else: an ELF, truncated. */
	unit_temp_file(ELFMAG, SELFMAG, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -ENOEXEC);
	assert_contains(error_message(), "truncated in e_ident");
	unlink(path);
	free(buf);
}

static void test_open_elf_with_load(void **state)
{
	struct elf_spec spec = elf64_spec();
	struct image_options opts = { .has_load = true, .load = 0x2000 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf = build_elf(&spec, &size);

	(void)state;
	unit_temp_file(buf, size, path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -EINVAL);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "--load applies to flat binaries");
	assert_null(img.file);
	unlink(path);
	free(buf);
}

static void test_open_elf64_wrong_mode(void **state)
{
	static const enum boot_mode modes[] = { BOOT_MODE_REAL, BOOT_MODE_PROTECTED,
						BOOT_MODE_PAGING };
	struct elf_spec spec = elf64_spec();
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX], want[64];
	size_t size;
	uint8_t *buf = build_elf(&spec, &size);

	(void)state;
	unit_temp_file(buf, size, path);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		opts.mode = modes[i];
		assert_int_equal(image_open(path, &opts, TEST_RAM, &img), -EINVAL);
		assert_contains(error_message(), path);
		snprintf(want, sizeof(want), "an ELF64 image runs in long mode, not %s mode",
			 boot_mode_name(modes[i]));
		assert_contains(error_message(), want);
	}
	opts.mode = BOOT_MODE_LONG;
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	image_free(&img);
	unlink(path);
	free(buf);
}

static void test_open_flat(void **state)
{
	static const uint8_t code[] = { 0xb0, 0x01, 0xe6, 0x00, 0xf4 };
	struct image_options opts = { 0 };
	struct guest_image img;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	unit_temp_file(code, sizeof(code), path);
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.format, IMAGE_FLAT);
	assert_int_equal(img.mode, BOOT_MODE_REAL);
	assert_int_equal(img.entry, LAYOUT_REAL_LOAD);
	assert_int_equal(img.nsegs, 1);
	assert_int_equal(img.segs[0].gpa, LAYOUT_REAL_LOAD);
	assert_int_equal(img.segs[0].filesz, sizeof(code));
	assert_int_equal(img.segs[0].memsz, sizeof(code));
	assert_memory_equal(img.segs[0].data, code, sizeof(code));
	image_free(&img);

	opts.mode = BOOT_MODE_PROTECTED;
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(img.segs[0].gpa, LAYOUT_FLAT_LOAD);
	assert_int_equal(img.entry, LAYOUT_FLAT_LOAD);
	image_free(&img);

	opts = (struct image_options){ .has_load = true, .load = 0x7c00 };
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.mode, BOOT_MODE_REAL);
	assert_int_equal(img.segs[0].gpa, 0x7c00);
	assert_int_equal(img.entry, 0x7c00);
	image_free(&img);

	opts = (struct image_options){ .mode = BOOT_MODE_LONG,
				       .has_load = true,
				       .load = 0x200000,
				       .has_entry = true,
				       .entry = 0x200003 };
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.segs[0].gpa, 0x200000);
	assert_int_equal(img.entry, 0x200003);
	image_free(&img);
	unlink(path);

	/* Three bytes of ELF magic are not ELF magic: a flat binary. */
	unit_temp_file("\x7f"
		       "EL",
		       3, path);
	opts = (struct image_options){ 0 };
	assert_int_equal(image_open(path, &opts, TEST_RAM, &img), 0);
	assert_int_equal(img.format, IMAGE_FLAT);
	image_free(&img);
	unlink(path);
}

static void test_flat_parse(void **state)
{
	static const uint8_t byte = 0xf4;
	struct guest_image img;

	(void)state;
	init_image(&img);
	assert_int_equal(flat_parse(&byte, 1, 0x8000, &img), 0);
	assert_int_equal(img.format, IMAGE_FLAT);
	assert_int_equal(img.entry, 0x8000);
	assert_int_equal(img.nsegs, 1);
	assert_ptr_equal(img.segs[0].data, &byte);

	init_image(&img);
	assert_int_equal(flat_parse(&byte, 0, 0, &img), -ENOEXEC);
	assert_contains(error_message(), "guest '" ELF_NAME "': empty file");
}

/* A hand-made image of one segment for image_place(). */
static struct guest_image one_segment(enum boot_mode mode, gpa_t gpa, const uint8_t *data,
				      uint64_t filesz, uint64_t memsz)
{
	struct guest_image img;

	init_image(&img);
	img.mode = mode;
	img.nsegs = 1;
	img.segs[0] = (struct image_segment){ gpa, data, filesz, memsz };
	return img;
}

static void test_place_outside_ram(void **state)
{
	static const uint8_t data[16] = { 1, 2, 3 };
	struct guest_memory mem;
	struct guest_image img;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, PLACE_RAM), 0);
	img = one_segment(BOOT_MODE_LONG, PLACE_RAM, data, sizeof(data), sizeof(data));
	assert_int_equal(image_place(&img, &mem), -EFAULT);
	assert_contains(error_message(),
			"guest '" ELF_NAME
			"': 16 bytes at 0x400000 do not fit in 4096 KiB of guest RAM");

	/* Straddling the end of RAM. */
	img = one_segment(BOOT_MODE_LONG, PLACE_RAM - 8, data, sizeof(data), sizeof(data));
	assert_int_equal(image_place(&img, &mem), -EFAULT);
	assert_contains(error_message(), "do not fit");

	/* memsz beyond RAM even though filesz fits. */
	img = one_segment(BOOT_MODE_LONG, PLACE_RAM - 16, data, sizeof(data), 0x1000);
	assert_int_equal(image_place(&img, &mem), -EFAULT);

	/* An address whose end wraps. */
	img = one_segment(BOOT_MODE_REAL, UINT64_MAX - 1, data, 4, 4);
	assert_int_equal(image_place(&img, &mem), -EFAULT);
	assert_contains(error_message(), "do not fit");

	/* The last bytes of RAM are fine. */
	img = one_segment(BOOT_MODE_LONG, PLACE_RAM - 16, data, sizeof(data), sizeof(data));
	assert_int_equal(image_place(&img, &mem), 0);
	assert_memory_equal(guest_ptr(&mem, PLACE_RAM - 16, 16), data, sizeof(data));
	guest_memory_destroy(&mem);
}

static void test_place_over_boot_structures(void **state)
{
	static const uint8_t data[0x100];
	struct guest_memory mem;
	struct guest_image img;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, PLACE_RAM), 0);

	img = one_segment(BOOT_MODE_LONG, LAYOUT_PAGE_TABLES + 0x4000, data, 0x10, 0x10);
	assert_int_equal(image_place(&img, &mem), -EBUSY);
	assert_contains(
		error_message(),
		"guest '" ELF_NAME
		"': [0x94000, 0x94010) overlaps the boot page tables at [0x90000, 0x96000) in long mode");

	/* Ending exactly where the tables start: no overlap. */
	img = one_segment(BOOT_MODE_LONG, LAYOUT_PAGE_TABLES - 0x100, data, 0x100, 0x100);
	assert_int_equal(image_place(&img, &mem), 0);
	/* Zero-fill counts: memsz reaching into the tables overlaps them. */
	img = one_segment(BOOT_MODE_LONG, LAYOUT_PAGE_TABLES - 0x100, data, 0x100, 0x101);
	assert_int_equal(image_place(&img, &mem), -EBUSY);

	img = one_segment(BOOT_MODE_PROTECTED, 0, data, 0x100, 0x1000);
	assert_int_equal(image_place(&img, &mem), -EBUSY);
	assert_contains(error_message(),
			"overlaps the boot GDT at [0x500, 0x540) in protected mode");
	img = one_segment(BOOT_MODE_PROTECTED, LAYOUT_PAGE_TABLES, data, 0x100, 0x100);
	assert_int_equal(image_place(&img, &mem), 0);

	img = one_segment(BOOT_MODE_PAGING, LAYOUT_PD32 + 0xff0, data, 0x10, 0x10);
	assert_int_equal(image_place(&img, &mem), -EBUSY);
	assert_contains(error_message(),
			"overlaps the boot page directory at [0x90000, 0x91000) in paging mode");
	img = one_segment(BOOT_MODE_PAGING, LAYOUT_PD32 + LAYOUT_PAGE_SIZE, data, 0x10, 0x10);
	assert_int_equal(image_place(&img, &mem), 0);

	/* Real mode reserves nothing: a real-mode guest owns the low memory. */
	img = one_segment(BOOT_MODE_REAL, 0, data, 0x100, 0x100000);
	assert_int_equal(image_place(&img, &mem), 0);
	guest_memory_destroy(&mem);
}

int main(void)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_elf64_valid),
		cmocka_unit_test(test_elf64_open_and_place),
		cmocka_unit_test(test_entry_override),
		cmocka_unit_test(test_elf32_higher_half),
		cmocka_unit_test(test_elf32_identity),
		cmocka_unit_test(test_truncated_elf64),
		cmocka_unit_test(test_truncated_elf32),
		cmocka_unit_test(test_segment_limit),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_open_missing_file),
		cmocka_unit_test(test_open_unreadable_file),
		cmocka_unit_test(test_open_empty_file),
		cmocka_unit_test(test_open_directory),
		cmocka_unit_test(test_open_bad_elf),
		cmocka_unit_test(test_open_elf_with_load),
		cmocka_unit_test(test_open_elf64_wrong_mode),
		cmocka_unit_test(test_open_flat),
		cmocka_unit_test(test_flat_parse),
		cmocka_unit_test(test_place_outside_ram),
		cmocka_unit_test(test_place_over_boot_structures),
	};
	struct CMUnitTest tests[ARRAY_SIZE(bad_elves) + ARRAY_SIZE(cases)];

	UNIT_TABLE_CASES(tests, bad_elves, test_bad_elf);
	memcpy(tests + ARRAY_SIZE(bad_elves), cases, sizeof(cases));
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
