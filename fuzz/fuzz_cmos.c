/* SPDX-License-Identifier: MIT */
/* libFuzzer target: CMOS/RTC accesses, host clock jumps and damaged snapshots. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/cmos.h"

/*
 * Input: operations until the bytes run out; one byte [7:5 size index][2 port]
 * [1:0 kind], then:
 *   kind 0, read:     nothing
 *   kind 1, write:    the access's bytes
 *   kind 2, clock:    4 bytes, a signed jump of the host clock in milliseconds
 *   kind 3, restore:  16 bytes XORed into a saved state's index, flags and clock
 *                     offset (the RAM is any bytes anyway), then restored
 * Oracle: ASan/UBSan (the clock arithmetic must never overflow) and no failure but
 * for sizes no bus makes.
 */

#define OP_KIND_MASK  0x03
#define OP_PORT_BIT   0x04
#define OP_SIZE_SHIFT 5
#define NS_PER_MS     1000000LL
#define CLOCK_START   1773500966000000000LL /* 2026-03-14 */
#define CLOCK_MAX     (1LL << 62)	    /* the fake clock stays far from overflow */

enum { OP_READ, OP_WRITE, OP_CLOCK, OP_RESTORE };

static const uint32_t sizes[8] = { 1, 2, 1, 1, 4, 8, 0, 9 };

static int64_t fake_clock;

static int64_t fake_now(void *opaque)
{
	(void)opaque;
	return fake_clock;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cmos_ops ops = { .now_ns = fake_now };
	struct cmos_state st;
	struct cmos c;
	uint8_t buf[16];
	size_t pos = 0;

	fake_clock = CLOCK_START;
	cmos_init(&c, &ops, (uint64_t)size << 20);
	while (pos < size) {
		uint8_t op = data[pos++];
		uint64_t port = (op & OP_PORT_BIT) ? 1 : 0;
		uint32_t len = sizes[op >> OP_SIZE_SHIFT];
		size_t n;
		int32_t ms;
		int ret = 0;

		memset(buf, 0, sizeof(buf));
		switch (op & OP_KIND_MASK) {
		case OP_READ:
			ret = cmos_read(&c, port, buf, len);
			break;
		case OP_WRITE:
			n = len < size - pos ? len : size - pos;
			memcpy(buf, data + pos, n);
			pos += n;
			ret = cmos_write(&c, port, buf, len);
			break;
		case OP_CLOCK:
			n = sizeof(ms) < size - pos ? sizeof(ms) : size - pos;
			memcpy(buf, data + pos, n);
			pos += n;
			memcpy(&ms, buf, sizeof(ms));
			fake_clock += (int64_t)ms * NS_PER_MS;
			if (fake_clock < 0 || fake_clock > CLOCK_MAX)
				fake_clock = CLOCK_START;
			break;
		default:
			cmos_save(&c, &st);
			for (size_t i = 0; i < 16 && pos < size; i++)
				((uint8_t *)&st)[CMOS_SIZE + i] ^= data[pos++];
			cmos_restore(&c, &st);
			break;
		}
		if (ret && len >= 1 && len <= 8)
			abort();
	}
	cmos_destroy(&c);
	return 0;
}
