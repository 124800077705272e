/* SPDX-License-Identifier: MIT */
/*
 * A flat 32-bit guest for --mode protected: proves the VMM's GDT is real by
 * reloading every segment register and CS from it, checks memory above 1 MiB
 * and HC_EFAULT, then HC_EXIT 0 (or the number of failed checks).
 *
 * Expected output (status 0):
 *
 *	pmode: hello from 32-bit protected mode
 *	pmode: segments reloaded, far jump and far return through CS=0x8
 *	pmode: CS=0x8 DS=0x10 ES=0x10 SS=0x10 ok
 *	pmode: GDT at 0x500 ok
 *	pmode: memory at 0x100000 ok
 *	pmode: puts outside RAM: efault ok
 *	pmode: ok
 *
 * A failed check ends its line with "FAIL"; the last line is then
 * "pmode: N failed".
 */
#include <mini-kvm/hypercall.h>
#include <mini-kvm/boot.h>
#include "hc.inc"

/* The VMM's boot GDT for protected mode (the entry-state contract, mini-kvm/boot.h). */
#define CODE_SEL MKVM_GDT_SEL_CODE	/* flat 32-bit ring-0 code */
#define DATA_SEL MKVM_GDT_SEL_DATA	/* flat data */

/* HC_PUTS of the strings below: they are short, and their GPA is their address. */
#define PUTS_MAX 0x100

/* The memory check: dwords from 1 MiB up, each a different multiple of a seed. */
#define MEMTEST_BASE MKVM_HIGH_MEM
#define MEMTEST_DWORDS 1024
#define MEMTEST_SEED 0x9e3779b9	/* 2^32 / golden ratio: no two dwords alike */
/* Where MEMTEST_BASE lands if address bit 20 were masked (the A20 gate). */
#define MEMTEST_A20_ALIAS (MEMTEST_BASE - MKVM_MIB)
#define A20_CANARY 0xa20ca4a2

/* Guest-physical RAM never reaches into the MMIO hole below 4 GiB. */
#define ADDR_OUTSIDE_RAM MKVM_MMIO_HOLE

/* put_hex: 4 bits per digit, most significant first. */
#define NIBBLE_BITS 4
#define NIBBLE_MASK 0xf
#define DWORD_BITS 32

	.code32
	.text
	.globl _start
_start:
	cld
	PUTS str_hello, PUTS_MAX

	/*
	 * Loading a selector makes the CPU read its descriptor from the GDT:
	 * with a bad GDT each of these faults, and with no IDT that is a
	 * triple fault the VMM reports. The data segments first, then CS,
	 * once by a far jump and once by a far return.
	 */
	mov $DATA_SEL, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	ljmp $CODE_SEL, $after_ljmp
after_ljmp:
	push $CODE_SEL
	push $after_lret
	lret
after_lret:
	PUTS str_reloaded, PUTS_MAX

	/* The selectors now in use, as the CPU reports them. */
	PUTS str_cs, PUTS_MAX
	mov %cs, %eax
	call put_hex
	PUTS str_ds, PUTS_MAX
	mov %ds, %eax
	call put_hex
	PUTS str_es, PUTS_MAX
	mov %es, %eax
	call put_hex
	PUTS str_ss, PUTS_MAX
	mov %ss, %eax
	call put_hex
	mov %cs, %eax
	cmp $CODE_SEL, %eax
	jne selectors_checked
	mov %ds, %eax
	cmp $DATA_SEL, %eax
	jne selectors_checked
	mov %es, %eax
	cmp $DATA_SEL, %eax
	jne selectors_checked
	mov %ss, %eax
	cmp $DATA_SEL, %eax
selectors_checked:
	call report

	/* The GDT the CPU uses is the one the contract places at MKVM_GDT. */
	PUTS str_gdt, PUTS_MAX
	sgdt gdtr
	mov gdtr_base, %eax
	call put_hex
	cmpl $MKVM_GDT, gdtr_base
	call report

	call check_memory

	/* HC_PUTS with a pointer outside RAM: HC_EFAULT, and the VM goes on. */
	PUTS str_efault, PUTS_MAX
	PUTS ADDR_OUTSIDE_RAM, PUTS_MAX
	cmp $HC_EFAULT, %eax
	call report

	PUTS str_pmode, PUTS_MAX
	mov failures, %ebx
	test %ebx, %ebx
	jnz failed
	PUTS str_ok, PUTS_MAX
	NEWLINE
	jmp exit
failed:
	HC HC_PUTNUM
	PUTS str_failed, PUTS_MAX
	NEWLINE
exit:
	mov failures, %ebx
	HC HC_EXIT
	hlt			/* not reached: HC_EXIT stops the VM */

/*
 * Write MEMTEST_DWORDS dwords from MEMTEST_BASE up, read them back, and check
 * that the A20 alias of the first one was left alone.
 */
check_memory:
	PUTS str_memory, PUTS_MAX
	mov $MEMTEST_BASE, %eax
	call put_hex
	movl $A20_CANARY, MEMTEST_A20_ALIAS

	xor %ecx, %ecx
fill:
	imul $MEMTEST_SEED, %ecx, %eax
	mov %eax, MEMTEST_BASE(, %ecx, 4)
	inc %ecx
	cmp $MEMTEST_DWORDS, %ecx
	jb fill

	xor %ecx, %ecx
verify:
	imul $MEMTEST_SEED, %ecx, %eax
	cmp %eax, MEMTEST_BASE(, %ecx, 4)
	jne memory_checked	/* ZF clear: reported as a failure */
	inc %ecx
	cmp $MEMTEST_DWORDS, %ecx
	jb verify
	cmpl $A20_CANARY, MEMTEST_A20_ALIAS
memory_checked:
	jmp report		/* tail call */

/* ZF set: the check passed. Prints " ok" or " FAIL", counts failures, ends the line. */
report:
	jnz report_fail
	PUTS str_space_ok, PUTS_MAX
	jmp report_done
report_fail:
	incl failures
	PUTS str_space_fail, PUTS_MAX
report_done:
	NEWLINE
	ret

/* Print EAX as 0x and hex digits without leading zeros (clobbers EAX, EBX, ECX, EDX). */
put_hex:
	push %esi
	mov %eax, %esi
	PUTCHAR '0'
	PUTCHAR 'x'
	mov $(DWORD_BITS - NIBBLE_BITS), %ecx
skip_zeros:			/* ... but keep the last digit, even if 0 */
	mov %esi, %eax
	shr %cl, %eax
	test %eax, %eax
	jnz digits
	sub $NIBBLE_BITS, %ecx
	jnz skip_zeros
digits:
	mov %esi, %ebx
	shr %cl, %ebx
	and $NIBBLE_MASK, %ebx
	mov hex_digits(%ebx), %bl
	HC HC_PUTCHAR
	sub $NIBBLE_BITS, %ecx
	jns digits
	pop %esi
	ret

	.section .rodata
str_hello:	.asciz "pmode: hello from 32-bit protected mode\n"
str_reloaded:	.asciz "pmode: segments reloaded, far jump and far return through CS=0x8\n"
str_cs:		.asciz "pmode: CS="
str_ds:		.asciz " DS="
str_es:		.asciz " ES="
str_ss:		.asciz " SS="
str_gdt:	.asciz "pmode: GDT at "
str_memory:	.asciz "pmode: memory at "
str_efault:	.asciz "pmode: puts outside RAM: efault"
str_pmode:	.asciz "pmode: "
str_ok:		.asciz "ok"
str_failed:	.asciz " failed"
str_space_ok:	.asciz " ok"
str_space_fail:	.asciz " FAIL"
hex_digits:	.ascii "0123456789abcdef"

	.section .bss
	.balign 4
failures:	.long 0
gdtr:				/* sgdt stores a 16-bit limit, then the base */
gdtr_limit:	.word 0
gdtr_base:	.long 0
