/* SPDX-License-Identifier: MIT */
/* Counting VM exits and the time they cost, and printing the table --stats shows. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kvm.h"

void stats_add_exit(struct vcpu_stats *s, uint32_t reason, uint64_t run_ns, uint64_t vmm_ns)
{
	struct exit_stat *e =
		&s->reasons[reason < STATS_MAX_REASONS ? reason : STATS_MAX_REASONS - 1];

	e->count++;
	e->run_ns += run_ns;
	e->vmm_ns += vmm_ns;
	s->exits++;
	s->run_ns += run_ns;
	s->vmm_ns += vmm_ns;
}

static struct io_stat *io_slot(struct vcpu_stats *s, bool mmio, uint64_t addr, bool write)
{
	for (unsigned int i = 0; i < s->nio; i++) {
		struct io_stat *io = &s->io[i];

		if (io->addr == addr && io->mmio == mmio && io->write == write)
			return io;
	}
	if (s->nio == STATS_MAX_IO)
		return &s->other_io;
	s->io[s->nio] = (struct io_stat){ .addr = addr, .mmio = mmio, .write = write };
	return &s->io[s->nio++];
}

void stats_add_io(struct vcpu_stats *s, bool mmio, uint64_t addr, bool write, bool unclaimed,
		  uint64_t count, uint64_t vmm_ns)
{
	struct io_stat *io = io_slot(s, mmio, addr, write);

	io->count += count;
	io->vmm_ns += vmm_ns;
	io->unclaimed = unclaimed;
	if (unclaimed)
		s->unclaimed += count;
	if (unclaimed && mmio)
		s->unclaimed_mmio += count;
}

void stats_merge(struct vcpu_stats *into, const struct vcpu_stats *from)
{
	into->exits += from->exits;
	into->run_ns += from->run_ns;
	into->vmm_ns += from->vmm_ns;
	into->unclaimed += from->unclaimed;
	into->unclaimed_mmio += from->unclaimed_mmio;
	for (unsigned int i = 0; i < STATS_MAX_REASONS; i++) {
		into->reasons[i].count += from->reasons[i].count;
		into->reasons[i].run_ns += from->reasons[i].run_ns;
		into->reasons[i].vmm_ns += from->reasons[i].vmm_ns;
	}
	for (unsigned int i = 0; i < from->nio; i++) {
		const struct io_stat *f = &from->io[i];
		struct io_stat *io = io_slot(into, f->mmio, f->addr, f->write);

		io->count += f->count;
		io->vmm_ns += f->vmm_ns;
		io->unclaimed = f->unclaimed;
	}
	into->other_io.count += from->other_io.count;
	into->other_io.vmm_ns += from->other_io.vmm_ns;
}

static double avg_us(uint64_t ns, uint64_t count)
{
	return count ? (double)ns / NS_PER_USEC / count : 0.0;
}

void stats_print(FILE *out, const char *label, const struct vcpu_stats *s, uint64_t wall_ns,
		 stats_device_name_fn device_name, void *opaque)
{
	fprintf(out, "%s: %llu exits in %.3f ms (%.3f ms in KVM_RUN, %.3f ms in the VMM)\n", label,
		(unsigned long long)s->exits, wall_ns / (double)NS_PER_MSEC,
		s->run_ns / (double)NS_PER_MSEC, s->vmm_ns / (double)NS_PER_MSEC);
	fprintf(out, "  %-24s %10s %12s %12s %10s\n", "exit reason", "count", "run ms", "vmm ms",
		"avg us");
	for (unsigned int i = 0; i < STATS_MAX_REASONS; i++) {
		const struct exit_stat *e = &s->reasons[i];

		if (!e->count)
			continue;
		fprintf(out, "  %-24s %10llu %12.3f %12.3f %10.2f\n",
			i == STATS_MAX_REASONS - 1 ? "(other)" : kvm_exit_reason_name(i),
			(unsigned long long)e->count, e->run_ns / (double)NS_PER_MSEC,
			e->vmm_ns / (double)NS_PER_MSEC, avg_us(e->run_ns + e->vmm_ns, e->count));
	}
	if (!s->nio)
		return;
	fprintf(out, "  %-24s %10s %12s %s\n", "port/address", "count", "vmm ms", "device");
	for (unsigned int i = 0; i < s->nio; i++) {
		const struct io_stat *io = &s->io[i];
		const char *name = io->unclaimed ? "(unclaimed)"
				   : device_name ? device_name(io->addr, io->mmio, opaque)
						 : "";
		char where[40];

		snprintf(where, sizeof(where), "%s 0x%llx",
			 io->mmio ? (io->write ? "mmio write" : "mmio read")
				  : (io->write ? "out" : "in"),
			 (unsigned long long)io->addr);
		fprintf(out, "  %-24s %10llu %12.3f %s\n", where, (unsigned long long)io->count,
			io->vmm_ns / (double)NS_PER_MSEC, name);
	}
	if (s->other_io.count)
		fprintf(out, "  %-24s %10llu %12.3f\n", "(other)",
			(unsigned long long)s->other_io.count,
			s->other_io.vmm_ns / (double)NS_PER_MSEC);
	if (s->unclaimed)
		fprintf(out,
			"  unclaimed accesses: %llu (reads saw all ones, writes were dropped)\n",
			(unsigned long long)s->unclaimed);
}

char *stats_report(const char *label, const struct vcpu_stats *const *per_vcpu, unsigned int nvcpus,
		   uint64_t wall_ns, stats_device_name_fn device_name, void *opaque,
		   const struct timeline *timeline, const char *marker)
{
	struct vcpu_stats total = { 0 };
	char heading[STATS_LABEL_MAX], *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	for (unsigned int i = 0; i < nvcpus; i++)
		stats_merge(&total, per_vcpu[i]);
	snprintf(heading, sizeof(heading), "%s stats", label);
	stats_print(out, heading, &total, wall_ns, device_name, opaque);
	for (unsigned int i = 0; nvcpus > 1 && i < nvcpus; i++) {
		snprintf(heading, sizeof(heading), "%s vCPU %u", label, i);
		stats_print(out, heading, per_vcpu[i], wall_ns, device_name, opaque);
	}
	if (timeline)
		timeline_print(out, label, timeline, marker);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
