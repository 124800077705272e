/* SPDX-License-Identifier: MIT */
/*
 * A 64-bit C guest for the gdb tests (tests/integration/test_gdb.py), built with -O0
 * and symbols: a call chain to break in and backtrace, arguments and locals to
 * print, a global to watch, an int3 of its own that gdb may switch on. Prints its
 * total and returns GDB_GUEST_STATUS (the exit status) when the total is right.
 */
#include "console.h"

#define ROUNDS		 3
#define ROUND_STEP	 10
#define EXPECTED_TOTAL	 60 /* 10 + 20 + 30 */
#define GDB_GUEST_STATUS 42
#define EXIT_FAIL	 1

/* Watched by the tests: every round writes it. */
volatile unsigned int gdb_guest_counter;
/* gdb sets it to run the guest's own int3 (no IDT here: without gdb it would triple-fault). */
volatile unsigned int gdb_guest_trap;

static void own_breakpoint(void)
{
	__asm__ volatile("int3");
}

static unsigned int add_round(unsigned int round, unsigned int total)
{
	unsigned int step = round * ROUND_STEP;

	gdb_guest_counter = total + step;
	return gdb_guest_counter;
}

static unsigned int run_rounds(unsigned int rounds)
{
	unsigned int total = 0;

	for (unsigned int round = 1; round <= rounds; round++)
		total = add_round(round, total);
	return total;
}

int main(void)
{
	unsigned int total = run_rounds(ROUNDS);

	if (gdb_guest_trap)
		own_breakpoint();
	console_printf("gdb_guest: total %u\n", total);
	return total == EXPECTED_TOTAL ? GDB_GUEST_STATUS : EXIT_FAIL;
}
