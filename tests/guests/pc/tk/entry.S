/* SPDX-License-Identifier: MIT */
/*
 * tk's entry, its interrupt stubs and the APs' trampoline. The ELF entry point is
 * physical (paging is off both after tk's boot sector and after a Multiboot loader,
 * which the header below asks for): fill the page directory with 4 MiB pages (the low
 * 256 MiB at 0 and at KERNBASE, the I/O APIC and local APIC page), turn on CR4.PSE and
 * paging, and jump to main() at its linked, higher-half address.
 */
#define KERNBASE   0x80000000
#define V2P(x)	   ((x) - KERNBASE)
#define PDE_4M	   0x83		/* present, writable, 4 MiB page */
#define PDE_4M_IO  0x93		/* ... and cache-disabled */
#define LOW_PAGES  64		/* 64 x 4 MiB = 256 MiB */
#define APIC_PDE   (0xfec00000 >> 22)
#define CR4_PSE	   0x10
#define CR0_PG_WP  0x80010000
#define MB_MAGIC   0x1badb002
#define MB_FLAGS   0x00000003	/* page-aligned modules, memory information */
#define TRAMPOLINE 0x7000

	.section .text.entry, "ax"
	.code32
	.globl _start, start
_start = V2P(start)
	.balign 4
multiboot_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

start:
	cli
	mov $V2P(entry_pd), %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $22, %eax
	or $PDE_4M, %eax
	mov %eax, (%edi, %ecx, 4)
	mov %eax, (KERNBASE >> 22) * 4(%edi, %ecx, 4)
	inc %ecx
	cmp $LOW_PAGES, %ecx
	jb 1b
	movl $((APIC_PDE << 22) | PDE_4M_IO), APIC_PDE * 4(%edi)
	call paging_on
	mov $boot_stack_top, %esp
	mov $main, %eax
	jmp *%eax

/* CR4.PSE, CR3 = entry_pd, CR0.PG and WP (SDM 3A 4.3); called with paging off. */
paging_on:
	mov %cr4, %eax
	or $CR4_PSE, %eax
	mov %eax, %cr4
	mov $V2P(entry_pd), %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG_WP, %eax
	mov %eax, %cr0
	ret

/*
 * An AP, from the trampoline (ESP is 0 after INIT/SIPI): its stack at its physical
 * alias (the low identity map stays), paging on, the stack at its linked address,
 * then mpenter().
 */
ap_entry:
	mov V2P(ap_stack), %esp
	sub $KERNBASE, %esp
	call paging_on
	add $KERNBASE, %esp
	mov $mpenter, %eax
	jmp *%eax

/* Interrupt stubs: the vector (and a 0 error code where the CPU pushes none), then trap(). */
.macro STUB n
	.text
stub\n:
	.if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17)
	push $0
	.endif
	push $\n
	jmp alltraps
	.data
	.long stub\n
.endm

	.data
	.globl trap_stubs
trap_stubs:
	.altmacro
	.set n, 0
	.rept 48
	STUB %n
	.set n, n + 1
	.endr
	STUB 255

	.text
alltraps:
	pusha
	push %esp
	call trap
	add $4, %esp
	popa
	add $8, %esp
	iret

/* The APs' first code, copied to TRAMPOLINE: real mode, CS:IP = 0700:0000. */
	.section .rodata
	.globl ap_trampoline, ap_trampoline_end
	.code16
ap_trampoline:
	cli
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TRAMPOLINE + (tramp_gdt_desc - ap_trampoline)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $(TRAMPOLINE + (tramp32 - ap_trampoline))
	.code32
tramp32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $V2P(ap_entry), %eax
	jmp *%eax
	.p2align 3
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
tramp_gdt_desc:
	.word tramp_gdt_desc - tramp_gdt - 1
	.long TRAMPOLINE + (tramp_gdt - ap_trampoline)
ap_trampoline_end:

	.data
	.balign 4096
	.globl entry_pd
entry_pd:
	.space 4096

	.bss
	.balign 16
	.space 16384
boot_stack_top:
