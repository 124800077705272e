/* SPDX-License-Identifier: MIT */
/* Processes: embedded program images, per-process address spaces, round-robin scheduling. */
#include <mini-kvm/hypercall.h>

#include "abi.h"
#include "tty.h"
#include "descriptors.h"
#include "memlayout.h"
#include "page.h"
#include "proc.h"
#include "programs.h"
#include "segments.h"
#include "str.h"
#include "trap.h"
#include "pagetable.h"
#include "privileged.h"

enum proc_state {
	PROC_UNUSED,
	PROC_RUNNABLE,
	PROC_BLOCKED_INPUT, /* in proc_getchar() */
	PROC_BLOCKED_WAIT,  /* in proc_wait() */
	PROC_ZOMBIE,	    /* exited, its status not yet collected by its parent */
};

/* Padded to one width: the formatter has no %-8s. */
static const char *const state_names[] = {
	[PROC_UNUSED] = "unused  ",	   [PROC_RUNNABLE] = "runnable",
	[PROC_BLOCKED_INPUT] = "input   ", [PROC_BLOCKED_WAIT] = "wait    ",
	[PROC_ZOMBIE] = "zombie  ",
};

struct proc {
	int pid;
	enum proc_state state;
	char name[PROC_NAME_MAX];
	uint64_t pml4;	     /* physical; 0 for the idle loop (kernel tables) */
	uint64_t kernel_rsp; /* saved by context_switch() while it does not run */
	int parent;	     /* pid, 0 when nobody waits for it */
	int wait_for;	     /* pid, while PROC_BLOCKED_WAIT */
	int exit_status;     /* while PROC_ZOMBIE */
};

/* What context_switch() pops for a process that never ran: r15 r14 r13 r12 rbx rbp, return. */
#define SWITCH_FRAME_WORDS 7

static struct proc procs[PROC_MAX];
/* Static kernel stacks: a zombie's stack can be reused only after the switch away from it. */
static uint8_t kstacks[PROC_MAX][KSTACK_SIZE] __attribute__((aligned(16)));
static struct proc *current;
static int next_pid = PROC_INIT_PID;

extern const struct program program_table[];

const struct program *program_find(const char *name)
{
	for (const struct program *p = program_table; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return 0;
}

static uint64_t kstack_top(const struct proc *p)
{
	return (uint64_t)(uintptr_t)(kstacks[p - procs] + KSTACK_SIZE);
}

static struct proc *proc_find(int pid)
{
	for (int i = 1; i < PROC_MAX; i++)
		if (procs[i].state != PROC_UNUSED && procs[i].pid == pid)
			return &procs[i];
	return 0;
}

void proc_init(void)
{
	current = &procs[0];
	current->state = PROC_RUNNABLE;
	str_copy(current->name, "idle", PROC_NAME_MAX);
}

/* Map len bytes of src (or zeroes, src NULL) at va.. in pml4, in fresh user pages. */
static int map_copy(uint64_t pml4, uint64_t va, const uint8_t *src, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t pa = page_alloc(), n = len - off < PAGE_SIZE ? len - off : PAGE_SIZE;

		if (!pa)
			return OS_ENOMEM;
		if (src)
			page_copy(phys_to_virt(pa), src + off, n);
		if (vm_map(pml4, va + off, pa, PTE_U | PTE_W)) {
			page_free(pa);
			return OS_ENOMEM;
		}
	}
	return 0;
}

int proc_spawn(const char *name, int parent_pid)
{
	const struct program *prog = program_find(name);
	struct proc *p = 0;
	struct trap_frame *f;
	uint64_t size, *sw;
	int ret;

	if (!prog)
		return OS_ENOENT;
	size = (uint64_t)(prog->end - prog->start);
	if (size > USER_IMAGE_MAX)
		return OS_EFBIG;
	for (int i = 1; i < PROC_MAX && !p; i++)
		if (procs[i].state == PROC_UNUSED)
			p = &procs[i];
	if (!p)
		return OS_EAGAIN;
	p->pml4 = vm_create();
	if (!p->pml4)
		return OS_ENOMEM;
	ret = map_copy(p->pml4, USER_BASE, prog->start, size);
	if (!ret)
		ret = map_copy(p->pml4, USER_STACK_TOP - USER_STACK_SIZE, 0, USER_STACK_SIZE);
	if (ret) {
		vm_destroy(p->pml4);
		return ret;
	}

	/* The frame trap_return pops: "return" to the program's first instruction in ring 3. */
	f = (struct trap_frame *)(uintptr_t)(kstack_top(p) - sizeof(*f));
	*f = (struct trap_frame){ .rip = USER_BASE,
				  .cs = USER_CS,
				  .rflags = RFLAGS_RESERVED | RFLAGS_IF,
				  .rsp = USER_STACK_TOP,
				  .ss = USER_DS };
	sw = (uint64_t *)f - SWITCH_FRAME_WORDS;
	for (int i = 0; i < SWITCH_FRAME_WORDS - 1; i++)
		sw[i] = 0;
	sw[SWITCH_FRAME_WORDS - 1] = (uint64_t)(uintptr_t)trap_return;
	p->kernel_rsp = (uint64_t)(uintptr_t)sw;

	p->pid = next_pid++;
	str_copy(p->name, name, PROC_NAME_MAX);
	p->parent = parent_pid;
	p->state = PROC_RUNNABLE;
	return p->pid;
}

static void switch_to(struct proc *next)
{
	struct proc *prev = current;

	current = next;
	if (next != &procs[0]) {
		gdt_set_kernel_stack(kstack_top(next));
		syscall_kernel_rsp = kstack_top(next);
	}
	write_cr3(next->pml4 ? next->pml4 : vm_kernel_pml4());
	context_switch(&prev->kernel_rsp, next->kernel_rsp);
}

void sched_yield(void)
{
	int start = (int)(current - procs);

	for (int i = 1; i <= PROC_MAX; i++) {
		struct proc *p = &procs[(start + i) % PROC_MAX];

		if (p != &procs[0] && p->state == PROC_RUNNABLE) {
			if (p != current)
				switch_to(p);
			return;
		}
	}
	if (current != &procs[0])
		switch_to(&procs[0]); /* nothing runnable: the idle loop */
}

void proc_exit(int status)
{
	struct proc *p = current, *parent;

	write_cr3(vm_kernel_pml4()); /* off the tables we free */
	vm_destroy(p->pml4);
	p->pml4 = 0;
	if (p->pid == PROC_INIT_PID) {
		kprintf("kernel: the shell exited (status %d), stopping the VM\n", status);
		hc_exit(status);
	}
	for (int i = 1; i < PROC_MAX; i++) {
		if (procs[i].state == PROC_UNUSED || procs[i].parent != p->pid)
			continue;
		if (procs[i].state == PROC_ZOMBIE)
			procs[i].state = PROC_UNUSED; /* nobody is left to collect it */
		procs[i].parent = 0;
	}
	parent = p->parent ? proc_find(p->parent) : 0;
	if (parent) {
		p->exit_status = status;
		p->state = PROC_ZOMBIE;
		if (parent->state == PROC_BLOCKED_WAIT && parent->wait_for == p->pid)
			parent->state = PROC_RUNNABLE;
	} else {
		p->state = PROC_UNUSED;
	}
	sched_yield();
	panic("process %d ran after its exit", p->pid);
}

int proc_wait(int pid)
{
	struct proc *child = proc_find(pid);
	int status;

	if (!child || child->parent != current->pid)
		return OS_ECHILD;
	while (child->state != PROC_ZOMBIE) {
		current->state = PROC_BLOCKED_WAIT;
		current->wait_for = pid;
		sched_yield();
	}
	status = child->exit_status;
	child->state = PROC_UNUSED;
	return status;
}

int proc_getchar(void)
{
	int c;

	while ((c = console_getc()) < 0) {
		current->state = PROC_BLOCKED_INPUT;
		sched_yield();
	}
	return c;
}

void proc_wake_input(void)
{
	for (int i = 1; i < PROC_MAX; i++)
		if (procs[i].state == PROC_BLOCKED_INPUT)
			procs[i].state = PROC_RUNNABLE;
}

int proc_pid(void)
{
	return current->pid;
}

const char *proc_name(void)
{
	return current->name;
}

uint64_t proc_pml4(void)
{
	return current->pml4;
}

size_t proc_list(char *buf, size_t cap)
{
	size_t len = 0;

	for (int i = 1; i < PROC_MAX; i++) {
		const struct proc *p = &procs[i];

		if (p->state == PROC_UNUSED)
			continue;
		len += str_printf(buf + len, cap - len, "%5d %s %s%s\n", p->pid,
				  state_names[p->state], p->name, p == current ? " (running)" : "");
	}
	return len;
}

void proc_idle(int have_timer)
{
	for (;;) {
		sched_yield(); /* back here when nothing is runnable */
		if (have_timer) {
			sti_hlt();	     /* the timer or the UART's IRQ 4 wakes us */
		} else if (console_poll()) { /* no interrupts: look at the UART ourselves */
			proc_wake_input();
		}
	}
}
