/* SPDX-License-Identifier: MIT */
/* Intel MultiProcessor Specification 1.4 tables: the floating pointer and the configuration table. */
#ifndef MINI_KVM_MPTABLE_H
#define MINI_KVM_MPTABLE_H

#include "arch/x86/irq_routing.h"
#include "memory.h"

/* vCPUs the MP table describes: the same APIC ID space as the MADT (see IRQ_MAX_CPUS). */
#define MPTABLE_MAX_CPUS IRQ_MAX_CPUS

/*
 * Write the MP floating pointer structure at LAYOUT_MPTABLE (MP spec 1.4 4.1: in the
 * BIOS ROM area, where OSes scan for it) and, right after it, the base configuration
 * table (4.2, 4.3): one processor entry per vCPU (APIC ID i for vCPU i, vCPU 0 the
 * BSP), the ISA bus, the I/O APIC, ISA IRQs 0-15 on its pins (IRQ 0 on pin 2, the
 * cascade IRQ 2 on none) and LINT0 ExtINT / LINT1 NMI on every local APIC.
 * ncpus: 1..MPTABLE_MAX_CPUS.
 * Returns 0, or -errno with a message: -EINVAL for a bad ncpus, -ENOSPC if the tables
 * would pass LAYOUT_MPTABLE_END, -EFAULT if their range is not guest RAM (then nothing
 * is written).
 */
int mptable_build(const struct guest_memory *mem, unsigned int ncpus);

#endif
