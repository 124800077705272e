/* SPDX-License-Identifier: MIT */
/*
 * Test guest (--mode long, run with -m 2): hypercalls with pointers outside guest
 * RAM, a string that runs off the end of RAM, an unknown function, and MMIO to an
 * address nothing claims. The VMM must answer each and keep running.
 * Prints "hostile: ok" and exits 0, or exits with the number of the failed check.
 */
#include <mini-kvm/hypercall.h>
#include <mini-kvm/boot.h>
#include "hc.inc"

#define RAM_SIZE (2 * MKVM_MIB)	/* the test runs this guest with -m 2 */
#define FUNCTION_UNKNOWN 0x7f
#define MMIO_NOWHERE 0xd0000000		/* inside the MMIO hole, no device */
#define PUTS_MAX 100
#define TAIL_BYTES 4

	.code64
	.text
	.globl _start
_start:
	/* 1: an unknown function answers -ENOSYS */
	mov $1, %r15d
	HC FUNCTION_UNKNOWN
	cmp $HC_ENOSYS, %eax
	jne fail
	/* 2: a string pointer in the MMIO hole answers -EFAULT */
	mov $2, %r15d
	mov $MKVM_MMIO_HOLE, %ebx
	mov $PUTS_MAX, %ecx
	HC HC_PUTS
	cmp $HC_EFAULT, %eax
	jne fail
	/* 3: a string without NUL in the last bytes of RAM answers -EFAULT */
	mov $3, %r15d
	movl $0x41414141, (RAM_SIZE - TAIL_BYTES)
	mov $(RAM_SIZE - TAIL_BYTES), %ebx
	mov $PUTS_MAX, %ecx
	HC HC_PUTS
	cmp $HC_EFAULT, %eax
	jne fail
	/* 4: the same string with max length 4 is fine: 4 bytes printed */
	mov $4, %r15d
	mov $(RAM_SIZE - TAIL_BYTES), %ebx
	mov $TAIL_BYTES, %ecx
	HC HC_PUTS
	cmp $TAIL_BYTES, %eax
	jne fail
	NEWLINE
	/* 5: MMIO nobody claims reads as all ones; writes vanish */
	mov $5, %r15d
	mov $MMIO_NOWHERE, %edi		/* above 2 GiB: no absolute disp32 */
	movl $0x12345678, (%rdi)
	mov (%rdi), %eax
	cmp $0xffffffff, %eax
	jne fail

	mov $ok_text, %ebx
	mov $PUTS_MAX, %ecx
	HC HC_PUTS
	xor %ebx, %ebx
	HC HC_EXIT
fail:
	mov %r15d, %ebx
	HC HC_EXIT
	hlt

ok_text:
	.asciz "hostile: ok\n"
