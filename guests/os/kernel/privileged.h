/* SPDX-License-Identifier: MIT */
/* Privileged x86-64 instructions the kernel uses, as inline functions. */
#ifndef OS_PRIVILEGED_H
#define OS_PRIVILEGED_H

#include <stdint.h>

#include "cpu.h" /* guests/lib: MSR_EFER, rdmsr, inb, outb */

/* MSRs (SDM 4, table 2-2) and their bits. */
#define MSR_STAR   0xc0000081u
#define MSR_LSTAR  0xc0000082u
#define MSR_SFMASK 0xc0000084u
#define EFER_SCE   (1u << 0) /* syscall/sysret enable */

/* RFLAGS bits. */
#define RFLAGS_IF	(1u << 9)
#define RFLAGS_DF	(1u << 10)
#define RFLAGS_RESERVED (1u << 1) /* always 1 */

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t pml4_phys)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(pml4_phys) : "memory");
}

/* Enable interrupts and wait for one, atomically: sti holds off interrupts for one instruction. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif /* OS_PRIVILEGED_H */
