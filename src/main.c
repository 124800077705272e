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

static void report_guest(const struct guest_report *g)
{
	const struct vm_result *r = &g->result;

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
		break;
	default:
		break;
	}
	if (g->output_dropped)
		fprintf(stderr,
			"mini-kvm: guest '%s': %" PRIu64 " bytes of its output were dropped: "
			"stdout took no more when the VM stopped\n",
			g->path, g->output_dropped);
	if (g->stats)
		fputs(g->stats, stderr);
}

static int cmd_run(const struct options *opts)
{
	static struct run_report report;
	int status = EXIT_OK;
	int ret = runner_run(opts, &report);

	if (ret < 0) {
		fprintf(stderr, "mini-kvm: %s\n", error_message());
		return EXIT_VMM_ERROR;
	}
	/* The first non-zero status, in command-line order. */
	for (unsigned int i = 0; i < report.nguests; i++) {
		int s = exit_status(&report.guests[i].result);

		report_guest(&report.guests[i]);
		if (status == EXIT_OK)
			status = s;
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
	switch (opts.command) {
	case CMD_RUN:
	case CMD_RESTORE:
		return cmd_run(&opts);
	case CMD_CHECK:
		ret = probe_check_host(stdout);
		if (ret < 0) {
			fprintf(stderr, "mini-kvm: %s\n", error_message());
			return EXIT_VMM_ERROR;
		}
		return EXIT_OK;
	case CMD_VERSION:
		printf("mini-kvm %s\n", MINI_KVM_VERSION);
		return EXIT_OK;
	case CMD_HELP:
		fputs(options_usage, stdout);
		return EXIT_OK;
	}
	return EXIT_USAGE;
}
