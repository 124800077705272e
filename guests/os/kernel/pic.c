/* SPDX-License-Identifier: MIT */
/* The 8259A PIC pair (Intel 8259A datasheet, ICW1-4, OCW2-3) and the 8254 PIT's channel 0. */
#include "pic.h"
#include "segments.h"
#include "privileged.h"

/* 0x20 - 0x21: master PIC; 0xa0 - 0xa1: slave PIC. */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4	0x11 /* edge triggered, cascaded, ICW4 follows */
#define ICW3_MASTER	0x04 /* the slave hangs on IRQ 2 */
#define ICW3_SLAVE	0x02 /* its cascade identity */
#define ICW4_8086	0x01
#define OCW2_EOI	0x20 /* non-specific end of interrupt */
#define OCW3_READ_ISR	0x0b
#define PIC_SLAVE_IRQ	8
#define PIC_CASCADE_IRQ 2
#define PIC_SPURIOUS	7 /* the lowest-priority line of each PIC */

/* 0x40 - 0x43: the 8254 PIT. */
#define PIT_CH0		 0x40
#define PIT_CMD		 0x43
#define PIT_CH0_RATE_GEN 0x34	 /* channel 0, lobyte/hibyte, mode 2 */
#define PIT_HZ		 1193182 /* its input clock */

static uint8_t masks[2] = { 0xff, 0xff };

void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, IRQ_BASE);
	outb(PIC2_DATA, IRQ_BASE + PIC_SLAVE_IRQ);
	outb(PIC1_DATA, ICW3_MASTER);
	outb(PIC2_DATA, ICW3_SLAVE);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, masks[0]);
	outb(PIC2_DATA, masks[1]);
}

void pic_unmask(unsigned int irq)
{
	if (irq >= PIC_SLAVE_IRQ) {
		masks[1] &= ~(1u << (irq - PIC_SLAVE_IRQ));
		outb(PIC2_DATA, masks[1]);
		irq = PIC_CASCADE_IRQ;
	}
	masks[0] &= ~(1u << irq);
	outb(PIC1_DATA, masks[0]);
}

void pic_eoi(unsigned int irq)
{
	if (irq >= PIC_SLAVE_IRQ)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}

int pic_spurious(unsigned int irq)
{
	uint16_t cmd = irq >= PIC_SLAVE_IRQ ? PIC2_CMD : PIC1_CMD;

	if (irq % PIC_SLAVE_IRQ != PIC_SPURIOUS)
		return 0;
	outb(cmd, OCW3_READ_ISR);
	if (inb(cmd) & (1u << PIC_SPURIOUS))
		return 0;
	if (irq >= PIC_SLAVE_IRQ) /* the master did see the cascade line */
		outb(PIC1_CMD, OCW2_EOI);
	return 1;
}

void pit_init(unsigned int hz)
{
	unsigned int divisor = PIT_HZ / hz;

	outb(PIT_CMD, PIT_CH0_RATE_GEN);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
}
