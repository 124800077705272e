/* SPDX-License-Identifier: MIT */
/* Per-vCPU CPUID: KVM's supported table with the APIC IDs filled in. */
#include "arch/x86/cpuid.h"

#include <stdlib.h>
#include <string.h>

#define CPUID_LEAF_FEATURES	0x1
#define CPUID_LEAF_CACHE	0x4
#define CPUID_LEAF_AMD_SIZES	0x80000008
#define CPUID_LEAF_TOPOLOGY	0xb
#define CPUID_LEAF_TOPOLOGY_V2	0x1f
#define CPUID_APIC_ID_SHIFT	24 /* leaf 1 EBX[31:24]: initial APIC ID */
#define CPUID_APIC_ID_MASK	0xffU
#define CPUID_LOGICAL_SHIFT	16 /* leaf 1 EBX[23:16]: addressable logical processor IDs */
#define CPUID_LOGICAL_MASK	0xffU
#define CPUID_1_EDX_HTT		(1U << 28) /* more than one logical processor per package */
#define CPUID_CACHE_CORES_SHIFT 26	   /* leaf 4 EAX[31:26]: cores per package - 1 */
#define CPUID_CACHE_CORES_MASK	0x3fU
#define CPUID_AMD_NC_MASK	0xffU /* 0x80000008 ECX[7:0]: cores - 1 (AMD APM 3, E.4.7) */
#define CPUID_AMD_ID_SIZE_SHIFT 12    /* 0x80000008 ECX[15:12]: APIC ID bits for the core */
#define CPUID_AMD_ID_SIZE_MASK	0xfU
#define TOPOLOGY_LEVEL_SMT	0
#define TOPOLOGY_LEVEL_CORE	1
#define TOPOLOGY_TYPE_SMT	1
#define TOPOLOGY_TYPE_CORE	2
#define TOPOLOGY_TYPE_SHIFT	8 /* leaf 0xb ECX[15:8]: level type */
/*
 * Leaf 1 ECX[31]: "running under a hypervisor". KVM's supported CPUID leaves it
 * clear; without it Linux never reads the KVM leaves at 0x40000000, so it gets no
 * kvm-clock and must calibrate the TSC against a PIT it may not use.
 */
#define CPUID_1_ECX_HYPERVISOR (1U << 31)

/* Bits to number n things: ceil(log2(n)), 0 for n <= 1. */
static unsigned int id_bits(unsigned int n)
{
	unsigned int bits = 0;

	while ((1U << bits) < n)
		bits++;
	return bits;
}

/*
 * Leaves 0xb/0x1f, one level per subleaf (SDM 2A, CPUID leaf 0BH): level 0 is
 * the thread (one per core), level 1 the core (ncpus per package), then none.
 */
static void topology_leaf(struct kvm_cpuid_entry2 *e, unsigned int apic_id, unsigned int ncpus)
{
	switch (e->index) {
	case TOPOLOGY_LEVEL_SMT:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (TOPOLOGY_TYPE_SMT << TOPOLOGY_TYPE_SHIFT) | e->index;
		break;
	case TOPOLOGY_LEVEL_CORE:
		e->eax = id_bits(ncpus);
		e->ebx = ncpus;
		e->ecx = (TOPOLOGY_TYPE_CORE << TOPOLOGY_TYPE_SHIFT) | e->index;
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index; /* level type 0: no more levels */
		break;
	}
	e->edx = apic_id;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int apic_id,
				  unsigned int ncpus)
{
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *cpuid = malloc(size);

	if (!cpuid)
		return NULL;
	memcpy(cpuid, supported, size);
	for (unsigned int i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case CPUID_LEAF_FEATURES:
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			e->ebx &= ~((CPUID_APIC_ID_MASK << CPUID_APIC_ID_SHIFT) |
				    (CPUID_LOGICAL_MASK << CPUID_LOGICAL_SHIFT));
			e->ebx |= (apic_id & CPUID_APIC_ID_MASK) << CPUID_APIC_ID_SHIFT;
			e->ebx |= ((1U << id_bits(ncpus)) & CPUID_LOGICAL_MASK)
				  << CPUID_LOGICAL_SHIFT;
			if (ncpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case CPUID_LEAF_CACHE:
			e->eax &= ~(CPUID_CACHE_CORES_MASK << CPUID_CACHE_CORES_SHIFT);
			e->eax |=
				(((ncpus - 1) & CPUID_CACHE_CORES_MASK) << CPUID_CACHE_CORES_SHIFT);
			break;
		case CPUID_LEAF_TOPOLOGY:
		case CPUID_LEAF_TOPOLOGY_V2:
			topology_leaf(e, apic_id, ncpus);
			break;
		case CPUID_LEAF_AMD_SIZES:
			e->ecx &= ~(CPUID_AMD_NC_MASK |
				    (CPUID_AMD_ID_SIZE_MASK << CPUID_AMD_ID_SIZE_SHIFT));
			e->ecx |= (ncpus - 1) & CPUID_AMD_NC_MASK;
			e->ecx |= (id_bits(ncpus) & CPUID_AMD_ID_SIZE_MASK)
				  << CPUID_AMD_ID_SIZE_SHIFT;
			break;
		}
	}
	return cpuid;
}
