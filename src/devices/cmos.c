/* SPDX-License-Identifier: MIT */
/* MC146818A RTC and CMOS RAM (Motorola MC146818A datasheet; IBM PC AT Technical Reference). */
#include "devices/cmos.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "arch/x86/layout.h"
#include "error.h"

#define NS_PER_S	1000000000LL
#define CMOS_MAX_ACCESS 8    /* bytes: the widest access a bus makes */
#define CMOS_INDEX_READ 0xff /* the index port is write-only */
#define BCD_MAX		99   /* two BCD digits */
#define MEM_16M		(16 * LAYOUT_MIB)
#define MEM_BLOCK	(64 * LAYOUT_KIB) /* unit of 0x34/0x35 and 0x5b-0x5d */
#define MEM_16BIT_MAX	0xffffu
#define MEM_24BIT_MAX	0xffffffu
/* Guest clock offsets: the registers reach year 25755 at most (8.1e11 s). */
#define CMOS_OFFSET_MAX_S 1000000000000LL
/*
 * Periodic rates with the 32.768 kHz time base (datasheet, "Periodic interrupt rate"
 * table): rate select n >= 3 ticks at 65536 >> n Hz; 1 and 2 are the rates of 8 and 9.
 */
#define RS_TICK_HZ_SHIFT 16
#define RS_LOW_ALIAS	 7

static int64_t host_clock(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t now_ns(const struct cmos *c)
{
	return c->ops.now_ns(c->ops.opaque);
}

static bool set_mode(const struct cmos *c)
{
	return c->ram[CMOS_STATUS_B] & CMOS_B_SET;
}

/* --- encoding, per status B's DM and 24/12 bits ---------------------------------- */

static uint8_t encode(const struct cmos *c, unsigned int value)
{
	if (c->ram[CMOS_STATUS_B] & CMOS_B_BINARY)
		return (uint8_t)value;
	return (uint8_t)(((value / 10) % 10) << 4 | value % 10);
}

static unsigned int decode(const struct cmos *c, uint8_t raw)
{
	if (c->ram[CMOS_STATUS_B] & CMOS_B_BINARY)
		return raw;
	return (raw >> 4) * 10u + (raw & 0x0f);
}

static uint8_t encode_hours(const struct cmos *c, unsigned int hour)
{
	unsigned int h12;

	if (c->ram[CMOS_STATUS_B] & CMOS_B_24H)
		return encode(c, hour);
	/* 12-hour: 12 AM is midnight, 12 PM noon; PM in bit 7 in both formats. */
	h12 = hour % 12 ? hour % 12 : 12;
	return encode(c, h12) | (hour >= 12 ? CMOS_HOURS_PM : 0);
}

static unsigned int decode_hours(const struct cmos *c, uint8_t raw)
{
	unsigned int hour;

	if (c->ram[CMOS_STATUS_B] & CMOS_B_24H)
		return decode(c, raw);
	hour = decode(c, raw & ~CMOS_HOURS_PM) % 12;
	return raw & CMOS_HOURS_PM ? hour + 12 : hour;
}

/* The clock registers for guest time guest_s (UTC), into regs[] at their indexes. */
static void encode_time(const struct cmos *c, int64_t guest_s, uint8_t *regs)
{
	time_t t = (time_t)guest_s;
	struct tm tm;
	long year;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	/* A guest may set any year the registers hold; keep the arithmetic non-negative. */
	year = tm.tm_year + 1900L;
	if (year < 0)
		year = 0;
	regs[CMOS_SECONDS] = encode(c, (unsigned int)tm.tm_sec);
	regs[CMOS_MINUTES] = encode(c, (unsigned int)tm.tm_min);
	regs[CMOS_HOURS] = encode_hours(c, (unsigned int)tm.tm_hour);
	regs[CMOS_WEEKDAY] = encode(c, (unsigned int)tm.tm_wday + 1);
	regs[CMOS_DAY] = encode(c, (unsigned int)tm.tm_mday);
	regs[CMOS_MONTH] = encode(c, (unsigned int)tm.tm_mon + 1);
	regs[CMOS_YEAR] = encode(c, (unsigned int)(year % 100));
	regs[CMOS_CENTURY] = encode(c, (unsigned int)(year / 100));
}

/* Guest time (UTC seconds) from the clock registers in regs[]; the weekday is derived. */
static int64_t decode_time(const struct cmos *c, const uint8_t *regs)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = (int)decode(c, regs[CMOS_SECONDS]);
	tm.tm_min = (int)decode(c, regs[CMOS_MINUTES]);
	tm.tm_hour = (int)decode_hours(c, regs[CMOS_HOURS]);
	tm.tm_mday = (int)decode(c, regs[CMOS_DAY]);
	tm.tm_mon = (int)decode(c, regs[CMOS_MONTH]) - 1;
	tm.tm_year = (int)(decode(c, regs[CMOS_CENTURY]) * 100 + decode(c, regs[CMOS_YEAR])) - 1900;
	/* Out-of-range fields (month 0, 31 February ...) roll over, as timegm() does. */
	return (int64_t)timegm(&tm);
}

static bool is_time_register(unsigned int reg)
{
	switch (reg) {
	case CMOS_SECONDS:
	case CMOS_MINUTES:
	case CMOS_HOURS:
	case CMOS_WEEKDAY:
	case CMOS_DAY:
	case CMOS_MONTH:
	case CMOS_YEAR:
	case CMOS_CENTURY:
		return true;
	}
	return false;
}

static int64_t guest_seconds(const struct cmos *c, int64_t host_ns)
{
	return floor_div(host_ns, NS_PER_S) + c->offset_s;
}

/* --- status registers ------------------------------------------------------------ */

static uint8_t status_a(const struct cmos *c, int64_t host_ns)
{
	uint8_t a = c->ram[CMOS_STATUS_A] & CMOS_A_WRITABLE;
	int64_t phase = host_ns - floor_div(host_ns, NS_PER_S) * NS_PER_S;

	/* SET inhibits updates and clears UIP. */
	if (!set_mode(c) && phase >= NS_PER_S - CMOS_UIP_NS)
		a |= CMOS_A_UIP;
	return a;
}

/* The periodic tick count at host_ns for rate select rs (1 .. 15). */
static int64_t periodic_ticks(int64_t host_ns, unsigned int rs)
{
	unsigned int shift = rs < 3 ? rs + RS_LOW_ALIAS : rs;
	__int128 scaled = (__int128)host_ns << RS_TICK_HZ_SHIFT;
	__int128 period = (__int128)NS_PER_S << shift;
	__int128 q = scaled / period;

	if (scaled % period && scaled < 0)
		q--;
	return (int64_t)q;
}

/* Status C: flags since the last read, which clears them (and IRQF with them). */
static uint8_t status_c(struct cmos *c, int64_t host_ns)
{
	unsigned int rs = c->ram[CMOS_STATUS_A] & CMOS_A_RS_MASK;
	uint8_t b = c->ram[CMOS_STATUS_B], flags = 0;

	if (!set_mode(c) && floor_div(host_ns, NS_PER_S) > floor_div(c->uf_from_ns, NS_PER_S))
		flags |= CMOS_C_UF;
	if (rs && periodic_ticks(host_ns, rs) > periodic_ticks(c->c_read_ns, rs))
		flags |= CMOS_C_PF;
	if (((flags & CMOS_C_UF) && (b & CMOS_B_UIE)) || ((flags & CMOS_C_PF) && (b & CMOS_B_PIE)))
		flags |= CMOS_C_IRQF;
	c->c_read_ns = c->uf_from_ns = host_ns;
	return flags;
}

static void write_status_b(struct cmos *c, uint8_t value, int64_t host_ns)
{
	bool was_set = set_mode(c);

	/* Setting SET clears UIE (datasheet, register B). */
	if (value & CMOS_B_SET)
		value &= ~CMOS_B_UIE;
	c->ram[CMOS_STATUS_B] = value;
	if (!was_set && (value & CMOS_B_SET)) {
		/* Updates stop: the registers hold the time now, for the guest to change. */
		encode_time(c, guest_seconds(c, host_ns), c->ram);
	} else if (was_set && !(value & CMOS_B_SET)) {
		/* Updates resume from what the guest wrote, in the format now selected. */
		c->offset_s = decode_time(c, c->ram) - floor_div(host_ns, NS_PER_S);
		c->uf_from_ns = host_ns;
	}
}

/* --- registers --------------------------------------------------------------- */

static uint8_t read_register(struct cmos *c, unsigned int reg)
{
	int64_t host_ns = now_ns(c);
	uint8_t regs[CMOS_SIZE];

	if (is_time_register(reg) && !set_mode(c)) {
		encode_time(c, guest_seconds(c, host_ns), regs);
		return regs[reg];
	}
	switch (reg) {
	case CMOS_STATUS_A:
		return status_a(c, host_ns);
	case CMOS_STATUS_C:
		return status_c(c, host_ns);
	case CMOS_STATUS_D:
		return CMOS_D_VRT;
	}
	return c->ram[reg];
}

static void write_register(struct cmos *c, unsigned int reg, uint8_t value)
{
	int64_t host_ns = now_ns(c);
	uint8_t regs[CMOS_SIZE];

	if (is_time_register(reg) && !set_mode(c)) {
		/* A running clock takes the new field at once (the weekday follows the date). */
		encode_time(c, guest_seconds(c, host_ns), regs);
		regs[reg] = value;
		c->offset_s = decode_time(c, regs) - floor_div(host_ns, NS_PER_S);
		return;
	}
	switch (reg) {
	case CMOS_STATUS_A:
		c->ram[reg] = value & CMOS_A_WRITABLE;
		break;
	case CMOS_STATUS_B:
		write_status_b(c, value, host_ns);
		break;
	case CMOS_STATUS_C:
	case CMOS_STATUS_D:
		break; /* read-only */
	default:
		c->ram[reg] = value;
		break;
	}
}

/* --- memory sizes ------------------------------------------------------------ */

static void put16(uint8_t *ram, unsigned int lo, unsigned int value)
{
	ram[lo] = (uint8_t)value;
	ram[lo + 1] = (uint8_t)(value >> 8);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void set_memory_sizes(uint8_t *ram, uint64_t ram_size)
{
	uint64_t below_4g = min_u64(ram_size, LAYOUT_MMIO_HOLE), above_4g = ram_size - below_4g;
	uint64_t ext_kib =
		below_4g > LAYOUT_HIGH_MEM ? (below_4g - LAYOUT_HIGH_MEM) / LAYOUT_KIB : 0;
	uint64_t blocks_16m = below_4g > MEM_16M ? (below_4g - MEM_16M) / MEM_BLOCK : 0;
	uint64_t blocks_4g = min_u64(above_4g / MEM_BLOCK, MEM_24BIT_MAX);
	unsigned int sum = 0;

	/* Conventional memory ends at the EBDA, as in the E820 map (e820.c). */
	put16(ram, CMOS_BASE_MEM_LO, (unsigned int)(min_u64(ram_size, LAYOUT_EBDA) / LAYOUT_KIB));
	put16(ram, CMOS_EXT_MEM_LO, (unsigned int)min_u64(ext_kib, MEM_16BIT_MAX));
	put16(ram, CMOS_EXT_MEM2_LO, (unsigned int)min_u64(ext_kib, MEM_16BIT_MAX));
	put16(ram, CMOS_MEM_16M_LO, (unsigned int)min_u64(blocks_16m, MEM_16BIT_MAX));
	ram[CMOS_MEM_4G_LO] = (uint8_t)blocks_4g;
	ram[CMOS_MEM_4G_MID] = (uint8_t)(blocks_4g >> 8);
	ram[CMOS_MEM_4G_HI] = (uint8_t)(blocks_4g >> 16);
	ram[CMOS_EQUIPMENT] = CMOS_EQUIPMENT_FPU;
	for (unsigned int i = CMOS_CHECKSUM_FROM; i <= CMOS_CHECKSUM_TO; i++)
		sum += ram[i];
	ram[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
	ram[CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

/* --- public API -------------------------------------------------------------- */

void cmos_init(struct cmos *c, const struct cmos_ops *ops, uint64_t ram_size)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	if (ops)
		c->ops = *ops;
	if (!c->ops.now_ns)
		c->ops.now_ns = host_clock;
	c->ram[CMOS_STATUS_A] = CMOS_A_DEFAULT;
	c->ram[CMOS_STATUS_B] = CMOS_B_DEFAULT;
	c->ram[CMOS_STATUS_D] = CMOS_D_VRT;
	set_memory_sizes(c->ram, ram_size);
	c->c_read_ns = c->uf_from_ns = now_ns(c);
}

void cmos_destroy(struct cmos *c)
{
	pthread_mutex_destroy(&c->lock);
}

int cmos_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct cmos *c = opaque;
	uint8_t *out = data;

	if (!size || size > CMOS_MAX_ACCESS)
		return error_set(EINVAL, "CMOS: %u-byte access", size);
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t port = offset + i;

		if (port == PORT_CMOS_DATA - PORT_CMOS_INDEX)
			out[i] = read_register(c, c->index);
		else
			out[i] = CMOS_INDEX_READ;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int cmos_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct cmos *c = opaque;
	const uint8_t *in = data;

	if (!size || size > CMOS_MAX_ACCESS)
		return error_set(EINVAL, "CMOS: %u-byte access", size);
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t port = offset + i;

		if (port == 0) {
			c->index = in[i] & CMOS_INDEX_MASK;
			c->nmi_disabled = in[i] & CMOS_NMI_DISABLE;
		} else if (port == PORT_CMOS_DATA - PORT_CMOS_INDEX) {
			write_register(c, c->index, in[i]);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

bool cmos_nmi_disabled(struct cmos *c)
{
	bool disabled;

	pthread_mutex_lock(&c->lock);
	disabled = c->nmi_disabled;
	pthread_mutex_unlock(&c->lock);
	return disabled;
}

void cmos_save(const struct cmos *c, struct cmos_state *out)
{
	/* Locking does not change the state: the lock is not part of it. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&c->lock;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(lock);
	memcpy(out->ram, c->ram, CMOS_SIZE);
	out->index = c->index;
	out->nmi_disabled = c->nmi_disabled;
	out->offset_s = c->offset_s;
	out->c_read_ns = c->c_read_ns;
	out->uf_from_ns = c->uf_from_ns;
	pthread_mutex_unlock(lock);
}

int cmos_restore(struct cmos *c, const struct cmos_state *in)
{
	for (size_t i = 0; i < sizeof(in->reserved); i++)
		if (in->reserved[i])
			return error_set(EINVAL, "CMOS state: reserved bytes are not zero");
	/* Any clock the registers can hold is within the bound; larger would overflow. */
	if (in->offset_s > CMOS_OFFSET_MAX_S || in->offset_s < -CMOS_OFFSET_MAX_S)
		return error_set(EINVAL, "CMOS state: clock offset %lld s out of range",
				 (long long)in->offset_s);
	if (in->index > CMOS_INDEX_MASK || in->nmi_disabled > 1)
		return error_set(EINVAL, "CMOS state: bad index 0x%02x or NMI flag %u", in->index,
				 in->nmi_disabled);
	pthread_mutex_lock(&c->lock);
	memcpy(c->ram, in->ram, CMOS_SIZE);
	c->ram[CMOS_STATUS_A] &= CMOS_A_WRITABLE;
	c->index = in->index;
	c->nmi_disabled = in->nmi_disabled;
	c->offset_s = in->offset_s;
	c->c_read_ns = in->c_read_ns;
	c->uf_from_ns = in->uf_from_ns;
	pthread_mutex_unlock(&c->lock);
	return 0;
}
