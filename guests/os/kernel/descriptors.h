/* SPDX-License-Identifier: MIT */
/* The kernel's GDT (kernel and user segments) and its 64-bit TSS. */
#ifndef OS_DESCRIPTORS_H
#define OS_DESCRIPTORS_H

#include <stdint.h>

/* Load the GDT, reload every segment register, load the TSS. */
void gdt_init(void);

/* The stack the CPU switches to when an interrupt or exception arrives in ring 3. */
void gdt_set_kernel_stack(uint64_t top);

#endif /* OS_DESCRIPTORS_H */
