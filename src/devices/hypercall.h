/* The hypercall device on HC_PORT: the guest<->host ABI of include/mini-kvm/hypercall.h. */
#ifndef MINI_KVM_DEV_HYPERCALL_H
#define MINI_KVM_DEV_HYPERCALL_H

#include <stdint.h>

struct blk_dev;
struct console;
struct guest_memory;
struct vcpu;

struct hypercall_dev {
	const struct guest_memory *mem; /* for HC_PUTS pointers */
	struct console *console;	/* output and input */
	const struct blk_dev *disk;	/* HC_BLK_*: the --disk file, or NULL */
};

/*
 * Bus handler for an OUT to HC_PORT: performs the function in AL with the
 * arguments in the vCPU's synced registers and writes results back into them
 * (no ioctl). HC_EXIT stops the VM. Returns 0, or -errno if console output failed.
 */
int hypercall_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size,
			struct vcpu *vcpu);

/* Bus handler for an IN from HC_PORT: reads HC_ABI_VERSION. */
int hypercall_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size, struct vcpu *vcpu);

#endif
