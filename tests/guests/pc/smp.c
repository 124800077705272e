/* SPDX-License-Identifier: MIT */
/*
 * A two-CPU bare kernel (protected mode, paging off, --irqchip -c 2): it finds the MP
 * table where MP 1.4 says to search, prints the processors it lists, and starts each
 * AP with INIT and STARTUP IPIs from its local APIC at a real-mode trampoline (0x7000)
 * that counts itself in and records its initial APIC ID (CPUID 1, EBX[31:24]). Then
 * it prints who came up and exits through isa-debug-exit (value 0x10: status 0x21;
 * 0x7e: no MP table; 0x7d: an AP did not start).
 */
#include "pclib.h"

#define TRAMPOLINE    0x7000
#define AP_COUNT      0x7ff0 /* APs in so far (lock incw) */
#define AP_IDS	      0x7ff4 /* their APIC IDs, a byte each */
#define AP_WAIT_LOOPS 100000000u

extern const uint8_t ap_trampoline[], ap_trampoline_end[];

void main(void)
{
	struct mp_info mi = { 0 };
	uint32_t fp = mp_search();
	volatile uint16_t *count = (volatile uint16_t *)AP_COUNT;
	volatile uint8_t *ids = (volatile uint8_t *)AP_IDS;
	unsigned int started = 0;

	if (!fp || mp_parse(fp, &mi) < 0) {
		kprintf("smp: no MP table\n");
		debug_exit(0x7e);
	}
	kprintf("smp: MP table at 0x%x: %u cpus, BSP APIC %u, I/O APIC %u at 0x%x\n", fp, mi.ncpus,
		mi.bsp_id, mi.ioapic_id, mi.ioapic_addr);
	*(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + LAPIC_SVR) = LAPIC_SVR_ENABLE | 0xff;
	kprintf("smp: BSP is APIC %u\n", lapic_id());
	for (uint32_t i = 0; i < (uint32_t)(ap_trampoline_end - ap_trampoline); i++)
		((uint8_t *)TRAMPOLINE)[i] = ap_trampoline[i];
	*count = 0;
	for (unsigned int i = 0; i < mi.ncpus; i++) {
		if (mi.apic_ids[i] == lapic_id())
			continue;
		start_ap(mi.apic_ids[i], TRAMPOLINE);
		for (uint32_t n = 0; *count == started && n < AP_WAIT_LOOPS; n++)
			pause();
		if (*count == started) {
			kprintf("smp: AP %u did not start\n", mi.apic_ids[i]);
			debug_exit(0x7d);
		}
		kprintf("smp: AP %u is up (CPUID APIC ID %u)\n", mi.apic_ids[i], ids[started]);
		started++;
	}
	kprintf("smp: %u of %u cpus running\n", started + 1, mi.ncpus);
	debug_exit(0x10);
}

/* The AP's first code, copied to TRAMPOLINE: real mode, CS:IP = 0700:0000. */
__asm__(".section .rodata\n"
	".globl ap_trampoline, ap_trampoline_end\n"
	".code16\n"
	"ap_trampoline:\n"
	"	cli\n"
	"	xor %ax, %ax\n"
	"	mov %ax, %ds\n"
	"	mov $1, %eax\n"
	"	cpuid\n"
	"	shr $24, %ebx\n"
	"	mov $" "0x7ff0" ", %si\n"
	"	mov $1, %ax\n"
	"	lock xadd %ax, (%si)\n"
	"	movzwl %ax, %eax\n"
	"	add $" "0x7ff4" ", %ax\n"
	"	mov %ax, %si\n"
	"	mov %bl, (%si)\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"ap_trampoline_end:\n"
	".code32\n"
	".text\n");
