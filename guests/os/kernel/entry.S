/* SPDX-License-Identifier: MIT */
/* Trap entry and exit: exception/IRQ stubs, the syscall entry, and the context switch. */
#include "segments.h"

	.code64
	.text

/* CPU exceptions that push an error code (SDM 3A, 6.15, table 6-1). */
.macro VECTOR v
	.balign 16
vector_\v:
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	push $0				/* same frame shape with and without error code */
	.endif
	push $\v
	jmp trap_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	VECTOR \v
	.endr

/*
 * The common path: save the general registers under the CPU's frame, so that they
 * make a struct trap_frame (trap.h), and hand it to trap_dispatch(). Everything
 * enters with interrupts off (interrupt gates, SFMASK), and the kernel keeps them
 * off: only the idle loop enables them, around hlt.
 */
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld				/* the SysV ABI wants DF clear at calls */
	call trap_dispatch
	.globl trap_return
trap_return:				/* also where a new process starts (proc.c) */
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* vector and error code */
	iretq

/*
 * syscall: RCX = user RIP, R11 = user RFLAGS, interrupts off (SFMASK), still on
 * the user stack. Switch to the process's kernel stack and build the same frame
 * an interrupt from ring 3 would have, so that one exit path (iretq) serves all:
 * iretq, unlike sysret, cannot be tricked into ring 0 with a non-canonical RCX.
 * One CPU, interrupts off: plain globals are enough, no swapgs.
 */
	.globl syscall_entry
	.balign 16
syscall_entry:
	mov %rsp, syscall_user_rsp(%rip)
	mov syscall_kernel_rsp(%rip), %rsp
	push $USER_DS			/* ss */
	push syscall_user_rsp(%rip)	/* rsp */
	push %r11			/* rflags */
	push $USER_CS			/* cs */
	push %rcx			/* rip */
	push $0				/* error code */
	push $SYSCALL_VECTOR
	jmp trap_common

/*
 * void context_switch(uint64_t *save_rsp, uint64_t load_rsp): save the callee-saved
 * registers on this kernel stack, store its RSP, switch to the other one and
 * return to whoever saved it (or, for a new process, to trap_return).
 */
	.globl context_switch
context_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .rodata
	.globl trap_stubs
	.balign 8
trap_stubs:				/* the IDT's handlers, by vector */
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad vector_\v
	.endr

	.section .bss
	.balign 8
	.globl syscall_kernel_rsp
syscall_kernel_rsp:			/* top of the running process's kernel stack */
	.quad 0
syscall_user_rsp:
	.quad 0
