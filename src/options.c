/* Parsing mini-kvm's command line (kvmtool-style flags) into struct options. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "vm.h"
#include "arch/x86/layout.h"

const char options_usage[] =
	"usage: mini-kvm run [OPTIONS] [GUEST ...]\n"
	"       mini-kvm restore [OPTIONS] FILE   resume a snapshot (docs/snapshot.md)\n"
	"       mini-kvm check          probe which boot modes this host's KVM runs\n"
	"       mini-kvm version | help\n"
	"\n"
	"run options:\n"
	"  -k, --kernel FILE     Linux bzImage, or an uncompressed vmlinux (PVH boot)\n"
	"  -i, --initrd FILE     initramfs / initrd\n"
	"  -p, --params STR      kernel command line\n"
	"  -m, --mem SIZE        guest RAM, MiB or with K/M/G suffix (default 128M)\n"
	"  -c, --cpus N          vCPUs (default 1)\n"
	"      --mode MODE       for flat GUEST binaries: real | protected | paging | long\n"
	"      --load ADDR       load address of flat GUEST binaries\n"
	"      --irqchip         give GUESTs KVM's in-kernel PIC, I/O APIC, LAPIC and PIT\n"
	"                        (timer interrupts; serial IRQ 4); -k always has them\n"
	"      --disk FILE       a disk image for the HC_BLK_* hypercalls (one GUEST only;\n"
	"                        whole 512-byte sectors; written through)\n"
	"      --entry ADDR      entry point, overriding the default or the ELF's\n"
	"      --raw-console     pass guest output to a terminal unchanged (by default\n"
	"                        control bytes show as ^X unless the guest is interactive)\n"
	"      --stats           print VM-exit statistics at exit (on stderr)\n"
	"      --trace           log every VM exit to stderr\n"
	"      --timeout SECS    stop a guest still running after SECS seconds (exit 124)\n"
	"      --boot-marker STR with --stats and -k: time the boot to the first console\n"
	"                        line containing STR\n"
	"      --snapshot FILE   where snapshots go (Ctrl-A s, SIGUSR2, --snapshot-at);\n"
	"                        default NAME.snap (NAME-N.snap with several GUESTs)\n"
	"      --snapshot-at STR snapshot at the first console line containing STR\n"
	"      --snapshot-and-exit  stop after saving a snapshot (exit status 0)\n"
	"  GUEST ...             flat binaries or ELF executables; several run concurrently,\n"
	"                        one VM each. --mode/--load/--entry apply to the GUESTs after\n"
	"                        them (after the last GUEST: to all without their own)\n"
	"\n"
	"restore options: --disk FILE (instead of the saved path), --verify (check every RAM\n"
	"  page's CRC first), --stats, --trace, --timeout, --raw-console, --snapshot,\n"
	"  --snapshot-at, --snapshot-and-exit; the VM's RAM, vCPUs and devices are the\n"
	"  snapshot's\n";

enum long_only_option {
	OPT_MODE = 0x100,
	OPT_LOAD,
	OPT_ENTRY,
	OPT_STATS,
	OPT_TRACE,
	OPT_TIMEOUT,
	OPT_BOOT_MARKER,
	OPT_IRQCHIP,
	OPT_DISK,
	OPT_RAW_CONSOLE,
	OPT_SNAPSHOT,
	OPT_SNAPSHOT_AT,
	OPT_SNAPSHOT_AND_EXIT,
	OPT_VERIFY,
};

/* Longest --timeout: its nanoseconds must fit in 64 bits (runner.c), with room to spare. */
#define TIMEOUT_MAX_SECONDS 1000000000.0

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "params", required_argument, NULL, 'p' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "boot-marker", required_argument, NULL, OPT_BOOT_MARKER },
	{ "irqchip", no_argument, NULL, OPT_IRQCHIP },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "raw-console", no_argument, NULL, OPT_RAW_CONSOLE },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "snapshot-at", required_argument, NULL, OPT_SNAPSHOT_AT },
	{ "snapshot-and-exit", no_argument, NULL, OPT_SNAPSHOT_AND_EXIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* `restore`: the run options that make sense for a VM whose machine is the snapshot's. */
static const struct option restore_options[] = {
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "raw-console", no_argument, NULL, OPT_RAW_CONSOLE },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "snapshot-at", required_argument, NULL, OPT_SNAPSHOT_AT },
	{ "snapshot-and-exit", no_argument, NULL, OPT_SNAPSHOT_AND_EXIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The options run and restore share about snapshots: 1 if c was one, 0 if not, or -EINVAL. */
static int snapshot_option(int c, const char *arg, struct options *opts)
{
	switch (c) {
	case OPT_SNAPSHOT:
		if (!*arg)
			return error_set(EINVAL, "--snapshot: an empty file name");
		opts->snapshot = arg;
		return 1;
	case OPT_SNAPSHOT_AT:
		if (!*arg || strlen(arg) > OPTIONS_SNAPSHOT_AT_MAX)
			return error_set(EINVAL,
					 "--snapshot-at: give 1 to %d characters to look for",
					 OPTIONS_SNAPSHOT_AT_MAX);
		opts->snapshot_at = arg;
		return 1;
	case OPT_SNAPSHOT_AND_EXIT:
		opts->snapshot_and_exit = true;
		return 1;
	}
	return 0;
}

static int parse_timeout(const char *arg, double *timeout)
{
	char *end;

	*timeout = strtod(arg, &end);
	if (*end || !(*timeout > 0) || *timeout > TIMEOUT_MAX_SECONDS)
		return error_set(EINVAL,
				 "--timeout '%s': not a positive number of seconds (at most %.0f)",
				 arg, TIMEOUT_MAX_SECONDS);
	return 0;
}

int parse_size(const char *text, uint64_t *bytes)
{
	uint64_t unit = LAYOUT_MIB, value;
	bool suffix = true;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || value == 0)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		unit = LAYOUT_KIB;
		end++;
		break;
	case 'M':
		unit = LAYOUT_MIB;
		end++;
		break;
	case 'G':
		unit = LAYOUT_GIB;
		end++;
		break;
	case '\0':
		suffix = false;
		break;
	default:
		return -EINVAL;
	}
	if (suffix && *end && strcasecmp(end, "iB") && strcasecmp(end, "B"))
		return -EINVAL;
	if (value > UINT64_MAX / unit)
		return -EINVAL;
	*bytes = value * unit;
	return 0;
}

/* base: 0 for addresses (0x... hex, else decimal; a leading 0 means octal), 10 for counts. */
static int parse_u64(const char *text, int base, uint64_t *value)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	*value = strtoull(text, &end, base);
	return errno || *end ? -EINVAL : 0;
}

/* Which of a guest's image options the command line set. */
struct pending {
	struct image_options image;
	bool has_mode;
};

static int add_guest(struct options *opts, const char *path, const struct image_options *image)
{
	if (opts->nguests == OPTIONS_MAX_GUESTS)
		return error_set(EINVAL, "too many guests (at most %d)", OPTIONS_MAX_GUESTS);
	opts->guests[opts->nguests++] = (struct guest_options){ .path = path, .image = *image };
	return 0;
}

static void apply_trailing(struct options *opts, const struct pending *trail)
{
	for (unsigned int i = 0; i < opts->nguests; i++) {
		struct image_options *img = &opts->guests[i].image;

		if (trail->has_mode && img->mode == BOOT_MODE_AUTO)
			img->mode = trail->image.mode;
		if (trail->image.has_load && !img->has_load) {
			img->has_load = true;
			img->load = trail->image.load;
		}
		if (trail->image.has_entry && !img->has_entry) {
			img->has_entry = true;
			img->entry = trail->image.entry;
		}
	}
}

static int parse_run(int argc, char **argv, struct options *opts)
{
	/* cur: the settings so far; trail: those given since the last GUEST. */
	struct pending cur = { 0 }, trail = { 0 };
	uint64_t value;
	int c, ret;

	optind = 0; /* glibc: full re-initialization, so tests can parse repeatedly */
	opterr = 0;
	/* '-': GUESTs come back in order as option 1, so --mode can precede each. */
	for (;;) {
		int at = optind ? optind : 1; /* the argument getopt_long() reads next */

		c = getopt_long(argc, argv, "-:k:i:p:m:c:h", run_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 1:
			ret = add_guest(opts, optarg, &cur.image);
			if (ret < 0)
				return ret;
			trail = (struct pending){ 0 };
			break;
		case 'k':
			opts->kernel = optarg;
			break;
		case 'i':
			opts->initrd = optarg;
			break;
		case 'p':
			opts->params = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &opts->mem_size))
				return error_set(EINVAL,
						 "--mem '%s': not a size (e.g. 256, 512M, 2G)",
						 optarg);
			break;
		case 'c':
			if (parse_u64(optarg, 10, &value) || value < 1 || value > VM_MAX_VCPUS)
				return error_set(
					EINVAL,
					"--cpus '%s': not a number from 1 to %u (mini-kvm's "
					"limit: " VM_MAX_VCPUS_WHY ")",
					optarg, VM_MAX_VCPUS);
			opts->cpus = value;
			break;
		case OPT_MODE:
			if (boot_mode_parse(optarg, &cur.image.mode))
				return error_wrap(EINVAL, "--mode");
			cur.has_mode = trail.has_mode = true;
			trail.image.mode = cur.image.mode;
			break;
		case OPT_LOAD:
			if (parse_u64(optarg, 0, &cur.image.load))
				return error_set(EINVAL, "--load '%s': not an address", optarg);
			cur.image.has_load = trail.image.has_load = true;
			trail.image.load = cur.image.load;
			break;
		case OPT_ENTRY:
			if (parse_u64(optarg, 0, &cur.image.entry))
				return error_set(EINVAL, "--entry '%s': not an address", optarg);
			cur.image.has_entry = trail.image.has_entry = true;
			trail.image.entry = cur.image.entry;
			break;
		case OPT_STATS:
			opts->stats = true;
			break;
		case OPT_TRACE:
			opts->trace = true;
			break;
		case OPT_IRQCHIP:
			opts->irqchip = true;
			break;
		case OPT_DISK:
			if (opts->disk)
				return error_set(
					EINVAL,
					"--disk given twice ('%s', '%s'): a guest has one disk",
					opts->disk, optarg);
			opts->disk = optarg;
			break;
		case OPT_RAW_CONSOLE:
			opts->raw_console = true;
			break;
		case OPT_BOOT_MARKER:
			opts->boot_marker = optarg;
			break;
		case OPT_TIMEOUT:
			ret = parse_timeout(optarg, &opts->timeout);
			if (ret < 0)
				return ret;
			break;
		case OPT_SNAPSHOT:
		case OPT_SNAPSHOT_AT:
		case OPT_SNAPSHOT_AND_EXIT:
			ret = snapshot_option(c, optarg, opts);
			if (ret < 0)
				return ret;
			break;
		case 'h':
			opts->command = CMD_HELP;
			return 0;
		case ':':
			return error_set(EINVAL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			/* A bad letter may sit inside a cluster (-xc2): name the letter alone. */
			if (optopt && strncmp(argv[at], "--", 2))
				return error_set(EINVAL, "unknown option '-%c'", optopt);
			return error_set(EINVAL, "unknown option '%s'", argv[at]);
		}
	}
	/* getopt_long() stops at "--": everything after it is a GUEST. */
	for (; optind < argc; optind++) {
		ret = add_guest(opts, argv[optind], &cur.image);
		if (ret < 0)
			return ret;
		trail = (struct pending){ 0 };
	}
	apply_trailing(opts, &trail);
	if (!opts->nguests && !opts->kernel)
		return error_set(EINVAL, "nothing to run: give a GUEST file or -k bzImage");
	if (opts->kernel && opts->nguests)
		return error_set(
			EINVAL, "-k boots one Linux guest; it cannot be combined with GUEST files");
	if (opts->disk && opts->kernel)
		return error_set(EINVAL, "--disk: Linux has no driver for mini-kvm's HC_BLK_* "
					 "hypercalls; put files in the initramfs (-i)");
	/* One writer per disk file: VMs sharing one would overwrite each other's data. */
	if (opts->disk && opts->nguests > 1)
		return error_set(EINVAL, "--disk: %u GUESTs given; a disk belongs to one GUEST",
				 opts->nguests);
	if ((opts->initrd || opts->params) && !opts->kernel)
		return error_set(EINVAL, "-i and -p need -k (a Linux kernel)");
	/* A bare guest has no code to wake application processors (INIT/SIPI). */
	if (opts->cpus > 1 && !opts->kernel)
		return error_set(EINVAL,
				 "-c %u: several vCPUs need a guest that starts them: -k (Linux)",
				 opts->cpus);
	if (opts->snapshot && opts->nguests > 1)
		return error_set(EINVAL,
				 "--snapshot '%s': %u GUESTs given; a snapshot file holds "
				 "one VM (leave it out: each gets NAME-N.snap)",
				 opts->snapshot, opts->nguests);
	return 0;
}

/* `mini-kvm restore [OPTIONS] FILE`. */
static int parse_restore(int argc, char **argv, struct options *opts)
{
	int c, ret;

	optind = 0;
	opterr = 0;
	for (;;) {
		int at = optind ? optind : 1;

		c = getopt_long(argc, argv, "-:h", restore_options, NULL);
		if (c == -1)
			break;
		ret = snapshot_option(c, optarg, opts);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		switch (c) {
		case 1:
			if (opts->restore)
				return error_set(EINVAL, "restore: one snapshot FILE ('%s', '%s')",
						 opts->restore, optarg);
			opts->restore = optarg;
			break;
		case OPT_DISK:
			if (opts->disk)
				return error_set(EINVAL, "--disk given twice ('%s', '%s')",
						 opts->disk, optarg);
			opts->disk = optarg;
			break;
		case OPT_VERIFY:
			opts->verify = true;
			break;
		case OPT_STATS:
			opts->stats = true;
			break;
		case OPT_TRACE:
			opts->trace = true;
			break;
		case OPT_RAW_CONSOLE:
			opts->raw_console = true;
			break;
		case OPT_TIMEOUT:
			ret = parse_timeout(optarg, &opts->timeout);
			if (ret < 0)
				return ret;
			break;
		case 'h':
			opts->command = CMD_HELP;
			return 0;
		case ':':
			return error_set(EINVAL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			return error_set(EINVAL,
					 "restore: option '%s' does not apply (the VM's RAM, vCPUs "
					 "and devices are the snapshot's)",
					 argv[at]);
		}
	}
	for (; optind < argc; optind++) {
		if (opts->restore)
			return error_set(EINVAL, "restore: one snapshot FILE ('%s', '%s')",
					 opts->restore, argv[optind]);
		opts->restore = argv[optind];
	}
	if (!opts->restore)
		return error_set(EINVAL, "restore: which snapshot FILE?");
	return 0;
}

int options_parse(int argc, char **argv, struct options *opts)
{
	const char *cmd;

	memset(opts, 0, sizeof(*opts));
	opts->mem_size = LAYOUT_MEM_DEFAULT;
	opts->cpus = 1;
	if (argc < 2)
		return error_set(EINVAL, "no command given");
	cmd = argv[1];
	if (!strcmp(cmd, "run")) {
		opts->command = CMD_RUN;
		return parse_run(argc - 1, argv + 1, opts);
	}
	if (!strcmp(cmd, "restore")) {
		opts->command = CMD_RESTORE;
		return parse_restore(argc - 1, argv + 1, opts);
	}
	if (argc > 2 && (!strcmp(cmd, "check") || !strcmp(cmd, "version") || !strcmp(cmd, "help")))
		return error_set(EINVAL, "'%s' takes no arguments", cmd);
	if (!strcmp(cmd, "check"))
		opts->command = CMD_CHECK;
	else if (!strcmp(cmd, "version") || !strcmp(cmd, "--version"))
		opts->command = CMD_VERSION;
	else if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		opts->command = CMD_HELP;
	else
		return error_set(EINVAL, "unknown command '%s' (did you mean 'mini-kvm run %s'?)",
				 cmd, cmd);
	return 0;
}
