/* SPDX-License-Identifier: MIT */
/* Unit tests of the command line's helpers: edit distance and suggestions (src/suggest.c), --trace filters (src/trace.c), --serial specs (src/serial_backend.c). */
#include "unit.h"

#include <errno.h>

#include "error.h"
#include "serial_backend.h"
#include "suggest.h"
#include "trace.h"

#include <linux/kvm.h>

static void test_distance(void **state)
{
	static const struct {
		const char *a, *b;
		size_t d;
	} cases[] = {
		{ "check", "check", 0 },    { "chek", "check", 1 },  { "cehck", "check", 1 },
		{ "", "run", 3 },	    { "rnu", "run", 1 },     { "verison", "version", 1 },
		{ "kitten", "sitting", 3 }, { "ca", "abc", 3 },	     { "help", "", 4 },
		{ "irqchp", "irqchip", 1 }, { "stast", "stats", 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t d = suggest_distance(cases[i].a, cases[i].b);

		if (d != cases[i].d)
			fail_msg("distance(%s, %s) = %zu, expected %zu", cases[i].a, cases[i].b, d,
				 cases[i].d);
		assert_int_equal(suggest_distance(cases[i].b, cases[i].a), d); /* symmetric */
	}
}

static void test_distance_of_long_words(void **state)
{
	char long_word[SUGGEST_MAX_LEN + 2];

	(void)state;
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	assert_true(suggest_distance(long_word, "a") == SUGGEST_FAR);
	long_word[SUGGEST_MAX_LEN] = '\0';
	assert_int_equal(suggest_distance(long_word, long_word), 0);
}

static void test_suggest_word(void **state)
{
	static const char *const commands[] = { "run", "check", "version", "help" };

	(void)state;
	assert_string_equal(suggest_word("chek", commands, 4), "check");
	assert_string_equal(suggest_word("rn", commands, 4), "run");
	assert_string_equal(suggest_word("hlep", commands, 4), "help");
	assert_string_equal(suggest_word("versoin", commands, 4), "version");
	/* Too far, or the word itself: no suggestion. */
	assert_null(suggest_word("launch", commands, 4));
	assert_null(suggest_word("check", commands, 4));
	assert_null(suggest_word("x", commands, 4));
	assert_null(suggest_word("", commands, 4));
	assert_null(suggest_word("chk", commands, 0));
}

/* --trace filters that parse, and what they keep. */
static void test_trace_filter_parse(void **state)
{
	struct trace_filter f;

	(void)state;
	assert_int_equal(trace_filter_parse(NULL, &f), 0);
	assert_true(f.io && f.mmio && f.other && !f.nports && !f.naddrs);
	assert_int_equal(trace_filter_parse("", &f), 0);
	assert_true(f.io && f.mmio && f.other);
	assert_int_equal(trace_filter_parse("io,mmio,port=0x3f8", &f), 0);
	assert_true(f.io && f.mmio && !f.other);
	assert_int_equal(f.nports, 1);
	assert_true(f.ports[0].first == 0x3f8 && f.ports[0].last == 0x3f8);
	assert_int_equal(
		trace_filter_parse("port=0x3f8-0x3ff,port=96,addr=0xd0000000-0xdfffffff", &f), 0);
	assert_true(f.io && f.mmio && !f.other);
	assert_int_equal(f.nports, 2);
	assert_true(f.ports[1].first == 96 && f.ports[1].last == 96);
	assert_true(f.addrs[0].last == 0xdfffffff);
	assert_int_equal(trace_filter_parse("other", &f), 0);
	assert_true(!f.io && !f.mmio && f.other);
	assert_int_equal(trace_filter_parse("all", &f), 0);
	assert_true(f.io && f.mmio && f.other);
}

static const struct bad_filter {
	const char *name;
	const char *text;
	const char *message;
} bad_filters[] = {
	{ "unknown item", "io,bogus", "unknown item 'bogus'" },
	{ "empty item", "io,,mmio", "an empty item" },
	{ "trailing comma", "io,", "an empty item" },
	{ "leading comma", ",io", "an empty item" },
	{ "port without number", "port=", "'port=': not a number" },
	{ "port not a number", "port=com1", "'port=com1'" },
	{ "range backwards", "port=0x3ff-0x3f8", "'port=0x3ff-0x3f8'" },
	{ "range open", "addr=0x1000-", "'addr=0x1000-'" },
	{ "negative", "port=-1", "'port=-1'" },
	{ "overflow", "addr=0x10000000000000000", "'addr=0x10000000000000000'" },
	{ "trailing junk", "port=12x", "'port=12x'" },
	{ "too long", "port=0000000000000000000000000000000000000000000000000000000000000000001",
	  "too long" },
	{ "too many ranges",
	  "port=1,port=2,port=3,port=4,port=5,port=6,port=7,port=8,port=9,port=10,port=11,"
	  "port=12,port=13,port=14,port=15,port=16,port=17",
	  "more than 16" },
};

static void test_trace_filter_rejects(void **state)
{
	const struct bad_filter *row = *state;
	struct trace_filter f;

	error_clear();
	assert_int_equal(trace_filter_parse(row->text, &f), -EINVAL);
	assert_contains(error_message(), row->message);
}

static void test_trace_filter_match(void **state)
{
	struct trace_filter f;

	(void)state;
	assert_int_equal(trace_filter_parse("mmio,port=0x3f8-0x3ff", &f), 0);
	assert_true(trace_filter_match(&f, KVM_EXIT_IO, 0x3f8));
	assert_true(trace_filter_match(&f, KVM_EXIT_IO, 0x3ff));
	assert_false(trace_filter_match(&f, KVM_EXIT_IO, 0x3f7));
	assert_false(trace_filter_match(&f, KVM_EXIT_IO, 0x500));
	assert_true(trace_filter_match(&f, KVM_EXIT_MMIO, 0xfee00000));
	assert_false(trace_filter_match(&f, KVM_EXIT_HLT, 0));
	assert_int_equal(trace_filter_parse("other", &f), 0);
	assert_true(trace_filter_match(&f, KVM_EXIT_HLT, 0));
	assert_true(trace_filter_match(&f, KVM_EXIT_SHUTDOWN, 0));
	assert_false(trace_filter_match(&f, KVM_EXIT_IO, 0x500));
	assert_false(trace_filter_match(&f, KVM_EXIT_MMIO, 0x500));
}

static void test_serial_spec(void **state)
{
	struct serial_spec s;

	(void)state;
	assert_int_equal(serial_spec_parse("stdio", &s), 0);
	assert_int_equal(s.kind, SERIAL_STDIO);
	assert_int_equal(serial_spec_parse("pty", &s), 0);
	assert_int_equal(s.kind, SERIAL_PTY);
	assert_int_equal(serial_spec_parse("file:/tmp/out.txt", &s), 0);
	assert_int_equal(s.kind, SERIAL_FILE);
	assert_string_equal(s.path, "/tmp/out.txt");
	assert_int_equal(serial_spec_parse("file:a,b", &s), 0); /* a comma is a file's */
	assert_string_equal(s.path, "a,b");
	assert_int_equal(serial_spec_parse("unix:/run/vm.sock", &s), 0);
	assert_int_equal(s.kind, SERIAL_UNIX);
	assert_false(s.server);
	assert_string_equal(s.path, "/run/vm.sock");
	assert_int_equal(serial_spec_parse("unix:/run/vm.sock,server", &s), 0);
	assert_true(s.server);
	assert_string_equal(s.path, "/run/vm.sock");
}

static const struct bad_spec {
	const char *name;
	const char *text;
	const char *message;
} bad_specs[] = {
	{ "unknown kind", "tcp:1234", "'tcp:1234': not stdio" },
	{ "empty", "", "not stdio" },
	{ "file without path", "file:", "file:: no path given" },
	{ "unix without path", "unix:", "unix:: no path given" },
	{ "unix server without path", "unix:,server", "unix:: no path given" },
	{ "unknown flag", "unix:/s,nowait", "unknown flag 'nowait'" },
	{ "path too long",
	  "unix:/0123456789012345678901234567890123456789012345678901234567890123456789"
	  "01234567890123456789012345678901234567890123456789",
	  "longer than a Unix socket's 107" },
	{ "stdio with junk", "stdio:", "not stdio" },
};

static void test_serial_spec_rejects(void **state)
{
	const struct bad_spec *row = *state;
	struct serial_spec s;

	error_clear();
	assert_int_equal(serial_spec_parse(row->text, &s), -EINVAL);
	assert_contains(error_message(), row->message);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_distance_of_long_words),
		cmocka_unit_test(test_suggest_word),
		cmocka_unit_test(test_trace_filter_parse),
		cmocka_unit_test(test_trace_filter_match),
		cmocka_unit_test(test_serial_spec),
	};
	struct CMUnitTest filters[ARRAY_SIZE(bad_filters)], specs[ARRAY_SIZE(bad_specs)];
	int failed;

	UNIT_TABLE_CASES(filters, bad_filters, test_trace_filter_rejects);
	UNIT_TABLE_CASES(specs, bad_specs, test_serial_spec_rejects);
	failed = cmocka_run_group_tests_name("cli", plain, NULL, NULL);
	failed += cmocka_run_group_tests_name("bad --trace filters", filters, NULL, NULL);
	failed += cmocka_run_group_tests_name("bad --serial specs", specs, NULL, NULL);
	return failed;
}
