/* SPDX-License-Identifier: MIT */
/* The bare matmul guest's GDT selectors, shared by its 32-bit boot stub and its ring-3 entry. */
#ifndef BENCH_MATMUL_SELECTORS_H
#define BENCH_MATMUL_SELECTORS_H

#define KERNEL_CS 0x08 /* ring-0 64-bit code */
#define KERNEL_DS 0x10 /* ring-0 data */
#define USER_DS	  0x18 /* ring-3 data */
#define USER_CS	  0x20 /* ring-3 64-bit code */
#define TSS_SEL	  0x28 /* 64-bit TSS: two GDT slots */
#define RPL3	  3    /* requested privilege level 3, or'ed into a selector */

#endif /* BENCH_MATMUL_SELECTORS_H */
