/* SPDX-License-Identifier: MIT */
/* --trace-json: VM exits and boot milestones as a Chrome/Perfetto trace-event file. */
#ifndef MINI_KVM_TRACE_JSON_H
#define MINI_KVM_TRACE_JSON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"
#include "timeline.h"

/* One VM exit as the trace keeps it: the times now_ns() read around it, and where. */
struct exit_event {
	uint64_t run_ns;  /* KVM_RUN entered */
	uint64_t exit_ns; /* KVM_RUN returned with this exit */
	uint64_t done_ns; /* the VMM finished handling it */
	uint64_t addr;	  /* port or MMIO GPA */
	uint32_t reason;  /* KVM_EXIT_* */
	uint32_t size, count;
	bool write;
};

/* Exits one vCPU keeps for the trace at most (40 MiB); later ones are counted only. */
#define EXIT_LOG_MAX (1u << 20)

/* One vCPU's exits, in order; written by its thread only, read after it stops. */
struct exit_log {
	struct exit_event *events;
	size_t n, cap;
	uint64_t dropped; /* exits beyond EXIT_LOG_MAX, or when memory ran out */
};

/*
 * Append an exit of KVM_EXIT_* reason to log: KVM_RUN entered at run_ns, returned
 * at exit_ns, the exit handled by done_ns (the times of the --stats figures); addr,
 * size, count and write as the exit record has them. Never fails: an exit that
 * cannot be kept is counted in log->dropped.
 */
void exit_log_add(struct exit_log *log, uint64_t run_ns, uint64_t exit_ns, uint64_t done_ns,
		  uint32_t reason, uint64_t addr, uint32_t size, uint32_t count, bool write);
void exit_log_free(struct exit_log *log);

/* The trace file of a run; every guest's VM adds its part (thread-safe). */
struct trace_json {
	FILE *out;
	const char *path;
	uint64_t origin_ns; /* mini-kvm's start: ts 0 */
	pthread_mutex_t lock;
	bool any;  /* an event is written: the next one needs a comma */
	int error; /* the first write error (-errno), reported at close */
};

/*
 * Create the trace file at path and write its head: the Trace Event Format's JSON
 * object form ({"traceEvents": [ ...). origin_ns: the time that is ts 0. Returns
 * 0 or -errno with a message naming the file.
 * Source: "Trace Event Format", Google (docs.google.com/document/d/1CvAClvFfyA5R-
 * PhYUmn5OOQtYMH4h6I0nSsKchNAySU): complete events (ph X), instant events (ph i),
 * metadata (ph M: process_name, thread_name); ts and dur in microseconds.
 */
int trace_json_open(struct trace_json *tj, const char *path, uint64_t origin_ns);

/*
 * Add one guest's VM: a process (pid index) named label, a thread per vCPU (tid =
 * vCPU index) named "vCPU N", and for each exit of logs[v] two complete events on
 * its thread: "KVM_RUN" (the guest ran: run_ns to exit_ns) and the exit (the VMM
 * handled it: exit_ns to done_ns) named by its reason and port or address, with
 * args reason, access, port/addr, size, count, device; then the timeline's
 * milestones as process-wide instant events (timeline may be NULL). Thread-safe.
 */
void trace_json_guest(struct trace_json *tj, unsigned int index, const char *label,
		      struct exit_log *const *logs, unsigned int nvcpus,
		      const struct timeline *timeline, stats_device_name_fn device_name,
		      void *opaque);

/* Close the array and the object, and the file. Returns 0 or -errno with a message. */
int trace_json_close(struct trace_json *tj);

#endif
