/* SPDX-License-Identifier: MIT */
/* x86 architectural bits mini-kvm sets or reads (Intel SDM vol. 3A, ch. 2-4). */
#ifndef MINI_KVM_X86_H
#define MINI_KVM_X86_H

/* CR0 (SDM 3A 2.5) */
#define X86_CR0_PE (1ULL << 0)	/* protection enable */
#define X86_CR0_ET (1ULL << 4)	/* extension type: always 1 on modern CPUs */
#define X86_CR0_WP (1ULL << 16) /* write protect, also for ring 0 */
#define X86_CR0_NW (1ULL << 29) /* not write-through */
#define X86_CR0_CD (1ULL << 30) /* cache disable */
#define X86_CR0_PG (1ULL << 31) /* paging */

/* CR4 (SDM 3A 2.5) */
#define X86_CR4_PSE (1ULL << 4) /* 4 MiB pages in 32-bit paging */
#define X86_CR4_PAE (1ULL << 5) /* physical address extension (needed by long mode) */

/* IA32_EFER, MSR 0xc0000080 (SDM 3A 2.2.1) */
#define X86_EFER_SCE (1ULL << 0)  /* syscall/sysret */
#define X86_EFER_LME (1ULL << 8)  /* long mode enable */
#define X86_EFER_LMA (1ULL << 10) /* long mode active */

/* RFLAGS (SDM 1 3.4.3) */
#define X86_RFLAGS_FIXED (1ULL << 1) /* reserved, always 1 */
#define X86_RFLAGS_IF	 (1ULL << 9)

/* Paging-structure entries (SDM 3A 4.3, 4.5) */
#define X86_PTE_PRESENT	 (1ULL << 0)
#define X86_PTE_WRITE	 (1ULL << 1)
#define X86_PTE_USER	 (1ULL << 2)
#define X86_PTE_PS	 (1ULL << 7) /* this entry maps a large page */
#define X86_PT_ENTRIES	 512	     /* 64-bit tables: 512 entries of 8 bytes */
#define X86_PD32_ENTRIES 1024	     /* 32-bit page directory: 1024 entries of 4 bytes */
#define X86_PAGE_2M	 (2ULL << 20)
#define X86_PAGE_4M	 (4ULL << 20)

/* Segment descriptor types for code/data descriptors, S=1 (SDM 3A 3.4.5.1) */
#define X86_SEG_TYPE_DATA_RW  0x3 /* read/write, accessed */
#define X86_SEG_TYPE_CODE_XR  0xb /* execute/read, accessed */
#define X86_SEG_TYPE_TSS_BUSY 0xb /* S=0: 32/64-bit TSS, busy */

/* Real-mode addressing: segment = linear >> 4. */
#define X86_REAL_SEGMENT_SHIFT 4
#define X86_REAL_SEGMENT_LIMIT 0xffffULL
#define X86_REAL_MODE_LIMIT    0x100000ULL /* 1 MiB reachable without A20 tricks */

/* Exception vectors (SDM 3A 6.3.1), for naming in dumps */
#define X86_NR_EXCEPTIONS 32

#ifndef __ASSEMBLER__
#include <stdbool.h>

struct kvm_sregs;

/* "#GP general protection" ... for vectors 0..31; "reserved" for others. */
const char *x86_exception_name(unsigned int vector);

/* The current privilege level: 0 in real mode, else the RPL of CS (SDM 3A 5.5). */
unsigned int x86_cpl(const struct kvm_sregs *sregs);

struct kvm_regs;
/* True if the registers hold the power-on reset state: CS:IP f000:fff0, base 0xffff0000 (SDM 3A 9.1.4). */
bool x86_is_reset_state(const struct kvm_regs *regs, const struct kvm_sregs *sregs);
#endif

#endif
