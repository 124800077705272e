/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests: includes in cmocka's order, substring asserts, temp files. */
#ifndef MINI_KVM_UNIT_H
#define MINI_KVM_UNIT_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memory.h"

/* Fail unless needle occurs in haystack, showing both. */
/*
 * Fill out[0 .. ARRAY_SIZE(rows)) with one named cmocka case per row of a table
 * whose rows start with `const char *name`: func runs with the row as its state,
 * so a failure names its row.
 */
#define UNIT_TABLE_CASES(out, rows, func)                                                      \
	do {                                                                                   \
		for (size_t row_ = 0; row_ < ARRAY_SIZE(rows); row_++)                         \
			(out)[row_] =                                                          \
				(struct CMUnitTest){ .name = (rows)[row_].name,                \
						     .test_func = (func),                      \
						     .initial_state = (void *)&(rows)[row_] }; \
	} while (0)

#define assert_contains(haystack, needle)                                          \
	do {                                                                       \
		const char *hay_ = (haystack), *needle_ = (needle);                \
		if (!strstr(hay_, needle_))                                        \
			fail_msg("\"%s\" does not contain \"%s\"", hay_, needle_); \
	} while (0)

#define assert_not_contains(haystack, needle)                              \
	do {                                                               \
		const char *hay_ = (haystack), *needle_ = (needle);        \
		if (strstr(hay_, needle_))                                 \
			fail_msg("\"%s\" contains \"%s\"", hay_, needle_); \
	} while (0)

#define UNIT_TEMP_PATH_MAX 256

/*
 * Write size bytes of data to a new temporary file and put its name in path
 * (UNIT_TEMP_PATH_MAX bytes). The caller unlinks it.
 */
static inline void unit_temp_file(const void *data, size_t size, char *path)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, UNIT_TEMP_PATH_MAX, "%s/mini-kvm-unit-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	assert_int_equal(close(fd), 0);
}

/* Little-endian reads at any alignment, as an OS parses firmware tables. */
static inline uint16_t unit_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t unit_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t unit_rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The 8-bit sum of len bytes: 0 for a table with a correct checksum (ACPI, MP spec). */
static inline uint8_t unit_sum8(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

/* cmocka setup: a struct guest_memory of ram_size bytes in *state. Returns 0 or -1. */
static inline int unit_memory_setup(void **state, uint64_t ram_size)
{
	struct guest_memory *mem = calloc(1, sizeof(*mem));

	if (!mem || guest_memory_init(mem, ram_size)) {
		free(mem);
		return -1;
	}
	*state = mem;
	return 0;
}

/* cmocka teardown for unit_memory_setup(). */
static inline int unit_memory_teardown(void **state)
{
	struct guest_memory *mem = *state;

	guest_memory_destroy(mem);
	free(mem);
	return 0;
}

#endif
