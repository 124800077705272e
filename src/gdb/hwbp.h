/* SPDX-License-Identifier: MIT */
/* x86 debug registers for gdb's Z1-Z4: DR0-DR3 slots, DR7, DR6 (Intel SDM vol. 3B, 18.2). */
#ifndef MINI_KVM_GDB_HWBP_H
#define MINI_KVM_GDB_HWBP_H

#include <stdbool.h>
#include <stdint.h>

#include "gdb/stub.h"

/* DR0-DR3: four linear addresses the CPU compares (SDM 3B 18.2.1). */
#define GDB_HWBP_SLOTS 4

/* DR7 (SDM 3B 18.2.4): per slot i, Gi enables it, R/Wi says on what, LENi how wide. */
#define X86_DR7_G(i)	     (1ULL << (2 * (i) + 1))
#define X86_DR7_GE	     (1ULL << 9)  /* exact data breakpoints (recommended with any) */
#define X86_DR7_FIXED_1	     (1ULL << 10) /* reads as 1 */
#define X86_DR7_RW_SHIFT(i)  (16 + 4 * (i))
#define X86_DR7_LEN_SHIFT(i) (18 + 4 * (i))
#define X86_DR7_RW_EXEC	     0x0 /* instruction execution */
#define X86_DR7_RW_WRITE     0x1 /* data writes */
#define X86_DR7_RW_READWRITE 0x3 /* data reads or writes (there is no reads-only) */
#define X86_DR7_LEN_1	     0x0
#define X86_DR7_LEN_2	     0x1
#define X86_DR7_LEN_8	     0x2 /* 64-bit processors */
#define X86_DR7_LEN_4	     0x3

/* DR6 (SDM 3B 18.2.3): which condition raised the #DB. */
#define X86_DR6_B(i) (1ULL << (i)) /* slot i's condition was met */
#define X86_DR6_BS   (1ULL << 14)  /* single step (TF, or KVM_GUESTDBG_SINGLESTEP) */

/* The widest aligned piece one slot watches. */
#define GDB_HWBP_MAX_PIECE 8

struct gdb_hwbp_slot {
	bool used;
	enum gdb_bp_type type; /* GDB_BP_HW or a watchpoint */
	uint64_t addr;	       /* this slot's aligned piece */
	uint8_t len;	       /* 1, 2, 4 or 8 */
	uint64_t req_addr;     /* what gdb asked to watch, for removal and stop replies */
	uint64_t req_len;
};

/* The four slots of one VM (every vCPU gets the same DR0-3/DR7). */
struct gdb_hwbp {
	struct gdb_hwbp_slot slot[GDB_HWBP_SLOTS];
};

/* Every slot free. */
void gdb_hwbp_init(struct gdb_hwbp *hw);

/*
 * Take slots for a hardware breakpoint (GDB_BP_HW: one slot, one byte at addr;
 * len, Z1's kind, is ignored) or a watchpoint on [addr, addr + len), cut into as
 * few naturally aligned 1/2/4/8-byte pieces as cover it, one slot each (so up to
 * 32 aligned bytes). Read watchpoints use R/W = reads or writes: x86 has no
 * reads-only condition. Inserting what is already there succeeds without taking
 * more. Returns 0; -ENOSPC when fewer slots are free than needed (nothing taken);
 * -EINVAL for GDB_BP_SW, len 0 or a range past 2^64.
 */
int gdb_hwbp_insert(struct gdb_hwbp *hw, enum gdb_bp_type type, uint64_t addr, uint64_t len);

/* Free the slots of what gdb_hwbp_insert() took with the same arguments. 0 or -ENOENT. */
int gdb_hwbp_remove(struct gdb_hwbp *hw, enum gdb_bp_type type, uint64_t addr, uint64_t len);

/* True if any slot is in use (KVM_GUESTDBG_USE_HW_BP is then needed). */
bool gdb_hwbp_any(const struct gdb_hwbp *hw);

/*
 * DR0-DR3 and DR7 for the slots: KVM_SET_GUEST_DEBUG's arch.debugreg[0..3] and
 * arch.debugreg[7] (unused slots: address 0, disabled).
 */
void gdb_hwbp_debugregs(const struct gdb_hwbp *hw, uint64_t dr[GDB_HWBP_SLOTS], uint64_t *dr7);

/*
 * What a #DB exit means (KVM_EXIT_DEBUG, exception 1, kvm_run->debug.arch.dr6):
 * a slot's hit gives GDB_STOP_HWBREAK or GDB_STOP_WATCH/RWATCH/AWATCH with the
 * address gdb asked to watch; else DR6.BS gives GDB_STOP_STEP. Returns 0 with
 * *stop set, or -ENOENT when DR6 names neither (a #DB of the guest's own).
 */
int gdb_hwbp_decode_dr6(const struct gdb_hwbp *hw, uint64_t dr6, struct gdb_stop *stop);

#endif
