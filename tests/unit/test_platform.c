/* SPDX-License-Identifier: MIT */
/* Unit tests of the PC platform: the E820 map (src/arch/x86/e820.c), KVM GSI routing (gsi.c). */
#include "unit.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>

#include "arch/x86/bootparams.h"
#include "arch/x86/e820.h"
#include "arch/x86/gsi.h"
#include "arch/x86/layout.h"

#define RAM_128M    (128 * LAYOUT_MIB)
#define RAM_3G	    (3 * LAYOUT_GIB)
#define RAM_5G	    (5 * LAYOUT_GIB)
#define TABLE_MAX   16
#define POISON_ADDR 0x5a5a5a5a5a5a5a5aULL

/* Entries below 1 MiB: conventional RAM, the EBDA, the BIOS area. */
#define E820_LEGACY 3

/* The legacy VGA and option ROM hole: never RAM, never reserved in the map. */
#define VGA_HOLE     0xa0000ULL
#define VGA_HOLE_END 0xe0000ULL

/* A PC's routes: 16 ISA IRQs to an 8259 and (but the cascade) the I/O APIC; then 8 pins. */
#define PIC_PINS       8
#define ISA_IRQS       16
#define GSI_ROUTES     (2 * ISA_IRQS - 1 + (GSI_IOAPIC_PINS - ISA_IRQS))
#define IRQ_PIT	       0
#define IRQ_CASCADE    2
#define IOAPIC_PIN_PIT 2

struct e820_map {
	struct boot_e820_entry e[TABLE_MAX];
	int n;
};

static void build(uint64_t ram, unsigned int max, struct e820_map *map)
{
	struct guest_memory mem;

	for (unsigned int i = 0; i < TABLE_MAX; i++)
		map->e[i] = (struct boot_e820_entry){ POISON_ADDR, POISON_ADDR, UINT32_MAX };
	assert_int_equal(guest_memory_init(&mem, ram), 0);
	map->n = e820_build(&mem, map->e, max);
	guest_memory_destroy(&mem);
}

static void assert_entry(const struct e820_map *map, int i, uint64_t addr, uint64_t end,
			 uint32_t type)
{
	assert_true(i < map->n);
	assert_int_equal(map->e[i].addr, addr);
	assert_int_equal(map->e[i].size, end - addr);
	assert_int_equal(map->e[i].type, type);
}

/* What every map has below 1 MiB, and what an OS needs of any map: sorted, disjoint. */
static void assert_sane(const struct e820_map *map)
{
	assert_true(map->n >= E820_LEGACY);
	assert_entry(map, 0, 0, LAYOUT_EBDA, E820_TYPE_RAM);
	assert_entry(map, 1, LAYOUT_EBDA, LAYOUT_LOW_RAM_END, E820_TYPE_RESERVED);
	assert_entry(map, 2, LAYOUT_BIOS_AREA, LAYOUT_BIOS_AREA_END, E820_TYPE_RESERVED);
	for (int i = 0; i < map->n; i++) {
		const struct boot_e820_entry *e = &map->e[i];

		assert_true(e->size > 0);
		if (i > 0)
			assert_true(e->addr >= map->e[i - 1].addr + map->e[i - 1].size);
		/* Nothing claims the VGA hole: not RAM, not reserved. */
		if (e->addr < VGA_HOLE_END && e->addr + e->size > VGA_HOLE)
			fail_msg("entry %d [0x%llx, +0x%llx) covers the VGA hole", i,
				 (unsigned long long)e->addr, (unsigned long long)e->size);
	}
	/* Nothing written past the entries returned. */
	if (map->n < TABLE_MAX)
		assert_int_equal(map->e[map->n].addr, POISON_ADDR);
}

static void test_e820_128m(void **state)
{
	struct e820_map map;

	(void)state;
	build(RAM_128M, TABLE_MAX, &map);
	assert_int_equal(map.n, E820_LEGACY + 1);
	assert_sane(&map);
	assert_entry(&map, 3, LAYOUT_HIGH_MEM, RAM_128M, E820_TYPE_RAM);
}

static void test_e820_3g(void **state)
{
	struct e820_map map;

	(void)state;
	/* Exactly up to the MMIO hole: still one RAM region, nothing at 4 GiB. */
	build(RAM_3G, TABLE_MAX, &map);
	assert_int_equal(map.n, E820_LEGACY + 1);
	assert_sane(&map);
	assert_entry(&map, 3, LAYOUT_HIGH_MEM, LAYOUT_MMIO_HOLE, E820_TYPE_RAM);
}

static void test_e820_5g(void **state)
{
	struct e820_map map;

	(void)state;
	build(RAM_5G, TABLE_MAX, &map);
	assert_int_equal(map.n, E820_LEGACY + 2);
	assert_sane(&map);
	assert_entry(&map, 3, LAYOUT_HIGH_MEM, LAYOUT_MMIO_HOLE, E820_TYPE_RAM);
	/* The 2 GiB that do not fit below the hole continue at 4 GiB. */
	assert_entry(&map, 4, LAYOUT_4GIB, LAYOUT_4GIB + RAM_5G - LAYOUT_MMIO_HOLE, E820_TYPE_RAM);
	/* The hole itself is no entry's. */
	for (int i = 0; i < map.n; i++)
		assert_false(map.e[i].addr < LAYOUT_4GIB &&
			     map.e[i].addr + map.e[i].size > LAYOUT_MMIO_HOLE);
}

static void test_e820_1m(void **state)
{
	struct e820_map map;

	(void)state;
	/* The smallest guest: no RAM above 1 MiB, so no empty entry for it. */
	build(LAYOUT_MEM_MIN, TABLE_MAX, &map);
	assert_int_equal(map.n, E820_LEGACY);
	assert_sane(&map);
}

static void test_e820_too_small(void **state)
{
	struct e820_map map;

	(void)state;
	build(RAM_128M, E820_LEGACY + 1, &map);
	assert_int_equal(map.n, E820_LEGACY + 1);
	build(RAM_128M, E820_LEGACY, &map);
	assert_int_equal(map.n, -ENOSPC);
	/* The table is not written past max. */
	assert_int_equal(map.e[E820_LEGACY].addr, POISON_ADDR);
	build(RAM_5G, E820_LEGACY + 1, &map);
	assert_int_equal(map.n, -ENOSPC);
	assert_int_equal(map.e[E820_LEGACY + 1].addr, POISON_ADDR);
	build(RAM_5G, 0, &map);
	assert_int_equal(map.n, -ENOSPC);
	assert_int_equal(map.e[0].addr, POISON_ADDR);
}

/* --- GSI routing --------------------------------------------------------- */

static int routing_setup(void **state)
{
	*state = gsi_routing_pc();
	return *state ? 0 : -1;
}

static int routing_teardown(void **state)
{
	free(*state);
	return 0;
}

static unsigned int count_routes(const struct kvm_irq_routing *r, unsigned int gsi)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nr; i++)
		n += r->entries[i].gsi == gsi;
	return n;
}

static bool has_route(const struct kvm_irq_routing *r, unsigned int gsi, unsigned int chip,
		      unsigned int pin)
{
	for (unsigned int i = 0; i < r->nr; i++) {
		const struct kvm_irq_routing_entry *e = &r->entries[i];

		if (e->gsi == gsi && e->u.irqchip.irqchip == chip && e->u.irqchip.pin == pin)
			return true;
	}
	return false;
}

static void test_gsi_isa(void **state)
{
	const struct kvm_irq_routing *r = *state;

	/* The PIT: master 8259 pin 0, but I/O APIC pin 2 (the MADT's override). */
	assert_int_equal(count_routes(r, IRQ_PIT), 2);
	assert_true(has_route(r, IRQ_PIT, KVM_IRQCHIP_PIC_MASTER, 0));
	assert_true(has_route(r, IRQ_PIT, KVM_IRQCHIP_IOAPIC, IOAPIC_PIN_PIT));
	/* The cascade reaches the master 8259 only. */
	assert_int_equal(count_routes(r, IRQ_CASCADE), 1);
	assert_true(has_route(r, IRQ_CASCADE, KVM_IRQCHIP_PIC_MASTER, IRQ_CASCADE));
	/* COM1. */
	assert_int_equal(count_routes(r, IRQ_COM1), 2);
	assert_true(has_route(r, IRQ_COM1, KVM_IRQCHIP_PIC_MASTER, IRQ_COM1));
	assert_true(has_route(r, IRQ_COM1, KVM_IRQCHIP_IOAPIC, IRQ_COM1));
	/* IRQ 9 (ACPI SCI on a PC): the slave 8259's pin 1. */
	assert_int_equal(count_routes(r, 9), 2);
	assert_true(has_route(r, 9, KVM_IRQCHIP_PIC_SLAVE, 1));
	assert_true(has_route(r, 9, KVM_IRQCHIP_IOAPIC, 9));
	assert_false(has_route(r, 9, KVM_IRQCHIP_PIC_MASTER, 1));
	/* Every ISA IRQ but the PIT and the cascade: its own 8259 pin and I/O APIC pin. */
	for (unsigned int irq = 0; irq < ISA_IRQS; irq++) {
		unsigned int chip = irq < PIC_PINS ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;

		assert_true(has_route(r, irq, chip, irq % PIC_PINS));
		if (irq != IRQ_PIT && irq != IRQ_CASCADE) {
			assert_int_equal(count_routes(r, irq), 2);
			assert_true(has_route(r, irq, KVM_IRQCHIP_IOAPIC, irq));
		}
	}
}

static void test_gsi_ioapic_only(void **state)
{
	const struct kvm_irq_routing *r = *state;

	for (unsigned int gsi = ISA_IRQS; gsi < GSI_IOAPIC_PINS; gsi++) {
		assert_int_equal(count_routes(r, gsi), 1);
		assert_true(has_route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi));
	}
	assert_int_equal(count_routes(r, GSI_IOAPIC_PINS), 0);
}

static void test_gsi_table(void **state)
{
	const struct kvm_irq_routing *r = *state;
	unsigned int pin_sources[GSI_IOAPIC_PINS] = { 0 };

	assert_int_equal(r->nr, GSI_ROUTES);
	assert_int_equal(r->flags, 0);
	for (unsigned int i = 0; i < r->nr; i++) {
		const struct kvm_irq_routing_entry *e = &r->entries[i];

		assert_int_equal(e->type, KVM_IRQ_ROUTING_IRQCHIP);
		assert_int_equal(e->flags, 0);
		assert_true(e->gsi < GSI_IOAPIC_PINS);
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			assert_true(e->u.irqchip.pin < GSI_IOAPIC_PINS);
			pin_sources[e->u.irqchip.pin]++;
		} else {
			assert_true(e->u.irqchip.pin < PIC_PINS);
		}
		/* KVM refuses two routes of one GSI to the same irqchip. */
		for (unsigned int j = 0; j < i; j++)
			if (r->entries[j].gsi == e->gsi &&
			    r->entries[j].u.irqchip.irqchip == e->u.irqchip.irqchip)
				fail_msg("GSI %u routed twice to irqchip %u", e->gsi,
					 e->u.irqchip.irqchip);
	}
	/* Each I/O APIC pin has one source, but pin 0 (the 8259's INTR on a PC) none. */
	assert_int_equal(pin_sources[0], 0);
	for (unsigned int pin = 1; pin < GSI_IOAPIC_PINS; pin++)
		assert_int_equal(pin_sources[pin], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_128m),
		cmocka_unit_test(test_e820_3g),
		cmocka_unit_test(test_e820_5g),
		cmocka_unit_test(test_e820_1m),
		cmocka_unit_test(test_e820_too_small),
		cmocka_unit_test_setup_teardown(test_gsi_isa, routing_setup, routing_teardown),
		cmocka_unit_test_setup_teardown(test_gsi_ioapic_only, routing_setup,
						routing_teardown),
		cmocka_unit_test_setup_teardown(test_gsi_table, routing_setup, routing_teardown),
	};

	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
