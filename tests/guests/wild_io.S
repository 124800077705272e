/* SPDX-License-Identifier: MIT */
/*
 * Test guest (real mode): port I/O that no device claims must read as all ones and
 * be dropped on write; a string OUT (rep outsb) to COM1 must print every byte.
 * Prints "wild-io: ok" and exits 0, or "wild-io: FAIL" and exits 1.
 */
#include <mini-kvm/hypercall.h>
#include <mini-kvm/boot.h>
#include "hc.inc"

#define PORT_COM2 0x2f8		/* COM2: mini-kvm has none */
#define PORT_WILD 0x1234
#define PORT_TOP 0xfffc
#define ALL_ONES_8 0xff
#define ALL_ONES_16 0xffff
#define ALL_ONES_32 0xffffffff
#define STATUS_FAIL 1
#define PUTS_MAX 64

	.code16
	.text
	.globl _start
_start:
	cld
	mov $0xa5, %al		/* writes nobody claims: dropped, counted */
	mov $PORT_COM2, %dx
	out %al, (%dx)
	mov $PORT_WILD, %dx
	mov $0x5a5a, %ax
	out %ax, (%dx)

	mov $PORT_COM2, %dx
	in (%dx), %al
	cmp $ALL_ONES_8, %al
	jne fail
	mov $PORT_WILD, %dx
	in (%dx), %ax
	cmp $ALL_ONES_16, %ax
	jne fail
	mov $PORT_TOP, %dx
	in (%dx), %eax
	cmp $ALL_ONES_32, %eax
	jne fail

	mov $rep_text, %si	/* one VM exit carries the whole string */
	mov $(rep_text_end - rep_text), %cx
	mov $MKVM_COM1, %dx
	rep outsb

	PUTS ok_text, PUTS_MAX
	movl $0, %ebx
	HC HC_EXIT
fail:
	PUTS fail_text, PUTS_MAX
	movl $STATUS_FAIL, %ebx
	HC HC_EXIT
	hlt

rep_text:
	.ascii "rep outsb reached COM1\n"
rep_text_end:
ok_text:
	.asciz "wild-io: ok\n"
fail_text:
	.asciz "wild-io: FAIL\n"
