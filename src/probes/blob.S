/* SPDX-License-Identifier: MIT */
/* The probe guests, assembled beforehand, embedded in mini-kvm's read-only data. */
#define PROBE(sym, file) \
	.globl sym##_start, sym##_end; \
	.balign 16; \
sym##_start: \
	.incbin file; \
sym##_end:

	.section .rodata
PROBE(probe_real, "real.bin")
PROBE(probe_protected, "protected.bin")
PROBE(probe_paging, "paging.bin")
PROBE(probe_long, "long.bin")
PROBE(probe_ring0_sse, "ring0-sse.bin")
PROBE(probe_ring3, "ring3.bin")
PROBE(probe_syscall, "syscall.bin")
PROBE(probe_int_gate, "int-gate.bin")
PROBE(probe_irq_ring3, "irq-ring3.bin")
PROBE(probe_sw_bp, "sw-bp.bin")
PROBE(probe_hw_bp, "hw-bp.bin")
PROBE(probe_watch, "watch.bin")
PROBE(probe_step, "step.bin")
PROBE(probe_sw_bp_r3, "sw-bp-r3.bin")
PROBE(probe_hw_bp_r3, "hw-bp-r3.bin")
PROBE(probe_watch_r3, "watch-r3.bin")
PROBE(probe_step_r3, "step-r3.bin")

	.section .note.GNU-stack, "", @progbits
