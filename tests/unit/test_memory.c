/* SPDX-License-Identifier: MIT */
/* Unit tests of guest RAM (src/memory.c): layout around the MMIO hole, bounds-checked GPA access. */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>

#include "error.h"
#include "arch/x86/layout.h"
#include "memory.h"

#define SMALL_RAM LAYOUT_MEM_MIN
/* Enough to reach past the 3 GiB hole: 8 MiB of RAM land at 4 GiB (only mapped, never touched). */
#define HIGH_PART (8 * LAYOUT_MIB)
#define BIG_RAM	  (LAYOUT_MMIO_HOLE + HIGH_PART)

static int setup_small(void **state)
{
	return unit_memory_setup(state, SMALL_RAM);
}

static int setup_big(void **state)
{
	return unit_memory_setup(state, BIG_RAM);
}

static void test_init_bad_sizes(void **state)
{
	static const uint64_t bad[] = { 0, LAYOUT_PAGE_SIZE, LAYOUT_MEM_MIN - LAYOUT_PAGE_SIZE,
					LAYOUT_MEM_MIN + 1, LAYOUT_MEM_MIN + LAYOUT_PAGE_SIZE / 2 };
	struct guest_memory mem;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&mem, 0x5a, sizeof(mem));
		assert_int_equal(guest_memory_init(&mem, bad[i]), -EINVAL);
		assert_contains(error_message(),
				"must be a multiple of 4 KiB and at least 1024 KiB");
		assert_null(mem.map);
		assert_int_equal(mem.nregions, 0);
		/* Nothing to undo, and destroying is still safe. */
		guest_memory_destroy(&mem);
	}
}

static void test_layout_small(void **state)
{
	struct guest_memory *mem = *state;
	const uint8_t *p;

	assert_int_equal(mem->ram_size, SMALL_RAM);
	assert_int_equal(mem->nregions, 1);
	assert_int_equal(mem->regions[0].gpa, 0);
	assert_int_equal(mem->regions[0].size, SMALL_RAM);
	assert_ptr_equal(mem->regions[0].hva, mem->map);
	/* Fresh RAM reads as zeroes. */
	p = guest_ptr(mem, 0, SMALL_RAM);
	assert_ptr_equal(p, mem->map);
	for (uint64_t i = 0; i < SMALL_RAM; i += LAYOUT_PAGE_SIZE / 2)
		assert_int_equal(p[i], 0);
}

static void test_layout_big(void **state)
{
	struct guest_memory *mem = *state;

	assert_int_equal(mem->ram_size, BIG_RAM);
	assert_int_equal(mem->nregions, 2);
	assert_int_equal(mem->regions[0].gpa, 0);
	assert_int_equal(mem->regions[0].size, LAYOUT_MMIO_HOLE);
	assert_int_equal(mem->regions[1].gpa, LAYOUT_4GIB);
	assert_int_equal(mem->regions[1].size, HIGH_PART);
	assert_ptr_equal(mem->regions[1].hva, mem->map + LAYOUT_MMIO_HOLE);
}

static void test_exactly_the_hole(void **state)
{
	struct guest_memory mem;

	(void)state;
	/* RAM that ends where the hole starts needs no second region. */
	assert_int_equal(guest_memory_init(&mem, LAYOUT_MMIO_HOLE), 0);
	assert_int_equal(mem.nregions, 1);
	assert_int_equal(mem.regions[0].size, LAYOUT_MMIO_HOLE);
	assert_non_null(guest_ptr(&mem, LAYOUT_MMIO_HOLE - 1, 1));
	assert_null(guest_ptr(&mem, LAYOUT_4GIB, 1));
	guest_memory_destroy(&mem);
	assert_null(mem.map);
	guest_memory_destroy(&mem); /* twice is fine */
}

/* Whether the VmFlags of mem's mapping in /proc/self/smaps have flag (" dd", " hg"). */
static bool ram_has_vmflag(const struct guest_memory *mem, const char *flag)
{
	char line[512], range[64];
	bool in_ram = false, found = false, has = false;
	FILE *smaps = fopen("/proc/self/smaps", "r");

	assert_non_null(smaps);
	snprintf(range, sizeof(range), "%lx-", (unsigned long)(uintptr_t)mem->map);
	while (fgets(line, sizeof(line), smaps)) {
		if (!strncmp(line, range, strlen(range)))
			in_ram = true;
		else if (in_ram && !strncmp(line, "VmFlags:", strlen("VmFlags:"))) {
			has = strstr(line, flag) != NULL;
			found = true;
			break;
		}
	}
	fclose(smaps);
	assert_true(found);
	return has;
}

/* Guest RAM stays out of core dumps: its mapping has VmFlags "dd" in /proc/self/smaps. */
static void test_ram_is_not_dumped(void **state)
{
	assert_true(ram_has_vmflag(*state, " dd"));
}

/*
 * Small RAM gets no huge-page hint (a tiny guest's first write would fault in 2 MiB);
 * asked for, the mapping has VmFlags "hg" (MADV_HUGEPAGE).
 */
static void test_hugepages_only_when_asked(void **state)
{
	struct guest_memory *mem = *state;

	assert_false(ram_has_vmflag(mem, " hg"));
	guest_memory_advise_hugepages(mem);
	assert_true(ram_has_vmflag(mem, " hg"));
}

/* Huge pages pay for large RAM or a large image (Linux), not for a small bare guest. */
static void test_hugepages_pay(void **state)
{
	(void)state;
	assert_false(guest_memory_hugepages_pay(LAYOUT_MEM_MIN, false));
	assert_false(guest_memory_hugepages_pay(128 * LAYOUT_MIB, false));
	assert_false(guest_memory_hugepages_pay(GUEST_HUGEPAGE_MIN_RAM - LAYOUT_PAGE_SIZE, false));
	assert_true(guest_memory_hugepages_pay(GUEST_HUGEPAGE_MIN_RAM, false));
	assert_true(guest_memory_hugepages_pay(4 * GUEST_HUGEPAGE_MIN_RAM, false));
	assert_true(guest_memory_hugepages_pay(128 * LAYOUT_MIB, true));
}

static void test_guest_ptr_bounds(void **state)
{
	struct guest_memory *mem = *state;
	uint8_t *base = mem->map;

	assert_ptr_equal(guest_ptr(mem, 0, 0), base);
	assert_ptr_equal(guest_ptr(mem, 0, 1), base);
	assert_ptr_equal(guest_ptr(mem, 0, SMALL_RAM), base);
	assert_ptr_equal(guest_ptr(mem, 0x1234, 0x10), base + 0x1234);
	assert_ptr_equal(guest_ptr(mem, SMALL_RAM - 1, 1), base + SMALL_RAM - 1);
	assert_ptr_equal(guest_ptr(mem, SMALL_RAM - 4, 4), base + SMALL_RAM - 4);
	assert_ptr_equal(guest_ptr(mem, SMALL_RAM - 1, 0), base + SMALL_RAM - 1);

	assert_null(guest_ptr(mem, 0, SMALL_RAM + 1));
	assert_null(guest_ptr(mem, SMALL_RAM - 1, 2));
	assert_null(guest_ptr(mem, SMALL_RAM - 4, 5));
	/* len 0 is inside only when gpa is RAM. */
	assert_null(guest_ptr(mem, SMALL_RAM, 0));
	assert_null(guest_ptr(mem, SMALL_RAM, 1));
}

static void test_guest_ptr_overflow(void **state)
{
	struct guest_memory *mem = *state;

	/* Guests pick gpa and len: no sum may wrap around to look valid. */
	assert_null(guest_ptr(mem, UINT64_MAX - 1, 4));
	assert_null(guest_ptr(mem, UINT64_MAX, 1));
	assert_null(guest_ptr(mem, UINT64_MAX, 0));
	assert_null(guest_ptr(mem, 4, UINT64_MAX));
	assert_null(guest_ptr(mem, 0, UINT64_MAX));
	assert_null(guest_ptr(mem, 1, UINT64_MAX - 1));
	assert_null(guest_ptr(mem, SMALL_RAM - 1, UINT64_MAX));
	assert_null(guest_ptr(mem, UINT64_MAX - SMALL_RAM + 1, SMALL_RAM));
	assert_null(guest_ptr(mem, UINT64_MAX, UINT64_MAX));
}

static void test_guest_ptr_two_regions(void **state)
{
	struct guest_memory *mem = *state;

	assert_ptr_equal(guest_ptr(mem, LAYOUT_MMIO_HOLE - 1, 1), mem->map + LAYOUT_MMIO_HOLE - 1);
	assert_ptr_equal(guest_ptr(mem, LAYOUT_4GIB, HIGH_PART), mem->map + LAYOUT_MMIO_HOLE);
	assert_ptr_equal(guest_ptr(mem, LAYOUT_4GIB + HIGH_PART - 1, 1), mem->map + BIG_RAM - 1);
	/* The hole is not RAM, and no access may span into it or across it. */
	assert_null(guest_ptr(mem, LAYOUT_MMIO_HOLE, 1));
	assert_null(guest_ptr(mem, LAYOUT_MMIO_HOLE, 0));
	assert_null(guest_ptr(mem, LAYOUT_4GIB - 1, 1));
	assert_null(guest_ptr(mem, LAYOUT_MMIO_HOLE - 4, 8));
	assert_null(guest_ptr(mem, LAYOUT_MMIO_HOLE - 1, LAYOUT_4GIB));
	assert_null(guest_ptr(mem, LAYOUT_4GIB - 4, 8));
	assert_null(guest_ptr(mem, LAYOUT_4GIB + HIGH_PART, 0));
	assert_null(guest_ptr(mem, LAYOUT_4GIB + HIGH_PART - 1, 2));
	assert_null(guest_ptr(mem, LAYOUT_4GIB, HIGH_PART + 1));
	assert_null(guest_ptr(mem, UINT64_MAX - 1, 4));
}

static void test_read_write(void **state)
{
	struct guest_memory *mem = *state;
	static const char text[] = "mini-kvm";
	char back[sizeof(text)] = "";

	assert_int_equal(guest_write(mem, 0x7c00, text, sizeof(text)), 0);
	assert_memory_equal(mem->map + 0x7c00, text, sizeof(text));
	assert_int_equal(guest_read(mem, 0x7c00, back, sizeof(back)), 0);
	assert_string_equal(back, text);

	assert_int_equal(guest_write(mem, SMALL_RAM - 4, text, 4), 0);
	assert_int_equal(guest_write(mem, SMALL_RAM - 4, text, 5), -EFAULT);
	assert_int_equal(guest_read(mem, SMALL_RAM - 3, back, 4), -EFAULT);
	assert_int_equal(guest_write(mem, UINT64_MAX - 1, text, 4), -EFAULT);
	assert_int_equal(guest_read(mem, UINT64_MAX - 1, back, 4), -EFAULT);
	/* A refused access touches nothing. */
	assert_string_equal(back, text);
	assert_int_equal(mem->map[SMALL_RAM - 1], 'i');
}

static void test_strnlen(void **state)
{
	struct guest_memory *mem = *state;

	memcpy(mem->map + 0x100, "hello", 6);
	assert_int_equal(guest_strnlen(mem, 0x100, 100), 5);
	assert_int_equal(guest_strnlen(mem, 0x100, 5), 5);
	assert_int_equal(guest_strnlen(mem, 0x100, 6), 5);
	assert_int_equal(guest_strnlen(mem, 0x100, 3), 3);
	assert_int_equal(guest_strnlen(mem, 0x100, 0), 0);
	assert_int_equal(guest_strnlen(mem, 0x105, 10), 0);
	assert_int_equal(guest_strnlen(mem, 0x100, UINT64_MAX), 5);
}

static void test_strnlen_at_ram_edge(void **state)
{
	struct guest_memory *mem = *state;
	uint8_t *end = mem->map + SMALL_RAM;

	/* "ab\0" in the last three bytes. */
	memcpy(end - 3, "ab", 3);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 3, 100), 2);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 1, 100), 0);

	/* "abc" without a NUL up to the last byte: the scan would leave RAM. */
	memcpy(end - 3, "abc", 3);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 3, 100), -EFAULT);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 3, 4), -EFAULT);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 3, UINT64_MAX), -EFAULT);
	/* ... unless max stops it first, or exactly at the end. */
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 3, 3), 3);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 3, 2), 2);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM - 1, 1), 1);

	/* Starting outside RAM. */
	assert_int_equal(guest_strnlen(mem, SMALL_RAM, 0), -EFAULT);
	assert_int_equal(guest_strnlen(mem, SMALL_RAM, 10), -EFAULT);
	assert_int_equal(guest_strnlen(mem, UINT64_MAX, 10), -EFAULT);
	assert_int_equal(guest_strnlen(mem, UINT64_MAX - 1, 4), -EFAULT);
}

static void test_strnlen_into_hole(void **state)
{
	struct guest_memory *mem = *state;
	uint8_t *hole = mem->map + LAYOUT_MMIO_HOLE;

	/* The bytes after the low region in the host mapping are the 4 GiB region's. */
	memcpy(hole - 2, "xy", 2);
	hole[0] = '\0';
	assert_int_equal(guest_strnlen(mem, LAYOUT_MMIO_HOLE - 2, 10), -EFAULT);
	assert_int_equal(guest_strnlen(mem, LAYOUT_MMIO_HOLE - 2, 2), 2);
	/* The high region on its own. */
	assert_int_equal(guest_strnlen(mem, LAYOUT_4GIB, 10), 0);
	memcpy(hole, "high", 5);
	assert_int_equal(guest_strnlen(mem, LAYOUT_4GIB, 10), 4);
	memset(mem->map + BIG_RAM - 4, 'z', 4);
	assert_int_equal(guest_strnlen(mem, LAYOUT_4GIB + HIGH_PART - 4, 10), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bad_sizes),
		cmocka_unit_test_setup_teardown(test_layout_small, setup_small,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_layout_big, setup_big, unit_memory_teardown),
		cmocka_unit_test(test_exactly_the_hole),
		cmocka_unit_test_setup_teardown(test_ram_is_not_dumped, setup_small,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_hugepages_only_when_asked, setup_small,
						unit_memory_teardown),
		cmocka_unit_test(test_hugepages_pay),
		cmocka_unit_test_setup_teardown(test_guest_ptr_bounds, setup_small,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_guest_ptr_overflow, setup_small,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_guest_ptr_two_regions, setup_big,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_read_write, setup_small, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_strnlen, setup_small, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_strnlen_at_ram_edge, setup_small,
						unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_strnlen_into_hole, setup_big,
						unit_memory_teardown),
	};

	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
