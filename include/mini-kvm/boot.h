/* SPDX-License-Identifier: MIT */
/*
 * The mini-kvm boot contract: every address, selector and port a bare guest may rely
 * on when mini-kvm starts it (docs/usage.md, "Guests and boot modes"). Self-contained, no includes:
 * usable from C, assembly and linker scripts (define LINKER_SCRIPT before including
 * it from one). The VMM's private layout (src/arch/x86/layout.h) includes this and
 * asserts its own regions against it.
 */
#ifndef MINI_KVM_BOOT_H
#define MINI_KVM_BOOT_H

/*
 * The version of the guest ABI as a whole: this header and the hypercalls
 * (mini-kvm/hypercall.h). An 8-bit IN from MKVM_HYPERCALL_PORT reads it.
 * 2: the HC_BLK_* calls. 3: HC_MEMSIZE, and HC_EROFS from HC_BLK_WRITE on a
 * read-only disk (--disk FILE,ro).
 */
#define MKVM_ABI_VERSION 3

/* Constants get their ULL suffix only in C: as and ld reject suffixes. */
#if defined(__ASSEMBLER__) || defined(LINKER_SCRIPT)
#define MKVM_U64(x) x
#else
#define MKVM_U64(x) x##ULL
#endif

#define MKVM_KIB       MKVM_U64(0x400)
#define MKVM_MIB       (MKVM_KIB * MKVM_KIB)
#define MKVM_PAGE_SIZE MKVM_U64(0x1000)

/*
 * Real mode: a flat binary loads at MKVM_REAL_LOAD and starts at CS:IP = 0:0 (or the
 * entry's 64 KiB block), SS:SP = 0:MKVM_REAL_STACK_TOP. It owns the IVT/BDA area.
 */
#define MKVM_REAL_LOAD	    MKVM_U64(0x0)
#define MKVM_REAL_STACK_TOP MKVM_U64(0xfff0)

/*
 * Protected, paging and long mode: flat binaries load (and start) at
 * MKVM_FLAT_LOAD; the stack pointer starts at MKVM_FLAT_STACK_TOP, just below the
 * boot page tables.
 */
#define MKVM_FLAT_LOAD	      MKVM_U64(0x1000)
#define MKVM_BOOT_PAGE_TABLES MKVM_U64(0x90000) /* long: PML4, PDPT, 4 PDs; paging: 1 PD */
#define MKVM_FLAT_STACK_TOP   (MKVM_BOOT_PAGE_TABLES - MKVM_PAGE_SIZE)

/* The boot GDT and its flat ring-0 selectors (protected, paging and long mode). */
#define MKVM_GDT	  MKVM_U64(0x500)
#define MKVM_GDT_SEL_CODE 0x08
#define MKVM_GDT_SEL_DATA 0x10

/* Paging mode maps virtual MKVM_HIGHER_HALF + x to physical x (a higher-half kernel). */
#define MKVM_HIGHER_HALF MKVM_U64(0x80000000)

/* RAM: from 0 up to -m, with the PC's holes; above MKVM_MMIO_HOLE it continues at 4 GiB. */
#define MKVM_HIGH_MEM  MKVM_MIB /* where memory above the legacy area starts */
#define MKVM_MMIO_HOLE (MKVM_U64(3) * 1024 * MKVM_MIB) /* 3 GiB: never RAM up to 4 GiB */

/* Ports and interrupt lines a bare guest may use. */
#define MKVM_COM1	    0x3f8 /* 16550A UART (PC16550D), 8 ports */
#define MKVM_COM1_IRQ	    4	  /* ISA IRQ of COM1, with --irqchip */
#define MKVM_HYPERCALL_PORT 0x500 /* mini-kvm/hypercall.h */

#endif /* MINI_KVM_BOOT_H */
