/* SPDX-License-Identifier: MIT */
/* --trace-json: the Trace Event Format (Chrome, Perfetto): one process per guest, one thread per vCPU. */
#include "trace_json.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "json.h"
#include "kvm.h"

#define EXIT_LOG_FIRST_CAP 1024

void exit_log_add(struct exit_log *log, uint64_t run_ns, uint64_t exit_ns, uint64_t done_ns,
		  uint32_t reason, uint64_t addr, uint32_t size, uint32_t count, bool write)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : EXIT_LOG_FIRST_CAP;
		struct exit_event *events;

		if (cap > EXIT_LOG_MAX)
			cap = EXIT_LOG_MAX;
		events = cap > log->cap ? realloc(log->events, cap * sizeof(*events)) : NULL;
		if (!events) {
			log->dropped++;
			return;
		}
		log->events = events;
		log->cap = cap;
	}
	log->events[log->n++] = (struct exit_event){ .run_ns = run_ns,
						     .exit_ns = exit_ns,
						     .done_ns = done_ns,
						     .addr = addr,
						     .reason = reason,
						     .size = size,
						     .count = count,
						     .write = write };
}

void exit_log_free(struct exit_log *log)
{
	free(log->events);
	memset(log, 0, sizeof(*log));
}

int trace_json_open(struct trace_json *tj, const char *path, uint64_t origin_ns)
{
	memset(tj, 0, sizeof(*tj));
	tj->path = path;
	tj->origin_ns = origin_ns;
	tj->out = fopen(path, "we");
	if (!tj->out)
		return error_errno(errno, "--trace-json '%s'", path);
	pthread_mutex_init(&tj->lock, NULL);
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", tj->out);
	return 0;
}

/* A time in the trace: microseconds since origin, to the nanosecond. */
static void write_us(FILE *out, const char *key, uint64_t ns)
{
	fprintf(out, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / (uint64_t)NS_PER_USEC,
		ns % (uint64_t)NS_PER_USEC);
}

/* Start an event: the comma before it, then {"name": ..., "ph": ..., "pid", "tid". lock held. */
static void begin_event(struct trace_json *tj, const char *name, const char *ph, unsigned int pid,
			unsigned int tid)
{
	if (tj->any)
		fputs(",\n", tj->out);
	tj->any = true;
	fputs("{\"name\":", tj->out);
	json_write_string(tj->out, name);
	fprintf(tj->out, ",\"ph\":\"%s\",\"pid\":%u,\"tid\":%u", ph, pid, tid);
}

static void metadata(struct trace_json *tj, const char *what, unsigned int pid, unsigned int tid,
		     const char *name)
{
	begin_event(tj, what, "M", pid, tid);
	fputs(",\"args\":{\"name\":", tj->out);
	json_write_string(tj->out, name);
	fputs("}}", tj->out);
}

static uint64_t since(const struct trace_json *tj, uint64_t ns)
{
	return ns > tj->origin_ns ? ns - tj->origin_ns : 0;
}

static const char *access_name(const struct exit_event *e)
{
	if (e->reason == KVM_EXIT_MMIO)
		return e->write ? "mmio write" : "mmio read";
	return e->write ? "out" : "in";
}

static void exit_events(struct trace_json *tj, unsigned int pid, unsigned int tid,
			const struct exit_event *e, stats_device_name_fn device_name, void *opaque)
{
	bool io = e->reason == KVM_EXIT_IO, mmio = e->reason == KVM_EXIT_MMIO;
	const char *reason = kvm_exit_reason_name(e->reason);
	char name[96];

	begin_event(tj, "KVM_RUN", "X", pid, tid);
	fputs(",\"cat\":\"run\"", tj->out);
	write_us(tj->out, "ts", since(tj, e->run_ns));
	write_us(tj->out, "dur", e->exit_ns - e->run_ns);
	fputs("}", tj->out);

	if (io || mmio)
		snprintf(name, sizeof(name), "%s %s 0x%" PRIx64, reason, access_name(e), e->addr);
	else
		snprintf(name, sizeof(name), "%s", reason);
	begin_event(tj, name, "X", pid, tid);
	fputs(",\"cat\":\"exit\"", tj->out);
	write_us(tj->out, "ts", since(tj, e->exit_ns));
	write_us(tj->out, "dur", e->done_ns - e->exit_ns);
	fputs(",\"args\":{\"reason\":", tj->out);
	json_write_string(tj->out, reason);
	if (io || mmio) {
		const char *device = device_name ? device_name(e->addr, mmio, opaque) : "";

		fprintf(tj->out,
			",\"access\":\"%s\",\"%s\":\"0x%" PRIx64 "\",\"size\":%u,\"count\":%u",
			access_name(e), io ? "port" : "addr", e->addr, e->size, e->count);
		fputs(",\"device\":", tj->out);
		json_write_string(tj->out, device && *device ? device : "(unclaimed)");
	}
	fputs("}}", tj->out);
}

void trace_json_guest(struct trace_json *tj, unsigned int index, const char *label,
		      struct exit_log *const *logs, unsigned int nvcpus,
		      const struct timeline *timeline, stats_device_name_fn device_name,
		      void *opaque)
{
	char name[32];

	pthread_mutex_lock(&tj->lock);
	metadata(tj, "process_name", index, 0, label);
	for (unsigned int v = 0; v < nvcpus; v++) {
		snprintf(name, sizeof(name), "vCPU %u", v);
		metadata(tj, "thread_name", index, v, name);
		for (size_t i = 0; logs[v] && i < logs[v]->n; i++)
			exit_events(tj, index, v, &logs[v]->events[i], device_name, opaque);
		if (logs[v] && logs[v]->dropped) {
			begin_event(tj, "exits not kept", "i", index, v);
			fprintf(tj->out,
				",\"s\":\"t\",\"ts\":0,\"args\":{\"dropped\":%" PRIu64 "}}",
				logs[v]->dropped);
		}
	}
	for (unsigned int i = 0; timeline && i < TIMELINE_EVENTS; i++) {
		if (!timeline->seen[i])
			continue;
		begin_event(tj, timeline_event_name(i), "i", index, 0);
		fputs(",\"cat\":\"boot\",\"s\":\"p\"", tj->out);
		/* Timeline times count from the same origin (mini-kvm's start). */
		write_us(tj->out, "ts", timeline->ns[i]);
		fprintf(tj->out, ",\"args\":{\"exits\":%" PRIu64 "}}", timeline->exits[i]);
	}
	if (ferror(tj->out) && !tj->error)
		tj->error = -EIO;
	pthread_mutex_unlock(&tj->lock);
}

int trace_json_close(struct trace_json *tj)
{
	int ret;

	if (!tj->out)
		return 0;
	fputs("\n]}\n", tj->out);
	ret = ferror(tj->out) ? -EIO : 0;
	if (fclose(tj->out) != 0 && !ret)
		ret = -errno;
	tj->out = NULL;
	pthread_mutex_destroy(&tj->lock);
	if (tj->error || ret)
		return error_set(tj->error ? -tj->error : -ret,
				 "--trace-json '%s': cannot write it", tj->path);
	return 0;
}
