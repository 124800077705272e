/* SPDX-License-Identifier: MIT */
/*
 * tk, a tiny classic 32-bit SMP teaching kernel for the PC, written for mini-kvm's
 * tests in the shape of the OS-course kernels it stands for: booted by its own boot
 * sector or by a Multiboot loader, 4 MiB-page paging at a higher-half address, the MP
 * table for its processors and I/O APIC, the second CPU started with INIT/SIPI, the
 * COM1 console on IRQ 4 (CPU 0) and the CGA text screen with its CRTC cursor, CMOS
 * for the memory size, and a read-only file system on the IDE slave disk whose IRQ 14
 * is routed to the last CPU. It runs to a shell: ls, cat FILE, cpus, mem, halt (which
 * exits through isa-debug-exit, value 0x10: status 0x21).
 */
#include <stdint.h>

#define PHYS_OFFSET 0x80000000u
static void cons_putc(char c);
#define CONSOLE_PUTC cons_putc
#include "../pclib.h"

#define T_IRQ0	       32
#define IRQ_COM1       4
#define IRQ_IDE	       14
#define T_SPURIOUS     255
#define TRAMPOLINE     0x7000
#define AP_STACK_SIZE  8192
#define IOAPIC_REDTBL  0x10
#define CGA_ROWS       25
#define CGA_COLS       80
#define CGA_ATTR       0x0700
#define ATA_SECTOR     512
#define FS_MAGIC       "TKFS"
#define FS_MAX_FILES   15
#define LINE_MAX       64
#define INPUT_SIZE     128

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
};

struct regs {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax, vector, error, eip, cs, eflags;
};

struct fs_entry {
	char name[20];
	uint32_t start, size, reserved;
};

struct fs_super {
	char magic[4];
	uint32_t nfiles;
	struct fs_entry files[FS_MAX_FILES];
};

extern uint32_t trap_stubs[49];
extern const uint8_t ap_trampoline[], ap_trampoline_end[];
extern uint32_t ap_stack;

static const uint64_t gdt[] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull };
static struct gate idt[256];
static struct mp_info mp;
static volatile unsigned int cpus_started;
static volatile int console_lock;
static uint16_t *cga = P2V(0xb8000);
static int cga_pos;
static volatile char input[INPUT_SIZE];
static volatile unsigned int input_r, input_w;
static volatile int ide_done;
static uint8_t *volatile ide_buf;
static int have_disk1;
static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static struct fs_super super;

static void lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		pause();
}

static void unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* --- console: COM1 and the CGA text screen ---------------------------------------- */

static void crtc_set_cursor(int pos)
{
	outb(0x3d4, 14);
	outb(0x3d5, pos >> 8);
	outb(0x3d4, 15);
	outb(0x3d5, pos);
}

static int crtc_cursor(void)
{
	int pos;

	outb(0x3d4, 14);
	pos = inb(0x3d5) << 8;
	outb(0x3d4, 15);
	return pos | inb(0x3d5);
}

static void cga_putc(char c)
{
	if (c == '\n')
		cga_pos += CGA_COLS - cga_pos % CGA_COLS;
	else if (c == '\b') {
		if (cga_pos > 0)
			cga[--cga_pos] = ' ' | CGA_ATTR;
	} else if (c != '\r')
		cga[cga_pos++] = (uint8_t)c | CGA_ATTR;
	if (cga_pos >= CGA_ROWS * CGA_COLS) { /* scroll up a line */
		for (int i = 0; i < (CGA_ROWS - 1) * CGA_COLS; i++)
			cga[i] = cga[i + CGA_COLS];
		for (int i = (CGA_ROWS - 1) * CGA_COLS; i < CGA_ROWS * CGA_COLS; i++)
			cga[i] = ' ' | CGA_ATTR;
		cga_pos -= CGA_COLS;
	}
	crtc_set_cursor(cga_pos);
}

static void cons_putc(char c)
{
	com1_putc(c);
	cga_putc(c);
}

#define printf(...)                         \
	do {                                \
		lock(&console_lock);        \
		kprintf(__VA_ARGS__);       \
		unlock(&console_lock);      \
	} while (0)

static void panic(const char *why)
{
	printf("tk: panic: %s\n", why);
	debug_exit(0x7f);
}

/* --- interrupts: IDT, local APIC, I/O APIC --------------------------------------- */

static void load_tables(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) gd = { sizeof(gdt) - 1, (uint32_t)gdt },
				  id = { sizeof(idt) - 1, (uint32_t)idt };

	__asm__ volatile("lgdt %0\n"
			 "ljmp $0x08, $1f\n"
			 "1: mov $0x10, %%ax\n"
			 "mov %%ax, %%ds\n"
			 "mov %%ax, %%es\n"
			 "mov %%ax, %%ss\n"
			 "lidt %1"
			 :
			 : "m"(gd), "m"(id)
			 : "eax", "memory");
}

static void set_gate(unsigned int vector, uint32_t handler)
{
	idt[vector] = (struct gate){ .off_lo = handler & 0xffff,
				     .sel = 0x08,
				     .type = 0x8e, /* present, DPL 0, 32-bit interrupt gate */
				     .off_hi = handler >> 16 };
}

static void lapic_init(void)
{
	*lapic_reg(LAPIC_SVR) = LAPIC_SVR_ENABLE | T_SPURIOUS;
	*lapic_reg(LAPIC_TPR) = 0;
}

static void lapic_eoi(void)
{
	*lapic_reg(LAPIC_EOI) = 0;
}

static void ioapic_write(uint32_t reg, uint32_t value)
{
	volatile uint32_t *io = (volatile uint32_t *)(uintptr_t)mp.ioapic_addr; /* identity-mapped */

	io[0] = reg;
	io[4] = value;
}

/* Route ISA irq to vector T_IRQ0 + irq on the CPU with APIC ID apic: edge, active high. */
static void ioapic_enable(int irq, uint8_t apic)
{
	ioapic_write(IOAPIC_REDTBL + 2 * irq, T_IRQ0 + irq);
	ioapic_write(IOAPIC_REDTBL + 2 * irq + 1, (uint32_t)apic << 24);
}

/* --- COM1 input on IRQ 4 ---------------------------------------------------------- */

static void uart_intr(void);

static void uart_init(void)
{
	outb(COM1 + 2, 0);	/* FIFO off */
	outb(COM1 + 3, 0x80);	/* DLAB: divisor follows */
	outb(COM1 + 0, 12);	/* 9600 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 4, 0x08);	/* OUT2: the interrupt line reaches the PIC/I/O APIC */
	outb(COM1 + 1, 0x01);	/* receive interrupts */
	if (inb(COM1_LSR) == 0xff)
		panic("no COM1");
	inb(COM1 + 2);
	ioapic_enable(IRQ_COM1, mp.apic_ids[0]);
	uart_intr(); /* input that arrived before the interrupt was on */
}

static void uart_intr(void)
{
	while (inb(COM1_LSR) & LSR_DATA_READY) {
		char c = (char)inb(COM1);

		if (input_w - input_r < INPUT_SIZE)
			input[input_w++ % INPUT_SIZE] = c;
	}
}

static char getc_wait(void)
{
	for (;;) {
		__asm__ volatile("cli");
		if (input_r != input_w) {
			char c = input[input_r++ % INPUT_SIZE];

			__asm__ volatile("sti");
			return c;
		}
		__asm__ volatile("sti; hlt"); /* sti's shadow: the IRQ wakes this hlt */
	}
}

/* --- the IDE slave disk, interrupt-driven ---------------------------------------- */

static int ide_wait(void)
{
	uint8_t s;

	while (((s = inb(0x1f7)) & 0xc0) != 0x40)
		pause();
	return (s & 0x21) ? -1 : 0; /* ERR or DF */
}

static void ide_intr(void)
{
	uint8_t status = inb(0x1f7); /* reading the status clears INTRQ */

	if ((status & 0x08) && ide_buf) {
		uint8_t *dst = ide_buf;

		__asm__ volatile("cld; rep insl"
				 : "+D"(dst), "+c"((uint32_t){ ATA_SECTOR / 4 })
				 : "d"(0x1f0)
				 : "memory");
		ide_done = 1;
	} else {
		ide_done = -1;
	}
}

static void ide_init(void)
{
	uint16_t id[256];

	ide_wait();
	outb(0x1f6, 0xe0 | (1 << 4)); /* select the slave */
	for (int i = 0; i < 1000; i++) {
		if (inb(0x1f7) != 0) {
			have_disk1 = 1;
			break;
		}
	}
	if (!have_disk1)
		return;
	/* IDENTIFY DEVICE on the slave, by polling (nIEN set). */
	outb(0x3f6, 0x02);
	outb(0x1f7, 0xec);
	if (ide_wait() < 0 || !(inb(0x1f7) & 0x08)) {
		have_disk1 = 0;
		return;
	}
	for (int i = 0; i < 256; i++)
		id[i] = inw(0x1f0);
	printf("ide: disk 1: %u sectors\n", id[60] | (uint32_t)id[61] << 16);
	outb(0x1f6, 0xe0); /* back to the master */
	ioapic_enable(IRQ_IDE, mp.apic_ids[mp.ncpus - 1]);
}

/* Read sector lba of the slave into buf; the IRQ arrives on the last CPU. */
static int ide_read(uint32_t lba, void *buf)
{
	if (ide_wait() < 0)
		return -1;
	ide_done = 0;
	ide_buf = buf;
	outb(0x3f6, 0); /* interrupts on */
	outb(0x1f2, 1);
	outb(0x1f3, lba);
	outb(0x1f4, lba >> 8);
	outb(0x1f5, lba >> 16);
	outb(0x1f6, 0xe0 | (1 << 4) | ((lba >> 24) & 0x0f));
	outb(0x1f7, 0x20);
	while (!ide_done)
		__asm__ volatile("sti; pause"); /* one CPU: its own IRQ 14 must get in */
	ide_buf = 0;
	return ide_done == 1 ? 0 : -1;
}

/* --- traps ----------------------------------------------------------------------- */

void trap(struct regs *r)
{
	switch (r->vector) {
	case T_IRQ0 + IRQ_COM1:
		uart_intr();
		lapic_eoi();
		break;
	case T_IRQ0 + IRQ_IDE:
		ide_intr();
		lapic_eoi();
		break;
	case T_SPURIOUS:
		break;
	default:
		printf("tk: trap %u at 0x%x on cpu %u\n", r->vector, r->eip, lapic_id());
		debug_exit(0x7f);
	}
}

/* --- SMP -------------------------------------------------------------------------- */

uint32_t ap_stack;

void mpenter(void)
{
	load_tables();
	lapic_init();
	__atomic_add_fetch(&cpus_started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		__asm__ volatile("sti; hlt");
}

static void start_others(void)
{
	for (uint32_t i = 0; i < (uint32_t)(ap_trampoline_end - ap_trampoline); i++)
		((uint8_t *)P2V(TRAMPOLINE))[i] = ap_trampoline[i];
	for (unsigned int i = 0; i < mp.ncpus; i++) {
		unsigned int before = cpus_started;

		if (mp.apic_ids[i] == lapic_id())
			continue;
		ap_stack = (uint32_t)&ap_stacks[i][AP_STACK_SIZE];
		start_ap(mp.apic_ids[i], TRAMPOLINE);
		while (cpus_started == before)
			pause();
	}
}

/* --- the file system and the shell ----------------------------------------------- */

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static int fs_init(void)
{
	if (!have_disk1 || ide_read(0, &super) < 0)
		return -1;
	if (!mem_equal(super.magic, FS_MAGIC, 4) || super.nfiles > FS_MAX_FILES)
		return -1;
	return 0;
}

static void cmd_cat(const char *name)
{
	static uint8_t sector[ATA_SECTOR];

	for (uint32_t i = 0; i < super.nfiles; i++) {
		const struct fs_entry *f = &super.files[i];

		if (!streq(f->name, name))
			continue;
		for (uint32_t off = 0; off < f->size; off += ATA_SECTOR) {
			if (ide_read(f->start + off / ATA_SECTOR, sector) < 0) {
				printf("cat: read error\n");
				return;
			}
			for (uint32_t j = 0; j < ATA_SECTOR && off + j < f->size; j++)
				printf("%c", sector[j]);
		}
		return;
	}
	printf("cat: %s: no such file\n", name);
}

static void shell(void)
{
	char line[LINE_MAX];

	for (;;) {
		int n = 0;

		printf("$ ");
		for (;;) {
			char c = getc_wait();

			if (c == '\r' || c == '\n') {
				printf("\n");
				break;
			}
			if ((c == '\b' || c == 0x7f) && n > 0) {
				n--;
				printf("\b \b");
			} else if (c >= ' ' && n < LINE_MAX - 1) {
				line[n++] = c;
				printf("%c", c);
			}
		}
		line[n] = 0;
		if (!n)
			continue;
		if (streq(line, "ls")) {
			for (uint32_t i = 0; i < super.nfiles; i++)
				printf("%s %u\n", super.files[i].name, super.files[i].size);
		} else if (starts(line, "cat ")) {
			cmd_cat(line + 4);
		} else if (streq(line, "cpus")) {
			printf("%u cpus running\n", cpus_started);
		} else if (streq(line, "mem")) {
			uint32_t kib = cmos_read(0x17) | (uint32_t)cmos_read(0x18) << 8;
			uint32_t blocks = cmos_read(0x34) | (uint32_t)cmos_read(0x35) << 8;

			printf("%u MiB\n", blocks ? 16 + blocks / 16 : 1 + kib / 1024);
		} else if (streq(line, "halt")) {
			printf("tk: bye\n");
			debug_exit(0x10);
		} else {
			printf("%s: unknown command (ls, cat FILE, cpus, mem, halt)\n", line);
		}
	}
}

void main(void)
{
	uint32_t fp;

	/*
	 * The MP table first, as classic kernels look for it: before any port access and
	 * before the IDT (a fault here is a silent triple fault, as it was with a zeroed
	 * BIOS data area).
	 */
	fp = mp_search();
	for (int i = 0; i < 48; i++)
		set_gate(i, trap_stubs[i]);
	set_gate(T_SPURIOUS, trap_stubs[48]);
	load_tables();
	cga_pos = crtc_cursor();
	outb(0x21, 0xff); /* the 8259s masked: interrupts come through the I/O APIC */
	outb(0xa1, 0xff);
	printf("tk: booting\n");
	if (!fp || mp_parse(fp, &mp) < 0)
		panic("no MP table: expected to run on an SMP PC");
	lapic_init();
	cpus_started = 1;
	uart_init();
	ide_init();
	start_others();
	printf("tk: %u of %u cpus started, I/O APIC %u\n", cpus_started, mp.ncpus, mp.ioapic_id);
	if (fs_init() < 0)
		panic("no file system on the IDE slave disk");
	printf("tk: fs: %u files\n", super.nfiles);
	__asm__ volatile("sti");
	shell();
}
