/* SPDX-License-Identifier: MIT */
/* Shared by the probe guests (assembly) and check.c: what each probe's HC_EXIT status means. */
#ifndef MINI_KVM_PROBE_STATUS_H
#define MINI_KVM_PROBE_STATUS_H

#define PROBE_OK	     0	/* the capability works */
#define PROBE_WRONG_CPL	     2	/* a handler ran, but at the wrong privilege level */
#define PROBE_BAD_MEMORY     3	/* paging: the two mappings disagree */
#define PROBE_EXCEPTION_BASE 32 /* + vector: exception 0..31 reached the probe's handler */
#define PROBE_NOT_FROM_USER  5	/* the interrupt did not interrupt ring 3 */
#define PROBE_DEBUG_MISSED   6	/* guest debugging: the probe ran past its breakpoint */

/* Probe-private memory (below the boot page tables at LAYOUT_PAGE_TABLES). */
#define PROBE_IDT	   0x10000 /* 256 x 16-byte gates */
#define PROBE_TSS	   0x11000 /* 64-bit TSS, 0x68 bytes */
#define PROBE_KERNEL_STACK 0x20000 /* top of the ring-0 stack */
#define PROBE_USER_STACK   0x30000 /* top of the ring-3 stack */
#define PROBE_SCRATCH	   0x40000 /* paging probe's test word; the watch probes' watched word */

/*
 * The guest-debugging probes (sw-bp, hw-bp, watch, step and their -r3 twins) run
 * their target code here, PROBE_DEBUG_OFFSET into their image (loaded at
 * MKVM_FLAT_LOAD): int3, or the instruction a debug register watches, then a write
 * to PROBE_SCRATCH, then HC_EXIT(PROBE_DEBUG_MISSED).
 */
#define PROBE_DEBUG_OFFSET 0xc00
#define PROBE_DEBUG_TARGET (0x1000 + PROBE_DEBUG_OFFSET)

#endif
