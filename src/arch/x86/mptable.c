/* SPDX-License-Identifier: MIT */
/* MP spec 1.4 floating pointer and configuration table: CPUs, ISA bus, I/O APIC and IRQ routing. */
#include "arch/x86/mptable.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "arch/x86/irq_routing.h"
#include "arch/x86/fwtable.h"
#include "arch/x86/layout.h"

#define MP_SPEC_REV_1_4 4 /* "version 1.4", in both structures' SPEC_REV */

/* MP Floating Pointer Structure (MP spec 1.4 4.1, table 4-1). */
struct mp_floating_pointer {
	char signature[4];   /* "_MP_" */
	uint32_t physptr;    /* the configuration table's address */
	uint8_t length;	     /* of this structure, in MP_PARAGRAPH units */
	uint8_t spec_rev;    /* MP_SPEC_REV_1_4 */
	uint8_t checksum;    /* all bytes sum to 0 */
	uint8_t feature1;    /* MP_FEATURE1_CONFIG_TABLE */
	uint8_t feature2;    /* bit 7 IMCRP: 0 = virtual wire mode */
	uint8_t feature3[3]; /* reserved */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_floating_pointer) == 16, "MP floating pointer: 16 bytes");
FWTABLE_ASSERT_OFFSET(struct mp_floating_pointer, physptr, 4);
FWTABLE_ASSERT_OFFSET(struct mp_floating_pointer, checksum, 10);
FWTABLE_ASSERT_OFFSET(struct mp_floating_pointer, feature1, 11);
FWTABLE_ASSERT_OFFSET(struct mp_floating_pointer, feature2, 12);

#define MP_SIG_FLOATING "_MP_"
#define MP_PARAGRAPH	16
/* Feature byte 1: 0 = a configuration table is present (else: a default configuration). */
#define MP_FEATURE1_CONFIG_TABLE 0
/*
 * Feature byte 2, bit 7 (IMCRP) clear: no IMCR, the system is in virtual wire mode, so
 * the 8259's INTR reaches the BSP through LINT0 (3.6.2.2). KVM has no IMCR (ports
 * 0x22/0x23), and delivers the in-kernel PIC's interrupts through LINT0 ExtINT.
 */
#define MP_FEATURE2_VIRTUAL_WIRE 0

/* MP Configuration Table Header (4.2, table 4-2). */
struct mp_config_header {
	char signature[4];    /* "PCMP" */
	uint16_t base_length; /* header plus base table entries, in bytes */
	uint8_t spec_rev;     /* MP_SPEC_REV_1_4 */
	uint8_t checksum;     /* the base_length bytes sum to 0 */
	char oem_id[8];	      /* space-padded */
	char product_id[12];  /* space-padded */
	uint32_t oem_table_pointer;
	uint16_t oem_table_size;
	uint16_t entry_count;	/* base table entries */
	uint32_t lapic_address; /* every local APIC's MMIO base */
	uint16_t extended_table_length;
	uint8_t extended_table_checksum;
	uint8_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mp_config_header) == 44, "MP configuration table header: 44 bytes");
FWTABLE_ASSERT_OFFSET(struct mp_config_header, base_length, 4);
FWTABLE_ASSERT_OFFSET(struct mp_config_header, checksum, 7);
FWTABLE_ASSERT_OFFSET(struct mp_config_header, oem_id, 8);
FWTABLE_ASSERT_OFFSET(struct mp_config_header, product_id, 16);
FWTABLE_ASSERT_OFFSET(struct mp_config_header, entry_count, 34);
FWTABLE_ASSERT_OFFSET(struct mp_config_header, lapic_address, 36);
FWTABLE_ASSERT_OFFSET(struct mp_config_header, extended_table_length, 40);

#define MP_SIG_CONFIG "PCMP"
#define MP_OEM_ID     "MINI-KVM"
#define MP_PRODUCT_ID "VIRTUAL PC  "
_Static_assert(sizeof(MP_OEM_ID) - 1 == sizeof(((struct mp_config_header *)0)->oem_id),
	       "MP OEM ID: 8 characters");
_Static_assert(sizeof(MP_PRODUCT_ID) - 1 == sizeof(((struct mp_config_header *)0)->product_id),
	       "MP product ID: 12 characters");

/* Base table entry types (4.3, table 4-3); entries come sorted by type. */
#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS	   1
#define MP_ENTRY_IOAPIC	   2
#define MP_ENTRY_IOINTR	   3
#define MP_ENTRY_LINTR	   4

/* Processor entry (4.3.1, table 4-4). */
struct mp_processor {
	uint8_t type; /* MP_ENTRY_PROCESSOR */
	uint8_t apic_id;
	uint8_t apic_version; /* bits 0-7 of the local APIC's version register */
	uint8_t cpu_flags;    /* MP_CPU_ENABLED, MP_CPU_BSP */
	uint32_t signature;   /* CPUID leaf 1 EAX: stepping, model, family ... */
	uint32_t features;    /* CPUID leaf 1 EDX */
	uint32_t reserved[2];
} __attribute__((packed));
_Static_assert(sizeof(struct mp_processor) == 20, "MP processor entry: 20 bytes");
FWTABLE_ASSERT_OFFSET(struct mp_processor, cpu_flags, 3);
FWTABLE_ASSERT_OFFSET(struct mp_processor, signature, 4);
FWTABLE_ASSERT_OFFSET(struct mp_processor, features, 8);

#define MP_CPU_ENABLED (1U << 0) /* EN: usable */
#define MP_CPU_BSP     (1U << 1) /* BP: the bootstrap processor */
/* KVM's local APIC version register reads 0x14 in bits 0-7 (an integrated xAPIC). */
#define MP_LAPIC_VERSION 0x14
/* CPUID leaf 1: version information in EAX, feature flags in EDX (SDM 2A, CPUID). */
#define MP_CPUID_LEAF_VERSION 1

/* Bus entry (4.3.2, table 4-7). */
struct mp_bus {
	uint8_t type; /* MP_ENTRY_BUS */
	uint8_t bus_id;
	char bus_type[6]; /* space-padded, table 4-8 */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_bus) == 8, "MP bus entry: 8 bytes");
FWTABLE_ASSERT_OFFSET(struct mp_bus, bus_type, 2);

#define MP_BUS_ID_ISA	0
#define MP_BUS_TYPE_ISA "ISA   "
_Static_assert(sizeof(MP_BUS_TYPE_ISA) - 1 == sizeof(((struct mp_bus *)0)->bus_type),
	       "bus type string: 6 characters");

/* I/O APIC entry (4.3.3, table 4-9). */
struct mp_ioapic {
	uint8_t type; /* MP_ENTRY_IOAPIC */
	uint8_t ioapic_id;
	uint8_t ioapic_version; /* bits 0-7 of its version register */
	uint8_t flags;		/* MP_IOAPIC_ENABLED */
	uint32_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP I/O APIC entry: 8 bytes");
FWTABLE_ASSERT_OFFSET(struct mp_ioapic, address, 4);

#define MP_IOAPIC_ENABLED (1U << 0)
/* KVM's I/O APIC version register reads 0x11 in bits 0-7 (an 82093AA). */
#define MP_IOAPIC_VERSION 0x11

/*
 * I/O interrupt assignment (4.3.4, table 4-10) and local interrupt assignment (4.3.5,
 * table 4-12) entries: the same layout, but the destination of the first is an I/O APIC
 * pin and of the second a local APIC's LINTIN.
 */
struct mp_interrupt {
	uint8_t type;	     /* MP_ENTRY_IOINTR or MP_ENTRY_LINTR */
	uint8_t irq_type;    /* MP_IRQ_* (table 4-11) */
	uint16_t flags;	     /* polarity, trigger mode: IRQ_INTI_* */
	uint8_t src_bus_id;  /* MP_BUS_ID_ISA */
	uint8_t src_bus_irq; /* the ISA IRQ */
	uint8_t dst_apic_id; /* I/O APIC ID, or local APIC ID (MP_ALL_LAPICS: every one) */
	uint8_t dst_pin;     /* I/O APIC INTIN#, or LINTIN# */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_interrupt) == 8, "MP interrupt entries: 8 bytes");
FWTABLE_ASSERT_OFFSET(struct mp_interrupt, flags, 2);
FWTABLE_ASSERT_OFFSET(struct mp_interrupt, dst_pin, 7);

#define MP_IRQ_INT    0 /* a vectored interrupt; the vector comes from the APIC */
#define MP_IRQ_NMI    1
#define MP_IRQ_EXTINT 3 /* the vector comes from the 8259 */
#define MP_ALL_LAPICS 0xff

/* One ISA bus and one I/O APIC; two local interrupt entries (LINT0 ExtINT, LINT1 NMI). */
#define MP_BUS_COUNT	1
#define MP_IOAPIC_COUNT 1
#define MP_LINTR_COUNT	2

/* Every byte of both structures, for ncpus vCPUs. */
static size_t mptable_size(unsigned int ncpus, unsigned int *entries, size_t *base_length)
{
	unsigned int isa_routed = 0;

	for (unsigned int irq = 0; irq < IRQ_ISA_COUNT; irq++)
		isa_routed += irq_isa_to_gsi(irq) != IRQ_GSI_NONE;
	*entries = ncpus + MP_BUS_COUNT + MP_IOAPIC_COUNT + isa_routed + MP_LINTR_COUNT;
	*base_length = sizeof(struct mp_config_header) + ncpus * sizeof(struct mp_processor) +
		       MP_BUS_COUNT * sizeof(struct mp_bus) +
		       MP_IOAPIC_COUNT * sizeof(struct mp_ioapic) +
		       (isa_routed + MP_LINTR_COUNT) * sizeof(struct mp_interrupt);
	return sizeof(struct mp_floating_pointer) + *base_length;
}

/*
 * The processor entries' CPU signature and feature flags, which the spec wants "as
 * returned by the CPUID instruction" (4.3.1): the host's leaf 1, which is what
 * KVM_GET_SUPPORTED_CPUID passes on to the vCPUs for the signature (EAX), and a superset
 * of the features (EDX) it lets them see. OSes use neither: Linux reads only the APIC ID
 * and the flags of a processor entry. (The instruction itself, as <cpuid.h> is hidden
 * behind this directory's cpuid.h.)
 */
static void mptable_cpu_id(uint32_t *signature, uint32_t *features)
{
	uint32_t ebx, ecx;

	__asm__("cpuid"
		: "=a"(*signature), "=b"(ebx), "=c"(ecx), "=d"(*features)
		: "a"(MP_CPUID_LEAF_VERSION), "c"(0));
}

static void mptable_write_entries(uint8_t *p, unsigned int ncpus)
{
	uint8_t ioapic_id = irq_ioapic_id(ncpus);
	struct mp_bus bus = { .type = MP_ENTRY_BUS, .bus_id = MP_BUS_ID_ISA };
	struct mp_ioapic ioapic = { .type = MP_ENTRY_IOAPIC,
				    .ioapic_id = ioapic_id,
				    .ioapic_version = MP_IOAPIC_VERSION,
				    .flags = MP_IOAPIC_ENABLED,
				    .address = LAYOUT_IOAPIC };
	static const struct {
		uint8_t irq_type, pin;
	} lintr[MP_LINTR_COUNT] = {
		{ MP_IRQ_EXTINT, IRQ_LINT_EXTINT },
		{ MP_IRQ_NMI, IRQ_LINT_NMI },
	};
	uint32_t signature, features;
	size_t off = 0;

	mptable_cpu_id(&signature, &features);
	for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
		struct mp_processor proc = { .type = MP_ENTRY_PROCESSOR,
					     .apic_id = cpu,
					     .apic_version = MP_LAPIC_VERSION,
					     .cpu_flags =
						     MP_CPU_ENABLED | (cpu == 0 ? MP_CPU_BSP : 0),
					     .signature = signature,
					     .features = features };

		off += fwtable_put(p + off, &proc, sizeof(proc));
	}
	memcpy(bus.bus_type, MP_BUS_TYPE_ISA, sizeof(bus.bus_type));
	off += fwtable_put(p + off, &bus, sizeof(bus));
	off += fwtable_put(p + off, &ioapic, sizeof(ioapic));
	/* ISA IRQ n on pin n, but the PIT's IRQ 0 on pin 2 and the cascade on none. */
	for (unsigned int irq = 0; irq < IRQ_ISA_COUNT; irq++) {
		int gsi = irq_isa_to_gsi(irq);
		struct mp_interrupt intr = { .type = MP_ENTRY_IOINTR,
					     .irq_type = MP_IRQ_INT,
					     .flags = IRQ_INTI_CONFORMS,
					     .src_bus_id = MP_BUS_ID_ISA,
					     .src_bus_irq = irq,
					     .dst_apic_id = ioapic_id,
					     .dst_pin = gsi - IRQ_IOAPIC_GSI_BASE };

		if (gsi != IRQ_GSI_NONE)
			off += fwtable_put(p + off, &intr, sizeof(intr));
	}
	for (unsigned int i = 0; i < MP_LINTR_COUNT; i++) {
		struct mp_interrupt intr = { .type = MP_ENTRY_LINTR,
					     .irq_type = lintr[i].irq_type,
					     .flags = IRQ_INTI_CONFORMS,
					     .src_bus_id = MP_BUS_ID_ISA,
					     .src_bus_irq = 0,
					     .dst_apic_id = MP_ALL_LAPICS,
					     .dst_pin = lintr[i].pin };

		off += fwtable_put(p + off, &intr, sizeof(intr));
	}
}

/* The configuration table's 32-bit pointer must reach it. */
_Static_assert(LAYOUT_MPTABLE_END <= LAYOUT_4GIB, "MP tables must be 32-bit addressable");

int mptable_build(const struct guest_memory *mem, unsigned int ncpus)
{
	gpa_t config = LAYOUT_MPTABLE + sizeof(struct mp_floating_pointer);
	struct mp_floating_pointer mpf = { .physptr = (uint32_t)config,
					   .length = sizeof(mpf) / MP_PARAGRAPH,
					   .spec_rev = MP_SPEC_REV_1_4,
					   .feature1 = MP_FEATURE1_CONFIG_TABLE,
					   .feature2 = MP_FEATURE2_VIRTUAL_WIRE };
	struct mp_config_header hdr = { .spec_rev = MP_SPEC_REV_1_4,
					.lapic_address = LAYOUT_LAPIC };
	unsigned int entries;
	size_t size, base_length;
	uint8_t *base;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return error_set(EINVAL, "MP table for %u vCPUs: must be 1 to %u", ncpus,
				 MPTABLE_MAX_CPUS);
	size = mptable_size(ncpus, &entries, &base_length);
	if (LAYOUT_MPTABLE + size > LAYOUT_MPTABLE_END)
		return error_set(ENOSPC,
				 "MP table for %u vCPUs needs %zu bytes at 0x%llx, past 0x%llx",
				 ncpus, size, LAYOUT_MPTABLE, LAYOUT_MPTABLE_END);
	/* One check for the whole range, so that a failure writes nothing. */
	base = guest_ptr(mem, LAYOUT_MPTABLE, size);
	if (!base)
		return error_set(EFAULT, "MP table at 0x%llx-0x%llx: not guest RAM", LAYOUT_MPTABLE,
				 LAYOUT_MPTABLE + size);

	memcpy(hdr.signature, MP_SIG_CONFIG, sizeof(hdr.signature));
	memcpy(hdr.oem_id, MP_OEM_ID, sizeof(hdr.oem_id));
	memcpy(hdr.product_id, MP_PRODUCT_ID, sizeof(hdr.product_id));
	hdr.base_length = base_length;
	hdr.entry_count = entries;
	memcpy(base + sizeof(mpf), &hdr, sizeof(hdr));
	mptable_write_entries(base + sizeof(mpf) + sizeof(hdr), ncpus);
	base[sizeof(mpf) + offsetof(struct mp_config_header, checksum)] =
		fwtable_checksum(base + sizeof(mpf), base_length);

	memcpy(mpf.signature, MP_SIG_FLOATING, sizeof(mpf.signature));
	mpf.checksum = fwtable_checksum(&mpf, sizeof(mpf));
	memcpy(base, &mpf, sizeof(mpf));
	return 0;
}
