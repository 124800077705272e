/* SPDX-License-Identifier: MIT */
/*
 * Test guest (--mode protected, run with -m 2): MMIO_FLOOD_WRITES writes past the end
 * of its RAM, as a guest built for more RAM than it got does, then HC_EXIT 0. Each
 * write is an unclaimed MMIO exit, dropped: mini-kvm warns about them without --stats.
 */
#include <mini-kvm/hypercall.h>
#include <mini-kvm/boot.h>
#include "hc.inc"

#define BEYOND_RAM (16 * MKVM_MIB) /* the test gives the guest 2 MiB */
#define MMIO_FLOOD_WRITES 1000
#define WORD 4

	.code32
	.text
	.globl _start
_start:
	mov $BEYOND_RAM, %edi
	mov $MMIO_FLOOD_WRITES, %ecx
1:	movl $0, (%edi)
	add $WORD, %edi
	loop 1b
	xor %ebx, %ebx
	HC HC_EXIT
	hlt
