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

#endif
