/* SPDX-License-Identifier: MIT */
/*
 * The bare matmul guest's 64-bit entry: from ring 0 in long mode (mini-kvm's ELF64 boot
 * state, or boot32.S under QEMU) to guest_main() in ring 3, for good.
 *
 * Why ring 3: on kvm_pvm (this project's host KVM) ring-0 code is emulated instruction
 * by instruction, without SSE arithmetic, while ring-3 code runs natively
 * (shared/HOST-KVM.md). So ring 0 only sets up what ring 3 needs, in as few
 * instructions as it can:
 *   - a GDT with ring-3 code and data segments and a 64-bit TSS;
 *   - the TSS's I/O permission bitmap, all zero: ring 3 may use every port (the
 *     hypercall port HC_PORT under mini-kvm; COM1, the PIT and isa-debug-exit on a PC).
 *     kvm_pvm honours only the bitmap, not IOPL 3; other CPUs take either;
 *   - SSE: CR0.MP set, CR0.EM and CR0.TS clear, CR4.OSFXSR and CR4.OSXMMEXCPT set
 *     (SDM 3A, 13.1.3);
 * and needs page tables whose entries have the U bit: mini-kvm's boot tables have it
 * (docs/usage.md, "long" mode), boot32.S builds its own with it.
 * There is no IDT and no way back: syscall and int do not reach ring 0 on kvm_pvm.
 * An exception is a triple fault, which both VMMs report.
 */
#include "selectors.h"

#define CR0_MP	      (1 << 1)	/* monitor coprocessor: wait/fwait honour TS */
#define CR0_EM	      (1 << 2)	/* emulate x87: SSE instructions #UD while set */
#define CR0_TS	      (1 << 3)	/* task switched: the first SSE instruction faults */
#define CR4_OSFXSR    (1 << 9)	/* the OS saves SSE state with fxsave: SSE enabled */
#define CR4_OSXMMEXCPT (1 << 10) /* unmasked SSE exceptions are #XM, not #UD */

#define RFLAGS_FIXED (1 << 1)	/* bit 1 is always set */
#define RFLAGS_IOPL3 (3 << 12)	/* also IOPL 3, for KVMs that honour it */

/* 64-bit TSS (SDM 3A, 8.7, figure 8-11). */
#define TSS_RSP0      4		/* the stack ring 0 would get from ring 3 */
#define TSS_IOMAP_BASE 0x66	/* offset of the I/O permission bitmap */
#define TSS_SIZE      0x68
#define IO_BITMAP_BYTES (65536 / 8) /* a bit per port */
/* The limit covers the bitmap and the 0xff byte after it (SDM 1, 19.5.2). */
#define TSS_LIMIT     (TSS_SIZE + IO_BITMAP_BYTES)
#define IO_BITMAP_END 0xff

/* TSS descriptor (SDM 3A, 8.2.3, figure 8-4): base 23:0 in bits 39:16, 31:24 in 63:56. */
#define DESC_TSS_AVAILABLE 0x89	/* present, DPL 0, type 9: available 64-bit TSS */
#define DESC_TYPE_SHIFT   40
#define DESC_BASE_LOW_SHIFT 16
#define DESC_BASE_LOW_MASK 0xffffff
#define DESC_BASE_MID_BITS 24
#define DESC_BASE_HIGH_SHIFT 56
#define DESC_BASE_HIGH_MASK 0xff

#define KERNEL_STACK_SIZE 0x1000 /* only the TSS's RSP0: nothing runs on it */
#define USER_STACK_SIZE	  0x10000
#define STACK_ALIGN	  16

	.code64
	.text
	.globl _start64
_start64:
	cli
	lgdt gdtr(%rip)
	pushq $KERNEL_CS		/* reload CS through a far return */
	lea 1f(%rip), %rax
	pushq %rax
	lretq
1:	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	lea kernel_stack_top(%rip), %rsp

	/* The TSS descriptor, from the TSS's address (not known before link time). */
	lea tss(%rip), %rax
	mov %rax, %rdx
	and $DESC_BASE_LOW_MASK, %edx
	shl $DESC_BASE_LOW_SHIFT, %rdx
	mov %rax, %rcx
	shr $DESC_BASE_MID_BITS, %rcx
	and $DESC_BASE_HIGH_MASK, %ecx
	shl $DESC_BASE_HIGH_SHIFT, %rcx
	or %rcx, %rdx
	movabs $(TSS_LIMIT | (DESC_TSS_AVAILABLE << DESC_TYPE_SHIFT)), %rcx
	or %rcx, %rdx
	mov %rdx, gdt_tss(%rip)
	shr $32, %rax
	mov %rax, gdt_tss + 8(%rip)	/* base 63:32 */

	lea kernel_stack_top(%rip), %rax
	mov %rax, tss + TSS_RSP0(%rip)
	movw $TSS_SIZE, tss + TSS_IOMAP_BASE(%rip)
	movb $IO_BITMAP_END, tss + TSS_LIMIT(%rip)
	mov $TSS_SEL, %ax
	ltr %ax

	mov %cr0, %rax
	and $~(CR0_EM | CR0_TS), %rax
	or $CR0_MP, %rax
	mov %rax, %cr0
	mov %cr4, %rax
	or $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
	mov %rax, %cr4

	pushq $(USER_DS | RPL3)		/* iretq to ring 3 */
	lea user_stack_top(%rip), %rax
	pushq %rax
	pushq $(RFLAGS_FIXED | RFLAGS_IOPL3)
	pushq $(USER_CS | RPL3)
	lea user_entry(%rip), %rax
	pushq %rax
	iretq

/* Ring 3, with RSP 16-byte aligned: a call leaves it as the x86-64 ABI wants. */
user_entry:
	xor %ebp, %ebp			/* end of the frame chain for debuggers */
	call guest_main			/* never returns: it ends in platform_exit() */
1:	jmp 1b

	.data
	.balign 8
	.globl gdt, gdtr
gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* KERNEL_CS: present, DPL 0, code, L (64-bit) */
	.quad 0x00cf93000000ffff	/* KERNEL_DS: present, DPL 0, data, writable */
	.quad 0x00cff3000000ffff	/* USER_DS: present, DPL 3, data, writable */
	.quad 0x00affb000000ffff	/* USER_CS: present, DPL 3, code, L (64-bit) */
gdt_tss:
	.quad 0, 0			/* TSS_SEL: filled in by _start64 */
gdt_end:
	/*
	 * lgdt reads a 16-bit limit and a 64-bit base in long mode, a 32-bit base in
	 * protected mode: boot32.S uses the same gdtr before long mode is on.
	 */
gdtr:
	.word gdt_end - gdt - 1
	.quad gdt

	.bss
	.balign 16
tss:
	.space TSS_LIMIT + 1		/* TSS, I/O bitmap (zero: every port allowed), 0xff */
	.balign STACK_ALIGN
	.space KERNEL_STACK_SIZE
kernel_stack_top:
	.balign STACK_ALIGN
	.space USER_STACK_SIZE
user_stack_top:
