/* The CPUID a vCPU sees: KVM's supported leaves, with per-vCPU fields filled in. */
#ifndef MINI_KVM_CPUID_H
#define MINI_KVM_CPUID_H

#include <linux/kvm.h>

/*
 * A malloc()ed copy of supported (from KVM_GET_SUPPORTED_CPUID) for vCPU apic_id:
 * the initial APIC ID in leaf 1 EBX[31:24] and the x2APIC ID in leaves 0xb/0x1f EDX
 * (SDM 2A, CPUID). Returns NULL if out of memory. Free with free().
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int apic_id);

#endif
