/* SPDX-License-Identifier: MIT */
/* Unit tests of the PIO/MMIO bus (src/bus.c): registration, overlap refusal, lookup, dispatch. */
#include "unit.h"

#include <errno.h>

#include "bus.h"
#include "error.h"

#define DEV_LOG 16

/* A device that records what reached it. */
struct probe_dev {
	int reads, writes;
	uint64_t offset;
	uint32_t size;
	struct bus_regs *regs; /* what a call handler got */
	int calls;
	uint8_t written[8];
	uint8_t value; /* what reads return in every byte */
	int ret;       /* what the handlers return */
};

static int probe_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct probe_dev *d = opaque;

	d->reads++;
	d->offset = offset;
	d->size = size;
	memset(data, d->value, size);
	return d->ret;
}

static int probe_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct probe_dev *d = opaque;

	d->writes++;
	d->offset = offset;
	d->size = size;
	memcpy(d->written, data, size < sizeof(d->written) ? size : sizeof(d->written));
	return d->ret;
}

static int probe_call(void *opaque, uint64_t offset, const void *data, uint32_t size,
		      struct bus_regs *regs)
{
	struct probe_dev *d = opaque;

	d->calls++;
	d->regs = regs;
	return probe_write(opaque, offset, data, size);
}

static struct bus_device probe(const char *name, struct probe_dev *d)
{
	return (struct bus_device){
		.name = name, .read = probe_read, .write = probe_write, .opaque = d
	};
}

static void test_register_and_find(void **state)
{
	struct bus bus = { .name = "pio" };
	struct probe_dev a = { 0 }, b = { 0 };
	struct bus_device uart = probe("uart", &a), hc = probe("hc", &b);
	const struct bus_range *r;

	(void)state;
	assert_int_equal(bus_register(&bus, 0x3f8, 8, &uart), 0);
	assert_int_equal(bus_register(&bus, 0x500, 1, &hc), 0);
	assert_int_equal(bus.nranges, 2);

	r = bus_find(&bus, 0x3f8, 1);
	assert_non_null(r);
	assert_string_equal(r->dev.name, "uart");
	assert_int_equal(r->base, 0x3f8);
	assert_int_equal(r->len, 8);
	assert_ptr_equal(bus_find(&bus, 0x3ff, 1), r);
	assert_ptr_equal(bus_find(&bus, 0x3fc, 4), r);
	assert_string_equal(bus_find(&bus, 0x500, 1)->dev.name, "hc");

	/* Outside, or only partly inside: no device. */
	assert_null(bus_find(&bus, 0x3f7, 1));
	assert_null(bus_find(&bus, 0x400, 1));
	assert_null(bus_find(&bus, 0x3fe, 4));
	assert_null(bus_find(&bus, 0x3f7, 2));
	assert_null(bus_find(&bus, 0x500, 2));
	assert_null(bus_find(&bus, 0x501, 1));
	assert_null(bus_find(&bus, UINT64_MAX, 8));
}

static void test_sorted(void **state)
{
	static const uint64_t bases[] = { 0x70, 0x20, 0x3f8, 0x60, 0x40, 0x500, 0x0 };
	struct bus bus = { .name = "pio" };
	struct probe_dev d = { 0 };
	struct bus_device dev = probe("d", &d);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
		assert_int_equal(bus_register(&bus, bases[i], 2, &dev), 0);
	assert_int_equal(bus.nranges, ARRAY_SIZE(bases));
	for (unsigned int i = 1; i < bus.nranges; i++)
		assert_true(bus.ranges[i - 1].base + bus.ranges[i - 1].len <= bus.ranges[i].base);
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
		assert_int_equal(bus_find(&bus, bases[i] + 1, 1)->base, bases[i]);
}

static void test_overlap_refused(void **state)
{
	static const struct {
		uint64_t base, len;
	} overlapping[] = {
		{ 0x100, 0x10 },  /* the same */
		{ 0x0f8, 0x10 },  /* over the start */
		{ 0x108, 0x10 },  /* over the end */
		{ 0x104, 0x04 },  /* inside */
		{ 0x0f0, 0x40 },  /* around */
		{ 0x10f, 0x01 },  /* the last byte */
		{ 0x0ff, 0x02 },  /* the first byte */
		{ 0x000, 0x300 }, /* around both */
		{ 0x1f0, 0x20 },  /* over the second */
	};
	struct bus bus = { .name = "mmio" };
	struct probe_dev d = { 0 };
	struct bus_device first = probe("first", &d), other = probe("other", &d);

	(void)state;
	assert_int_equal(bus_register(&bus, 0x100, 0x10, &first), 0);
	assert_int_equal(bus_register(&bus, 0x200, 0x10, &first), 0);
	for (size_t i = 0; i < ARRAY_SIZE(overlapping); i++) {
		error_clear();
		if (bus_register(&bus, overlapping[i].base, overlapping[i].len, &other) != -EEXIST)
			fail_msg("[0x%llx, +0x%llx) was not refused",
				 (unsigned long long)overlapping[i].base,
				 (unsigned long long)overlapping[i].len);
		assert_contains(error_message(), "mmio bus: device 'other'");
		assert_contains(error_message(), "overlaps 'first'");
	}
	assert_int_equal(bus.nranges, 2);

	/* Adjacent on both sides is fine. */
	assert_int_equal(bus_register(&bus, 0x0f8, 0x08, &other), 0);
	assert_int_equal(bus_register(&bus, 0x110, 0x10, &other), 0);
	assert_int_equal(bus.nranges, 4);
}

static void test_overlap_message(void **state)
{
	struct bus bus = { .name = "pio" };
	struct probe_dev d = { 0 };
	struct bus_device uart = probe("serial COM1", &d), bad = probe("bad", &d);

	(void)state;
	assert_int_equal(bus_register(&bus, 0x3f8, 8, &uart), 0);
	assert_int_equal(bus_register(&bus, 0x3fc, 8, &bad), -EEXIST);
	assert_string_equal(
		error_message(),
		"pio bus: device 'bad' at [0x3fc, 0x404) overlaps 'serial COM1' at [0x3f8, 0x400)");
}

static void test_bad_ranges(void **state)
{
	struct bus bus = { .name = "pio" };
	struct probe_dev d = { 0 };
	struct bus_device dev = probe("dev", &d);

	(void)state;
	assert_int_equal(bus_register(&bus, 0x10, 0, &dev), -EINVAL);
	assert_contains(error_message(),
			"pio bus: device 'dev' has an empty or wrapping range at 0x10");
	assert_int_equal(bus_register(&bus, UINT64_MAX, 2, &dev), -EINVAL);
	assert_int_equal(bus_register(&bus, 0x8000000000000000ULL, 0x8000000000000000ULL, &dev),
			 -EINVAL);
	assert_int_equal(bus.nranges, 0);
	/* The top of the address space itself is fine. */
	assert_int_equal(bus_register(&bus, UINT64_MAX - 1, 1, &dev), 0);
	assert_non_null(bus_find(&bus, UINT64_MAX - 1, 1));
}

static void test_full(void **state)
{
	struct bus bus = { .name = "pio" };
	struct probe_dev d = { 0 };
	struct bus_device dev = probe("dev", &d);

	(void)state;
	for (unsigned int i = 0; i < BUS_MAX_RANGES; i++)
		assert_int_equal(bus_register(&bus, i * 0x10, 0x10, &dev), 0);
	assert_int_equal(bus_register(&bus, 0x1000, 1, &dev), -ENOSPC);
	assert_contains(error_message(), "no room for device 'dev' (32 ranges taken)");
	assert_int_equal(bus.nranges, BUS_MAX_RANGES);
}

static void test_dispatch(void **state)
{
	struct bus bus = { .name = "pio" };
	struct probe_dev d = { .value = 0x5a };
	struct bus_device dev = probe("dev", &d);
	struct bus_regs regs = { 0 };
	uint32_t word = 0;
	uint16_t half = 0xbeef;

	(void)state;
	assert_int_equal(bus_register(&bus, 0x60, 8, &dev), 0);

	/* The device sees an offset into its own range and the size; never the vCPU. */
	assert_int_equal(bus_read(&bus, 0x64, &word, 4), 0);
	assert_int_equal(word, 0x5a5a5a5a);
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.offset, 4);
	assert_int_equal(d.size, 4);

	assert_int_equal(bus_write(&bus, 0x66, &half, 2, &regs), 0);
	assert_int_equal(d.writes, 1);
	assert_int_equal(d.offset, 6);
	assert_int_equal(d.size, 2);
	assert_int_equal(d.calls, 0); /* a plain write handler: no registers */
	assert_int_equal(d.written[0], 0xef);
	assert_int_equal(d.written[1], 0xbe);

	/* A device's error comes back as it is. */
	d.ret = -EPIPE;
	assert_int_equal(bus_write(&bus, 0x60, &half, 1, NULL), -EPIPE);
	assert_int_equal(bus_read(&bus, 0x60, &word, 1), -EPIPE);
}

static void test_call_gets_the_registers(void **state)
{
	struct bus bus = { .name = "pio" };
	struct probe_dev d = { 0 };
	struct bus_device port = { .name = "hypercall", .call = probe_call, .opaque = &d };
	struct bus_regs regs = { .real_mode = true };
	const uint8_t fn = 7;

	(void)state;
	assert_int_equal(bus_register(&bus, 0x500, 1, &port), 0);
	/* The register-argument port gets the caller's registers ... */
	assert_int_equal(bus_write(&bus, 0x500, &fn, 1, &regs), 0);
	assert_int_equal(d.calls, 1);
	assert_ptr_equal(d.regs, &regs);
	assert_int_equal(d.written[0], fn);
	/* ... and without a vCPU (no registers to give) the write is dropped. */
	assert_int_equal(bus_write(&bus, 0x500, &fn, 1, NULL), 0);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.writes, 1);
}

static void test_unclaimed(void **state)
{
	struct bus bus = { .name = "pio" }, empty = { .name = "mmio" };
	struct probe_dev d = { 0 };
	struct bus_device dev = probe("dev", &d);
	uint64_t data = 0;
	uint8_t bytes[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(bus_register(&bus, 0x60, 4, &dev), 0);

	/* Reads of nothing see all ones, as on an empty ISA bus; writes vanish. */
	assert_int_equal(bus_read(&bus, 0x80, &data, 8), BUS_UNCLAIMED);
	assert_true(data == UINT64_MAX);
	assert_int_equal(bus_read(&bus, 0x80, bytes, 2), BUS_UNCLAIMED);
	assert_int_equal(bytes[0], 0xff);
	assert_int_equal(bytes[1], 0xff);
	assert_int_equal(bytes[2], 3); /* only size bytes */
	assert_int_equal(bus_write(&bus, 0x80, bytes, 1, NULL), BUS_UNCLAIMED);
	/* Straddling the end of a device: unclaimed too, the device never sees it. */
	assert_int_equal(bus_read(&bus, 0x62, &data, 4), BUS_UNCLAIMED);
	assert_int_equal(bus_write(&bus, 0x63, bytes, 2, NULL), BUS_UNCLAIMED);
	assert_int_equal(d.reads + d.writes, 0);

	/* An empty bus. */
	assert_int_equal(bus_read(&empty, 0, &data, 1), BUS_UNCLAIMED);
	assert_int_equal(bus_write(&empty, 0, &data, 1, NULL), BUS_UNCLAIMED);
}

static void test_null_handlers(void **state)
{
	struct bus bus = { .name = "pio" };
	const struct bus_device port80 = { .name = "port 80" };
	uint32_t word = 0;

	(void)state;
	/* A claimed range without handlers: reads all ones, writes dropped, both claimed. */
	assert_int_equal(bus_register(&bus, 0x80, 1, &port80), 0);
	assert_int_equal(bus_read(&bus, 0x80, &word, 1), 0);
	assert_int_equal(word, 0xff);
	assert_int_equal(bus_write(&bus, 0x80, &word, 1, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_find),
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_overlap_message),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_call_gets_the_registers),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_null_handlers),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
