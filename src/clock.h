/* SPDX-License-Identifier: MIT */
/* The program clock: monotonic nanoseconds, for stats, timelines, timeouts and HC_CLOCK. */
#ifndef MINI_KVM_CLOCK_H
#define MINI_KVM_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_USEC 1000ULL
#define NS_PER_MSEC 1000000ULL
#define NS_PER_SEC  1000000000ULL

/* CLOCK_MONOTONIC in nanoseconds: never jumps, counts from an arbitrary start. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

#endif
