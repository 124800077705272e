/* SPDX-License-Identifier: MIT */
/* Unit tests of a snapshot's RAM: the scan (src/snapshot/ram_scan.c), files (snapfile.c), CPUID. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/stat.h>

#include "arch/x86/layout.h"
#include "error.h"
#include "snapshot/compat.h"
#include "snapshot/format.h"
#include "snapshot/ram_scan.h"
#include "snapshot/snapfile.h"

#define PAGE	      SNAPSHOT_PAGE_SIZE
#define RAM	      (16 * LAYOUT_MIB)
#define TWO_REGIONS   (LAYOUT_MMIO_HOLE + 4 * LAYOUT_MIB) /* the last 4 MiB from 4 GiB up */
#define MERGE	      RAM_SCAN_MERGE_PAGES
#define CPUID_SSE3    (1U << 0)	 /* leaf 1 ECX */
#define CPUID_AVX     (1U << 28) /* leaf 1 ECX */
#define CPUID_OSXSAVE (1U << 27) /* leaf 1 ECX: follows CR4, not the host */
#define CPUID_ENTRIES 2

static void poke(struct guest_memory *mem, uint64_t gpa, uint8_t value)
{
	uint8_t *p = guest_ptr(mem, gpa, 1);

	assert_non_null(p);
	*p = value;
}

static uint64_t page_of(const struct guest_memory *mem, uint64_t gpa)
{
	return (uint64_t)((uint8_t *)guest_ptr(mem, gpa, 1) - mem->map) / PAGE;
}

/* Non-zero pages are found; zero pages, touched or not, are not; near runs merge. */
static void test_scan(void **state)
{
	struct guest_memory *mem = *state;
	struct ram_scan scan;

	poke(mem, 0, 1);		      /* page 0 */
	poke(mem, 5 * PAGE + 100, 2);	      /* page 5: a gap of 4 pages, merged */
	poke(mem, 6 * PAGE, 0);		      /* touched, but zero */
	poke(mem, (6 + MERGE + 2) * PAGE, 3); /* past the merge distance: a run of its own */
	poke(mem, RAM - 1, 4);		      /* the last byte */
	assert_int_equal(ram_scan(mem, NULL, 0, &scan), 0);
	assert_int_equal(scan.nonzero_pages, 4);
	assert_int_equal(scan.nruns, 3);
	assert_int_equal(scan.runs[0].first, 0);
	assert_int_equal(scan.runs[0].count, 6);
	assert_int_equal(scan.runs[1].first, 6 + MERGE + 2);
	assert_int_equal(scan.runs[1].count, 1);
	assert_int_equal(scan.runs[2].first, RAM / PAGE - 1);
	assert_true(ram_scan_nonzero(&scan, 5));
	assert_false(ram_scan_nonzero(&scan, 6));
	assert_false(ram_scan_nonzero(&scan, 3));
	assert_int_equal(scan.run_pages, 6 + 1 + 1);
	assert_true(scan.pagemap);
	ram_scan_free(&scan);
}

static void test_scan_empty(void **state)
{
	struct guest_memory *mem = *state;
	struct ram_scan scan;

	assert_int_equal(ram_scan(mem, NULL, 0, &scan), 0);
	assert_int_equal(scan.nruns, 0);
	assert_int_equal(scan.nonzero_pages, 0);
	ram_scan_free(&scan);
}

/* A run never spans the MMIO hole: the pages on either side are far apart in GPA. */
static void test_scan_two_regions(void **state)
{
	struct guest_memory mem;
	struct ram_scan scan;

	(void)state;
	assert_int_equal(guest_memory_init(&mem, TWO_REGIONS), 0);
	assert_int_equal(mem.nregions, 2);
	poke(&mem, LAYOUT_MMIO_HOLE - PAGE, 1);
	poke(&mem, LAYOUT_4GIB, 2);
	assert_int_equal(ram_scan(&mem, NULL, 0, &scan), 0);
	assert_int_equal(scan.nruns, 2);
	assert_int_equal(ram_scan_gpa(&mem, scan.runs[0].first), LAYOUT_MMIO_HOLE - PAGE);
	assert_int_equal(ram_scan_gpa(&mem, scan.runs[1].first), LAYOUT_4GIB);
	assert_int_equal(ram_scan_gpa(&mem, TWO_REGIONS / PAGE), UINT64_MAX);
	ram_scan_free(&scan);
	guest_memory_destroy(&mem);
}

/* A temporary file of npages pages, page i filled with fill + i. Returns its fd. */
static int pages_file(char *path, size_t npages, uint8_t fill)
{
	uint8_t *buf = malloc(npages * PAGE);
	int fd;

	assert_non_null(buf);
	for (size_t i = 0; i < npages; i++)
		memset(buf + i * PAGE, fill + (uint8_t)i, PAGE);
	unit_temp_file(buf, npages * PAGE, path);
	free(buf);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

/*
 * Pages mapped from a file (a restored VM's) and never touched are not present for
 * pagemap: the extents they came from must be given, or they would be lost.
 */
static void test_scan_file_backed(void **state)
{
	struct guest_memory *mem = *state;
	const struct snapshot_ram_extent from = { .gpa = LAYOUT_MIB, .size = 2 * PAGE };
	char path[UNIT_TEMP_PATH_MAX];
	int fd = pages_file(path, 2, 0x40);
	struct ram_scan scan;

	assert_int_equal(guest_memory_map_file(mem, from.gpa, from.size, fd, 0), 0);
	assert_int_equal(ram_scan(mem, NULL, 0, &scan), 0);
	assert_int_equal(scan.nonzero_pages, 0); /* pagemap: not present */
	ram_scan_free(&scan);
	assert_int_equal(ram_scan(mem, &from, 1, &scan), 0);
	assert_int_equal(scan.nonzero_pages, 2);
	assert_int_equal(scan.runs[0].first, page_of(mem, LAYOUT_MIB));
	ram_scan_free(&scan);
	/* The mapping is private: a guest's write does not reach the file. */
	poke(mem, LAYOUT_MIB, 0x99);
	{
		uint8_t byte;

		assert_int_equal(pread(fd, &byte, 1, 0), 1);
		assert_int_equal(byte, 0x40);
	}
	close(fd);
	unlink(path);
}

static void test_map_file_refuses(void **state)
{
	struct guest_memory *mem = *state;

	assert_int_equal(guest_memory_map_file(mem, RAM - PAGE, 2 * PAGE, 0, 0), -EFAULT);
	assert_int_equal(guest_memory_map_file(mem, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(guest_memory_map_file(mem, 0, PAGE, -1, 0), -EBADF);
}

/* The copy a running guest is saved from holds what the scan found, where it was. */
static void test_copy(void **state)
{
	struct guest_memory *mem = *state;
	struct guest_memory copy;
	struct ram_scan scan;

	poke(mem, 3 * PAGE + 1, 0x11);
	poke(mem, 9 * LAYOUT_MIB, 0x22);
	assert_int_equal(ram_scan_prepare_copy(mem, &copy), 0);
	assert_int_equal(ram_scan(mem, NULL, 0, &scan), 0);
	ram_scan_copy(mem, &scan, &copy);
	assert_int_equal(*(uint8_t *)guest_ptr(&copy, 3 * PAGE + 1, 1), 0x11);
	assert_int_equal(*(uint8_t *)guest_ptr(&copy, 9 * LAYOUT_MIB, 1), 0x22);
	/* The copy is a snapshot: later guest writes do not reach it. */
	poke(mem, 3 * PAGE + 1, 0x33);
	assert_int_equal(*(uint8_t *)guest_ptr(&copy, 3 * PAGE + 1, 1), 0x11);
	ram_scan_free(&scan);
	guest_memory_destroy(&copy);
}

/* Write a snapshot of mem (with one section) to path. */
static void write_snapshot(struct guest_memory *mem, const char *path)
{
	struct snapshot_machine m = { .mem_size = RAM, .ncpus = 1, .name = "ram" };
	struct snapshot_builder b;
	struct snapshot_out out;
	struct ram_scan scan;

	snapshot_builder_init(&b);
	assert_int_equal(snapshot_builder_add(&b, SNAPSHOT_SEC_MACHINE, 0, &m, sizeof(m), 0), 0);
	assert_int_equal(ram_scan(mem, NULL, 0, &scan), 0);
	assert_int_equal(snapshot_file_write(path, &b, mem, &scan, &out), 0);
	assert_int_equal(out.nextents, scan.nruns);
	assert_int_equal(out.ram_written, scan.nonzero_pages * PAGE);
	/* Nothing at path until it is committed: a reader never sees half a file. */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(snapshot_file_commit(&out), 0);
	ram_scan_free(&scan);
	snapshot_builder_free(&b);
}

/* A file written from RAM reads back the same, zero pages included, and keeps its holes. */
static void test_file_round_trip(void **state)
{
	struct guest_memory *mem = *state;
	struct guest_memory back;
	char path[UNIT_TEMP_PATH_MAX];
	struct snapshot_reader r;
	struct snapshot_in in;
	struct stat st;
	int fd;

	unit_temp_file("", 0, path);
	unlink(path);
	for (uint64_t p = 0; p < 64; p += 2) /* every other page of the first 64 */
		poke(mem, p * PAGE + 5, (uint8_t)(p + 1));
	poke(mem, 12 * LAYOUT_MIB, 0xee);
	write_snapshot(mem, path);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The 32 zero pages between are holes: blocks for about 33 pages, not 64. */
	assert_true((uint64_t)st.st_blocks * 512 < 48 * PAGE);

	/* A snapshot without vCPUs does not parse (required sections): read it raw. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(snapshot_file_open(path, &in), -EINVAL);
	assert_contains(error_message(), "no KVM clock section");
	(void)r;

	/* Map the RAM back as restore does, from the extents in the file's table. */
	{
		struct snapshot_header h;
		struct snapshot_section *table;
		struct snapshot_ram_extent e[2];

		assert_int_equal(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
		table = calloc(h.nsections, sizeof(*table));
		assert_int_equal(pread(fd, table, h.nsections * sizeof(*table), h.table_offset),
				 (ssize_t)(h.nsections * sizeof(*table)));
		assert_int_equal(table[1].type, SNAPSHOT_SEC_RAM_EXTENTS);
		assert_int_equal(table[1].length, 2 * sizeof(e[0]));
		assert_int_equal(pread(fd, e, sizeof(e), table[1].offset), (ssize_t)sizeof(e));
		assert_int_equal(guest_memory_init(&back, RAM), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(
				guest_memory_map_file(&back, e[i].gpa, e[i].size, fd, e[i].offset),
				0);
		assert_int_equal(e[0].size, 63 * PAGE);
		assert_int_equal(e[0].crc, snapshot_crc32(0, mem->map, 63 * PAGE));
		free(table);
	}
	assert_memory_equal(back.map, mem->map, RAM);
	guest_memory_destroy(&back);
	close(fd);
	unlink(path);
}

/* A snapshot that cannot be written leaves nothing behind. */
static void test_file_unwritable(void **state)
{
	struct guest_memory *mem = *state;
	struct snapshot_builder b;
	struct snapshot_out out;
	struct ram_scan scan;

	snapshot_builder_init(&b);
	assert_int_equal(ram_scan(mem, NULL, 0, &scan), 0);
	assert_int_equal(snapshot_file_write("/nonexistent-dir/x.snap", &b, mem, &scan, &out),
			 -ENOENT);
	assert_contains(error_message(), "/nonexistent-dir/x.snap");
	ram_scan_free(&scan);
	snapshot_builder_free(&b);
}

static void test_open_refuses(void **state)
{
	struct snapshot_in in;
	char path[UNIT_TEMP_PATH_MAX];

	(void)state;
	assert_int_equal(snapshot_file_open("/nonexistent.snap", &in), -ENOENT);
	assert_contains(error_message(), "snapshot '/nonexistent.snap'");
	assert_int_equal(snapshot_file_open("/", &in), -EINVAL);
	assert_contains(error_message(), "not a regular file");
	unit_temp_file("MKVM", 4, path);
	assert_int_equal(snapshot_file_open(path, &in), -EINVAL);
	assert_contains(error_message(), "too short");
	unlink(path);
}

/* --- CPUID ---------------------------------------------------------------- */

static struct kvm_cpuid2 *cpuid_with(uint32_t leaf1_ecx)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_ENTRIES * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = CPUID_ENTRIES;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 1 };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = leaf1_ecx };
	return c;
}

static void test_cpuid_compatible(void **state)
{
	struct kvm_cpuid2 *saved = cpuid_with(CPUID_SSE3 | CPUID_AVX | CPUID_OSXSAVE);
	struct kvm_cpuid2 *more = cpuid_with(CPUID_SSE3 | CPUID_AVX | (1U << 5));
	struct kvm_cpuid2 *less = cpuid_with(CPUID_SSE3);

	(void)state;
	/* More features on this host is fine; OSXSAVE follows the guest's CR4. */
	assert_int_equal(snapshot_cpuid_compatible(saved->entries, saved->nent, more), 0);
	assert_int_equal(snapshot_cpuid_compatible(saved->entries, saved->nent, less), -ENOTSUP);
	assert_contains(error_message(), "CPUID 1.ECX bits 0x10000000");
	/* A leaf the snapshot lacks asks for nothing. */
	assert_int_equal(snapshot_cpuid_compatible(saved->entries, 1, less), 0);
	free(saved);
	free(more);
	free(less);
}

static int setup(void **state)
{
	return unit_memory_setup(state, RAM);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_scan_empty, setup, unit_memory_teardown),
		cmocka_unit_test(test_scan_two_regions),
		cmocka_unit_test_setup_teardown(test_scan_file_backed, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_map_file_refuses, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_file_round_trip, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_file_unwritable, setup, unit_memory_teardown),
		cmocka_unit_test(test_open_refuses),
		cmocka_unit_test(test_cpuid_compatible),
	};

	return cmocka_run_group_tests_name("snapshot RAM", tests, NULL, NULL);
}
