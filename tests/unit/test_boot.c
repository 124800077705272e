/* SPDX-License-Identifier: MIT */
/* Unit tests of the boot CPU state (src/arch/x86): GDT descriptors, boot page tables, boot_setup per mode. */
#include "unit.h"

#include <errno.h>

#include "arch/x86/boot_state.h"
#include "error.h"
#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"
#include "memory.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"

/* Known-good flat descriptors (as Linux, GRUB and the SDM examples encode them). */
#define DESC_CODE32 0x00cf9b000000ffffULL
#define DESC_DATA   0x00cf93000000ffffULL
#define DESC_CODE64 0x00af9b000000ffffULL

#define RAM_POISON 0xaa
#define POISON64   0xaaaaaaaaaaaaaaaaULL

/* CR0 after reset (SDM 3A 9.1.1): CD, NW and ET set. */
#define CR0_RESET 0x60000010ULL
/* The entry of a flat guest loaded at its default address. */
#define FLAT_ENTRY LAYOUT_FLAT_LOAD

#define PAGE_FLAGS (X86_PTE_PRESENT | X86_PTE_WRITE | X86_PTE_USER)

struct boot_env {
	struct guest_memory mem;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
};

/* KVM's reset state, as far as boot_setup() reads or keeps it. */
static void reset_sregs(struct kvm_sregs *s)
{
	const struct kvm_segment data = {
		.base = 0, .limit = 0xffff, .selector = 0, .type = 3, .present = 1, .s = 1
	};

	memset(s, 0, sizeof(*s));
	s->cs = data;
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->cs.type = X86_SEG_TYPE_CODE_XR;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->cr0 = CR0_RESET;
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
}

static int setup(void **state)
{
	struct boot_env *env = calloc(1, sizeof(*env));

	if (!env || guest_memory_init(&env->mem, LAYOUT_MEM_MIN))
		return -1;
	/* Poison RAM: the tests see what was written and what was not. */
	memset(env->mem.map, RAM_POISON, env->mem.ram_size);
	reset_sregs(&env->sregs);
	memset(&env->regs, 0x5a, sizeof(env->regs));
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct boot_env *env = *state;

	guest_memory_destroy(&env->mem);
	free(env);
	return 0;
}

/* Hand-made guest RAM of one region [gpa, gpa + size) backed by buf. */
static struct guest_memory fake_memory(uint8_t *buf, gpa_t gpa, uint64_t size)
{
	return (struct guest_memory){
		.ram_size = size,
		.regions = { { .gpa = gpa, .size = size, .hva = buf } },
		.nregions = 1,
	};
}

static uint64_t gdt_entry(const struct guest_memory *mem, unsigned int index)
{
	uint64_t desc;

	assert_int_equal(guest_read(mem, LAYOUT_GDT + index * sizeof(desc), &desc, sizeof(desc)),
			 0);
	return desc;
}

static void test_flat_descriptors(void **state)
{
	struct kvm_segment code32 = gdt_flat_code32(GDT_SEL_CODE);
	struct kvm_segment code64 = gdt_flat_code64(GDT_SEL_CODE);
	struct kvm_segment data = gdt_flat_data(GDT_SEL_DATA);

	(void)state;
	assert_int_equal(gdt_descriptor(&code32), DESC_CODE32);
	assert_int_equal(gdt_descriptor(&data), DESC_DATA);
	assert_int_equal(gdt_descriptor(&code64), DESC_CODE64);

	/* The same description serves KVM: check the fields it reads. */
	assert_int_equal(code32.selector, GDT_SEL_CODE);
	assert_int_equal(code32.base, 0);
	assert_int_equal(code32.limit, 0xffffffff);
	assert_int_equal(code32.type, X86_SEG_TYPE_CODE_XR);
	assert_int_equal(code32.present, 1);
	assert_int_equal(code32.s, 1);
	assert_int_equal(code32.dpl, 0);
	assert_int_equal(code32.db, 1);
	assert_int_equal(code32.l, 0);
	assert_int_equal(code32.g, 1);
	assert_int_equal(code64.l, 1);
	assert_int_equal(code64.db, 0);
	assert_int_equal(data.selector, GDT_SEL_DATA);
	assert_int_equal(data.type, X86_SEG_TYPE_DATA_RW);
	assert_int_equal(data.db, 1);
}

static void test_descriptor_fields(void **state)
{
	/* Every field in its own place (SDM 3A figure 3-8), worked out by hand. */
	struct kvm_segment seg = { .base = 0x12345678,
				   .limit = 0xabcde,
				   .type = 0x2,
				   .s = 1,
				   .dpl = 3,
				   .present = 1,
				   .avl = 1,
				   .g = 0 };
	struct kvm_segment tss = {
		.base = 0xfffbd000, .limit = 0x67, .type = X86_SEG_TYPE_TSS_BUSY, .present = 1
	};
	struct kvm_segment page = { .limit = 0xfff, .g = 1, .present = 1, .s = 1, .type = 3 };

	(void)state;
	assert_int_equal(gdt_descriptor(&seg), 0x121af2345678bcdeULL);
	assert_int_equal(gdt_descriptor(&tss), 0xff008bfbd0000067ULL);
	/* G=1: the limit counts 4 KiB pages, 0xfff is page 0. */
	assert_int_equal(gdt_descriptor(&page), 0x0080930000000000ULL);
}

static void test_gdt_install(void **state)
{
	struct boot_env *env = *state;
	struct kvm_segment segs[] = { gdt_flat_code32(GDT_SEL_CODE), gdt_flat_data(GDT_SEL_DATA) };
	struct kvm_dtable gdtr = { 0 };

	assert_int_equal(gdt_install(&env->mem, segs, ARRAY_SIZE(segs), &gdtr), 0);
	assert_int_equal(gdtr.base, LAYOUT_GDT);
	assert_int_equal(gdtr.limit, 3 * sizeof(uint64_t) - 1);
	assert_int_equal(gdt_entry(&env->mem, 0), 0);
	assert_int_equal(gdt_entry(&env->mem, 1), DESC_CODE32);
	assert_int_equal(gdt_entry(&env->mem, 2), DESC_DATA);
	/* Only the used entries are written. */
	assert_int_equal(gdt_entry(&env->mem, 3), POISON64);
	assert_int_equal(env->mem.map[LAYOUT_GDT - 1], RAM_POISON);
}

static void test_gdt_install_sparse(void **state)
{
	struct boot_env *env = *state;
	struct kvm_segment segs[] = { gdt_flat_code64(GDT_SEL_BOOT_CS), gdt_flat_data(0x38) };
	struct kvm_dtable gdtr = { 0 };

	/* Gaps are null descriptors; the last slot of the 64-byte GDT is usable. */
	assert_int_equal(gdt_install(&env->mem, segs, ARRAY_SIZE(segs), &gdtr), 0);
	assert_int_equal(gdtr.limit, LAYOUT_GDT_SIZE - 1);
	assert_int_equal(gdt_entry(&env->mem, 1), 0);
	assert_int_equal(gdt_entry(&env->mem, 2), DESC_CODE64);
	for (unsigned int i = 3; i < 7; i++)
		assert_int_equal(gdt_entry(&env->mem, i), 0);
	assert_int_equal(gdt_entry(&env->mem, 7), DESC_DATA);
}

static void test_gdt_install_errors(void **state)
{
	struct boot_env *env = *state;
	struct kvm_segment beyond[] = { gdt_flat_data(LAYOUT_GDT_SIZE) };
	struct kvm_segment segs[] = { gdt_flat_code32(GDT_SEL_CODE) };
	struct kvm_dtable gdtr = { .base = 1, .limit = 2 };
	static uint8_t high[LAYOUT_PAGE_SIZE];
	struct guest_memory no_gdt = fake_memory(high, LAYOUT_FLAT_LOAD, sizeof(high));

	assert_int_equal(gdt_install(&env->mem, beyond, 1, &gdtr), -EINVAL);
	assert_contains(error_message(), "selector 0x40 beyond the 64-byte boot GDT");
	assert_int_equal(gdt_entry(&env->mem, 0), POISON64);
	assert_int_equal(gdtr.base, 1);

	assert_int_equal(gdt_install(&no_gdt, segs, 1, &gdtr), -EFAULT);
	assert_contains(error_message(), "GDT at 0x500 is not in guest RAM");
	assert_int_equal(gdtr.limit, 2);
}

static void test_paging_long(void **state)
{
	struct boot_env *env = *state;
	const uint64_t *pml4, *pdpt, *pd;

	assert_int_equal(paging_build_long(&env->mem), LAYOUT_PML4);
	pml4 = guest_ptr(&env->mem, LAYOUT_PML4, LAYOUT_PAGE_SIZE);
	pdpt = guest_ptr(&env->mem, LAYOUT_PDPT, LAYOUT_PAGE_SIZE);
	pd = guest_ptr(&env->mem, LAYOUT_PD, LAYOUT_PD_COUNT * LAYOUT_PAGE_SIZE);

	assert_int_equal(pml4[0], LAYOUT_PDPT | PAGE_FLAGS);
	assert_int_equal(pml4[0], 0x91007);
	for (unsigned int i = 1; i < X86_PT_ENTRIES; i++)
		assert_int_equal(pml4[i], 0);
	for (uint64_t i = 0; i < LAYOUT_PD_COUNT; i++)
		assert_int_equal(pdpt[i], (LAYOUT_PD + i * LAYOUT_PAGE_SIZE) | PAGE_FLAGS);
	assert_int_equal(pdpt[3], 0x95007);
	for (unsigned int i = LAYOUT_PD_COUNT; i < X86_PT_ENTRIES; i++)
		assert_int_equal(pdpt[i], 0);
	/* 2048 2 MiB pages: identity 0..4 GiB, user-accessible. */
	for (uint64_t i = 0; i < LAYOUT_PD_COUNT * X86_PT_ENTRIES; i++)
		assert_int_equal(pd[i], (i * X86_PAGE_2M) | PAGE_FLAGS | X86_PTE_PS);
	assert_int_equal(pd[0], 0x87);
	assert_int_equal(pd[2047], 0xffe00087);
	assert_true(pd[5] & X86_PTE_USER);
	/* Nothing past the tables. */
	assert_int_equal(env->mem.map[LAYOUT_PAGE_TABLES_END], RAM_POISON);
	assert_int_equal(env->mem.map[LAYOUT_PAGE_TABLES - 1], RAM_POISON);
}

static void test_paging_pse32(void **state)
{
	struct boot_env *env = *state;
	const uint32_t *pd;

	assert_int_equal(paging_build_pse32(&env->mem), LAYOUT_PD32);
	pd = guest_ptr(&env->mem, LAYOUT_PD32, LAYOUT_PAGE_SIZE);
	/* 0..2 GiB identity, LAYOUT_HIGHER_HALF + x -> x, 4 MiB pages, user-accessible. */
	for (uint32_t i = 0; i < X86_PD32_ENTRIES / 2; i++) {
		assert_int_equal(pd[i], i * X86_PAGE_4M | PAGE_FLAGS | X86_PTE_PS);
		assert_int_equal(pd[i + X86_PD32_ENTRIES / 2], pd[i]);
	}
	assert_int_equal(pd[0], 0x87);
	assert_int_equal(pd[1], 0x400087);
	assert_int_equal(pd[LAYOUT_HIGHER_HALF / X86_PAGE_4M], 0x87);
	assert_int_equal(pd[1023], 0x7fc00087);
	assert_true(pd[700] & X86_PTE_USER);
	assert_int_equal(env->mem.map[LAYOUT_PD32 + LAYOUT_PAGE_SIZE], RAM_POISON);
}

static void test_paging_not_in_ram(void **state)
{
	static uint8_t low[LAYOUT_PAGE_TABLES + 2 * LAYOUT_PAGE_SIZE];
	struct guest_memory mem = fake_memory(low, 0, sizeof(low));

	(void)state;
	/* Room for the PD32 but not for the PDs of long mode. */
	assert_int_equal(paging_build_long(&mem), -EFAULT);
	assert_contains(error_message(), "boot page tables at 0x90000 are not in guest RAM");
	assert_int_equal(paging_build_pse32(&mem), LAYOUT_PD32);

	mem.regions[0].size = LAYOUT_PAGE_TABLES;
	assert_int_equal(paging_build_pse32(&mem), -EFAULT);
	assert_contains(error_message(), "boot page directory at 0x90000 is not in guest RAM");
}

static void assert_real_segment(const struct kvm_segment *seg, uint16_t selector)
{
	assert_int_equal(seg->selector, selector);
	assert_int_equal(seg->base, (uint64_t)selector << 4);
	assert_int_equal(seg->limit, 0xffff);
}

static void test_boot_real(void **state)
{
	static const struct {
		uint64_t entry;
		uint16_t cs, ip;
	} cases[] = {
		{ 0x0, 0x0000, 0x0000 },
		{ 0x7c00, 0x0000, 0x7c00 },
		{ 0x12345, 0x1000, 0x2345 },
		{ 0xfffff, 0xf000, 0xffff },
	};
	struct boot_env *env = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		reset_sregs(&env->sregs);
		assert_int_equal(boot_setup(BOOT_MODE_REAL, cases[i].entry, &env->mem, &env->sregs,
					    &env->regs),
				 0);
		assert_real_segment(&env->sregs.cs, cases[i].cs);
		assert_real_segment(&env->sregs.ds, cases[i].cs);
		assert_real_segment(&env->sregs.es, cases[i].cs);
		assert_real_segment(&env->sregs.fs, cases[i].cs);
		assert_real_segment(&env->sregs.gs, cases[i].cs);
		assert_real_segment(&env->sregs.ss, cases[i].cs);
		assert_int_equal(env->regs.rip, cases[i].ip);
		assert_int_equal(env->regs.rsp, LAYOUT_REAL_STACK_TOP);
		assert_int_equal(env->regs.rflags, X86_RFLAGS_FIXED);
		assert_int_equal(env->regs.rax, 0);
		/* Still real mode: reset CR0, no EFER, no paging. */
		assert_int_equal(env->sregs.cr0, CR0_RESET);
		assert_false(env->sregs.cr0 & X86_CR0_PE);
		assert_int_equal(env->sregs.efer, 0);
	}
	/* Real mode writes no GDT: a real-mode guest owns low memory. */
	assert_int_equal(gdt_entry(&env->mem, 1), POISON64);
}

static void test_boot_real_bad_entry(void **state)
{
	struct boot_env *env = *state;

	assert_int_equal(
		boot_setup(BOOT_MODE_REAL, X86_REAL_MODE_LIMIT, &env->mem, &env->sregs, &env->regs),
		-EINVAL);
	assert_contains(error_message(), "entry 0x100000 is beyond real mode's 1 MiB");
	assert_int_equal(boot_setup(BOOT_MODE_REAL, UINT64_MAX, &env->mem, &env->sregs, &env->regs),
			 -EINVAL);
	assert_int_equal(env->sregs.cs.selector, 0xf000); /* untouched */
}

/* What protected, paging and long mode share: the flat GDT and segments, entry, stack. */
static void assert_flat_state(const struct boot_env *env, uint64_t entry, uint64_t code_desc)
{
	const struct kvm_sregs *s = &env->sregs;
	const struct kvm_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };

	assert_int_equal(s->cs.selector, GDT_SEL_CODE);
	assert_int_equal(gdt_descriptor(&s->cs), code_desc);
	for (size_t i = 0; i < ARRAY_SIZE(data); i++) {
		assert_int_equal(data[i]->selector, GDT_SEL_DATA);
		assert_int_equal(gdt_descriptor(data[i]), DESC_DATA);
	}
	assert_int_equal(s->gdt.base, LAYOUT_GDT);
	assert_int_equal(s->gdt.limit, 3 * sizeof(uint64_t) - 1);
	assert_int_equal(gdt_entry(&env->mem, 0), 0);
	assert_int_equal(gdt_entry(&env->mem, GDT_SEL_CODE >> GDT_SELECTOR_INDEX_SHIFT), code_desc);
	assert_int_equal(gdt_entry(&env->mem, GDT_SEL_DATA >> GDT_SELECTOR_INDEX_SHIFT), DESC_DATA);
	assert_int_equal(s->idt.base, 0);
	assert_int_equal(s->idt.limit, 0);
	assert_int_equal(env->regs.rip, entry);
	assert_int_equal(env->regs.rsp, LAYOUT_FLAT_STACK_TOP);
	assert_int_equal(env->regs.rflags, X86_RFLAGS_FIXED);
	assert_false(env->regs.rflags & X86_RFLAGS_IF);
	/* Protection on, caches on (CD and NW cleared). */
	assert_true(s->cr0 & X86_CR0_PE);
	assert_true(s->cr0 & X86_CR0_ET);
	assert_false(s->cr0 & (X86_CR0_CD | X86_CR0_NW));
}

static void test_boot_protected(void **state)
{
	struct boot_env *env = *state;

	assert_int_equal(
		boot_setup(BOOT_MODE_PROTECTED, FLAT_ENTRY, &env->mem, &env->sregs, &env->regs), 0);
	assert_flat_state(env, FLAT_ENTRY, DESC_CODE32);
	assert_int_equal(env->sregs.cr0, X86_CR0_PE | X86_CR0_ET);
	assert_int_equal(env->sregs.cr4, 0);
	assert_int_equal(env->sregs.efer, 0);
	/* No page tables. */
	assert_int_equal(env->mem.map[LAYOUT_PAGE_TABLES], RAM_POISON);

	/* The top of the 32-bit space is reachable; beyond is not. */
	assert_int_equal(
		boot_setup(BOOT_MODE_PROTECTED, UINT32_MAX, &env->mem, &env->sregs, &env->regs), 0);
	assert_int_equal(env->regs.rip, UINT32_MAX);
}

static void test_boot_paging(void **state)
{
	struct boot_env *env = *state;
	const uint64_t entry = LAYOUT_HIGHER_HALF + FLAT_ENTRY;

	assert_int_equal(boot_setup(BOOT_MODE_PAGING, entry, &env->mem, &env->sregs, &env->regs),
			 0);
	assert_flat_state(env, entry, DESC_CODE32);
	assert_int_equal(env->sregs.cr0, X86_CR0_PE | X86_CR0_ET | X86_CR0_PG | X86_CR0_WP);
	assert_int_equal(env->sregs.cr4, X86_CR4_PSE);
	assert_int_equal(env->sregs.cr3, LAYOUT_PD32);
	assert_int_equal(env->sregs.efer, 0);
	/* The page directory is there: the higher half maps to physical 0. */
	assert_int_equal(*(uint32_t *)guest_ptr(&env->mem, LAYOUT_PD32 + 512 * sizeof(uint32_t), 4),
			 0x87);
}

static void test_boot_long(void **state)
{
	struct boot_env *env = *state;
	const uint64_t entry = 0xffffffff80001000ULL; /* no 4 GiB limit in long mode */

	assert_int_equal(boot_setup(BOOT_MODE_LONG, entry, &env->mem, &env->sregs, &env->regs), 0);
	assert_flat_state(env, entry, DESC_CODE64);
	assert_int_equal(env->sregs.cs.l, 1);
	assert_int_equal(env->sregs.cs.db, 0);
	assert_int_equal(env->sregs.cr0, X86_CR0_PE | X86_CR0_ET | X86_CR0_PG | X86_CR0_WP);
	assert_int_equal(env->sregs.cr4, X86_CR4_PAE);
	assert_int_equal(env->sregs.cr3, LAYOUT_PML4);
	assert_int_equal(env->sregs.efer, X86_EFER_LME | X86_EFER_LMA);
	assert_int_equal(*(uint64_t *)guest_ptr(&env->mem, LAYOUT_PML4, 8),
			 LAYOUT_PDPT | PAGE_FLAGS);
}

static void test_boot_bad_entry_32bit(void **state)
{
	static const enum boot_mode modes[] = { BOOT_MODE_PROTECTED, BOOT_MODE_PAGING };
	struct boot_env *env = *state;
	char want[80];

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		assert_int_equal(
			boot_setup(modes[i], 1ULL << 32, &env->mem, &env->sregs, &env->regs),
			-EINVAL);
		snprintf(want, sizeof(want), "entry 0x100000000 is beyond 4 GiB in 32-bit %s mode",
			 boot_mode_name(modes[i]));
		assert_contains(error_message(), want);
	}
	/* Refused before anything was written. */
	assert_int_equal(gdt_entry(&env->mem, 1), POISON64);
	assert_int_equal(env->sregs.cr0, CR0_RESET);
}

static void test_boot_not_in_ram(void **state)
{
	static uint8_t low[LAYOUT_PAGE_TABLES];
	struct guest_memory mem = fake_memory(low, 0, sizeof(low));
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
	/* The GDT fits, the page tables do not. */
	reset_sregs(&sregs);
	assert_int_equal(boot_setup(BOOT_MODE_PROTECTED, FLAT_ENTRY, &mem, &sregs, &regs), 0);
	assert_int_equal(boot_setup(BOOT_MODE_LONG, FLAT_ENTRY, &mem, &sregs, &regs), -EFAULT);
	assert_contains(error_message(), "boot page tables");
	assert_int_equal(boot_setup(BOOT_MODE_PAGING, FLAT_ENTRY, &mem, &sregs, &regs), -EFAULT);
	assert_contains(error_message(), "boot page directory");

	/* No GDT either. */
	mem.regions[0].gpa = LAYOUT_HIGH_MEM;
	assert_int_equal(boot_setup(BOOT_MODE_PROTECTED, FLAT_ENTRY, &mem, &sregs, &regs), -EFAULT);
	assert_contains(error_message(), "GDT at 0x500 is not in guest RAM");
	/* Real mode needs no RAM of the VMM's. */
	assert_int_equal(boot_setup(BOOT_MODE_REAL, 0x7c00, &mem, &sregs, &regs), 0);
}

static void test_mode_names(void **state)
{
	static const struct {
		const char *name;
		enum boot_mode mode;
	} modes[] = {
		{ "real", BOOT_MODE_REAL },
		{ "protected", BOOT_MODE_PROTECTED },
		{ "paging", BOOT_MODE_PAGING },
		{ "long", BOOT_MODE_LONG },
	};
	static const char *const bad[] = { "auto", "Long", "", "pae", "real ", "?" };
	enum boot_mode mode;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		mode = BOOT_MODE_AUTO;
		assert_int_equal(boot_mode_parse(modes[i].name, &mode), 0);
		assert_int_equal(mode, modes[i].mode);
		assert_string_equal(boot_mode_name(modes[i].mode), modes[i].name);
	}
	assert_string_equal(boot_mode_name(BOOT_MODE_AUTO), "auto");
	assert_string_equal(boot_mode_name((enum boot_mode)99), "?");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		mode = BOOT_MODE_REAL;
		assert_int_equal(boot_mode_parse(bad[i], &mode), -EINVAL);
		assert_int_equal(mode, BOOT_MODE_REAL);
		assert_contains(error_message(), "expected real, protected, paging or long");
	}
}

static void test_reserved_ranges(void **state)
{
	struct boot_reserved r[4];

	(void)state;
	assert_int_equal(boot_reserved_ranges(BOOT_MODE_REAL, r, ARRAY_SIZE(r)), 0);

	assert_int_equal(boot_reserved_ranges(BOOT_MODE_PROTECTED, r, ARRAY_SIZE(r)), 1);
	assert_int_equal(r[0].start, LAYOUT_GDT);
	assert_int_equal(r[0].end, LAYOUT_GDT + LAYOUT_GDT_SIZE);
	assert_string_equal(r[0].what, "the boot GDT");

	assert_int_equal(boot_reserved_ranges(BOOT_MODE_PAGING, r, ARRAY_SIZE(r)), 2);
	assert_int_equal(r[1].start, 0x90000);
	assert_int_equal(r[1].end, 0x91000);
	assert_string_equal(r[1].what, "the boot page directory");

	assert_int_equal(boot_reserved_ranges(BOOT_MODE_LONG, r, ARRAY_SIZE(r)), 2);
	assert_int_equal(r[1].start, 0x90000);
	assert_int_equal(r[1].end, 0x96000);
	assert_string_equal(r[1].what, "the boot page tables");

	/* max is respected. */
	memset(r, 0, sizeof(r));
	assert_int_equal(boot_reserved_ranges(BOOT_MODE_LONG, r, 1), 1);
	assert_null(r[1].what);
	assert_int_equal(boot_reserved_ranges(BOOT_MODE_LONG, r, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_descriptors),
		cmocka_unit_test(test_descriptor_fields),
		cmocka_unit_test_setup_teardown(test_gdt_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gdt_install_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gdt_install_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_pse32, setup, teardown),
		cmocka_unit_test(test_paging_not_in_ram),
		cmocka_unit_test_setup_teardown(test_boot_real, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_real_bad_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_bad_entry_32bit, setup, teardown),
		cmocka_unit_test(test_boot_not_in_ram),
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_reserved_ranges),
	};

	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
