/* SPDX-License-Identifier: MIT */
/*
 * Benchmark guest (real mode, flat, loaded at 0): EXITLOOP_COUNT port reads, then
 * HC_EXIT 0. Built twice (bench/bench.mk):
 *   exitloop-hc.bin    reads HC_PORT (the ABI version): every read is a PIO exit to
 *                      user space, the cost of a hypercall round trip;
 *   exitloop-pit.bin   reads the PIT's port 0x61 (speaker/gate): with KVM's in-kernel
 *                      PIT (KVM_CREATE_PIT2) KVM answers it without leaving the kernel.
 * Reads, not writes, so that nothing is printed and no state changes.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

	.code16
	.text
	.globl _start
_start:
	mov $EXITLOOP_COUNT, %ecx
	mov $EXITLOOP_PORT, %dx
1:	in (%dx), %al
	dec %ecx
	jnz 1b
	mov $0, %ebx
	HC HC_EXIT
	hlt
