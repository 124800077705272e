/* SPDX-License-Identifier: MIT */
/* The IDT (SDM 3A, 6.14), and what happens on every exception, IRQ and system call. */
#include "abi.h"
#include "tty.h"
#include "pic.h"
#include "proc.h"
#include "segments.h"
#include "syscall.h"
#include "trap.h"
#include "privileged.h"

#define GATE_INTERRUPT	0x8e /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */
#define VECTOR_DF	8
#define VECTOR_PF	14
#define CANONICAL_SHIFT 16
/* CF PF AF ZF SF DF OF: what a process may set in RFLAGS (not IOPL, not TF). */
#define RFLAGS_USER_MASK 0xcd5u

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

struct idtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* SDM 3A, 6.15, table 6-1. */
static const char *const exception_names[EXCEPTION_COUNT] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"BOUND range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection",
	"page fault",
	"reserved 15",
	"x87 FPU error",
	"alignment check",
	"machine check",
	"SIMD exception",
	"virtualization",
	"control protection",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"hypervisor injection",
	"VMM communication",
	"security",
	"reserved 31",
};

static struct idt_gate idt[TRAP_VECTORS];
static volatile uint64_t ticks;
static int syscall_fault_noted;

void trap_init(void)
{
	struct idtr idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	for (unsigned int v = 0; v < TRAP_VECTORS; v++) {
		uint64_t handler = trap_stubs[v];

		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)handler,
			.selector = KERNEL_CS,
			.ist = v == VECTOR_DF ? IST_DOUBLE_FAULT : 0,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(handler >> 16),
			.offset_high = (uint32_t)(handler >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

uint64_t trap_ticks(void)
{
	return ticks;
}

/* An address iretq accepts: bits 63:47 all equal (48-bit virtual addresses). */
static int canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << CANONICAL_SHIFT) >> CANONICAL_SHIFT) == va;
}

static int from_user(const struct trap_frame *f)
{
	return (f->cs & RPL_USER) == RPL_USER;
}

/*
 * kvm_pvm (this project's host KVM) runs `syscall` to LSTAR without leaving ring 3;
 * fetching the supervisor-only kernel code there faults, with RCX and R11 as the
 * syscall left them. Finish the system call from here, as if it had arrived.
 */
static void syscall_through_fault(struct trap_frame *f)
{
	if (!syscall_fault_noted) {
		syscall_fault_noted = 1;
		kprintf("kernel: syscall stays in ring 3 on this CPU (kvm_pvm?): "
			"taking system calls through the page fault that follows\n");
	}
	f->rip = f->rcx;
	/* User-chosen (a program can jump here itself): arithmetic flags only, IF on. */
	f->rflags = (f->r11 & RFLAGS_USER_MASK) | RFLAGS_IF | RFLAGS_RESERVED;
	f->cs = USER_CS;
	f->ss = USER_DS;
	syscall_dispatch(f);
}

static void exception(struct trap_frame *f)
{
	kprintf("\nexception %llu (%s), error code 0x%llx, RIP 0x%llx",
		(unsigned long long)f->vector, exception_names[f->vector],
		(unsigned long long)f->error, (unsigned long long)f->rip);
	if (f->vector == VECTOR_PF)
		kprintf(", CR2 0x%llx", (unsigned long long)read_cr2());
	if (from_user(f)) {
		kprintf(": process %d (%s) killed\n", proc_pid(), proc_name());
		proc_exit(OS_STATUS_KILLED);
	}
	kprintf("\n");
	panic("exception in the kernel (RSP 0x%llx)", (unsigned long long)f->rsp);
}

static void irq(struct trap_frame *f)
{
	unsigned int line = (unsigned int)f->vector - IRQ_BASE;

	if (pic_spurious(line))
		return;
	pic_eoi(line); /* first: sched_yield() may not come back here for a while */
	if (line == IRQ_TIMER) {
		ticks++;
		if (from_user(f))
			sched_yield(); /* preemption; the kernel itself is never preempted */
	} else if (line == IRQ_SERIAL) {
		if (console_poll())
			proc_wake_input();
	}
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == SYSCALL_VECTOR)
		syscall_dispatch(f);
	else if (f->vector >= IRQ_BASE)
		irq(f);
	else if (f->vector == VECTOR_PF && from_user(f) && f->rip == (uintptr_t)syscall_entry &&
		 canonical(f->rcx)) /* else iretq would fault in the kernel: kill instead */
		syscall_through_fault(f);
	else
		exception(f);
}
