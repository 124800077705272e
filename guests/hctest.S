/* SPDX-License-Identifier: MIT */
/*
 * Exercises every hypercall from real mode and prints one line per check; exits
 * with the number of failed checks (0: all passed).
 *
 * With stdin "abc\n" the output is exactly:
 *
 *	putchar: ok
 *	putnum: 0 65535
 *	puts: hello from HC_PUTS [18] ok
 *	puts max 5: hello [5] ok
 *	getchar: "abc\n" [4] ok	(the newline read shows as the two bytes '\' 'n')
 *	clock: ok
 *	memsize: 128 MiB ok	(with -m 128, the default)
 *	enosys: ok
 *	preserve: ok
 *	hctest: ok
 *
 * With empty stdin the getchar line is: getchar: "" [0] ok
 * A failed check ends its line with "FAIL" instead of "ok", and the last
 * line is then "hctest: N failed". Every line ends through HC_NEWLINE and
 * labels go out through HC_PUTCHAR, so a broken HC_PUTS cannot hide the
 * other results.
 *
 * What real mode can and cannot test: the VMM reads only the low 16 bits of an
 * argument register here, so PUTNUM's largest value is 65535, and HC_PUTS can
 * not be given an address outside guest RAM (0xffff + a 0xffff-byte length
 * still ends below 128 KiB, and RAM is at least 1 MiB): HC_EFAULT is checked by
 * the pmode guest instead. Here HC_PUTS is checked for stopping at the NUL and
 * at the max length. Results come back in full registers, so HC_CLOCK's
 * EDX:EAX is compared as a 64-bit number with 32-bit registers, which real
 * mode may use.
 *
 * HC_GETCHAR reads until end of input: run it with stdin redirected (a pipe
 * or </dev/null), or it waits for the terminal.
 */
#include <mini-kvm/hypercall.h>
#include "hc.inc"

#define PUTNUM_MAX16 0xffff	/* the largest PUTNUM argument real mode can pass */
#define PUTS_MAX16 0xffff	/* the largest max length real mode can pass */
#define PUTS_SHORT 5		/* max length of the truncation check */
#define BYTE_MAX 0xff		/* HC_GETCHAR: 0..BYTE_MAX, or HC_EOF */
#define ASCII_LF 0x0a
#define ASCII_BACKSLASH 0x5c
#define ASCII_QUOTE 0x22
#define HC_UNKNOWN 0x7f		/* no such function: must answer HC_ENOSYS */
#define MEMSIZE_ABI 3		/* the ABI version that has HC_MEMSIZE */
#define PAGE_OFFSET_MASK 0xfff	/* RAM comes in whole 4 KiB pages */
#define MIB_SHIFT 20

/* Values loaded before a hypercall that the VMM must hand back untouched. */
#define PRESERVE_EBX 0x11223344
#define PRESERVE_ECX 0x55667788
#define PRESERVE_ESI 0x99aabbcc
#define PRESERVE_EDI 0xddeeff00
#define PRESERVE_EBP 0x13579bdf
#define PRESERVE_EDX_HIGH 0x24680000	/* EDX's low half carries the port */

/* Print the NUL-terminated label at str through HC_PUTCHAR. */
.macro LABEL str
	mov $\str, %si
	call print_label
.endm

	.code16
	.text
	.globl _start
_start:
	cld			/* lodsb in print_label walks forward */

	/* putchar: the line itself is the check. */
	LABEL str_putchar
	LABEL str_ok
	NEWLINE

	/* putnum: both ends of what a real-mode argument can hold. */
	LABEL str_putnum
	PUTNUM $0
	PUTCHAR ' '
	PUTNUM $PUTNUM_MAX16
	NEWLINE

	/* puts: stops at the NUL and returns the count. */
	LABEL str_puts
	PUTS hello_puts, PUTS_MAX16
	mov %ax, %di
	call print_count
	cmp $HELLO_PUTS_LEN, %di
	call report

	/* puts, again: stops at the max length. */
	LABEL str_puts_max
	PUTS hello_puts, PUTS_SHORT
	mov %ax, %di
	call print_count
	cmp $PUTS_SHORT, %di
	call report

	call check_getchar
	call check_clock
	call check_memsize
	call check_enosys_and_preserve

	/* The verdict, and the exit status: the number of failures. */
	LABEL str_hctest
	movzwl failures, %ecx
	test %ecx, %ecx
	jnz failed
	LABEL str_ok
	NEWLINE
	jmp exit
failed:
	PUTNUM %ecx
	LABEL str_failed
	NEWLINE
exit:
	mov %ecx, %ebx
	HC HC_EXIT
	hlt			/* not reached: HC_EXIT stops the VM */

/*
 * getchar: echo every byte up to HC_EOF between quotes ('\n' shown as "\n",
 * other bytes as they are), then the count. A value that is neither a byte
 * nor HC_EOF fails.
 */
check_getchar:
	LABEL str_getchar
	xor %edi, %edi		/* bytes read */
getchar_next:
	HC HC_GETCHAR
	cmp $HC_EOF, %ax	/* the low 16 bits of -1 */
	je getchar_eof
	cmp $BYTE_MAX, %ax
	ja getchar_eof		/* ZF clear: reported as a failure */
	inc %di
	cmp $ASCII_LF, %al
	je getchar_lf
	mov %al, %bl
	HC HC_PUTCHAR
	jmp getchar_next
getchar_lf:
	PUTCHAR ASCII_BACKSLASH
	PUTCHAR 'n'
	jmp getchar_next
getchar_eof:
	pushf			/* ZF: ended on HC_EOF */
	PUTCHAR ASCII_QUOTE
	call print_count
	popf
	jmp report		/* tail call */

/* clock: two readings, the first non-zero, the second not smaller. */
check_clock:
	LABEL str_clock
	HC HC_CLOCK
	mov %eax, clock_first_lo
	mov %edx, clock_first_hi
	HC HC_CLOCK
	mov clock_first_lo, %ecx
	or clock_first_hi, %ecx
	jz clock_fail
	cmp clock_first_hi, %edx	/* high halves decide unless equal */
	ja clock_pass
	jb clock_fail
	cmp clock_first_lo, %eax	/* unsigned: the low half has no sign */
	jae clock_pass
clock_fail:
	or $1, %cx		/* ZF clear */
	jmp report
clock_pass:
	xor %cx, %cx		/* ZF set */
	jmp report

/*
 * memsize: the VMM's ABI (an 8-bit IN from the port) has HC_MEMSIZE, whose EDX:EAX
 * is whole 4 KiB pages and at least 1 MiB; the size is printed in MiB.
 */
check_memsize:
	LABEL str_memsize
	mov $HC_PORT, %dx
	in (%dx), %al
	cmp $MEMSIZE_ABI, %al
	jb memsize_fail
	HC HC_MEMSIZE
	test $PAGE_OFFSET_MASK, %eax
	jnz memsize_fail
	shrd $MIB_SHIFT, %edx, %eax
	test %eax, %eax
	jz memsize_fail
	PUTNUM %eax
	LABEL str_mib
	xor %cx, %cx		/* ZF set */
	jmp report
memsize_fail:
	or $1, %cx		/* ZF clear */
	jmp report

/*
 * enosys: an unknown function answers HC_ENOSYS and nothing else happens.
 * preserve: registers not named as results come back unchanged.
 */
check_enosys_and_preserve:
	mov $PRESERVE_EBX, %ebx
	mov $PRESERVE_ECX, %ecx
	mov $PRESERVE_ESI, %esi
	mov $PRESERVE_EDI, %edi
	mov $PRESERVE_EBP, %ebp
	mov $(PRESERVE_EDX_HIGH + HC_PORT), %edx
	mov $HC_UNKNOWN, %al
	out %al, (%dx)
	mov %ax, enosys_result

	cmp $PRESERVE_EBX, %ebx
	jne preserve_checked
	cmp $PRESERVE_ECX, %ecx
	jne preserve_checked
	cmp $PRESERVE_ESI, %esi
	jne preserve_checked
	cmp $PRESERVE_EDI, %edi
	jne preserve_checked
	cmp $PRESERVE_EBP, %ebp
	jne preserve_checked
	cmp $(PRESERVE_EDX_HIGH + HC_PORT), %edx
preserve_checked:
	pushf			/* ZF: all preserved */
	xor %ebp, %ebp

	LABEL str_enosys
	cmpw $HC_ENOSYS, enosys_result	/* the low 16 bits of -38: 0xffda */
	call report

	LABEL str_preserve
	popf
	jmp report		/* tail call */

/* Print " [DI] ": the count of a check, before its verdict. */
print_count:
	PUTCHAR ' '
	PUTCHAR '['
	movzwl %di, %ebx
	HC HC_PUTNUM
	PUTCHAR ']'
	PUTCHAR ' '
	ret

/* ZF set: the check passed. Prints "ok" or "FAIL", counts failures, ends the line. */
report:
	jnz report_fail
	LABEL str_ok
	jmp report_done
report_fail:
	incw failures
	LABEL str_fail
report_done:
	NEWLINE
	ret

/* Print the NUL-terminated string at SI through HC_PUTCHAR (clobbers SI, AL, BL, DX). */
print_label:
	lodsb
	test %al, %al
	jz print_label_done
	mov %al, %bl
	HC HC_PUTCHAR
	jmp print_label
print_label_done:
	ret

	.section .rodata
str_putchar:	.asciz "putchar: "
str_putnum:	.asciz "putnum: "
str_puts:	.asciz "puts: "
str_puts_max:	.asciz "puts max 5: "
str_getchar:	.asciz "getchar: \""
str_clock:	.asciz "clock: "
str_memsize:	.asciz "memsize: "
str_mib:	.asciz " MiB "
str_enosys:	.asciz "enosys: "
str_preserve:	.asciz "preserve: "
str_hctest:	.asciz "hctest: "
str_failed:	.asciz " failed"
str_ok:		.asciz "ok"
str_fail:	.asciz "FAIL"
hello_puts:	.asciz "hello from HC_PUTS"
	.set HELLO_PUTS_LEN, . - hello_puts - 1	/* without the NUL */

	.section .bss
failures:	.word 0
enosys_result:	.word 0
	.balign 4
clock_first_lo:	.long 0
clock_first_hi:	.long 0
