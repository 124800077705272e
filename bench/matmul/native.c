/* SPDX-License-Identifier: MIT */
/*
 * matmul-native: the matmul benchmark as a Linux program, the yardstick of the other
 * runners (and, built -static, the program Linux runs under QEMU TCG).
 *
 *   matmul-native n=N [runs=R]
 *
 * Prints one MATMUL_REPORT_FMT line per timed sample, timed with
 * clock_gettime(CLOCK_MONOTONIC). Exit status 0, 2 on bad usage, 1 if out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matmul.h"

#define NS_PER_S    1000000000ull
#define ARGS_MAX    256
#define EXIT_NO_MEM 1
#define EXIT_USAGE  2

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void report(const struct matmul_result *r)
{
	printf(MATMUL_REPORT_FMT, r->n, r->reps, r->run, (unsigned long long)r->ns,
	       (unsigned long long)r->checksum_bits);
	fflush(stdout);
}

/* The matrices' pool (see MATMUL_POOL_DOUBLES), on a MATMUL_ALIGN boundary, or NULL. */
static double *pool_alloc(unsigned int n)
{
	size_t bytes = MATMUL_POOL_DOUBLES((size_t)n) * sizeof(double);

	/* aligned_alloc wants a size that is a multiple of the alignment. */
	bytes = (bytes + MATMUL_ALIGN - 1) / MATMUL_ALIGN * MATMUL_ALIGN;
	return aligned_alloc(MATMUL_ALIGN, bytes);
}

int main(int argc, char **argv)
{
	static const struct matmul_platform platform = { .now_ns = now_ns, .report = report };
	struct matmul_args args;
	char text[ARGS_MAX] = "";
	double *pool;
	int i;

	/* The same parser as the bare guest's: the words of argv, joined by blanks. */
	for (i = 1; i < argc; i++) {
		if (strlen(text) + strlen(argv[i]) + 2 > sizeof(text))
			break;
		strcat(text, argv[i]);
		strcat(text, " ");
	}
	if (i < argc || matmul_parse_args(text, &args) < 0) {
		fprintf(stderr, "usage: %s n=N (1..%d) [runs=R]\n", argv[0], MATMUL_N_MAX);
		return EXIT_USAGE;
	}
	pool = pool_alloc(args.n);
	if (!pool) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return EXIT_NO_MEM;
	}
	matmul_bench(&args, pool, &platform);
	free(pool);
	return 0;
}
