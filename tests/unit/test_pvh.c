/* SPDX-License-Identifier: MIT */
/* Unit tests of the PVH loader (src/loaders/pvh.c): the PHYS32 entry note, hvm_start_info and its placement. */
#include "loader_test.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "loaders/pvh.h"
#include "snapshot/ram_scan.h"

#define KERNEL_NAME "test-vmlinux"
#define INITRD_NAME "test-initrd"

/*
 * The synthetic kernel: a text PT_LOAD at 16 MiB (LOAD_PHYSICAL_ADDR of a default
 * x86-64 config), a data PT_LOAD with bss right after it, and a PT_NOTE holding a GNU
 * build-id note, a "Linux" note with a 15-byte descriptor (as Debian's vmlinux has one)
 * and the Xen PHYS32 entry note.
 */
#define FILE_SIZE     0x3000
#define NOTE_OFF      0x200
#define TEXT_OFF      0x1000
#define TEXT_SIZE     0x1000
#define TEXT_PADDR    0x1000000ULL
#define TEXT_VADDR64  0xffffffff81000000ULL
#define TEXT_VADDR32  0xc1000000ULL
#define DATA_OFF      0x2000
#define DATA_FILESZ   0x800
#define DATA_MEMSZ    0x3000
#define DATA_PADDR    (TEXT_PADDR + TEXT_SIZE)
#define KERNEL_END    (DATA_PADDR + DATA_MEMSZ)
#define ENTRY	      (TEXT_PADDR + 0x40) /* pvh_start_xen */
#define ELF_ENTRY     0x1000000		  /* e_entry: startup_64, not what PVH uses */
#define PH_TEXT	      0
#define PH_DATA	      1
#define PH_NOTE	      2
#define NPHDRS	      3
#define NT_GNU_ID     3
#define GNU_ID_SIZE   20
#define NT_LINUX_ODD  0x101
#define LINUX_DESC_SZ 15 /* not a multiple of 4: the walk must pad it */
#define XEN_NAMESZ    4
#define NOTE_HDR      12

/* Guest RAM for pvh_place(). */
#define PLACE_RAM   (64 * LAYOUT_MIB)
#define SMALL_RAM   (20 * LAYOUT_MIB)
#define BIG_RAM	    (5 * LAYOUT_GIB)
#define RSDP_GPA    LAYOUT_ACPI
#define INITRD_SIZE (3 * LAYOUT_PAGE_SIZE + 100)
#define CMDLINE	    "console=ttyS0 pvh"
/* E820 entries below the MMIO hole: low RAM, EBDA, BIOS area, high RAM. */
#define E820_LOW_ENTRIES 4

/* The image and where the tests spoil it. */
struct fixture {
	uint8_t *buf;
	size_t size;
	bool is64;
	size_t xen_note; /* file offset of the Xen note's header */
	size_t note_end; /* file offset of the end of the PT_NOTE segment */
	struct unit_phdr note;
};

/* Write one note at p: header, name padded to 4, descriptor padded to 4. Returns its size. */
static size_t put_note(uint8_t *p, const char *name, uint32_t namesz, uint32_t type,
		       const void *desc, uint32_t descsz)
{
	size_t name_pad = (namesz + 3) / 4 * 4, desc_pad = (descsz + 3) / 4 * 4;

	unit_put32(p, namesz);
	unit_put32(p + 4, descsz);
	unit_put32(p + 8, type);
	memcpy(p + NOTE_HDR, name, namesz);
	memcpy(p + NOTE_HDR + name_pad, desc, descsz);
	return NOTE_HDR + name_pad + desc_pad;
}

static void fixture_note_phdr(struct fixture *f)
{
	unit_elf_put_phdr(f->buf, f->is64, PH_NOTE, &f->note);
}

/* The default kernel of class is64, the PHYS32 note's descriptor desc_size (4 or 8) bytes. */
static void fixture_build(struct fixture *f, bool is64, uint32_t desc_size)
{
	static const uint8_t build_id[GNU_ID_SIZE] = { 0x6a, 0x2b, 0x4a, 0xc7 };
	static const char linux_desc[LINUX_DESC_SZ] = "6.1.0-57-amd64";
	struct unit_elf spec = {
		.is64 = is64,
		.entry = ELF_ENTRY,
		.nphdrs = NPHDRS,
		.ph = {
			[PH_TEXT] = { PT_LOAD, TEXT_OFF, is64 ? TEXT_VADDR64 : TEXT_VADDR32,
				      TEXT_PADDR, TEXT_SIZE, TEXT_SIZE },
			[PH_DATA] = { PT_LOAD, DATA_OFF,
				      (is64 ? TEXT_VADDR64 : TEXT_VADDR32) + TEXT_SIZE, DATA_PADDR,
				      DATA_FILESZ, DATA_MEMSZ },
		},
		.size = FILE_SIZE,
	};
	uint64_t entry = ENTRY;
	size_t pos = NOTE_OFF;

	memset(f, 0, sizeof(*f));
	f->is64 = is64;
	f->size = FILE_SIZE;
	f->buf = unit_elf_build(&spec);
	unit_fill_pattern(f->buf + TEXT_OFF, TEXT_SIZE);
	unit_fill_pattern(f->buf + DATA_OFF, DATA_FILESZ);
	pos += put_note(f->buf + pos, "GNU", 4, NT_GNU_ID, build_id, GNU_ID_SIZE);
	pos += put_note(f->buf + pos, "Linux", 6, NT_LINUX_ODD, linux_desc, LINUX_DESC_SZ);
	f->xen_note = pos;
	pos += put_note(f->buf + pos, XEN_ELFNOTE_NAME, XEN_NAMESZ, XEN_ELFNOTE_PHYS32_ENTRY,
			&entry, desc_size);
	f->note_end = pos;
	f->note = (struct unit_phdr){ PT_NOTE, NOTE_OFF, 0, 0, pos - NOTE_OFF, pos - NOTE_OFF };
	fixture_note_phdr(f);
}

static void fixture_free(struct fixture *f)
{
	free(f->buf);
	f->buf = NULL;
}

static void kernel_init(struct pvh_kernel *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->img.path, sizeof(k->img.path), "%s", KERNEL_NAME);
}

/* pvh_parse() on an exact-size heap copy; the kernel's segments point into it, so it is freed. */
static int parse_copy(const uint8_t *buf, size_t size)
{
	struct pvh_kernel k;
	uint8_t *copy = unit_exact_copy(buf, size);
	int ret;

	kernel_init(&k);
	error_clear();
	ret = pvh_parse(copy, size, &k);
	free(copy);
	return ret;
}

static void parse_ok(const struct fixture *f, struct pvh_kernel *k)
{
	kernel_init(k);
	assert_int_equal(pvh_parse(f->buf, f->size, k), 0);
}

/* --- parsing ------------------------------------------------------------- */

static void assert_parsed(const struct fixture *f, const struct pvh_kernel *k)
{
	assert_int_equal(k->phys32_entry, ENTRY);
	assert_int_equal(k->img.entry, ENTRY);
	assert_int_equal(k->img.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(k->img.format, f->is64 ? IMAGE_ELF64 : IMAGE_ELF32);
	assert_int_equal(k->img.nsegs, 2);
	assert_int_equal(k->img.segs[0].gpa, TEXT_PADDR);
	assert_ptr_equal(k->img.segs[0].data, f->buf + TEXT_OFF);
	assert_int_equal(k->img.segs[0].filesz, TEXT_SIZE);
	assert_int_equal(k->img.segs[1].gpa, DATA_PADDR);
	assert_int_equal(k->img.segs[1].filesz, DATA_FILESZ);
	assert_int_equal(k->img.segs[1].memsz, DATA_MEMSZ);
	assert_int_equal(k->kernel_end, KERNEL_END);
}

static void test_parse_elf64(void **state)
{
	struct fixture f;
	struct pvh_kernel k;

	(void)state;
	fixture_build(&f, true, sizeof(uint64_t));
	assert_int_equal(parse_copy(f.buf, f.size), 0);
	parse_ok(&f, &k);
	assert_parsed(&f, &k);
	/* The entry is the note's, not e_entry. */
	assert_int_not_equal(k.img.entry, ELF_ENTRY);
	fixture_free(&f);
}

static void test_parse_elf32(void **state)
{
	struct fixture f;
	struct pvh_kernel k;

	(void)state;
	fixture_build(&f, false, sizeof(uint32_t));
	assert_int_equal(parse_copy(f.buf, f.size), 0);
	parse_ok(&f, &k);
	assert_parsed(&f, &k);
	fixture_free(&f);
}

/* The descriptor's width follows descsz, not the ELF class. */
static void test_parse_desc_width(void **state)
{
	struct fixture f;
	struct pvh_kernel k;

	(void)state;
	fixture_build(&f, true, sizeof(uint32_t));
	parse_ok(&f, &k);
	assert_parsed(&f, &k);
	fixture_free(&f);
	fixture_build(&f, false, sizeof(uint64_t));
	parse_ok(&f, &k);
	assert_parsed(&f, &k);
	fixture_free(&f);
}

/* A 5-byte name and a 15-byte descriptor before the Xen note: both padded to 4. */
static void test_parse_note_padding(void **state)
{
	static const char odd_desc[7] = "abcdef";
	struct fixture f;
	struct pvh_kernel k;
	uint64_t entry = ENTRY;
	size_t pos = NOTE_OFF;

	(void)state;
	fixture_build(&f, true, sizeof(uint64_t));
	memset(f.buf + NOTE_OFF, 0, f.note_end - NOTE_OFF);
	pos += put_note(f.buf + pos, "ABCD", 5, XEN_ELFNOTE_PHYS32_ENTRY, odd_desc, 7);
	pos += put_note(f.buf + pos, "Linux", 6, NT_LINUX_ODD, odd_desc, 1);
	pos += put_note(f.buf + pos, XEN_ELFNOTE_NAME, XEN_NAMESZ, XEN_ELFNOTE_PHYS32_ENTRY, &entry,
			sizeof(entry));
	f.note.filesz = pos - NOTE_OFF;
	fixture_note_phdr(&f);
	parse_ok(&f, &k);
	assert_int_equal(k.phys32_entry, ENTRY);
	fixture_free(&f);
}

/*
 * The note may be in a later PT_NOTE segment. The first one here ends inside the
 * padding of its last descriptor (the "Linux" note's 15 bytes): that is no error.
 */
static void test_parse_second_note_segment(void **state)
{
	struct fixture f;
	struct pvh_kernel k;
	struct unit_phdr first = { PT_NOTE, NOTE_OFF, 0, 0, 0, 0 };
	uint16_t phnum = NPHDRS + 1;

	(void)state;
	fixture_build(&f, true, sizeof(uint64_t));
	first.filesz = f.xen_note - NOTE_OFF - 1;
	unit_elf_put_phdr(f.buf, true, PH_NOTE, &first);
	f.note.offset = f.xen_note;
	f.note.filesz = f.note_end - f.xen_note;
	unit_elf_put_phdr(f.buf, true, NPHDRS, &f.note);
	memcpy(f.buf + offsetof(Elf64_Ehdr, e_phnum), &phnum, sizeof(phnum));
	parse_ok(&f, &k);
	assert_int_equal(k.phys32_entry, ENTRY);
	/* Cut into the descriptor itself, not only its padding: refused. */
	first.filesz -= 1;
	unit_elf_put_phdr(f.buf, true, PH_NOTE, &first);
	assert_int_equal(parse_copy(f.buf, f.size), -ENOEXEC);
	assert_contains(error_message(), "its descriptor (descsz 15) passes the end");
	fixture_free(&f);
}

/*
 * Every prefix of a valid kernel that cuts a byte it needs (the last is the data
 * segment's) is refused cleanly; ASan watches the reads.
 */
static void test_parse_every_prefix(void **state)
{
	struct fixture f;

	(void)state;
	fixture_build(&f, true, sizeof(uint64_t));
	assert_int_equal(parse_copy(f.buf, DATA_OFF + DATA_FILESZ), 0);
	for (size_t size = 0; size < DATA_OFF + DATA_FILESZ; size++) {
		int ret = parse_copy(f.buf, size);

		if (ret != -ENOEXEC)
			fail_msg("prefix of %zu bytes: %d (%s)", size, ret, error_message());
	}
	fixture_free(&f);
}

static void test_find_entry_note(void **state)
{
	struct fixture f;
	uint64_t entry = 0;

	(void)state;
	fixture_build(&f, true, sizeof(uint64_t));
	assert_int_equal(pvh_find_entry_note(f.buf, f.size, KERNEL_NAME, &entry), 0);
	assert_int_equal(entry, ENTRY);
	/* No note: -ENOENT, the caller decides what that means. */
	unit_put32(f.buf + f.xen_note + 8, XEN_ELFNOTE_PHYS32_ENTRY - 1);
	assert_int_equal(pvh_find_entry_note(f.buf, f.size, KERNEL_NAME, &entry), -ENOENT);
	assert_int_equal(pvh_find_entry_note(f.buf, 3, KERNEL_NAME, &entry), -ENOEXEC);
	fixture_free(&f);
}

/* --- rejections, one case per row ------------------------------------------ */

struct bad_kernel {
	const char *name;
	void (*spoil)(struct fixture *f);
	const char *message;
};

static void set_note_type(struct fixture *f, uint32_t type)
{
	unit_put32(f->buf + f->xen_note + 8, type);
}

static void spoil_no_note(struct fixture *f)
{
	set_note_type(f, XEN_ELFNOTE_PHYS32_ENTRY - 1);
}

static void spoil_no_pt_note(struct fixture *f)
{
	f->note.type = PT_NULL;
	fixture_note_phdr(f);
}

static void spoil_wrong_name(struct fixture *f)
{
	memcpy(f->buf + f->xen_note + NOTE_HDR, "Xem", 4);
}

static void spoil_name_without_nul(struct fixture *f)
{
	unit_put32(f->buf + f->xen_note, XEN_NAMESZ - 1);
}

static void spoil_descsz_6(struct fixture *f)
{
	unit_put32(f->buf + f->xen_note + 4, 6);
}

static void spoil_descsz_0(struct fixture *f)
{
	unit_put32(f->buf + f->xen_note + 4, 0);
}

static void spoil_entry_above_4g(struct fixture *f)
{
	unit_put64(f->buf + f->xen_note + NOTE_HDR + XEN_NAMESZ, (1ULL << 32) + ENTRY);
}

static void spoil_entry_outside(struct fixture *f)
{
	unit_put64(f->buf + f->xen_note + NOTE_HDR + XEN_NAMESZ, KERNEL_END + LAYOUT_MIB);
}

static void spoil_entry_in_bss(struct fixture *f)
{
	unit_put64(f->buf + f->xen_note + NOTE_HDR + XEN_NAMESZ, DATA_PADDR + DATA_FILESZ);
}

static void spoil_entry_below(struct fixture *f)
{
	unit_put64(f->buf + f->xen_note + NOTE_HDR + XEN_NAMESZ, TEXT_PADDR - 1);
}

static void spoil_truncated_header(struct fixture *f)
{
	f->note.filesz = f->xen_note + NOTE_HDR - 4 - NOTE_OFF;
	fixture_note_phdr(f);
}

static void spoil_stray_tail(struct fixture *f)
{
	/* No Xen note, and 3 stray bytes after the last note. */
	spoil_no_note(f);
	f->note.filesz += 3;
	fixture_note_phdr(f);
}

static void spoil_name_past_end(struct fixture *f)
{
	unit_put32(f->buf + f->xen_note, 0xfffffff0);
}

static void spoil_desc_past_end(struct fixture *f)
{
	unit_put32(f->buf + f->xen_note + 4, UINT32_MAX);
}

static void spoil_desc_cut(struct fixture *f)
{
	f->note.filesz -= 1;
	fixture_note_phdr(f);
}

static void spoil_note_beyond_file(struct fixture *f)
{
	f->note.filesz = f->size;
	fixture_note_phdr(f);
}

static void spoil_note_offset_wraps(struct fixture *f)
{
	f->note.offset = UINT64_MAX - 2;
	fixture_note_phdr(f);
}

static void spoil_not_elf(struct fixture *f)
{
	f->buf[1] = 'X';
}

static void spoil_no_pt_load(struct fixture *f)
{
	struct unit_phdr null = { PT_NULL, 0, 0, 0, 0, 0 };

	unit_elf_put_phdr(f->buf, f->is64, PH_TEXT, &null);
	unit_elf_put_phdr(f->buf, f->is64, PH_DATA, &null);
}

static void spoil_segment_beyond_file(struct fixture *f)
{
	struct unit_phdr data = { PT_LOAD, DATA_OFF, 0, DATA_PADDR, f->size, DATA_MEMSZ + f->size };

	unit_elf_put_phdr(f->buf, f->is64, PH_DATA, &data);
}

/* clang-format off */
static const struct bad_kernel bad_kernels[] = {
	{ "no_note", spoil_no_note, "no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel" },
	{ "no_pt_note", spoil_no_pt_note, "no XEN_ELFNOTE_PHYS32_ENTRY note" },
	{ "wrong_name", spoil_wrong_name, "no XEN_ELFNOTE_PHYS32_ENTRY note" },
	{ "name_without_nul", spoil_name_without_nul, "no XEN_ELFNOTE_PHYS32_ENTRY note" },
	{ "descsz_6", spoil_descsz_6, "XEN_ELFNOTE_PHYS32_ENTRY at file offset 0x248: descsz 6, expected 4 or 8" },
	{ "descsz_0", spoil_descsz_0, "descsz 0, expected 4 or 8" },
	{ "entry_above_4g", spoil_entry_above_4g, "PHYS32 entry 0x101000040 is beyond 4 GiB" },
	{ "entry_outside_segments", spoil_entry_outside, "PHYS32 entry 0x1104000 is not in the file bytes of any PT_LOAD" },
	{ "entry_in_bss", spoil_entry_in_bss, "PHYS32 entry 0x1001800 is not in the file bytes" },
	{ "entry_below_segments", spoil_entry_below, "PHYS32 entry 0xffffff is not in" },
	{ "truncated_note_header", spoil_truncated_header, "truncated note at file offset 0x248: 8 bytes left of the PT_NOTE segment" },
	{ "stray_tail", spoil_stray_tail, "truncated note at file offset 0x260: 3 bytes left" },
	{ "name_past_segment", spoil_name_past_end, "note at file offset 0x248: its name (namesz 4294967280, padded to 4) passes the end" },
	{ "desc_past_segment", spoil_desc_past_end, "note at file offset 0x248: its descriptor (descsz 4294967295) passes the end" },
	{ "desc_cut_by_segment", spoil_desc_cut, "its descriptor (descsz 8) passes the end of the PT_NOTE segment" },
	{ "note_beyond_file", spoil_note_beyond_file, "truncated: PT_NOTE segment 2 needs bytes [0x200, 0x3200), the file has 12288" },
	{ "note_offset_wraps", spoil_note_offset_wraps, "truncated: PT_NOTE segment 2" },
	{ "not_elf", spoil_not_elf, "no ELF magic" },
	{ "no_pt_load", spoil_no_pt_load, "no PT_LOAD segment to load" },
	{ "segment_beyond_file", spoil_segment_beyond_file, "truncated: segment 1 needs bytes" },
};
/* clang-format on */

static void test_bad_kernel(void **state)
{
	const struct bad_kernel *row = *state;
	struct fixture f;

	fixture_build(&f, true, sizeof(uint64_t));
	row->spoil(&f);
	assert_int_equal(parse_copy(f.buf, f.size), -ENOEXEC);
	assert_contains(error_message(), KERNEL_NAME);
	assert_contains(error_message(), "PVH kernel");
	assert_contains(error_message(), row->message);
	fixture_free(&f);
}

/* --- placement ------------------------------------------------------------- */

struct place_env {
	struct guest_memory mem;
	struct fixture f;
	struct pvh_kernel k;
	uint8_t *initrd;
	struct linux_boot boot;
	struct loader_entry entry;
};

static void env_init(struct place_env *env, uint64_t ram, bool poison)
{
	memset(env, 0, sizeof(*env));
	assert_int_equal(guest_memory_init(&env->mem, ram), 0);
	if (poison)
		memset(env->mem.map, UNIT_RAM_POISON, env->mem.regions[0].size);
	fixture_build(&env->f, true, sizeof(uint64_t));
	parse_ok(&env->f, &env->k);
	env->initrd = malloc(INITRD_SIZE);
	assert_non_null(env->initrd);
	for (size_t j = 0; j < INITRD_SIZE; j++)
		env->initrd[j] = (uint8_t)(j % 241 + 3);
	env->boot = (struct linux_boot){ .cmdline = CMDLINE,
					 .initrd = env->initrd,
					 .initrd_size = INITRD_SIZE,
					 .initrd_path = INITRD_NAME,
					 .acpi_rsdp = RSDP_GPA };
}

static void env_destroy(struct place_env *env)
{
	free(env->initrd);
	fixture_free(&env->f);
	guest_memory_destroy(&env->mem);
}

static const uint8_t *ram(const struct place_env *env, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_ptr(&env->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static struct hvm_start_info start_info(const struct place_env *env)
{
	struct hvm_start_info info;

	memcpy(&info, ram(env, LAYOUT_PVH_START_INFO, sizeof(info)), sizeof(info));
	return info;
}

static uint64_t initrd_gpa(uint64_t low_end)
{
	return (low_end - INITRD_SIZE) / LAYOUT_PAGE_SIZE * LAYOUT_PAGE_SIZE;
}

static void test_place_fields(void **state)
{
	struct place_env env;
	struct hvm_start_info info;
	struct hvm_modlist_entry mod;
	struct boot_e820_entry e820[BOOT_E820_MAX];
	int n;

	(void)state;
	env_init(&env, PLACE_RAM, true);
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), 0);

	/* The entry: 32-bit protected mode at the note's entry, EBX = the start info. */
	assert_int_equal(env.entry.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(env.entry.entry, ENTRY);
	assert_int_equal(env.entry.ebx, LAYOUT_PVH_START_INFO);
	assert_int_equal(env.entry.eax, 0);
	assert_int_equal(env.entry.edx, 0);
	assert_int_equal(env.entry.esp, 0);
	assert_true(env.entry.tss32);

	/* Every field of hvm_start_info. */
	info = start_info(&env);
	assert_int_equal(info.magic, HVM_START_MAGIC_VALUE);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.nr_modules, 1);
	assert_int_equal(info.modlist_paddr, LAYOUT_PVH_MODLIST);
	assert_int_equal(info.cmdline_paddr, LAYOUT_PVH_CMDLINE);
	assert_int_equal(info.rsdp_paddr, RSDP_GPA);
	assert_int_equal(info.memmap_paddr, LAYOUT_PVH_MEMMAP);
	assert_int_equal(info.memmap_entries, E820_LOW_ENTRIES);
	assert_int_equal(info.reserved, 0);
	/* The raw bytes at the documented offsets, as a kernel reads them. */
	assert_int_equal(unit_rd32(ram(&env, LAYOUT_PVH_START_INFO, 4)), 0x336ec578);
	assert_int_equal(unit_rd64(ram(&env, LAYOUT_PVH_START_INFO + 40, 8)), LAYOUT_PVH_MEMMAP);
	assert_int_equal(unit_rd32(ram(&env, LAYOUT_PVH_START_INFO + 48, 4)), E820_LOW_ENTRIES);

	/* The module: the initrd, page aligned at the top of RAM, no command line. */
	memcpy(&mod, ram(&env, LAYOUT_PVH_MODLIST, sizeof(mod)), sizeof(mod));
	assert_int_equal(mod.paddr, initrd_gpa(PLACE_RAM));
	assert_int_equal(mod.paddr % LAYOUT_PAGE_SIZE, 0);
	assert_true(mod.paddr >= KERNEL_END);
	assert_int_equal(mod.size, INITRD_SIZE);
	assert_int_equal(mod.cmdline_paddr, 0);
	assert_int_equal(mod.reserved, 0);
	assert_memory_equal(ram(&env, mod.paddr, INITRD_SIZE), env.initrd, INITRD_SIZE);

	/* The memory map: e820_build()'s entries, Xen's types, reserved 0. */
	n = e820_build(&env.mem, e820, BOOT_E820_MAX);
	assert_int_equal(n, E820_LOW_ENTRIES);
	for (int i = 0; i < n; i++) {
		struct hvm_memmap_table_entry m;

		memcpy(&m, ram(&env, LAYOUT_PVH_MEMMAP + i * sizeof(m), sizeof(m)), sizeof(m));
		assert_int_equal(m.addr, e820[i].addr);
		assert_int_equal(m.size, e820[i].size);
		assert_int_equal(m.type, e820[i].type == E820_TYPE_RAM
						 ? XEN_HVM_MEMMAP_TYPE_RAM
						 : XEN_HVM_MEMMAP_TYPE_RESERVED);
		assert_int_equal(m.reserved, 0);
	}
	{
		struct hvm_memmap_table_entry high;

		memcpy(&high, ram(&env, LAYOUT_PVH_MEMMAP + 3 * sizeof(high), sizeof(high)),
		       sizeof(high));
		assert_int_equal(high.addr, LAYOUT_HIGH_MEM);
		assert_int_equal(high.size, PLACE_RAM - LAYOUT_HIGH_MEM);
		assert_int_equal(high.type, XEN_HVM_MEMMAP_TYPE_RAM);
	}

	/* The command line, NUL-terminated. */
	assert_string_equal((const char *)ram(&env, LAYOUT_PVH_CMDLINE, sizeof(CMDLINE)), CMDLINE);

	/* The kernel at its physical addresses, bss zeroed. */
	assert_memory_equal(ram(&env, TEXT_PADDR, TEXT_SIZE), env.f.buf + TEXT_OFF, TEXT_SIZE);
	assert_memory_equal(ram(&env, DATA_PADDR, DATA_FILESZ), env.f.buf + DATA_OFF, DATA_FILESZ);
	for (uint64_t j = DATA_FILESZ; j < DATA_MEMSZ; j++)
		assert_int_equal(ram(&env, DATA_PADDR + j, 1)[0], 0);
	env_destroy(&env);
}

static void test_place_no_initrd(void **state)
{
	struct place_env env;
	struct hvm_start_info info;

	(void)state;
	env_init(&env, PLACE_RAM, true);
	env.boot.initrd = NULL;
	env.boot.initrd_size = 0;
	env.boot.cmdline = NULL;
	env.boot.acpi_rsdp = 0;
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), 0);
	info = start_info(&env);
	assert_int_equal(info.nr_modules, 0);
	assert_int_equal(info.modlist_paddr, 0); /* 0: not present */
	assert_int_equal(info.rsdp_paddr, 0);
	/* A NULL command line is an empty one, still present. */
	assert_int_equal(info.cmdline_paddr, LAYOUT_PVH_CMDLINE);
	assert_int_equal(ram(&env, LAYOUT_PVH_CMDLINE, 1)[0], '\0');
	/* The rest of the page is cleared, not left as it was. */
	assert_int_equal(ram(&env, LAYOUT_PVH_MODLIST, 1)[0], 0);
	env_destroy(&env);
}

/* RAM above the MMIO hole: a fifth map entry; the initrd still below the hole. */
static void test_place_big_ram(void **state)
{
	struct place_env env;
	struct hvm_start_info info;
	struct hvm_memmap_table_entry high;
	struct hvm_modlist_entry mod;

	(void)state;
	env_init(&env, BIG_RAM, false);
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), 0);
	info = start_info(&env);
	assert_int_equal(info.memmap_entries, E820_LOW_ENTRIES + 1);
	memcpy(&high, ram(&env, LAYOUT_PVH_MEMMAP + E820_LOW_ENTRIES * sizeof(high), sizeof(high)),
	       sizeof(high));
	assert_int_equal(high.addr, LAYOUT_4GIB);
	assert_int_equal(high.size, BIG_RAM - LAYOUT_MMIO_HOLE);
	assert_int_equal(high.type, XEN_HVM_MEMMAP_TYPE_RAM);
	memcpy(&mod, ram(&env, LAYOUT_PVH_MODLIST, sizeof(mod)), sizeof(mod));
	assert_int_equal(mod.paddr, initrd_gpa(LAYOUT_MMIO_HOLE));
	env_destroy(&env);
}

/* The longest command line fits; one byte more is refused. */
static void test_place_cmdline_limit(void **state)
{
	struct place_env env;
	char *line = malloc(PVH_CMDLINE_MAX + 1);

	(void)state;
	assert_non_null(line);
	memset(line, 'x', PVH_CMDLINE_MAX);
	line[PVH_CMDLINE_MAX - 1] = '\0';
	env_init(&env, PLACE_RAM, true);
	env.boot.cmdline = line;
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), 0);
	assert_int_equal(ram(&env, LAYOUT_PVH_CMDLINE + PVH_CMDLINE_MAX - 1, 1)[0], '\0');
	env_destroy(&env);
	line[PVH_CMDLINE_MAX - 1] = 'x';
	line[PVH_CMDLINE_MAX] = '\0';
	env_init(&env, PLACE_RAM, true);
	env.boot.cmdline = line;
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), -E2BIG);
	assert_contains(error_message(),
			"PVH kernel '" KERNEL_NAME "': the command line is 65536 bytes");
	env_destroy(&env);
	free(line);
}

/* A placement that must be refused, and why; nothing is written then. */
struct bad_place {
	const char *name;
	uint64_t text_gpa;  /* where the text segment goes (0: unchanged) */
	uint64_t ram;	    /* 0: PLACE_RAM */
	size_t initrd_size; /* 0: INITRD_SIZE */
	int err;
	const char *message;
};

/* clang-format off */
static const struct bad_place bad_places[] = {
	{ "over_start_info", LAYOUT_PVH_START_INFO - 0x800, 0, 0, -EBUSY,
	  "PVH kernel '" KERNEL_NAME "': segment 0: [0x5800, 0x6800) overlaps the PVH start info page at [0x6000, 0x7000)" },
	{ "over_gdt", LAYOUT_GDT - 0x400, 0, 0, -EBUSY, "overlaps the boot GDT at [0x500, 0x540)" },
	{ "over_cmdline", LAYOUT_PVH_CMDLINE + 0x10, 0, 0, -EBUSY,
	  "[0x20010, 0x21010) overlaps the command line at [0x20000, 0x20012)" },
	{ "in_ebda", LAYOUT_EBDA - 0x400, 0, 0, -EFAULT, "[0x9f800, 0xa0800) is not RAM in the E820 map" },
	{ "in_bios_area", LAYOUT_BIOS_AREA, 0, 0, -EFAULT, "[0xe0000, 0xe1000) is not RAM in the E820 map" },
	{ "beyond_ram", PLACE_RAM - 0x800, 0, 0, -EFAULT, "segment 0: [0x3fff800, 0x4000800) is not RAM" },
	{ "in_mmio_hole", LAYOUT_MMIO_HOLE, BIG_RAM, 0, -EFAULT, "[0xc0000000, 0xc0001000) is not RAM" },
	{ "initrd_too_big", 0, 0, 64 * LAYOUT_MIB, -ENOMEM, "initrd '" INITRD_NAME "': 67108864 bytes do not fit in RAM between 0x1004000 and 0x4000000" },
	{ "initrd_not_above_kernel", 0, SMALL_RAM, 4 * LAYOUT_MIB, -ENOMEM, "do not fit in RAM between 0x1004000 and 0x1400000: give more -m" },
	{ "kernel_beyond_small_ram", 0, 16 * LAYOUT_MIB, 0, -ENOMEM,
	  "PVH kernel '" KERNEL_NAME "': -m 16 MiB is too small: the kernel's segments end at 0x1004000: give at least -m 17" },
	{ "kernel_end_at_ram_end", 0, KERNEL_END, 0, -ENOMEM, "do not fit in RAM between 0x1004000 and 0x1004000" },
};
/* clang-format on */

static void test_bad_place(void **state)
{
	const struct bad_place *row = *state;
	struct place_env env;
	struct image_segment *text;
	uint8_t page[LAYOUT_PAGE_SIZE];

	env_init(&env, row->ram ? row->ram : PLACE_RAM, row->ram < LAYOUT_GIB);
	text = &env.k.img.segs[0];
	if (row->text_gpa) {
		/* Keep the entry inside the moved text, as a real image would have it. */
		text->gpa = row->text_gpa;
		env.k.phys32_entry = row->text_gpa;
	}
	if (row->initrd_size) {
		free(env.initrd);
		env.initrd = calloc(1, row->initrd_size);
		env.boot.initrd = env.initrd;
		env.boot.initrd_size = row->initrd_size;
	}
	memcpy(page, ram(&env, LAYOUT_BOOT_INFO, sizeof(page)), sizeof(page));
	error_clear();
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), row->err);
	assert_contains(error_message(), row->message);
	/* Refused before anything was written. */
	assert_memory_equal(ram(&env, LAYOUT_BOOT_INFO, sizeof(page)), page, sizeof(page));
	env_destroy(&env);
}

/* The entry state the VM applies (loader_entry_setup): the PVH ABI, field by field. */
static void test_entry_state(void **state)
{
	struct place_env env;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
	env_init(&env, PLACE_RAM, true);
	assert_int_equal(pvh_place(&env.k, &env.mem, &env.boot, &env.entry), 0);
	unit_reset_sregs(&sregs);
	memset(&regs, UNIT_RAM_POISON, sizeof(regs));
	assert_int_equal(loader_entry_setup(&env.entry, &env.mem, &sregs, &regs), 0);
	assert_int_equal(regs.rip, ENTRY);
	assert_int_equal(regs.rbx, LAYOUT_PVH_START_INFO);
	/* cr0: PE set, all other writable bits clear (ET is fixed at 1); cr4: all clear. */
	assert_int_equal(sregs.cr0, X86_CR0_PE | X86_CR0_ET);
	assert_int_equal(sregs.cr4, 0);
	assert_int_equal(sregs.efer, 0);
	unit_assert_flat(&sregs.cs, true);
	unit_assert_flat(&sregs.ds, false);
	unit_assert_flat(&sregs.es, false);
	unit_assert_flat(&sregs.ss, false);
	/* tr: an active 32-bit TSS, base 0, limit 0x67 (KVM's reset TR is not). */
	assert_int_equal(sregs.tr.base, 0);
	assert_int_equal(sregs.tr.limit, 0x67);
	assert_int_equal(sregs.tr.type, X86_SEG_TYPE_TSS_BUSY);
	assert_int_equal(sregs.tr.present, 1);
	assert_int_equal(sregs.tr.s, 0);
	/* eflags: IF, TF and VM clear. */
	assert_int_equal(regs.rflags, X86_RFLAGS_FIXED);
	env_destroy(&env);
}

/* --- pvh_open -------------------------------------------------------------- */

static void test_open(void **state)
{
	struct fixture f;
	struct pvh_kernel k;
	struct guest_memory mem;
	int fd;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	fixture_build(&f, true, sizeof(uint64_t));
	unit_temp_file(f.buf, f.size, path);
	assert_int_equal(pvh_open(path, &k), 0);
	assert_string_equal(k.img.path, path);
	assert_int_equal(k.phys32_entry, ENTRY);
	assert_ptr_equal(k.img.segs[0].data, k.img.file + TEXT_OFF);
	/*
	 * Placing reads the PT_LOAD bytes from the file straight into RAM (not from
	 * img.file, which for a file this small holds them too): changed in the file
	 * after the open, RAM gets the new bytes.
	 */
	assert_true(k.img.loads_later);
	for (size_t i = 0; i < TEXT_SIZE; i++)
		f.buf[TEXT_OFF + i] ^= 0xff;
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, f.buf + TEXT_OFF, TEXT_SIZE, TEXT_OFF), TEXT_SIZE);
	close(fd);
	assert_int_equal(guest_memory_init(&mem, PLACE_RAM), 0);
	assert_int_equal(image_place(&k.img, &mem), 0);
	assert_memory_equal(guest_ptr(&mem, TEXT_PADDR, TEXT_SIZE), f.buf + TEXT_OFF, TEXT_SIZE);
	/* The file shrank between open and place: an error naming it, no crash. */
	assert_int_equal(truncate(path, TEXT_OFF + TEXT_SIZE / 2), 0);
	assert_int_equal(image_place(&k.img, &mem), -EIO);
	assert_contains(error_message(), "PVH kernel");
	assert_contains(error_message(), path);
	guest_memory_destroy(&mem);
	pvh_free(&k);
	assert_null(k.img.file);
	assert_false(k.img.loads_later);
	/* A kernel without the note: refused, nothing left to free. */
	spoil_no_note(&f);
	unlink(path);
	unit_temp_file(f.buf, f.size, path);
	assert_int_equal(pvh_open(path, &k), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_null(k.img.file);
	pvh_free(&k);
	unlink(path);
	assert_int_equal(pvh_open("/nonexistent/vmlinux", &k), -ENOENT);
	assert_contains(error_message(), "PVH kernel '/nonexistent/vmlinux'");
	fixture_free(&f);
}

/* --- placing by mapping the file ------------------------------------------- */

/*
 * A kernel for image_place_mapped(): segment 0 congruent (file offset and GPA both
 * 0x800 into a page) with a partial page at each end and bss after it, segment 1 as
 * long but incongruent, so read whole.
 */
#define MAP_HEAD      0x800
#define MAP_BODY      (32 * LAYOUT_PAGE_SIZE)
#define MAP_TAIL      0x100
#define MAP_SEG0_OFF  (0x1000 + MAP_HEAD)
#define MAP_SEG0_GPA  (TEXT_PADDR + MAP_HEAD)
#define MAP_SEG0_SIZE (MAP_HEAD + MAP_BODY + MAP_TAIL)
#define MAP_SEG0_BSS  0x1800
#define MAP_SEG1_OFF  0x30000
#define MAP_SEG1_GPA  (TEXT_PADDR + 0x100010)
#define MAP_SEG1_SIZE (IMAGE_MAP_MIN + 0x300)
#define MAP_FILE_SIZE (MAP_SEG1_OFF + MAP_SEG1_SIZE)
#define MAP_NOTE_OFF  0x200

static uint8_t *map_kernel_build(void)
{
	struct unit_elf spec = {
		.is64 = true,
		.entry = ELF_ENTRY,
		.nphdrs = 3,
		.ph = {
			{ PT_LOAD, MAP_SEG0_OFF, TEXT_VADDR64 + MAP_HEAD, MAP_SEG0_GPA,
			  MAP_SEG0_SIZE, MAP_SEG0_SIZE + MAP_SEG0_BSS },
			{ PT_LOAD, MAP_SEG1_OFF, TEXT_VADDR64 + 0x100010, MAP_SEG1_GPA,
			  MAP_SEG1_SIZE, MAP_SEG1_SIZE },
		},
		.size = MAP_FILE_SIZE,
	};
	uint64_t entry = MAP_SEG0_GPA + 0x40;
	uint8_t *buf = unit_elf_build(&spec);
	size_t len = put_note(buf + MAP_NOTE_OFF, XEN_ELFNOTE_NAME, XEN_NAMESZ,
			      XEN_ELFNOTE_PHYS32_ENTRY, &entry, sizeof(uint32_t));
	struct unit_phdr note = { PT_NOTE, MAP_NOTE_OFF, 0, 0, len, len };

	unit_elf_put_phdr(buf, true, 2, &note);
	unit_fill_pattern(buf + MAP_SEG0_OFF, MAP_SEG0_SIZE);
	unit_fill_pattern(buf + MAP_SEG1_OFF, MAP_SEG1_SIZE);
	return buf;
}

/* Count the pages of [gpa, gpa + size) that scan saves. */
static uint64_t saved_pages(const struct guest_memory *mem, const struct ram_scan *scan,
			    uint64_t gpa, uint64_t size)
{
	uint64_t first =
		(uint64_t)((uint8_t *)guest_ptr(mem, gpa, size) - mem->map) / SNAPSHOT_PAGE_SIZE;
	uint64_t n = 0;

	for (uint64_t p = first; p < first + size / SNAPSHOT_PAGE_SIZE; p++)
		n += ram_scan_nonzero(scan, p);
	return n;
}

static void test_place_mapped(void **state)
{
	uint8_t *buf = map_kernel_build(), *ram, *back = malloc(MAP_FILE_SIZE);
	char path[UNIT_TEMP_PATH_MAX];
	struct guest_memory mem;
	struct pvh_kernel k;
	struct ram_scan scan;
	int fd;

	(void)state;
	assert_non_null(back);
	unit_temp_file(buf, MAP_FILE_SIZE, path);
	assert_int_equal(pvh_open(path, &k), 0);
	assert_int_equal(guest_memory_init(&mem, PLACE_RAM), 0);
	/* Bytes in RAM already: placing replaces the segments' and no others. */
	memset(guest_ptr(&mem, TEXT_PADDR, 0x200000), 0xee, 0x200000);
	assert_int_equal(image_place_mapped(&k.img, &mem), 0);

	/* One mapping: the whole pages of segment 0, at their file offset. */
	assert_int_equal(k.img.nmaps, 1);
	assert_int_equal(k.img.maps[0].gpa, MAP_SEG0_GPA + MAP_HEAD);
	assert_int_equal(k.img.maps[0].size, MAP_BODY);
	assert_int_equal(k.img.maps[0].offset, MAP_SEG0_OFF + MAP_HEAD);

	/*
	 * A snapshot saves the mapped pages though the guest never touched them (they are
	 * not in the page tables yet): given as also[], as linux.c gives vm->file_extents.
	 * Without them, the scan would miss them: what the extents are for.
	 */
	assert_int_equal(ram_scan(&mem, NULL, 0, &scan), 0);
	if (scan.pagemap)
		assert_int_equal(saved_pages(&mem, &scan, k.img.maps[0].gpa, MAP_BODY), 0);
	ram_scan_free(&scan);
	assert_int_equal(ram_scan(&mem, k.img.maps, k.img.nmaps, &scan), 0);
	assert_int_equal(saved_pages(&mem, &scan, k.img.maps[0].gpa, MAP_BODY),
			 MAP_BODY / SNAPSHOT_PAGE_SIZE);
	ram_scan_free(&scan);

	/* What the guest sees: every file byte, zeros around and after. */
	ram = guest_ptr(&mem, TEXT_PADDR, 0x200000);
	for (size_t i = 0; i < MAP_HEAD; i++)
		assert_int_equal(ram[i], 0xee); /* before segment 0: not the loader's */
	assert_memory_equal(guest_ptr(&mem, MAP_SEG0_GPA, MAP_SEG0_SIZE), buf + MAP_SEG0_OFF,
			    MAP_SEG0_SIZE);
	for (size_t i = 0; i < MAP_SEG0_BSS; i++)
		assert_int_equal(ram[MAP_HEAD + MAP_SEG0_SIZE + i], 0);
	assert_memory_equal(guest_ptr(&mem, MAP_SEG1_GPA, MAP_SEG1_SIZE), buf + MAP_SEG1_OFF,
			    MAP_SEG1_SIZE);

	/* Copy-on-write: the guest's writes stay in guest RAM, the file keeps its bytes. */
	memset(guest_ptr(&mem, k.img.maps[0].gpa, MAP_BODY), 0x5a, MAP_BODY);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, MAP_FILE_SIZE, 0), MAP_FILE_SIZE);
	close(fd);
	assert_memory_equal(back, buf, MAP_FILE_SIZE);

	/* The file shrank since the open: refused before anything is mapped past its end. */
	assert_int_equal(truncate(path, MAP_SEG1_OFF), 0);
	assert_int_equal(image_place_mapped(&k.img, &mem), -EIO);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "shrank");

	guest_memory_destroy(&mem);
	pvh_free(&k);
	unlink(path);
	free(back);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_elf64),
		cmocka_unit_test(test_parse_elf32),
		cmocka_unit_test(test_parse_desc_width),
		cmocka_unit_test(test_parse_note_padding),
		cmocka_unit_test(test_parse_second_note_segment),
		cmocka_unit_test(test_parse_every_prefix),
		cmocka_unit_test(test_find_entry_note),
		cmocka_unit_test(test_place_fields),
		cmocka_unit_test(test_place_no_initrd),
		cmocka_unit_test(test_place_big_ram),
		cmocka_unit_test(test_place_cmdline_limit),
		cmocka_unit_test(test_entry_state),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_place_mapped),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	failed += unit_run_table("pvh_bad_kernels", bad_kernels, sizeof(bad_kernels[0]),
				 ARRAY_SIZE(bad_kernels), test_bad_kernel);
	failed += unit_run_table("pvh_bad_places", bad_places, sizeof(bad_places[0]),
				 ARRAY_SIZE(bad_places), test_bad_place);
	return failed;
}
