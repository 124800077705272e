/* SPDX-License-Identifier: MIT */
/* What a run writes besides guest output: console backend and log, traces, JSON stats, notes. */
#ifndef MINI_KVM_RUN_OUTPUTS_H
#define MINI_KVM_RUN_OUTPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "console_log.h"
#include "runner.h"
#include "serial_backend.h"
#include "trace.h"
#include "trace_json.h"

struct options;
struct vm;

/* Every output a run opens before any guest runs (runner_run()). */
struct run_outputs {
	struct serial_backend serial; /* --serial: guest 1's console */
	struct console_log log;	      /* --console-log */
	bool has_log;
	struct trace_sink trace;      /* --trace, --trace-file */
	struct trace_json trace_json; /* --trace-json */
	bool has_trace_json;
};

/*
 * Open the console backend of opts->serial and every output file opts names
 * (--console-log, --trace-file, --trace-json); note a pty's name or a server
 * socket's wait through hooks (RUN_NOTE_ESSENTIAL). Returns 0, or -errno with a
 * message naming the file; on failure nothing stays open.
 */
int run_outputs_open(const struct options *opts, struct run_outputs *out,
		     const struct run_hooks *hooks);

/* Close what run_outputs_open() opened. Returns 0, or the first -errno with a message. */
int run_outputs_close(struct run_outputs *out);

/* Tell hooks (may be NULL) one line of kind, printf-style (at most VM_MESSAGE_MAX bytes). */
void run_note(const struct run_hooks *hooks, enum run_note kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Standard input in_fd, when it is a terminal: the hint (Ctrl-A x, Ctrl-A h) through
 * hooks, then raw for the interactive guest (*interactive: Linux, an --irqchip OS)
 * or else cooked with Ctrl-A ending a line (terminal_escape_mode()), so the keys
 * work for every guest. *interactive comes back false unless the terminal went raw.
 * Returns the keys for console_input_start_keys(), on_quit for Ctrl-A x; none when
 * in_fd is no terminal on stdin.
 */
struct console_keys run_terminal_keys(bool *interactive, int in_fd, void (*on_quit)(void *),
				      const struct run_hooks *hooks);

/* The --stats=json object of vm, which ran as guest r (its timeline for Linux). */
char *run_stats_json(const struct vm *vm, const struct guest_report *r, bool linux_guest,
		     const char *marker);

/*
 * The warning for many unclaimed MMIO accesses over vm's vCPUs (at least
 * STATS_UNCLAIMED_MMIO_WARN: too little RAM, mem_size bytes, or a wild pointer), as
 * malloc()ed text, or NULL when there are few.
 */
char *run_unclaimed_warning(const struct vm *vm, uint64_t mem_size);

/* --trace-json: give vm's vCPUs exit logs before it runs. Returns 0 or -ENOMEM. */
int run_exit_logs_start(struct vm *vm);

/*
 * --trace-json: add vm's exits and milestones to tj (may be NULL: just free) as
 * process index named label, and free the vCPUs' logs.
 */
void run_exit_logs_finish(struct vm *vm, struct trace_json *tj, unsigned int index,
			  const char *label);

#endif
