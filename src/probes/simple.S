/* SPDX-License-Identifier: MIT */
/* Probes for the plain boot modes (each reports through HC_EXIT), and guest debugging in ring 0. */
#include "mini-kvm/hypercall.h"
#include <mini-kvm/boot.h>
#include <mini-kvm/probe_status.h>

#define DATA_SELECTOR 0x10

#if defined(PROBE_SW_BP) || defined(PROBE_HW_BP) || defined(PROBE_WATCH) || defined(PROBE_STEP)
#define PROBE_DEBUG
#endif

	.text
	.globl _start
_start:
#if defined(PROBE_REAL)
	.code16
	mov $HC_PORT, %dx
	mov $PROBE_OK, %bx
	mov $HC_EXIT, %al
	out %al, (%dx)
#elif defined(PROBE_PROTECTED)
	.code32
	mov $DATA_SELECTOR, %ax		/* a segment load reads the VMM's GDT */
	mov %ax, %ds
	mov $HC_PORT, %dx
	mov $PROBE_OK, %ebx
	mov $HC_EXIT, %al
	out %al, (%dx)
#elif defined(PROBE_PAGING)
	.code32
	/* Write through the identity mapping, read back through the higher half. */
	movl $0x5a5aa5a5, PROBE_SCRATCH
	mov $PROBE_OK, %ebx
	cmpl $0x5a5aa5a5, (MKVM_HIGHER_HALF + PROBE_SCRATCH)
	je 1f
	mov $PROBE_BAD_MEMORY, %ebx
1:	mov $HC_PORT, %dx
	mov $HC_EXIT, %al
	out %al, (%dx)
#elif defined(PROBE_LONG)
	.code64
	mov $HC_PORT, %dx
	mov $PROBE_OK, %ebx
	mov $HC_EXIT, %al
	out %al, (%dx)
#elif defined(PROBE_RING0_SSE)
	.code64
	/* SSE on: CR0.EM clear, CR0.MP set, CR4.OSFXSR set (SDM 3A 13.1.3). */
	mov %cr0, %rax
	and $~(1 << 2), %rax
	or $(1 << 1), %rax
	mov %rax, %cr0
	mov %cr4, %rax
	or $(1 << 9), %rax
	mov %rax, %cr4
	addps %xmm1, %xmm0		/* SSE arithmetic at CPL 0 */
	mov $HC_PORT, %dx
	mov $PROBE_OK, %ebx
	mov $HC_EXIT, %al
	out %al, (%dx)
#elif defined(PROBE_DEBUG)
	.code64
	jmp debug_target		/* in ring 0, 64-bit */
#else
#error "define one PROBE_* variant"
#endif
	hlt

/*
 * The guest-debugging probes' target (probe_status.h): the VMM traps the int3,
 * the instruction at PROBE_DEBUG_TARGET (a debug register), the write to
 * PROBE_SCRATCH (a watchpoint) or a single step; reaching HC_EXIT means it did not.
 */
#if defined(PROBE_DEBUG)
	.org PROBE_DEBUG_OFFSET
debug_target:
#if defined(PROBE_SW_BP) || defined(PROBE_SW_BP_R3)
	int3
#else
	nop
#endif
	movl $1, PROBE_SCRATCH
	mov $HC_PORT, %dx
	mov $PROBE_DEBUG_MISSED, %ebx
	mov $HC_EXIT, %al
	out %al, (%dx)
	hlt
#endif
