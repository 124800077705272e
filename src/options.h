/* The command line: `mini-kvm run|check|version|help` and run's options, parsed into a struct. */
#ifndef MINI_KVM_OPTIONS_H
#define MINI_KVM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "loaders/image.h"

enum command { CMD_RUN, CMD_RESTORE, CMD_CHECK, CMD_VERSION, CMD_HELP };

#define OPTIONS_MAX_GUESTS 64

struct guest_options {
	const char *path;
	struct image_options image;
};

struct options {
	enum command command;
	uint64_t mem_size;  /* bytes; LAYOUT_MEM_DEFAULT unless -m */
	unsigned int cpus;  /* 1 unless -c */
	const char *kernel; /* -k: a Linux bzImage, or NULL */
	const char *initrd; /* -i */
	const char *params; /* -p */
	const char *disk;   /* --disk: the HC_BLK_* disk image, or NULL */
	bool irqchip;	    /* --irqchip: in-kernel PIC/IOAPIC/LAPIC and PIT for GUESTs */
	bool raw_console;   /* --raw-console: guest bytes reach a terminal unchanged */
	bool stats;
	bool trace;
	double timeout;		 /* seconds; 0 = none */
	const char *boot_marker; /* --boot-marker: console text the boot timeline waits for */
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
 * bad number, no guest to run). Pure apart from getopt's global state.
 */
int options_parse(int argc, char **argv, struct options *opts);

/*
 * Parse a memory size: a number of MiB, or a number with a K, M or G suffix
 * (optionally followed by "iB" or "B"), case-insensitive: "256", "512M", "1G".
 * Returns 0 and *bytes, or -EINVAL (not a size, zero, overflow).
 */
int parse_size(const char *text, uint64_t *bytes);

/* The usage text for `mini-kvm help`. */
extern const char options_usage[];

#endif
