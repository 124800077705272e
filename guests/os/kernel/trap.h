/* SPDX-License-Identifier: MIT */
/* Trap frames, the IDT, and the dispatch of exceptions, IRQs and system calls. */
#ifndef OS_TRAP_H
#define OS_TRAP_H

#include <stdint.h>

/* What entry.S leaves on the kernel stack: general registers, then the CPU's frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (or by syscall_entry) */
};

/* Install the IDT: every exception and the 16 PIC vectors. */
void trap_init(void);

/* Called by entry.S with the frame of every exception, IRQ and system call. */
void trap_dispatch(struct trap_frame *f);

/* Timer ticks since the timer started (OS_TICK_HZ a second). */
uint64_t trap_ticks(void);

/* From entry.S. */
extern const uint64_t trap_stubs[];
void trap_return(void);
void syscall_entry(void);
extern uint64_t syscall_kernel_rsp;
void context_switch(uint64_t *save_rsp, uint64_t load_rsp);

#endif /* OS_TRAP_H */
