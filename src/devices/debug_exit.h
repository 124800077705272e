/* SPDX-License-Identifier: MIT */
/* An isa-debug-exit compatible port: a guest write ends the VM with status (value << 1) | 1. */
#ifndef MINI_KVM_DEV_DEBUG_EXIT_H
#define MINI_KVM_DEV_DEBUG_EXIT_H

#include <stdint.h>

#include "arch/x86/layout.h"

/* The port is the user's (--debug-exit PORT): arch/x86/layout.h (PORT_DEBUG_EXIT_DEFAULT, DEBUG_EXIT_PORTS). */

struct debug_exit_ops {
	/*
	 * The guest asked to stop the VM with this status, (value << 1) | 1 computed in
	 * 64 bits (so always odd: 0 stays free for a normal exit); the VM's exit status
	 * is its low 8 bits, as exit(2) takes them. QEMU's isa-debug-exit semantics.
	 */
	void (*exit)(void *opaque, uint64_t status);
	void *opaque;
};

struct debug_exit {
	struct debug_exit_ops ops;
};

/* ops may be NULL (writes do nothing). */
void debug_exit_init(struct debug_exit *d, const struct debug_exit_ops *ops);

/*
 * Bus handlers (the debug_exit as opaque) for DEBUG_EXIT_PORTS ports. A write of
 * any size at any offset calls ops.exit with (value << 1) | 1, value being the
 * little-endian access (1, 2, 4 or 8 bytes). Reads return 0. Returns 0, or -EINVAL
 * for a size outside 1..8 (a VMM bug).
 */
int debug_exit_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int debug_exit_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

/* Saved state: nothing to keep but the format's room to grow. */
struct debug_exit_state {
	uint64_t reserved; /* zero */
};

/* Save into *out; restore refuses a non-zero reserved field with -EINVAL. */
void debug_exit_save(const struct debug_exit *d, struct debug_exit_state *out);
int debug_exit_restore(struct debug_exit *d, const struct debug_exit_state *in);

#endif
