/* SPDX-License-Identifier: MIT */
/* Checking a snapshot's CPUID feature flags against the CPUID this host gives a vCPU. */
#include "snapshot/compat.h"

#include <errno.h>
#include <stdint.h>

#include "error.h"
#include "util.h"

enum cpuid_reg { REG_EAX, REG_EBX, REG_ECX, REG_EDX };

#define CPUID_LEAF_FEATURES	0x1	   /* ECX, EDX: the original feature flags */
#define CPUID_LEAF_EXT_FEATURES 0x7	   /* subleaf 0: structured extended features */
#define CPUID_LEAF_XSAVE	0xd	   /* subleaf 1 EAX: XSAVEOPT, XSAVEC, XSAVES ... */
#define CPUID_LEAF_AMD_FEATURES 0x80000001 /* ECX, EDX: extended features (LM, NX, SYSCALL) */

/*
 * Bits KVM changes at run time to mirror the guest's own settings, not the host's
 * features (Linux arch/x86/kvm/cpuid.c, kvm_update_cpuid_runtime()): OSXSAVE and
 * OSPKE follow CR4.OSXSAVE and CR4.PKE, APIC the APIC base MSR's enable bit, MONITOR
 * IA32_MISC_ENABLE's MWAIT bit.
 */
#define CPUID_1_ECX_MONITOR (1U << 3)
#define CPUID_1_ECX_OSXSAVE (1U << 27)
#define CPUID_1_EDX_APIC    (1U << 9)
#define CPUID_7_ECX_OSPKE   (1U << 4)

/* The feature-flag registers (SDM 2A, CPUID; AMD APM 3, appendix E). */
static const struct feature_word {
	uint32_t function, index;
	enum cpuid_reg reg;
	const char *name;
	uint32_t runtime; /* bits that mirror the guest's state (above): not compared */
} feature_words[] = {
	{ CPUID_LEAF_FEATURES, 0, REG_ECX, "1.ECX", CPUID_1_ECX_MONITOR | CPUID_1_ECX_OSXSAVE },
	{ CPUID_LEAF_FEATURES, 0, REG_EDX, "1.EDX", CPUID_1_EDX_APIC },
	{ CPUID_LEAF_EXT_FEATURES, 0, REG_EBX, "7.0.EBX", 0 },
	{ CPUID_LEAF_EXT_FEATURES, 0, REG_ECX, "7.0.ECX", CPUID_7_ECX_OSPKE },
	{ CPUID_LEAF_EXT_FEATURES, 0, REG_EDX, "7.0.EDX", 0 },
	{ CPUID_LEAF_XSAVE, 1, REG_EAX, "0xd.1.EAX", 0 },
	{ CPUID_LEAF_AMD_FEATURES, 0, REG_ECX, "0x80000001.ECX", 0 },
	{ CPUID_LEAF_AMD_FEATURES, 0, REG_EDX, "0x80000001.EDX", 0 },
};

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *e, size_t n,
					   uint32_t function, uint32_t index)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].function == function &&
		    (e[i].index == index || !(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return &e[i];
	return NULL;
}

static uint32_t reg_of(const struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	if (!e)
		return 0;
	switch (reg) {
	case REG_EAX:
		return e->eax;
	case REG_EBX:
		return e->ebx;
	case REG_ECX:
		return e->ecx;
	case REG_EDX:
		return e->edx;
	}
	return 0;
}

int snapshot_cpuid_compatible(const struct kvm_cpuid_entry2 *saved, size_t nsaved,
			      const struct kvm_cpuid2 *now)
{
	for (size_t i = 0; i < ARRAY_SIZE(feature_words); i++) {
		const struct feature_word *w = &feature_words[i];
		uint32_t had = reg_of(find(saved, nsaved, w->function, w->index), w->reg);
		uint32_t has = reg_of(find(now->entries, now->nent, w->function, w->index), w->reg);
		uint32_t missing = had & ~has & ~w->runtime;

		if (missing)
			return error_set(
				ENOTSUP,
				"the snapshot's vCPU had CPU features this host's KVM does "
				"not offer: CPUID %s bits 0x%08x",
				w->name, missing);
	}
	return 0;
}
