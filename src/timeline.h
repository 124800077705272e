/* SPDX-License-Identifier: MIT */
/* The boot timeline of --stats: when each boot milestone happened, and the VM exits before it. */
#ifndef MINI_KVM_TIMELINE_H
#define MINI_KVM_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum timeline_event {
	TIMELINE_FIRST_RUN,  /* the first KVM_RUN */
	TIMELINE_FIRST_BYTE, /* the first byte on the serial console */
	TIMELINE_BANNER,     /* the kernel's "Linux version" line */
	TIMELINE_MARKER,     /* the first line containing --boot-marker */
	TIMELINE_END,	     /* the VM ended */
	TIMELINE_EVENTS,
};

struct timeline {
	uint64_t origin_ns; /* mini-kvm's start: times count from here */
	bool seen[TIMELINE_EVENTS];
	uint64_t ns[TIMELINE_EVENTS];	 /* since origin_ns */
	uint64_t exits[TIMELINE_EVENTS]; /* VM exits before the event */
};

/* Start a timeline whose times count from origin_ns (now_ns() clock). */
void timeline_init(struct timeline *t, uint64_t origin_ns);

/*
 * Record event at now_ns after exits VM exits; only the first record of each
 * event counts. Called from the vCPU thread that saw the event.
 */
void timeline_mark(struct timeline *t, enum timeline_event event, uint64_t now_ns, uint64_t exits);

/* The event's name as --stats prints it ("first KVM_RUN", "Linux version" ...). */
const char *timeline_event_name(enum timeline_event event);

/* Print the events seen, with time since start, exits, and the phase between events. */
void timeline_print(FILE *out, const char *label, const struct timeline *t, const char *marker);

/*
 * The process's start-up timeline (--stats), as the Linux boot timeline has it: from
 * main() to the first KVM_RUN, and from the last VM exit to exit(). One per process:
 * a start event keeps its first time (the first guest to get there), an end event its
 * last (the last guest); probe VMs are not in it.
 */
enum startup_event {
	STARTUP_OPTIONS,      /* the command line parsed */
	STARTUP_KVM,	      /* /dev/kvm opened, its capabilities checked, its CPUID read */
	STARTUP_THREADS,      /* the signal thread and the stdin reader started */
	STARTUP_VM_CREATED,   /* a VM created: KVM_CREATE_VM, its RAM mapped, its vCPUs */
	STARTUP_LOADED,	      /* a guest loaded into its VM */
	STARTUP_FIRST_RUN,    /* a vCPU's first KVM_RUN */
	STARTUP_LAST_EXIT,    /* the end of the last VM to end (its last exit) */
	STARTUP_VM_DESTROYED, /* the last VM destroyed (vCPUs, VM and RAM gone) */
	STARTUP_JOINED,	      /* every thread of the run joined */
	STARTUP_EXIT,	      /* the report written: exit() follows */
	STARTUP_EVENTS,
};

/* Start the process's start-up timeline at origin_ns (main()'s first now_ns()). */
void startup_begin(uint64_t origin_ns);

/* Record event at ns (now_ns() clock); thread-safe. Ignored before startup_begin(). */
void startup_mark_at(enum startup_event event, uint64_t ns);

/* startup_mark_at(event, now_ns()). */
void startup_mark(enum startup_event event);

/* The event's name as --stats prints it ("options parsed", "first KVM_RUN" ...). */
const char *startup_event_name(enum startup_event event);

/*
 * The events seen, in the order they happened: *n of them into order[] (room for
 * STARTUP_EVENTS), each with its time since main() in ns_out[] (indexed by event).
 */
void startup_events(unsigned int order[STARTUP_EVENTS], unsigned int *n,
		    uint64_t ns_out[STARTUP_EVENTS]);

/* Print the start-up timeline as a table: each event's time since main() and phase. */
void startup_print(FILE *out);

/* Print it as a JSON member: "startup":{"events":[{"event":NAME,"at_ns":N},...]}. */
void startup_print_json(FILE *out);

#endif
