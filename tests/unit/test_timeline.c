/* SPDX-License-Identifier: MIT */
/* Unit tests of the boot timeline (src/timeline.c): first marks win, phases print in order. */
#include "unit.h"

#include <stddef.h>

#include "clock.h"
#include "timeline.h"

#define BOOT_MARKER "Run /init as init process"
/* Timeline times: mini-kvm started at ORIGIN_NS; events some milliseconds later. */
#define NS_PER_MS    NS_PER_MSEC
#define ORIGIN_NS    (5000 * NS_PER_MS)
#define TIMELINE_MAX 4096

/* --- timeline_print() ----------------------------------------------------- */

/* timeline_print()'s output into text (TIMELINE_MAX bytes). */
static void print_timeline(const struct timeline *t, const char *marker, char *text)
{
	FILE *out = fmemopen(text, TIMELINE_MAX, "w");

	assert_non_null(out);
	timeline_print(out, "[1:linux]", t, marker);
	assert_int_equal(fclose(out), 0);
}

/* Index in text of the line containing what, which must exist. */
static ptrdiff_t line_of(const char *text, const char *what)
{
	const char *p = strstr(text, what);

	if (!p)
		fail_msg("no \"%s\" in:\n%s", what, text);
	return p - text;
}

static void test_timeline_first_mark_wins(void **state)
{
	struct timeline t;

	(void)state;
	timeline_init(&t, ORIGIN_NS);
	for (unsigned int i = 0; i < TIMELINE_EVENTS; i++)
		assert_false(t.seen[i]);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 10 * NS_PER_MS, 110);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 20 * NS_PER_MS, 999);
	assert_true(t.seen[TIMELINE_BANNER]);
	/* Relative to the origin. */
	assert_int_equal(t.ns[TIMELINE_BANNER], 10 * NS_PER_MS);
	assert_int_equal(t.exits[TIMELINE_BANNER], 110);
	assert_false(t.seen[TIMELINE_MARKER]);
	/* An event at the origin itself is seen, at 0. */
	timeline_mark(&t, TIMELINE_FIRST_RUN, ORIGIN_NS, 0);
	assert_true(t.seen[TIMELINE_FIRST_RUN]);
	assert_int_equal(t.ns[TIMELINE_FIRST_RUN], 0);
}

static void test_timeline_print(void **state)
{
	char text[TIMELINE_MAX];
	struct timeline t;

	(void)state;
	timeline_init(&t, ORIGIN_NS);
	timeline_mark(&t, TIMELINE_FIRST_RUN, ORIGIN_NS + 1 * NS_PER_MS, 0);
	timeline_mark(&t, TIMELINE_FIRST_BYTE, ORIGIN_NS + 3500000, 10);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 10250000, 110);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 20 * NS_PER_MS, 999);
	timeline_mark(&t, TIMELINE_END, ORIGIN_NS + 50 * NS_PER_MS, 1000);
	print_timeline(&t, BOOT_MARKER, text);

	assert_contains(text, "[1:linux] boot timeline (from mini-kvm's start):\n");
	/* Time and exits since the start, then since the previous event. */
	assert_contains(
		text,
		"  first KVM_RUN                 1.000            0          1.000            0\n");
	assert_contains(
		text,
		"  first serial byte             3.500           10          2.500           10\n");
	assert_contains(
		text,
		"  Linux version                10.250          110          6.750          100\n");
	assert_contains(text, "  marker                            -  (\"" BOOT_MARKER
			      "\" never appeared)\n");
	assert_contains(
		text,
		"  end                          50.000         1000         39.750          890\n");
	/* In the order they happened. */
	assert_true(line_of(text, "first KVM_RUN") < line_of(text, "first serial byte"));
	assert_true(line_of(text, "first serial byte") < line_of(text, "Linux version"));
	assert_true(line_of(text, "Linux version") < line_of(text, "  marker"));
	assert_true(line_of(text, "  marker") < line_of(text, "  end"));

	/* Printed before the VM ended: the missing marker still says so. */
	t.seen[TIMELINE_END] = false;
	print_timeline(&t, BOOT_MARKER, text);
	assert_true(line_of(text, "Linux version") < line_of(text, "never appeared"));
	assert_not_contains(text, "  end ");

	/* Without --boot-marker the marker is not missed. */
	print_timeline(&t, NULL, text);
	assert_not_contains(text, "marker");
	assert_not_contains(text, "never appeared");
}

static void test_timeline_marker_before_banner(void **state)
{
	char text[TIMELINE_MAX];
	struct timeline t;

	(void)state;
	/* A marker the decompressor prints (earlyprintk) comes before the banner. */
	timeline_init(&t, ORIGIN_NS);
	timeline_mark(&t, TIMELINE_FIRST_RUN, ORIGIN_NS + 1 * NS_PER_MS, 0);
	timeline_mark(&t, TIMELINE_MARKER, ORIGIN_NS + 5 * NS_PER_MS, 50);
	timeline_mark(&t, TIMELINE_BANNER, ORIGIN_NS + 8 * NS_PER_MS, 80);
	print_timeline(&t, "Booting the kernel", text);
	assert_true(line_of(text, "  marker") < line_of(text, "Linux version"));
	assert_contains(
		text,
		"  marker                        5.000           50          4.000           50\n");
	assert_contains(
		text,
		"  Linux version                 8.000           80          3.000           30\n");
	/* No phase goes backwards (a negative one would print as 2^64). */
	assert_not_contains(text, "18446744");
}

/* --- the process's start-up timeline ---------------------------------------- */

/* startup_print() or startup_print_json()'s output into text (TIMELINE_MAX bytes). */
static void print_startup(bool json, char *text)
{
	FILE *out;

	memset(text, 0, TIMELINE_MAX); /* glibc's fmemopen() writes no NUL for no output */
	out = fmemopen(text, TIMELINE_MAX, "w");

	assert_non_null(out);
	if (json)
		startup_print_json(out);
	else
		startup_print(out);
	assert_int_equal(fclose(out), 0);
}

/* Start events keep their first time, end events their last; the rest are unseen. */
static void test_startup_first_and_last(void **state)
{
	unsigned int order[STARTUP_EVENTS], n;
	uint64_t ns[STARTUP_EVENTS];

	(void)state;
	startup_begin(ORIGIN_NS);
	startup_mark_at(STARTUP_VM_CREATED, ORIGIN_NS + 3 * NS_PER_MS);
	startup_mark_at(STARTUP_VM_CREATED, ORIGIN_NS + 2 * NS_PER_MS); /* a second guest, first */
	startup_mark_at(STARTUP_VM_CREATED, ORIGIN_NS + 4 * NS_PER_MS);
	startup_mark_at(STARTUP_LAST_EXIT, ORIGIN_NS + 10 * NS_PER_MS);
	startup_mark_at(STARTUP_LAST_EXIT, ORIGIN_NS + 12 * NS_PER_MS);
	startup_mark_at(STARTUP_LAST_EXIT, ORIGIN_NS + 11 * NS_PER_MS);
	startup_mark_at(STARTUP_OPTIONS, ORIGIN_NS + NS_PER_MS);
	startup_mark_at(STARTUP_EXIT, 0);	    /* no time: ignored */
	startup_mark_at(STARTUP_EVENTS, ORIGIN_NS); /* no such event: ignored */
	startup_events(order, &n, ns);
	assert_int_equal(n, 3);
	assert_int_equal(order[0], STARTUP_OPTIONS);
	assert_int_equal(order[1], STARTUP_VM_CREATED);
	assert_int_equal(order[2], STARTUP_LAST_EXIT);
	assert_int_equal(ns[STARTUP_VM_CREATED], 2 * NS_PER_MS);
	assert_int_equal(ns[STARTUP_LAST_EXIT], 12 * NS_PER_MS);
	/* A new timeline forgets the old one's events. */
	startup_begin(ORIGIN_NS);
	startup_events(order, &n, ns);
	assert_int_equal(n, 0);
}

/* Before startup_begin() (or with no origin), marks are ignored: `mini-kvm check`. */
static void test_startup_without_origin(void **state)
{
	unsigned int order[STARTUP_EVENTS], n;
	uint64_t ns[STARTUP_EVENTS];
	char text[TIMELINE_MAX];

	(void)state;
	startup_begin(0);
	startup_mark_at(STARTUP_KVM, ORIGIN_NS);
	startup_events(order, &n, ns);
	assert_int_equal(n, 0);
	print_startup(false, text);
	assert_string_equal(text, "");
	print_startup(true, text);
	assert_string_equal(text, "\"startup\":{\"events\":[]}");
}

/* The table: time since main() and the phase since the event before; JSON in ns. */
static void test_startup_print(void **state)
{
	char text[TIMELINE_MAX];

	(void)state;
	startup_begin(ORIGIN_NS);
	startup_mark_at(STARTUP_KVM, ORIGIN_NS + NS_PER_MS);
	startup_mark_at(STARTUP_FIRST_RUN, ORIGIN_NS + 3 * NS_PER_MS + 500000);
	startup_mark_at(STARTUP_EXIT, ORIGIN_NS + 5 * NS_PER_MS);
	print_startup(false, text);
	assert_contains(text, "start-up timeline (from main()):\n");
	assert_contains(text, "  KVM opened                    1.000          1.000\n");
	assert_contains(text, "  first KVM_RUN                 3.500          2.500\n");
	assert_contains(text, "  exit                          5.000          1.500\n");
	assert_not_contains(text, "VM created");
	print_startup(true, text);
	assert_string_equal(text,
			    "\"startup\":{\"events\":[{\"event\":\"KVM opened\",\"at_ns\":1000000},"
			    "{\"event\":\"first KVM_RUN\",\"at_ns\":3500000},"
			    "{\"event\":\"exit\",\"at_ns\":5000000}]}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline_first_mark_wins),
		cmocka_unit_test(test_timeline_print),
		cmocka_unit_test(test_timeline_marker_before_banner),
		cmocka_unit_test(test_startup_first_and_last),
		cmocka_unit_test(test_startup_without_origin),
		cmocka_unit_test(test_startup_print),
	};

	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
