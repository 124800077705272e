/* SPDX-License-Identifier: MIT */
/* Probes for ring 3 and the ways back to ring 0 (syscall, int gate, interrupt); debugging in ring 3. */
#include "mini-kvm/hypercall.h"
#include <mini-kvm/probe_status.h>

/* The probe's own GDT (its selectors must suit syscall/sysret: SDM 2B, SYSCALL). */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS 0x18
#define USER_CS 0x20
#define TSS_SEL 0x28
#define RPL3 3
#define CPL_MASK 3

#define RFLAGS_FIXED (1 << 1)
#define RFLAGS_IF (1 << 9)
#define RFLAGS_IOPL3 (3 << 12)	/* ring 3 may use port I/O: how it reaches the host */

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE (1 << 0)
/* STAR[47:32]: syscall CS (SS = +8); STAR[63:48]: sysret base (CS = +16, SS = +8). */
#define STAR_HIGH (((USER_DS - 8) << 16) | KERNEL_CS)

#define IDT_VECTORS 256
#define IDT_GATE_SIZE 16
#define GATE_INTERRUPT 0x8e00	/* present, DPL 0, 64-bit interrupt gate (in bits 15:8) */
#define GATE_DPL3 0x6000
#define TSS_RSP0 4
#define TSS_IOMAP_BASE 0x66
#define TSS_SIZE 0x68
/*
 * An I/O permission bitmap that allows every port (65536 bits, then a 0xff byte),
 * right after the TSS. IOPL 3 alone should suffice (SDM 1 19.5.2), but kvm_pvm
 * only honours the bitmap; with both, ring 3 reaches the host on every KVM.
 */
#define IO_BITMAP_BYTES (65536 / 8)
#define TSS_LIMIT (TSS_SIZE + IO_BITMAP_BYTES)
#define SYSCALL_VECTOR 0x80

#if defined(PROBE_SW_BP_R3) || defined(PROBE_HW_BP_R3) || defined(PROBE_WATCH_R3) || \
	defined(PROBE_STEP_R3)
#define PROBE_DEBUG
#endif
#define IRQ0_VECTOR 0x20
#define EXCEPTIONS 32
#define EXCEPTION_STUB_SHIFT 3		/* each stub is 8 bytes */

/* 8259A PIC and 8254 PIT ports and commands. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC_ICW1_INIT 0x11	/* edge triggered, cascade, ICW4 follows */
#define PIC_ICW3_SLAVE_ON_IRQ2 0x04
#define PIC_ICW4_8086 0x01
#define PIC_MASK_ALL_BUT_IRQ0 0xfe
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_CH0_RATE_GEN 0x34	/* channel 0, lobyte/hibyte, mode 2 */
#define PIT_DIVISOR 1193	/* about 1 kHz */

.macro HC_EXIT_WITH status_reg
	mov $HC_PORT, %dx
	mov $HC_EXIT, %al
	out %al, (%dx)
.endm

	.code64
	.text
	.globl _start
_start:
	lgdt gdtr(%rip)
	pushq $KERNEL_CS		/* reload CS through a far return */
	lea 1f(%rip), %rax
	pushq %rax
	lretq
1:	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $PROBE_KERNEL_STACK, %rsp

	movq $PROBE_KERNEL_STACK, PROBE_TSS + TSS_RSP0	/* the stack ring 0 gets from ring 3 */
	movw $TSS_SIZE, PROBE_TSS + TSS_IOMAP_BASE	/* bitmap right after the TSS */
	movb $0xff, PROBE_TSS + TSS_LIMIT		/* its terminator; RAM is zero: all open */
	mov $TSS_SEL, %ax
	ltr %ax

	xor %edi, %edi			/* exceptions: a stub each, reporting the vector */
2:	lea exception_stubs(%rip), %rsi
	mov %edi, %eax
	shl $EXCEPTION_STUB_SHIFT, %eax
	add %rax, %rsi
	mov $GATE_INTERRUPT, %edx
	call set_gate
	inc %edi
	cmp $EXCEPTIONS, %edi
	jne 2b
	mov $SYSCALL_VECTOR, %edi	/* int $0x80, callable from ring 3 */
	lea to_ring0(%rip), %rsi
	mov $(GATE_INTERRUPT | GATE_DPL3), %edx
	call set_gate
	mov $IRQ0_VECTOR, %edi
	lea timer(%rip), %rsi
	mov $GATE_INTERRUPT, %edx
	call set_gate
	lidt idtr(%rip)

#if defined(PROBE_SYSCALL)
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_SCE, %eax
	wrmsr
	mov $MSR_STAR, %ecx
	xor %eax, %eax
	mov $STAR_HIGH, %edx
	wrmsr
	mov $MSR_LSTAR, %ecx
	lea to_ring0(%rip), %rax
	mov %rax, %rdx
	shr $32, %rdx
	wrmsr
	mov $MSR_FMASK, %ecx		/* keep IOPL 3 across syscall */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
#endif
#if defined(PROBE_IRQ_RING3)
	mov $PIC_ICW1_INIT, %al
	out %al, $PIC1_CMD
	mov $IRQ0_VECTOR, %al		/* ICW2: IRQ0..7 -> vectors 0x20.. */
	out %al, $PIC1_DATA
	mov $PIC_ICW3_SLAVE_ON_IRQ2, %al
	out %al, $PIC1_DATA
	mov $PIC_ICW4_8086, %al
	out %al, $PIC1_DATA
	mov $PIC_MASK_ALL_BUT_IRQ0, %al
	out %al, $PIC1_DATA
	mov $PIT_CH0_RATE_GEN, %al
	out %al, $PIT_CMD
	mov $(PIT_DIVISOR & 0xff), %al
	out %al, $PIT_CH0
	mov $(PIT_DIVISOR >> 8), %al
	out %al, $PIT_CH0
#define USER_RFLAGS (RFLAGS_FIXED | RFLAGS_IOPL3 | RFLAGS_IF)
#else
#define USER_RFLAGS (RFLAGS_FIXED | RFLAGS_IOPL3)
#endif

	pushq $(USER_DS | RPL3)		/* iretq to ring 3 */
	pushq $PROBE_USER_STACK
	pushq $USER_RFLAGS
	pushq $(USER_CS | RPL3)
	lea user(%rip), %rax
	pushq %rax
	iretq

/* Ring 3. */
user:
#if defined(PROBE_RING3)
	mov %cs, %ax
	and $CPL_MASK, %eax
	mov $PROBE_OK, %ebx
	cmp $RPL3, %eax
	je 1f
	mov $PROBE_WRONG_CPL, %ebx
1:	HC_EXIT_WITH %ebx
#elif defined(PROBE_SYSCALL)
	syscall
#elif defined(PROBE_INT_GATE)
	int $SYSCALL_VECTOR
#elif defined(PROBE_IRQ_RING3)
1:	jmp 1b				/* wait in ring 3 for the timer */
#elif defined(PROBE_DEBUG)
	jmp debug_target		/* guest debugging, in ring 3 */
#else
#error "define one PROBE_* variant"
#endif
	hlt

/* Ring 0 (if the host gets us here): report the CPL we arrived at. */
to_ring0:
	mov %cs, %ax
	and $CPL_MASK, %eax
	mov $PROBE_OK, %ebx
	jz 1f
	mov $PROBE_WRONG_CPL, %ebx
1:	HC_EXIT_WITH %ebx
	hlt

timer:
	mov %cs, %ax
	and $CPL_MASK, %eax
	mov $PROBE_WRONG_CPL, %ebx
	jnz 1f
	mov 8(%rsp), %rax		/* interrupted CS, from the frame */
	and $CPL_MASK, %eax
	mov $PROBE_OK, %ebx
	cmp $RPL3, %eax
	je 1f
	mov $PROBE_NOT_FROM_USER, %ebx
1:	HC_EXIT_WITH %ebx
	hlt

/* Exception stubs, 8 bytes apart: HC_EXIT(PROBE_EXCEPTION_BASE + vector). */
	.balign 8
exception_stubs:
	.set vector, 0
	.rept EXCEPTIONS
	.balign 8
	mov $(PROBE_EXCEPTION_BASE + vector), %bl	/* 2 bytes */
	jmp exception				/* 5 bytes */
	.set vector, vector + 1
	.endr
exception:
	movzbl %bl, %ebx
	HC_EXIT_WITH %ebx
	hlt

/* IDT gate: rdi = vector, rsi = handler, edx = type/attributes (SDM 3A figure 6-8). */
set_gate:
	mov %rdi, %rax
	shl $4, %rax
	add $PROBE_IDT, %rax
	mov %si, (%rax)			/* offset 15:0 */
	movw $KERNEL_CS, 2(%rax)
	mov %dx, 4(%rax)		/* IST 0, type and attributes */
	mov %rsi, %rcx
	shr $16, %rcx
	mov %cx, 6(%rax)		/* offset 31:16 */
	shr $16, %rcx
	mov %ecx, 8(%rax)		/* offset 63:32 */
	movl $0, 12(%rax)
	ret


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

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08 ring-0 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x10 ring-0 data */
	.quad 0x00cff3000000ffff	/* 0x18 ring-3 data */
	.quad 0x00affb000000ffff	/* 0x20 ring-3 64-bit code */
	/* 0x28 64-bit TSS (available, type 9) at PROBE_TSS, with its I/O bitmap */
	.quad TSS_LIMIT | ((PROBE_TSS & 0xffffff) << 16) | (0x89 << 40) | (((PROBE_TSS >> 24) & 0xff) << 56)
	.quad 0
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.quad gdt
idtr:
	.word IDT_VECTORS * IDT_GATE_SIZE - 1
	.quad PROBE_IDT
