/* SPDX-License-Identifier: MIT */
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

/*
 * The bytes of struct options outside its tables (disks[], ata[], guests[]): what
 * options_parse() must clear. In the struct's order; options_clear() keeps the same list.
 */
static const struct {
	size_t offset, size;
} tables[] = {
	{ offsetof(struct options, disks), sizeof(((struct options *)0)->disks) },
	{ offsetof(struct options, ata), sizeof(((struct options *)0)->ata) },
	{ offsetof(struct options, guests), sizeof(((struct options *)0)->guests) },
};

/* Whether a and b agree on every byte outside the tables (padding included). */
static bool same_outside_tables(const struct options *a, const struct options *b)
{
	size_t from = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (memcmp((const char *)a + from, (const char *)b + from, tables[i].offset - from))
			return false;
		from = tables[i].offset + tables[i].size;
	}
	return !memcmp((const char *)a + from, (const char *)b + from, sizeof(*a) - from);
}

/*
 * options_parse() into a struct full of garbage gives what it gives into a zeroed one:
 * every field cleared but the tables' entries beyond their counts, which it leaves as
 * they were (a run touches only the pages of the entries it uses), and the entries it
 * counts written whole.
 */
static void test_clears_all_but_unused_table_entries(void **state)
{
	struct options *dirty = malloc(sizeof(*dirty)), *clean = calloc(1, sizeof(*clean));
	const unsigned char garbage = 0xa5;

	(void)state;
	assert_non_null(dirty);
	assert_non_null(clean);
	memset(dirty, garbage, sizeof(*dirty));
	assert_int_equal(parse(clean, "run", "-m", "64M", "--ata", "a.img,ro", "--stats", "--mode",
			       "long", "x.bin"),
			 0);
	assert_int_equal(parse(dirty, "run", "-m", "64M", "--ata", "a.img,ro", "--stats", "--mode",
			       "long", "x.bin"),
			 0);
	assert_true(same_outside_tables(dirty, clean));
	assert_int_equal(dirty->nata, 1);
	assert_string_equal(dirty->ata[0].path, "a.img");
	assert_true(dirty->ata[0].read_only);
	assert_int_equal(dirty->nguests, 1);
	assert_string_equal(dirty->guests[0].path, "x.bin");
	assert_int_equal(dirty->guests[0].image.mode, BOOT_MODE_LONG);
	assert_false(dirty->guests[0].image.has_load);
	assert_false(dirty->guests[0].image.has_entry);
	/* Beyond the counts, untouched. */
	assert_int_equal(((unsigned char *)&dirty->guests[1])[0], garbage);
	assert_int_equal(((unsigned char *)&dirty->ata[1])[0], garbage);
	assert_int_equal(((unsigned char *)&dirty->disks[0])[0], garbage);

	/* A second parse with fewer of each counts none of the first's. */
	assert_int_equal(parse(dirty, "run", "z.bin"), 0);
	assert_int_equal(dirty->nata, 0);
	assert_int_equal(dirty->ndisks, 0);
	assert_int_equal(dirty->nguests, 1);
	assert_string_equal(dirty->guests[0].path, "z.bin");
	free(dirty);
	free(clean);
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
	assert_usage_error("--stats=1: the formats are table and json", "run", "--stats=1",
			   "g.bin");
}

/* A typo of a long option names the likely one; a prefix of several names them. */
static void test_option_suggestions(void **state)
{
	(void)state;
	assert_usage_error("unknown option '--irqchp' (did you mean '--irqchip'?)", "run",
			   "--irqchp", "g.bin");
	assert_usage_error("unknown option '--tmeout=3' (did you mean '--timeout'?)", "run",
			   "--tmeout=3", "g.bin");
	assert_usage_error("option '--stat' is ambiguous: --stats, --stats-file", "run", "--stat",
			   "g.bin");
	assert_usage_error("option '--trace-' is ambiguous: --trace-file, --trace-json", "run",
			   "--trace-", "g.bin");
	/* Nothing close: no suggestion rather than a wild one. */
	assert_usage_error("unknown option '--frobnicate'", "run", "--frobnicate", "g.bin");
	assert_not_contains(error_message(), "did you mean");
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
	assert_usage_error(
		"nothing to run: give a GUEST file, -k bzImage or --ata FILE --boot-disk", "run");
	assert_usage_error("nothing to run", "run", "--stats", "--mode", "long");
}

static void test_kernel_conflicts(void **state)
{
	(void)state;
	assert_usage_error("-k boots one Linux guest; it cannot be combined with GUEST files",
			   "run", "-k", "bzImage", "g.bin");
	assert_usage_error("cannot be combined", "run", "g.bin", "--kernel", "bzImage");
	assert_usage_error("-i and -p need -k (a Linux or Multiboot kernel)", "run", "-i", "rd",
			   "g.bin");
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
	assert_int_equal(o.ndisks, 0);
	assert_false(o.rng);
	assert_false(o.irqchip);
	assert_int_equal(
		parse(&o, "run", "--irqchip", "--disk", "d.tar", "--mode", "long", "g.elf"), 0);
	assert_string_equal(o.disk, "d.tar");
	assert_int_equal(o.ndisks, 0); /* the HC_BLK_* disk is no virtio disk */
	assert_true(o.irqchip);
	assert_int_equal(parse(&o, "run", "g.elf", "--disk=d.tar"), 0);
	assert_string_equal(o.disk, "d.tar");
	/* A comma that is not ",ro" at the end is part of the name. */
	assert_int_equal(parse(&o, "run", "g.elf", "--disk", "a,b.img"), 0);
	assert_string_equal(o.disk, "a,b.img");
	assert_usage_error("--disk: 2 GUESTs given; a disk belongs to one GUEST", "run", "--disk",
			   "d.tar", "a.bin", "b.bin");
	assert_usage_error("option '--disk' needs an argument", "run", "g.bin", "--disk");
	/* The second one used to win silently. */
	assert_usage_error("--disk given twice ('a.img', 'b.img'): a GUEST has one disk "
			   "(HC_BLK_*); several are for -k (virtio disks)",
			   "run", "--disk", "a.img", "--disk", "b.img", "g.bin");
	assert_usage_error("--rng: a virtio entropy device is for -k (Linux)", "run", "--rng",
			   "g.bin");
}

static void test_virtio_disks(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "-k", "bz", "--disk", "root.img", "--disk",
			       "data,1.img,ro", "--rng", "--disk=x.img"),
			 0);
	assert_null(o.disk); /* no HC_BLK_* disk for Linux */
	assert_int_equal(o.ndisks, 3);
	assert_true(o.rng);
	assert_string_equal(o.disks[0].path, "root.img");
	assert_false(o.disks[0].read_only);
	assert_string_equal(o.disks[1].path, "data,1.img");
	assert_string_equal(o.disks[1].arg, "data,1.img,ro");
	assert_true(o.disks[1].read_only);
	assert_string_equal(o.disks[2].path, "x.img");
	assert_false(o.disks[2].read_only);
	/* The order of -k and --disk does not matter. */
	assert_int_equal(parse(&o, "run", "--disk", "a.img,ro", "-k", "bz"), 0);
	assert_int_equal(o.ndisks, 1);
	assert_true(o.disks[0].read_only);
	assert_string_equal(o.disks[0].path, "a.img");
	assert_int_equal(parse(&o, "run", "-k", "bz", "--rng"), 0);
	assert_true(o.rng);
	assert_int_equal(o.ndisks, 0);
	assert_usage_error("--disk ',ro': no file name", "run", "-k", "bz", "--disk", ",ro");
	assert_usage_error("--disk '': no file name", "run", "-k", "bz", "--disk", "");
}

static void test_virtio_device_limit(void **state)
{
	const char *args[2 * OPTIONS_MAX_DISKS + 8];
	struct options o;
	int n = 0;

	(void)state;
	args[n++] = "run";
	args[n++] = "-k";
	args[n++] = "bz";
	for (int i = 0; i < OPTIONS_MAX_DISKS; i++) {
		args[n++] = "--disk";
		args[n++] = "d.img,ro";
	}
	args[n] = NULL;
	assert_int_equal(OPTIONS_MAX_DISKS, 8); /* GSIs 16-23, as the message says */
	assert_int_equal(parse_list(&o, args), 0);
	assert_int_equal(o.ndisks, OPTIONS_MAX_DISKS);
	/* Eight disks take every slot: no room for the entropy device ... */
	args[n] = "--rng";
	args[n + 1] = NULL;
	assert_int_equal(parse_list(&o, args), -EINVAL);
	assert_contains(error_message(), "--disk, --rng and --net: 9 virtio devices, at most 8 "
					 "(one virtio-mmio slot each, GSIs 16-23)");
	/* ... nor for a NIC. */
	args[n] = "--net";
	args[n + 1] = "user";
	args[n + 2] = NULL;
	assert_int_equal(parse_list(&o, args), -EINVAL);
	assert_contains(error_message(), "--disk, --rng and --net: 9 virtio devices");
	/* ... nor for a ninth disk. */
	args[n] = "--disk";
	args[n + 1] = "nine.img";
	args[n + 2] = NULL;
	assert_int_equal(parse_list(&o, args), -EINVAL);
	assert_contains(error_message(), "--disk 'nine.img': more than 8 disks");
	/* Seven and the entropy device fit. */
	args[n - 2] = "--rng";
	args[n - 1] = NULL;
	assert_int_equal(parse_list(&o, args), 0);
	assert_int_equal(o.ndisks, OPTIONS_MAX_DISKS - 1);
	assert_true(o.rng);
}

static void test_disk_path_too_long(void **state)
{
	static char path[OPTIONS_DISK_PATH_MAX + 4];
	struct options o;

	(void)state;
	memset(path, 'a', OPTIONS_DISK_PATH_MAX - 1);
	path[OPTIONS_DISK_PATH_MAX - 1] = '\0';
	assert_int_equal(parse(&o, "run", "-k", "bz", "--disk", path), 0);
	assert_int_equal(strlen(o.disks[0].path), OPTIONS_DISK_PATH_MAX - 1);
	/* With ",ro" the name is the same length: it still fits. */
	memcpy(path + OPTIONS_DISK_PATH_MAX - 1, ",ro", 4);
	assert_int_equal(parse(&o, "run", "-k", "bz", "--disk", path), 0);
	assert_true(o.disks[0].read_only);
	memset(path, 'a', OPTIONS_DISK_PATH_MAX);
	path[OPTIONS_DISK_PATH_MAX] = '\0';
	assert_int_equal(parse(&o, "run", "-k", "bz", "--disk", path), -EINVAL);
	assert_contains(error_message(), "a file name of 4096 bytes (at most 4095)");
}

static void test_gdb(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "g.bin"), 0);
	assert_null(o.gdb);
	assert_false(o.gdb_wait);
	assert_int_equal(parse(&o, "run", "--gdb", "1234", "g.elf"), 0);
	assert_string_equal(o.gdb, "1234");
	assert_false(o.gdb_wait);
	assert_int_equal(parse(&o, "run", "--gdb-wait", "--gdb=127.0.0.1:0", "g.elf"), 0);
	assert_string_equal(o.gdb, "127.0.0.1:0");
	assert_true(o.gdb_wait);
	assert_int_equal(parse(&o, "run", "--gdb", "[::1]:1234", "-k", "bz"), 0);
	assert_string_equal(o.gdb, "[::1]:1234");
	assert_int_equal(parse(&o, "run", "--gdb", "localhost:65535", "g.elf"), 0);
	assert_int_equal(parse(&o, "run", "--gdb", "0.0.0.0:1", "g.elf"), 0);
}

static void test_gdb_errors(void **state)
{
	(void)state;
	assert_usage_error("--gdb: gdb address '65536': the port must be 0 to 65535", "run",
			   "--gdb", "65536", "g.elf");
	assert_usage_error("the port must be 0 to 65535", "run", "--gdb", "", "g.elf");
	assert_usage_error("the port must be 0 to 65535", "run", "--gdb", "12a4", "g.elf");
	assert_usage_error("the port must be 0 to 65535", "run", "--gdb", "1:-1", "g.elf");
	assert_usage_error("the port must be 0 to 65535", "run", "--gdb", "1234567", "g.elf");
	assert_usage_error("'example.com' is not an IPv4 address", "run", "--gdb",
			   "example.com:1234", "g.elf");
	assert_usage_error("put an IPv6 address in brackets", "run", "--gdb", "::1:1234", "g.elf");
	assert_usage_error("an IPv6 address is [ADDR]:PORT", "run", "--gdb", "[::1]", "g.elf");
	assert_usage_error("option '--gdb' needs an argument", "run", "g.elf", "--gdb");
	assert_usage_error("--gdb given twice ('1', '2')", "run", "--gdb", "1", "--gdb", "2",
			   "g.elf");
	assert_usage_error("--gdb: 2 GUESTs given; gdb debugs one GUEST", "run", "--gdb", "1234",
			   "a.bin", "b.bin");
	assert_usage_error("--gdb-wait needs --gdb [ADDR:]PORT", "run", "--gdb-wait", "g.elf");
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
	/* A bare guest starts its APs through the in-kernel local APIC: --irqchip. */
	assert_usage_error("-c 2: several vCPUs start through the local APIC (INIT/SIPI): give "
			   "--irqchip (or -k)",
			   "run", "-c", "2", "g.bin");
	assert_int_equal(parse(&o, "run", "-c", "2", "--irqchip", "g.bin"), 0);
	assert_int_equal(o.cpus, 2);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[256];

		snprintf(want, sizeof(want),
			 "--cpus '%s': not a number from 1 to 254 (mini-kvm's limit: its MP table "
			 "and MADT give each vCPU and the I/O APIC an 8-bit xAPIC ID)",
			 bad[i]);
		assert_usage_error(want, "run", "--cpus", bad[i], "g.bin");
	}
}

/* --ata FILE[,ro] (up to 4), --boot-disk, --debug-exit PORT, --vga-text. */
static void test_classic_pc(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "--ata", "a.img", "--ata", "b.img,ro", "--boot-disk",
			       "--debug-exit", "0xf4", "--irqchip", "--vga-text"),
			 0);
	assert_int_equal(o.nata, 2);
	assert_string_equal(o.ata[0].path, "a.img");
	assert_false(o.ata[0].read_only);
	assert_string_equal(o.ata[1].path, "b.img");
	assert_true(o.ata[1].read_only);
	assert_true(o.boot_disk);
	assert_true(o.debug_exit);
	assert_int_equal(o.debug_exit_port, 0xf4);
	assert_true(o.vga_text);
	assert_int_equal(o.nguests, 0);
	/* A file whose name merely ends in "ro" is read-write; ",ro" alone names no file. */
	assert_int_equal(parse(&o, "run", "--ata", "disk-ro", "g.bin"), 0);
	assert_string_equal(o.ata[0].path, "disk-ro");
	assert_false(o.ata[0].read_only);
	assert_usage_error("--ata ',ro': not a file name", "run", "--ata", ",ro", "g.bin");
	assert_usage_error("at most 4 disks", "run", "--ata", "1", "--ata", "2", "--ata", "3",
			   "--ata", "4", "--ata", "5", "g.bin");
	assert_usage_error("--boot-disk boots the first --ata disk: give --ata FILE", "run",
			   "--boot-disk");
	assert_usage_error("it cannot be combined with GUEST files or -k", "run", "--ata", "a.img",
			   "--boot-disk", "g.bin");
	assert_usage_error("ATA disks belong to one GUEST", "run", "--ata", "a.img", "g.bin",
			   "h.bin");
	assert_usage_error("--vga-text: the text buffer is part of the PC that --irqchip gives",
			   "run", "--vga-text", "g.bin");
	assert_usage_error("--debug-exit 'x': not a port", "run", "--debug-exit", "x", "g.bin");
	assert_usage_error("--debug-exit '0xfffd': not a port", "run", "--debug-exit", "0xfffd",
			   "g.bin");
	assert_int_equal(parse(&o, "run", "--debug-exit", "0xfffc", "g.bin"), 0);
	assert_usage_error("nothing to run", "run", "--ata", "a.img");
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
	assert_contains(error_message(), "too many guests (at most 1024)");
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
	assert_usage_error("'check' takes --json and --help only, not 'extra'", "check", "extra");
	assert_usage_error("'version' takes no arguments", "version", "extra");
	assert_usage_error("'help' takes one COMMAND at most, not 'check'", "help", "run", "check");
	assert_usage_error("unknown command 'hello.bin' (did you mean 'mini-kvm run hello.bin'?)",
			   "hello.bin");
	assert_usage_error(
		"unknown command 'start' (the commands are run, check, version and help)", "start",
		"g.bin");
	/* A typo of a command: the command, not `run chek`. */
	assert_usage_error("unknown command 'chek' (did you mean 'check'?)", "chek");
	assert_usage_error("unknown command 'rnu' (did you mean 'run'?)", "rnu", "g.bin");
	assert_usage_error("unknown command 'verison' (did you mean 'version'?)", "verison");
	assert_usage_error("unknown command 'hlep' (did you mean 'help'?)", "help", "hlep");

	error_clear();
	assert_int_equal(options_parse(1, (char *[]){ PROGRAM, NULL }, &o), -EINVAL);
	assert_contains(error_message(), "no command given");
}

/* help COMMAND and COMMAND --help give that command's usage; check --json. */
static void test_help_topics(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "help"), 0);
	assert_int_equal(o.command, CMD_HELP);
	assert_int_equal(o.help_topic, CMD_HELP);
	assert_int_equal(parse(&o, "help", "run"), 0);
	assert_int_equal(o.help_topic, CMD_RUN);
	assert_int_equal(parse(&o, "help", "check"), 0);
	assert_int_equal(o.help_topic, CMD_CHECK);
	assert_int_equal(parse(&o, "check", "--help"), 0);
	assert_int_equal(o.command, CMD_HELP);
	assert_int_equal(o.help_topic, CMD_CHECK);
	assert_int_equal(parse(&o, "version", "-h"), 0);
	assert_int_equal(o.help_topic, CMD_VERSION);
	assert_int_equal(parse(&o, "run", "g.bin", "--help"), 0);
	assert_int_equal(o.help_topic, CMD_RUN);
	assert_contains(options_usage_of(CMD_CHECK), "--json");
	assert_contains(options_usage_of(CMD_RUN), "--stats[=FORMAT]");
	assert_int_equal(parse(&o, "check"), 0);
	assert_false(o.check_json);
	assert_int_equal(parse(&o, "check", "--json"), 0);
	assert_int_equal(o.command, CMD_CHECK);
	assert_true(o.check_json);
}

/* Every bad size is bad usage (status 2), caught here rather than when RAM is mapped. */
static void test_mem_range(void **state)
{
	struct options o;

	(void)state;
	assert_usage_error("--mem '512K': guest RAM is 1 MiB to", "run", "-m", "512K", "g.bin");
	assert_usage_error("in whole 4 KiB pages", "run", "-m", "1025K", "g.bin");
	assert_usage_error("--mem '2048G'", "run", "-m", "2048G", "g.bin");
	assert_int_equal(parse(&o, "run", "-m", "1M", "g.bin"), 0);
	assert_int_equal(o.mem_size, LAYOUT_MEM_MIN);
	assert_int_equal(parse(&o, "run", "-m", "1024G", "g.bin"), 0);
	assert_int_equal(o.mem_size, OPTIONS_MEM_MAX);
	assert_int_equal(parse(&o, "run", "-m", "1028K", "g.bin"), 0);
}

/* The options of the usability round: stats, trace, console, verbosity, read-only disk. */
static void test_output_options(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "--stats=json", "--stats-file", "s.json", "g.bin"), 0);
	assert_true(o.stats);
	assert_true(o.stats_json);
	assert_string_equal(o.stats_file, "s.json");
	assert_int_equal(parse(&o, "run", "--stats-file", "s.txt", "g.bin"), 0);
	assert_true(o.stats);
	assert_false(o.stats_json);
	assert_int_equal(parse(&o, "run", "--stats=table", "g.bin"), 0);
	assert_true(o.stats && !o.stats_json);

	assert_int_equal(parse(&o, "run", "--trace=io,port=0x3f8", "g.bin"), 0);
	assert_true(o.trace);
	assert_true(o.trace_filter.io);
	assert_false(o.trace_filter.mmio);
	assert_int_equal(o.trace_filter.nports, 1);
	assert_int_equal(parse(&o, "run", "--trace-file", "t.log", "g.bin"), 0);
	assert_true(o.trace);
	assert_true(o.trace_filter.io && o.trace_filter.mmio && o.trace_filter.other);
	assert_string_equal(o.trace_file, "t.log");
	assert_int_equal(parse(&o, "run", "--trace=mmio", "--trace-file", "t.log", "g.bin"), 0);
	assert_true(o.trace_filter.mmio && !o.trace_filter.io); /* the filter stays */
	assert_usage_error("--trace=bogus: unknown item 'bogus'", "run", "--trace=bogus", "g.bin");
	assert_int_equal(parse(&o, "run", "--trace-json", "t.json", "g.bin"), 0);
	assert_string_equal(o.trace_json, "t.json");

	assert_int_equal(parse(&o, "run", "--serial", "unix:/tmp/s,server", "g.bin"), 0);
	assert_int_equal(o.serial.kind, SERIAL_UNIX);
	assert_true(o.serial.server);
	assert_usage_error("--serial: 'tcp:1234'", "run", "--serial", "tcp:1234", "g.bin");
	assert_usage_error("only one guest's console", "run", "--serial", "pty", "a.bin", "b.bin");
	assert_int_equal(parse(&o, "run", "--serial", "stdio", "a.bin", "b.bin"), 0);
	assert_int_equal(parse(&o, "run", "--console-log", "c.log", "a.bin", "b.bin"), 0);
	assert_string_equal(o.console_log, "c.log");

	assert_int_equal(parse(&o, "run", "-q", "g.bin"), 0);
	assert_int_equal(o.verbosity, VERBOSITY_QUIET);
	assert_int_equal(parse(&o, "run", "--verbose", "g.bin"), 0);
	assert_int_equal(o.verbosity, VERBOSITY_VERBOSE);
	assert_int_equal(parse(&o, "run", "-v", "-q", "g.bin"), 0);
	assert_int_equal(o.verbosity, VERBOSITY_QUIET); /* the last one says */
	assert_int_equal(parse(&o, "run", "g.bin"), 0);
	assert_int_equal(o.verbosity, VERBOSITY_NORMAL);
}

static void test_disk_read_only(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "--disk", "d.img,ro", "g.bin"), 0);
	assert_string_equal(o.disk, "d.img");
	assert_true(o.disk_ro);
	assert_int_equal(parse(&o, "run", "--disk", "d.img", "g.bin"), 0);
	assert_string_equal(o.disk, "d.img");
	assert_false(o.disk_ro);
	/* Only a whole ",ro" suffix: a file named "x,rom" is a file. */
	assert_int_equal(parse(&o, "run", "--disk", "x,rom", "g.bin"), 0);
	assert_string_equal(o.disk, "x,rom");
	assert_false(o.disk_ro);
	assert_usage_error("--disk ',ro': no file name", "run", "--disk", ",ro", "g.bin");
}

/* --boot-marker times a Linux boot: without -k it is bad usage, not ignored. */
static void test_boot_marker_needs_kernel(void **state)
{
	struct options o;

	(void)state;
	assert_usage_error("--boot-marker needs -k", "run", "--boot-marker", "x", "g.bin");
	assert_int_equal(parse(&o, "run", "-k", "bz", "--boot-marker", "x"), 0);
	assert_string_equal(o.boot_marker, "x");
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

/* --seccomp MODE and --no-seccomp; neither leaves the choice to sandbox_setup(). */
static void test_seccomp(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(parse(&o, "run", "a.bin"), 0);
	assert_int_equal(o.seccomp, SANDBOX_DEFAULT);
	assert_int_equal(parse(&o, "run", "--seccomp", "trap", "a.bin"), 0);
	assert_int_equal(o.seccomp, SANDBOX_TRAP);
	assert_int_equal(parse(&o, "run", "--seccomp=kill", "a.bin"), 0);
	assert_int_equal(o.seccomp, SANDBOX_KILL);
	assert_int_equal(parse(&o, "run", "--seccomp", "off", "a.bin"), 0);
	assert_int_equal(o.seccomp, SANDBOX_OFF);
	assert_int_equal(parse(&o, "run", "--no-seccomp", "a.bin"), 0);
	assert_int_equal(o.seccomp, SANDBOX_OFF);
	/* The last one given wins, as for other options. */
	assert_int_equal(parse(&o, "run", "--no-seccomp", "--seccomp", "trap", "a.bin"), 0);
	assert_int_equal(o.seccomp, SANDBOX_TRAP);
	assert_usage_error("--seccomp 'on': not kill, trap or off", "run", "--seccomp", "on",
			   "a.bin");
	assert_usage_error("--seccomp '': not kill, trap or off", "run", "--seccomp=", "a.bin");
	assert_usage_error("option '--seccomp' needs an argument", "run", "a.bin", "--seccomp");
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
	/* A Linux VM's virtio disks, in order (runner.c: the snapshot says which kind). */
	assert_int_equal(parse(&o, "restore", "--disk", "root.img", "--disk", "data.img,ro",
			       "vm.snap"),
			 0);
	assert_int_equal(o.ndisks, 2);
	assert_string_equal(o.disks[0].path, "root.img");
	assert_false(o.disks[0].read_only);
	assert_string_equal(o.disks[1].path, "data.img");
	assert_true(o.disks[1].read_only);
	assert_string_equal(o.disk, "root.img");
	assert_false(o.disk_ro);
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
	assert_usage_error("--disk ',ro': no file name", "restore", "--disk", ",ro", "a.snap");
	assert_usage_error("--timeout 'x'", "restore", "--timeout", "x", "a.snap");
	assert_usage_error("option '--disk' needs an argument", "restore", "a.snap", "--disk");
}

static void test_usage_names_every_option(void **state)
{
	static const char *const flags[] = {
		"-k, --kernel",	    "-i, --initrd",   "-p, --params",
		"-m, --mem",	    "-c, --cpus",     "--mode",
		"--load",	    "--entry",	      "--stats",
		"--trace",	    "--timeout",      "--irqchip",
		"--disk FILE[,ro]", "--rng",	      "--gdb [ADDR:]PORT",
		"--gdb-wait",	    "mini-kvm check", "mini-kvm version | help",
		"--ata FILE[,ro]",  "--boot-disk",    "--debug-exit PORT",
		"--vga-text",	    "--seccomp MODE", "--no-seccomp",
		"--stats-file",	    "--trace-file",   "--trace-json",
		"--serial",	    "--console-log",  "-q, --quiet",
		"-v, --verbose",    "Ctrl-A x",	      "mini-kvm restore [OPTIONS] FILE",
		"--snapshot FILE",  "--snapshot-at STR", "--snapshot-and-exit",
		"--verify"
	};

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
		cmocka_unit_test(test_option_suggestions),
		cmocka_unit_test(test_help_topics),
		cmocka_unit_test(test_mem_range),
		cmocka_unit_test(test_output_options),
		cmocka_unit_test(test_disk_read_only),
		cmocka_unit_test(test_boot_marker_needs_kernel),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_unknown_mode),
		cmocka_unit_test(test_nothing_to_run),
		cmocka_unit_test(test_kernel_conflicts),
		cmocka_unit_test(test_disk_and_irqchip),
		cmocka_unit_test(test_virtio_disks),
		cmocka_unit_test(test_virtio_device_limit),
		cmocka_unit_test(test_disk_path_too_long),
		cmocka_unit_test(test_gdb),
		cmocka_unit_test(test_gdb_errors),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_classic_pc),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_guest_limit),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_reparse_after_error),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_snapshot_options),
		cmocka_unit_test(test_snapshot_at_limit),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_errors),
		cmocka_unit_test(test_usage_names_every_option),
		cmocka_unit_test(test_clears_all_but_unused_table_entries),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
