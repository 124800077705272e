/* SPDX-License-Identifier: MIT */
/* A vCPU: its KVM fd and kvm_run page, the KVM_RUN loop and the VM-exit dispatch. */
#ifndef MINI_KVM_VCPU_H
#define MINI_KVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/x86/x86.h"
#include "bus.h"
#include "memory.h"
#include "stats.h"

struct exit_log;
struct kvm_host;
struct vcpu;
struct trace;

/*
 * What a vCPU reports after an exit; the VM decides what it means for the guest
 * (vm.c: a bare guest's triple fault is a death, a Linux guest's a reset).
 */
enum vcpu_outcome {
	VCPU_CONTINUE,	/* handled: run the guest again */
	VCPU_STOPPED,	/* the VM is stopping (a device or another thread ended it) */
	VCPU_HALTED,	/* HLT, and no in-kernel irqchip to wake the vCPU */
	VCPU_SHUTDOWN,	/* a triple fault (KVM_EXIT_SHUTDOWN) */
	VCPU_FAILED,	/* VM entry failed, KVM internal error, unknown exit: see message */
	VCPU_IO_ERROR,	/* a device's VMM-side failure (stdout closed ...): see message */
	VCPU_KVM_ERROR, /* KVM_RUN itself failed: see message */
	VCPU_PAUSED,	/* the VM asked it to pause (env.pausing): KVM_RUN left with EINTR */
};

/* One VM exit, kept for the register dump of a dying vCPU. */
struct exit_record {
	uint32_t reason; /* KVM_EXIT_* */
	uint64_t rip;
	uint64_t addr;	/* port or MMIO address */
	uint32_t size;	/* access size in bytes */
	uint32_t count; /* string I/O elements */
	bool write;
	uint64_t data; /* first element's value (up to 8 bytes) */
};

/* How many exits a dump shows: enough to see the path into a triple fault. */
#define VCPU_EXIT_RING	 16
#define VCPU_MESSAGE_MAX 512

/*
 * A debugger's hold on the run loop (gdb_target.c gives one when --gdb is on):
 * the loop reports, the debugger decides. Every callback runs on the vCPU's own
 * thread. With none (NULL in struct vcpu_env) the loop costs one pointer test.
 */
struct vcpu_debug {
	/*
	 * Before every KVM_RUN: may park the thread while the debugger holds the vCPU,
	 * and applies its debug state (KVM_SET_GUEST_DEBUG). Returns VCPU_CONTINUE to
	 * run, VCPU_STOPPED to leave the loop (the VM is ending), or another outcome,
	 * with vcpu->message set, to end it (an ioctl failed).
	 */
	enum vcpu_outcome (*enter)(void *opaque, struct vcpu *vcpu);
	/*
	 * A KVM_EXIT_DEBUG (a breakpoint, watchpoint, single step, the guest's int3
	 * under KVM_GUESTDBG_USE_SW_BP): kvm_run->debug.arch says which. Returns
	 * VCPU_CONTINUE (the debugger took it: the vCPU parks at the next enter), or
	 * another outcome, with vcpu->message set, to end the loop.
	 */
	enum vcpu_outcome (*debug_exit)(void *opaque, struct vcpu *vcpu);
	/*
	 * The loop is about to end with outcome o (a death, a halt...): the debugger
	 * may hold the vCPU to show its state first (a triple fault as SIGSEGV).
	 * Returns the outcome to end with (o), or VCPU_CONTINUE when the debugger
	 * made the vCPU runnable again (an int3 this host's KVM failed to emulate,
	 * stepped over). May be NULL.
	 */
	enum vcpu_outcome (*ending)(void *opaque, struct vcpu *vcpu, enum vcpu_outcome o);
	void *opaque;
};

/*
 * What a vCPU's exits reach, lent by its VM before the first run: the buses, and
 * the VM's stopping flag (the run loop leaves when it is set; a string I/O stops
 * at the element that set it). Nothing else of the VM.
 */
struct vcpu_env {
	const struct bus *pio;
	const struct bus *mmio;
	const atomic_bool *stopping;
	const struct vcpu_debug *debug; /* a debugger's hooks, or NULL (no --gdb) */
	const struct trace *trace;	/* --trace: a line per exit (trace.h); NULL: no trace */
	bool halt_watch; /* end the VM when the vCPU halts with nothing to wake it (vcpu_idle.h) */
	/*
	 * Set by the VM to pause its vCPUs (snapshots); NULL: never. A vCPU kicked out of
	 * KVM_RUN while it is set returns VCPU_PAUSED at a point where KVM has finished the
	 * last exit's I/O (the KVM_RUN that returned EINTR completed it): its state is whole.
	 */
	const atomic_bool *pausing;
};

struct vcpu {
	unsigned int index;  /* 0-based, also its APIC ID */
	int fd;		     /* from KVM_CREATE_VCPU, -1 when closed */
	struct kvm_run *run; /* shared with KVM: exit info and synced registers */
	size_t run_size;
	struct vcpu_env env;
	pthread_t thread;
	atomic_bool thread_started; /* set once its thread runs: it may be kicked */
	struct exit_record ring[VCPU_EXIT_RING];
	uint64_t nexits; /* exits so far; ring[nexits % VCPU_EXIT_RING] is next */
	struct vcpu_stats stats;
	char message[VCPU_MESSAGE_MAX]; /* why, for VCPU_FAILED, VCPU_IO_ERROR, VCPU_KVM_ERROR */
	struct exit_log *exit_log;	/* --trace-json: every exit, or NULL (trace_json.h) */
	atomic_bool idle_check;		/* the VM asks the vCPU to look at its halt state */
	uint64_t idle_seen_exits;	/* nexits when the VM last looked (VM thread only) */
};

/* The signal that kicks a vCPU thread out of KVM_RUN (with run->immediate_exit). */
#define VCPU_KICK_SIGNAL SIGUSR1

/*
 * Create vCPU index (0-based; its APIC ID) of the VM vm_fd, one of ncpus: KVM_CREATE_VCPU,
 * map its kvm_run, set its CPUID from host, ask KVM to sync general and segment
 * registers into kvm_run on every exit. env: what its exits reach (copied).
 * Returns 0 or -errno with a message.
 */
int vcpu_create(struct vcpu *vcpu, int vm_fd, const struct kvm_host *host, unsigned int index,
		unsigned int ncpus, const struct vcpu_env *env);
void vcpu_destroy(struct vcpu *vcpu);

/* KVM_GET_SREGS / KVM_SET_SREGS / KVM_SET_REGS, for boot setup. Return 0 or -errno. */
int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
int vcpu_set_state(struct vcpu *vcpu, const struct kvm_sregs *sregs, const struct kvm_regs *regs);

/*
 * Run the vCPU until an exit's outcome is not VCPU_CONTINUE, or the VM is
 * stopping: env.debug's enter (if any), KVM_RUN (retried on EINTR), then
 * vcpu_handle_exit(). Returns that outcome (VCPU_STOPPED when the stop came from
 * elsewhere; VCPU_PAUSED when a kick found env.pausing set: call again to go on),
 * after telling env.debug's ending.
 */
enum vcpu_outcome vcpu_run(struct vcpu *vcpu);

/*
 * Handle the exit described in vcpu->run: PIO and MMIO go to the buses (the
 * register-argument port gets the vCPU's synced registers, bus.h); DEBUG goes to
 * env.debug's debug_exit (with no debugger it is a failure); HLT, SHUTDOWN,
 * FAIL_ENTRY and INTERNAL_ERROR become outcomes, with vcpu->message saying why.
 * Touches only vcpu->run, the buses, the vCPU's ring and stats, so unit tests feed
 * it fake exits. Returns VCPU_STOPPED if the VM is stopping once the exit is
 * handled (HC_EXIT, a reset through a port).
 */
enum vcpu_outcome vcpu_handle_exit(struct vcpu *vcpu);

/* Kick the vCPU out of KVM_RUN soon (immediate_exit plus a signal). Thread-safe. */
void vcpu_kick(struct vcpu *vcpu);

/*
 * Write a register dump of the (stopped) vCPU to out: GPRs, RIP, RFLAGS, control
 * registers, EFER, segments, descriptor tables, the bytes at RIP (read from mem),
 * pending and injected events, and the last VCPU_EXIT_RING exits.
 */
void vcpu_dump(const struct vcpu *vcpu, const struct guest_memory *mem, FILE *out);

/*
 * Copy len bytes of the instruction stream at the vCPU's RIP (regs, sregs: its
 * state) from mem into buf, translating through its page tables (KVM_TRANSLATE)
 * when paging is on. *linear and *gpa say where they came from. Returns 0, -EFAULT
 * if the linear address is not mapped, -ENXIO if the bytes are not all guest RAM.
 */
int vcpu_read_code(const struct vcpu *vcpu, const struct kvm_regs *regs,
		   const struct kvm_sregs *sregs, const struct guest_memory *mem, uint8_t *buf,
		   size_t len, uint64_t *linear, uint64_t *gpa);

/* The registers KVM synced into kvm_run at the last exit (valid during exit handling). */
static inline struct kvm_regs *vcpu_regs(struct vcpu *vcpu)
{
	return &vcpu->run->s.regs.regs;
}

static inline const struct kvm_sregs *vcpu_sregs(const struct vcpu *vcpu)
{
	return &vcpu->run->s.regs.sregs;
}

/* True while the vCPU executes in real mode (CR0.PE clear): 16-bit registers. */
static inline bool vcpu_in_real_mode(const struct vcpu *vcpu)
{
	return !(vcpu_sregs(vcpu)->cr0 & X86_CR0_PE);
}

#endif
