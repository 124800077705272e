/* SPDX-License-Identifier: MIT */
/* Host probes: tiny guests, built into mini-kvm, that find out what this host's KVM can run. */
#ifndef MINI_KVM_PROBE_H
#define MINI_KVM_PROBE_H

#include <stdbool.h>
#include <stdio.h>

#include "vm.h"

struct kvm_host;

/* The probes, in the order `mini-kvm check` prints them (src/probes/). */
enum probe_id {
	PROBE_ID_REAL,
	PROBE_ID_PROTECTED,
	PROBE_ID_PAGING,
	PROBE_ID_LONG,
	PROBE_ID_RING3,
	PROBE_ID_SYSCALL,
	PROBE_ID_INT_GATE,
	PROBE_ID_IRQ_RING3,
	PROBE_ID_RING0_SSE,
	/* Guest debugging (--gdb), printed as a section of their own. */
	PROBE_ID_SW_BP,
	PROBE_ID_HW_BP,
	PROBE_ID_WATCH,
	PROBE_ID_STEP,
	PROBE_ID_SW_BP_R3,
	PROBE_ID_HW_BP_R3,
	PROBE_ID_WATCH_R3,
	PROBE_ID_STEP_R3,
	PROBE_COUNT,
};

/* The first guest-debugging probe: `mini-kvm check` puts a header line before it. */
#define PROBE_ID_FIRST_DEBUG PROBE_ID_SW_BP

struct probe_result {
	bool yes;		     /* the host runs it */
	char detail[VM_MESSAGE_MAX]; /* why not, when !yes (and what to do instead) */
};

/*
 * Run probe id in a fresh VM on host (a few MiB, at most 3 s). Returns 0 with *out
 * filled (a probe that fails is a "no", not an error), or -errno with a message for
 * a VMM-side failure.
 */
int probe_run(const struct kvm_host *host, enum probe_id id, struct probe_result *out);

/* The probe's name as `mini-kvm check` prints it ("real", "ring0-sse" ...). */
const char *probe_name(enum probe_id id);

/* What a "yes" from it means ("64-bit long mode" ...). */
const char *probe_what(enum probe_id id);

/*
 * `mini-kvm check`: open /dev/kvm, run every probe and print one line per
 * capability on out: "<name> yes|no <detail>", after a header naming the KVM module,
 * and a last line saying whether Linux guests run here (probe_linux_ok()). With
 * json, one JSON object instead (docs/usage.md, "Knowing the host"): {"module",
 * "api_version", "max_vcpus", "capabilities": {NAME: {"available", "what",
 * "detail"}}, "linux"}. Returns 0, or -errno with a message when KVM cannot be opened.
 */
int probe_check_host(FILE *out, bool json);

/*
 * Whether Linux guests (-k) run on a host whose probes said yes[]: long mode, and
 * system calls, int3 and interrupts crossing rings (syscall, int-gate, irq-ring3:
 * what the kernel and its user space do from the first instruction on). Pure.
 */
bool probe_linux_ok(const bool yes[PROBE_COUNT]);

#endif
