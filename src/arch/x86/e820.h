/* SPDX-License-Identifier: MIT */
/* The E820 memory map a Linux guest gets in its zero page, derived from the RAM regions. */
#ifndef MINI_KVM_E820_H
#define MINI_KVM_E820_H

#include "arch/x86/bootparams.h"
#include "memory.h"

/*
 * Describe mem as a BIOS would (ACPI 6.4 ch. 15): conventional RAM below the
 * EBDA, the EBDA and the BIOS area (where the ACPI and MP tables live) reserved,
 * RAM from 1 MiB to the MMIO hole, and RAM above 4 GiB if there is any. The VGA
 * hole is left out. Fills at most max entries of table; returns how many, or
 * -ENOSPC if max is too small.
 */
int e820_build(const struct guest_memory *mem, struct boot_e820_entry *table, unsigned int max);

#endif
