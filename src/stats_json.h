/* SPDX-License-Identifier: MIT */
/* --stats=json: the figures of the --stats table as one JSON object per guest. */
#ifndef MINI_KVM_STATS_JSON_H
#define MINI_KVM_STATS_JSON_H

#include <stdint.h>

#include "stats.h"
#include "timeline.h"

/* The version of the document's layout (docs/usage.md, "Statistics"): raised on change. */
#define STATS_JSON_VERSION 1

/* Which guest the figures are of. */
struct stats_json_guest {
	unsigned int index; /* 1-based, as in "[1:name]" */
	const char *name;
	const char *path;
};

/*
 * The --stats figures of one VM as a JSON object (compact, one line, no newline):
 * index, name, path, wall_ns; "total" and "vcpus" (each: exits, run_ns, vmm_ns,
 * reasons [{reason, count, run_ns, vmm_ns}], io [{access, addr, count, vmm_ns,
 * device, unclaimed}], other_io {count, vmm_ns}, unclaimed, unclaimed_mmio); and
 * "timeline" (Linux guests: {events [{event, at_ns, exits}], marker,
 * marker_seen}) or null. Times are integer nanoseconds, the table's ms figures
 * unrounded. Returns malloc()ed text, or NULL without memory.
 */
char *stats_json_report(const struct stats_json_guest *g, const struct vcpu_stats *const *per_vcpu,
			unsigned int nvcpus, uint64_t wall_ns, stats_device_name_fn device_name,
			void *opaque, const struct timeline *timeline, const char *marker);

#endif
