/* SPDX-License-Identifier: MIT */
/* The matmul benchmark's kernel: C = A * B in doubles, and its checksum. */
#include "matmul.h"

/*
 * A[i][j] = ((7i + 13j) mod 101) / 101 - 1/2 and B[i][j] = ((11i + 5j) mod 103) / 103:
 * fractions that doubles cannot hold exactly, so that C's sums round and a runner
 * that computed differently (another operation order, x87, fused multiply-add) would
 * show up in the checksum.
 */
#define A_ROW_STEP 7u
#define A_COL_STEP 13u
#define A_MOD	   101u
#define A_OFFSET   0.5
#define B_ROW_STEP 11u
#define B_COL_STEP 5u
#define B_MOD	   103u

void matmul_init(double *a, double *b, double *c, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			a[i * n + j] = (double)((A_ROW_STEP * i + A_COL_STEP * j) % A_MOD) / A_MOD -
				       A_OFFSET;
			b[i * n + j] = (double)((B_ROW_STEP * i + B_COL_STEP * j) % B_MOD) / B_MOD;
			c[i * n + j] = 0;
		}
	}
}

void matmul_multiply(const double *restrict a, const double *restrict b, double *restrict c,
		     unsigned int n)
{
	unsigned int i, j, k;

	for (i = 0; i < n * n; i++)
		c[i] = 0;
	/* i-k-j: the inner loop walks rows of B and C, sequentially in memory. */
	for (i = 0; i < n; i++) {
		double *c_row = c + i * n;

		for (k = 0; k < n; k++) {
			const double a_ik = a[i * n + k];
			const double *b_row = b + k * n;

			for (j = 0; j < n; j++)
				c_row[j] += a_ik * b_row[j];
		}
	}
}

double matmul_checksum(const double *c, unsigned int n)
{
	double sum = 0;
	unsigned int i;

	for (i = 0; i < n * n; i++)
		sum += c[i];
	return sum;
}
