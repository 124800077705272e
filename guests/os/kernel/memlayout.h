/* SPDX-License-Identifier: MIT */
/* The kernel's memory map: where it is loaded, where it runs, how much RAM it manages. */
#ifndef OS_MEMLAYOUT_H
#define OS_MEMLAYOUT_H

/*
 * Included by C, assembly and the linker script; constants get their ULL suffix
 * only in C (ld's script parser rejects suffixes).
 *
 * Physical memory (mini-kvm guest RAM, --mem at least OS_RAM_END):
 *   0x0000_0000 .. 0x0010_0000   left alone: the VMM's boot GDT, page tables, BIOS area
 *   0x0010_0000 (1 MiB)          the kernel image (ELF PT_LOADs), then its .bss
 *   kernel end .. OS_RAM_END     free pages: page tables, user pages
 *
 * Virtual memory (one PML4 per process; its upper half is shared):
 *   0 .. 0x0000_7fff_ffff_ffff   the process (see include/os/abi.h)
 *   KERNEL_VBASE + x             physical x, for x below OS_RAM_END, supervisor-only:
 *                                the kernel image and a direct map of all RAM at once
 */
#if defined(__ASSEMBLER__) || defined(LINKER_SCRIPT)
#define OS_U64(x) x
#else
#define OS_U64(x) x##ULL
#endif

/* The top 2 GiB of the address space: what gcc's -mcmodel=kernel addresses. */
#define KERNEL_VBASE	 OS_U64(0xffffffff80000000)
#define KERNEL_LOAD_PHYS OS_U64(0x100000)
#define OS_RAM_END	 OS_U64(0x2000000) /* 32 MiB managed; mini-kvm's default is 128 */
/* HC_EXIT status when the VM has less RAM than OS_RAM_END: EX_CONFIG (sysexits.h). */
#define OS_EXIT_TOO_LITTLE_RAM 78
/* The ABI version that has HC_MEMSIZE (mini-kvm/hypercall.h). */
#define OS_ABI_MEMSIZE 3
#define PAGE_SIZE      OS_U64(0x1000)
#define PAGE_SHIFT     12

/* Per-process kernel stack (static, one per process slot). */
#define KSTACK_SIZE OS_U64(0x4000)

#if !defined(__ASSEMBLER__) && !defined(LINKER_SCRIPT)
#include <stdint.h>

/* Physical address -> the kernel's virtual address of it (direct map). */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + KERNEL_VBASE);
}

/* A kernel virtual address (image or direct map) -> its physical address. */
static inline uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)(uintptr_t)va - KERNEL_VBASE;
}
#endif

#endif /* OS_MEMLAYOUT_H */
