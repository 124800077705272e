/* SPDX-License-Identifier: MIT */
/* The teaching OS kernel's entry: bring up each part in order, test, start the shell. */
#include <mini-kvm/hypercall.h>

#include "abi.h"
#include "tty.h"
#include "fs.h"
#include "descriptors.h"
#include "memlayout.h"
#include "page.h"
#include "pic.h"
#include "proc.h"
#include "syscall.h"
#include "trap.h"
#include "pagetable.h"
#include "privileged.h"

/* How long to wait for the first timer tick before going on without one (host time). */
#define TIMER_PROBE_NS 200000000ull /* 200 ms: ~20 ticks */
/* Address spaces the boot self-test builds and frees. */
#define SELFTEST_SPACES 8
#define SELFTEST_VA	USER_BASE

extern char __kernel_end[]; /* kernel.ld.S: end of the image and its .bss */

void kmain(void);

/* Build and free a few address spaces: every page must come back. */
static void selftest(void)
{
	uint64_t before = page_free_count();

	for (int i = 0; i < SELFTEST_SPACES; i++) {
		uint64_t pml4 = vm_create(), pa = page_alloc();

		if (!pml4 || !pa || vm_map(pml4, SELFTEST_VA, pa, PTE_U | PTE_W))
			panic("selftest: out of memory");
		if (!vm_user_range_ok(pml4, SELFTEST_VA, PAGE_SIZE, 1) ||
		    vm_user_range_ok(pml4, SELFTEST_VA + PAGE_SIZE, 1, 0))
			panic("selftest: vm_user_range_ok is wrong");
		vm_destroy(pml4);
	}
	if (page_free_count() != before)
		panic("selftest: %llu pages leaked",
		      (unsigned long long)(before - page_free_count()));
	kprintf("kernel: selftest ok (%llu pages free)\n", (unsigned long long)before);
}

/*
 * Start the PIT and wait for its first interrupt. Without an in-kernel irqchip
 * (mini-kvm run without --irqchip) none comes: there is no preemption then, and
 * the idle loop polls the UART instead of waiting in hlt (a hlt with interrupts
 * that never come would end the VM).
 */
static int timer_start(void)
{
	uint64_t deadline;

	pic_init();
	pit_init(OS_TICK_HZ);
	pic_unmask(IRQ_TIMER);
	pic_unmask(IRQ_SERIAL);
	/*
	 * Interrupts on for the whole wait, not for one instruction at a time: under an
	 * emulating KVM (kvm_pvm) an interrupt is injected at VM entry, here after the
	 * HC_CLOCK exit, so IF must be set then. Nothing else runs yet.
	 */
	deadline = hc_clock() + TIMER_PROBE_NS;
	__asm__ volatile("sti" : : : "memory");
	while (!trap_ticks() && hc_clock() < deadline)
		cpu_relax();
	__asm__ volatile("cli" : : : "memory");
	if (!trap_ticks()) {
		kprintf("kernel: no timer interrupt (run with --irqchip): no preemption\n");
		return 0;
	}
	kprintf("kernel: timer at %u Hz\n", OS_TICK_HZ);
	return 1;
}

/*
 * Refuse to run in less RAM than the kernel manages: page_init() would thread its
 * free list through memory that is not there (writes to nothing, reads of all
 * ones). HC_MEMSIZE says how much there is; a mini-kvm older than ABI 3 cannot say.
 */
static void check_ram(void)
{
	uint64_t ram;

	if (hc_abi_version() < OS_ABI_MEMSIZE)
		return;
	ram = hc_memsize();
	if (ram >= OS_RAM_END)
		return;
	kprintf("kernel: %llu KiB of RAM, but the kernel needs %llu MiB: run it with -m %llu "
		"or more\n",
		(unsigned long long)(ram >> 10), (unsigned long long)(OS_RAM_END >> 20),
		(unsigned long long)(OS_RAM_END >> 20));
	hc_exit(OS_EXIT_TOO_LITTLE_RAM);
}

void kmain(void)
{
	int have_timer, pid;

	console_init();
	kprintf("\nmini-kvm teaching OS\n");
	check_ram();
	gdt_init();
	trap_init();
	page_init(virt_to_phys(__kernel_end), OS_RAM_END);
	vm_init();
	syscall_init();
	proc_init();
	selftest();
	fs_init();
	have_timer = timer_start();
	pid = proc_spawn("shell", 0);
	if (pid != PROC_INIT_PID)
		panic("cannot start the shell: error %d", pid);
	proc_idle(have_timer);
}
