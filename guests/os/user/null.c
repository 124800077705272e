/* SPDX-License-Identifier: MIT */
/* Dereferences NULL: the kernel must kill this process and nothing else. */
#include "ulib.h"

int main(void)
{
	volatile int *null = 0;

	printf("null: reading address 0\n");
	return *null;
}
