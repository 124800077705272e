/* A vCPU: its KVM fd and kvm_run page, the KVM_RUN loop and the VM-exit dispatch. */
#ifndef MINI_KVM_VCPU_H
#define MINI_KVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memory.h"
#include "stats.h"
#include "x86.h"

struct vm;

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
#define VCPU_EXIT_RING 16

struct vcpu {
	struct vm *vm;
	unsigned int index;  /* 0-based, also its APIC ID */
	int fd;		     /* from KVM_CREATE_VCPU, -1 when closed */
	struct kvm_run *run; /* shared with KVM: exit info and synced registers */
	size_t run_size;
	pthread_t thread;
	atomic_bool thread_started; /* set once its thread runs: it may be kicked */
	struct exit_record ring[VCPU_EXIT_RING];
	uint64_t nexits; /* exits so far; ring[nexits % VCPU_EXIT_RING] is next */
	struct vcpu_stats stats;
};

/* The signal that kicks a vCPU thread out of KVM_RUN (with run->immediate_exit). */
#define VCPU_KICK_SIGNAL SIGUSR1

/*
 * Create vCPU index of vm: KVM_CREATE_VCPU, map its kvm_run, set its CPUID, ask
 * KVM to sync general and segment registers into kvm_run on every exit.
 * Returns 0 or -errno with a message.
 */
int vcpu_create(struct vcpu *vcpu, struct vm *vm, unsigned int index);
void vcpu_destroy(struct vcpu *vcpu);

/* KVM_GET_SREGS / KVM_SET_SREGS / KVM_SET_REGS, for boot setup. Return 0 or -errno. */
int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
int vcpu_set_state(struct vcpu *vcpu, const struct kvm_sregs *sregs, const struct kvm_regs *regs);

/*
 * Run the vCPU until its VM stops: KVM_RUN (retried on EINTR), then
 * vcpu_handle_exit(). A KVM failure stops the VM with VM_END_ERROR.
 */
void vcpu_run(struct vcpu *vcpu);

/*
 * Handle the exit described in vcpu->run: dispatch PIO/MMIO to the VM's buses,
 * end the VM on HLT, SHUTDOWN, FAIL_ENTRY and INTERNAL_ERROR (via vm_stop()).
 * Touches only vcpu->run, the VM's buses, vm_stop() and the vCPU's ring and
 * stats, so unit tests can feed it fake exits. Returns 0 to keep running, 1
 * when the VM is stopping.
 */
int vcpu_handle_exit(struct vcpu *vcpu);

/* Kick the vCPU out of KVM_RUN soon (immediate_exit plus a signal). Thread-safe. */
void vcpu_kick(struct vcpu *vcpu);

/*
 * Write a register dump of the (stopped) vCPU to out: GPRs, RIP, RFLAGS, control
 * registers, EFER, segments, descriptor tables, the bytes at RIP, pending and
 * injected events, and the last VCPU_EXIT_RING exits.
 */
void vcpu_dump(struct vcpu *vcpu, FILE *out);

/*
 * Copy len bytes of the instruction stream at the vCPU's RIP (regs, sregs: its
 * state) from mem into buf, translating through its page tables (KVM_TRANSLATE)
 * when paging is on. *linear and *gpa say where they came from. Returns 0, -EFAULT
 * if the linear address is not mapped, -ENXIO if the bytes are not all guest RAM.
 */
int vcpu_read_code(const struct vcpu *vcpu, const struct kvm_regs *regs, const struct kvm_sregs *sregs,
		   const struct guest_memory *mem, uint8_t *buf, size_t len, uint64_t *linear,
		   uint64_t *gpa);

/* The registers KVM synced into kvm_run at the last exit (valid during exit handling). */
static inline struct kvm_regs *vcpu_regs(struct vcpu *vcpu)
{
	return &vcpu->run->s.regs.regs;
}

static inline const struct kvm_sregs *vcpu_sregs(const struct vcpu *vcpu)
{
	return &vcpu->run->s.regs.sregs;
}

/* Write vcpu_regs() back to the vCPU on the next KVM_RUN (no ioctl needed). */
static inline void vcpu_regs_changed(struct vcpu *vcpu)
{
	vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/* True while the vCPU executes in real mode (CR0.PE clear): 16-bit registers. */
static inline bool vcpu_in_real_mode(const struct vcpu *vcpu)
{
	return !(vcpu_sregs(vcpu)->cr0 & X86_CR0_PE);
}

#endif
