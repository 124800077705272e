/* SPDX-License-Identifier: MIT */
/* The CPUID a vCPU sees: KVM's supported leaves, with per-vCPU fields filled in. */
#ifndef MINI_KVM_CPUID_H
#define MINI_KVM_CPUID_H

#include <linux/kvm.h>

/*
 * A malloc()ed copy of supported (from KVM_GET_SUPPORTED_CPUID) for vCPU apic_id
 * of ncpus (SDM 2A, CPUID; AMD APM 3, appendix E): the APIC IDs (leaf 1 EBX[31:24],
 * leaves 0xb/0x1f EDX), a topology of ncpus single-threaded cores in one package
 * (leaves 1, 4, 0xb, 0x1f, 0x80000008), and the hypervisor bit (leaf 1 ECX[31])
 * so that guests find KVM's paravirtual leaves. Returns NULL if out of memory.
 * Free with free().
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int apic_id,
				  unsigned int ncpus);

#endif
