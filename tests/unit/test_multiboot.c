/* SPDX-License-Identifier: MIT */
/* Unit tests of the Multiboot v1 loader (src/loaders/multiboot.c): header search, a.out kludge, ELF, the info structure. */
#include "loader_test.h"

#include <errno.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "loaders/multiboot.h"

#define KERNEL_NAME "test-kernel"
#define MODULE_NAME "test-module"

/*
 * The a.out-kludge kernel: a flat file whose header (at HDR_OFF) says "load all of me
 * at 1 MiB, zero a bss after me, enter at +0x100".
 */
#define AOUT_SIZE   0x2000
#define HDR_OFF	    0x40
#define LOAD_ADDR   0x100000U
#define HEADER_ADDR (LOAD_ADDR + HDR_OFF)
#define LOAD_END    (LOAD_ADDR + AOUT_SIZE)
#define BSS_SIZE    0x1000
#define BSS_END	    (LOAD_END + BSS_SIZE)
#define AOUT_ENTRY  (LOAD_ADDR + 0x100)

/* The ELF kernel: one text PT_LOAD at 1 MiB from file offset 0x1000, the header in it. */
#define ELF_SIZE       0x3000
#define ELF_TEXT_OFF   0x1000
#define ELF_TEXT_SIZE  0x1800
#define ELF_TEXT_PADDR 0x100000U
#define ELF_BSS	       0x2000
#define ELF_ENTRY      (ELF_TEXT_PADDR + 0x80)
#define ELF_HDR_OFF    ELF_TEXT_OFF
#define HIGHER_HALF    0xc0000000U

/* Guest RAM for multiboot_place(). */
#define PLACE_RAM   (64 * LAYOUT_MIB)
#define SMALL_RAM   (2 * LAYOUT_MIB)
#define MODULE_SIZE (2 * LAYOUT_PAGE_SIZE + 77)
#define CMDLINE	    "root=/dev/ram0 quiet"
/* E820 entries below the MMIO hole: low RAM, EBDA, BIOS area, high RAM. */
#define E820_LOW_ENTRIES 4
#define MMAP_FIELDS	 4 /* size, base_addr, length, type */

/* The info flags multiboot_place() sets with a module. */
#define INFO_FLAGS                                                              \
	(MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS | \
	 MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_BOOT_LOADER_NAME)

struct fixture {
	uint8_t *buf;
	size_t size;
	size_t hdr_off; /* where the header is */
	struct multiboot_header hdr;
};

/* Write hdr at f->buf + off with its checksum; hdr_len bytes of it (12, 32 or 48). */
static void put_header(struct fixture *f, size_t off, struct multiboot_header hdr, size_t hdr_len)
{
	hdr.magic = MULTIBOOT_HEADER_MAGIC;
	hdr.checksum = -(hdr.magic + hdr.flags);
	memcpy(f->buf + off, &hdr, hdr_len);
	f->hdr_off = off;
	f->hdr = hdr;
}

static void rewrite_header(struct fixture *f)
{
	put_header(f, f->hdr_off, f->hdr, MULTIBOOT_HEADER_ADDRS);
}

static void aout_build(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->size = AOUT_SIZE;
	f->buf = malloc(AOUT_SIZE);
	assert_non_null(f->buf);
	unit_fill_pattern(f->buf, AOUT_SIZE);
	put_header(f, HDR_OFF,
		   (struct multiboot_header){ .flags = MULTIBOOT_AOUT_KLUDGE |
						       MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO,
					      .header_addr = HEADER_ADDR,
					      .load_addr = LOAD_ADDR,
					      .load_end_addr = LOAD_END,
					      .bss_end_addr = BSS_END,
					      .entry_addr = AOUT_ENTRY },
		   MULTIBOOT_HEADER_ADDRS);
}

static void elf_build(struct fixture *f, bool is64)
{
	struct unit_elf spec = {
		.is64 = is64,
		.entry = ELF_ENTRY,
		.nphdrs = 1,
		.ph = { { PT_LOAD, ELF_TEXT_OFF, ELF_TEXT_PADDR, ELF_TEXT_PADDR, ELF_TEXT_SIZE,
			  ELF_TEXT_SIZE + ELF_BSS } },
		.size = ELF_SIZE,
	};

	memset(f, 0, sizeof(*f));
	f->size = ELF_SIZE;
	f->buf = unit_elf_build(&spec);
	unit_fill_pattern(f->buf + ELF_TEXT_OFF, ELF_TEXT_SIZE);
	put_header(
		f, ELF_HDR_OFF,
		(struct multiboot_header){ .flags = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO },
		MULTIBOOT_HEADER_BASE);
}

static void fixture_free(struct fixture *f)
{
	free(f->buf);
	f->buf = NULL;
}

static void kernel_init(struct multiboot_kernel *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->img.path, sizeof(k->img.path), "%s", KERNEL_NAME);
}

/* multiboot_parse() on an exact-size heap copy (ASan sees overreads); the message in error_message(). */
static int parse_copy(const uint8_t *buf, size_t size)
{
	struct multiboot_kernel k;
	uint8_t *copy = unit_exact_copy(buf, size);
	int ret;

	kernel_init(&k);
	error_clear();
	ret = multiboot_parse(copy, size, &k);
	free(copy);
	return ret;
}

static void parse_ok(const struct fixture *f, struct multiboot_kernel *k)
{
	kernel_init(k);
	if (multiboot_parse(f->buf, f->size, k))
		fail_msg("multiboot_parse: %s", error_message());
}

/* --- the header search ----------------------------------------------------- */

/* A zeroed file of size bytes with a valid base header (no address fields) at off. */
static long find_at(size_t size, size_t off, uint32_t flags)
{
	struct fixture f = { .buf = calloc(1, size), .size = size };
	long ret;

	assert_non_null(f.buf);
	put_header(&f, off, (struct multiboot_header){ .flags = flags }, MULTIBOOT_HEADER_BASE);
	ret = multiboot_find_header(f.buf, size, KERNEL_NAME);
	fixture_free(&f);
	return ret;
}

static void test_find_offsets(void **state)
{
	(void)state;
	assert_int_equal(find_at(MULTIBOOT_SEARCH, 0, 0), 0);
	assert_int_equal(find_at(MULTIBOOT_SEARCH, 4, 0), 4);
	assert_int_equal(find_at(MULTIBOOT_SEARCH, 0x1000, 0), 0x1000);
	/* The last place a 12-byte header fits in the first 8192 bytes. */
	assert_int_equal(find_at(2 * MULTIBOOT_SEARCH, 8180, 0), 8180);
	/* The file may be shorter than 8192 bytes: a header at its very end. */
	assert_int_equal(find_at(100, 88, 0), 88);
}

static void test_find_not_found(void **state)
{
	struct fixture f = { .buf = calloc(1, 2 * MULTIBOOT_SEARCH), .size = 2 * MULTIBOOT_SEARCH };

	(void)state;
	assert_non_null(f.buf);
	/* Starting at 8184 it would end past 8192; at 8192 it is beyond; at 2 not aligned. */
	assert_int_equal(find_at(2 * MULTIBOOT_SEARCH, 8184, 0), -ENOENT);
	assert_int_equal(find_at(2 * MULTIBOOT_SEARCH, MULTIBOOT_SEARCH, 0), -ENOENT);
	assert_int_equal(find_at(MULTIBOOT_SEARCH, 2, 0), -ENOENT);
	/* Files too short for any header. */
	assert_int_equal(multiboot_find_header(f.buf, 0, KERNEL_NAME), -ENOENT);
	put_header(&f, 0, (struct multiboot_header){ 0 }, MULTIBOOT_HEADER_BASE);
	assert_int_equal(multiboot_find_header(f.buf, MULTIBOOT_HEADER_BASE - 1, KERNEL_NAME),
			 -ENOENT);
	assert_int_equal(multiboot_find_header(f.buf, MULTIBOOT_HEADER_BASE, KERNEL_NAME), 0);
	fixture_free(&f);
}

static void test_find_checksum(void **state)
{
	struct fixture f = { .buf = calloc(1, MULTIBOOT_SEARCH), .size = MULTIBOOT_SEARCH };

	(void)state;
	assert_non_null(f.buf);
	put_header(&f, 0x20, (struct multiboot_header){ .flags = 3 }, MULTIBOOT_HEADER_BASE);
	f.buf[0x20 + 8] ^= 1;
	assert_int_equal(multiboot_find_header(f.buf, f.size, KERNEL_NAME), -ENOEXEC);
	assert_contains(error_message(), "Multiboot kernel '" KERNEL_NAME
					 "': the magic 0x1badb002 at 0x20 has a bad checksum");
	assert_contains(error_message(),
			"magic + flags (0x00000003) + checksum (0xe4524ffa) = 0xffffffff, not 0");
	/* A good header after a bad one is found: the magic alone can occur by chance. */
	put_header(&f, 0x100, (struct multiboot_header){ 0 }, MULTIBOOT_HEADER_BASE);
	assert_int_equal(multiboot_find_header(f.buf, f.size, KERNEL_NAME), 0x100);
	fixture_free(&f);
}

/* A header whose own fields (address, video) pass the search area or the file. */
static void test_find_cut(void **state)
{
	(void)state;
	assert_int_equal(find_at(2 * MULTIBOOT_SEARCH, 8164, MULTIBOOT_AOUT_KLUDGE), -ENOEXEC);
	assert_contains(
		error_message(),
		"the header at 0x1fe4 (flags 0x10000) needs 32 bytes, but the first 8192 bytes ends at 0x2000");
	assert_int_equal(find_at(2 * MULTIBOOT_SEARCH, 8160, MULTIBOOT_AOUT_KLUDGE), 8160);
	assert_int_equal(find_at(100, 80, MULTIBOOT_AOUT_KLUDGE), -ENOEXEC);
	assert_contains(error_message(), "needs 32 bytes, but the file ends at 0x64");
	assert_int_equal(find_at(120, 80, MULTIBOOT_VIDEO_MODE), -ENOEXEC);
	assert_contains(error_message(), "needs 48 bytes, but the file ends at 0x78");
	assert_int_equal(find_at(128, 80, MULTIBOOT_VIDEO_MODE), 80);
}

/* --- parsing ----------------------------------------------------------------- */

static void test_parse_aout(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;

	(void)state;
	aout_build(&f);
	assert_int_equal(parse_copy(f.buf, f.size), 0);
	parse_ok(&f, &k);
	assert_int_equal(k.header_offset, HDR_OFF);
	assert_int_equal(k.hdr.flags, f.hdr.flags);
	assert_int_equal(k.hdr.header_addr, HEADER_ADDR);
	assert_int_equal(k.hdr.mode_type, 0); /* past what the flags ask for: not read */
	assert_int_equal(k.img.format, IMAGE_FLAT);
	assert_int_equal(k.img.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(k.img.entry, AOUT_ENTRY);
	assert_int_equal(k.img.nsegs, 1);
	assert_int_equal(k.img.segs[0].gpa, LOAD_ADDR);
	assert_ptr_equal(k.img.segs[0].data, f.buf);
	assert_int_equal(k.img.segs[0].filesz, AOUT_SIZE);
	assert_int_equal(k.img.segs[0].memsz, AOUT_SIZE + BSS_SIZE);
	assert_int_equal(k.kernel_end, BSS_END);
	fixture_free(&f);
}

/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. */
static void test_parse_aout_zero_ends(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;

	(void)state;
	aout_build(&f);
	f.hdr.load_end_addr = 0;
	f.hdr.bss_end_addr = 0;
	rewrite_header(&f);
	parse_ok(&f, &k);
	assert_int_equal(k.img.segs[0].filesz, AOUT_SIZE);
	assert_int_equal(k.img.segs[0].memsz, AOUT_SIZE);
	assert_int_equal(k.kernel_end, LOAD_END);
	fixture_free(&f);
}

/* The header 0x40 into the image but 0x1040 into the file: loading starts at file offset 0x1000. */
static void test_parse_aout_file_offset(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;
	struct multiboot_header hdr;

	(void)state;
	aout_build(&f);
	hdr = f.hdr;
	memset(f.buf + HDR_OFF, 0, MULTIBOOT_HEADER_ADDRS);
	hdr.load_end_addr = LOAD_ADDR + 0x800;
	hdr.bss_end_addr = 0;
	put_header(&f, 0x1000 + HDR_OFF, hdr, MULTIBOOT_HEADER_ADDRS);
	parse_ok(&f, &k);
	assert_ptr_equal(k.img.segs[0].data, f.buf + 0x1000);
	assert_int_equal(k.img.segs[0].filesz, 0x800);
	/* Unknown optional flags (16-31) are ignored. */
	f.hdr.flags |= 1U << 20;
	rewrite_header(&f);
	parse_ok(&f, &k);
	fixture_free(&f);
}

/* Flag 16 on an ELF file: the address fields win (3.1.3). */
static void test_parse_aout_over_elf(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;

	(void)state;
	elf_build(&f, false);
	put_header(&f, ELF_HDR_OFF,
		   (struct multiboot_header){ .flags = MULTIBOOT_AOUT_KLUDGE,
					      .header_addr = LOAD_ADDR + ELF_HDR_OFF,
					      .load_addr = LOAD_ADDR,
					      .entry_addr = LOAD_ADDR + ELF_HDR_OFF + 0x40 },
		   MULTIBOOT_HEADER_ADDRS);
	parse_ok(&f, &k);
	assert_int_equal(k.img.format, IMAGE_FLAT);
	assert_int_equal(k.img.entry, LOAD_ADDR + ELF_HDR_OFF + 0x40);
	assert_ptr_equal(k.img.segs[0].data, f.buf);
	fixture_free(&f);
}

static void test_parse_elf32(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;

	(void)state;
	elf_build(&f, false);
	assert_int_equal(parse_copy(f.buf, f.size), 0);
	parse_ok(&f, &k);
	assert_int_equal(k.header_offset, ELF_HDR_OFF);
	assert_int_equal(k.img.format, IMAGE_ELF32);
	assert_int_equal(k.img.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(k.img.entry, ELF_ENTRY);
	assert_int_equal(k.img.nsegs, 1);
	assert_int_equal(k.img.segs[0].gpa, ELF_TEXT_PADDR);
	assert_ptr_equal(k.img.segs[0].data, f.buf + ELF_TEXT_OFF);
	assert_int_equal(k.img.segs[0].filesz, ELF_TEXT_SIZE);
	assert_int_equal(k.kernel_end, ELF_TEXT_PADDR + ELF_TEXT_SIZE + ELF_BSS);
	fixture_free(&f);
}

/* A higher-half ELF (virtual != physical) loads by physical address; e_entry physical. */
static void test_parse_elf_higher_half(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;
	struct unit_phdr ph = { PT_LOAD,	ELF_TEXT_OFF,  HIGHER_HALF + ELF_TEXT_PADDR,
				ELF_TEXT_PADDR, ELF_TEXT_SIZE, ELF_TEXT_SIZE };

	(void)state;
	elf_build(&f, false);
	unit_elf_put_phdr(f.buf, false, 0, &ph);
	parse_ok(&f, &k);
	assert_int_equal(k.img.segs[0].gpa, ELF_TEXT_PADDR);
	assert_true(k.img.higher_half);
	fixture_free(&f);
}

/* ELF64 is accepted when everything lies below 4 GiB (it is entered in 32-bit mode). */
static void test_parse_elf64(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;

	(void)state;
	elf_build(&f, true);
	parse_ok(&f, &k);
	assert_int_equal(k.img.format, IMAGE_ELF64);
	assert_int_equal(k.img.entry, ELF_ENTRY);
	fixture_free(&f);
}

/* Every prefix of the a.out kernel shorter than its header's end is refused cleanly. */
static void test_parse_every_prefix(void **state)
{
	struct fixture f;

	(void)state;
	aout_build(&f);
	for (size_t size = 0; size < f.size; size++) {
		int ret = parse_copy(f.buf, size);

		if (ret != -ENOEXEC)
			fail_msg("prefix of %zu bytes: %d (%s)", size, ret, error_message());
	}
	fixture_free(&f);
}

/* --- rejections, one case per row ---------------------------------------------- */

struct bad_kernel {
	const char *name;
	bool elf; /* spoil the ELF kernel (else the a.out one) */
	void (*spoil)(struct fixture *f);
	const char *message;
};

static void spoil_header_below_load(struct fixture *f)
{
	f->hdr.header_addr = LOAD_ADDR - 4;
	rewrite_header(f);
}

static void spoil_load_before_file(struct fixture *f)
{
	f->hdr.load_addr = HEADER_ADDR - HDR_OFF - 4;
	rewrite_header(f);
}

static void spoil_load_end_below(struct fixture *f)
{
	f->hdr.load_end_addr = LOAD_ADDR - 1;
	rewrite_header(f);
}

static void spoil_load_end_beyond_file(struct fixture *f)
{
	f->hdr.load_end_addr = LOAD_END + 1;
	rewrite_header(f);
}

static void spoil_load_end_huge(struct fixture *f)
{
	f->hdr.load_end_addr = UINT32_MAX;
	rewrite_header(f);
}

static void spoil_passes_4g(struct fixture *f)
{
	f->hdr.load_addr = UINT32_MAX - 0xfff;
	f->hdr.header_addr = f->hdr.load_addr + HDR_OFF;
	f->hdr.load_end_addr = 0;
	f->hdr.bss_end_addr = 0;
	f->hdr.entry_addr = f->hdr.load_addr;
	rewrite_header(f);
}

static void spoil_header_not_loaded(struct fixture *f)
{
	f->hdr.load_end_addr = LOAD_ADDR + HDR_OFF + 0x10;
	f->hdr.bss_end_addr = 0;
	f->hdr.entry_addr = LOAD_ADDR;
	rewrite_header(f);
}

static void spoil_bss_below_load_end(struct fixture *f)
{
	f->hdr.bss_end_addr = LOAD_END - 1;
	rewrite_header(f);
}

static void spoil_entry_at_load_end(struct fixture *f)
{
	f->hdr.entry_addr = LOAD_END;
	rewrite_header(f);
}

static void spoil_entry_below_load(struct fixture *f)
{
	f->hdr.entry_addr = LOAD_ADDR - 1;
	rewrite_header(f);
}

static void spoil_entry_in_bss(struct fixture *f)
{
	f->hdr.entry_addr = BSS_END - 1;
	rewrite_header(f);
}

static void spoil_video(struct fixture *f)
{
	f->hdr.flags |= MULTIBOOT_VIDEO_MODE;
	put_header(f, f->hdr_off, f->hdr, MULTIBOOT_HEADER_VIDEO);
}

static void spoil_unknown_required(struct fixture *f)
{
	f->hdr.flags |= 1U << 5;
	rewrite_header(f);
}

static void spoil_no_kludge(struct fixture *f)
{
	f->hdr.flags &= ~MULTIBOOT_AOUT_KLUDGE;
	rewrite_header(f);
}

static void spoil_checksum(struct fixture *f)
{
	f->buf[f->hdr_off + offsetof(struct multiboot_header, checksum)] ^= 0x80;
}

static void spoil_no_magic(struct fixture *f)
{
	f->buf[f->hdr_off] ^= 1;
}

static void spoil_header_past_file(struct fixture *f)
{
	f->size = f->hdr_off + MULTIBOOT_HEADER_ADDRS - 1;
}

static void spoil_elf_entry_outside(struct fixture *f)
{
	uint32_t entry = ELF_TEXT_PADDR + ELF_TEXT_SIZE; /* in the bss */

	memcpy(f->buf + offsetof(Elf32_Ehdr, e_entry), &entry, sizeof(entry));
}

static void spoil_elf_virtual_entry(struct fixture *f)
{
	uint32_t entry = HIGHER_HALF + ELF_ENTRY;

	memcpy(f->buf + offsetof(Elf32_Ehdr, e_entry), &entry, sizeof(entry));
}

static void spoil_elf_no_load(struct fixture *f)
{
	struct unit_phdr null = { PT_NULL, 0, 0, 0, 0, 0 };

	unit_elf_put_phdr(f->buf, false, 0, &null);
}

static void spoil_elf_bad_machine(struct fixture *f)
{
	uint16_t machine = EM_ARM;

	memcpy(f->buf + offsetof(Elf32_Ehdr, e_machine), &machine, sizeof(machine));
}

static void spoil_elf_header_beyond_8k(struct fixture *f)
{
	struct multiboot_header hdr = f->hdr;

	memset(f->buf + f->hdr_off, 0, MULTIBOOT_HEADER_BASE);
	put_header(f, MULTIBOOT_SEARCH, hdr, MULTIBOOT_HEADER_BASE);
}

/* clang-format off */
static const struct bad_kernel bad_kernels[] = {
	{ "aout_header_addr_below_load_addr", false, spoil_header_below_load,
	  "header_addr 0xffffc is below load_addr 0x100000" },
	{ "aout_load_starts_before_file", false, spoil_load_before_file,
	  "header_addr 0x100040 - load_addr 0xffffc = 0x44, but the header is at file offset 0x40: loading would start before the file" },
	{ "aout_load_end_below_load_addr", false, spoil_load_end_below,
	  "load_end_addr 0xfffff is below load_addr 0x100000" },
	{ "aout_load_end_beyond_file", false, spoil_load_end_beyond_file,
	  "load_end_addr 0x102001 asks for 0x2001 bytes from file offset 0x0, the file has 0x2000" },
	{ "aout_load_end_huge", false, spoil_load_end_huge,
	  "load_end_addr 0xffffffff asks for 0xffefffff bytes" },
	{ "aout_passes_4g", false, spoil_passes_4g,
	  "the image loaded at 0xfffff000 passes 4 GiB" },
	{ "aout_header_not_loaded", false, spoil_header_not_loaded,
	  "header_addr 0x100040: the header is not inside the bytes loaded [0x100000, 0x100050)" },
	{ "aout_bss_end_below_load_end", false, spoil_bss_below_load_end,
	  "bss_end_addr 0x101fff is below the end of the load, 0x102000" },
	{ "aout_entry_at_load_end", false, spoil_entry_at_load_end,
	  "entry_addr 0x102000 is outside the bytes loaded [0x100000, 0x102000)" },
	{ "aout_entry_below_load", false, spoil_entry_below_load, "entry_addr 0xfffff is outside" },
	{ "aout_entry_in_bss", false, spoil_entry_in_bss, "entry_addr 0x102fff is outside" },
	{ "video_mode_required", false, spoil_video,
	  "the header asks for a video mode (flag 2): mini-kvm has no display" },
	{ "unknown_required_flag", false, spoil_unknown_required,
	  "the header requires features mini-kvm does not know (flags 0x0020)" },
	{ "flat_without_kludge", false, spoil_no_kludge,
	  "not an ELF file, and the header has no address fields (flag 16)" },
	{ "bad_checksum", false, spoil_checksum, "at 0x40 has a bad checksum" },
	{ "no_header", false, spoil_no_magic, "no Multiboot header (magic 0x1badb002) in the first 8192 bytes" },
	{ "header_past_file_end", false, spoil_header_past_file,
	  "the header at 0x40 (flags 0x10003) needs 32 bytes, but the file ends at 0x5f" },
	{ "elf_entry_outside_file_bytes", true, spoil_elf_entry_outside,
	  "e_entry 0x101800 is not in the file bytes of any PT_LOAD by physical address" },
	{ "elf_virtual_entry", true, spoil_elf_virtual_entry, "e_entry 0xc0100080 is not in the file bytes" },
	{ "elf_no_pt_load", true, spoil_elf_no_load, "no PT_LOAD segment to load" },
	{ "elf_bad_machine", true, spoil_elf_bad_machine, "e_machine 40 is not EM_386" },
	{ "elf_header_beyond_8k", true, spoil_elf_header_beyond_8k, "no Multiboot header" },
};
/* clang-format on */

static void test_bad_kernel(void **state)
{
	const struct bad_kernel *row = *state;
	struct fixture f;

	if (row->elf)
		elf_build(&f, false);
	else
		aout_build(&f);
	row->spoil(&f);
	assert_int_equal(parse_copy(f.buf, f.size), -ENOEXEC);
	assert_contains(error_message(), KERNEL_NAME);
	assert_contains(error_message(), "Multiboot kernel");
	assert_contains(error_message(), row->message);
	fixture_free(&f);
}

/* An ELF64 segment beyond 4 GiB cannot be reached in 32-bit mode. */
static void test_parse_elf64_above_4g(void **state)
{
	struct fixture f;
	struct unit_phdr ph = { PT_LOAD,    ELF_TEXT_OFF,  1ULL << 32,
				1ULL << 32, ELF_TEXT_SIZE, ELF_TEXT_SIZE };

	(void)state;
	elf_build(&f, true);
	unit_elf_put_phdr(f.buf, true, 0, &ph);
	assert_int_equal(parse_copy(f.buf, f.size), -ENOEXEC);
	assert_contains(error_message(), "ELF segment at 0x100000000 (0x1800 bytes) passes 4 GiB");
	fixture_free(&f);
}

/* --- placement ------------------------------------------------------------------ */

struct place_env {
	struct guest_memory mem;
	struct fixture f;
	struct multiboot_kernel k;
	uint8_t *module;
	struct multiboot_boot boot;
	struct loader_entry entry;
};

static void env_init(struct place_env *env, uint64_t ram, bool elf, bool poison)
{
	memset(env, 0, sizeof(*env));
	assert_int_equal(guest_memory_init(&env->mem, ram), 0);
	if (poison)
		memset(env->mem.map, UNIT_RAM_POISON, env->mem.regions[0].size);
	if (elf)
		elf_build(&env->f, false);
	else
		aout_build(&env->f);
	parse_ok(&env->f, &env->k);
	env->module = malloc(MODULE_SIZE);
	assert_non_null(env->module);
	for (size_t j = 0; j < MODULE_SIZE; j++)
		env->module[j] = (uint8_t)(j % 239 + 5);
	env->boot = (struct multiboot_boot){ .cmdline = CMDLINE,
					     .module = env->module,
					     .module_size = MODULE_SIZE,
					     .module_string = MODULE_NAME };
}

static void env_destroy(struct place_env *env)
{
	free(env->module);
	fixture_free(&env->f);
	guest_memory_destroy(&env->mem);
}

static const uint8_t *ram(const struct place_env *env, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_ptr(&env->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static const char *ram_string(const struct place_env *env, uint32_t gpa)
{
	int64_t len = guest_strnlen(&env->mem, gpa, LAYOUT_CMDLINE_MAX);

	assert_true(len >= 0);
	return (const char *)ram(env, gpa, len + 1);
}

/* The information structure at EBX, read field by field at the spec's offsets (3.3). */
static void test_place_info(void **state)
{
	struct place_env env;
	const uint8_t *info;
	uint32_t mods_addr, mmap_addr, mmap_length, mod_start;
	struct boot_e820_entry e820[BOOT_E820_MAX];
	uint64_t entry;
	int n, i;

	(void)state;
	env_init(&env, PLACE_RAM, false, true);
	assert_int_equal(multiboot_place(&env.k, &env.mem, &env.boot, &env.entry), 0);

	/* 3.2: EAX = the magic, EBX = the information structure, paging off. */
	assert_int_equal(env.entry.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(env.entry.entry, AOUT_ENTRY);
	assert_int_equal(env.entry.eax, 0x2BADB002);
	assert_int_equal(env.entry.ebx, LAYOUT_MULTIBOOT_INFO);
	assert_int_equal(env.entry.edx, 0);
	assert_int_equal(env.entry.esp, 0);
	assert_false(env.entry.tss32);

	info = ram(&env, env.entry.ebx, sizeof(struct multiboot_info));
	assert_int_equal(unit_rd32(info + 0), INFO_FLAGS);
	assert_int_equal(unit_rd32(info + 0), 0x24d);
	assert_int_equal(unit_rd32(info + 4), 639);	  /* mem_lower: KiB below the EBDA */
	assert_int_equal(unit_rd32(info + 8), 63 * 1024); /* mem_upper: 1 MiB to 64 MiB */
	assert_int_equal(unit_rd32(info + 12), 0);	  /* boot_device: absent */
	assert_string_equal(ram_string(&env, unit_rd32(info + 16)), CMDLINE);
	assert_int_equal(unit_rd32(info + 20), 1); /* mods_count */
	mods_addr = unit_rd32(info + 24);
	assert_int_equal(mods_addr, LAYOUT_MULTIBOOT_MODS);
	for (i = 28; i < 44; i += 4)
		assert_int_equal(unit_rd32(info + i), 0); /* syms */
	mmap_length = unit_rd32(info + 44);
	mmap_addr = unit_rd32(info + 48);
	for (i = 52; i < 64; i += 4)
		assert_int_equal(unit_rd32(info + i), 0); /* drives, config_table */
	assert_string_equal(ram_string(&env, unit_rd32(info + 64)), "mini-kvm");
	for (i = 68; i < (int)sizeof(struct multiboot_info); i++)
		assert_int_equal(info[i], 0); /* APM, VBE, framebuffer */

	/* The module: page aligned at the top of RAM, mod_end one past its last byte. */
	mod_start = unit_rd32(ram(&env, mods_addr, 4));
	assert_int_equal(mod_start,
			 (PLACE_RAM - MODULE_SIZE) / LAYOUT_PAGE_SIZE * LAYOUT_PAGE_SIZE);
	assert_int_equal(mod_start % LAYOUT_PAGE_SIZE, 0);
	assert_true(mod_start >= env.k.kernel_end);
	assert_int_equal(unit_rd32(ram(&env, mods_addr + 4, 4)), mod_start + MODULE_SIZE);
	assert_string_equal(ram_string(&env, unit_rd32(ram(&env, mods_addr + 8, 4))), MODULE_NAME);
	assert_int_equal(unit_rd32(ram(&env, mods_addr + 12, 4)), 0);
	assert_memory_equal(ram(&env, mod_start, MODULE_SIZE), env.module, MODULE_SIZE);

	/* The memory map, walked as 3.3 says: each entry's size field excludes itself. */
	n = e820_build(&env.mem, e820, BOOT_E820_MAX);
	assert_int_equal(n, E820_LOW_ENTRIES);
	assert_int_equal(mmap_addr, LAYOUT_MULTIBOOT_MMAP);
	assert_int_equal(mmap_length, n * 24);
	i = 0;
	for (entry = mmap_addr; entry < mmap_addr + mmap_length; i++) {
		const uint8_t *e = ram(&env, entry, 24);

		assert_true(i < n);
		assert_int_equal(unit_rd32(e), 20);
		assert_int_equal(unit_rd64(e + 4), e820[i].addr);
		assert_int_equal(unit_rd64(e + 12), e820[i].size);
		assert_int_equal(unit_rd32(e + 20), e820[i].type);
		entry += unit_rd32(e) + 4;
	}
	assert_int_equal(i, n);
	assert_int_equal(unit_rd32(ram(&env, mmap_addr + 3 * 24 + 20, 4)),
			 MULTIBOOT_MEMORY_AVAILABLE);
	assert_int_equal(unit_rd64(ram(&env, mmap_addr + 3 * 24 + 4, 8)), LAYOUT_HIGH_MEM);

	/* The kernel: the file at load_addr, the bss zeroed. */
	assert_memory_equal(ram(&env, LOAD_ADDR, AOUT_SIZE), env.f.buf, AOUT_SIZE);
	for (uint64_t j = 0; j < BSS_SIZE; j++)
		assert_int_equal(ram(&env, LOAD_END + j, 1)[0], 0);
	env_destroy(&env);
}

static void test_place_no_module(void **state)
{
	struct place_env env;
	const uint8_t *info;

	(void)state;
	env_init(&env, PLACE_RAM, true, true);
	env.boot = (struct multiboot_boot){ 0 };
	assert_int_equal(multiboot_place(&env.k, &env.mem, &env.boot, &env.entry), 0);
	assert_int_equal(env.entry.entry, ELF_ENTRY);
	info = ram(&env, LAYOUT_MULTIBOOT_INFO, sizeof(struct multiboot_info));
	assert_int_equal(unit_rd32(info), INFO_FLAGS & ~MULTIBOOT_INFO_MODS);
	assert_int_equal(unit_rd32(info + 20), 0);
	assert_int_equal(unit_rd32(info + 24), 0);
	/* A NULL command line is an empty one. */
	assert_string_equal(ram_string(&env, unit_rd32(info + 16)), "");
	/* The ELF's segment at its physical address. */
	assert_memory_equal(ram(&env, ELF_TEXT_PADDR, ELF_TEXT_SIZE), env.f.buf + ELF_TEXT_OFF,
			    ELF_TEXT_SIZE);
	env_destroy(&env);
}

/* mem_upper stops at the MMIO hole; the map has the RAM above 4 GiB. */
static void test_place_big_ram(void **state)
{
	struct guest_memory mem;
	struct fixture f;
	struct multiboot_kernel k;
	struct multiboot_boot boot = { .cmdline = CMDLINE };
	struct loader_entry entry;
	const uint8_t *info, *high;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, 5 * LAYOUT_GIB), 0);
	aout_build(&f);
	parse_ok(&f, &k);
	assert_int_equal(multiboot_place(&k, &mem, &boot, &entry), 0);
	info = guest_ptr(&mem, LAYOUT_MULTIBOOT_INFO, sizeof(struct multiboot_info));
	assert_int_equal(unit_rd32(info + 8), (LAYOUT_MMIO_HOLE - LAYOUT_MIB) / LAYOUT_KIB);
	assert_int_equal(unit_rd32(info + 44), (E820_LOW_ENTRIES + 1) * 24);
	high = guest_ptr(&mem, LAYOUT_MULTIBOOT_MMAP + E820_LOW_ENTRIES * 24, 24);
	assert_int_equal(unit_rd64(high + 4), LAYOUT_4GIB);
	assert_int_equal(unit_rd64(high + 12), 5 * LAYOUT_GIB - LAYOUT_MMIO_HOLE);
	fixture_free(&f);
	guest_memory_destroy(&mem);
}

/* The entry state the VM applies (loader_entry_setup): spec 3.2, register by register. */
static void test_entry_state(void **state)
{
	struct place_env env;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
	env_init(&env, PLACE_RAM, false, true);
	assert_int_equal(multiboot_place(&env.k, &env.mem, &env.boot, &env.entry), 0);
	unit_reset_sregs(&sregs);
	memset(&regs, UNIT_RAM_POISON, sizeof(regs));
	assert_int_equal(loader_entry_setup(&env.entry, &env.mem, &sregs, &regs), 0);
	assert_int_equal(regs.rax, MULTIBOOT_BOOTLOADER_MAGIC);
	assert_int_equal(regs.rbx, LAYOUT_MULTIBOOT_INFO);
	assert_int_equal(regs.rip, AOUT_ENTRY);
	assert_true(sregs.cr0 & X86_CR0_PE);
	assert_false(sregs.cr0 & X86_CR0_PG);
	unit_assert_flat(&sregs.cs, true);
	unit_assert_flat(&sregs.ds, false);
	unit_assert_flat(&sregs.es, false);
	unit_assert_flat(&sregs.fs, false);
	unit_assert_flat(&sregs.gs, false);
	unit_assert_flat(&sregs.ss, false);
	assert_false(regs.rflags & X86_RFLAGS_IF);
	assert_false(regs.rflags & (1ULL << 17)); /* VM */
	/* TR is the spec's "undefined": left as KVM has it. */
	assert_int_equal(sregs.tr.limit, UNIT_RESET_LIMIT);
	env_destroy(&env);
}

struct bad_place {
	const char *name;
	uint32_t load_addr; /* the a.out kernel's load_addr (0: unchanged) */
	uint64_t ram;	    /* 0: PLACE_RAM */
	size_t module_size; /* 0: MODULE_SIZE */
	size_t cmdline_len; /* 0: CMDLINE */
	int err;
	const char *message;
};

/* clang-format off */
static const struct bad_place bad_places[] = {
	{ "over_info_page", 0x5000, 0, 0, 0, -EBUSY,
	  "Multiboot kernel '" KERNEL_NAME "': segment 0: [0x5000, 0x8000) overlaps the Multiboot information page at [0x6000, 0x7000)" },
	{ "over_gdt", 0x400, 0, 0, 0, -EBUSY, "overlaps the boot GDT at [0x500, 0x540)" },
	{ "over_strings", 0x1f000, 0, 0, 0, -EBUSY,
	  "[0x1f000, 0x22000) overlaps the command line and module string at [0x20000, 0x20021)" },
	{ "in_bios_area", 0xf0000, 0, 0, 0, -EFAULT, "[0xf0000, 0xf3000) is not RAM in the E820 map" },
	{ "in_vga_hole", 0xa0000, 0, 0, 0, -EFAULT, "[0xa0000, 0xa3000) is not RAM" },
	{ "beyond_ram", PLACE_RAM - 0x1000, 0, 0, 0, -ENOMEM,
	  "-m 64 MiB is too small: the kernel's segments end at 0x4002000: give at least -m 65" },
	{ "in_mmio_hole", LAYOUT_MMIO_HOLE, 5 * LAYOUT_GIB, 0, 0, -EFAULT, "[0xc0000000, 0xc0003000) is not RAM" },
	{ "ram_too_small", 0, SMALL_RAM - LAYOUT_MIB + 0x2000, 0, 0, -ENOMEM,
	  "Multiboot kernel '" KERNEL_NAME "': -m 1 MiB is too small: the kernel's segments end at 0x103000: give at least -m 2" },
	{ "module_too_big", 0, 0, PLACE_RAM, 0, -ENOMEM,
	  "module '" MODULE_NAME "': 67108864 bytes do not fit in RAM between 0x103000 and 0x4000000" },
	{ "module_not_above_kernel", 0, SMALL_RAM, LAYOUT_MIB, 0, -ENOMEM,
	  "do not fit in RAM between 0x103000 and 0x200000: give more -m" },
	{ "strings_too_long", 0, 0, 0, LAYOUT_CMDLINE_MAX, -E2BIG,
	  "the command line (65536 bytes) and module string (11 bytes) pass the 65536 bytes mini-kvm has for them" },
};
/* clang-format on */

static void test_bad_place(void **state)
{
	const struct bad_place *row = *state;
	struct place_env env;
	uint8_t page[LAYOUT_PAGE_SIZE];
	char *line = NULL;

	env_init(&env, row->ram ? row->ram : PLACE_RAM, false, row->ram < LAYOUT_GIB);
	if (row->load_addr) {
		env.f.hdr.load_addr = row->load_addr;
		env.f.hdr.header_addr = row->load_addr + HDR_OFF;
		env.f.hdr.load_end_addr = row->load_addr + AOUT_SIZE;
		env.f.hdr.bss_end_addr = row->load_addr + AOUT_SIZE + BSS_SIZE;
		env.f.hdr.entry_addr = row->load_addr;
		rewrite_header(&env.f);
		parse_ok(&env.f, &env.k);
	}
	if (row->module_size) {
		free(env.module);
		env.module = calloc(1, row->module_size);
		env.boot.module = env.module;
		env.boot.module_size = row->module_size;
	}
	if (row->cmdline_len) {
		line = malloc(row->cmdline_len + 1);
		assert_non_null(line);
		memset(line, 'c', row->cmdline_len);
		line[row->cmdline_len] = '\0';
		env.boot.cmdline = line;
	}
	memcpy(page, ram(&env, LAYOUT_BOOT_INFO, sizeof(page)), sizeof(page));
	error_clear();
	assert_int_equal(multiboot_place(&env.k, &env.mem, &env.boot, &env.entry), row->err);
	assert_contains(error_message(), row->message);
	/* Refused before anything was written. */
	assert_memory_equal(ram(&env, LAYOUT_BOOT_INFO, sizeof(page)), page, sizeof(page));
	free(line);
	env_destroy(&env);
}

/* --- multiboot_open ----------------------------------------------------------- */

static void test_open(void **state)
{
	struct fixture f;
	struct multiboot_kernel k;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	aout_build(&f);
	unit_temp_file(f.buf, f.size, path);
	assert_int_equal(multiboot_open(path, &k), 0);
	assert_string_equal(k.img.path, path);
	assert_ptr_equal(k.img.segs[0].data, k.img.file);
	multiboot_free(&k);
	assert_null(k.img.file);
	unlink(path);
	spoil_no_magic(&f);
	unit_temp_file(f.buf, f.size, path);
	assert_int_equal(multiboot_open(path, &k), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_null(k.img.file);
	unlink(path);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_offsets),
		cmocka_unit_test(test_find_not_found),
		cmocka_unit_test(test_find_checksum),
		cmocka_unit_test(test_find_cut),
		cmocka_unit_test(test_parse_aout),
		cmocka_unit_test(test_parse_aout_zero_ends),
		cmocka_unit_test(test_parse_aout_file_offset),
		cmocka_unit_test(test_parse_aout_over_elf),
		cmocka_unit_test(test_parse_elf32),
		cmocka_unit_test(test_parse_elf_higher_half),
		cmocka_unit_test(test_parse_elf64),
		cmocka_unit_test(test_parse_elf64_above_4g),
		cmocka_unit_test(test_parse_every_prefix),
		cmocka_unit_test(test_place_info),
		cmocka_unit_test(test_place_no_module),
		cmocka_unit_test(test_place_big_ram),
		cmocka_unit_test(test_entry_state),
		cmocka_unit_test(test_open),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	failed += unit_run_table("multiboot_bad_kernels", bad_kernels, sizeof(bad_kernels[0]),
				 ARRAY_SIZE(bad_kernels), test_bad_kernel);
	failed += unit_run_table("multiboot_bad_places", bad_places, sizeof(bad_places[0]),
				 ARRAY_SIZE(bad_places), test_bad_place);
	return failed;
}
