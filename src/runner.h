/* Running guests: one VM and one thread per guest, concurrently, with signals handled. */
#ifndef MINI_KVM_RUNNER_H
#define MINI_KVM_RUNNER_H

#include "options.h"
#include "vm.h"

/* What became of one guest. */
struct guest_report {
	unsigned int index; /* 1-based, as in the output prefix */
	char name[CONSOLE_NAME_MAX];
	const char *path;
	struct vm_result result; /* owns result.dump */
	char *stats;		 /* --stats table (malloc()ed) or NULL */
	char *hint;		 /* what a known host limitation explains, or NULL */
	char *notes;		 /* what its virtio devices logged (lines, malloc()ed), or NULL */
	uint64_t output_dropped; /* bytes of output given up when the VM stopped (console.h) */
};

struct run_report {
	struct guest_report guests[OPTIONS_MAX_GUESTS];
	unsigned int nguests;
};

/*
 * Run every guest of opts concurrently and wait for all of them. Guest files are
 * all opened before any runs, so a bad file runs nothing. SIGINT, SIGTERM and
 * SIGHUP stop every VM cleanly (VM_END_SIGNAL).
 * Returns 0 with each guest's outcome in *report, or -errno with a message when
 * nothing could run (no KVM, a bad guest file). Free with runner_report_free().
 */
int runner_run(const struct options *opts, struct run_report *report);
void runner_report_free(struct run_report *report);

/* The guest name shown in prefixes: path's file name without its extension. */
void runner_guest_name(const char *path, char *name, unsigned long size);

#endif
