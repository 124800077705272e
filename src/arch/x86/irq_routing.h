/* SPDX-License-Identifier: MIT */
/* Interrupt wiring that the MP table and the ACPI MADT both describe: APIC IDs, the I/O APIC, ISA IRQs. */
#ifndef MINI_KVM_IRQ_ROUTING_H
#define MINI_KVM_IRQ_ROUTING_H

#include <stdbool.h>

/*
 * APIC IDs. In xAPIC mode an ID is 8 bits (SDM 3A, "Local APIC ID"; the MADT's
 * Processor Local APIC structure and the MP table's processor entry have 8-bit fields
 * too), and 0xFF is the broadcast ID, so 255 IDs are usable. vCPU i gets APIC ID i and
 * the I/O APIC takes the ID after the last vCPU's, so that it collides with none: that
 * leaves 254 vCPUs. (0xFF would not do for the I/O APIC either: in the MP table's
 * interrupt entries it means "all I/O APICs", and in the MADT's Local APIC NMI
 * structure 0xFF means "all processors".) More vCPUs would need x2APIC structures.
 */
#define IRQ_APIC_ID_BROADCAST 0xffU
#define IRQ_MAX_CPUS	      (IRQ_APIC_ID_BROADCAST - 1U)

/* The I/O APIC's ID for a guest with ncpus vCPUs (APIC IDs 0..ncpus-1): ncpus. */
static inline unsigned int irq_ioapic_id(unsigned int ncpus)
{
	return ncpus;
}

/* The I/O APIC's first input pin is GSI 0, so GSI n is its pin n. */
#define IRQ_IOAPIC_GSI_BASE 0

/*
 * ISA IRQs 0-15, as a PC/AT wires its two 8259s: IRQ 0 is the 8254 PIT, IRQ 2 the slave
 * 8259's cascade into the master (so it carries no device of its own).
 */
#define IRQ_ISA_COUNT	16
#define IRQ_ISA_PIT	0
#define IRQ_ISA_CASCADE 2
/*
 * On the I/O APIC the PIT is on pin 2, not pin 0 (pin 0 is where a PC wires the master
 * 8259's INTR): MP spec 1.4 chapter 5, default configurations ("INTIN2: 8254 timer"),
 * and the ACPI 6.5 5.2.12.5 example override "ISA IRQ 0 -> GSI 2". Every other ISA IRQ n
 * is on pin n.
 *
 * KVM's in-kernel PIT raises KVM GSI 0, and KVM's default routing sends GSI n to I/O
 * APIC pin n (arch/x86/kvm/irq_comm.c, default_routing). For these tables to be true, the
 * VMM installs a routing with KVM_SET_GSI_ROUTING that sends each ISA IRQ to the master
 * or slave PIC and to I/O APIC pin irq_isa_to_gsi(irq), as QEMU does.
 */
#define IRQ_PIT_GSI  2
#define IRQ_GSI_NONE (-1)

/*
 * The GSI (= I/O APIC pin) that ISA IRQ isa_irq (0..IRQ_ISA_COUNT-1) arrives on, or
 * IRQ_GSI_NONE for the cascade, IRQ 2, which reaches no I/O APIC pin.
 */
static inline int irq_isa_to_gsi(unsigned int isa_irq)
{
	if (isa_irq == IRQ_ISA_PIT)
		return IRQ_PIT_GSI;
	if (isa_irq == IRQ_ISA_CASCADE)
		return IRQ_GSI_NONE;
	return (int)isa_irq + IRQ_IOAPIC_GSI_BASE;
}

/* Whether ISA IRQ isa_irq arrives on another GSI than its own number (an ACPI override). */
static inline bool irq_isa_is_overridden(unsigned int isa_irq)
{
	int gsi = irq_isa_to_gsi(isa_irq);

	return gsi != IRQ_GSI_NONE && gsi != (int)isa_irq;
}

/*
 * Polarity and trigger mode, as the MP spec 1.4 (table 4-10, "I/O interrupt flag") and
 * the ACPI 6.5 MADT ("MPS INTI Flags", 5.2.12.5) both encode them: 0 means "conforms
 * to the specifications of the bus", which for ISA is edge-triggered, active high.
 * Every ISA IRQ here conforms.
 */
#define IRQ_INTI_CONFORMS 0x0

/* The local APICs' interrupt inputs: LINT0 takes the 8259's INTR (ExtINT), LINT1 NMI. */
#define IRQ_LINT_EXTINT 0
#define IRQ_LINT_NMI	1

#endif
