/* Unit tests of the command line parser (src/options.c): flags, sizes, per-guest options, errors. */
#include "unit.h"

#include <errno.h>

#include "error.h"
#include "arch/x86/layout.h"
#include "options.h"
#include "vm.h"

#define PROGRAM	 "mini-kvm"
#define MAX_ARGS (OPTIONS_MAX_GUESTS + 16)

/* argv for options_parse(): the strings are literals, so they outlive the call. */
static char *argv_buf[MAX_ARGS + 2];

static int parse_list(struct options *o, const char *const *args)
{
	int argc = 0;

	argv_buf[argc++] = PROGRAM;
	while (*args) {
		assert_true(argc < MAX_ARGS);
		argv_buf[argc++] = (char *)*args++;
	}
	argv_buf[argc] = NULL;
	error_clear();
	return options_parse(argc, argv_buf, o);
}

/* parse(&opts, "run", "a.bin") parses `mini-kvm run a.bin`. */
#define parse(o, ...) parse_list((o), (const char *const[]){ __VA_ARGS__, NULL })

/* Expect -EINVAL with a message containing want. */
#define assert_usage_error(want, ...)                               \
	do {                                                        \
		struct options o_;                                  \
		assert_int_equal(parse(&o_, __VA_ARGS__), -EINVAL); \
		assert_contains(error_message(), want);             \
	} while (0)

static void test_defaults(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "a.bin"), 0);
	assert_int_equal(o.command, CMD_RUN);
	assert_int_equal(o.mem_size, LAYOUT_MEM_DEFAULT);
	assert_int_equal(o.mem_size, 128 * LAYOUT_MIB);
	assert_int_equal(o.cpus, 1);
	assert_null(o.kernel);
	assert_null(o.initrd);
	assert_null(o.params);
	assert_false(o.stats);
	assert_false(o.trace);
	assert_true(o.timeout == 0);
	assert_int_equal(o.nguests, 1);
	assert_string_equal(o.guests[0].path, "a.bin");
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_AUTO);
	assert_false(o.guests[0].image.has_load);
	assert_false(o.guests[0].image.has_entry);
}

static void test_every_short_flag(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "-m", "256", "-c", "3", "-k", "bzImage"), 0);
	assert_int_equal(o.mem_size, 256 * LAYOUT_MIB);
	assert_int_equal(o.cpus, 3);

	assert_int_equal(
		parse(&o, "run", "-k", "bzImage", "-i", "initrd.img", "-p", "console=ttyS0 quiet"),
		0);
	assert_string_equal(o.kernel, "bzImage");
	assert_string_equal(o.initrd, "initrd.img");
	assert_string_equal(o.params, "console=ttyS0 quiet");
	assert_int_equal(o.nguests, 0);

	/* Clustered: -c2 -m64. */
	assert_int_equal(parse(&o, "run", "-c2", "-m64", "-k", "bzImage"), 0);
	assert_int_equal(o.cpus, 2);
	assert_int_equal(o.mem_size, 64 * LAYOUT_MIB);
}

static void test_every_long_flag(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "--mem", "2G", "--cpus", "1", "--stats", "--trace",
			       "--timeout", "2.5", "--mode", "protected", "--load", "0x2000",
			       "--entry", "0x2010", "g.bin"),
			 0);
	assert_int_equal(o.mem_size, 2 * LAYOUT_GIB);
	assert_int_equal(o.cpus, 1);
	assert_true(o.stats);
	assert_true(o.trace);
	assert_true(o.timeout == 2.5);
	assert_int_equal(o.nguests, 1);
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_PROTECTED);
	assert_true(o.guests[0].image.has_load);
	assert_int_equal(o.guests[0].image.load, 0x2000);
	assert_true(o.guests[0].image.has_entry);
	assert_int_equal(o.guests[0].image.entry, 0x2010);

	assert_int_equal(parse(&o, "run", "--kernel", "bz", "--initrd", "rd", "--params", "x=1"),
			 0);
	assert_string_equal(o.kernel, "bz");
	assert_string_equal(o.initrd, "rd");
	assert_string_equal(o.params, "x=1");

	/* --opt=value, and decimal addresses. */
	assert_int_equal(parse(&o, "run", "--mem=1GiB", "--mode=long", "--entry=4096", "g.bin"), 0);
	assert_int_equal(o.mem_size, LAYOUT_GIB);
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_LONG);
	assert_int_equal(o.guests[0].image.entry, 4096);
	assert_false(o.guests[0].image.has_load);
}

static void test_every_mode(void **state)
{
	static const struct {
		const char *name;
		enum boot_mode mode;
	} modes[] = {
		{ "real", BOOT_MODE_REAL },
		{ "protected", BOOT_MODE_PROTECTED },
		{ "paging", BOOT_MODE_PAGING },
		{ "long", BOOT_MODE_LONG },
	};
	struct options o;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		assert_int_equal(parse(&o, "run", "--mode", modes[i].name, "g.bin"), 0);
		assert_int_equal(o.guests[0].image.mode, modes[i].mode);
	}
}

static void test_sizes_valid(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {
		{ "256", 256 * LAYOUT_MIB },
		{ "1", LAYOUT_MIB },
		{ "512K", 512 * LAYOUT_KIB },
		{ "512k", 512 * LAYOUT_KIB },
		{ "512KiB", 512 * LAYOUT_KIB },
		{ "64M", 64 * LAYOUT_MIB },
		{ "64MB", 64 * LAYOUT_MIB },
		{ "64mib", 64 * LAYOUT_MIB },
		{ "2G", 2 * LAYOUT_GIB },
		{ "1GiB", LAYOUT_GIB },
		{ "1gb", LAYOUT_GIB },
		{ "3072M", 3 * LAYOUT_GIB },
		/* The largest that fits in 64 bits. */
		{ "17179869183G", 17179869183ULL * LAYOUT_GIB },
		{ "17592186044415", 17592186044415ULL * LAYOUT_MIB },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t bytes = 0;

		if (parse_size(sizes[i].text, &bytes))
			fail_msg("parse_size(\"%s\") failed", sizes[i].text);
		if (bytes != sizes[i].bytes)
			fail_msg("parse_size(\"%s\") = %llu, expected %llu", sizes[i].text,
				 (unsigned long long)bytes, (unsigned long long)sizes[i].bytes);
	}
}

static void test_sizes_invalid(void **state)
{
	static const char *const bad[] = {
		"0",
		"0G",
		"00",
		"12Q",
		"",
		"G",
		"K",
		"-1",
		"+1",
		" 1",
		"1 ",
		"1 G",
		"1GiBx",
		"1iB",
		"1KBB",
		"1Gi",
		"1.5G",
		"0x10",
		"1e3",
		/* Overflow: of strtoull, and of the multiplication. */
		"18446744073709551616",
		"99999999999999999999K",
		"17179869184G",
		"17592186044416",
		"18014398509481984K",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t bytes = 0x5a5a;

		if (parse_size(bad[i], &bytes) != -EINVAL)
			fail_msg("parse_size(\"%s\") accepted it", bad[i]);
		if (bytes != 0x5a5a)
			fail_msg("parse_size(\"%s\") wrote a result", bad[i]);
	}
}

static void test_mem_errors(void **state)
{
	(void)state;
	assert_usage_error("--mem '12Q': not a size", "run", "-m", "12Q", "g.bin");
	assert_usage_error("--mem '0': not a size", "run", "--mem", "0", "g.bin");
	assert_usage_error("--mem '17179869184G'", "run", "--mem", "17179869184G", "g.bin");
}

static void test_positional_options(void **state)
{
	struct options o;

	(void)state;
	/* Each setting applies to the GUESTs after it, until changed. */
	assert_int_equal(parse(&o, "run", "a.bin", "--mode", "protected", "b.bin", "c.bin",
			       "--mode", "long", "--load", "0x2000", "d.bin", "--entry", "0x3000",
			       "e.bin"),
			 0);
	assert_int_equal(o.nguests, 5);
	assert_string_equal(o.guests[0].path, "a.bin");
	assert_string_equal(o.guests[4].path, "e.bin");
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_AUTO);
	assert_int_equal(o.guests[1].image.mode, BOOT_MODE_PROTECTED);
	assert_int_equal(o.guests[2].image.mode, BOOT_MODE_PROTECTED);
	assert_false(o.guests[2].image.has_load);
	assert_int_equal(o.guests[3].image.mode, BOOT_MODE_LONG);
	assert_true(o.guests[3].image.has_load);
	assert_int_equal(o.guests[3].image.load, 0x2000);
	assert_false(o.guests[3].image.has_entry);
	assert_int_equal(o.guests[4].image.mode, BOOT_MODE_LONG);
	assert_int_equal(o.guests[4].image.load, 0x2000);
	assert_true(o.guests[4].image.has_entry);
	assert_int_equal(o.guests[4].image.entry, 0x3000);
	for (unsigned int i = 0; i < 3; i++)
		assert_false(o.guests[i].image.has_entry);
}

static void test_trailing_options(void **state)
{
	struct options o;

	(void)state;
	/* After the last GUEST: for every GUEST without its own setting. */
	assert_int_equal(parse(&o, "run", "a.bin", "b.bin", "--mode", "long"), 0);
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_LONG);
	assert_int_equal(o.guests[1].image.mode, BOOT_MODE_LONG);

	assert_int_equal(parse(&o, "run", "--mode", "real", "a.bin", "b.bin", "--mode", "paging",
			       "--load", "0x7c00"),
			 0);
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_REAL);
	assert_int_equal(o.guests[1].image.mode, BOOT_MODE_REAL);
	assert_true(o.guests[0].image.has_load);
	assert_int_equal(o.guests[1].image.load, 0x7c00);

	assert_int_equal(parse(&o, "run", "a.bin", "--entry", "5", "b.bin", "--entry", "7"), 0);
	assert_int_equal(o.guests[0].image.entry, 7);
	assert_int_equal(o.guests[1].image.entry, 5);
}

static void test_trailing_only_what_follows_last_guest(void **state)
{
	struct options o;

	(void)state;
	/* --mode real precedes b.bin only: a.bin gets the trailing --load, not the mode. */
	assert_int_equal(parse(&o, "run", "a.bin", "--mode", "real", "b.bin", "--load", "0x5000"),
			 0);
	assert_int_equal(o.guests[0].image.mode, BOOT_MODE_AUTO);
	assert_true(o.guests[0].image.has_load);
	assert_int_equal(o.guests[0].image.load, 0x5000);
	assert_int_equal(o.guests[1].image.mode, BOOT_MODE_REAL);
	assert_int_equal(o.guests[1].image.load, 0x5000);

	/* --load 0x2000 precedes b.bin only: a.bin gets the trailing --entry alone. */
	assert_int_equal(
		parse(&o, "run", "a.bin", "--load", "0x2000", "b.bin", "--entry", "0x3000"), 0);
	assert_false(o.guests[0].image.has_load);
	assert_true(o.guests[0].image.has_entry);
	assert_int_equal(o.guests[0].image.entry, 0x3000);
	assert_int_equal(o.guests[1].image.load, 0x2000);
	assert_int_equal(o.guests[1].image.entry, 0x3000);
}

static void test_double_dash(void **state)
{
	struct options o;

	(void)state;
	/* "--" ends the options; what follows is GUESTs, even if it looks like an option. */
	assert_int_equal(parse(&o, "run", "--mode", "protected", "a.bin", "--", "-b.bin", "c.bin"),
			 0);
	assert_int_equal(o.nguests, 3);
	assert_string_equal(o.guests[1].path, "-b.bin");
	assert_string_equal(o.guests[2].path, "c.bin");
	assert_int_equal(o.guests[2].image.mode, BOOT_MODE_PROTECTED);

	assert_int_equal(parse(&o, "run", "--stats", "--", "a.bin"), 0);
	assert_int_equal(o.nguests, 1);
	assert_true(o.stats);
	assert_string_equal(o.guests[0].path, "a.bin");
}

static void test_addresses(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "--load", "0xffffffffffffffff", "g.bin"), 0);
	assert_int_equal(o.guests[0].image.load, UINT64_MAX);
	assert_usage_error("--load 'xyz': not an address", "run", "--load", "xyz", "g.bin");
	assert_usage_error("--load '0x': not an address", "run", "--load", "0x", "g.bin");
	assert_usage_error("--load '-1': not an address", "run", "--load", "-1", "g.bin");
	assert_usage_error("--load '0x10000000000000000'", "run", "--load", "0x10000000000000000",
			   "g.bin");
	assert_usage_error("--entry '12ab': not an address", "run", "--entry", "12ab", "g.bin");
	assert_usage_error("--entry '': not an address", "run", "--entry", "", "g.bin");
}

static void test_unknown_option(void **state)
{
	(void)state;
	assert_usage_error("unknown option '--bogus'", "run", "--bogus", "g.bin");
	assert_usage_error("unknown option '-x'", "run", "-x", "g.bin");
	assert_usage_error("unknown option '--stats=1'", "run", "--stats=1", "g.bin");
}

static void test_unknown_option_in_cluster(void **state)
{
	(void)state;
	/* The message names the bad letter, not a neighbouring argument. */
	assert_usage_error("unknown option '-x'", "run", "g.bin", "-xc2");
	assert_not_contains(error_message(), "g.bin");
}

static void test_missing_argument(void **state)
{
	(void)state;
	assert_usage_error("option '--mem' needs an argument", "run", "g.bin", "--mem");
	assert_usage_error("option '-m' needs an argument", "run", "g.bin", "-m");
	assert_usage_error("option '--mode' needs an argument", "run", "g.bin", "--mode");
	assert_usage_error("option '-k' needs an argument", "run", "-k");
}

static void test_unknown_mode(void **state)
{
	(void)state;
	assert_usage_error(
		"--mode: unknown mode 'turbo' (expected real, protected, paging or long)", "run",
		"--mode", "turbo", "g.bin");
	assert_usage_error("unknown mode 'auto'", "run", "--mode", "auto", "g.bin");
	assert_usage_error("unknown mode 'LONG'", "run", "--mode", "LONG", "g.bin");
}

static void test_nothing_to_run(void **state)
{
	(void)state;
	assert_usage_error("nothing to run: give a GUEST file or -k bzImage", "run");
	assert_usage_error("nothing to run", "run", "--stats", "--mode", "long");
}

static void test_kernel_conflicts(void **state)
{
	(void)state;
	assert_usage_error("-k boots one Linux guest; it cannot be combined with GUEST files",
			   "run", "-k", "bzImage", "g.bin");
	assert_usage_error("cannot be combined", "run", "g.bin", "--kernel", "bzImage");
	assert_usage_error("-i and -p need -k (a Linux kernel)", "run", "-i", "rd", "g.bin");
	assert_usage_error("-i and -p need -k", "run", "-p", "quiet", "g.bin");
	assert_usage_error("-i and -p need -k", "run", "--params", "quiet", "--initrd", "rd",
			   "g.bin");
}

static void test_disk_and_irqchip(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "g.bin"), 0);
	assert_null(o.disk);
	assert_false(o.irqchip);
	assert_int_equal(
		parse(&o, "run", "--irqchip", "--disk", "d.tar", "--mode", "long", "g.elf"), 0);
	assert_string_equal(o.disk, "d.tar");
	assert_true(o.irqchip);
	assert_int_equal(parse(&o, "run", "g.elf", "--disk=d.tar"), 0);
	assert_string_equal(o.disk, "d.tar");
	assert_usage_error("--disk: 2 GUESTs given; a disk belongs to one GUEST", "run", "--disk",
			   "d.tar", "a.bin", "b.bin");
	assert_usage_error("--disk: Linux has no driver", "run", "-k", "bz", "--disk", "d.tar");
	assert_usage_error("option '--disk' needs an argument", "run", "g.bin", "--disk");
	/* The second one used to win silently. */
	assert_usage_error("--disk given twice ('a.img', 'b.img'): a guest has one disk", "run",
			   "--disk", "a.img", "--disk", "b.img", "g.bin");
}

static void test_cpus(void **state)
{
	static const char *const bad[] = { "0",	  "255", "4097",
					   "two", "1.5", "-1",
					   "",	  "2x",	 "99999999999999999999" };
	struct options o;

	(void)state;
	/* mini-kvm's limit, checked here once: the tables' 8-bit APIC IDs (vm.h). */
	assert_int_equal(parse(&o, "run", "-c", "254", "-k", "bzImage"), 0);
	assert_int_equal(o.cpus, VM_MAX_VCPUS);
	assert_int_equal(parse(&o, "run", "--cpus", "4", "-k", "bzImage"), 0);
	assert_int_equal(o.cpus, 4);
	assert_int_equal(parse(&o, "run", "-c", "1", "g.bin"), 0);
	assert_int_equal(o.cpus, 1);
	/* Bare guests have no code to start application processors. */
	assert_usage_error("-c 2: several vCPUs need a guest that starts them: -k (Linux)", "run",
			   "-c", "2", "g.bin");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[256];

		snprintf(want, sizeof(want),
			 "--cpus '%s': not a number from 1 to 254 (mini-kvm's limit: its MP table "
			 "and MADT give each vCPU and the I/O APIC an 8-bit xAPIC ID)",
			 bad[i]);
		assert_usage_error(want, "run", "--cpus", bad[i], "g.bin");
	}
}

static void test_timeout(void **state)
{
	static const char *const bad[] = { "0",	  "-1",	 "abc",	 "",	  "1s",
					   "nan", "inf", "-inf", "1e300", "0.0" };
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "--timeout", "0.25", "g.bin"), 0);
	assert_true(o.timeout == 0.25);
	assert_int_equal(parse(&o, "run", "--timeout", "30", "g.bin"), 0);
	assert_true(o.timeout == 30);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[64];

		snprintf(want, sizeof(want), "--timeout '%s': not a positive number of seconds",
			 bad[i]);
		assert_usage_error(want, "run", "--timeout", bad[i], "g.bin");
	}
}

static void test_guest_limit(void **state)
{
	const char *args[OPTIONS_MAX_GUESTS + 3];
	struct options o;
	int n = 0;

	(void)state;
	args[n++] = "run";
	for (int i = 0; i < OPTIONS_MAX_GUESTS; i++)
		args[n++] = "g.bin";
	args[n] = NULL;
	assert_int_equal(parse_list(&o, args), 0);
	assert_int_equal(o.nguests, OPTIONS_MAX_GUESTS);

	args[n++] = "one-too-many.bin";
	args[n] = NULL;
	assert_int_equal(parse_list(&o, args), -EINVAL);
	assert_contains(error_message(), "too many guests (at most 64)");
}

static void test_commands(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "check"), 0);
	assert_int_equal(o.command, CMD_CHECK);
	assert_int_equal(parse(&o, "version"), 0);
	assert_int_equal(o.command, CMD_VERSION);
	assert_int_equal(parse(&o, "--version"), 0);
	assert_int_equal(o.command, CMD_VERSION);
	assert_int_equal(parse(&o, "help"), 0);
	assert_int_equal(o.command, CMD_HELP);
	assert_int_equal(parse(&o, "--help"), 0);
	assert_int_equal(o.command, CMD_HELP);
	assert_int_equal(parse(&o, "-h"), 0);
	assert_int_equal(o.command, CMD_HELP);
	assert_int_equal(parse(&o, "run", "--help"), 0);
	assert_int_equal(o.command, CMD_HELP);
	assert_int_equal(parse(&o, "run", "g.bin", "-h"), 0);
	assert_int_equal(o.command, CMD_HELP);
}

static void test_command_errors(void **state)
{
	struct options o;

	(void)state;
	assert_usage_error("'check' takes no arguments", "check", "extra");
	assert_usage_error("'version' takes no arguments", "version", "extra");
	assert_usage_error("'help' takes no arguments", "help", "run");
	assert_usage_error("unknown command 'hello.bin' (did you mean 'mini-kvm run hello.bin'?)",
			   "hello.bin");
	assert_usage_error("did you mean 'mini-kvm run", "start", "g.bin");

	error_clear();
	assert_int_equal(options_parse(1, (char *[]){ PROGRAM, NULL }, &o), -EINVAL);
	assert_contains(error_message(), "no command given");
}

static void test_reparse_after_error(void **state)
{
	struct options o;

	(void)state;
	/* An error in the middle of a cluster leaves getopt mid-argument: start afresh. */
	assert_int_equal(parse(&o, "run", "-c2x", "g.bin"), -EINVAL);
	assert_int_equal(parse(&o, "run", "-m", "64", "h.bin"), 0);
	assert_int_equal(o.mem_size, 64 * LAYOUT_MIB);
	assert_int_equal(o.nguests, 1);
	assert_string_equal(o.guests[0].path, "h.bin");
	assert_int_equal(o.cpus, 1);
}

static void test_snapshot_options(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "g.bin"), 0);
	assert_null(o.snapshot);
	assert_null(o.snapshot_at);
	assert_false(o.snapshot_and_exit);
	assert_int_equal(parse(&o, "run", "--snapshot", "s.snap", "--snapshot-at", "> ",
			       "--snapshot-and-exit", "g.bin"),
			 0);
	assert_string_equal(o.snapshot, "s.snap");
	assert_string_equal(o.snapshot_at, "> ");
	assert_true(o.snapshot_and_exit);
	/* Several guests each get a file of their own: one name for all is refused. */
	assert_int_equal(parse(&o, "run", "--snapshot-at", "x", "a.bin", "b.bin"), 0);
	assert_usage_error("a snapshot file holds one VM", "run", "--snapshot", "s.snap", "a.bin",
			   "b.bin");
	assert_usage_error("--snapshot: an empty file name", "run", "--snapshot", "", "g.bin");
	assert_usage_error("--snapshot-at: give 1 to 256 characters", "run", "--snapshot-at", "",
			   "g.bin");
}

static void test_snapshot_at_limit(void **state)
{
	char text[OPTIONS_SNAPSHOT_AT_MAX + 2];
	struct options o;

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_usage_error("give 1 to 256", "run", "--snapshot-at", text, "g.bin");
	text[OPTIONS_SNAPSHOT_AT_MAX] = '\0';
	assert_int_equal(parse(&o, "run", "--snapshot-at", text, "g.bin"), 0);
}

static void test_restore(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "restore", "vm.snap"), 0);
	assert_int_equal(o.command, CMD_RESTORE);
	assert_string_equal(o.restore, "vm.snap");
	assert_int_equal(o.nguests, 0);
	assert_null(o.disk);
	assert_false(o.verify);
	assert_int_equal(parse(&o, "restore", "--disk", "d.tar", "--verify", "--stats", "--trace",
			       "--timeout", "5", "--raw-console", "--snapshot", "again.snap",
			       "--snapshot-at", "$ ", "--snapshot-and-exit", "vm.snap"),
			 0);
	assert_string_equal(o.disk, "d.tar");
	assert_true(o.verify && o.stats && o.trace && o.raw_console && o.snapshot_and_exit);
	assert_true(o.timeout == 5);
	assert_string_equal(o.snapshot, "again.snap");
	assert_string_equal(o.snapshot_at, "$ ");
	assert_string_equal(o.restore, "vm.snap");
	/* Options may follow the file. */
	assert_int_equal(parse(&o, "restore", "vm.snap", "--verify"), 0);
	assert_true(o.verify);
	assert_int_equal(parse(&o, "restore", "--help"), 0);
	assert_int_equal(o.command, CMD_HELP);
}

static void test_restore_errors(void **state)
{
	(void)state;
	assert_usage_error("restore: which snapshot FILE?", "restore");
	assert_usage_error("restore: one snapshot FILE ('a.snap', 'b.snap')", "restore", "a.snap",
			   "b.snap");
	assert_usage_error("restore: one snapshot FILE", "restore", "a.snap", "--", "b.snap");
	/* The machine is the snapshot's: RAM, vCPUs, kernel and boot options do not apply. */
	assert_usage_error("restore: option '-m' does not apply (the VM's RAM, vCPUs and devices "
			   "are the snapshot's)",
			   "restore", "-m", "256", "a.snap");
	assert_usage_error("option '--cpus' does not apply", "restore", "--cpus", "2", "a.snap");
	assert_usage_error("option '--irqchip' does not apply", "restore", "--irqchip", "a.snap");
	assert_usage_error("option '-k' does not apply", "restore", "-k", "bz", "a.snap");
	assert_usage_error("--disk given twice", "restore", "--disk", "a", "--disk", "b", "a.snap");
	assert_usage_error("--timeout 'x'", "restore", "--timeout", "x", "a.snap");
	assert_usage_error("option '--disk' needs an argument", "restore", "a.snap", "--disk");
}

static void test_usage_names_every_option(void **state)
{
	static const char *const flags[] = { "-k, --kernel",
					     "-i, --initrd",
					     "-p, --params",
					     "-m, --mem",
					     "-c, --cpus",
					     "--mode",
					     "--load",
					     "--entry",
					     "--stats",
					     "--trace",
					     "--timeout",
					     "--irqchip",
					     "--disk FILE",
					     "mini-kvm check",
					     "mini-kvm version | help",
					     "mini-kvm restore [OPTIONS] FILE",
					     "--snapshot FILE",
					     "--snapshot-at STR",
					     "--snapshot-and-exit",
					     "--verify" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		assert_contains(options_usage, flags[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_short_flag),
		cmocka_unit_test(test_every_long_flag),
		cmocka_unit_test(test_every_mode),
		cmocka_unit_test(test_sizes_valid),
		cmocka_unit_test(test_sizes_invalid),
		cmocka_unit_test(test_mem_errors),
		cmocka_unit_test(test_positional_options),
		cmocka_unit_test(test_trailing_options),
		cmocka_unit_test(test_trailing_only_what_follows_last_guest),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_unknown_option_in_cluster),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_unknown_mode),
		cmocka_unit_test(test_nothing_to_run),
		cmocka_unit_test(test_kernel_conflicts),
		cmocka_unit_test(test_disk_and_irqchip),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_guest_limit),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_reparse_after_error),
		cmocka_unit_test(test_snapshot_options),
		cmocka_unit_test(test_snapshot_at_limit),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_errors),
		cmocka_unit_test(test_usage_names_every_option),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
