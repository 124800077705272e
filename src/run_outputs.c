/* SPDX-License-Identifier: MIT */
/* The outputs of a run: --serial, --console-log, --trace-file, --trace-json, --stats=json, notes. */
#include "run_outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "options.h"
#include "stats_json.h"
#include "terminal.h"
#include "vm.h"

#define TRACE_FILE_MODE 0644

void run_note(const struct run_hooks *hooks, enum run_note kind, const char *fmt, ...)
{
	char text[VM_MESSAGE_MAX];
	va_list ap;

	if (!hooks || !hooks->note)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	hooks->note(hooks->opaque, kind, text);
}

int run_outputs_open(const struct options *opts, struct run_outputs *out,
		     const struct run_hooks *hooks)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->trace.fd = STDERR_FILENO;
	out->trace.filter = opts->trace_filter;
	ret = serial_backend_open(&out->serial, &opts->serial);
	if (ret < 0)
		return ret;
	if (opts->console_log) {
		ret = console_log_open(&out->log, opts->console_log);
		if (ret < 0)
			goto fail;
		out->has_log = true;
	}
	if (opts->trace_file) {
		out->trace.fd = open(opts->trace_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				     TRACE_FILE_MODE);
		if (out->trace.fd < 0) {
			ret = error_errno(errno, "--trace-file '%s'", opts->trace_file);
			out->trace.fd = STDERR_FILENO;
			goto fail;
		}
	}
	if (opts->trace_json) {
		ret = trace_json_open(&out->trace_json, opts->trace_json, opts->start_ns);
		if (ret < 0)
			goto fail;
		out->has_trace_json = true;
	}
	if (out->serial.pty_name[0])
		run_note(hooks, RUN_NOTE_ESSENTIAL,
			 "serial console on %s (screen %s, or minicom -D %s)", out->serial.pty_name,
			 out->serial.pty_name, out->serial.pty_name);
	if (out->serial.listen_fd >= 0)
		run_note(hooks, RUN_NOTE_ESSENTIAL,
			 "serial console: waiting for a connection on %s (socat -,raw,echo=0 "
			 "UNIX-CONNECT:%s)",
			 opts->serial.path, opts->serial.path);
	return 0;
fail:
	if (out->has_log)
		console_log_close(&out->log);
	if (out->trace.fd > STDERR_FILENO)
		close(out->trace.fd);
	serial_backend_close(&out->serial);
	return ret;
}

int run_outputs_close(struct run_outputs *out)
{
	int ret = 0, r;

	if (out->has_trace_json && (r = trace_json_close(&out->trace_json)) < 0)
		ret = r;
	if (out->has_log && (r = console_log_close(&out->log)) < 0 && !ret)
		ret = r;
	if (out->trace.fd > STDERR_FILENO && close(out->trace.fd) < 0 && !ret)
		ret = error_errno(errno, "--trace-file");
	serial_backend_close(&out->serial);
	return ret;
}

struct console_keys run_terminal_keys(bool *interactive, int in_fd, void (*on_quit)(void *),
				      const struct run_hooks *hooks)
{
	struct console_keys keys = { .help_fd = STDERR_FILENO };
	bool tty = in_fd == STDIN_FILENO && isatty(STDIN_FILENO);

	if (!tty) {
		*interactive = false;
		return keys;
	}
	if (isatty(STDERR_FILENO))
		run_note(hooks, RUN_NOTE_HINT, "Ctrl-A x to quit, Ctrl-A h for help");
	keys.on_quit = on_quit;
	if (*interactive && terminal_raw(STDIN_FILENO) == 0)
		return keys;
	*interactive = false;
	keys.cooked_terminal = terminal_escape_mode(STDIN_FILENO, CONSOLE_ESCAPE) == 0;
	return keys;
}

char *run_stats_json(const struct vm *vm, const struct guest_report *r, bool linux_guest,
		     const char *marker)
{
	const struct vcpu_stats *per_vcpu[VM_MAX_VCPUS];
	const struct stats_json_guest g = { .index = r->index, .name = r->name, .path = r->path };

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		per_vcpu[i] = &vm->vcpus[i].stats;
	return stats_json_report(&g, per_vcpu, vm->nvcpus, vm->end_ns - vm->start_ns,
				 vm_device_name, (void *)vm, linux_guest ? &vm->timeline : NULL,
				 marker);
}

char *run_unclaimed_warning(const struct vm *vm, uint64_t mem_size)
{
	uint64_t unclaimed = 0;
	char *text;

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		unclaimed += vm->vcpus[i].stats.unclaimed_mmio;
	if (unclaimed < STATS_UNCLAIMED_MMIO_WARN)
		return NULL;
	if (asprintf(&text,
		     "%llu accesses to MMIO addresses no device claims (reads saw all ones, "
		     "writes were dropped): has it too little RAM (-m %llu MiB), or a wild "
		     "pointer? --stats lists the addresses",
		     (unsigned long long)unclaimed, (unsigned long long)(mem_size >> 20)) < 0)
		return NULL;
	return text;
}

int run_exit_logs_start(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].exit_log = calloc(1, sizeof(struct exit_log));
		if (!vm->vcpus[i].exit_log)
			return error_set(ENOMEM, "no memory for --trace-json");
	}
	return 0;
}

void run_exit_logs_finish(struct vm *vm, struct trace_json *tj, unsigned int index,
			  const char *label)
{
	struct exit_log *logs[VM_MAX_VCPUS];

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		logs[i] = vm->vcpus[i].exit_log;
	if (tj && vm->nvcpus)
		trace_json_guest(tj, index, label, logs, vm->nvcpus, &vm->timeline, vm_device_name,
				 vm);
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		if (logs[i])
			exit_log_free(logs[i]);
		free(logs[i]);
		vm->vcpus[i].exit_log = NULL;
	}
}
