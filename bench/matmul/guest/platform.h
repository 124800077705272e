/* SPDX-License-Identifier: MIT */
/* The bare matmul guest's view of its machine: mini-kvm (platform_hc.c) or a PC (platform_pc.c). */
#ifndef BENCH_MATMUL_PLATFORM_H
#define BENCH_MATMUL_PLATFORM_H

#include <stdint.h>

/* Called once, in ring 3, before anything else here. */
void platform_init(void);

/* The benchmark's parameters ("n=N runs=R"), NUL-terminated. */
const char *platform_args(void);

/* A monotonic clock in nanoseconds. */
uint64_t platform_now_ns(void);

/* Write len bytes to the console. */
void platform_write(const char *s, unsigned int len);

/* End the guest with an exit status (its low 8 bits). */
void platform_exit(unsigned int status) __attribute__((noreturn));

#endif /* BENCH_MATMUL_PLATFORM_H */
