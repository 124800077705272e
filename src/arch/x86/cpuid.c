/* Per-vCPU CPUID: KVM's supported table with the APIC IDs filled in. */
#include "cpuid.h"

#include <stdlib.h>
#include <string.h>

#define CPUID_LEAF_FEATURES    0x1
#define CPUID_LEAF_TOPOLOGY    0xb
#define CPUID_LEAF_TOPOLOGY_V2 0x1f
#define CPUID_APIC_ID_SHIFT    24 /* leaf 1 EBX[31:24]: initial APIC ID */
#define CPUID_APIC_ID_MASK     0xffU

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int apic_id)
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
			e->ebx &= ~(CPUID_APIC_ID_MASK << CPUID_APIC_ID_SHIFT);
			e->ebx |= (apic_id & CPUID_APIC_ID_MASK) << CPUID_APIC_ID_SHIFT;
			break;
		case CPUID_LEAF_TOPOLOGY:
		case CPUID_LEAF_TOPOLOGY_V2:
			e->edx = apic_id;
			break;
		}
	}
	return cpuid;
}
