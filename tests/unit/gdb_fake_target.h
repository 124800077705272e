/* SPDX-License-Identifier: MIT */
/* A fake gdb target for the stub's tests and fuzzer: 3 vCPUs, memory with a hole. */
#ifndef MINI_KVM_GDB_FAKE_TARGET_H
#define MINI_KVM_GDB_FAKE_TARGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gdb/hwbp.h"
#include "gdb/stub.h"

#define FAKE_VCPUS     3
#define FAKE_PAGE_SIZE 0x1000
/* Guest-virtual memory: [FAKE_MEM_BASE, FAKE_MEM_END) except the page at FAKE_HOLE. */
#define FAKE_MEM_BASE  0x1000ULL
#define FAKE_MEM_PAGES 6
#define FAKE_MEM_END   (FAKE_MEM_BASE + FAKE_MEM_PAGES * FAKE_PAGE_SIZE)
#define FAKE_HOLE      0x4000ULL
/* Where every vCPU's RIP points at first (64-bit code). */
#define FAKE_ENTRY 0x1100ULL

struct fake_target {
	struct gdb_stub *stub; /* for reports from interrupt() */
	pthread_mutex_t lock;  /* the counters below, for the server test's threads */
	struct gdb_regs regs[FAKE_VCPUS];
	uint8_t mem[FAKE_MEM_PAGES * FAKE_PAGE_SIZE];
	struct gdb_hwbp hw;
	bool running;
	enum gdb_resume actions[FAKE_VCPUS];
	unsigned int resumes, interrupts, kills, detaches, inserts, removes;
	uint64_t last_read_addr; /* the last read_memory() range */
	size_t last_read_len;
	/* interrupt() reports the stop itself even while running (as if all parked at once). */
	bool stop_at_once;
	/* Software breakpoints in a debug register, as on a host that cannot trap int3. */
	bool sw_in_dr;
	/* Forced results: an insert (with hint) or resume that fails, registers unreadable. */
	int insert_ret;
	const char *insert_hint;
	int resume_ret;
	int regs_ret;
};

extern const struct gdb_target_ops fake_target_ops;

/* Registers with a distinct value in every field, memory filled with (addr & 0xff). */
void fake_target_init(struct fake_target *t, struct gdb_stub *stub);
void fake_target_destroy(struct fake_target *t);

/* The byte at guest-virtual addr (which must be mapped). */
uint8_t *fake_target_byte(struct fake_target *t, uint64_t addr);

#endif
