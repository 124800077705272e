/* SPDX-License-Identifier: MIT */
/* Kernel entry: from mini-kvm's long-mode state to our own page tables in the higher half. */
#include "memlayout.h"

/* Page table entry bits (SDM 3A, 4.5, tables 4-15 to 4-19). */
#define PTE_P	0x1
#define PTE_W	0x2
#define PTE_PS	0x80	/* in a PD entry: a 2 MiB page */
#define PDE_2M_SHIFT 21
#define ENTRIES	512
#define PML4_KERNEL 511	/* KERNEL_VBASE = -2 GiB: PML4 slot 511 ... */
#define PDPT_KERNEL 510	/* ... and PDPT slot 510 */
#define BOOT_STACK_SIZE 0x4000

	.code64
	.section .text.boot, "ax"
	.globl _start
_start:
	/*
	 * We run at our physical address (the VMM's identity map), so RIP-relative
	 * addresses are physical here. Load boot tables that map the first GiB twice,
	 * at 0 and at KERNEL_VBASE, then continue at the higher-half address.
	 * vm_init() replaces them with 4 KiB-page tables that map no low half.
	 */
	cli
	lea boot_pml4(%rip), %rax
	mov %rax, %cr3
	movabs $boot_high, %rax
	jmp *%rax
boot_high:
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp			/* end of the frame chain for debuggers */
	call kmain
1:	hlt				/* kmain never returns */
	jmp 1b

	.section .data
	.balign PAGE_SIZE
boot_pml4:
	.quad boot_pdpt - KERNEL_VBASE + PTE_P + PTE_W
	.fill PML4_KERNEL - 1, 8, 0
	.quad boot_pdpt - KERNEL_VBASE + PTE_P + PTE_W
boot_pdpt:
	.quad boot_pd - KERNEL_VBASE + PTE_P + PTE_W
	.fill PDPT_KERNEL - 1, 8, 0
	.quad boot_pd - KERNEL_VBASE + PTE_P + PTE_W
	.quad 0
boot_pd:
	.set page, 0
	.rept ENTRIES
	.quad (page << PDE_2M_SHIFT) + PTE_P + PTE_W + PTE_PS
	.set page, page + 1
	.endr

	.section .bss
	.balign 16
	.globl boot_stack_top
boot_stack:
	.space BOOT_STACK_SIZE
boot_stack_top:
