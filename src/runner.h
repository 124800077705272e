/* SPDX-License-Identifier: MIT */
/* Running guests: one VM and one thread per guest, concurrently, with signals handled. */
#ifndef MINI_KVM_RUNNER_H
#define MINI_KVM_RUNNER_H

#include "options.h"
#include "vm.h"

/* What the runner tells its caller as it goes (main.c prints it, as -q and -v say). */
enum run_note {
	RUN_NOTE_ESSENTIAL, /* what the user must know to go on (a pty's name): always */
	RUN_NOTE_WARNING,   /* likely a mistake (a text file as a GUEST): not with -q */
	RUN_NOTE_HINT,	    /* how to use it (Ctrl-A x): not with -q */
	RUN_NOTE_VERBOSE,   /* what each guest is given: only with -v */
};

struct run_hooks {
	/* One line, without "mini-kvm: " and without a newline; called before the guests run. */
	void (*note)(void *opaque, enum run_note kind, const char *text);
	void *opaque;
};

/* What became of one guest. */
struct guest_report {
	unsigned int index; /* 1-based, as in the output prefix */
	char name[CONSOLE_NAME_MAX];
	const char *path;
	struct vm_result result; /* owns result.dump */
	char *stats;		 /* --stats table (malloc()ed) or NULL */
	char *stats_json;	 /* --stats=json: the guest's JSON object (malloc()ed) or NULL */
	char *hint;		 /* what a known host limitation explains, or NULL */
	char *notes;		 /* what its virtio devices logged (lines, malloc()ed), or NULL */
	char *warning;		 /* what looks wrong after the run (unclaimed MMIO), or NULL */
	uint64_t wall_ns;	 /* how long the VM ran */
	uint64_t exits;		 /* VM exits, over all vCPUs */
	uint64_t output_dropped; /* bytes of output given up when the VM stopped (console.h) */
};

struct run_report {
	struct guest_report guests[OPTIONS_MAX_GUESTS];
	unsigned int nguests;
};

/*
 * Run every guest of opts concurrently and wait for all of them. Guest files and
 * every output file (--console-log, --trace-file, --trace-json, --serial) are all
 * opened before any guest runs, so a bad file runs nothing. SIGINT, SIGTERM and
 * SIGHUP stop every VM cleanly (VM_END_SIGNAL). hooks->note hears what is worth
 * saying before the guests run (may be NULL).
 * Returns 0 with each guest's outcome in *report, or -errno with a message when
 * nothing could run (no KVM, a bad guest file). Free with runner_report_free().
 */
int runner_run(const struct options *opts, const struct run_hooks *hooks,
	       struct run_report *report);
void runner_report_free(struct run_report *report);

/* The guest name shown in prefixes: path's file name without its extension. */
void runner_guest_name(const char *path, char *name, unsigned long size);

#endif
