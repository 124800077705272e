/* SPDX-License-Identifier: MIT */
/* The legacy 8259A PIC pair and the 8254 PIT's channel 0 (the timer). */
#ifndef OS_PIC_H
#define OS_PIC_H

/* ISA IRQ lines the kernel uses. */
#define IRQ_TIMER  0
#define IRQ_SERIAL 4 /* COM1 */

/* Remap IRQ 0-15 to vectors IRQ_BASE.., all masked. */
void pic_init(void);

/* Let an IRQ line through. */
void pic_unmask(unsigned int irq);

/* End of interrupt for an IRQ (to both PICs for 8-15). */
void pic_eoi(unsigned int irq);

/* True when the IRQ 7 or 15 just taken was spurious (not in service): no EOI then. */
int pic_spurious(unsigned int irq);

/* PIT channel 0 as a rate generator at hz interrupts a second. */
void pit_init(unsigned int hz);

#endif /* OS_PIC_H */
