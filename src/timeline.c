/* SPDX-License-Identifier: MIT */
/* Boot milestones with their times and VM-exit counts, printed by --stats as phases. */
#include "timeline.h"

#include <inttypes.h>
#include <string.h>

#include "clock.h"

static const char *const event_names[TIMELINE_EVENTS] = {
	[TIMELINE_FIRST_RUN] = "first KVM_RUN",
	[TIMELINE_FIRST_BYTE] = "first serial byte",
	[TIMELINE_BANNER] = "Linux version",
	[TIMELINE_MARKER] = "marker",
	[TIMELINE_END] = "end",
};

const char *timeline_event_name(enum timeline_event event)
{
	return event < TIMELINE_EVENTS ? event_names[event] : "?";
}

void timeline_init(struct timeline *t, uint64_t origin_ns)
{
	memset(t, 0, sizeof(*t));
	t->origin_ns = origin_ns;
}

void timeline_mark(struct timeline *t, enum timeline_event event, uint64_t now_ns, uint64_t exits)
{
	if (t->seen[event])
		return;
	t->ns[event] = now_ns - t->origin_ns;
	t->exits[event] = exits;
	t->seen[event] = true;
}

/* The marker's line when it never appeared (and there was one to look for). */
static void print_missing_marker(FILE *out, const struct timeline *t, const char *marker)
{
	if (marker && !t->seen[TIMELINE_MARKER])
		fprintf(out, "  %-22s %12s  (\"%s\" never appeared)\n",
			event_names[TIMELINE_MARKER], "-", marker);
}

void timeline_print(FILE *out, const char *label, const struct timeline *t, const char *marker)
{
	unsigned int order[TIMELINE_EVENTS], n = 0;
	uint64_t prev_ns = 0, prev_exits = 0;

	/*
	 * The events seen, in the order they happened (a marker the decompressor
	 * prints comes before the banner), so that no phase is negative; events
	 * at the same time keep their enum order.
	 */
	for (unsigned int i = 0; i < TIMELINE_EVENTS; i++) {
		unsigned int k;

		if (!t->seen[i])
			continue;
		for (k = n++; k > 0 && t->ns[order[k - 1]] > t->ns[i]; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}

	fprintf(out, "%s boot timeline (from mini-kvm's start):\n", label);
	fprintf(out, "  %-22s %12s %12s %14s %12s\n", "event", "at ms", "exits", "phase ms",
		"phase exits");
	for (unsigned int k = 0; k < n; k++) {
		unsigned int i = order[k];

		if (i == TIMELINE_END)
			print_missing_marker(out, t, marker);
		fprintf(out, "  %-22s %12.3f %12llu %14.3f %12llu\n", event_names[i],
			t->ns[i] / (double)NS_PER_MSEC, (unsigned long long)t->exits[i],
			(t->ns[i] - prev_ns) / (double)NS_PER_MSEC,
			(unsigned long long)(t->exits[i] - prev_exits));
		prev_ns = t->ns[i];
		prev_exits = t->exits[i];
	}
	if (!t->seen[TIMELINE_END])
		print_missing_marker(out, t, marker);
}

/* --- the process's start-up timeline ---------------------------------------- */

static const char *const startup_names[STARTUP_EVENTS] = {
	[STARTUP_OPTIONS] = "options parsed",  [STARTUP_KVM] = "KVM opened",
	[STARTUP_THREADS] = "threads started", [STARTUP_VM_CREATED] = "VM created",
	[STARTUP_LOADED] = "guest loaded",     [STARTUP_FIRST_RUN] = "first KVM_RUN",
	[STARTUP_LAST_EXIT] = "last exit",     [STARTUP_VM_DESTROYED] = "VM destroyed",
	[STARTUP_JOINED] = "threads joined",   [STARTUP_EXIT] = "exit",
};

/* Absolute now_ns() times, 0 while unseen; read and written with __atomic builtins. */
static uint64_t startup_origin;
static uint64_t startup_ns[STARTUP_EVENTS];

/* The events that keep their last time: the ends of the run. */
static bool keeps_last(enum startup_event event)
{
	return event == STARTUP_LAST_EXIT || event == STARTUP_VM_DESTROYED;
}

void startup_begin(uint64_t origin_ns)
{
	for (unsigned int i = 0; i < STARTUP_EVENTS; i++)
		__atomic_store_n(&startup_ns[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&startup_origin, origin_ns, __ATOMIC_RELEASE);
}

void startup_mark_at(enum startup_event event, uint64_t ns)
{
	uint64_t seen;

	if (event >= STARTUP_EVENTS || !__atomic_load_n(&startup_origin, __ATOMIC_ACQUIRE) || !ns)
		return;
	seen = __atomic_load_n(&startup_ns[event], __ATOMIC_RELAXED);
	/* The first time of a start event, the last of an end event: compare and swap. */
	while (!seen || (keeps_last(event) ? ns > seen : ns < seen)) {
		if (__atomic_compare_exchange_n(&startup_ns[event], &seen, ns, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
}

void startup_mark(enum startup_event event)
{
	startup_mark_at(event, now_ns());
}

const char *startup_event_name(enum startup_event event)
{
	return event < STARTUP_EVENTS ? startup_names[event] : "?";
}

void startup_events(unsigned int order[STARTUP_EVENTS], unsigned int *n,
		    uint64_t ns_out[STARTUP_EVENTS])
{
	uint64_t origin = __atomic_load_n(&startup_origin, __ATOMIC_ACQUIRE);

	*n = 0;
	for (unsigned int i = 0; i < STARTUP_EVENTS; i++) {
		uint64_t at = __atomic_load_n(&startup_ns[i], __ATOMIC_RELAXED);
		unsigned int k;

		ns_out[i] = at > origin ? at - origin : 0;
		if (!origin || !at)
			continue;
		/* In time order (several guests interleave); ties keep the enum's order. */
		for (k = (*n)++; k > 0 && ns_out[order[k - 1]] > ns_out[i]; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
}

void startup_print(FILE *out)
{
	unsigned int order[STARTUP_EVENTS], n;
	uint64_t ns[STARTUP_EVENTS], prev_ns = 0;

	startup_events(order, &n, ns);
	if (!n)
		return;
	fprintf(out, "start-up timeline (from main()):\n");
	fprintf(out, "  %-22s %12s %14s\n", "event", "at ms", "phase ms");
	for (unsigned int k = 0; k < n; k++) {
		unsigned int i = order[k];

		fprintf(out, "  %-22s %12.3f %14.3f\n", startup_names[i],
			ns[i] / (double)NS_PER_MSEC, (ns[i] - prev_ns) / (double)NS_PER_MSEC);
		prev_ns = ns[i];
	}
}

void startup_print_json(FILE *out)
{
	unsigned int order[STARTUP_EVENTS], n;
	uint64_t ns[STARTUP_EVENTS];

	startup_events(order, &n, ns);
	fprintf(out, "\"startup\":{\"events\":[");
	for (unsigned int k = 0; k < n; k++)
		fprintf(out, "%s{\"event\":\"%s\",\"at_ns\":%" PRIu64 "}", k ? "," : "",
			startup_names[order[k]], ns[order[k]]);
	fprintf(out, "]}");
}
