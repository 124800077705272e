/* SPDX-License-Identifier: MIT */
/* Unit tests of the x86 instruction classifier (src/arch/x86/insn.c): one named case per row. */
#include "unit.h"

#include "arch/x86/insn.h"

struct insn_case {
	const char *name;
	uint8_t code[X86_INSN_MAX];
	size_t len;
	bool long_mode;
	enum x86_insn_class expect;
};

#define ROW(n, lm, cls, ...)                                                   \
	{ .name = n,                                                           \
	  .code = { __VA_ARGS__ },                                             \
	  .len = sizeof((uint8_t[]){ __VA_ARGS__ }),                           \
	  .long_mode = lm,                                                     \
	  .expect = cls }

static const struct insn_case cases[] = {
	ROW("addps", true, X86_INSN_SSE, 0x0f, 0x58, 0xc0),
	ROW("movaps load", true, X86_INSN_SSE, 0x0f, 0x28, 0x00),
	ROW("paddd with 66 prefix", true, X86_INSN_SSE, 0x66, 0x0f, 0xfe, 0xc1),
	ROW("movq xmm with REX", true, X86_INSN_SSE, 0x66, 0x48, 0x0f, 0x6e, 0xc0),
	ROW("pshufb (0f 38)", true, X86_INSN_SSE, 0x66, 0x0f, 0x38, 0x00, 0xc1),
	ROW("vaddps (VEX)", true, X86_INSN_SSE, 0xc5, 0xf0, 0x58, 0xc2),
	ROW("ldmxcsr", true, X86_INSN_SSE, 0x0f, 0xae, 0x10),
	ROW("int3", true, X86_INSN_INT3, 0xcc),
	ROW("cmpxchg16b", true, X86_INSN_CMPXCHG16B, 0x48, 0x0f, 0xc7, 0x0f),
	ROW("xsave", true, X86_INSN_XSAVE, 0x0f, 0xae, 0x20),
	ROW("xrstor64", true, X86_INSN_XSAVE, 0x48, 0x0f, 0xae, 0x28),
	ROW("fxsave", true, X86_INSN_XSAVE, 0x0f, 0xae, 0x00),
	/* Not what the emulator is known to lack: no blame. */
	ROW("popcnt", true, X86_INSN_OTHER, 0xf3, 0x0f, 0xb8, 0xc0),
	ROW("cmpxchg8b", true, X86_INSN_OTHER, 0x0f, 0xc7, 0x0f),
	ROW("clflush", true, X86_INSN_OTHER, 0x0f, 0xae, 0x38),
	ROW("lfence (group 15, register form)", true, X86_INSN_OTHER, 0x0f, 0xae, 0xe8),
	ROW("rdrand (group 9, register form)", true, X86_INSN_OTHER, 0x0f, 0xc7, 0xf0),
	ROW("mov", true, X86_INSN_OTHER, 0x48, 0x89, 0xc3),
	ROW("les in 32-bit code is not VEX", false, X86_INSN_OTHER, 0xc4, 0x06),
	ROW("VEX in 32-bit code (mod 11)", false, X86_INSN_SSE, 0xc5, 0xf8, 0x58, 0xc0),
	ROW("REX is inc eax in 32-bit code", false, X86_INSN_OTHER, 0x48, 0x0f, 0xc7, 0x0f),
	ROW("prefixes only", true, X86_INSN_OTHER, 0x66, 0xf3, 0x2e),
	ROW("escape byte only", true, X86_INSN_OTHER, 0x0f),
	ROW("group 15 without ModRM", true, X86_INSN_OTHER, 0x0f, 0xae),
	ROW("ud0 is not SSE", true, X86_INSN_OTHER, 0x0f, 0xff, 0xc0),
};

static void test_row(void **state)
{
	const struct insn_case *c = *state;

	assert_int_equal(x86_insn_classify(c->code, c->len, c->long_mode), c->expect);
}

static void test_empty_and_overlong(void **state)
{
	uint8_t prefixes[2 * X86_INSN_MAX];

	(void)state;
	assert_int_equal(x86_insn_classify(NULL, 0, true), X86_INSN_OTHER);
	/* 15 prefixes and then an SSE opcode: past the longest instruction, not read. */
	memset(prefixes, 0x66, sizeof(prefixes));
	prefixes[X86_INSN_MAX] = 0x0f;
	prefixes[X86_INSN_MAX + 1] = 0x58;
	assert_int_equal(x86_insn_classify(prefixes, sizeof(prefixes), true), X86_INSN_OTHER);
	assert_string_equal(x86_insn_class_name(X86_INSN_OTHER), "");
	assert_string_equal(x86_insn_class_name(X86_INSN_SSE), "an SSE instruction");
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		tests[i] = (struct CMUnitTest){ .name = cases[i].name,
						.test_func = test_row,
						.initial_state = (void *)&cases[i] };
	tests[ARRAY_SIZE(cases)] = (struct CMUnitTest)cmocka_unit_test(test_empty_and_overlong);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
