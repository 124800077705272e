/* SPDX-License-Identifier: MIT */
/* --stats=json: each vCPU's and the total exit figures, and the boot timeline, as JSON. */
#include "stats_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "kvm.h"

static const char *access_name(const struct io_stat *io)
{
	if (io->mmio)
		return io->write ? "mmio write" : "mmio read";
	return io->write ? "out" : "in";
}

static void write_stats(struct json *j, const struct vcpu_stats *s,
			stats_device_name_fn device_name, void *opaque)
{
	json_u64(j, "exits", s->exits);
	json_u64(j, "run_ns", s->run_ns);
	json_u64(j, "vmm_ns", s->vmm_ns);
	json_begin_array(j, "reasons");
	for (unsigned int i = 0; i < STATS_MAX_REASONS; i++) {
		const struct exit_stat *e = &s->reasons[i];

		if (!e->count)
			continue;
		json_begin_object(j, NULL);
		json_string(j, "reason",
			    i == STATS_MAX_REASONS - 1 ? "(other)" : kvm_exit_reason_name(i));
		json_u64(j, "count", e->count);
		json_u64(j, "run_ns", e->run_ns);
		json_u64(j, "vmm_ns", e->vmm_ns);
		json_end_object(j);
	}
	json_end_array(j);
	json_begin_array(j, "io");
	for (unsigned int i = 0; i < s->nio; i++) {
		const struct io_stat *io = &s->io[i];

		json_begin_object(j, NULL);
		json_string(j, "access", access_name(io));
		json_u64(j, "addr", io->addr);
		json_u64(j, "count", io->count);
		json_u64(j, "vmm_ns", io->vmm_ns);
		json_string(j, "device",
			    io->unclaimed || !device_name
				    ? ""
				    : device_name(io->addr, io->mmio, opaque));
		json_bool(j, "unclaimed", io->unclaimed);
		json_end_object(j);
	}
	json_end_array(j);
	json_begin_object(j, "other_io");
	json_u64(j, "count", s->other_io.count);
	json_u64(j, "vmm_ns", s->other_io.vmm_ns);
	json_end_object(j);
	json_u64(j, "unclaimed", s->unclaimed);
	json_u64(j, "unclaimed_mmio", s->unclaimed_mmio);
}

static void write_timeline(struct json *j, const struct timeline *t, const char *marker)
{
	json_begin_object(j, "timeline");
	json_begin_array(j, "events");
	for (unsigned int i = 0; i < TIMELINE_EVENTS; i++) {
		if (!t->seen[i])
			continue;
		json_begin_object(j, NULL);
		json_string(j, "event", timeline_event_name(i));
		json_u64(j, "at_ns", t->ns[i]);
		json_u64(j, "exits", t->exits[i]);
		json_end_object(j);
	}
	json_end_array(j);
	if (marker)
		json_string(j, "marker", marker);
	else
		json_null(j, "marker");
	json_bool(j, "marker_seen", t->seen[TIMELINE_MARKER]);
	json_end_object(j);
}

char *stats_json_report(const struct stats_json_guest *g, const struct vcpu_stats *const *per_vcpu,
			unsigned int nvcpus, uint64_t wall_ns, stats_device_name_fn device_name,
			void *opaque, const struct timeline *timeline, const char *marker)
{
	struct vcpu_stats total = { 0 };
	char *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);
	struct json j;

	if (!out)
		return NULL;
	for (unsigned int i = 0; i < nvcpus; i++)
		stats_merge(&total, per_vcpu[i]);
	json_init(&j, out);
	json_begin_object(&j, NULL);
	json_u64(&j, "index", g->index);
	json_string(&j, "name", g->name);
	json_string(&j, "path", g->path);
	json_u64(&j, "wall_ns", wall_ns);
	json_begin_object(&j, "total");
	write_stats(&j, &total, device_name, opaque);
	json_end_object(&j);
	json_begin_array(&j, "vcpus");
	for (unsigned int i = 0; i < nvcpus; i++) {
		json_begin_object(&j, NULL);
		json_u64(&j, "vcpu", i);
		write_stats(&j, per_vcpu[i], device_name, opaque);
		json_end_object(&j);
	}
	json_end_array(&j);
	if (timeline)
		write_timeline(&j, timeline, marker);
	else
		json_null(&j, "timeline");
	json_end_object(&j);
	if (fclose(out) != 0 || !json_ok(&j)) {
		free(text);
		return NULL;
	}
	return text;
}
