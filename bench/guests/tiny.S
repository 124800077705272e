/* SPDX-License-Identifier: MIT */
/*
 * Benchmark guest (real mode, flat, loaded at 0): the least a guest can do, HC_EXIT 0
 * (two register loads and one port write). The "tiny" benchmark times it from the
 * VMM's exec to its exit, under mini-kvm and under kvm-floor.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

	.code16
	.text
	.globl _start
_start:
	mov $0, %ebx
	HC HC_EXIT
	hlt
