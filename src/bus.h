/* PIO and MMIO buses: address ranges mapped to device callbacks. */
#ifndef MINI_KVM_BUS_H
#define MINI_KVM_BUS_H

#include <stdint.h>

struct vcpu;

/*
 * One handler shape for port and memory-mapped I/O. offset: bytes from the start
 * of the device's range; size: 1, 2, 4 or 8 bytes; data: little-endian bytes to
 * fill (read) or consume (write); vcpu: the vCPU making the access (for devices that
 * need its registers, like the hypercall port), NULL in unit tests of plain devices.
 * Return 0, or -errno for a VMM-side failure (e.g. stdout closed), which stops the VM.
 * A guest's misuse of a device is never an error: the device ignores it.
 */
typedef int (*bus_read_fn)(void *opaque, uint64_t offset, void *data, uint32_t size,
			   struct vcpu *vcpu);
typedef int (*bus_write_fn)(void *opaque, uint64_t offset, const void *data, uint32_t size,
			    struct vcpu *vcpu);

struct bus_device {
	const char *name;   /* for --trace and --stats */
	bus_read_fn read;   /* NULL: reads as all ones */
	bus_write_fn write; /* NULL: writes are dropped */
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
 * Dispatch one access of size bytes at addr. Returns 0 when a device handled it,
 * BUS_UNCLAIMED when none did (a read then fills data with 0xff bytes), or the
 * device's -errno.
 */
int bus_read(const struct bus *bus, uint64_t addr, void *data, uint32_t size, struct vcpu *vcpu);
int bus_write(const struct bus *bus, uint64_t addr, const void *data, uint32_t size,
	      struct vcpu *vcpu);

#endif
