/* SPDX-License-Identifier: MIT */
/* Boot milestones with their times and VM-exit counts, printed by --stats as phases. */
#include "timeline.h"

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
