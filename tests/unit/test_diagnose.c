/* SPDX-License-Identifier: MIT */
/* Unit tests of the right diagnoses: the wrong boot mode (src/diagnose.c), files that are no program (src/loaders/sniff.c), Linux's verdict (src/probe.c) and its command line (src/linux.c). */
#include "unit.h"

#include "arch/x86/insn.h"
#include "arch/x86/x86.h"
#include "diagnose.h"
#include "linux.h"
#include "loaders/image.h"
#include "loaders/sniff.h"
#include "probe.h"

/* --- the wrong mode --------------------------------------------------------------- */

static void test_wrong_mode(void **state)
{
	struct guest_image img = { .format = IMAGE_FLAT, .mode = BOOT_MODE_REAL };
	char *hint;

	(void)state;
	hint = diagnose_wrong_mode(&img, 0, WRONG_MODE_DIED);
	assert_non_null(hint);
	assert_contains(hint, "it is a flat binary, so it started in 16-bit real mode (the "
			      "default without --mode), and it died there");
	assert_contains(hint, "--mode protected");
	free(hint);
	hint = diagnose_wrong_mode(&img, 0, WRONG_MODE_IN_ZEROS);
	assert_contains(hint, "and it was running through zero-filled memory there");
	free(hint);
	/* Not when --mode chose real mode, the guest left real mode, or it is an ELF. */
	img.mode_given = true;
	assert_null(diagnose_wrong_mode(&img, 0, WRONG_MODE_DIED));
	img.mode_given = false;
	assert_null(diagnose_wrong_mode(&img, X86_CR0_PE, WRONG_MODE_DIED));
	img.format = IMAGE_ELF32;
	assert_null(diagnose_wrong_mode(&img, 0, WRONG_MODE_IN_ZEROS));
	img.format = IMAGE_FLAT;
	img.mode = BOOT_MODE_LONG;
	assert_null(diagnose_wrong_mode(&img, X86_CR0_PE, WRONG_MODE_DIED));
	assert_null(diagnose_wrong_mode(NULL, 0, WRONG_MODE_DIED)); /* Linux */
}

static void test_code_is_zeros(void **state)
{
	static const uint8_t zeros[X86_INSN_MAX], spin[] = { 0xeb, 0xfe, 0, 0 };

	(void)state;
	assert_true(diagnose_code_is_zeros(zeros, sizeof(zeros)));
	assert_false(diagnose_code_is_zeros(spin, sizeof(spin))); /* jmp $: a loop, not a sled */
	assert_false(diagnose_code_is_zeros(zeros, 0));
	assert_false(diagnose_code_is_zeros(zeros, 1)); /* not a whole instruction */
	/* A sled that reached the program's own bytes: the instruction is still 00 00. */
	assert_true(diagnose_code_is_zeros((const uint8_t[]){ 0, 0, 0, 0xe5, 0 }, 5));
	assert_false(diagnose_code_is_zeros((const uint8_t[]){ 0, 0xe5, 0, 0 }, 4)); /* too short */
	/* A sled at the byte its own add %al,(%bx,%si) writes (nested lane, CI). */
	assert_true(diagnose_code_is_zeros((const uint8_t[]){ 0, 0x85, 0, 0, 0, 0, 0, 0 }, 8));
	assert_false(diagnose_code_is_zeros((const uint8_t[]){ 0, 0x85, 0, 0, 0, 0, 0, 0x90 }, 8));
	assert_false(diagnose_code_is_zeros((const uint8_t[]){ 0x85, 0, 0, 0, 0, 0, 0, 0 }, 8));
}

/* --- files that are no program ------------------------------------------------------ */

static const struct sniff_case {
	const char *name;
	const char *bytes;
	size_t len;
	const char *what; /* NULL: may be machine code */
} sniff_cases[] = {
	{ "text", "hello world\n", 12, "text, not machine code" },
	{ "utf-8 text", "caf\xc3\xa9\tna\xc3\xafve\r\n", 14, "text, not machine code" },
	{ "script", "#!/bin/sh\necho\n", 15, "a script" },
	{ "gzip", "\x1f\x8b\x08\x00", 4, "gzip-compressed data" },
	{ "xz",
	  "\xfd"
	  "7zXZ\x00\x00",
	  7, "xz-compressed data" },
	{ "zstd", "\x28\xb5\x2f\xfd\x00", 5, "zstd-compressed data" },
	{ "bzip2", "BZh91AY", 7, "bzip2-compressed data" },
	{ "cpio", "07070100000001", 14, "a cpio archive" },
	{ "hlt", "\xf4", 1, NULL },
	{ "lead byte at the end", "ok\xe2\x82", 4, NULL },
	{ "real-mode code", "\xba\x00\x05\xb0\x02\xee\xf4", 7, NULL },
	{ "NUL in text", "text\0more", 9, NULL },
	{ "DEL", "abc\x7f", 4, NULL },
	{ "ELF",
	  "\x7f"
	  "ELF\x02\x01",
	  6, NULL },
	{ "empty", "", 0, NULL },
};

static void test_sniff(void **state)
{
	const struct sniff_case *c = *state;
	const char *what = image_sniff((const uint8_t *)c->bytes, c->len);

	if (!c->what)
		assert_null(what);
	else
		assert_contains(what ? what : "(none)", c->what);
}

/* A bzImage: "HdrS" at 0x202 (boot.rst), and text that runs past the sample. */
static void test_sniff_large(void **state)
{
	static uint8_t buf[SNIFF_BYTES * 2];

	(void)state;
	memcpy(buf + 0x202, "HdrS", 4);
	assert_string_equal(image_sniff(buf, sizeof(buf)),
			    "a Linux kernel (bzImage): boot it with -k");
	memset(buf, 'a', sizeof(buf));
	buf[SNIFF_BYTES - 1] = 0xe2; /* a sequence cut by the sample, not by the file */
	assert_string_equal(image_sniff(buf, sizeof(buf)), "text, not machine code");
	buf[SNIFF_BYTES + 10] = 0; /* beyond the sample: not looked at */
	assert_string_equal(image_sniff(buf, sizeof(buf)), "text, not machine code");
	buf[10] = 0;
	assert_null(image_sniff(buf, sizeof(buf)));
}

/* --- Linux: the host's verdict and the command line -------------------------------- */

static void test_linux_needs(void **state)
{
	bool yes[PROBE_COUNT];

	(void)state;
	for (int i = 0; i < PROBE_COUNT; i++)
		yes[i] = true;
	assert_true(probe_linux_ok(yes));
	yes[PROBE_ID_PAGING] = yes[PROBE_ID_RING0_SSE] = false; /* Linux needs neither */
	assert_true(probe_linux_ok(yes));
	yes[PROBE_ID_SYSCALL] = false;
	assert_false(probe_linux_ok(yes));
	yes[PROBE_ID_SYSCALL] = true;
	yes[PROBE_ID_IRQ_RING3] = false;
	assert_false(probe_linux_ok(yes));
}

static void test_linux_cmdline(void **state)
{
	static const struct {
		const char *params, *cmdline;
	} cases[] = {
		{ NULL, "pci=off console=ttyS0" },
		{ "", "pci=off console=ttyS0" },
		{ "quiet", "pci=off quiet console=ttyS0" },
		{ "console=tty0 quiet", "pci=off console=tty0 quiet" },
		{ "quiet console=ttyS0,115200", "pci=off quiet console=ttyS0,115200" },
		{ "pci=nomsi", "pci=nomsi console=ttyS0" },
		/* Only a parameter of that name counts, not one that ends in it. */
		{ "mkvm.console=1 nopci=1", "pci=off mkvm.console=1 nopci=1 console=ttyS0" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = linux_cmdline(cases[i].params);

		assert_non_null(got);
		if (strcmp(got, cases[i].cmdline))
			fail_msg("-p '%s': '%s', expected '%s'",
				 cases[i].params ? cases[i].params : "", got, cases[i].cmdline);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_wrong_mode),    cmocka_unit_test(test_code_is_zeros),
		cmocka_unit_test(test_sniff_large),   cmocka_unit_test(test_linux_needs),
		cmocka_unit_test(test_linux_cmdline),
	};
	struct CMUnitTest sniffs[ARRAY_SIZE(sniff_cases)];
	int failed;

	UNIT_TABLE_CASES(sniffs, sniff_cases, test_sniff);
	failed = cmocka_run_group_tests_name("diagnose", plain, NULL, NULL);
	failed += cmocka_run_group_tests_name("sniff", sniffs, NULL, NULL);
	return failed;
}
