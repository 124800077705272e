/* SPDX-License-Identifier: MIT */
/* What the firmware tables (ACPI, MP) share: byte checksums, a writing cursor, layout asserts. */
#ifndef MINI_KVM_FWTABLE_H
#define MINI_KVM_FWTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "firmware tables are little-endian; their structs are written as the host lays them out"
#endif

/* Check a field of a packed table struct against its offset in the spec's table. */
#define FWTABLE_ASSERT_OFFSET(type, field, offset) \
	_Static_assert(offsetof(type, field) == (offset), #type "." #field " at byte " #offset)

/*
 * The byte that makes the len bytes at p sum to 0 (mod 256), given that it is 0
 * now: the checksum of ACPI tables (ACPI 6.5 5.2.6) and MP structures (MP 1.4, 4.1).
 */
static inline uint8_t fwtable_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

/* Copy len bytes to p; returns len, for a cursor to advance by. */
static inline size_t fwtable_put(uint8_t *p, const void *src, size_t len)
{
	memcpy(p, src, len);
	return len;
}

#endif
