/* SPDX-License-Identifier: MIT */
/* Whether this host can run a snapshot's vCPUs: the CPU features the guest already saw. */
#ifndef MINI_KVM_SNAPSHOT_COMPAT_H
#define MINI_KVM_SNAPSHOT_COMPAT_H

#include <linux/kvm.h>
#include <stddef.h>

/*
 * Compare the CPUID a snapshot's vCPU had (saved[0 .. nsaved)) with what this host
 * would give it (now: cpuid_for_vcpu() of KVM_GET_SUPPORTED_CPUID): every feature
 * flag the guest saw must still be there, or its next use of one is a #UD (SDM 2A,
 * CPUID: leaf 1 ECX/EDX, leaf 7.0 EBX/ECX/EDX, leaf 0xd.1 EAX, leaf 0x80000001
 * ECX/EDX). Returns 0, or -ENOTSUP with a message naming the leaf, register and bits.
 */
int snapshot_cpuid_compatible(const struct kvm_cpuid_entry2 *saved, size_t nsaved,
			      const struct kvm_cpuid2 *now);

#endif
