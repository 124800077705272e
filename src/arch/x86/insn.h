/* SPDX-License-Identifier: MIT */
/* Just enough x86 instruction decoding to name what a guest died on (for death diagnoses). */
#ifndef MINI_KVM_X86_INSN_H
#define MINI_KVM_X86_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest x86 instruction, in bytes (SDM vol. 2, 2.3.11). */
#define X86_INSN_MAX 15

/* The instructions that kvm_pvm's ring-0 emulator is known to lack (HOST-KVM.md). */
enum x86_insn_class {
	X86_INSN_OTHER,	     /* anything else, or bytes that are not one whole instruction */
	X86_INSN_SSE,	     /* SSE/SSE2+/AVX or MMX: 0f 10-17, 28-2f, 50-7f, c2, c4-c6, d0-fe, 0f 38/3a, VEX */
	X86_INSN_INT3,	     /* cc */
	X86_INSN_CMPXCHG16B, /* REX.W 0f c7 /1 */
	X86_INSN_XSAVE,	     /* xsave/xrstor/xsaveopt/xsavec/xsaves/xrstors, fxsave/fxrstor */
};

/*
 * Classify the instruction at the start of code (len bytes, up to the 15 an
 * instruction may take), decoded as 64-bit code when long_mode, else as 16/32-bit
 * code. Looks only at prefixes, the opcode and the ModRM reg field. Pure.
 * Source: Intel SDM vol. 2, appendix A (opcode map) and 2.1 (instruction format).
 */
enum x86_insn_class x86_insn_classify(const uint8_t *code, size_t len, bool long_mode);

/* "SSE", "int3" ... for a class; "" for X86_INSN_OTHER. */
const char *x86_insn_class_name(enum x86_insn_class c);

#endif
