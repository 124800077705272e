/* SPDX-License-Identifier: MIT */
/* The PC's interrupt wiring as a KVM GSI routing table (KVM_SET_GSI_ROUTING). */
#ifndef MINI_KVM_GSI_H
#define MINI_KVM_GSI_H

#include <linux/kvm.h>

/* I/O APIC input pins of KVM's in-kernel I/O APIC. */
#define GSI_IOAPIC_PINS 24

/*
 * A malloc()ed routing table for KVM's in-kernel 8259s and I/O APIC, wired as
 * irq_routing.h (and so the MADT and MP table) describes: KVM GSI n < 16 is ISA
 * IRQ n, to 8259 pin n (master or slave) and to I/O APIC pin irq_isa_to_gsi(n)
 * (IRQ 0, the PIT, to pin 2; the cascade IRQ 2 to no pin); GSIs 16..23 go to I/O
 * APIC pins 16..23. KVM_IRQ_LINE takes these GSIs; the in-kernel PIT raises GSI 0.
 * Returns NULL if out of memory. Free with free().
 */
struct kvm_irq_routing *gsi_routing_pc(void);

#endif
