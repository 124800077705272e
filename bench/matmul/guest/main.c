/* SPDX-License-Identifier: MIT */
/*
 * The bare matmul guest's ring-3 program: read the parameters, run the benchmark
 * (bench/matmul/driver.c, the same object as every other runner), print its
 * MATMUL_REPORT_FMT lines and exit 0; exit EXIT_USAGE on bad parameters.
 */
#include <stdarg.h>
#include <stdint.h>

#include "format.h"
#include "matmul.h"
#include "platform.h"

#define EXIT_USAGE 2
#define LINE_MAX   128

/* The matrices, static: the bare guest has no allocator. */
static double pool[MATMUL_POOL_DOUBLES(MATMUL_N_MAX)] __attribute__((aligned(MATMUL_ALIGN)));

static char line[LINE_MAX];
static unsigned int line_len;

/* Collects formatted output; a '\n' or a full buffer goes to the console. */
static void emit(char c, void *ctx)
{
	(void)ctx;
	line[line_len++] = c;
	if (c == '\n' || line_len == LINE_MAX) {
		platform_write(line, line_len);
		line_len = 0;
	}
}

static void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_va(emit, 0, fmt, ap);
	va_end(ap);
}

static void report(const struct matmul_result *r)
{
	print(MATMUL_REPORT_FMT, r->n, r->reps, r->run, (unsigned long long)r->ns,
	      (unsigned long long)r->checksum_bits);
}

/* Entered from ring3.S, in ring 3; never returns. */
void guest_main(void) __attribute__((noreturn));
void guest_main(void)
{
	static const struct matmul_platform platform = { .now_ns = platform_now_ns,
							 .report = report };
	struct matmul_args args;

	platform_init();
	if (matmul_parse_args(platform_args(), &args) < 0) {
		print("matmul: bad parameters '%s': want n=N (1..%d) [runs=R]\n", platform_args(),
		      MATMUL_N_MAX);
		platform_exit(EXIT_USAGE);
	}
	matmul_bench(&args, pool, &platform);
	platform_exit(0);
}
