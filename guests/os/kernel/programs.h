/* SPDX-License-Identifier: MIT */
/* The user programs embedded in the kernel image (programs.S). */
#ifndef OS_PROGRAMS_H
#define OS_PROGRAMS_H

#include <stdint.h>

struct program {
	const char *name;
	const uint8_t *start, *end; /* the flat image, linked at USER_BASE */
};

/* The embedded program called name, or NULL. */
const struct program *program_find(const char *name);

#endif /* OS_PROGRAMS_H */
