/* SPDX-License-Identifier: MIT */
/* --trace: one line per VM exit, filtered (--trace=io,mmio,port=0x3f8), to stderr or a file. */
#ifndef MINI_KVM_TRACE_H
#define MINI_KVM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

/* Port or address ranges one --trace filter may name (port=, addr=). */
#define TRACE_MAX_RANGES 16

/* An inclusive range of ports or guest-physical addresses. */
struct trace_range {
	uint64_t first, last;
};

/* Which exits --trace logs. All false and no ranges: none (an unset filter). */
struct trace_filter {
	bool io;    /* KVM_EXIT_IO (narrowed to ports[] when nports) */
	bool mmio;  /* KVM_EXIT_MMIO (narrowed to addrs[] when naddrs) */
	bool other; /* every other exit: HLT, SHUTDOWN, INTERNAL_ERROR ... */
	struct trace_range ports[TRACE_MAX_RANGES];
	unsigned int nports;
	struct trace_range addrs[TRACE_MAX_RANGES];
	unsigned int naddrs;
};

/*
 * Parse a --trace filter: a comma-separated list of io, mmio, other, all,
 * port=P[-Q] (port I/O to ports P..Q only; implies io) and addr=A[-B] (MMIO to
 * GPAs A..B only; implies mmio); numbers in C syntax (0x3f8, 1016). NULL or ""
 * means all. Returns 0 with *f, or -EINVAL with a message naming the bad item.
 */
int trace_filter_parse(const char *text, struct trace_filter *f);

/* Whether f logs an exit of KVM_EXIT_* reason at port or GPA addr. Pure. */
bool trace_filter_match(const struct trace_filter *f, uint32_t reason, uint64_t addr);

struct exit_record;

/* Where the trace lines of every guest go: shared by the VMs of one run. */
struct trace_sink {
	int fd;			    /* stderr, or --trace-file */
	struct trace_filter filter; /* copied from the command line */
};

/* One VM's trace: its label ("[1:name]") and the run's sink. */
struct trace {
	const char *label;
	const struct trace_sink *sink;
};

/*
 * Log rec, an exit of vCPU vcpu, as one line on the sink if the filter takes it:
 * "[1:name] vcpu0 IO rip=0x7 write 0x500 size=1 count=1 data=0x2", or for exits
 * without an address "[1:name] vcpu0 HLT rip=0x12". Written whole with one
 * write; on stderr shared with guest output it waits for the guest's line to end
 * (console_side_write()). Returns 0 or -errno with a message.
 */
int trace_exit(const struct trace *t, unsigned int vcpu, const struct exit_record *rec);

#endif
