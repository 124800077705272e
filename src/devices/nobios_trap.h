/* SPDX-License-Identifier: MIT */
/* The no-BIOS trap port: a boot sector's INT reached the trap stub (loaders/bootsector.h), which reports its vector here. */
#ifndef MINI_KVM_DEV_NOBIOS_TRAP_H
#define MINI_KVM_DEV_NOBIOS_TRAP_H

#include <stdint.h>

#include "arch/x86/layout.h"

#define NOBIOS_TRAP_PORTS 1 /* PORT_NOBIOS_TRAP (arch/x86/layout.h) */

struct nobios_trap_ops {
	/*
	 * The stub ran for vector (0-255): a BIOS service, an exception or an interrupt
	 * nobody handles. Called on the vCPU thread that wrote the port, with that vCPU's
	 * registers still in its kvm_run, so the VM can diagnose and end it.
	 */
	void (*trap)(void *opaque, uint8_t vector);
	void *opaque;
};

/* Stateless: the VM ends at the first trap. */
struct nobios_trap {
	struct nobios_trap_ops ops;
};

/*
 * Bus handlers (the nobios_trap as opaque) for NOBIOS_TRAP_PORTS port: a write of
 * any size calls ops.trap with its low byte (ops.trap NULL: dropped); a read returns
 * 0xff, as no device would answer. Always return 0.
 */
int nobios_trap_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int nobios_trap_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

#endif
