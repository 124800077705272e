/* SPDX-License-Identifier: MIT */
/* PIO and MMIO buses: address ranges mapped to device callbacks. */
#ifndef MINI_KVM_BUS_H
#define MINI_KVM_BUS_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * One handler shape for port and memory-mapped I/O. offset: bytes from the start
 * of the device's range; size: 1, 2, 4 or 8 bytes; data: little-endian bytes to
 * fill (read) or consume (write). Return 0, or -errno for a VMM-side failure (e.g.
 * stdout closed), which stops the VM with an error. A guest's misuse of a device is
 * never an error: the device does what the hardware would.
 */
typedef int (*bus_read_fn)(void *opaque, uint64_t offset, void *data, uint32_t size);
typedef int (*bus_write_fn)(void *opaque, uint64_t offset, const void *data, uint32_t size);

/*
 * The registers of the vCPU that made an access, lent to the one kind of device
 * that takes its arguments in them and returns results there (the hypercall port,
 * include/mini-kvm/hypercall.h). Valid only during the call.
 */
struct bus_regs {
	struct kvm_regs *regs; /* read and written in place */
	bool real_mode;	       /* CR0.PE clear: arguments are 16 bits */
	bool changed;	       /* OUT: set by the device when it wrote regs */
};

/* A write handler that also gets the caller's registers (bus_write()'s regs). */
typedef int (*bus_call_fn)(void *opaque, uint64_t offset, const void *data, uint32_t size,
			   struct bus_regs *regs);

struct bus_device {
	const char *name;   /* for --trace and --stats */
	bus_read_fn read;   /* NULL: reads as all ones */
	bus_write_fn write; /* NULL: writes are dropped (unless call is set) */
	bus_call_fn call;   /* instead of write, for register-argument ports; usually NULL */
	void *opaque;
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	struct bus_device dev;
};

#define BUS_MAX_RANGES 32

/*
 * Ranges are registered before any vCPU runs and never change afterwards, so
 * lookups take no lock; each device locks its own state.
 */
struct bus {
	const char *name;			 /* "pio" or "mmio", for messages */
	struct bus_range ranges[BUS_MAX_RANGES]; /* sorted by base, never overlapping */
	unsigned int nranges;
};

/* A bus access that no device claimed: reads return all ones, writes are dropped. */
#define BUS_UNCLAIMED 1

/*
 * Claim [base, base + len) for dev. len: bytes (ports for PIO), at least 1.
 * Returns 0; -EINVAL for len 0 or a range that wraps; -EEXIST if it overlaps a
 * registered range; -ENOSPC when BUS_MAX_RANGES are taken. Messages say which.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_device *dev);

/* The range containing the whole access [addr, addr + size), or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t size);

/*
 * Dispatch one access of size bytes at addr. regs: the accessing vCPU's registers,
 * for a device with a call handler (NULL where there is no vCPU: such a write is
 * dropped). Returns 0 when a device handled it, BUS_UNCLAIMED when none did (a read
 * then fills data with 0xff bytes), or the device's -errno.
 */
int bus_read(const struct bus *bus, uint64_t addr, void *data, uint32_t size);
int bus_write(const struct bus *bus, uint64_t addr, const void *data, uint32_t size,
	      struct bus_regs *regs);

#endif
