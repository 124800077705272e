/* SPDX-License-Identifier: MIT */
/* A vCPU without KVM for unit tests: struct kvm_run in plain memory, its own buses, the hypercall port. */
#ifndef MINI_KVM_FAKE_VCPU_H
#define MINI_KVM_FAKE_VCPU_H

#include <linux/kvm.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "console.h"
#include "devices/hypercall_port.h"
#include "memory.h"
#include "vcpu.h"

/* Where a fake KVM_EXIT_IO keeps its data, as KVM does: the page after struct kvm_run. */
#define FAKE_IO_DATA_OFFSET 4096
#define FAKE_IO_DATA_SIZE   4096
#define FAKE_RUN_SIZE	    (FAKE_IO_DATA_OFFSET + FAKE_IO_DATA_SIZE)

#define FAKE_RAM     (4 * 1024 * 1024) /* room for an HC_PUTS_MAX string */
#define FAKE_NAME    "fake"
#define FAKE_INDEX   1
#define FAKE_OUT_MAX 4096
#define FAKE_NO_EXIT (-1) /* exit_status before any HC_EXIT */

/*
 * What an exit reaches in a VM, and nothing of the VM: two buses, a stopping flag,
 * and on the PIO bus the hypercall port (with 4 MiB of RAM and a console that
 * writes to a pipe). Its one capability, HC_EXIT, sets stopping and records the
 * status, as vm.c's does.
 */
struct fake_vcpu {
	struct vcpu vcpu;
	struct kvm_run *run; /* FAKE_RUN_SIZE bytes */
	struct bus pio, mmio;
	atomic_bool stopping;
	struct guest_memory mem;
	struct console console;
	int out[2]; /* pipe: what the guest's console printed */
	char text[FAKE_OUT_MAX + 1];
	struct hypercall_dev hypercall;
	int64_t exit_status; /* HC_EXIT's status, or FAKE_NO_EXIT */
};

/*
 * Set up f: the buses (the hypercall port on HC_PORT), RAM, an unprefixed console
 * writing to a pipe, vCPU 0 in protected mode (CR0.PE) with its kvm_run. Returns 0
 * or -1. cmocka setup/teardown wrappers below.
 */
int fake_vcpu_init(struct fake_vcpu *f);
void fake_vcpu_destroy(struct fake_vcpu *f);
int fake_vcpu_setup(void **state);
int fake_vcpu_teardown(void **state);

static inline struct kvm_regs *fake_regs(struct fake_vcpu *f)
{
	return &f->run->s.regs.regs;
}

/* Real mode (CR0.PE clear): hypercalls read 16-bit arguments. */
void fake_real_mode(struct fake_vcpu *f, bool real);

/* Everything the console wrote since the last call, as a string. */
const char *fake_output(struct fake_vcpu *f);

/*
 * Make run describe a KVM_EXIT_IO of count elements of size bytes at port;
 * for OUT, data (count * size bytes) is what the guest wrote. Returns the
 * data area, where an IN's result will be.
 */
uint8_t *fake_io(struct fake_vcpu *f, bool out, uint16_t port, uint8_t size, uint32_t count,
		 const void *data);

/* Make run describe a KVM_EXIT_MMIO of len bytes at addr (data for a write). */
void fake_mmio(struct fake_vcpu *f, bool write, uint64_t addr, uint32_t len, const void *data);

/* Whether the last exit asked KVM to take the synced registers back (a hypercall result). */
static inline bool fake_regs_dirty(struct fake_vcpu *f)
{
	return f->run->kvm_dirty_regs & KVM_SYNC_X86_REGS;
}

#endif
