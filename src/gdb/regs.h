/* SPDX-License-Identifier: MIT */
/* The x86 registers gdb sees: struct gdb_regs, its wire formats, the target descriptions. */
#ifndef MINI_KVM_GDB_REGS_H
#define MINI_KVM_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * General registers in gdb's order (GDB manual, G.5.4 i386 Features,
 * org.gnu.gdb.i386.core), which is not the hardware encoding order.
 */
enum gdb_gpr {
	GDB_RAX,
	GDB_RBX,
	GDB_RCX,
	GDB_RDX,
	GDB_RSI,
	GDB_RDI,
	GDB_RBP,
	GDB_RSP,
	GDB_R8,
	GDB_R9,
	GDB_R10,
	GDB_R11,
	GDB_R12,
	GDB_R13,
	GDB_R14,
	GDB_R15,
	GDB_GPR_COUNT
};

/* Segment registers in gdb's order (org.gnu.gdb.i386.core). */
enum gdb_seg {
	GDB_SEG_CS,
	GDB_SEG_SS,
	GDB_SEG_DS,
	GDB_SEG_ES,
	GDB_SEG_FS,
	GDB_SEG_GS,
	GDB_SEG_COUNT
};

#define GDB_X87_REGS	 8  /* st0..st7 */
#define GDB_X87_REG_SIZE 10 /* 80-bit extended precision */
#define GDB_XMM_REGS	 16
#define GDB_XMM_REG_SIZE 16

/*
 * A segment register with its hidden part, as KVM_GET_SREGS gives it
 * (struct kvm_segment). Only selector, base and limit go to gdb and come back; l
 * and db are read-only hints (the stub needs CS.L to know whether the CPU runs
 * 64-bit code).
 */
struct gdb_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t l;  /* the L bit: 64-bit code segment (CS) */
	uint8_t db; /* the D/B bit: 32-bit default operand size (CS) or stack (SS) */
};

/* GDTR or IDTR (struct kvm_dtable). */
struct gdb_dtable {
	uint64_t base;
	uint16_t limit;
};

/*
 * Every register gdb can read or write, filled by the target from
 * KVM_GET_REGS (gpr, rip, rflags), KVM_GET_SREGS (segments, control registers,
 * EFER, descriptor tables) and KVM_GET_FPU (x87 and SSE), and written back with
 * the matching KVM_SET_* calls (read-modify-write: the hidden parts gdb does not
 * see stay as they were).
 */
struct gdb_regs {
	uint64_t gpr[GDB_GPR_COUNT]; /* enum gdb_gpr order */
	/*
	 * RIP as the CPU holds it: an offset into CS. gdb sees the program counter
	 * as a linear address instead (gdb_regs_pc()), which differs outside
	 * 64-bit code when CS.base is not 0 (real mode: CS * 16 + IP).
	 */
	uint64_t rip;
	uint64_t rflags;
	struct gdb_segment seg[GDB_SEG_COUNT]; /* enum gdb_seg order; fs_base is seg[FS].base */
	struct gdb_segment ldtr, tr;
	struct gdb_dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;

	/* x87 (KVM_GET_FPU: fpr, fcw, fsw, ftwx, last_opcode, last_ip, last_dp). */
	uint8_t st[GDB_X87_REGS][GDB_X87_REG_SIZE]; /* ST(0)..ST(7), as FXSAVE stores them */
	uint32_t fctrl;				    /* control word */
	uint32_t fstat;				    /* status word */
	uint32_t ftag;	       /* the full 16-bit tag word (gdb_x87_tag_full() from FXSAVE's) */
	uint32_t fiseg, fioff; /* last instruction pointer: selector, offset */
	uint32_t foseg, fooff; /* last operand pointer: selector, offset */
	uint32_t fop;	       /* last opcode (11 bits) */

	/* SSE (KVM_GET_FPU: xmm, mxcsr). */
	uint8_t xmm[GDB_XMM_REGS][GDB_XMM_REG_SIZE];
	uint32_t mxcsr;
};

/*
 * Which register layout and target description gdb gets, so that it
 * disassembles the code the vCPU runs: i386:x86-64 for a vCPU in long mode, i386
 * in protected mode, i8086 in real (or virtual-8086) mode. gdb 13 neither
 * disassembles 16-bit code after `set architecture i8086` under a description
 * that names another architecture, nor accepts i8086 with an x86-64 one: the
 * description has to say it. gdb reads it once per connection, so a guest that
 * changes mode later keeps the layout it had when gdb attached: reconnect (or
 * `set architecture i386` within the 32-bit layout).
 */
enum gdb_arch {
	GDB_ARCH_AUTO = 0, /* configuration only: from the vCPU's mode when gdb attaches */
	GDB_ARCH_X86_64,
	GDB_ARCH_I386,
	GDB_ARCH_I8086, /* the i386 layout, described as i8086 */
};

/* gdb register numbers in the x86-64 layout ('p'/'P'; the order of the target description). */
#define GDB_REGNO_RIP	  16
#define GDB_REGNO_EFLAGS  17
#define GDB_REGNO_CS	  18
#define GDB_REGNO_ST0	  24
#define GDB_REGNO_FCTRL	  32
#define GDB_REGNO_XMM0	  40
#define GDB_REGNO_MXCSR	  56
#define GDB_REGNO_FS_BASE 57
#define GDB_REGNO_GS_BASE 58
#define GDB_REGNO_CR0	  59

/*
 * In every function taking an arch, GDB_ARCH_AUTO means GDB_ARCH_X86_64, and
 * GDB_ARCH_I8086 has the i386 layout: the same registers but for r8-r15 and
 * xmm8-15, at 32 bits where the x86-64 one has 64 (eax..edi, eip, fs_base,
 * gs_base), in gdb's i386 order.
 */

/* No layout's 'g' packet has more bytes than this (x86-64: 712). */
#define GDB_REGS_WIRE_MAX 1024
/* No register has more bytes than this (xmm). */
#define GDB_REG_MAX_SIZE GDB_XMM_REG_SIZE

/* How many registers a layout has, and its 'g' packet's size in bytes. */
unsigned int gdb_regs_count(enum gdb_arch arch);
size_t gdb_regs_wire_size(enum gdb_arch arch);

/* Register regno's name and size in bytes, or NULL / 0 when there is no such register. */
const char *gdb_regs_name(enum gdb_arch arch, unsigned int regno);
size_t gdb_regs_size(enum gdb_arch arch, unsigned int regno);

/* The description for a vCPU in this state: x86-64 with EFER.LMA, i386 with CR0.PE, else i8086. */
enum gdb_arch gdb_regs_arch(const struct gdb_regs *r);

/*
 * True when the CPU runs 64-bit code (EFER.LMA and CS.L): RIP is then the program
 * counter as is. Otherwise (real mode, 16/32-bit protected mode, compatibility
 * mode) the program counter gdb sees is the linear address CS.base + RIP.
 */
bool gdb_regs_code64(const struct gdb_regs *r);

/*
 * The program counter as gdb sees it: a linear address, so that `x/i $pc` and
 * breakpoints on $pc name the bytes the CPU fetches. RIP in 64-bit code, else
 * (CS.base + RIP) truncated to 32 bits.
 */
uint64_t gdb_regs_pc(const struct gdb_regs *r);

/* Set RIP so that gdb_regs_pc() is linear_pc (RIP = linear_pc - CS.base outside 64-bit code). */
void gdb_regs_set_pc(struct gdb_regs *r, uint64_t linear_pc);

/*
 * The 'g' reply: every register of arch's layout in target-description order,
 * little-endian, at its wire size (gdb_regs_wire_size() bytes at out). Fields wider on the wire
 * than in the struct (a 16-bit selector as 32 bits) are zero-extended; narrower
 * ones (64-bit RFLAGS as 32-bit eflags) truncated. Source: GDB manual, E.3
 * Packets, 'g'.
 */
void gdb_regs_to_wire(enum gdb_arch arch, const struct gdb_regs *r, uint8_t *out);

/*
 * The 'G' packet: set every register from gdb_regs_wire_size() bytes. Upper bytes
 * that do not fit a field are dropped (eflags' upper 32 bits of RFLAGS become 0;
 * a selector keeps its low 16 bits); the program counter is set last, through
 * gdb_regs_set_pc(), so it uses the new CS base.
 */
void gdb_regs_from_wire(enum gdb_arch arch, struct gdb_regs *r, const uint8_t *in);

/* 'p': register regno into out (gdb_regs_size() bytes). Returns its size, or -EINVAL. */
ssize_t gdb_regs_get(enum gdb_arch arch, const struct gdb_regs *r, unsigned int regno,
		     uint8_t *out);

/* 'P': set register regno from exactly len bytes. 0, or -EINVAL (no such register, wrong size). */
int gdb_regs_set(enum gdb_arch arch, struct gdb_regs *r, unsigned int regno, const uint8_t *in,
		 size_t len);

/*
 * The target description document named annex ("target.xml" of arch's layout,
 * or a file it includes), for qXfer:features:read (GDB manual, G Target
 * Descriptions): its text and length, or NULL if there is none of that name.
 * annex need not be NUL-terminated.
 */
const char *gdb_tdesc_document(enum gdb_arch arch, const char *annex, size_t annex_len,
			       size_t *len);

/*
 * x87 tag words (Intel SDM vol. 1, 8.1.7 and 10.5.1.1): FXSAVE (and KVM's
 * kvm_fpu.ftwr) keeps one bit per physical register R0..R7 (1 = not empty); gdb's
 * ftag is the full word with two bits per register: 00 valid, 01 zero,
 * 10 special (NaN, infinity, denormal, unsupported), 11 empty.
 * gdb_x87_tag_full() classifies each non-empty register from its contents; R(i)
 * is ST((i - TOP) mod 8), TOP being fstat bits 11-13.
 */
uint16_t gdb_x87_tag_full(uint8_t abridged, uint16_t fstat,
			  const uint8_t st[GDB_X87_REGS][GDB_X87_REG_SIZE]);
/* The abridged (FXSAVE) form of a full tag word: bit i set unless R(i) is empty. */
uint8_t gdb_x87_tag_abridged(uint16_t full);

#endif
