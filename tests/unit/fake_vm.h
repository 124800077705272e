/* A VM without KVM for unit tests: struct vm, one vCPU and a struct kvm_run in plain memory. */
#ifndef MINI_KVM_FAKE_VM_H
#define MINI_KVM_FAKE_VM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "vm.h"

/* Where a fake KVM_EXIT_IO keeps its data, as KVM does: the page after struct kvm_run. */
#define FAKE_IO_DATA_OFFSET 4096
#define FAKE_IO_DATA_SIZE   4096
#define FAKE_RUN_SIZE	    (FAKE_IO_DATA_OFFSET + FAKE_IO_DATA_SIZE)

#define FAKE_VM_RAM   (4 * 1024 * 1024) /* room for an HC_PUTS_MAX string */
#define FAKE_VM_NAME  "fake"
#define FAKE_VM_INDEX 1
#define FAKE_OUT_MAX  4096

struct fake_vm {
	struct vm vm;
	struct vcpu vcpu0; /* vm.vcpus points here */
	struct vm_config config;
	struct console console;
	int out[2]; /* pipe: what the guest's console printed */
	char text[FAKE_OUT_MAX + 1];
	struct kvm_run *run; /* FAKE_RUN_SIZE bytes */
};

/*
 * Set up f: 1 MiB of guest RAM, an unprefixed console writing to a pipe, the
 * hypercall device on HC_PORT of the PIO bus, vCPU 0 in protected mode (CR0.PE)
 * with its kvm_run. Returns 0 or -1. cmocka setup/teardown wrappers below.
 */
int fake_vm_init(struct fake_vm *f);
void fake_vm_destroy(struct fake_vm *f);
int fake_vm_setup(void **state);
int fake_vm_teardown(void **state);

static inline struct vcpu *fake_vcpu(struct fake_vm *f)
{
	return &f->vm.vcpus[0];
}

static inline struct kvm_regs *fake_regs(struct fake_vm *f)
{
	return &f->run->s.regs.regs;
}

/* Real mode (CR0.PE clear): hypercalls read 16-bit arguments. */
void fake_vm_real_mode(struct fake_vm *f, bool real);

/* Everything the console wrote since the last call, as a string. */
const char *fake_vm_output(struct fake_vm *f);

/*
 * Make run describe a KVM_EXIT_IO of count elements of size bytes at port;
 * for OUT, data (count * size bytes) is what the guest wrote. Returns the
 * data area, where an IN's result will be.
 */
uint8_t *fake_io(struct fake_vm *f, bool out, uint16_t port, uint8_t size, uint32_t count,
		 const void *data);

/* Make run describe a KVM_EXIT_MMIO of len bytes at addr (data for a write). */
void fake_mmio(struct fake_vm *f, bool write, uint64_t addr, uint32_t len, const void *data);

#endif
