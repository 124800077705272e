/* SPDX-License-Identifier: MIT */
/* KVM GSI routing for a PC: ISA IRQs to both 8259s and the I/O APIC, the PIT on pin 2. */
#include "arch/x86/gsi.h"

#include <stdlib.h>

#include "arch/x86/irq_routing.h"

#define PIC_PINS 8 /* per 8259: IRQ 0-7 on the master, 8-15 on the slave */
/* At most two routes per ISA IRQ (8259 and I/O APIC), one per higher I/O APIC pin. */
#define GSI_MAX_ROUTES (2 * IRQ_ISA_COUNT + GSI_IOAPIC_PINS - IRQ_ISA_COUNT)

static void route(struct kvm_irq_routing *r, unsigned int gsi, unsigned int chip, unsigned int pin)
{
	r->entries[r->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

struct kvm_irq_routing *gsi_routing_pc(void)
{
	struct kvm_irq_routing *r =
		calloc(1, sizeof(*r) + GSI_MAX_ROUTES * sizeof(struct kvm_irq_routing_entry));

	if (!r)
		return NULL;
	for (unsigned int irq = 0; irq < IRQ_ISA_COUNT; irq++) {
		int pin = irq_isa_to_gsi(irq);

		route(r, irq, irq < PIC_PINS ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
		      irq % PIC_PINS);
		if (pin != IRQ_GSI_NONE)
			route(r, irq, KVM_IRQCHIP_IOAPIC, pin);
	}
	for (unsigned int gsi = IRQ_ISA_COUNT; gsi < GSI_IOAPIC_PINS; gsi++)
		route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi);
	return r;
}
