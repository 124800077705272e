/* SPDX-License-Identifier: MIT */
/* Parsing mini-kvm's command line (kvmtool-style flags) into struct options. */
#include "options.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "gdb/gdb_server.h"
#include "sandbox.h"
#include "suggest.h"
#include "util.h"
#include "vm.h"
#include "arch/x86/layout.h"

const char options_usage[] =
	"usage: mini-kvm run [OPTIONS] [GUEST ...]\n"
	"       mini-kvm restore [OPTIONS] FILE   resume a snapshot (docs/snapshot.md)\n"
	"       mini-kvm check [--json]  probe which boot modes this host's KVM runs,\n"
	"                                and what it traps for gdb (--gdb)\n"
	"       mini-kvm version | help [COMMAND]\n"
	"\n"
	"run options:\n"
	"  -k, --kernel FILE     Linux bzImage or vmlinux (PVH boot), or a Multiboot kernel\n"
	"  -i, --initrd FILE     initramfs / initrd\n"
	"  -p, --params STR      kernel command line (console=ttyS0 is added unless it\n"
	"                        names a console)\n"
	"  -m, --mem SIZE        guest RAM, MiB or with K/M/G suffix (default 128M; 1M to\n"
	"                        1T in whole 4 KiB pages)\n"
	"  -c, --cpus N          vCPUs (default 1; more than 1 needs -k or --irqchip)\n"
	"      --mode MODE       for flat GUEST binaries: real | protected | paging | long\n"
	"      --load ADDR       load address of flat GUEST binaries\n"
	"      --irqchip         give GUESTs KVM's in-kernel PIC, I/O APIC, LAPIC and PIT\n"
	"                        (timer interrupts; serial IRQ 4); -k always has them\n"
	"      --disk FILE[,ro]  with -k: a virtio-blk disk, repeatable (vda, vdb ... in order,\n"
	"                        up to 8; ,ro: read-only); with a GUEST: the disk of the\n"
	"                        HC_BLK_* hypercalls (one GUEST only; whole 512-byte sectors;\n"
	"                        written through; ,ro: writes fail with HC_EROFS)\n"
	"      --rng             with -k: a virtio entropy device (the host's getrandom())\n"
	"      --net user[,hostfwd=tcp:[ADDR]:HOSTPORT-:GUESTPORT][,mac=MAC]\n"
	"                        with -k: a virtio-net NIC on user-mode networking (libslirp:\n"
	"                        DHCP 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3; forwards\n"
	"                        listen on 127.0.0.1 unless ADDR says otherwise)\n"
	"      --net tap[,ifname=NAME][,mac=MAC]\n"
	"                        with -k: a virtio-net NIC on a tap device (CAP_NET_ADMIN)\n"
	"      --entry ADDR      entry point, overriding the default or the ELF's\n"
	"      --ata FILE[,ro]   an ATA (IDE) disk for bare guests, up to 4: primary master,\n"
	"                        slave, secondary master, slave (,ro: read-only)\n"
	"      --boot-disk       boot sector 0 of the first --ata disk (no BIOS; no GUEST)\n"
	"      --debug-exit PORT an isa-debug-exit port: a write of V exits with (V<<1)|1\n"
	"      --vga-text        show the 80x25 text buffer (0xb8000) on the console while\n"
	"                        the guest does not use its serial port (needs --irqchip)\n"
	"      --serial WHERE    the guest's console: stdio (default), file:PATH, pty,\n"
	"                        unix:PATH or unix:PATH,server\n"
	"      --console-log FILE  a copy of everything the guests print\n"
	"      --raw-console     pass guest output to a terminal unchanged (by default\n"
	"                        control bytes show as ^X unless the guest is interactive)\n"
	"      --stats[=FORMAT]  print VM-exit statistics at exit (on stderr): table\n"
	"                        (default) or json\n"
	"      --stats-file FILE the statistics go to FILE (implies --stats)\n"
	"      --trace[=FILTER]  log VM exits to stderr; FILTER: io, mmio, other,\n"
	"                        port=P[-Q], addr=A[-B], comma-separated (default: all)\n"
	"      --trace-file FILE trace lines go to FILE (implies --trace)\n"
	"      --trace-json FILE the VM exits and boot milestones as a Chrome/Perfetto\n"
	"                        trace (open it in ui.perfetto.dev)\n"
	"      --timeout SECS    stop a guest still running after SECS seconds (exit 124)\n"
	"      --boot-marker STR with -k: the boot timeline (--stats) ends at the first\n"
	"                        console line containing STR\n"
	"      --gdb [ADDR:]PORT serve gdb's remote protocol (target remote ADDR:PORT);\n"
	"                        ADDR defaults to 127.0.0.1, PORT 0 picks one (one guest)\n"
	"      --gdb-wait        with --gdb: hold the guest before its first instruction\n"
	"                        until gdb attaches and continues\n"
	"      --seccomp MODE    what a system call outside a thread's seccomp allow-list\n"
	"                        does: kill (the default), trap (say which, then exit), off\n"
	"      --no-seccomp      no seccomp filters (--seccomp off)\n"
	"      --snapshot FILE   where snapshots go (Ctrl-A s, SIGUSR2, --snapshot-at);\n"
	"                        default NAME.snap (NAME-N.snap with several GUESTs)\n"
	"      --snapshot-at STR snapshot at the first console line containing STR\n"
	"      --snapshot-and-exit  stop after saving a snapshot (exit status 0)\n"
	"  -q, --quiet           errors only: no warnings, hints or notes\n"
	"  -v, --verbose         also say what each guest is given and how it ended\n"
	"  GUEST ...             flat binaries or ELF executables; several run concurrently,\n"
	"                        one VM each. --mode/--load/--entry apply to the GUESTs after\n"
	"                        them (after the last GUEST: to all without their own)\n"
	"keys on a terminal: Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A s snapshots\n"
	"\n"
	"restore options: --disk FILE[,ro]... and --ata FILE[,ro]... (instead of the saved\n"
	"  paths, in order), --verify (check every RAM page's CRC first), --debug-exit PORT,\n"
	"  --stats, --trace, --timeout, --raw-console, --snapshot, --snapshot-at,\n"
	"  --snapshot-and-exit; the VM's RAM, vCPUs and devices are the snapshot's\n";

/* `mini-kvm check`'s own usage, after the run options in `mini-kvm help`. */
static const char usage_check[] =
	"usage: mini-kvm check [--json]\n"
	"Run a tiny probe guest per capability, each in a fresh VM, and say which this\n"
	"host's KVM runs.\n"
	"      --json            one JSON object: the KVM module, each probe, and whether\n"
	"                        this host runs Linux guests (\"linux\": true/false)\n";

static const char usage_version[] = "usage: mini-kvm version\nPrint mini-kvm's version.\n";

const char *options_usage_of(enum command topic)
{
	switch (topic) {
	case CMD_CHECK:
		return usage_check;
	case CMD_VERSION:
		return usage_version;
	case CMD_RUN:
	case CMD_RESTORE:
	case CMD_HELP:
		break;
	}
	return options_usage;
}

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
	OPT_RNG,
	OPT_GDB,
	OPT_GDB_WAIT,
	OPT_ATA,
	OPT_BOOT_DISK,
	OPT_DEBUG_EXIT,
	OPT_VGA_TEXT,
	OPT_SECCOMP,
	OPT_NO_SECCOMP,
	OPT_STATS_FILE,
	OPT_TRACE_FILE,
	OPT_TRACE_JSON,
	OPT_SERIAL,
	OPT_CONSOLE_LOG,
	OPT_SNAPSHOT,
	OPT_SNAPSHOT_AT,
	OPT_SNAPSHOT_AND_EXIT,
	OPT_VERIFY,
	OPT_NET,
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
	{ "stats", optional_argument, NULL, OPT_STATS },
	{ "trace", optional_argument, NULL, OPT_TRACE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "boot-marker", required_argument, NULL, OPT_BOOT_MARKER },
	{ "irqchip", no_argument, NULL, OPT_IRQCHIP },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "raw-console", no_argument, NULL, OPT_RAW_CONSOLE },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "gdb", required_argument, NULL, OPT_GDB },
	{ "gdb-wait", no_argument, NULL, OPT_GDB_WAIT },
	{ "ata", required_argument, NULL, OPT_ATA },
	{ "boot-disk", no_argument, NULL, OPT_BOOT_DISK },
	{ "debug-exit", required_argument, NULL, OPT_DEBUG_EXIT },
	{ "vga-text", no_argument, NULL, OPT_VGA_TEXT },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "trace-file", required_argument, NULL, OPT_TRACE_FILE },
	{ "trace-json", required_argument, NULL, OPT_TRACE_JSON },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "snapshot-at", required_argument, NULL, OPT_SNAPSHOT_AT },
	{ "snapshot-and-exit", no_argument, NULL, OPT_SNAPSHOT_AND_EXIT },
	{ "net", required_argument, NULL, OPT_NET },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* `restore`: the run options that make sense for a VM whose machine is the snapshot's. */
static const struct option restore_options[] = {
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "ata", required_argument, NULL, OPT_ATA },
	{ "debug-exit", required_argument, NULL, OPT_DEBUG_EXIT },
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

static int parse_timeout(const char *arg, double *timeout);
static int parse_debug_exit(const char *arg, struct options *opts);
static int add_ata(struct options *opts, const char *arg);

/*
 * The options run and restore share (snapshots, ATA disks, the debug-exit port, the
 * timeout, the raw console): 1 if c was one, 0 if not, or -EINVAL with a message.
 */
static int shared_option(int c, const char *arg, struct options *opts)
{
	int ret;

	switch (c) {
	case OPT_ATA:
		ret = add_ata(opts, arg);
		return ret < 0 ? ret : 1;
	case OPT_DEBUG_EXIT:
		ret = parse_debug_exit(arg, opts);
		return ret < 0 ? ret : 1;
	case OPT_TIMEOUT:
		ret = parse_timeout(arg, &opts->timeout);
		return ret < 0 ? ret : 1;
	case OPT_RAW_CONSOLE:
		opts->raw_console = true;
		return 1;
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

/*
 * -m: a size (parse_size()) that guest RAM can have: whole 4 KiB pages, from
 * LAYOUT_MEM_MIN to OPTIONS_MEM_MAX. Any other is bad usage, never a failure later.
 */
static int parse_mem(const char *text, uint64_t *bytes)
{
	if (parse_size(text, bytes))
		return error_set(EINVAL, "--mem '%s': not a size (e.g. 256, 512M, 2G)", text);
	if (*bytes < LAYOUT_MEM_MIN || *bytes > OPTIONS_MEM_MAX || *bytes % LAYOUT_PAGE_SIZE)
		return error_set(EINVAL,
				 "--mem '%s': guest RAM is %llu MiB to %llu GiB, in whole %llu KiB "
				 "pages",
				 text, LAYOUT_MEM_MIN / LAYOUT_MIB, OPTIONS_MEM_MAX / LAYOUT_GIB,
				 LAYOUT_PAGE_SIZE / LAYOUT_KIB);
	return 0;
}

/* --stats=FORMAT */
static int parse_stats_format(const char *text, struct options *opts)
{
	opts->stats = true;
	if (!text || !strcmp(text, "table"))
		opts->stats_json = false;
	else if (!strcmp(text, "json"))
		opts->stats_json = true;
	else
		return error_set(EINVAL, "--stats=%s: the formats are table and json", text);
	return 0;
}

/* The long options whose names start with name (up to an '='), for ambiguity. */
static unsigned int prefix_matches(const char *name, const char **found, unsigned int max)
{
	size_t len = strcspn(name, "=");
	unsigned int n = 0;

	for (const struct option *o = run_options; o->name; o++) {
		if (!strncmp(o->name, name, len)) {
			if (strlen(o->name) == len)
				return 0; /* an exact name is never ambiguous */
			if (n < max)
				found[n] = o->name;
			n++;
		}
	}
	return n;
}

/* An unknown or ambiguous long option (arg: "--stat" ...), with what was likely meant. */
static int bad_long_option(const char *arg)
{
	const char *names[ARRAY_SIZE(run_options)], *matches[3];
	char name[SUGGEST_MAX_LEN + 1];
	unsigned int n = 0, m;
	const char *best;

	m = prefix_matches(arg + 2, matches, ARRAY_SIZE(matches));
	if (m > 1)
		return error_set(EINVAL, "option '%s' is ambiguous: --%s, --%s%s", arg, matches[0],
				 matches[1], m > 2 ? " ..." : "");
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	for (const struct option *o = run_options; o->name; o++)
		names[n++] = o->name;
	best = suggest_word(name, names, n);
	if (best)
		return error_set(EINVAL, "unknown option '%s' (did you mean '--%s'?)", arg, best);
	return error_set(EINVAL, "unknown option '%s'", arg);
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

/*
 * FILE[,ro] of --disk and --ata: only a trailing ",ro" is an option, any other comma is
 * the name's. Returns the length of FILE in arg, and whether ",ro" was there.
 */
static size_t strip_read_only(const char *arg, bool *read_only)
{
	size_t len = strlen(arg), suffix = strlen(OPTIONS_DISK_RO);

	*read_only = len >= suffix && !strcmp(arg + len - suffix, OPTIONS_DISK_RO);
	return *read_only ? len - suffix : len;
}

/* One --disk FILE[,ro]. */
static int add_disk(struct options *opts, const char *arg)
{
	struct disk_option *d;
	size_t len;

	if (opts->ndisks == OPTIONS_MAX_DISKS)
		return error_set(EINVAL,
				 "--disk '%s': more than %d disks (one virtio-mmio slot each, "
				 "GSIs 16-23)",
				 arg, OPTIONS_MAX_DISKS);
	d = &opts->disks[opts->ndisks];
	d->arg = arg;
	len = strip_read_only(arg, &d->read_only);
	if (len == 0)
		return error_set(EINVAL, "--disk '%s': no file name", arg);
	if (len >= sizeof(d->path))
		return error_set(EINVAL,
				 "--disk '%.40s...': a file name of %zu bytes (at most %zu)", arg,
				 len, sizeof(d->path) - 1);
	memcpy(d->path, arg, len);
	d->path[len] = '\0';
	opts->ndisks++;
	return 0;
}

/*
 * What --disk and --rng mean once the guest is known: with -k, virtio devices (as many
 * as there are slots); with GUESTs, the one HC_BLK_* disk, written through.
 */
static int check_devices(struct options *opts)
{
	unsigned int nic = opts->net.kind != NET_NONE;

	if (opts->kernel) {
		if (opts->ndisks + opts->rng + nic > OPTIONS_MAX_DISKS)
			return error_set(EINVAL,
					 "--disk, --rng and --net: %u virtio devices, at most %d "
					 "(one virtio-mmio slot each, GSIs 16-23)",
					 opts->ndisks + opts->rng + nic, OPTIONS_MAX_DISKS);
		return 0;
	}
	if (nic)
		return error_set(EINVAL, "--net: a virtio NIC is for -k (Linux); bare GUESTs have "
					 "no virtio driver");
	if (opts->rng)
		return error_set(EINVAL, "--rng: a virtio entropy device is for -k (Linux); bare "
					 "GUESTs have no virtio driver");
	if (opts->ndisks > 1)
		return error_set(
			EINVAL,
			"--disk given twice ('%s', '%s'): a GUEST has one disk (HC_BLK_*); "
			"several are for -k (virtio disks)",
			opts->disks[0].arg, opts->disks[1].arg);
	if (opts->ndisks) {
		opts->disk = opts->disks[0].path;
		opts->disk_ro = opts->disks[0].read_only; /* HC_BLK_WRITE answers HC_EROFS */
	}
	opts->ndisks = 0; /* disks[] are -k's virtio disks */
	return 0;
}

/* --ata FILE[,ro]: the next disk slot. */
/* --debug-exit PORT: the isa-debug-exit device's port. */
static int parse_debug_exit(const char *arg, struct options *opts)
{
	uint64_t value;

	if (parse_u64(arg, 0, &value) || value > UINT16_MAX - DEBUG_EXIT_PORTS + 1)
		return error_set(EINVAL, "--debug-exit '%s': not a port (0 to 0x%x, e.g. 0x%x)",
				 arg, UINT16_MAX - DEBUG_EXIT_PORTS + 1, PORT_DEBUG_EXIT_DEFAULT);
	opts->debug_exit = true;
	opts->debug_exit_port = value;
	return 0;
}

static int add_ata(struct options *opts, const char *arg)
{
	struct ata_option *a;
	size_t len;

	if (opts->nata == OPTIONS_MAX_ATA)
		return error_set(EINVAL,
				 "--ata '%s': at most %d disks (primary master, primary slave, "
				 "secondary master, secondary slave)",
				 arg, OPTIONS_MAX_ATA);
	a = &opts->ata[opts->nata];
	len = strip_read_only(arg, &a->read_only);
	if (len == 0 || len >= sizeof(a->path))
		return error_set(EINVAL, "--ata '%s': not a file name", arg);
	memcpy(a->path, arg, len);
	a->path[len] = '\0';
	opts->nata++;
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

		c = getopt_long(argc, argv, "-:k:i:p:m:c:hqv", run_options, NULL);
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
			ret = parse_mem(optarg, &opts->mem_size);
			if (ret < 0)
				return ret;
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
			ret = parse_stats_format(optarg, opts);
			if (ret < 0)
				return ret;
			break;
		case OPT_STATS_FILE:
			opts->stats = true;
			opts->stats_file = optarg;
			break;
		case OPT_TRACE:
			opts->trace = true;
			if (trace_filter_parse(optarg, &opts->trace_filter) < 0)
				return error_wrap(EINVAL, "--trace=%s", optarg);
			break;
		case OPT_TRACE_FILE:
			if (!opts->trace)
				trace_filter_parse(NULL, &opts->trace_filter);
			opts->trace = true;
			opts->trace_file = optarg;
			break;
		case OPT_TRACE_JSON:
			opts->trace_json = optarg;
			break;
		case OPT_SERIAL:
			if (serial_spec_parse(optarg, &opts->serial) < 0)
				return error_wrap(EINVAL, "--serial");
			break;
		case OPT_CONSOLE_LOG:
			opts->console_log = optarg;
			break;
		case 'q':
			opts->verbosity = VERBOSITY_QUIET;
			break;
		case 'v':
			opts->verbosity = VERBOSITY_VERBOSE;
			break;
		case OPT_IRQCHIP:
			opts->irqchip = true;
			break;
		case OPT_DISK:
			ret = add_disk(opts, optarg);
			if (ret < 0)
				return ret;
			break;
		case OPT_RNG:
			opts->rng = true;
			break;
		case OPT_NET:
			if (opts->net.kind != NET_NONE)
				return error_set(EINVAL, "--net given twice: a guest has one NIC");
			ret = net_config_parse(&opts->net, optarg);
			if (ret < 0)
				return ret;
			break;
		case OPT_GDB: {
			struct sockaddr_storage addr;
			socklen_t len;

			if (opts->gdb)
				return error_set(EINVAL,
						 "--gdb given twice ('%s', '%s'): one gdb server "
						 "per mini-kvm",
						 opts->gdb, optarg);
			if (gdb_server_parse_address(optarg, &addr, &len) < 0)
				return error_wrap(EINVAL, "--gdb");
			opts->gdb = optarg;
			break;
		}
		case OPT_GDB_WAIT:
			opts->gdb_wait = true;
			break;
		case OPT_BOOT_DISK:
			opts->boot_disk = true;
			break;
		case OPT_VGA_TEXT:
			opts->vga_text = true;
			break;
		case OPT_SECCOMP:
			if (sandbox_mode_parse(optarg, &opts->seccomp))
				return error_set(EINVAL, "--seccomp '%s': not kill, trap or off",
						 optarg);
			break;
		case OPT_NO_SECCOMP:
			opts->seccomp = SANDBOX_OFF;
			break;
		case OPT_BOOT_MARKER:
			opts->boot_marker = optarg;
			break;
		case OPT_ATA:
		case OPT_DEBUG_EXIT:
		case OPT_TIMEOUT:
		case OPT_RAW_CONSOLE:
		case OPT_SNAPSHOT:
		case OPT_SNAPSHOT_AT:
		case OPT_SNAPSHOT_AND_EXIT:
			ret = shared_option(c, optarg, opts);
			if (ret < 0)
				return ret;
			break;
		case 'h':
			opts->command = CMD_HELP;
			opts->help_topic = CMD_RUN;
			return 0;
		case ':':
			return error_set(EINVAL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			/* A bad letter may sit inside a cluster (-xc2): name the letter alone. */
			if (optopt && strncmp(argv[at], "--", 2))
				return error_set(EINVAL, "unknown option '-%c'", optopt);
			if (!strncmp(argv[at], "--", 2))
				return bad_long_option(argv[at]);
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
	if (opts->boot_disk && !opts->nata)
		return error_set(EINVAL, "--boot-disk boots the first --ata disk: give --ata FILE");
	if (opts->boot_disk && (opts->nguests || opts->kernel))
		return error_set(EINVAL,
				 "--boot-disk boots the first --ata disk's sector 0; it cannot be "
				 "combined with GUEST files or -k");
	if (!opts->nguests && !opts->kernel && !opts->boot_disk)
		return error_set(EINVAL, "nothing to run: give a GUEST file, -k bzImage or "
					 "--ata FILE --boot-disk");
	if (opts->kernel && opts->nguests)
		return error_set(
			EINVAL, "-k boots one Linux guest; it cannot be combined with GUEST files");
	ret = check_devices(opts);
	if (ret < 0)
		return ret;
	/* One writer per disk file: VMs sharing one would overwrite each other's data. */
	if (opts->disk && opts->nguests > 1)
		return error_set(EINVAL, "--disk: %u GUESTs given; a disk belongs to one GUEST",
				 opts->nguests);
	/* gdb debugs one VM: which one would a second guest's breakpoints go to? */
	if (opts->gdb && opts->nguests > 1)
		return error_set(EINVAL, "--gdb: %u GUESTs given; gdb debugs one GUEST",
				 opts->nguests);
	if (opts->gdb_wait && !opts->gdb)
		return error_set(EINVAL, "--gdb-wait needs --gdb [ADDR:]PORT");
	if ((opts->initrd || opts->params) && !opts->kernel)
		return error_set(EINVAL, "-i and -p need -k (a Linux or Multiboot kernel)");
	if (opts->boot_marker && !opts->kernel)
		return error_set(EINVAL, "--boot-marker needs -k: it ends a Linux guest's boot "
					 "timeline");
	/* One console backend, one guest: several guests share stdout, prefixed. */
	if (opts->serial.kind != SERIAL_STDIO && opts->nguests > 1)
		return error_set(EINVAL,
				 "--serial: %u GUESTs given; only one guest's console "
				 "can go elsewhere than stdio",
				 opts->nguests);
	/* One writer per disk file, as for --disk. */
	if (opts->nata && opts->nguests > 1)
		return error_set(EINVAL, "--ata: %u GUESTs given; ATA disks belong to one GUEST",
				 opts->nguests);
	if (opts->vga_text && !opts->irqchip && !opts->kernel)
		return error_set(EINVAL, "--vga-text: the text buffer is part of the PC that "
					 "--irqchip gives a bare guest: add --irqchip");
	/*
	 * Application processors wait for the INIT/SIPI of their BSP's local APIC: only
	 * Linux, or a bare guest with the in-kernel irqchip, has one to send them.
	 */
	if (opts->cpus > 1 && !opts->kernel && !opts->irqchip)
		return error_set(EINVAL,
				 "-c %u: several vCPUs start through the local APIC (INIT/SIPI): "
				 "give --irqchip (or -k)",
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
		ret = shared_option(c, optarg, opts);
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
			/* Which disks they name, the snapshot says (runner.c). */
			ret = add_disk(opts, optarg);
			if (ret < 0)
				return ret;
			opts->disk = opts->disks[0].path;
			opts->disk_ro = opts->disks[0].read_only;
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

/* The commands, for suggestions. */
static const char *const commands[] = { "run", "restore", "check", "version", "help" };

static int command_of(const char *word, enum command *cmd)
{
	static const enum command ids[] = { CMD_RUN, CMD_RESTORE, CMD_CHECK, CMD_VERSION,
					    CMD_HELP };

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(word, commands[i])) {
			*cmd = ids[i];
			return 0;
		}
	}
	if (!strcmp(word, "--version"))
		*cmd = CMD_VERSION;
	else if (!strcmp(word, "--help") || !strcmp(word, "-h"))
		*cmd = CMD_HELP;
	else
		return -EINVAL;
	return 0;
}

/* An unknown command: a typo of one (chek), or a GUEST without run (hello.bin). */
static int unknown_command(const char *word)
{
	const char *best = suggest_word(word, commands, ARRAY_SIZE(commands));

	if (best)
		return error_set(EINVAL, "unknown command '%s' (did you mean '%s'?)", word, best);
	if (strpbrk(word, "./"))
		return error_set(EINVAL, "unknown command '%s' (did you mean 'mini-kvm run %s'?)",
				 word, word);
	return error_set(EINVAL,
			 "unknown command '%s' (the commands are run, check, version "
			 "and help)",
			 word);
}

static bool is_help_flag(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* check [--json] [--help], version [--help], help [COMMAND]. */
static int parse_other(int argc, char **argv, enum command cmd, struct options *opts)
{
	opts->command = cmd;
	opts->help_topic = CMD_HELP;
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];

		if (cmd != CMD_HELP && is_help_flag(arg)) {
			opts->command = CMD_HELP;
			opts->help_topic = cmd;
			return 0;
		}
		if (cmd == CMD_CHECK && !strcmp(arg, "--json")) {
			opts->check_json = true;
			continue;
		}
		if (cmd == CMD_HELP && i == 2) {
			enum command topic;

			if (command_of(arg, &topic) < 0)
				return unknown_command(arg);
			opts->help_topic = topic;
			continue;
		}
		if (cmd == CMD_CHECK)
			return error_set(EINVAL, "'check' takes --json and --help only, not '%s'",
					 arg);
		if (cmd == CMD_HELP)
			return error_set(EINVAL, "'help' takes one COMMAND at most, not '%s'", arg);
		return error_set(EINVAL, "'%s' takes no arguments", argv[1]);
	}
	return 0;
}

/*
 * The tables of struct options (~90 KiB of its ~91 KiB) whose entries add_disk(),
 * add_ata() and add_guest() write whole as they count them, and that are read only
 * below their counts: options_clear() leaves them alone, so that a run touches the
 * pages of the entries it uses, not all 23 (peak RSS; make bench, "tiny"). In the
 * struct's order.
 */
#define OPTIONS_TABLE(field) \
	{ offsetof(struct options, field), sizeof(((struct options *)0)->field) }
static const struct {
	size_t offset, size;
} options_tables[] = { OPTIONS_TABLE(disks), OPTIONS_TABLE(ata), OPTIONS_TABLE(guests) };
_Static_assert(offsetof(struct options, disks) < offsetof(struct options, ata) &&
		       offsetof(struct options, ata) < offsetof(struct options, guests),
	       "options_tables[] lists the tables in the order of struct options");

/* Zero every field of *opts but the tables' entries (their counts are zeroed). */
static void options_clear(struct options *opts)
{
	size_t from = 0;

	for (size_t i = 0; i < ARRAY_SIZE(options_tables); i++) {
		memset((char *)opts + from, 0, options_tables[i].offset - from);
		from = options_tables[i].offset + options_tables[i].size;
	}
	memset((char *)opts + from, 0, sizeof(*opts) - from);
}

int options_parse(int argc, char **argv, struct options *opts)
{
	enum command cmd;

	options_clear(opts);
	opts->mem_size = LAYOUT_MEM_DEFAULT;
	opts->cpus = 1;
	opts->help_topic = CMD_HELP;
	if (argc < 2)
		return error_set(EINVAL, "no command given");
	if (command_of(argv[1], &cmd) < 0)
		return unknown_command(argv[1]);
	if (cmd == CMD_RUN) {
		opts->command = CMD_RUN;
		return parse_run(argc - 1, argv + 1, opts);
	}
	if (cmd == CMD_RESTORE) {
		opts->command = CMD_RESTORE;
		return parse_restore(argc - 1, argv + 1, opts);
	}
	return parse_other(argc, argv, cmd, opts);
}
