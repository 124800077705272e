/* SPDX-License-Identifier: MIT */
/*
 * The bare matmul guest on a PC (QEMU's default machine, no mini-kvm hypercalls):
 *   console   COM1 (a 16550 at 0x3f8), polled;
 *   arguments the Multiboot command line (Multiboot 0.6.96, 3.3), after the file name
 *             QEMU puts first;
 *   exit      QEMU's isa-debug-exit device at port 0xf4 (-device
 *             isa-debug-exit,iobase=0xf4,iosize=4): QEMU ends with status (value << 1) | 1;
 *   clock     the TSC, its rate measured once against the PIT (channel 2, counting
 *             CALIBRATE_MS down in mode 0), since neither QEMU's TCG nor every CPU
 *             reports it (CPUID 0x15/0x16). Under TCG (and KVM) the TSC is the host's
 *             TSC and QEMU's PIT runs on the host's clock, so the result is host time,
 *             within the calibration's error (polling granularity over CALIBRATE_MS:
 *             well below 0.1 %). Host-side timestamps of serial lines would add the
 *             pipe's latency to every sample; an in-guest clock does not.
 * All of it is port I/O and rdtsc, which ring 3 may use (ring3.S).
 */
#include <stdint.h>

#include "cpu.h" /* guests/lib: inb, outb */
#include "platform.h"

#define COM1		0x3f8
#define UART_THR	0    /* transmit holding register */
#define UART_LSR	5    /* line status register */
#define UART_LSR_THRE	0x20 /* transmitter holding register empty */
#define DEBUG_EXIT_PORT 0xf4

#define PIT_HZ		1193182 /* the 8254's input clock */
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_CH2_MODE0	0xb0 /* channel 2, lobyte/hibyte, mode 0 (count down once) */
#define PORT_B		0x61 /* speaker / channel-2 gate (8255 port B) */
#define PORT_B_GATE2	0x01 /* channel 2 counts while set */
#define PORT_B_SPEAKER	0x02 /* speaker on: kept off */
#define PORT_B_OUT2	0x20 /* channel 2's output: set when the count reaches 0 */
#define CALIBRATE_MS	50
#define MS_PER_S	1000
#define CALIBRATE_COUNT (PIT_HZ * CALIBRATE_MS / MS_PER_S)
#define NS_PER_S	1e9
#define BYTE_MASK	0xff
#define BYTE_BITS	8
_Static_assert(CALIBRATE_COUNT <= 0xffff, "the PIT counts 16 bits");

/* Multiboot information (Multiboot 0.6.96, 3.3): flags, and cmdline at offset 16. */
#define MBI_FLAG_CMDLINE (1u << 2)
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper, boot_device;
	uint32_t cmdline; /* physical address of a NUL-terminated string */
};

/* Set by boot32.S: the physical address of the Multiboot information. */
extern uint32_t multiboot_info;

static double ns_per_tick;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void platform_init(void)
{
	uint64_t start, ticks;

	outb(PORT_B, (uint8_t)((inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_CMD, PIT_CH2_MODE0);
	outb(PIT_CH2, CALIBRATE_COUNT & BYTE_MASK);
	outb(PIT_CH2, CALIBRATE_COUNT >> BYTE_BITS); /* counting starts here */
	start = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2))
		;
	ticks = rdtsc() - start;
	ns_per_tick = NS_PER_S * CALIBRATE_COUNT / PIT_HZ / (double)ticks;
}

const char *platform_args(void)
{
	const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)multiboot_info;

	if (!mbi || !(mbi->flags & MBI_FLAG_CMDLINE))
		return "";
	return (const char *)(uintptr_t)mbi->cmdline;
}

uint64_t platform_now_ns(void)
{
	return (uint64_t)((double)rdtsc() * ns_per_tick);
}

void platform_write(const char *s, unsigned int len)
{
	for (; len; len--, s++) {
		while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
			;
		outb(COM1 + UART_THR, (uint8_t)*s);
	}
}

void platform_exit(unsigned int status)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)status);
	for (;;)
		; /* without isa-debug-exit: stay here (the harness's timeout ends QEMU) */
}
