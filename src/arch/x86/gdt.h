/* SPDX-License-Identifier: MIT */
/* Flat GDTs for the boot modes, and the descriptor encoding (SDM 3A 3.4.5). */
#ifndef MINI_KVM_GDT_H
#define MINI_KVM_GDT_H

#include <linux/kvm.h>
#include <stdint.h>

#include "memory.h"

/* The boot selectors (GDT_SEL_CODE, GDT_SEL_DATA ...) are in layout.h: guests use them too. */
#include "arch/x86/layout.h"

#define GDT_SELECTOR_INDEX_SHIFT 3

/* Flat 4 GiB ring-0 segments, as KVM wants them in struct kvm_sregs. */
struct kvm_segment gdt_flat_code32(uint16_t selector);
struct kvm_segment gdt_flat_code64(uint16_t selector);
struct kvm_segment gdt_flat_data(uint16_t selector);

/* The 8-byte descriptor that loads as seg (SDM 3A figure 3-8). */
uint64_t gdt_descriptor(const struct kvm_segment *seg);

/*
 * Write a GDT at LAYOUT_GDT holding a descriptor for each of the n segments at its
 * selector's index (null elsewhere), and describe it in *gdtr.
 * Returns 0, -EINVAL if a selector lies beyond LAYOUT_GDT_SIZE, or -EFAULT if the
 * GDT is not in guest RAM.
 */
int gdt_install(const struct guest_memory *mem, const struct kvm_segment *segs, unsigned int n,
		struct kvm_dtable *gdtr);

#endif
