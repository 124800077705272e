/* SPDX-License-Identifier: MIT */
/* Unit tests of the MP table (src/arch/x86/mptable.c), found and read back the way an OS does. */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>

#include "arch/x86/acpi.h"
#include "error.h"
#include "arch/x86/layout.h"
#include "memory.h"
#include "arch/x86/mptable.h"

#define TEST_RAM (2 * LAYOUT_MIB)

/* Offsets from the MP spec 1.4's tables 4-1 to 4-12, independent of mptable.c's structs. */
#define MPF_SIZE	  16
#define MPF_PHYSPTR	  4
#define MPF_LENGTH	  8
#define MPF_SPEC_REV	  9
#define MPF_FEATURE1	  11
#define MPF_FEATURE2	  12
#define MPF_IMCRP	  (1U << 7)
#define MPC_BASE_LENGTH	  4
#define MPC_SPEC_REV	  6
#define MPC_OEM_ID	  8
#define MPC_OEM_TABLE_PTR 28
#define MPC_ENTRY_COUNT	  34
#define MPC_LAPIC_ADDRESS 36
#define MPC_EXT_LENGTH	  40
#define MPC_EXT_CHECKSUM  42
#define MPC_HEADER_SIZE	  44
#define ENTRY_PROCESSOR	  0
#define ENTRY_BUS	  1
#define ENTRY_IOAPIC	  2
#define ENTRY_IOINTR	  3
#define ENTRY_LINTR	  4
#define PROCESSOR_SIZE	  20
#define OTHER_ENTRY_SIZE  8
#define CPU_EN		  (1U << 0)
#define CPU_BP		  (1U << 1)
#define IOAPIC_EN	  (1U << 0)
#define IRQ_TYPE_INT	  0
#define IRQ_TYPE_NMI	  1
#define IRQ_TYPE_EXTINT	  3
#define ALL_APICS	  0xff
#define XAPIC_ID_COUNT	  256
#define CPUID_EDX_FPU	  (1U << 0)
#define CPUID_EDX_APIC	  (1U << 9)
#define ISA_IRQS	  16

/* The same offsets as in test_acpi.c, for the cross-check with the MADT. */
#define RSDP_XSDT	24
#define SDT_LENGTH	4
#define SDT_HEADER_SIZE 36
#define XSDT_ENTRY_SIZE 8
#define MADT_ENTRIES	44

/* This CPU's CPUID leaf 1 (<cpuid.h> is hidden behind src/arch/x86/cpuid.h). */
static void host_cpuid1(uint32_t *eax, uint32_t *edx)
{
	uint32_t ebx, ecx;

	__asm__("cpuid" : "=a"(*eax), "=b"(ebx), "=c"(ecx), "=d"(*edx) : "a"(1), "c"(0));
}

static int setup(void **state)
{
	return unit_memory_setup(state, TEST_RAM);
}

/* As Linux's smp_scan_config: 16-byte steps, "_MP_", length 1 paragraph, checksum. */
static uint64_t find_mpf(const struct guest_memory *mem)
{
	uint64_t found = 0;
	unsigned int hits = 0;

	for (uint64_t a = LAYOUT_BIOS_AREA; a < LAYOUT_BIOS_AREA_END; a += MPF_SIZE) {
		const uint8_t *p = guest_ptr(mem, a, MPF_SIZE);

		if (p && !memcmp(p, "_MP_", 4) && p[MPF_LENGTH] == 1 &&
		    unit_sum8(p, MPF_SIZE) == 0) {
			found = a;
			hits++;
		}
	}
	assert_int_equal(hits, 1);
	return found;
}

/* What the MP table says, gathered by walking its entries. */
struct mp_parsed {
	unsigned int ncpus, nbsp, bsp_id, nbus, nioapic, nintr, nlintr;
	unsigned int isa_bus_id, ioapic_id;
	int isa_pin[ISA_IRQS]; /* I/O APIC pin of each ISA IRQ, -1 if none */
	bool lint_extint0, lint_nmi1;
};

static void parse_mptable(const struct guest_memory *mem, unsigned int ncpus, struct mp_parsed *mp)
{
	bool apic_id_used[XAPIC_ID_COUNT] = { false };
	const uint8_t *mpf, *mpc, *e;
	uint32_t physptr, sig, features;
	uint16_t len, count;
	unsigned int last_type = 0;

	memset(mp, 0, sizeof(*mp));
	for (unsigned int i = 0; i < ISA_IRQS; i++)
		mp->isa_pin[i] = -1;
	assert_int_equal(find_mpf(mem), LAYOUT_MPTABLE);
	mpf = guest_ptr(mem, LAYOUT_MPTABLE, MPF_SIZE);
	assert_int_equal(mpf[MPF_SPEC_REV], 4);
	assert_int_equal(mpf[MPF_FEATURE1], 0);		    /* a configuration table follows */
	assert_int_equal(mpf[MPF_FEATURE2] & MPF_IMCRP, 0); /* virtual wire mode */

	physptr = unit_rd32(mpf + MPF_PHYSPTR);
	assert_int_equal(physptr, LAYOUT_MPTABLE + MPF_SIZE); /* right after the pointer */
	mpc = guest_ptr(mem, physptr, MPC_HEADER_SIZE);
	assert_non_null(mpc);
	assert_memory_equal(mpc, "PCMP", 4);
	len = unit_rd16(mpc + MPC_BASE_LENGTH);
	count = unit_rd16(mpc + MPC_ENTRY_COUNT);
	assert_true(len >= MPC_HEADER_SIZE && physptr + len <= LAYOUT_MPTABLE_END);
	mpc = guest_ptr(mem, physptr, len);
	assert_int_equal(unit_sum8(mpc, len), 0);
	assert_int_equal(mpc[MPC_SPEC_REV], 4);
	assert_int_equal(unit_rd32(mpc + MPC_LAPIC_ADDRESS), LAYOUT_LAPIC);
	assert_int_equal(unit_rd32(mpc + MPC_OEM_TABLE_PTR), 0);
	assert_int_equal(unit_rd16(mpc + MPC_EXT_LENGTH), 0);
	assert_int_equal(mpc[MPC_EXT_CHECKSUM], 0);
	assert_memory_equal(mpc + MPC_OEM_ID, "MINI-KVM", 8);

	host_cpuid1(&sig, &features);
	e = mpc + MPC_HEADER_SIZE;
	for (unsigned int i = 0; i < count; i++) {
		unsigned int size = e[0] == ENTRY_PROCESSOR ? PROCESSOR_SIZE : OTHER_ENTRY_SIZE;

		assert_true(e + size <= mpc + len);
		assert_true(e[0] >= last_type); /* sorted by type (4.3) */
		last_type = e[0];
		switch (e[0]) {
		case ENTRY_PROCESSOR: /* APIC ID, version, flags, signature, features */
			assert_int_equal(e[1], mp->ncpus);
			assert_false(apic_id_used[e[1]]);
			apic_id_used[e[1]] = true;
			assert_int_equal(e[2], 0x14);
			assert_true(e[3] & CPU_EN);
			if (e[3] & CPU_BP) {
				mp->nbsp++;
				mp->bsp_id = e[1];
			}
			assert_int_equal(unit_rd32(e + 4), sig);
			assert_int_equal(unit_rd32(e + 8), features);
			assert_int_equal(unit_rd32(e + 8) & (CPUID_EDX_FPU | CPUID_EDX_APIC),
					 CPUID_EDX_FPU | CPUID_EDX_APIC);
			mp->ncpus++;
			break;
		case ENTRY_BUS: /* bus ID, type string */
			assert_memory_equal(e + 2, "ISA   ", 6);
			mp->isa_bus_id = e[1];
			mp->nbus++;
			break;
		case ENTRY_IOAPIC: /* ID, version, flags, address */
			mp->ioapic_id = e[1];
			assert_int_equal(e[2], 0x11);
			assert_true(e[3] & IOAPIC_EN);
			assert_int_equal(unit_rd32(e + 4), LAYOUT_IOAPIC);
			mp->nioapic++;
			break;
		case ENTRY_IOINTR: /* type, flags, bus, bus IRQ, I/O APIC ID, pin */
			assert_int_equal(mp->nbus, 1);
			assert_int_equal(mp->nioapic, 1);
			assert_int_equal(e[1], IRQ_TYPE_INT);
			assert_int_equal(unit_rd16(e + 2), 0); /* conforms to ISA: edge, high */
			assert_int_equal(e[4], mp->isa_bus_id);
			assert_true(e[5] < ISA_IRQS);
			assert_int_equal(mp->isa_pin[e[5]], -1);
			assert_int_equal(e[6], mp->ioapic_id);
			mp->isa_pin[e[5]] = e[7];
			mp->nintr++;
			break;
		case ENTRY_LINTR: /* type, flags, bus, bus IRQ, local APIC ID, LINTIN# */
			assert_int_equal(e[6], ALL_APICS);
			if (e[1] == IRQ_TYPE_EXTINT && e[7] == 0)
				mp->lint_extint0 = true;
			else if (e[1] == IRQ_TYPE_NMI && e[7] == 1)
				mp->lint_nmi1 = true;
			else
				fail_msg("unexpected local interrupt %u on LINT%u", e[1], e[7]);
			mp->nlintr++;
			break;
		default:
			fail_msg("unexpected MP entry type %u", e[0]);
		}
		e += size;
	}
	/* The entry count and the base length agree. */
	assert_ptr_equal(e, mpc + len);
	assert_int_equal(mp->ncpus, ncpus);
	assert_false(apic_id_used[mp->ioapic_id]);
	assert_int_not_equal(mp->ioapic_id, ALL_APICS);
}

static void check_mptable(struct guest_memory *mem, unsigned int ncpus)
{
	struct mp_parsed mp;

	assert_int_equal(mptable_build(mem, ncpus), 0);
	parse_mptable(mem, ncpus, &mp);
	assert_int_equal(mp.nbsp, 1);
	assert_int_equal(mp.bsp_id, 0);
	assert_int_equal(mp.nbus, 1);
	assert_int_equal(mp.nioapic, 1);
	assert_int_equal(mp.ioapic_id, ncpus);
	/* ISA IRQs 0-15 but the cascade: IRQ 0 on pin 2, the others on their own pin. */
	assert_int_equal(mp.nintr, ISA_IRQS - 1);
	assert_int_equal(mp.isa_pin[0], 2);
	assert_int_equal(mp.isa_pin[2], -1);
	for (unsigned int irq = 1; irq < ISA_IRQS; irq++)
		if (irq != 2)
			assert_int_equal(mp.isa_pin[irq], irq);
	assert_int_equal(mp.nlintr, 2);
	assert_true(mp.lint_extint0);
	assert_true(mp.lint_nmi1);
}

static void test_1_cpu(void **state)
{
	check_mptable(*state, 1);
}

static void test_2_cpus(void **state)
{
	check_mptable(*state, 2);
}

static void test_8_cpus(void **state)
{
	check_mptable(*state, 8);
}

static void test_64_cpus(void **state)
{
	check_mptable(*state, 64);
}

static void test_max_cpus(void **state)
{
	check_mptable(*state, MPTABLE_MAX_CPUS);
}

static bool bios_area_is_zero(const struct guest_memory *mem)
{
	const uint8_t *p =
		guest_ptr(mem, LAYOUT_BIOS_AREA, LAYOUT_BIOS_AREA_END - LAYOUT_BIOS_AREA);

	for (uint64_t i = 0; i < LAYOUT_BIOS_AREA_END - LAYOUT_BIOS_AREA; i++)
		if (p[i])
			return false;
	return true;
}

static void test_bad_cpu_counts(void **state)
{
	struct guest_memory *mem = *state;
	char expect[64];

	assert_int_equal(mptable_build(mem, 0), -EINVAL);
	assert_contains(error_message(), "0 vCPUs");
	assert_int_equal(mptable_build(mem, MPTABLE_MAX_CPUS + 1), -EINVAL);
	snprintf(expect, sizeof(expect), "must be 1 to %u", MPTABLE_MAX_CPUS);
	assert_contains(error_message(), expect);
	assert_true(bios_area_is_zero(mem));
}

static void test_ram_too_small(void **state)
{
	struct guest_memory *mem = *state;
	uint64_t size = mem->regions[0].size;
	const uint8_t *p;

	/* RAM that ends where the MP table would start ... */
	mem->regions[0].size = LAYOUT_MPTABLE;
	assert_int_equal(mptable_build(mem, 2), -EFAULT);
	assert_contains(error_message(), "not guest RAM");
	/* ... or inside it: nothing is written, not even the floating pointer. */
	mem->regions[0].size = LAYOUT_MPTABLE + MPC_HEADER_SIZE;
	assert_int_equal(mptable_build(mem, 2), -EFAULT);
	p = guest_ptr(mem, LAYOUT_MPTABLE, MPC_HEADER_SIZE);
	assert_non_null(p);
	for (unsigned int i = 0; i < MPC_HEADER_SIZE; i++)
		assert_int_equal(p[i], 0);
	mem->regions[0].size = size;
	assert_true(bios_area_is_zero(mem));
}

/*
 * Both tables in one guest, as the VMM writes them: neither disturbs the other, and the
 * MADT describes the same I/O APIC and the same ISA IRQ -> pin wiring as the MP table.
 */
static void test_agrees_with_madt(void **state)
{
	struct guest_memory *mem = *state;
	struct acpi_config cfg = { .ncpus = 8 };
	const uint8_t *rsdp, *xsdt, *madt = NULL;
	int madt_pin[ISA_IRQS];
	unsigned int madt_ioapic_id = 0;
	struct mp_parsed mp;
	uint32_t len;

	assert_int_equal(mptable_build(mem, cfg.ncpus), 0);
	assert_int_equal(acpi_build(mem, &cfg), LAYOUT_ACPI);
	parse_mptable(mem, cfg.ncpus, &mp);

	rsdp = guest_ptr(mem, LAYOUT_ACPI, SDT_HEADER_SIZE);
	xsdt = guest_ptr(mem, unit_rd32(rsdp + RSDP_XSDT), SDT_HEADER_SIZE);
	len = unit_rd32(xsdt + SDT_LENGTH);
	for (uint32_t off = SDT_HEADER_SIZE; off < len; off += XSDT_ENTRY_SIZE) {
		const uint8_t *t = guest_ptr(mem, unit_rd32(xsdt + off), SDT_HEADER_SIZE);

		if (!memcmp(t, "APIC", 4))
			madt = t;
	}
	assert_non_null(madt);
	/* No override: ISA IRQ n is GSI n (ACPI 6.5 5.2.12.5); the cascade has no pin. */
	for (unsigned int irq = 0; irq < ISA_IRQS; irq++)
		madt_pin[irq] = irq;
	madt_pin[2] = -1;
	len = unit_rd32(madt + SDT_LENGTH);
	for (uint32_t off = MADT_ENTRIES; off < len; off += madt[off + 1]) {
		const uint8_t *e = madt + off;

		if (e[0] == 1) /* I/O APIC, GSI base 0 */
			madt_ioapic_id = e[2];
		if (e[0] == 2 && e[3] < ISA_IRQS) /* interrupt source override */
			madt_pin[e[3]] = unit_rd32(e + 4);
	}
	assert_int_equal(madt_ioapic_id, mp.ioapic_id);
	assert_memory_equal(madt_pin, mp.isa_pin, sizeof(madt_pin));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_1_cpu, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_2_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_8_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_64_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_max_cpus, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_bad_cpu_counts, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_ram_too_small, setup, unit_memory_teardown),
		cmocka_unit_test_setup_teardown(test_agrees_with_madt, setup, unit_memory_teardown),
	};

	return cmocka_run_group_tests_name("mptable", tests, NULL, NULL);
}
