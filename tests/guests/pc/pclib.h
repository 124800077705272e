/* SPDX-License-Identifier: MIT */
/*
 * What the classic-PC test guests share (freestanding C, 32-bit): port I/O, COM1
 * output by polling, a tiny printf, isa-debug-exit, the MP table search (MP 1.4, 4.1)
 * and local APIC IPIs (SDM 3A, 10.6). Only PC hardware, no mini-kvm ABI: the same
 * guests run on any PC. Everything is static: each guest is one translation unit.
 */
#ifndef PCLIB_H
#define PCLIB_H

#include <stdarg.h>
#include <stdint.h>

#define COM1		 0x3f8
#define COM1_LSR	 (COM1 + 5)
#define LSR_DATA_READY	 0x01
#define LSR_THRE	 0x20
#define DEBUG_EXIT_PORT	 0xf4
#define CMOS_INDEX	 0x70
#define CMOS_DATA	 0x71
#define LAPIC_BASE	 0xfee00000u
#define LAPIC_ID	 0x20
#define LAPIC_TPR	 0x80
#define LAPIC_EOI	 0xb0
#define LAPIC_SVR	 0xf0
#define LAPIC_ICR_LO	 0x300
#define LAPIC_ICR_HI	 0x310
#define LAPIC_SVR_ENABLE 0x100
#define ICR_INIT	 0x00000500
#define ICR_STARTUP	 0x00000600
#define ICR_ASSERT	 0x00004000
#define ICR_LEVEL	 0x00008000
#define ICR_PENDING	 0x00001000
#define MP_PROCESSOR	 0
#define MP_BUS		 1
#define MP_IOAPIC	 2
#define MP_CPU_ENABLED	 0x01
#define MAX_CPUS	 8

static __attribute__((unused)) inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static __attribute__((unused)) inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static __attribute__((unused)) inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static __attribute__((unused)) inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static __attribute__((unused)) inline void pause(void)
{
	__asm__ volatile("pause");
}

/* Where physical memory appears (the teaching kernel maps it high; others: 0). */
#ifndef PHYS_OFFSET
#define PHYS_OFFSET 0
#endif
#define P2V(pa) ((void *)((uintptr_t)(pa) + PHYS_OFFSET))

static __attribute__((unused)) void com1_putc(char c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		pause();
	outb(COM1, (uint8_t)c);
}

/* The guest's console: COM1 unless it defines its own putc before including this. */
#ifndef CONSOLE_PUTC
#define CONSOLE_PUTC com1_putc
#endif

static __attribute__((unused)) void puts_(const char *s)
{
	while (*s) {
		if (*s == '\n')
			CONSOLE_PUTC('\r');
		CONSOLE_PUTC(*s++);
	}
}

static __attribute__((unused)) void put_number(uint32_t n, unsigned int base, int width)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[n % base];
		n /= base;
	} while (n);
	while (width-- > i)
		CONSOLE_PUTC('0');
	while (i)
		CONSOLE_PUTC(buf[--i]);
}

/* printf with %s %c %u %d %x %08x %016llx-less subset: %s %c %u %d %x and a 0-pad width. */
static __attribute__((unused)) void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0;

		if (*fmt != '%') {
			char s[2] = { *fmt, 0 };

			puts_(s);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 's':
			puts_(va_arg(ap, const char *));
			break;
		case 'c':
			CONSOLE_PUTC((char)va_arg(ap, int));
			break;
		case 'u':
			put_number(va_arg(ap, uint32_t), 10, width);
			break;
		case 'd': {
			int v = va_arg(ap, int);

			if (v < 0) {
				CONSOLE_PUTC('-');
				v = -v;
			}
			put_number((uint32_t)v, 10, width);
			break;
		}
		case 'x':
			put_number(va_arg(ap, uint32_t), 16, width);
			break;
		default:
			CONSOLE_PUTC(*fmt);
			break;
		}
	}
	va_end(ap);
}

static __attribute__((unused)) void debug_exit(uint8_t value)
{
	for (;;) {
		outb(DEBUG_EXIT_PORT, value);
		__asm__ volatile("cli; hlt");
	}
}

static __attribute__((unused)) uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static __attribute__((unused)) int mem_equal(const void *a, const void *b, uint32_t n)
{
	const uint8_t *x = a, *y = b;

	for (uint32_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static __attribute__((unused)) uint8_t byte_sum(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return sum;
}

/* MP 1.4, 4.1: a floating pointer structure in [pa, pa + len), 16-byte aligned. */
static __attribute__((unused)) uint32_t mp_search_range(uint32_t pa, uint32_t len)
{
	for (uint32_t off = 0; off + 16 <= len; off += 16)
		if (mem_equal(P2V(pa + off), "_MP_", 4) && byte_sum(P2V(pa + off), 16) == 0)
			return pa + off;
	return 0;
}

/*
 * The search order of MP 1.4, 4.1: the EBDA's first KiB, else base memory's last KiB,
 * then the BIOS ROM. Written as classic teaching kernels write it, trusting the BIOS
 * data area: a zero base-memory word makes "the last KiB" start at 0 - 1024, which
 * wraps (the bug a zeroed BDA caused under mini-kvm, docs/usage.md).
 */
static __attribute__((unused)) uint32_t mp_search(void)
{
	const uint8_t *bda = P2V(0x400);
	uint32_t ebda = (uint32_t)((bda[0x0f] << 8) | bda[0x0e]) << 4;
	uint32_t base_kib = (uint32_t)((bda[0x14] << 8) | bda[0x13]);
	uint32_t p;

	if (ebda) {
		if ((p = mp_search_range(ebda, 1024)))
			return p;
	} else if ((p = mp_search_range(base_kib * 1024 - 1024, 1024))) {
		return p;
	}
	return mp_search_range(0xf0000, 0x10000);
}

/* What the MP configuration table says. */
struct mp_info {
	unsigned int ncpus;
	uint8_t apic_ids[MAX_CPUS];
	uint8_t bsp_id;
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
	uint32_t lapic_addr;
};

/* Parse the configuration table the floating pointer at fp points to (4.2, 4.3). Returns 0 or -1. */
static __attribute__((unused)) int mp_parse(uint32_t fp, struct mp_info *mi)
{
	const uint8_t *f = P2V(fp);
	uint32_t table = *(const uint32_t *)(f + 4);
	const uint8_t *h, *e;
	uint16_t length, count;

	if (!table)
		return -1;
	h = P2V(table);
	length = *(const uint16_t *)(h + 4);
	if (!mem_equal(h, "PCMP", 4) || byte_sum(h, length) != 0)
		return -1;
	count = *(const uint16_t *)(h + 34);
	mi->lapic_addr = *(const uint32_t *)(h + 36);
	mi->ncpus = 0;
	e = h + 44;
	for (uint16_t i = 0; i < count && e < h + length; i++) {
		switch (e[0]) {
		case MP_PROCESSOR:
			if ((e[3] & MP_CPU_ENABLED) && mi->ncpus < MAX_CPUS) {
				if (e[3] & 0x02)
					mi->bsp_id = e[1];
				mi->apic_ids[mi->ncpus++] = e[1];
			}
			e += 20;
			break;
		case MP_IOAPIC:
			mi->ioapic_id = e[1];
			mi->ioapic_addr = *(const uint32_t *)(e + 4);
			e += 8;
			break;
		default:
			e += 8;
			break;
		}
	}
	return mi->ncpus ? 0 : -1;
}

static __attribute__((unused)) volatile uint32_t *lapic_reg(uint32_t reg)
{
	return (volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

static __attribute__((unused)) uint8_t lapic_id(void)
{
	return (uint8_t)(*lapic_reg(LAPIC_ID) >> 24);
}

/* Send an IPI (SDM 3A 10.6.1) and wait until the local APIC has sent it. */
static __attribute__((unused)) void lapic_ipi(uint8_t dest, uint32_t low)
{
	*lapic_reg(LAPIC_ICR_HI) = (uint32_t)dest << 24;
	*lapic_reg(LAPIC_ICR_LO) = low;
	while (*lapic_reg(LAPIC_ICR_LO) & ICR_PENDING)
		pause();
}

static __attribute__((unused)) void spin(unsigned int n)
{
	for (volatile unsigned int i = 0; i < n; i++)
		;
}

/*
 * The universal startup algorithm (MP 1.4, B.4; SDM 3A 9.4.4): INIT, then two STARTUP
 * IPIs whose vector is the 4 KiB page of the real-mode code the AP starts at; before
 * that, the warm-reset vector (0x467) and CMOS shutdown code 0Ah, as MP B.4 says.
 */
static __attribute__((unused)) void start_ap(uint8_t apic_id, uint32_t trampoline_pa)
{
	uint16_t *warm_reset = P2V(0x467);

	outb(CMOS_INDEX, 0x0f);
	outb(CMOS_DATA, 0x0a);
	warm_reset[0] = 0;
	warm_reset[1] = (uint16_t)(trampoline_pa >> 4);
	lapic_ipi(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	spin(1000);
	lapic_ipi(apic_id, ICR_INIT | ICR_LEVEL);
	spin(1000);
	for (int i = 0; i < 2; i++) {
		lapic_ipi(apic_id, ICR_STARTUP | (trampoline_pa >> 12));
		spin(1000);
	}
}

#endif
