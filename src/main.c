/* SPDX-License-Identifier: MIT */
/* mini-kvm's entry point: the only place that turns errors into messages and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "options.h"
#include "probe.h"
#include "runner.h"
#include "stats_json.h"
#include "timeline.h"

/* The Makefile passes `git describe --always --dirty`, or its fallback outside a checkout. */
#ifndef MINI_KVM_VERSION
#define MINI_KVM_VERSION "0.1"
#endif

/* Exit statuses (README, "Exit status"). */
enum {
	EXIT_OK = 0,
	EXIT_VMM_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_DIED = 3,
	EXIT_TIMEOUT = 124,	/* as timeout(1) */
	EXIT_SIGNAL_BASE = 128, /* + signal number, as a shell reports it */
};

#define GUEST_STATUS_MASK 0xff

static int exit_status(const struct vm_result *r)
{
	switch (r->end) {
	case VM_END_RUNNING:
	case VM_END_HALT:
	case VM_END_POWEROFF:
	case VM_END_RESET:
	case VM_END_QUIT:
	case VM_END_GDB_KILL:
	case VM_END_OUTPUT_CLOSED:
	case VM_END_SNAPSHOT:
		return EXIT_OK;
	case VM_END_EXIT:
		return r->status & GUEST_STATUS_MASK;
	case VM_END_DIED:
		return EXIT_GUEST_DIED;
	case VM_END_ERROR:
		return EXIT_VMM_ERROR;
	case VM_END_TIMEOUT:
		return EXIT_TIMEOUT;
	case VM_END_SIGNAL:
		return EXIT_SIGNAL_BASE + r->status;
	}
	return EXIT_VMM_ERROR;
}

/* How a VM ended, in a few words (-v). */
static const char *end_name(enum vm_end end)
{
	switch (end) {
	case VM_END_RUNNING:
		return "never ran";
	case VM_END_HALT:
		return "halted";
	case VM_END_EXIT:
		return "exited (HC_EXIT)";
	case VM_END_DIED:
		return "died";
	case VM_END_ERROR:
		return "stopped by an error";
	case VM_END_TIMEOUT:
		return "timed out";
	case VM_END_SIGNAL:
		return "stopped by a signal";
	case VM_END_POWEROFF:
		return "powered off";
	case VM_END_RESET:
		return "reset";
	case VM_END_QUIT:
		return "quit (Ctrl-A x)";
	case VM_END_OUTPUT_CLOSED:
		return "stopped: stdout was closed";
	case VM_END_GDB_KILL:
		return "killed by gdb";
	case VM_END_SNAPSHOT:
		return "stopped after a snapshot";
	}
	return "?";
}

static void report_guest(const struct guest_report *g, const struct options *opts, FILE *stats)
{
	const struct vm_result *r = &g->result;
	bool quiet = opts->verbosity == VERBOSITY_QUIET;

	switch (r->end) {
	case VM_END_DIED:
		fprintf(stderr, "mini-kvm: guest '%s' died: %s\n", g->path, r->message);
		if (r->dump)
			fputs(r->dump, stderr);
		if (g->hint)
			fprintf(stderr, "mini-kvm: guest '%s': %s\n", g->path, g->hint);
		break;
	case VM_END_ERROR:
	case VM_END_TIMEOUT:
	case VM_END_SIGNAL:
		/* Loaders name their input themselves; other messages get the guest's. */
		if (strstr(r->message, g->path))
			fprintf(stderr, "mini-kvm: %s\n", r->message);
		else
			fprintf(stderr, "mini-kvm: guest '%s': %s\n", g->path, r->message);
		if (r->dump)
			fputs(r->dump, stderr); /* where --timeout found the vCPUs */
		if (g->hint) /* what it was doing when it was stopped (diagnose_stopped()) */
			fprintf(stderr, "mini-kvm: guest '%s': %s\n", g->path, g->hint);
		break;
	case VM_END_QUIT:
		if (g->hint)
			fprintf(stderr, "mini-kvm: guest '%s': %s\n", g->path, g->hint);
		break;
	case VM_END_HALT:
		/* Why a halt ended the VM when it could have waited (the halt watch). */
		if (r->message[0] && !quiet)
			fprintf(stderr, "mini-kvm: guest '%s': %s\n", g->path, r->message);
		break;
	default:
		break;
	}
	/* What the guest's virtio devices ran into (a broken queue, a failed host write). */
	for (const char *line = g->notes; line && *line;) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		fprintf(stderr, "mini-kvm: guest '%s': %.*s\n", g->path, len, line);
		line += len + (end != NULL);
	}
	if (g->warning && !quiet)
		fprintf(stderr, "mini-kvm: warning: guest '%s': %s\n", g->path, g->warning);
	if (opts->verbosity == VERBOSITY_VERBOSE)
		fprintf(stderr, "mini-kvm: guest '%s': %s after %.3f ms and %" PRIu64 " VM exits\n",
			g->path, end_name(r->end), g->wall_ns / 1e6, g->exits);
	if (g->output_dropped)
		fprintf(stderr,
			"mini-kvm: guest '%s': %" PRIu64 " bytes of its output were dropped: "
			"stdout took no more when the VM stopped\n",
			g->path, g->output_dropped);
	if (g->stats)
		fputs(g->stats, stats);
}

/* A note of the runner's (runner.h), printed or not as -q and -v say. */
static void print_note(void *opaque, enum run_note kind, const char *text)
{
	const struct options *opts = opaque;

	switch (kind) {
	case RUN_NOTE_ESSENTIAL:
		break;
	case RUN_NOTE_WARNING:
		if (opts->verbosity == VERBOSITY_QUIET)
			return;
		fprintf(stderr, "mini-kvm: warning: %s\n", text);
		return;
	case RUN_NOTE_HINT:
		if (opts->verbosity == VERBOSITY_QUIET)
			return;
		break;
	case RUN_NOTE_VERBOSE:
		if (opts->verbosity != VERBOSITY_VERBOSE)
			return;
		break;
	}
	fprintf(stderr, "mini-kvm: %s\n", text);
}

/* --stats=json: every guest's object in one document, on one line. */
static void print_stats_json(const struct run_report *report, FILE *out)
{
	bool first = true;

	fprintf(out, "{\"mini_kvm_stats\":%d,\"guests\":[", STATS_JSON_VERSION);
	for (unsigned int i = 0; i < report->nguests; i++) {
		if (!report->guests[i].stats_json)
			continue;
		fprintf(out, "%s%s", first ? "" : ",", report->guests[i].stats_json);
		first = false;
	}
	fputs("],", out);
	startup_print_json(out);
	fputs("}\n", out);
}

/* --stats-file: opened before anything runs, so that a bad path runs nothing. */
static FILE *open_stats(const struct options *opts)
{
	FILE *f;

	if (!opts->stats_file)
		return stderr;
	f = fopen(opts->stats_file, "we");
	if (!f)
		fprintf(stderr, "mini-kvm: --stats-file '%s': %s\n", opts->stats_file,
			strerror(errno));
	return f;
}

static int cmd_run(const struct options *opts)
{
	static struct run_report report;
	const struct run_hooks hooks = { .note = print_note, .opaque = (void *)opts };
	int status = EXIT_OK, ret;
	FILE *stats = open_stats(opts);

	if (!stats)
		return EXIT_VMM_ERROR;
	ret = runner_run(opts, &hooks, &report);
	if (ret < 0) {
		fprintf(stderr, "mini-kvm: %s\n", error_message());
		if (stats != stderr)
			fclose(stats);
		return EXIT_VMM_ERROR;
	}
	/* The first non-zero status, in command-line order. */
	for (unsigned int i = 0; i < report.nguests; i++) {
		int s = exit_status(&report.guests[i].result);

		report_guest(&report.guests[i], opts, stats);
		if (status == EXIT_OK)
			status = s;
	}
	if (opts->stats) {
		startup_mark(STARTUP_EXIT);
		if (opts->stats_json)
			print_stats_json(&report, stats);
		else
			startup_print(stats);
	}
	if (stats != stderr && fclose(stats) != 0) {
		fprintf(stderr, "mini-kvm: --stats-file '%s': %s\n", opts->stats_file,
			strerror(errno));
		if (status == EXIT_OK)
			status = EXIT_VMM_ERROR;
	}
	runner_report_free(&report);
	return status;
}

/*
 * Open /dev/null on any of fds 0-2 that is closed, before anything else is opened:
 * otherwise /dev/kvm or a disk image would become "stdout", and guest output would
 * be written into the user's disk. Returns 0, or -1 (nothing to report it on).
 */
static int open_standard_fds(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free fd: this one, as the ones below it are open. */
		if (open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) != fd)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t start_ns = now_ns();
	struct options opts;
	int ret;

	if (open_standard_fds() < 0)
		return EXIT_VMM_ERROR;

	if (options_parse(argc, argv, &opts) < 0) {
		fprintf(stderr, "mini-kvm: %s (see 'mini-kvm help')\n", error_message());
		return EXIT_USAGE;
	}
	opts.start_ns = start_ns;
	startup_begin(start_ns);
	startup_mark(STARTUP_OPTIONS);
	switch (opts.command) {
	case CMD_RUN:
	case CMD_RESTORE:
		return cmd_run(&opts);
	case CMD_CHECK:
		ret = probe_check_host(stdout, opts.check_json);
		if (ret < 0) {
			fprintf(stderr, "mini-kvm: %s\n", error_message());
			return EXIT_VMM_ERROR;
		}
		return EXIT_OK;
	case CMD_VERSION:
		printf("mini-kvm %s\n", MINI_KVM_VERSION);
		return EXIT_OK;
	case CMD_HELP:
		fputs(options_usage_of(opts.help_topic), stdout);
		if (opts.help_topic == CMD_HELP) {
			fputc('\n', stdout);
			fputs(options_usage_of(CMD_CHECK), stdout);
		}
		return EXIT_OK;
	}
	return EXIT_USAGE;
}
