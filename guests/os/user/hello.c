/* SPDX-License-Identifier: MIT */
/* The smallest user program: a greeting with its pid. */
#include "ulib.h"

int main(void)
{
	printf("hello from process %d\n", sys_getpid());
	return 0;
}
