/* SPDX-License-Identifier: MIT */
/* Unit tests of VM-exit statistics (src/stats.c): counting exits and I/O, merging, the --stats table. */
#include "unit.h"

#include "clock.h"

#include <linux/kvm.h>

#include "stats.h"

#define PORT_COM1_THR 0x3f8
#define PORT_HC	      0x500
#define PORT_POST     0x80
#define MMIO_ADDR     0xfee00000ULL
#define NS_PER_MS     1000000ULL

static struct vcpu_stats *new_stats(void)
{
	struct vcpu_stats *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void test_now_is_monotonic(void **state)
{
	uint64_t a, b;

	(void)state;
	a = now_ns();
	b = now_ns();
	assert_true(a > 0);
	assert_true(b >= a);
}

static void test_add_exit(void **state)
{
	struct vcpu_stats *s = new_stats();

	(void)state;
	stats_add_exit(s, KVM_EXIT_IO, 100, 10);
	stats_add_exit(s, KVM_EXIT_IO, 200, 20);
	stats_add_exit(s, KVM_EXIT_HLT, 1000, 1);
	assert_int_equal(s->exits, 3);
	assert_int_equal(s->run_ns, 1300);
	assert_int_equal(s->vmm_ns, 31);
	assert_int_equal(s->reasons[KVM_EXIT_IO].count, 2);
	assert_int_equal(s->reasons[KVM_EXIT_IO].run_ns, 300);
	assert_int_equal(s->reasons[KVM_EXIT_IO].vmm_ns, 30);
	assert_int_equal(s->reasons[KVM_EXIT_HLT].count, 1);
	assert_int_equal(s->reasons[KVM_EXIT_MMIO].count, 0);

	/* Reasons past the table share its last slot. */
	stats_add_exit(s, STATS_MAX_REASONS, 1, 1);
	stats_add_exit(s, UINT32_MAX, 1, 1);
	assert_int_equal(s->reasons[STATS_MAX_REASONS - 1].count, 2);
	assert_int_equal(s->exits, 5);
	free(s);
}

static void test_add_io(void **state)
{
	struct vcpu_stats *s = new_stats();

	(void)state;
	stats_add_io(s, false, PORT_COM1_THR, true, false, 1, 5);
	stats_add_io(s, false, PORT_COM1_THR, true, false, 3, 5);  /* rep outsb: 3 elements */
	stats_add_io(s, false, PORT_COM1_THR, false, false, 1, 5); /* a read is another key */
	stats_add_io(s, true, PORT_COM1_THR, true, false, 1, 5);   /* so is MMIO */
	assert_int_equal(s->nio, 3);
	assert_int_equal(s->io[0].addr, PORT_COM1_THR);
	assert_false(s->io[0].mmio);
	assert_true(s->io[0].write);
	assert_int_equal(s->io[0].count, 4);
	assert_int_equal(s->io[0].vmm_ns, 10);
	assert_false(s->io[1].write);
	assert_int_equal(s->io[1].count, 1);
	assert_true(s->io[2].mmio);
	assert_int_equal(s->unclaimed, 0);

	/* Unclaimed accesses: counted per element, and flagged. */
	stats_add_io(s, false, PORT_POST, false, true, 2, 1);
	assert_int_equal(s->nio, 4);
	assert_true(s->io[3].unclaimed);
	assert_int_equal(s->unclaimed, 2);
	assert_false(s->io[0].unclaimed);
	free(s);
}

static void test_io_overflow(void **state)
{
	struct vcpu_stats *s = new_stats();

	(void)state;
	for (uint64_t port = 0; port < STATS_MAX_IO; port++)
		stats_add_io(s, false, port, true, false, 1, 1);
	assert_int_equal(s->nio, STATS_MAX_IO);
	assert_int_equal(s->other_io.count, 0);
	/* A new key beyond the table lands in "other"; known keys still count on their own. */
	stats_add_io(s, false, 0x1000, true, false, 2, 7);
	stats_add_io(s, true, 0x0, true, true, 1, 1);
	assert_int_equal(s->nio, STATS_MAX_IO);
	assert_int_equal(s->other_io.count, 3);
	assert_int_equal(s->other_io.vmm_ns, 8);
	assert_int_equal(s->unclaimed, 1);
	stats_add_io(s, false, 5, true, false, 1, 1);
	assert_int_equal(s->io[5].count, 2);
	assert_int_equal(s->other_io.count, 3);
	free(s);
}

static void test_merge(void **state)
{
	struct vcpu_stats *total = new_stats(), *a = new_stats(), *b = new_stats();

	(void)state;
	stats_add_exit(a, KVM_EXIT_IO, 10, 1);
	stats_add_io(a, false, PORT_HC, true, false, 1, 1);
	stats_add_exit(b, KVM_EXIT_IO, 20, 2);
	stats_add_exit(b, KVM_EXIT_HLT, 30, 3);
	stats_add_io(b, false, PORT_HC, true, false, 2, 2);
	stats_add_io(b, false, PORT_POST, true, true, 4, 4);
	b->other_io.count = 6;

	stats_merge(total, a);
	stats_merge(total, b);
	assert_int_equal(total->exits, 3);
	assert_int_equal(total->run_ns, 60);
	assert_int_equal(total->vmm_ns, 6);
	assert_int_equal(total->reasons[KVM_EXIT_IO].count, 2);
	assert_int_equal(total->reasons[KVM_EXIT_IO].run_ns, 30);
	assert_int_equal(total->reasons[KVM_EXIT_HLT].count, 1);
	assert_int_equal(total->nio, 2);
	assert_int_equal(total->io[0].addr, PORT_HC);
	assert_int_equal(total->io[0].count, 3);
	assert_int_equal(total->io[0].vmm_ns, 3);
	assert_int_equal(total->io[1].addr, PORT_POST);
	assert_true(total->io[1].unclaimed);
	assert_int_equal(total->unclaimed, 4);
	assert_int_equal(total->other_io.count, 6);
	free(total);
	free(a);
	free(b);
}

static const char *name_device(uint64_t addr, bool mmio, void *opaque)
{
	(*(int *)opaque)++;
	return !mmio && addr == PORT_HC ? "hypercall" : "";
}

static char *print(const struct vcpu_stats *s, uint64_t wall_ns, int *calls)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	stats_print(out, "[1:hello] vcpu0", s, wall_ns, name_device, calls);
	assert_int_equal(fclose(out), 0);
	return text;
}

/*
 * The row of the table that starts with label must hold exactly the fields
 * in want (NULL-terminated), however wide the columns are.
 */
static void assert_row_list(const char *text, const char *label, const char *const *want)
{
	char key[64], line[256], *field, *save = NULL;
	const char *start, *end;
	unsigned int i = 0;

	snprintf(key, sizeof(key), "\n  %s ", label);
	start = strstr(text, key);
	if (!start)
		fail_msg("no row \"%s\" in:\n%s", label, text);
	start += strlen(key);
	end = strchr(start, '\n');
	assert_non_null(end);
	assert_true((size_t)(end - start) < sizeof(line));
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	for (field = strtok_r(line, " ", &save); field; field = strtok_r(NULL, " ", &save), i++) {
		if (!want[i])
			fail_msg("row \"%s\": extra field \"%s\"", label, field);
		if (strcmp(field, want[i]))
			fail_msg("row \"%s\": field %u is \"%s\", expected \"%s\"", label, i, field,
				 want[i]);
	}
	if (want[i])
		fail_msg("row \"%s\": missing field \"%s\"", label, want[i]);
}

#define assert_row(text, label, ...) \
	assert_row_list((text), (label), (const char *const[]){ __VA_ARGS__, NULL })

static void test_print(void **state)
{
	struct vcpu_stats *s = new_stats();
	int calls = 0;
	char *text;

	(void)state;
	stats_add_exit(s, KVM_EXIT_IO, 2 * NS_PER_MS, NS_PER_MS);
	stats_add_exit(s, KVM_EXIT_IO, 2 * NS_PER_MS, NS_PER_MS);
	stats_add_exit(s, KVM_EXIT_HLT, NS_PER_MS, 0);
	stats_add_exit(s, 200, 0, 0);
	stats_add_io(s, false, PORT_HC, true, false, 2, NS_PER_MS);
	stats_add_io(s, false, PORT_POST, false, true, 3, 0);
	stats_add_io(s, true, MMIO_ADDR, true, false, 1, 0);
	text = print(s, 10 * NS_PER_MS, &calls);

	assert_contains(
		text,
		"[1:hello] vcpu0: 4 exits in 10.000 ms (5.000 ms in KVM_RUN, 2.000 ms in the VMM)\n");
	/* Per reason: count, run ms, vmm ms, average us per exit. */
	assert_row(text, "IO", "2", "4.000", "2.000", "3000.00");
	assert_row(text, "HLT", "1", "1.000", "0.000", "1000.00");
	assert_row(text, "(other)", "1", "0.000", "0.000", "0.00");
	assert_not_contains(text, "MMIO ");
	/* Per port or address: count, vmm ms, device. */
	assert_row(text, "out 0x500", "2", "1.000", "hypercall");
	assert_row(text, "in 0x80", "3", "0.000", "(unclaimed)");
	assert_row(text, "mmio write 0xfee00000", "1", "0.000");
	assert_contains(text, "unclaimed accesses: 3 (reads saw all ones, writes were dropped)");
	/* Unclaimed entries need no device name. */
	assert_int_equal(calls, 2);
	free(text);
	free(s);
}

static void test_print_quiet(void **state)
{
	struct vcpu_stats *s = new_stats();
	int calls = 0;
	char *text;

	(void)state;
	stats_add_exit(s, KVM_EXIT_HLT, 0, 0);
	text = print(s, 0, &calls);
	assert_contains(text, ": 1 exits in 0.000 ms");
	/* No I/O: no port table, no unclaimed line. */
	assert_not_contains(text, "port/address");
	assert_not_contains(text, "unclaimed");
	assert_int_equal(calls, 0);
	free(text);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_now_is_monotonic),
		cmocka_unit_test(test_add_exit),
		cmocka_unit_test(test_add_io),
		cmocka_unit_test(test_io_overflow),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_quiet),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
