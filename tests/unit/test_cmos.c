/* SPDX-License-Identifier: MIT */
/* Unit tests of the MC146818A RTC and CMOS model (src/devices/cmos.c) with a fake clock. */
#include "unit.h"

#include <errno.h>

#include "arch/x86/layout.h"
#include "devices/cmos.h"
#include "error.h"

#define NS	    1000000000LL
#define T_SATURDAY  1773500966LL /* 2026-03-14 15:09:26 UTC, a Saturday */
#define T_MIDNIGHT  1773446400LL /* 2026-03-14 00:00:00 */
#define T_NOON	    1773489600LL /* 2026-03-14 12:00:00 */
#define T_JAN31	    1769903998LL /* 2026-01-31 23:59:58 */
#define T_2030	    1897372800LL /* 2030-02-15 08:00:00, a Friday */
#define MID_SECOND  (NS / 2)
#define DATA	    (PORT_CMOS_DATA - PORT_CMOS_INDEX)
#define WEEKDAY_SAT 7
#define WEEKDAY_FRI 6

struct fixture {
	int64_t now; /* the fake host clock, ns */
	struct cmos cmos;
};

static int64_t fake_now(void *opaque)
{
	return ((struct fixture *)opaque)->now;
}

static int setup_at(void **state, int64_t seconds, uint64_t ram_size)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cmos_ops ops = { .now_ns = fake_now };

	if (!f)
		return -1;
	ops.opaque = f;
	f->now = seconds * NS + MID_SECOND;
	cmos_init(&f->cmos, &ops, ram_size);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_at(state, T_SATURDAY, 128 * LAYOUT_MIB);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cmos_destroy(&f->cmos);
	free(f);
	return 0;
}

static uint8_t rd(struct fixture *f, uint8_t reg)
{
	uint8_t v = 0;

	assert_int_equal(cmos_write(&f->cmos, 0, &reg, 1), 0);
	assert_int_equal(cmos_read(&f->cmos, DATA, &v, 1), 0);
	return v;
}

static void wr(struct fixture *f, uint8_t reg, uint8_t value)
{
	assert_int_equal(cmos_write(&f->cmos, 0, &reg, 1), 0);
	assert_int_equal(cmos_write(&f->cmos, DATA, &value, 1), 0);
}

struct clock_regs {
	uint8_t sec, min, hour, wday, day, month, year, century;
};

static void expect_clock(struct fixture *f, struct clock_regs want)
{
	struct clock_regs got = {
		rd(f, CMOS_SECONDS), rd(f, CMOS_MINUTES), rd(f, CMOS_HOURS), rd(f, CMOS_WEEKDAY),
		rd(f, CMOS_DAY),     rd(f, CMOS_MONTH),	  rd(f, CMOS_YEAR),  rd(f, CMOS_CENTURY),
	};

	if (memcmp(&got, &want, sizeof(got)))
		fail_msg("clock %02x:%02x:%02x wd %02x %02x.%02x.%02x%02x, expected "
			 "%02x:%02x:%02x wd %02x %02x.%02x.%02x%02x",
			 got.hour, got.min, got.sec, got.wday, got.day, got.month, got.century,
			 got.year, want.hour, want.min, want.sec, want.wday, want.day, want.month,
			 want.century, want.year);
}

/* --- time formats ----------------------------------------------------------- */

static void test_bcd_24h_by_default(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, CMOS_STATUS_B), CMOS_B_24H);
	expect_clock(f,
		     (struct clock_regs){ 0x26, 0x09, 0x15, WEEKDAY_SAT, 0x14, 0x03, 0x26, 0x20 });
}

static void test_binary(void **state)
{
	struct fixture *f = *state;

	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_BINARY);
	expect_clock(f, (struct clock_regs){ 26, 9, 15, WEEKDAY_SAT, 14, 3, 26, 20 });
}

static void test_12_hour(void **state)
{
	struct fixture *f = *state;

	/* BCD: 15:09 is 3 PM, PM in bit 7. */
	wr(f, CMOS_STATUS_B, 0);
	assert_int_equal(rd(f, CMOS_HOURS), CMOS_HOURS_PM | 0x03);
	/* Midnight is 12 AM, noon 12 PM. */
	f->now = T_MIDNIGHT * NS;
	assert_int_equal(rd(f, CMOS_HOURS), 0x12);
	f->now = T_MIDNIGHT * NS + 3600 * NS;
	assert_int_equal(rd(f, CMOS_HOURS), 0x01);
	f->now = T_NOON * NS;
	assert_int_equal(rd(f, CMOS_HOURS), CMOS_HOURS_PM | 0x12);
	/* Binary 12-hour. */
	wr(f, CMOS_STATUS_B, CMOS_B_BINARY);
	assert_int_equal(rd(f, CMOS_HOURS), CMOS_HOURS_PM | 12);
	f->now = T_SATURDAY * NS;
	assert_int_equal(rd(f, CMOS_HOURS), CMOS_HOURS_PM | 3);
	f->now = T_MIDNIGHT * NS;
	assert_int_equal(rd(f, CMOS_HOURS), 12);
}

static void test_clock_follows_the_host(void **state)
{
	struct fixture *f = *state;

	f->now += 35 * NS; /* 15:10:01 */
	expect_clock(f,
		     (struct clock_regs){ 0x01, 0x10, 0x15, WEEKDAY_SAT, 0x14, 0x03, 0x26, 0x20 });
	/* Across midnight and into the next month. */
	f->now = T_JAN31 * NS + 3 * NS;
	expect_clock(f, (struct clock_regs){ 0x01, 0x00, 0x00, 0x01, 0x01, 0x02, 0x26, 0x20 });
}

/* --- the index port --------------------------------------------------------- */

static void test_index_port(void **state)
{
	struct fixture *f = *state;
	uint8_t v, index = CMOS_NMI_DISABLE | 0x40;

	/* Bit 7 disables NMI and is not part of the index. */
	assert_false(cmos_nmi_disabled(&f->cmos));
	assert_int_equal(cmos_write(&f->cmos, 0, &index, 1), 0);
	v = 0x5a;
	assert_int_equal(cmos_write(&f->cmos, DATA, &v, 1), 0);
	assert_true(cmos_nmi_disabled(&f->cmos));
	assert_int_equal(rd(f, 0x40), 0x5a);
	assert_false(cmos_nmi_disabled(&f->cmos));
	/* Every index lands in the 128 bytes: 0xff is 0x7f. */
	wr(f, 0xff, 0x77);
	assert_int_equal(rd(f, 0x7f), 0x77);
	/* The index port is write-only. */
	assert_int_equal(cmos_read(&f->cmos, 0, &v, 1), 0);
	assert_int_equal(v, 0xff);
}

static void test_wide_accesses(void **state)
{
	struct fixture *f = *state;
	uint8_t w[2] = { CMOS_SHUTDOWN, 0xab }, r[8];

	/* outw 0x70: index, then data, as an ISA bus splits it. */
	assert_int_equal(cmos_write(&f->cmos, 0, w, 2), 0);
	assert_int_equal(rd(f, CMOS_SHUTDOWN), 0xab);
	assert_int_equal(cmos_read(&f->cmos, 0, r, 2), 0);
	assert_int_equal(r[0], 0xff);
	assert_int_equal(r[1], 0xab);
	/* Sizes a bus never makes are a VMM bug. */
	assert_int_equal(cmos_read(&f->cmos, 0, r, 0), -EINVAL);
	assert_int_equal(cmos_write(&f->cmos, 0, r, 9), -EINVAL);
	/* Beyond the two ports: nothing. */
	assert_int_equal(cmos_read(&f->cmos, DATA, r, 4), 0);
	assert_int_equal(r[1], 0xff);
}

static void test_plain_ram(void **state)
{
	struct fixture *f = *state;
	static const uint8_t regs[] = {
		CMOS_SECONDS_ALARM, CMOS_MINUTES_ALARM, CMOS_HOURS_ALARM, CMOS_SHUTDOWN, 0x40, 0x7f
	};

	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		wr(f, regs[i], (uint8_t)(0x30 + i));
		assert_int_equal(rd(f, regs[i]), 0x30 + i);
	}
}

/* --- memory size registers -------------------------------------------------- */

struct mem_row {
	uint64_t ram;
	unsigned int base_kib, ext_kib, blocks_16m, blocks_4g;
};

static const struct mem_row mem_rows[] = {
	{ 1 * LAYOUT_MIB, 639, 0, 0, 0 },
	{ 16 * LAYOUT_MIB, 639, 15 * 1024, 0, 0 },
	{ 64 * LAYOUT_MIB, 639, 63 * 1024, 48 * 16, 0 },
	{ 65 * LAYOUT_MIB, 639, 0xffff, 49 * 16, 0 }, /* 64 MiB of extended memory: capped */
	{ 128 * LAYOUT_MIB, 639, 0xffff, 112 * 16, 0 },
	{ 3 * LAYOUT_GIB, 639, 0xffff, (3072 - 16) * 16, 0 },
	{ 4 * LAYOUT_GIB, 639, 0xffff, (3072 - 16) * 16, 1024 * 16 }, /* 1 GiB from 4 GiB */
	{ 8 * LAYOUT_GIB, 639, 0xffff, (3072 - 16) * 16, 5 * 1024 * 16 },
};

static void test_memory_sizes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(mem_rows); i++) {
		const struct mem_row *row = &mem_rows[i];
		struct fixture *f;
		unsigned int sum = 0;
		void *st;

		assert_int_equal(setup_at(&st, T_SATURDAY, row->ram), 0);
		f = st;
		assert_int_equal(rd(f, CMOS_BASE_MEM_LO) | rd(f, CMOS_BASE_MEM_HI) << 8,
				 row->base_kib);
		assert_int_equal(rd(f, CMOS_EXT_MEM_LO) | rd(f, CMOS_EXT_MEM_HI) << 8,
				 row->ext_kib);
		assert_int_equal(rd(f, CMOS_EXT_MEM2_LO) | rd(f, CMOS_EXT_MEM2_HI) << 8,
				 row->ext_kib);
		assert_int_equal(rd(f, CMOS_MEM_16M_LO) | rd(f, CMOS_MEM_16M_HI) << 8,
				 row->blocks_16m);
		assert_int_equal(rd(f, CMOS_MEM_4G_LO) | rd(f, CMOS_MEM_4G_MID) << 8 |
					 rd(f, CMOS_MEM_4G_HI) << 16,
				 row->blocks_4g);
		/* The PC/AT checksum over 0x10-0x2d, high byte first. */
		for (uint8_t r = CMOS_CHECKSUM_FROM; r <= CMOS_CHECKSUM_TO; r++)
			sum += rd(f, r);
		assert_int_equal(rd(f, CMOS_CHECKSUM_HI) << 8 | rd(f, CMOS_CHECKSUM_LO), sum);
		assert_int_equal(rd(f, CMOS_EQUIPMENT), CMOS_EQUIPMENT_FPU);
		assert_int_equal(rd(f, CMOS_FLOPPY_TYPES), 0);
		teardown(&st);
	}
}

/* --- status registers -------------------------------------------------------- */

static void test_status_a_b_d(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, CMOS_STATUS_A), 0x26);
	wr(f, CMOS_STATUS_A, 0xaf); /* UIP is read-only */
	assert_int_equal(rd(f, CMOS_STATUS_A), 0x2f);
	assert_int_equal(rd(f, CMOS_STATUS_D), CMOS_D_VRT);
	wr(f, CMOS_STATUS_D, 0);
	assert_int_equal(rd(f, CMOS_STATUS_D), CMOS_D_VRT);
	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_DSE | CMOS_B_SQWE);
	assert_int_equal(rd(f, CMOS_STATUS_B), CMOS_B_24H | CMOS_B_DSE | CMOS_B_SQWE);
	/* SET clears UIE (MC146818A, register B). */
	wr(f, CMOS_STATUS_B, CMOS_B_SET | CMOS_B_UIE | CMOS_B_24H);
	assert_int_equal(rd(f, CMOS_STATUS_B), CMOS_B_SET | CMOS_B_24H);
	wr(f, CMOS_STATUS_B, CMOS_B_UIE | CMOS_B_24H);
	assert_int_equal(rd(f, CMOS_STATUS_B), CMOS_B_UIE | CMOS_B_24H);
}

static void test_uip(void **state)
{
	struct fixture *f = *state;
	int64_t second = T_SATURDAY * NS;

	/* UIP: the last 244 us before each update, so a clear UIP promises 244 us. */
	f->now = second + NS - 244000 - 1;
	assert_int_equal(rd(f, CMOS_STATUS_A), 0x26);
	f->now = second + NS - 244000;
	assert_int_equal(rd(f, CMOS_STATUS_A), CMOS_A_UIP | 0x26);
	f->now = second + NS - 1;
	assert_int_equal(rd(f, CMOS_STATUS_A), CMOS_A_UIP | 0x26);
	assert_int_equal(rd(f, CMOS_SECONDS), 0x26); /* not yet updated */
	f->now = second + NS;
	assert_int_equal(rd(f, CMOS_STATUS_A), 0x26);
	assert_int_equal(rd(f, CMOS_SECONDS), 0x27);
	/* SET stops updates and clears UIP. */
	f->now = second + NS - 1000;
	wr(f, CMOS_STATUS_B, CMOS_B_SET | CMOS_B_24H);
	assert_int_equal(rd(f, CMOS_STATUS_A), 0x26);
}

static void test_status_c_clears_on_read(void **state)
{
	struct fixture *f = *state;

	/* Nothing happened since power-on. */
	assert_int_equal(rd(f, CMOS_STATUS_C), 0);
	/* An update (second boundary) sets UF; the read clears it. */
	f->now += NS;
	assert_int_equal(rd(f, CMOS_STATUS_C), CMOS_C_UF | CMOS_C_PF);
	assert_int_equal(rd(f, CMOS_STATUS_C), 0);
	/* The periodic flag at 1024 Hz: set within 1 ms, not within 0.5 ms of a tick. */
	f->now += 1000000;
	assert_int_equal(rd(f, CMOS_STATUS_C), CMOS_C_PF);
	f->now += 10;
	assert_int_equal(rd(f, CMOS_STATUS_C), 0);
	/* Rate 0: no periodic flag. At rate 15 (2 Hz) a quarter second may hold no tick. */
	wr(f, CMOS_STATUS_A, CMOS_A_DV_32KHZ);
	f->now += NS / 100;
	assert_int_equal(rd(f, CMOS_STATUS_C), 0);
	/* Enabled flags set IRQF. */
	wr(f, CMOS_STATUS_A, CMOS_A_DEFAULT);
	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_PIE);
	f->now += 1000000;
	assert_int_equal(rd(f, CMOS_STATUS_C), CMOS_C_IRQF | CMOS_C_PF);
	wr(f, CMOS_STATUS_A, CMOS_A_DV_32KHZ);
	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_UIE);
	f->now += NS;
	assert_int_equal(rd(f, CMOS_STATUS_C), CMOS_C_IRQF | CMOS_C_UF);
	/* No updates while SET holds them. */
	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_SET);
	f->now += 3 * NS;
	assert_int_equal(rd(f, CMOS_STATUS_C), 0);
	/* Status C is read-only. */
	wr(f, CMOS_STATUS_C, 0xff);
	assert_int_equal(rd(f, CMOS_STATUS_C), 0);
}

static void test_periodic_rates(void **state)
{
	struct fixture *f = *state;
	/*
	 * Rate select -> period: 65536 >> rs Hz, 1 and 2 as 8 and 9 (the rates whose
	 * period is a whole number of ns, so that the test can aim at a tick).
	 */
	static const struct {
		uint8_t rs;
		int64_t period;
	} rows[] = { { 1, 3906250 }, { 2, 7812500 },   { 7, 1953125 },
		     { 8, 3906250 }, { 10, 15625000 }, { 15, 500000000 } };

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		int64_t tick;

		wr(f, CMOS_STATUS_A, CMOS_A_DV_32KHZ | rows[i].rs);
		/* Start right after a tick (ticks are aligned to the epoch). */
		tick = (T_SATURDAY * NS / rows[i].period + 1) * rows[i].period;
		f->now = tick + 1;
		rd(f, CMOS_STATUS_C);
		f->now = tick + rows[i].period - 2;
		if (rd(f, CMOS_STATUS_C) & CMOS_C_PF)
			fail_msg("rate %u: a tick before its period", rows[i].rs);
		f->now = tick + rows[i].period + 2;
		if (!(rd(f, CMOS_STATUS_C) & CMOS_C_PF))
			fail_msg("rate %u: no tick after its period", rows[i].rs);
	}
}

/* --- setting the clock -------------------------------------------------------- */

static void test_set_time_with_set_bit(void **state)
{
	struct fixture *f = *state;

	f->now = T_JAN31 * NS + MID_SECOND;
	wr(f, CMOS_STATUS_B, CMOS_B_SET | CMOS_B_24H);
	/* Frozen while SET is held. */
	f->now += 5 * NS;
	expect_clock(f,
		     (struct clock_regs){ 0x58, 0x59, 0x23, WEEKDAY_SAT, 0x31, 0x01, 0x26, 0x20 });
	/* Raw registers while SET: February 31st may exist for a moment. */
	wr(f, CMOS_MONTH, 0x02);
	assert_int_equal(rd(f, CMOS_DAY), 0x31);
	wr(f, CMOS_DAY, 0x15);
	wr(f, CMOS_YEAR, 0x30);
	wr(f, CMOS_HOURS, 0x08);
	wr(f, CMOS_MINUTES, 0x00);
	wr(f, CMOS_SECONDS, 0x00);
	wr(f, CMOS_WEEKDAY, 0x03); /* wrong: the date decides */
	assert_int_equal(rd(f, CMOS_WEEKDAY), 0x03);
	wr(f, CMOS_STATUS_B, CMOS_B_24H);
	expect_clock(f,
		     (struct clock_regs){ 0x00, 0x00, 0x08, WEEKDAY_FRI, 0x15, 0x02, 0x30, 0x20 });
	/* And it runs on from there. */
	f->now += 65 * NS;
	expect_clock(f,
		     (struct clock_regs){ 0x05, 0x01, 0x08, WEEKDAY_FRI, 0x15, 0x02, 0x30, 0x20 });
	/* Format bits apply to what the guest writes while SET: binary 12-hour, 9 PM. */
	wr(f, CMOS_STATUS_B, CMOS_B_SET | CMOS_B_BINARY);
	assert_int_equal(rd(f, CMOS_HOURS), 8); /* 8 AM, frozen in the new format */
	wr(f, CMOS_HOURS, CMOS_HOURS_PM | 9);
	wr(f, CMOS_STATUS_B, CMOS_B_BINARY);
	assert_int_equal(rd(f, CMOS_HOURS), CMOS_HOURS_PM | 9);
	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_BINARY);
	assert_int_equal(rd(f, CMOS_HOURS), 21);
	/* 12 AM is hour 0 and 12 PM hour 12 (BCD 12-hour). */
	wr(f, CMOS_STATUS_B, CMOS_B_SET);
	wr(f, CMOS_HOURS, 0x12);
	wr(f, CMOS_STATUS_B, 0);
	wr(f, CMOS_STATUS_B, CMOS_B_24H);
	assert_int_equal(rd(f, CMOS_HOURS), 0x00);
	wr(f, CMOS_STATUS_B, CMOS_B_SET);
	wr(f, CMOS_HOURS, CMOS_HOURS_PM | 0x12);
	wr(f, CMOS_STATUS_B, 0);
	wr(f, CMOS_STATUS_B, CMOS_B_24H);
	assert_int_equal(rd(f, CMOS_HOURS), 0x12);
	/* The bytes are read in the format selected when SET clears, as on the chip. */
	wr(f, CMOS_STATUS_B, CMOS_B_SET);
	wr(f, CMOS_HOURS, 0x12);
	wr(f, CMOS_STATUS_B, CMOS_B_24H);
	assert_int_equal(rd(f, CMOS_HOURS), 0x12);
}

static void test_set_time_while_running(void **state)
{
	struct fixture *f = *state;

	/* Without SET a field takes effect at once; the rest keep running. */
	wr(f, CMOS_MINUTES, 0x45);
	expect_clock(f,
		     (struct clock_regs){ 0x26, 0x45, 0x15, WEEKDAY_SAT, 0x14, 0x03, 0x26, 0x20 });
	wr(f, CMOS_CENTURY, 0x21);
	assert_int_equal(rd(f, CMOS_CENTURY), 0x21);
	assert_int_equal(rd(f, CMOS_YEAR), 0x26);
	f->now += NS;
	assert_int_equal(rd(f, CMOS_SECONDS), 0x27);
	/* The weekday is derived from the date. */
	wr(f, CMOS_WEEKDAY, 0x01);
	assert_int_equal(rd(f, CMOS_WEEKDAY), 5); /* 2126-03-14 is a Thursday */
}

static void test_hostile_clock_values(void **state)
{
	struct fixture *f = *state;
	static const uint8_t formats[] = { CMOS_B_24H, 0, CMOS_B_BINARY,
					   CMOS_B_BINARY | CMOS_B_24H };
	static const uint8_t garbage[] = { 0x00, 0x99, 0xff, 0x7f, 0xa0, 0x80 };
	static const uint8_t regs[] = { CMOS_SECONDS, CMOS_MINUTES, CMOS_HOURS,	 CMOS_DAY,
					CMOS_MONTH,   CMOS_YEAR,    CMOS_CENTURY };

	/* Any bytes in any format: no crash, no undefined behaviour (UBSan), a clock. */
	for (size_t fm = 0; fm < ARRAY_SIZE(formats); fm++) {
		for (size_t g = 0; g < ARRAY_SIZE(garbage); g++) {
			wr(f, CMOS_STATUS_B, CMOS_B_SET | formats[fm]);
			for (size_t r = 0; r < ARRAY_SIZE(regs); r++)
				wr(f, regs[r], garbage[g]);
			wr(f, CMOS_STATUS_B, formats[fm]);
			for (size_t r = 0; r < ARRAY_SIZE(regs); r++) {
				rd(f, regs[r]);
				wr(f, regs[r], garbage[g]); /* running */
			}
			rd(f, CMOS_WEEKDAY);
			rd(f, CMOS_STATUS_C);
		}
	}
}

/* --- save and restore --------------------------------------------------------- */

static void test_save_restore(void **state)
{
	struct fixture *f = *state;
	struct cmos_state saved, again, bad;
	struct cmos other;
	struct cmos_ops ops = { .now_ns = fake_now, .opaque = f };

	wr(f, CMOS_MINUTES, 0x33);
	wr(f, 0x50, 0x99);
	wr(f, CMOS_STATUS_B, CMOS_B_24H | CMOS_B_BINARY);
	rd(f, CMOS_NMI_DISABLE | 0x20);
	cmos_save(&f->cmos, &saved);
	assert_int_equal(saved.index, 0x20);
	assert_int_equal(saved.nmi_disabled, 1);

	cmos_init(&other, &ops, LAYOUT_MIB);
	assert_int_equal(cmos_restore(&other, &saved), 0);
	cmos_save(&other, &again);
	assert_memory_equal(&saved, &again, sizeof(saved));
	{
		uint8_t reg = CMOS_MINUTES, v;

		assert_int_equal(cmos_write(&other, 0, &reg, 1), 0);
		assert_int_equal(cmos_read(&other, DATA, &v, 1), 0);
		assert_int_equal(v, 33); /* binary now, and the guest's time */
	}

	/* Damaged states are refused and change nothing. */
	cmos_save(&other, &saved);
	bad = saved;
	bad.reserved[2] = 1;
	assert_int_equal(cmos_restore(&other, &bad), -EINVAL);
	bad = saved;
	bad.index = 0x80;
	assert_int_equal(cmos_restore(&other, &bad), -EINVAL);
	bad = saved;
	bad.nmi_disabled = 2;
	assert_int_equal(cmos_restore(&other, &bad), -EINVAL);
	bad = saved;
	bad.offset_s = INT64_MAX; /* would overflow the clock arithmetic */
	assert_int_equal(cmos_restore(&other, &bad), -EINVAL);
	assert_contains(error_message(), "offset");
	bad.offset_s = INT64_MIN;
	assert_int_equal(cmos_restore(&other, &bad), -EINVAL);
	cmos_save(&other, &again);
	assert_memory_equal(&saved, &again, sizeof(saved));
	cmos_destroy(&other);
}

static void test_default_clock_is_the_hosts(void **state)
{
	struct cmos c;
	uint8_t reg = CMOS_CENTURY, v;

	(void)state;
	cmos_init(&c, NULL, LAYOUT_MIB);
	assert_int_equal(cmos_write(&c, 0, &reg, 1), 0);
	assert_int_equal(cmos_read(&c, DATA, &v, 1), 0);
	assert_int_equal(v, 0x20); /* this century, in BCD */
	cmos_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bcd_24h_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_hour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_follows_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_ram, setup, teardown),
		cmocka_unit_test(test_memory_sizes),
		cmocka_unit_test_setup_teardown(test_status_a_b_d, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_c_clears_on_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_time_with_set_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_time_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_clock_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_restore, setup, teardown),
		cmocka_unit_test(test_default_clock_is_the_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
