/* SPDX-License-Identifier: MIT */
/* A minimal x86 opcode classifier: which kind of instruction a dead vCPU stopped at. */
#include "arch/x86/insn.h"

/* Legacy prefixes (SDM vol. 2, 2.1.1): lock/rep, segment overrides, operand/address size. */
#define PREFIX_OPERAND_SIZE 0x66
#define PREFIX_ADDRESS_SIZE 0x67
#define PREFIX_LOCK	    0xf0
#define PREFIX_REPNE	    0xf2
#define PREFIX_REP	    0xf3
#define PREFIX_CS	    0x2e
#define PREFIX_SS	    0x36
#define PREFIX_DS	    0x3e
#define PREFIX_ES	    0x26
#define PREFIX_FS	    0x64
#define PREFIX_GS	    0x65
#define REX_FIRST	    0x40 /* 0x40-0x4f in 64-bit mode */
#define REX_LAST	    0x4f
#define REX_W		    0x08
#define VEX3		    0xc4 /* three-byte VEX (AVX) */
#define VEX2		    0xc5 /* two-byte VEX */
#define MODRM_MOD_REG	    0xc0 /* mod = 11: a register operand, not memory */

#define OPCODE_INT3	  0xcc
#define OPCODE_ESCAPE	  0x0f /* two-byte opcodes follow */
#define OPCODE_0F38	  0x38 /* three-byte maps: SSSE3, SSE4 */
#define OPCODE_0F3A	  0x3a
#define OPCODE_GROUP15	  0xae /* fxsave, fxrstor, ldmxcsr, stmxcsr, xsave, xrstor ... */
#define OPCODE_GROUP9	  0xc7 /* cmpxchg8b/16b, xrstors, xsavec, xsaves ... */
#define OPCODE_UD0	  0xff
#define MODRM_REG_SHIFT	  3
#define MODRM_REG_MASK	  7
#define GROUP15_LDMXCSR	  2
#define GROUP15_STMXCSR	  3
#define GROUP15_CLFLUSH	  7
#define GROUP9_CMPXCHG8B  1
#define GROUP9_XRSTORS	  3
#define GROUP9_XSAVES	  5

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case PREFIX_OPERAND_SIZE:
	case PREFIX_ADDRESS_SIZE:
	case PREFIX_LOCK:
	case PREFIX_REPNE:
	case PREFIX_REP:
	case PREFIX_CS:
	case PREFIX_SS:
	case PREFIX_DS:
	case PREFIX_ES:
	case PREFIX_FS:
	case PREFIX_GS:
		return true;
	}
	return false;
}

/* Two-byte opcodes 0f xx of SSE, SSE2 and MMX (SDM vol. 2, table A-3). */
static bool is_sse_opcode(uint8_t op)
{
	return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
	       (op >= 0x50 && op <= 0x7f) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6) ||
	       (op >= 0xd0 && op < OPCODE_UD0) || op == OPCODE_0F38 || op == OPCODE_0F3A;
}

enum x86_insn_class x86_insn_classify(const uint8_t *code, size_t len, bool long_mode)
{
	size_t i = 0;
	bool rex_w = false;
	uint8_t op, reg;

	if (len > X86_INSN_MAX)
		len = X86_INSN_MAX;
	while (i < len && is_legacy_prefix(code[i]))
		i++;
	if (long_mode && i < len && code[i] >= REX_FIRST && code[i] <= REX_LAST)
		rex_w = code[i++] & REX_W;
	if (i >= len)
		return X86_INSN_OTHER;
	op = code[i++];
	if (op == OPCODE_INT3)
		return X86_INSN_INT3;
	/* Outside 64-bit mode c4/c5 are LES/LDS unless ModRM.mod is 11. */
	if ((op == VEX3 || op == VEX2) &&
	    (long_mode || (i < len && (code[i] & MODRM_MOD_REG) == MODRM_MOD_REG)))
		return X86_INSN_SSE;
	if (op != OPCODE_ESCAPE || i >= len)
		return X86_INSN_OTHER;
	op = code[i++];
	if (is_sse_opcode(op))
		return X86_INSN_SSE;
	if (i >= len)
		return X86_INSN_OTHER;
	reg = (code[i] >> MODRM_REG_SHIFT) & MODRM_REG_MASK;
	/* Group 15, memory forms: /0 fxsave /1 fxrstor /2 ldmxcsr /3 stmxcsr /4 xsave /5 xrstor /6 xsaveopt /7 clflush. */
	if (op == OPCODE_GROUP15 && (code[i] & MODRM_MOD_REG) != MODRM_MOD_REG) {
		if (reg == GROUP15_LDMXCSR || reg == GROUP15_STMXCSR)
			return X86_INSN_SSE;
		return reg == GROUP15_CLFLUSH ? X86_INSN_OTHER : X86_INSN_XSAVE;
	}
	/* Group 9, memory forms: /1 cmpxchg8b (cmpxchg16b with REX.W) /3 xrstors /4 xsavec /5 xsaves. */
	if (op == OPCODE_GROUP9 && (code[i] & MODRM_MOD_REG) != MODRM_MOD_REG) {
		if (reg == GROUP9_CMPXCHG8B)
			return rex_w ? X86_INSN_CMPXCHG16B : X86_INSN_OTHER;
		if (reg >= GROUP9_XRSTORS && reg <= GROUP9_XSAVES)
			return X86_INSN_XSAVE;
	}
	return X86_INSN_OTHER;
}

const char *x86_insn_class_name(enum x86_insn_class c)
{
	switch (c) {
	case X86_INSN_SSE:
		return "an SSE instruction";
	case X86_INSN_INT3:
		return "int3";
	case X86_INSN_CMPXCHG16B:
		return "cmpxchg16b";
	case X86_INSN_XSAVE:
		return "an xsave/xrstor instruction";
	case X86_INSN_OTHER:
		break;
	}
	return "";
}
