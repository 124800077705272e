/* SPDX-License-Identifier: MIT */
/*
 * CPU-bound, never yields: prints a line every SPIN_TICKS timer ticks of wall time,
 * SPIN_LINES times. Two at once both make progress only if the kernel preempts them.
 */
#include "ulib.h"

#define SPIN_LINES 5
#define SPIN_TICKS (OS_TICK_HZ / 5) /* 200 ms a line */
#define SPIN_CHECK 0xfff	    /* look at the clock every 4096 loops */

int main(void)
{
	int pid = sys_getpid();
	uint64_t next = sys_ticks() + SPIN_TICKS, loops = 0;

	for (int line = 1; line <= SPIN_LINES;) {
		loops++;
		if ((loops & SPIN_CHECK) || sys_ticks() < next)
			continue;
		printf("spin %d: %d\n", pid, line++);
		next += SPIN_TICKS;
	}
	printf("spin %d: done after %llu loops\n", pid, (unsigned long long)loops);
	return 0;
}
