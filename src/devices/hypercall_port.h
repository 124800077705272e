/* SPDX-License-Identifier: MIT */
/* The hypercall device on HC_PORT: the guest<->host ABI of include/mini-kvm/hypercall.h. */
#ifndef MINI_KVM_HYPERCALL_PORT_H
#define MINI_KVM_HYPERCALL_PORT_H

#include <stdint.h>

#include "bus.h"

struct blk_dev;
struct console;
struct guest_memory;

/* What the hypercall device may ask of its VM. */
struct hypercall_ops {
	/* HC_EXIT: end the VM with the guest's status (all 32 bits of EBX). */
	void (*exit)(void *opaque, uint32_t status);
	void *opaque;
};

struct hypercall_dev {
	const struct guest_memory *mem; /* for HC_PUTS pointers */
	struct console *console;	/* output and input */
	const struct blk_dev *disk;	/* HC_BLK_*: the --disk file, or NULL */
	struct hypercall_ops ops;
};

/*
 * Bus call handler (bus.h) for an OUT to HC_PORT: performs the function in AL with
 * the arguments in the vCPU's registers (regs) and writes results back into them.
 * HC_EXIT calls ops.exit. Returns 0, or -errno if console output failed.
 * Source: include/mini-kvm/hypercall.h, the ABI.
 */
int hypercall_bus_call(void *opaque, uint64_t offset, const void *data, uint32_t size,
		       struct bus_regs *regs);

/* Bus handler for an IN from HC_PORT: reads HC_ABI_VERSION. */
int hypercall_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size);

#endif
