/* SPDX-License-Identifier: MIT */
/* The matmul benchmark's driver: arguments, repetitions, timing and reports (every runner). */
#include "matmul.h"

#define DECIMAL 10

/* Reads a decimal number at *p (advancing it); -1 if there is none or it is too big. */
static long parse_number(const char **p)
{
	long value = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		value = value * DECIMAL + (*s - '0');
		if (value > (long)UINT32_MAX)
			return -1;
	}
	*p = s;
	return value;
}

/* Does the word at s begin with key (e.g. "n=")? Leaves s after the key if so. */
static int match_key(const char **s, const char *key)
{
	const char *p = *s;

	for (; *key; key++, p++)
		if (*p != *key)
			return 0;
	*s = p;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int matmul_parse_args(const char *text, struct matmul_args *args)
{
	long n = -1, runs = 1;

	while (*text) {
		const char *word = text;

		if (is_blank(*text)) {
			text++;
			continue;
		}
		if (match_key(&word, "n=")) {
			if ((n = parse_number(&word)) < 0)
				return -1;
		} else if (match_key(&word, "runs=")) {
			if ((runs = parse_number(&word)) < 0)
				return -1;
		}
		while (*text && !is_blank(*text))
			text++;
	}
	if (n <= 0 || n > MATMUL_N_MAX || runs <= 0)
		return -1;
	args->n = (unsigned int)n;
	args->runs = (unsigned int)runs;
	return 0;
}

unsigned int matmul_reps(unsigned int n)
{
	unsigned int ratio = n < MATMUL_REPS_BASE_N ? MATMUL_REPS_BASE_N / n : 1;

	return ratio * ratio * ratio;
}

void matmul_bench(const struct matmul_args *args, double *pool,
		  const struct matmul_platform *platform)
{
	unsigned int reps = matmul_reps(args->n), run, rep;
	double *a = pool, *b = pool + args->n * args->n, *c = b + args->n * args->n;

	matmul_init(a, b, c, args->n);
	for (run = 1; run <= args->runs; run++) {
		struct matmul_result result = { .n = args->n, .reps = reps, .run = run };
		union {
			double d;
			uint64_t bits;
		} sum;
		uint64_t start = platform->now_ns();

		for (rep = 0; rep < reps; rep++)
			matmul_multiply(a, b, c, args->n);
		result.ns = (platform->now_ns() - start) / reps;
		sum.d = matmul_checksum(c, args->n);
		result.checksum_bits = sum.bits;
		platform->report(&result);
	}
}
