/* SPDX-License-Identifier: MIT */
/* The matmul benchmark's kernel and driver: one source, built for every runner (bench/matmul/). */
#ifndef BENCH_MATMUL_H
#define BENCH_MATMUL_H

#include <stdint.h>

/*
 * Every runner (native, the bare guest under mini-kvm and under QEMU, Linux under QEMU)
 * links the same object files, matmul.o and driver.o, compiled once with the flags of
 * bench/matmul/matmul.mk (-O2 -ffp-contract=off, SSE2 doubles): so each runner computes
 * bit for bit the same C = A * B, and the checksums must agree.
 */

/* The largest N a runner accepts: the bare guest's matrices are static arrays. */
#define MATMUL_N_MAX 512
/*
 * Every runner keeps A, B and C back to back in one pool that starts on a page: the
 * same layout, so the same cache behaviour (three separate arrays MATMUL_N_MAX^2 apart
 * would map small matrices onto the same cache sets, and slow one runner alone).
 */
#define MATMUL_ALIGN 4096
/* Doubles in the pool for N x N matrices: A, B and C. */
#define MATMUL_POOL_DOUBLES(n) (3u * (n) * (n))

/*
 * A timed sample does at least the work of one MATMUL_REPS_BASE_N multiply: smaller N
 * repeat the multiply (base / N)^3 times. A sample then lasts long enough that one
 * clock read (a VM exit under mini-kvm, ~7 us) is lost in it.
 */
#define MATMUL_REPS_BASE_N 256

/* One result line, the same in every runner (printf and guests/lib/format.c agree). */
#define MATMUL_REPORT_FMT "matmul n=%u reps=%u run=%u ns=%llu checksum=%016llx\n"

/* What to run: N x N matrices, `runs` timed samples. */
struct matmul_args {
	unsigned int n;
	unsigned int runs;
};

/* One timed sample. */
struct matmul_result {
	unsigned int n;
	unsigned int reps;	/* multiplies in the sample */
	unsigned int run;	/* 1 .. runs */
	uint64_t ns;		/* nanoseconds per multiply */
	uint64_t checksum_bits; /* the sum of C's elements, as the double's bits */
};

/* Fill A and B with a fixed pattern of non-trivial doubles; zero C. */
void matmul_init(double *a, double *b, double *c, unsigned int n);

/* C = A * B (row-major N x N), i-k-j loop order. */
void matmul_multiply(const double *a, const double *b, double *c, unsigned int n);

/* The sum of C's elements in row-major order. */
double matmul_checksum(const double *c, unsigned int n);

/*
 * Parse "n=N" and "runs=R" from text (words separated by blanks; other words, such as
 * a boot loader's file name, are ignored). Defaults: runs=1, n required.
 * Returns 0, or -1 when n is missing, 0 or above MATMUL_N_MAX, or runs is 0.
 */
int matmul_parse_args(const char *text, struct matmul_args *args);

/* Multiplies per timed sample at size n (see MATMUL_REPS_BASE_N). */
unsigned int matmul_reps(unsigned int n);

/* What the driver needs from its runner: a clock and somewhere to report. */
struct matmul_platform {
	uint64_t (*now_ns)(void);			    /* a monotonic clock */
	void (*report)(const struct matmul_result *result); /* print one result */
};

/*
 * The benchmark: initialise the matrices (untimed), then args->runs timed samples of
 * matmul_reps(n) multiplies each, reporting each sample. pool holds
 * MATMUL_POOL_DOUBLES(n) doubles and starts on MATMUL_ALIGN.
 */
void matmul_bench(const struct matmul_args *args, double *pool,
		  const struct matmul_platform *platform);

#endif /* BENCH_MATMUL_H */
