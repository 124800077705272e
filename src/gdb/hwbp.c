/* SPDX-License-Identifier: MIT */
/* DR0-DR3 allocation, DR7 encoding and DR6 decoding for gdb's Z1-Z4 (Intel SDM vol. 3B, 18.2). */
#include "gdb/hwbp.h"

#include <errno.h>
#include <string.h>

void gdb_hwbp_init(struct gdb_hwbp *hw)
{
	memset(hw, 0, sizeof(*hw));
}

/* The largest aligned piece (8, 4, 2 or 1 bytes) starting at addr within left bytes. */
static uint8_t piece_len(uint64_t addr, uint64_t left)
{
	uint8_t len = GDB_HWBP_MAX_PIECE;

	while (len > 1 && ((addr & (len - 1)) || len > left))
		len /= 2;
	return len;
}

static bool same_request(const struct gdb_hwbp_slot *sl, enum gdb_bp_type type, uint64_t addr,
			 uint64_t len)
{
	return sl->used && sl->type == type && sl->req_addr == addr && sl->req_len == len;
}

int gdb_hwbp_insert(struct gdb_hwbp *hw, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	unsigned int i, free_slots = 0, needed = 0;
	uint64_t a, left;

	if (type == GDB_BP_SW || type > GDB_WATCH_ACCESS)
		return -EINVAL;
	if (type == GDB_BP_HW)
		len = 1; /* an instruction breakpoint watches its first byte (LEN 00) */
	if (len == 0 || addr + len - 1 < addr)
		return -EINVAL;
	for (i = 0; i < GDB_HWBP_SLOTS; i++) {
		if (same_request(&hw->slot[i], type, addr, len))
			return 0;
		free_slots += !hw->slot[i].used;
	}
	for (a = addr, left = len; left && needed <= free_slots; needed++) {
		uint8_t n = piece_len(a, left);

		a += n;
		left -= n;
	}
	if (needed > free_slots)
		return -ENOSPC;
	for (a = addr, left = len, i = 0; left; i++) {
		struct gdb_hwbp_slot *sl = &hw->slot[i];
		uint8_t n;

		if (sl->used)
			continue;
		n = piece_len(a, left);
		*sl = (struct gdb_hwbp_slot){ .used = true,
					      .type = type,
					      .addr = a,
					      .len = n,
					      .req_addr = addr,
					      .req_len = len };
		a += n;
		left -= n;
	}
	return 0;
}

int gdb_hwbp_remove(struct gdb_hwbp *hw, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	bool found = false;
	unsigned int i;

	if (type == GDB_BP_HW)
		len = 1;
	for (i = 0; i < GDB_HWBP_SLOTS; i++) {
		if (same_request(&hw->slot[i], type, addr, len)) {
			hw->slot[i].used = false;
			found = true;
		}
	}
	return found ? 0 : -ENOENT;
}

bool gdb_hwbp_any(const struct gdb_hwbp *hw)
{
	unsigned int i;

	for (i = 0; i < GDB_HWBP_SLOTS; i++) {
		if (hw->slot[i].used)
			return true;
	}
	return false;
}

static uint64_t len_bits(uint8_t len)
{
	switch (len) {
	case 2:
		return X86_DR7_LEN_2;
	case 4:
		return X86_DR7_LEN_4;
	case 8:
		return X86_DR7_LEN_8;
	default:
		return X86_DR7_LEN_1;
	}
}

void gdb_hwbp_debugregs(const struct gdb_hwbp *hw, uint64_t dr[GDB_HWBP_SLOTS], uint64_t *dr7)
{
	unsigned int i;
	uint64_t v = X86_DR7_FIXED_1;

	for (i = 0; i < GDB_HWBP_SLOTS; i++) {
		const struct gdb_hwbp_slot *sl = &hw->slot[i];
		uint64_t rw;

		dr[i] = 0;
		if (!sl->used)
			continue;
		dr[i] = sl->addr;
		switch (sl->type) {
		case GDB_WATCH_WRITE:
			rw = X86_DR7_RW_WRITE;
			break;
		case GDB_WATCH_READ:
		case GDB_WATCH_ACCESS:
			rw = X86_DR7_RW_READWRITE;
			break;
		default:
			rw = X86_DR7_RW_EXEC;
			break;
		}
		v |= X86_DR7_G(i) | rw << X86_DR7_RW_SHIFT(i);
		if (rw != X86_DR7_RW_EXEC) {
			/* Execution breakpoints must have LEN 00 (SDM 3B 18.2.5). */
			v |= len_bits(sl->len) << X86_DR7_LEN_SHIFT(i);
			v |= X86_DR7_GE;
		}
	}
	*dr7 = v;
}

int gdb_hwbp_decode_dr6(const struct gdb_hwbp *hw, uint64_t dr6, struct gdb_stop *stop)
{
	unsigned int i;

	memset(stop, 0, sizeof(*stop));
	for (i = 0; i < GDB_HWBP_SLOTS; i++) {
		const struct gdb_hwbp_slot *sl = &hw->slot[i];

		if (!sl->used || !(dr6 & X86_DR6_B(i)))
			continue;
		switch (sl->type) {
		case GDB_WATCH_WRITE:
			stop->kind = GDB_STOP_WATCH;
			break;
		case GDB_WATCH_READ:
			stop->kind = GDB_STOP_RWATCH;
			break;
		case GDB_WATCH_ACCESS:
			stop->kind = GDB_STOP_AWATCH;
			break;
		default:
			stop->kind = GDB_STOP_HWBREAK;
			return 0;
		}
		stop->addr = sl->req_addr;
		return 0;
	}
	if (dr6 & X86_DR6_BS) {
		stop->kind = GDB_STOP_STEP;
		return 0;
	}
	return -ENOENT;
}
