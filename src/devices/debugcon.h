/* SPDX-License-Identifier: MIT */
/* The Bochs/QEMU debug console: every byte written to port 0xe9 goes to the host console. */
#ifndef MINI_KVM_DEV_DEBUGCON_H
#define MINI_KVM_DEV_DEBUGCON_H

#include <stdint.h>

#include "arch/x86/layout.h"

/* Port: arch/x86/layout.h (PORT_DEBUGCON, DEBUGCON_PORTS, DEBUGCON_READBACK). */

struct debugcon_ops {
	/* A byte the guest wrote. Returns 0 or -errno (stops the VM, as for the UART). */
	int (*output)(void *opaque, uint8_t byte);
	void *opaque;
};

/* Stateless: the console keeps whatever the guest wrote. */
struct debugcon {
	struct debugcon_ops ops;
};

/* ops may be NULL (output dropped). */
void debugcon_init(struct debugcon *d, const struct debugcon_ops *ops);

/*
 * Bus handlers (the debugcon as opaque) for DEBUGCON_PORTS port. A write sends its
 * low byte, as Bochs's "port e9 hack" does with `outb`; a wider write still sends one
 * byte. A read returns DEBUGCON_READBACK (bytes beyond the port read 0xff). Returns
 * 0, the output hook's -errno, or -EINVAL for a size outside 1..8 (a VMM bug).
 */
int debugcon_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int debugcon_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

/* Saved state: nothing to keep but the format's room to grow. */
struct debugcon_state {
	uint64_t reserved; /* zero */
};

/* Save into *out; restore refuses a non-zero reserved field with -EINVAL. */
void debugcon_save(const struct debugcon *d, struct debugcon_state *out);
int debugcon_restore(struct debugcon *d, const struct debugcon_state *in);

#endif
