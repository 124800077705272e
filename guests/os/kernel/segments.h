/* SPDX-License-Identifier: MIT */
/* GDT selectors and trap vectors shared by the kernel's C and assembly. */
#ifndef OS_SEGMENTS_H
#define OS_SEGMENTS_H

/*
 * GDT order is fixed by syscall/sysret (SDM 3A, 5.8.8, and vol. 2 SYSCALL):
 * STAR[47:32] = kernel CS, kernel SS = that + 8; STAR[63:48] + 8 = user SS and
 * + 16 = user 64-bit CS. Hence: kernel code, kernel data, user data, user code.
 */
#define KERNEL_CS   0x08
#define KERNEL_DS   0x10
#define SYSRET_BASE 0x10 /* STAR[63:48]: sysret loads SS = +8, CS = +16 */
#define RPL_USER    3
#define USER_DS	    (0x18 | RPL_USER)
#define USER_CS	    (0x20 | RPL_USER)
#define TSS_SEL	    0x28 /* a 64-bit TSS descriptor takes two slots */
#define GDT_ENTRIES 7

/* Vectors: CPU exceptions 0-31, the PIC's IRQ 0-15 remapped to 32-47. */
#define EXCEPTION_COUNT 32
#define IRQ_BASE	32
#define IRQ_COUNT	16
#define TRAP_VECTORS	(IRQ_BASE + IRQ_COUNT)
/* Not an IDT vector: syscall_entry marks its trap frames with it. */
#define SYSCALL_VECTOR 0x100

/* Interrupt stack table slot for double faults (a known-good stack). */
#define IST_DOUBLE_FAULT 1

#endif /* OS_SEGMENTS_H */
