/* SPDX-License-Identifier: MIT */
/* VM-exit statistics for --stats: counts and times per exit reason and per port/address. */
#ifndef MINI_KVM_STATS_H
#define MINI_KVM_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "timeline.h"

/* Exit reasons are small integers (KVM_EXIT_*); anything above lands in the last slot. */
#define STATS_MAX_REASONS 48
/* Distinct ports/addresses tracked one by one; the rest are summed as "other". */
#define STATS_MAX_IO 64

struct exit_stat {
	uint64_t count;
	uint64_t run_ns; /* time inside the KVM_RUN calls that ended in this exit */
	uint64_t vmm_ns; /* time the VMM spent handling these exits */
};

struct io_stat {
	uint64_t addr; /* port, or guest-physical address for MMIO */
	bool mmio;
	bool write;
	bool unclaimed; /* no device claims it */
	uint64_t count; /* accesses (a rep outsb counts one per element) */
	uint64_t vmm_ns;
};

/* One vCPU's statistics. Only its own thread writes them; read after it stops. */
struct vcpu_stats {
	uint64_t exits;
	uint64_t run_ns; /* total time in KVM_RUN */
	uint64_t vmm_ns; /* total time handling exits */
	struct exit_stat reasons[STATS_MAX_REASONS];
	struct io_stat io[STATS_MAX_IO];
	unsigned int nio;
	struct io_stat other_io; /* everything beyond STATS_MAX_IO distinct keys */
	uint64_t unclaimed;	 /* accesses no device claimed */
	uint64_t unclaimed_mmio; /* of those, MMIO ones (RAM too small, a wild pointer ...) */
};

/* Count one exit of reason that spent run_ns in KVM_RUN and vmm_ns in the VMM. */
void stats_add_exit(struct vcpu_stats *s, uint32_t reason, uint64_t run_ns, uint64_t vmm_ns);

/* Count one I/O access (count elements of a string I/O) to addr taking vmm_ns. */
void stats_add_io(struct vcpu_stats *s, bool mmio, uint64_t addr, bool write, bool unclaimed,
		  uint64_t count, uint64_t vmm_ns);

/*
 * Unclaimed MMIO accesses that are "many": a guest that writes past the end of its
 * RAM (-m too small) makes thousands, a wild pointer a few. Beyond this many, mini-kvm
 * warns even without --stats (runner.c).
 */
#define STATS_UNCLAIMED_MMIO_WARN 256

/* Add every counter of from into into (for totals over vCPUs). */
void stats_merge(struct vcpu_stats *into, const struct vcpu_stats *from);

/* Names the device at a port or MMIO address ("" for none), for the tables. */
typedef const char *(*stats_device_name_fn)(uint64_t addr, bool mmio, void *opaque);

/* The longest table heading: a "[N:name]" label and " vCPU N". */
#define STATS_LABEL_MAX 128

/*
 * Print s as a table on out, headed by label, with wall_ns as the total run time.
 * device_name(addr, mmio, opaque) names the device at an address (may be NULL).
 */
void stats_print(FILE *out, const char *label, const struct vcpu_stats *s, uint64_t wall_ns,
		 stats_device_name_fn device_name, void *opaque);

/*
 * The whole --stats text of one VM labelled label ("[1:name]"): the table of its
 * nvcpus vCPUs' totals, with several vCPUs each one's table too, and then the boot
 * timeline when timeline is not NULL (marker: the --boot-marker text). wall_ns:
 * how long the VM ran. Returns malloc()ed text, or NULL without memory.
 */
char *stats_report(const char *label, const struct vcpu_stats *const *per_vcpu, unsigned int nvcpus,
		   uint64_t wall_ns, stats_device_name_fn device_name, void *opaque,
		   const struct timeline *timeline, const char *marker);

#endif
