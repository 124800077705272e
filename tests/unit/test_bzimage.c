/* SPDX-License-Identifier: MIT */
/* Unit tests of the bzImage loader (src/loaders/bzimage.c): header checks, placement in RAM. */
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>

#include "arch/x86/bootparams.h"
#include "arch/x86/e820.h"
#include "error.h"
#include "arch/x86/layout.h"
#include "loaders/bzimage.h"

/* The name the tests give their bzImage and initrd, to find in messages. */
#define BZ_NAME	    "test-bzImage"
#define INITRD_NAME "test-initrd"

/* The synthetic bzImage: a 2.15 header as a 64-bit relocatable kernel has it. */
#define BZ_SETUP_SECTS	 3
#define BZ_SYSSIZE	 0x100 /* paragraphs: a 4 KiB protected-mode kernel */
#define BZ_KERNEL_SIZE	 (BZ_SYSSIZE * 16)
#define BZ_VERSION	 0x020f
#define BZ_PREF		 (16 * LAYOUT_MIB) /* LOAD_PHYSICAL_ADDR of a default config */
#define BZ_ALIGN	 (2 * LAYOUT_MIB)  /* CONFIG_PHYSICAL_ALIGN */
#define BZ_INIT_SIZE	 (8 * LAYOUT_MIB)
#define BZ_CMDLINE_SIZE	 2047
#define BZ_INITRD_MAX	 0x7fffffff
#define BZ_KERNEL_INFO	 0xcccccccc /* kernel_info_offset: the header's last field */
#define BZ_SETUP_FILLER	 0x5e	    /* setup code bytes after the header */
#define BZ_SYSSIZE_UNIT	 16
#define BZ_HEADER_END	 (SETUP_HEADER_OFFSET + sizeof(struct setup_header)) /* 0x26c */
#define BZ_JUMP		 0x200 /* the setup header's short jump: opcode, then displacement */
#define BZ_JUMP_OPCODE	 0xeb
#define BZ_JUMP_END	 (BZ_JUMP + 2)
#define BZ_HEADER_SIZE	 (BZ_HEADER_END - SETUP_HEADER_OFFSET)
#define BZ_MAGIC_OFFSET	 0x202
#define BZ_SECTS_DEFAULT 4 /* what setup_sects 0 means */

/* A header that ends before kernel_info_offset (0x268), as protocol 2.12-2.14 ones do. */
#define SHORT_HEADER_END 0x268

/* Guest RAM for bzimage_place(): the kernel fits at BZ_PREF; less RAM makes it move. */
#define PLACE_RAM   (64 * LAYOUT_MIB)
#define SMALL_RAM   (16 * LAYOUT_MIB)
#define INITRD_RAM  (32 * LAYOUT_MIB)
#define BIG_RAM	    (5 * LAYOUT_GIB)
#define RAM_POISON  0xaa
#define RSDP_GPA    LAYOUT_ACPI
#define INITRD_SIZE (3 * LAYOUT_PAGE_SIZE + 100)
#define CMDLINE	    "console=ttyS0 pci=off"
#define CMDLINE_LIM 32 /* a small cmdline_size for the limit tests */
/* E820 entries for RAM below the MMIO hole: low RAM, EBDA, BIOS area, high RAM. */
#define E820_LOW_ENTRIES 4

/* Byte j of the protected-mode kernel: never zero, not periodic in 256 or a page. */
static uint8_t kernel_byte(size_t j)
{
	return (uint8_t)(j % 251 + 1);
}

static uint8_t initrd_byte(size_t j)
{
	return (uint8_t)(j % 241 + 3);
}

static struct setup_header *bz_hdr(uint8_t *buf)
{
	return (struct setup_header *)(buf + SETUP_HEADER_OFFSET);
}

/* A bzImage with setup_sects sectors of setup code (0: 4) and syssize paragraphs of kernel. */
static uint8_t *build_bz(unsigned int setup_sects, uint32_t syssize, size_t *size)
{
	unsigned int sects = setup_sects ? setup_sects : BZ_SECTS_DEFAULT;
	size_t setup = (size_t)(sects + 1) * SETUP_SECTOR_SIZE;
	size_t total = setup + (size_t)syssize * BZ_SYSSIZE_UNIT;
	uint8_t *buf = calloc(1, total);
	struct setup_header *hdr = bz_hdr(buf);

	assert_non_null(buf);
	memset(buf + BZ_HEADER_END, BZ_SETUP_FILLER, setup - BZ_HEADER_END);
	hdr->setup_sects = setup_sects;
	hdr->syssize = syssize;
	hdr->boot_flag = SETUP_BOOT_FLAG;
	buf[BZ_JUMP] = BZ_JUMP_OPCODE;
	buf[BZ_JUMP + 1] = BZ_HEADER_END - BZ_JUMP_END;
	hdr->header = SETUP_HDRS_MAGIC;
	hdr->version = BZ_VERSION;
	hdr->loadflags = LOADFLAG_LOADED_HIGH;
	hdr->initrd_addr_max = BZ_INITRD_MAX;
	hdr->kernel_alignment = BZ_ALIGN;
	hdr->relocatable_kernel = 1;
	hdr->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	hdr->cmdline_size = BZ_CMDLINE_SIZE;
	hdr->pref_address = BZ_PREF;
	hdr->init_size = BZ_INIT_SIZE;
	hdr->kernel_info_offset = BZ_KERNEL_INFO;
	for (size_t j = 0; j < (size_t)syssize * BZ_SYSSIZE_UNIT; j++)
		buf[setup + j] = kernel_byte(j);
	*size = total;
	return buf;
}

static uint8_t *default_bz(size_t *size)
{
	return build_bz(BZ_SETUP_SECTS, BZ_SYSSIZE, size);
}

static void init_bz(struct bzimage *bz)
{
	memset(bz, 0, sizeof(*bz));
	snprintf(bz->path, sizeof(bz->path), "%s", BZ_NAME);
}

/*
 * bzimage_parse() on an exact-size heap copy of buf[0, size), so that ASan
 * catches a read past the end; returns its result, the message in error_message().
 */
static int parse_copy(const uint8_t *buf, size_t size)
{
	struct bzimage bz;
	uint8_t *copy = malloc(size ? size : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, buf, size);
	init_bz(&bz);
	error_clear();
	ret = bzimage_parse(copy, size, &bz);
	free(copy);
	return ret;
}

#define assert_noexec(buf, size, cause)                                      \
	do {                                                                 \
		assert_int_equal(parse_copy((buf), (size)), -ENOEXEC);       \
		assert_contains(error_message(), "bzImage '" BZ_NAME "': "); \
		assert_contains(error_message(), cause);                     \
	} while (0)

static void parse_ok(const uint8_t *buf, size_t size, struct bzimage *bz)
{
	init_bz(bz);
	assert_int_equal(bzimage_parse(buf, size, bz), 0);
}

static void test_parse_valid(void **state)
{
	struct bzimage bz;
	size_t size, setup = (BZ_SETUP_SECTS + 1) * SETUP_SECTOR_SIZE;
	uint8_t *buf = default_bz(&size);

	(void)state;
	assert_int_equal(size, setup + BZ_KERNEL_SIZE);
	assert_int_equal(parse_copy(buf, size), 0);
	parse_ok(buf, size, &bz);
	assert_int_equal(bz.setup_size, setup);
	assert_ptr_equal(bz.kernel, buf + setup);
	assert_int_equal(bz.kernel_size, BZ_KERNEL_SIZE);
	assert_int_equal(bz.hdr_len, BZ_HEADER_SIZE);
	assert_int_equal(bz.hdr.version, BZ_VERSION);
	assert_int_equal(bz.hdr.pref_address, BZ_PREF);
	assert_int_equal(bz.hdr.init_size, BZ_INIT_SIZE);
	assert_int_equal(bz.hdr.cmdline_size, BZ_CMDLINE_SIZE);
	assert_int_equal(bz.hdr.kernel_info_offset, BZ_KERNEL_INFO);
	assert_memory_equal(&bz.hdr, buf + SETUP_HEADER_OFFSET, sizeof(bz.hdr));
	/* The oldest protocol with a 64-bit entry is enough. */
	bz_hdr(buf)->version = BOOT_PROTOCOL_64BIT;
	assert_int_equal(parse_copy(buf, size), 0);
	free(buf);
}

static void test_parse_setup_sects_zero(void **state)
{
	struct bzimage bz;
	size_t size, setup = (BZ_SECTS_DEFAULT + 1) * SETUP_SECTOR_SIZE;
	uint8_t *buf = build_bz(0, BZ_SYSSIZE, &size);

	(void)state;
	/* boot.rst: "If this field is 0, the real value is 4." */
	parse_ok(buf, size, &bz);
	assert_int_equal(bz.setup_size, setup);
	assert_ptr_equal(bz.kernel, buf + setup);
	assert_int_equal(bz.kernel[0], kernel_byte(0));
	assert_int_equal(bz.kernel_size, BZ_KERNEL_SIZE);
	/* One byte short of the 4 + 1 sectors and the kernel: truncated, counted as 4. */
	assert_noexec(buf, size - 1, "setup_sects 4");
	free(buf);
}

static void test_parse_short_header(void **state)
{
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);

	(void)state;
	/* The header's length is what its jump skips: 0x202 + the byte at 0x201. */
	buf[BZ_JUMP + 1] = SHORT_HEADER_END - BZ_JUMP_END;
	parse_ok(buf, size, &bz);
	assert_int_equal(bz.hdr_len, SHORT_HEADER_END - SETUP_HEADER_OFFSET);
	/* A jump past struct setup_header (real kernels jump into the setup code) is capped. */
	buf[BZ_JUMP + 1] = 0xff;
	parse_ok(buf, size, &bz);
	assert_int_equal(bz.hdr_len, sizeof(struct setup_header));
	free(buf);
}

/*
 * bzImages bzimage_parse() refuses, one named case per row: the default image,
 * spoiled by spoil() (which returns the size to parse), and what the message says.
 */
struct bad_bz {
	const char *name;
	size_t (*spoil)(uint8_t *buf, size_t size);
	const char *cause;
	const char *also; /* a second fragment of the message, or NULL */
};

static size_t cut_to_nothing(uint8_t *buf, size_t size)
{
	(void)buf, (void)size;
	return 0;
}

static size_t cut_in_magic(uint8_t *buf, size_t size)
{
	(void)buf, (void)size;
	return BZ_MAGIC_OFFSET + 3;
}

static size_t cut_after_magic(uint8_t *buf, size_t size)
{
	(void)buf, (void)size;
	return BZ_MAGIC_OFFSET + 4;
}

static size_t cut_in_header(uint8_t *buf, size_t size)
{
	(void)buf, (void)size;
	return BZ_HEADER_END - 1;
}

static size_t misspell_magic(uint8_t *buf, size_t size)
{
	buf[BZ_MAGIC_OFFSET + 3] = 's';
	return size;
}

static size_t make_elf(uint8_t *buf, size_t size)
{
	memset(buf, 0, size);
	memcpy(buf, "\177ELF", 4);
	return size;
}

static size_t swap_boot_flag(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->boot_flag = 0x55aa;
	return size;
}

static size_t protocol_2_05(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->version = BOOT_PROTOCOL_MIN - 1;
	return size;
}

static size_t protocol_1_00(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->version = 0x0100;
	return size;
}

static size_t make_zimage(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->loadflags = LOADFLAG_CAN_USE_HEAP;
	return size;
}

static size_t no_kernel_64(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	return size;
}

/* Before 2.12 the field is not xloadflags at all, whatever its bits. */
static size_t xloadflags_too_early(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->xloadflags = XLF_KERNEL_64;
	bz_hdr(buf)->version = BOOT_PROTOCOL_64BIT - 1;
	return size;
}

static size_t setup_beyond_file(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->setup_sects = 200;
	return size;
}

/* All of it setup code, none left for the kernel. */
static size_t setup_sects_max(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->setup_sects = UINT8_MAX;
	return size;
}

/* One paragraph more than the file holds. */
static size_t syssize_one_more(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->syssize = BZ_SYSSIZE + 1;
	return size;
}

/* A sum that would wrap in 32 bits must not pass. */
static size_t syssize_wraps(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->syssize = UINT32_MAX;
	return size;
}

static size_t syssize_zero(uint8_t *buf, size_t size)
{
	bz_hdr(buf)->syssize = 0;
	return size;
}

static const struct bad_bz bad_bzimages[] = {
	{ "empty file", cut_to_nothing,
	  "0 bytes, too short for the setup_header magic 'HdrS' at 0x202", NULL },
	{ "cut inside the magic", cut_in_magic,
	  "517 bytes, too short for the setup_header magic 'HdrS' at 0x202", NULL },
	{ "the magic whole, the header cut short", cut_after_magic,
	  "truncated: 518 bytes, the setup_header ends at 0x26c", NULL },
	{ "header one byte short", cut_in_header, "truncated: 619 bytes", NULL },
	{ "magic misspelled", misspell_magic,
	  "setup_header magic 'HdrS' missing at 0x202: not a bzImage", NULL },
	{ "an ELF file", make_elf, "magic 'HdrS' missing", NULL },
	{ "boot_flag swapped", swap_boot_flag, "boot_flag 0x55aa at 0x1fe, expected 0xaa55", NULL },
	{ "protocol 2.05", protocol_2_05,
	  "boot protocol 2.05 is too old: mini-kvm needs 2.06 or later", NULL },
	{ "protocol 1.00", protocol_1_00, "boot protocol 1.00 is too old", NULL },
	{ "a zImage", make_zimage, "a zImage (loaded below 1 MiB): mini-kvm boots bzImages only",
	  NULL },
	{ "no 64-bit entry", no_kernel_64, "no 64-bit entry point (xloadflags lacks XLF_KERNEL_64)",
	  NULL },
	{ "xloadflags before 2.12", xloadflags_too_early, "xloadflags lacks XLF_KERNEL_64", NULL },
	{ "setup code beyond the file", setup_beyond_file,
	  "truncated: the setup_header promises 107008 bytes",
	  "(setup_sects 200, syssize 256), the file has 6144" },
	{ "setup_sects 255", setup_sects_max, "setup_sects 255", NULL },
	{ "syssize one paragraph too many", syssize_one_more,
	  "promises 6160 bytes (setup_sects 3, syssize 257), the file has 6144", NULL },
	{ "syssize that wraps", syssize_wraps, "syssize 4294967295", NULL },
	{ "syssize 0", syssize_zero, "syssize is 0: no protected-mode kernel", NULL },
};

static void test_bad_bzimage(void **state)
{
	const struct bad_bz *row = *state;
	size_t size;
	uint8_t *buf = default_bz(&size);

	size = row->spoil(buf, size);
	assert_noexec(buf, size, row->cause);
	if (row->also)
		assert_contains(error_message(), row->also);
	free(buf);
}

/* --- bzimage_open ------------------------------------------------------- */

static void test_open_valid(void **state)
{
	struct bzimage bz;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf = default_bz(&size);

	(void)state;
	unit_temp_file(buf, size, path);
	assert_int_equal(bzimage_open(path, &bz), 0);
	assert_string_equal(bz.path, path);
	assert_non_null(bz.file);
	assert_int_equal(bz.file_size, size);
	assert_memory_equal(bz.file, buf, size);
	assert_ptr_equal(bz.kernel, bz.file + bz.setup_size);
	assert_int_equal(bz.kernel_size, BZ_KERNEL_SIZE);
	bzimage_free(&bz);
	assert_null(bz.file);
	assert_null(bz.kernel);
	unlink(path);
	free(buf);
}

static void test_open_missing(void **state)
{
	static const char path[] = "/nonexistent/mini-kvm-unit/bzImage";
	struct bzimage bz;

	(void)state;
	assert_int_equal(bzimage_open(path, &bz), -ENOENT);
	assert_contains(error_message(), "bzImage '");
	assert_contains(error_message(), path);
	assert_contains(error_message(), "No such file or directory");
	assert_null(bz.file);
}

static void test_open_directory(void **state)
{
	struct bzimage bz;
	char dir[UNIT_TEMP_PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mini-kvm-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bzimage_open(dir, &bz), -ENOEXEC);
	assert_contains(error_message(), dir);
	assert_contains(error_message(), "not a regular file");
	assert_null(bz.file);
	assert_int_equal(rmdir(dir), 0);
}

static void test_open_not_bzimage(void **state)
{
	static const char text[] = "#!/bin/sh\necho not a kernel\n";
	struct bzimage bz;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	unit_temp_file(text, sizeof(text) - 1, path);
	assert_int_equal(bzimage_open(path, &bz), -ENOEXEC);
	assert_contains(error_message(), path);
	assert_contains(error_message(), "too short for the setup_header magic");
	/* Nothing left to free. */
	assert_null(bz.file);
	unlink(path);
}

/* --- bzimage_place ------------------------------------------------------ */

static void mem_init(struct guest_memory *mem, uint64_t ram)
{
	assert_int_equal(guest_memory_init(mem, ram), 0);
}

static uint8_t *ram_at(const struct guest_memory *mem, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_ptr(mem, gpa, len);

	assert_non_null(p);
	return p;
}

static const struct boot_params *zero_page(const struct guest_memory *mem)
{
	return (const struct boot_params *)ram_at(mem, LAYOUT_ZERO_PAGE,
						  sizeof(struct boot_params));
}

/* The kernel's bytes at load, and a poisoned page before and after them untouched. */
static void assert_kernel_at(const struct guest_memory *mem, const struct bzimage *bz,
			     uint64_t load)
{
	const uint8_t *k = ram_at(mem, load, bz->kernel_size);

	for (size_t j = 0; j < bz->kernel_size; j++)
		if (k[j] != kernel_byte(j))
			fail_msg("kernel byte 0x%zx at 0x%llx is 0x%02x", j,
				 (unsigned long long)load, k[j]);
	assert_int_equal(*ram_at(mem, load - 1, 1), RAM_POISON);
	assert_int_equal(*ram_at(mem, load + bz->kernel_size, 1), RAM_POISON);
}

/* Poison the pages around where a kernel may go, and the zero page. */
static void poison(const struct guest_memory *mem, uint64_t load, uint64_t kernel_size)
{
	memset(ram_at(mem, load - LAYOUT_PAGE_SIZE, LAYOUT_PAGE_SIZE), RAM_POISON,
	       LAYOUT_PAGE_SIZE);
	memset(ram_at(mem, load, kernel_size + LAYOUT_PAGE_SIZE), RAM_POISON,
	       kernel_size + LAYOUT_PAGE_SIZE);
	memset(ram_at(mem, LAYOUT_ZERO_PAGE, LAYOUT_PAGE_SIZE), RAM_POISON, LAYOUT_PAGE_SIZE);
}

static void test_place_preferred(void **state)
{
	const struct linux_boot boot = { .cmdline = CMDLINE, .acpi_rsdp = RSDP_GPA };
	struct boot_e820_entry e820[BOOT_E820_MAX];
	const struct boot_params *zp;
	struct guest_memory mem;
	struct linux_entry entry;
	struct setup_header want;
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);

	(void)state;
	parse_ok(buf, size, &bz);
	mem_init(&mem, PLACE_RAM);
	poison(&mem, BZ_PREF, BZ_KERNEL_SIZE);
	assert_int_equal(bzimage_place(&bz, &mem, &boot, &entry), 0);

	/* 64 MiB holds 16 MiB + init_size: the kernel goes where it prefers. */
	assert_int_equal(entry.kernel_load, BZ_PREF);
	assert_int_equal(entry.rip, BZ_PREF + BOOT_ENTRY_64_OFFSET);
	assert_int_equal(entry.zero_page, LAYOUT_ZERO_PAGE);
	assert_int_equal(entry.initrd, 0);
	assert_kernel_at(&mem, &bz, BZ_PREF);
	assert_string_equal((const char *)ram_at(&mem, LAYOUT_CMDLINE, sizeof(CMDLINE)), CMDLINE);

	/* The zero page: the file's header with the loader's fields filled in. */
	zp = zero_page(&mem);
	assert_int_equal(zp->hdr.type_of_loader, BOOT_LOADER_TYPE_UNDEFINED);
	assert_int_equal(zp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_int_equal(zp->ext_cmd_line_ptr, 0);
	assert_int_equal(zp->hdr.code32_start, BZ_PREF);
	assert_int_equal(zp->hdr.ramdisk_image, 0);
	assert_int_equal(zp->hdr.ramdisk_size, 0);
	assert_int_equal(zp->acpi_rsdp_addr, RSDP_GPA);
	assert_int_equal(zp->hdr.header, SETUP_HDRS_MAGIC);
	assert_int_equal(zp->hdr.kernel_info_offset, BZ_KERNEL_INFO);
	memcpy(&want, buf + SETUP_HEADER_OFFSET, sizeof(want));
	want.type_of_loader = BOOT_LOADER_TYPE_UNDEFINED;
	want.vid_mode = BOOT_VID_MODE_NORMAL;
	want.code32_start = BZ_PREF;
	want.cmd_line_ptr = LAYOUT_CMDLINE;
	assert_memory_equal(&zp->hdr, &want, sizeof(want));
	/* Everything else the loader does not set is zero, not left over. */
	assert_int_equal(zp->screen_info[0], 0);
	assert_int_equal(zp->sentinel, 0);
	assert_int_equal(zp->ext_ramdisk_image, 0);
	assert_int_equal(zp->eddbuf[0], 0);
	assert_int_equal(zp->pad8[sizeof(zp->pad8) - 1], 0);

	/* The E820 map is e820_build()'s, RAM from 1 MiB to the end. */
	assert_int_equal(zp->e820_entries, E820_LOW_ENTRIES);
	assert_int_equal(e820_build(&mem, e820, BOOT_E820_MAX), E820_LOW_ENTRIES);
	assert_memory_equal(zp->e820_table, e820, E820_LOW_ENTRIES * sizeof(e820[0]));
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES - 1].addr, LAYOUT_HIGH_MEM);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES - 1].size, PLACE_RAM - LAYOUT_HIGH_MEM);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES - 1].type, E820_TYPE_RAM);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES].size, 0);

	guest_memory_destroy(&mem);
	free(buf);
}

/* bzimage_place() from bzimage_open(): the header comes from the file itself. */
static void test_place_from_file(void **state)
{
	const struct linux_boot boot = { .cmdline = CMDLINE };
	const struct boot_params *zp;
	struct guest_memory mem;
	struct linux_entry entry;
	struct setup_header want;
	struct bzimage bz;
	char path[UNIT_TEMP_PATH_MAX];
	size_t size;
	uint8_t *buf = default_bz(&size);

	(void)state;
	/* A header ending before kernel_info_offset: the bytes after it are not the header's. */
	buf[BZ_JUMP + 1] = SHORT_HEADER_END - BZ_JUMP_END;
	unit_temp_file(buf, size, path);
	assert_int_equal(bzimage_open(path, &bz), 0);
	mem_init(&mem, PLACE_RAM);
	poison(&mem, BZ_PREF, BZ_KERNEL_SIZE);
	assert_int_equal(bzimage_place(&bz, &mem, &boot, &entry), 0);
	zp = zero_page(&mem);
	/* Exactly hdr_len bytes of the file, then the loader's fields. */
	memset(&want, 0, sizeof(want));
	memcpy(&want, buf + SETUP_HEADER_OFFSET, SHORT_HEADER_END - SETUP_HEADER_OFFSET);
	want.type_of_loader = BOOT_LOADER_TYPE_UNDEFINED;
	want.vid_mode = BOOT_VID_MODE_NORMAL;
	want.code32_start = BZ_PREF;
	want.cmd_line_ptr = LAYOUT_CMDLINE;
	assert_memory_equal(&zp->hdr, &want, sizeof(want));
	assert_int_equal(zp->hdr.init_size, BZ_INIT_SIZE);
	assert_int_equal(zp->hdr.kernel_info_offset, 0);
	assert_int_equal(zp->acpi_rsdp_addr, 0);
	assert_kernel_at(&mem, &bz, BZ_PREF);

	guest_memory_destroy(&mem);
	bzimage_free(&bz);
	unlink(path);
	free(buf);
}

/* Place the default bzImage, with hdr changed by fix, in ram bytes; expect load. */
static void expect_load(uint64_t ram, void (*fix)(struct setup_header *hdr), uint64_t load)
{
	const struct linux_boot boot = { .cmdline = "" };
	struct guest_memory mem;
	struct linux_entry entry;
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);

	fix(bz_hdr(buf));
	parse_ok(buf, size, &bz);
	mem_init(&mem, ram);
	poison(&mem, load, BZ_KERNEL_SIZE);
	error_clear();
	if (bzimage_place(&bz, &mem, &boot, &entry))
		fail_msg("bzimage_place: %s", error_message());
	assert_int_equal(entry.kernel_load, load);
	assert_int_equal(entry.rip, load + BOOT_ENTRY_64_OFFSET);
	assert_int_equal(zero_page(&mem)->hdr.code32_start, load);
	assert_kernel_at(&mem, &bz, load);
	guest_memory_destroy(&mem);
	free(buf);
}

/* Place it expecting failure err with a message containing cause. */
static void expect_place_error(uint64_t ram, void (*fix)(struct setup_header *hdr), int err,
			       const char *cause)
{
	const struct linux_boot boot = { .cmdline = "" };
	struct guest_memory mem;
	struct linux_entry entry;
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);

	fix(bz_hdr(buf));
	parse_ok(buf, size, &bz);
	mem_init(&mem, ram);
	error_clear();
	assert_int_equal(bzimage_place(&bz, &mem, &boot, &entry), -err);
	assert_contains(error_message(), "bzImage '" BZ_NAME "': ");
	assert_contains(error_message(), cause);
	guest_memory_destroy(&mem);
	free(buf);
}

static void fix_none(struct setup_header *hdr)
{
	(void)hdr;
}

/* No preferred address: the lowest kernel_alignment boundary above 1 MiB. */
static void fix_no_pref_align_page(struct setup_header *hdr)
{
	hdr->pref_address = 0;
	hdr->kernel_alignment = 0;
}

static void fix_no_pref_align_4m(struct setup_header *hdr)
{
	hdr->pref_address = 0;
	hdr->kernel_alignment = 4 * LAYOUT_MIB;
}

static void fix_no_pref(struct setup_header *hdr)
{
	hdr->pref_address = 0;
}

static void fix_fixed(struct setup_header *hdr)
{
	hdr->relocatable_kernel = 0;
}

static void fix_huge_init(struct setup_header *hdr)
{
	hdr->init_size = 20 * LAYOUT_MIB + 1;
}

static void fix_fixed_odd_init(struct setup_header *hdr)
{
	hdr->relocatable_kernel = 0;
	hdr->init_size = BZ_INIT_SIZE + 1;
}

static void test_place_relocated(void **state)
{
	(void)state;
	/* Without a usable pref_address: the first aligned address above 1 MiB. */
	expect_load(PLACE_RAM, fix_no_pref, BZ_ALIGN);
	expect_load(PLACE_RAM, fix_no_pref_align_4m, 4 * LAYOUT_MIB);
	/* kernel_alignment 0: page alignment, so right at 1 MiB. */
	expect_load(PLACE_RAM, fix_no_pref_align_page, LAYOUT_HIGH_MEM);
	/* Exactly enough RAM for pref_address + init_size. */
	expect_load(BZ_PREF + BZ_INIT_SIZE, fix_none, BZ_PREF);
}

static void test_place_too_small(void **state)
{
	(void)state;
	/*
	 * A relocatable kernel decompresses at max(load, pref_address) (head_64.S):
	 * moving it lower would not help, so it needs pref_address + init_size too.
	 */
	expect_place_error(
		SMALL_RAM, fix_none, ENOMEM,
		"-m 16 MiB is too small: the kernel runs from 0x1000000 and needs 8 MiB there "
		"(init_size): give at least -m 24");
	expect_place_error(
		SMALL_RAM, fix_fixed, ENOMEM,
		"-m 16 MiB is too small: the kernel runs from 0x1000000 and needs 8 MiB there");
	expect_place_error(
		BZ_PREF + BZ_INIT_SIZE, fix_fixed_odd_init, ENOMEM,
		"-m 24 MiB is too small: the kernel runs from 0x1000000 and needs 9 MiB there "
		"(init_size): give at least -m 25");
	expect_place_error(SMALL_RAM, fix_huge_init, ENOMEM,
			   "the kernel runs from 0x1000000 and needs 21 MiB there");
}

static void fix_low_pref_fixed(struct setup_header *hdr)
{
	hdr->relocatable_kernel = 0;
	hdr->pref_address = LAYOUT_CMDLINE - LAYOUT_PAGE_SIZE;
}

static void fix_low_pref(struct setup_header *hdr)
{
	hdr->pref_address = LAYOUT_CMDLINE - LAYOUT_PAGE_SIZE;
}

static void fix_wrapping_pref(struct setup_header *hdr)
{
	hdr->pref_address = UINT64_MAX - LAYOUT_PAGE_SIZE + 1;
}

static void fix_wrapping_pref_fixed(struct setup_header *hdr)
{
	hdr->relocatable_kernel = 0;
	hdr->pref_address = UINT64_MAX - LAYOUT_PAGE_SIZE + 1;
}

static void test_place_bad_pref_address(void **state)
{
	(void)state;
	/*
	 * Below 1 MiB the kernel would cover the command line, the boot page
	 * tables and the firmware tables: a relocatable kernel moves up, a
	 * fixed one is refused.
	 */
	expect_load(PLACE_RAM, fix_low_pref, BZ_ALIGN);
	expect_place_error(PLACE_RAM, fix_low_pref_fixed, ENOEXEC,
			   "pref_address 0x1f000 is below 1 MiB");
	/* pref_address + init_size wraps: no fit, whatever the sum says. */
	expect_place_error(PLACE_RAM, fix_wrapping_pref, ENOMEM,
			   "the kernel runs from 0xfffffffffffff000 and needs 8 MiB there");
	expect_place_error(PLACE_RAM, fix_wrapping_pref_fixed, ENOMEM,
			   "the kernel runs from 0xfffffffffffff000 and needs 8 MiB there");
	/* No -m advice for it: the sum that advice needs wraps (it said "-m 0"). */
	expect_place_error(PLACE_RAM, fix_wrapping_pref, ENOMEM,
			   "beyond the 3072 MiB below the MMIO hole that any -m gives");
	assert_null(strstr(error_message(), "give at least"));
}

/* Place the default bzImage with boot and a cmdline_size of limit. */
static int place_cmdline(const char *cmdline, uint32_t limit, struct guest_memory *mem)
{
	const struct linux_boot boot = { .cmdline = cmdline };
	struct linux_entry entry;
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);
	int ret;

	bz_hdr(buf)->cmdline_size = limit;
	parse_ok(buf, size, &bz);
	error_clear();
	ret = bzimage_place(&bz, mem, &boot, &entry);
	free(buf);
	return ret;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_cmdline_limit(void **state)
{
	struct guest_memory mem;
	char *at_limit = repeat('c', CMDLINE_LIM), *over = repeat('d', CMDLINE_LIM + 1);
	const char *placed;

	(void)state;
	mem_init(&mem, PLACE_RAM);
	memset(ram_at(&mem, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX), RAM_POISON, LAYOUT_CMDLINE_MAX);
	/* cmdline_size counts the bytes without the NUL. */
	assert_int_equal(place_cmdline(at_limit, CMDLINE_LIM, &mem), 0);
	placed = (const char *)ram_at(&mem, LAYOUT_CMDLINE, CMDLINE_LIM + 2);
	assert_memory_equal(placed, at_limit, CMDLINE_LIM + 1);
	assert_int_equal(placed[CMDLINE_LIM + 1], (char)RAM_POISON);

	assert_int_equal(place_cmdline(over, CMDLINE_LIM, &mem), -E2BIG);
	assert_contains(error_message(), "bzImage '" BZ_NAME "': ");
	assert_contains(error_message(),
			"the command line is 33 bytes, the kernel takes at most 32 (cmdline_size)");
	assert_int_equal(placed[0], 'c');

	/* No command line: an empty string. */
	assert_int_equal(place_cmdline(NULL, CMDLINE_LIM, &mem), 0);
	assert_int_equal(placed[0], '\0');
	guest_memory_destroy(&mem);
	free(at_limit);
	free(over);
}

static void test_cmdline_layout_limit(void **state)
{
	struct guest_memory mem;
	char *fits = repeat('e', LAYOUT_CMDLINE_MAX - 1), *over = repeat('f', LAYOUT_CMDLINE_MAX);

	(void)state;
	mem_init(&mem, PLACE_RAM);
	/* A kernel that takes anything still gets no more than LAYOUT_CMDLINE_MAX with the NUL. */
	assert_int_equal(place_cmdline(fits, UINT32_MAX, &mem), 0);
	assert_int_equal(*ram_at(&mem, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX - 1, 1), '\0');
	assert_int_equal(place_cmdline(over, UINT32_MAX, &mem), -E2BIG);
	assert_contains(error_message(),
			"the command line is 65536 bytes, the kernel takes at most 65535");
	guest_memory_destroy(&mem);
	free(fits);
	free(over);
}

static uint8_t *make_initrd(size_t size)
{
	uint8_t *data = malloc(size ? size : 1);

	assert_non_null(data);
	for (size_t j = 0; j < size; j++)
		data[j] = initrd_byte(j);
	return data;
}

/*
 * Place the default bzImage (hdr changed by fix, may be NULL) with an initrd of
 * initrd_size bytes into ram bytes. Returns bzimage_place()'s result; *mem
 * stays mapped for the caller to check and destroy.
 */
static int place_initrd(uint64_t ram, void (*fix)(struct setup_header *hdr), size_t initrd_size,
			struct guest_memory *mem, struct linux_entry *entry)
{
	uint8_t *initrd = make_initrd(initrd_size);
	const struct linux_boot boot = { .cmdline = CMDLINE,
					 .initrd = initrd,
					 .initrd_size = initrd_size,
					 .initrd_path = INITRD_NAME };
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);
	int ret;

	if (fix)
		fix(bz_hdr(buf));
	parse_ok(buf, size, &bz);
	mem_init(mem, ram);
	error_clear();
	ret = bzimage_place(&bz, mem, &boot, entry);
	free(buf);
	free(initrd);
	return ret;
}

static void assert_initrd_at(const struct guest_memory *mem, uint64_t gpa, size_t size)
{
	const uint8_t *p = ram_at(mem, gpa, size);
	const struct boot_params *zp = zero_page(mem);

	for (size_t j = 0; j < size; j++)
		if (p[j] != initrd_byte(j))
			fail_msg("initrd byte 0x%zx at 0x%llx is 0x%02x", j,
				 (unsigned long long)gpa, p[j]);
	assert_int_equal(zp->hdr.ramdisk_image, gpa);
	assert_int_equal(zp->ext_ramdisk_image, 0);
	assert_int_equal(zp->hdr.ramdisk_size, size);
	assert_int_equal(zp->ext_ramdisk_size, 0);
}

static void test_initrd_top(void **state)
{
	struct guest_memory mem;
	struct linux_entry entry;
	uint64_t want = (PLACE_RAM - INITRD_SIZE) / LAYOUT_PAGE_SIZE * LAYOUT_PAGE_SIZE;

	(void)state;
	/* As high as RAM allows, on a page boundary. */
	assert_int_equal(place_initrd(PLACE_RAM, NULL, INITRD_SIZE, &mem, &entry), 0);
	assert_int_equal(entry.initrd, want);
	assert_int_equal(entry.initrd % LAYOUT_PAGE_SIZE, 0);
	assert_true(entry.initrd + INITRD_SIZE <= PLACE_RAM);
	assert_true(entry.initrd >= BZ_PREF + BZ_INIT_SIZE);
	assert_initrd_at(&mem, want, INITRD_SIZE);
	guest_memory_destroy(&mem);
}

static void fix_initrd_max(struct setup_header *hdr)
{
	hdr->initrd_addr_max = 32 * LAYOUT_MIB - 1;
}

static void test_initrd_addr_max(void **state)
{
	struct guest_memory mem;
	struct linux_entry entry;
	uint64_t want = (32 * LAYOUT_MIB - INITRD_SIZE) / LAYOUT_PAGE_SIZE * LAYOUT_PAGE_SIZE;

	(void)state;
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	assert_int_equal(place_initrd(PLACE_RAM, fix_initrd_max, INITRD_SIZE, &mem, &entry), 0);
	assert_int_equal(entry.initrd, want);
	assert_true(entry.initrd + INITRD_SIZE - 1 <= 32 * LAYOUT_MIB - 1);
	assert_initrd_at(&mem, want, INITRD_SIZE);
	guest_memory_destroy(&mem);
}

static void fix_small_kernel(struct setup_header *hdr)
{
	/* No init_size: the footprint is the kernel itself, at 1 MiB (page aligned). */
	hdr->init_size = 0;
	hdr->pref_address = LAYOUT_HIGH_MEM;
	hdr->kernel_alignment = 0;
}

static void fix_initrd_max_low(struct setup_header *hdr)
{
	hdr->initrd_addr_max = 20 * LAYOUT_MIB - 1;
}

static void fix_odd_init(struct setup_header *hdr)
{
	hdr->init_size = BZ_INIT_SIZE + 1;
}

static void test_initrd_does_not_fit(void **state)
{
	const size_t room = INITRD_RAM - (BZ_PREF + BZ_INIT_SIZE);
	const size_t small_room = SMALL_RAM - (LAYOUT_HIGH_MEM + BZ_KERNEL_SIZE);
	struct guest_memory mem;
	struct linux_entry entry;

	(void)state;
	/* Exactly the room between the kernel's init_size and the end of RAM. */
	assert_int_equal(place_initrd(INITRD_RAM, NULL, room, &mem, &entry), 0);
	assert_int_equal(entry.initrd, BZ_PREF + BZ_INIT_SIZE);
	assert_initrd_at(&mem, entry.initrd, room);
	guest_memory_destroy(&mem);

	assert_int_equal(place_initrd(INITRD_RAM, NULL, room + 1, &mem, &entry), -ENOMEM);
	assert_contains(error_message(),
			"initrd '" INITRD_NAME "': 8388609 bytes do not fit in RAM "
			"between the kernel's end (0x1800000) and 0x2000000");
	assert_contains(error_message(), "give more -m");
	guest_memory_destroy(&mem);

	/* More than all of RAM. */
	assert_int_equal(place_initrd(INITRD_RAM, NULL, INITRD_RAM + 1, &mem, &entry), -ENOMEM);
	assert_contains(error_message(), "33554433 bytes do not fit");
	guest_memory_destroy(&mem);

	/* Without init_size the kernel's own size counts. */
	assert_int_equal(place_initrd(SMALL_RAM, fix_small_kernel, small_room, &mem, &entry), 0);
	assert_int_equal(entry.initrd, LAYOUT_HIGH_MEM + BZ_KERNEL_SIZE);
	guest_memory_destroy(&mem);
	assert_int_equal(place_initrd(SMALL_RAM, fix_small_kernel, small_room + 1, &mem, &entry),
			 -ENOMEM);
	assert_contains(error_message(), "the kernel's end (0x101000) and 0x1000000");
	guest_memory_destroy(&mem);

	/* Not even the kernel's last byte: init_size need not end on a page. */
	assert_int_equal(place_initrd(INITRD_RAM, fix_odd_init, room, &mem, &entry), -ENOMEM);
	assert_contains(error_message(), "the kernel's end (0x1800001) and 0x2000000");
	guest_memory_destroy(&mem);
	assert_int_equal(
		place_initrd(INITRD_RAM, fix_odd_init, room - LAYOUT_PAGE_SIZE, &mem, &entry), 0);
	assert_int_equal(entry.initrd, BZ_PREF + BZ_INIT_SIZE + LAYOUT_PAGE_SIZE);
	guest_memory_destroy(&mem);

	/* initrd_addr_max below the kernel's end leaves no room at all. */
	assert_int_equal(place_initrd(PLACE_RAM, fix_initrd_max_low, INITRD_SIZE, &mem, &entry),
			 -ENOMEM);
	assert_contains(error_message(), "the kernel's end (0x1800000) and 0x1400000");
	guest_memory_destroy(&mem);
}

static void test_initrd_empty(void **state)
{
	struct guest_memory mem;
	struct linux_entry entry;

	(void)state;
	/* An empty initrd file: boot.rst's ramdisk_size 0, no initrd. */
	if (place_initrd(PLACE_RAM, NULL, 0, &mem, &entry))
		fail_msg("bzimage_place: %s", error_message());
	assert_int_equal(entry.initrd, 0);
	assert_int_equal(zero_page(&mem)->hdr.ramdisk_image, 0);
	assert_int_equal(zero_page(&mem)->hdr.ramdisk_size, 0);
	guest_memory_destroy(&mem);
}

static void test_zero_page_above_4g(void **state)
{
	const struct linux_boot boot = { .cmdline = CMDLINE, .acpi_rsdp = RSDP_GPA };
	const struct boot_params *zp;
	struct guest_memory mem;
	struct linux_entry entry;
	struct bzimage bz;
	size_t size;
	uint8_t *buf = default_bz(&size);

	(void)state;
	parse_ok(buf, size, &bz);
	mem_init(&mem, BIG_RAM);
	assert_int_equal(bzimage_place(&bz, &mem, &boot, &entry), 0);
	zp = zero_page(&mem);
	/* RAM below the MMIO hole, then the rest from 4 GiB. */
	assert_int_equal(zp->e820_entries, E820_LOW_ENTRIES + 1);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES - 1].size,
			 LAYOUT_MMIO_HOLE - LAYOUT_HIGH_MEM);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES].addr, LAYOUT_4GIB);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES].size, BIG_RAM - LAYOUT_MMIO_HOLE);
	assert_int_equal(zp->e820_table[E820_LOW_ENTRIES].type, E820_TYPE_RAM);
	assert_int_equal(entry.kernel_load, BZ_PREF);
	guest_memory_destroy(&mem);
	free(buf);
}

int main(void)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_setup_sects_zero),
		cmocka_unit_test(test_parse_short_header),
		cmocka_unit_test(test_open_valid),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_open_directory),
		cmocka_unit_test(test_open_not_bzimage),
		cmocka_unit_test(test_place_preferred),
		cmocka_unit_test(test_place_from_file),
		cmocka_unit_test(test_place_relocated),
		cmocka_unit_test(test_place_too_small),
		cmocka_unit_test(test_place_bad_pref_address),
		cmocka_unit_test(test_cmdline_limit),
		cmocka_unit_test(test_cmdline_layout_limit),
		cmocka_unit_test(test_initrd_top),
		cmocka_unit_test(test_initrd_addr_max),
		cmocka_unit_test(test_initrd_does_not_fit),
		cmocka_unit_test(test_initrd_empty),
		cmocka_unit_test(test_zero_page_above_4g),
	};
	struct CMUnitTest tests[ARRAY_SIZE(bad_bzimages) + ARRAY_SIZE(cases)];

	UNIT_TABLE_CASES(tests, bad_bzimages, test_bad_bzimage);
	memcpy(tests + ARRAY_SIZE(bad_bzimages), cases, sizeof(cases));
	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
