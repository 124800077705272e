/* SPDX-License-Identifier: MIT */
/* The command line: `mini-kvm run|check|version|help` and run's options, parsed into a struct. */
#ifndef MINI_KVM_OPTIONS_H
#define MINI_KVM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/layout.h"
#include "loaders/image.h"
#include "sandbox.h"
#include "serial_backend.h"
#include "trace.h"
#include "net/net.h"

enum command { CMD_RUN, CMD_RESTORE, CMD_CHECK, CMD_VERSION, CMD_HELP };

/* -q and -v: what mini-kvm says besides errors (main.c). */
enum verbosity {
	VERBOSITY_QUIET = -1,  /* -q: errors and what the user must know (a pty's name) only */
	VERBOSITY_NORMAL = 0,  /* warnings and hints too */
	VERBOSITY_VERBOSE = 1, /* -v: also what each guest is given and how it ended */
};

/*
 * Guests of one `mini-kvm run`: each takes two threads (its own and its vCPU's) and
 * two file descriptors (the VM's and the vCPU's); the runner raises RLIMIT_NOFILE
 * to its hard limit for many (docs/usage.md, "Several guests").
 */
#define OPTIONS_MAX_GUESTS 1024
/* --disk files of a Linux guest: one virtio-mmio slot each (GSIs 16-23, layout.h). */
#define OPTIONS_MAX_DISKS LAYOUT_VIRTIO_MMIO_COUNT
/* The longest FILE of --disk FILE[,ro] (PATH_MAX, its NUL included). */
#define OPTIONS_DISK_PATH_MAX 4096
/* The suffix of --disk FILE,ro and --ata FILE,ro. */
#define OPTIONS_DISK_RO ",ro"
/* --ata disks: primary master, primary slave, secondary master, secondary slave. */
#define OPTIONS_MAX_ATA 4

/* One --ata FILE[,ro]. */
struct ata_option {
	char path[4096]; /* FILE, without ",ro" */
	bool read_only;
};

struct guest_options {
	const char *path;
	struct image_options image;
};

/* One --disk FILE[,ro]. */
struct disk_option {
	const char *arg;		  /* as given */
	char path[OPTIONS_DISK_PATH_MAX]; /* FILE: arg without ",ro" */
	bool read_only;			  /* ",ro": a read-only virtio disk */
};

struct options {
	enum command command;
	uint64_t mem_size;  /* bytes; LAYOUT_MEM_DEFAULT unless -m */
	unsigned int cpus;  /* 1 unless -c */
	const char *kernel; /* -k: a Linux bzImage, or NULL */
	const char *initrd; /* -i */
	const char *params; /* -p */
	const char *disk;   /* a bare GUEST's --disk: the HC_BLK_* disk image, or NULL */
	/* With -k: every --disk, in order (the guest's vda, vdb ...), else none; --rng. */
	struct disk_option disks[OPTIONS_MAX_DISKS];
	unsigned int ndisks;
	bool rng;
	struct net_config net; /* --net (with -k): kind NET_NONE when not given */
	bool irqchip;	  /* --irqchip: in-kernel PIC/IOAPIC/LAPIC and PIT for GUESTs */
	bool raw_console; /* --raw-console: guest bytes reach a terminal unchanged */
	struct ata_option ata[OPTIONS_MAX_ATA]; /* --ata, in order */
	unsigned int nata;
	bool boot_disk;		  /* --boot-disk: boot sector 0 of ata[0] */
	bool debug_exit;	  /* --debug-exit PORT given */
	uint16_t debug_exit_port; /* its port */
	bool vga_text;		  /* --vga-text: render the 80x25 text buffer on the console */
	bool stats;
	bool trace;
	enum sandbox_mode seccomp;	  /* --seccomp / --no-seccomp; SANDBOX_DEFAULT if neither */
	bool disk_ro;			  /* --disk FILE,ro: HC_BLK_WRITE answers HC_EROFS */
	bool stats_json;		  /* --stats=json */
	const char *stats_file;		  /* --stats-file: the statistics go there, not to stderr */
	struct trace_filter trace_filter; /* --trace=FILTER (all exits without one) */
	const char *trace_file;		  /* --trace-file: trace lines go there, not to stderr */
	const char *trace_json;		  /* --trace-json: a Chrome/Perfetto trace of the run */
	struct serial_spec serial;	  /* --serial: where the guest's console goes */
	const char *console_log;	  /* --console-log: a copy of everything the guests print */
	enum verbosity verbosity;	  /* -q, -v */
	bool check_json;		  /* check --json */
	enum command help_topic; /* help COMMAND, COMMAND --help: whose usage (CMD_HELP: all) */
	double timeout;		 /* seconds; 0 = none */
	const char *boot_marker; /* --boot-marker: console text the boot timeline waits for */
	const char *gdb;	 /* --gdb [ADDR:]PORT (checked), or NULL */
	bool gdb_wait;		 /* --gdb-wait: held before the first instruction until gdb */
	uint64_t start_ns;	 /* when mini-kvm started (set by main, not parsed) */
	/* Snapshots (docs/snapshot.md): Ctrl-A s, SIGUSR2, --snapshot-at. */
	const char *snapshot;	 /* --snapshot FILE, or NULL: NAME.snap (runner.c) */
	const char *snapshot_at; /* --snapshot-at STR: the first console line containing it */
	bool snapshot_and_exit;	 /* --snapshot-and-exit: stop after saving (status 0) */
	const char *restore;	 /* `restore FILE`: the snapshot to resume */
	bool verify;		 /* restore --verify: check the RAM's CRCs before running */
	struct guest_options guests[OPTIONS_MAX_GUESTS];
	unsigned int nguests;
};

/* The longest --snapshot-at text: what the console matches against its current line. */
#define OPTIONS_SNAPSHOT_AT_MAX 256

/*
 * Parse argv (argv[0] is the program) into *opts. --mode, --load and --entry
 * apply to the GUESTs that follow them; given after the last GUEST they apply to
 * every GUEST that has no setting of its own.
 * Returns 0, or -EINVAL with a message for bad usage (unknown command or option,
 * with the likely one when it is a typo; bad number or size; options that do not go
 * together; no guest to run). Pure apart from getopt's global state.
 */
int options_parse(int argc, char **argv, struct options *opts);

/*
 * Parse a memory size: a number of MiB, or a number with a K, M or G suffix
 * (optionally followed by "iB" or "B"), case-insensitive: "256", "512M", "1G".
 * Returns 0 and *bytes, or -EINVAL (not a size, zero, overflow).
 */
int parse_size(const char *text, uint64_t *bytes);

/* The usage text for `mini-kvm help`: every command and option. */
extern const char options_usage[];

/*
 * The usage text of one command (`mini-kvm help run`, `mini-kvm check --help`):
 * CMD_RUN, CMD_CHECK, CMD_VERSION; CMD_HELP gives options_usage.
 */
const char *options_usage_of(enum command topic);

/*
 * Largest -m: 1 TiB. Far beyond any guest here and what most hosts can map; a
 * larger size is a typo, refused as bad usage rather than by mmap.
 */
#define OPTIONS_MEM_MAX (1ULL << 40)

#endif
