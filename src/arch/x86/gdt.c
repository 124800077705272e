/* SPDX-License-Identifier: MIT */
/* Flat segment descriptors: one description (struct kvm_segment) serves both KVM and the GDT. */
#include "arch/x86/gdt.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "arch/x86/layout.h"
#include "arch/x86/x86.h"

#define FLAT_LIMIT	  0xffffffffU
#define GRANULARITY_SHIFT 12 /* G=1: limit counts 4 KiB units */

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = FLAT_LIMIT,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
}

struct kvm_segment gdt_flat_code32(uint16_t selector)
{
	return flat_segment(selector, X86_SEG_TYPE_CODE_XR);
}

struct kvm_segment gdt_flat_code64(uint16_t selector)
{
	struct kvm_segment seg = flat_segment(selector, X86_SEG_TYPE_CODE_XR);

	/* A 64-bit code segment has L=1 and D=0 (SDM 3A 5.2.1). */
	seg.l = 1;
	seg.db = 0;
	return seg;
}

struct kvm_segment gdt_flat_data(uint16_t selector)
{
	return flat_segment(selector, X86_SEG_TYPE_DATA_RW);
}

uint64_t gdt_descriptor(const struct kvm_segment *seg)
{
	uint64_t limit = seg->g ? seg->limit >> GRANULARITY_SHIFT : seg->limit;
	uint64_t base = seg->base;

	/* clang-format off: one field a line, in descriptor bit order */
	return (limit & 0xffffULL) |	      /* limit 15:0  -> bits 15:0 */
	       ((base & 0xffffffULL) << 16) | /* base 23:0   -> bits 39:16 */
	       ((uint64_t)(seg->type & 0xf) << 40) | ((uint64_t)(seg->s & 1) << 44) |
	       ((uint64_t)(seg->dpl & 3) << 45) | ((uint64_t)(seg->present & 1) << 47) |
	       (((limit >> 16) & 0xfULL) << 48) | /* limit 19:16 -> bits 51:48 */
	       ((uint64_t)(seg->avl & 1) << 52) | ((uint64_t)(seg->l & 1) << 53) |
	       ((uint64_t)(seg->db & 1) << 54) | ((uint64_t)(seg->g & 1) << 55) |
	       (((base >> 24) & 0xffULL) << 56); /* base 31:24  -> bits 63:56 */
						 /* clang-format on */
}

int gdt_install(const struct guest_memory *mem, const struct kvm_segment *segs, unsigned int n,
		struct kvm_dtable *gdtr)
{
	uint64_t table[LAYOUT_GDT_SIZE / sizeof(uint64_t)];
	unsigned int entries = 1; /* the null descriptor */

	memset(table, 0, sizeof(table));
	for (unsigned int i = 0; i < n; i++) {
		unsigned int index = segs[i].selector >> GDT_SELECTOR_INDEX_SHIFT;

		if (index >= sizeof(table) / sizeof(table[0]))
			return error_set(EINVAL, "GDT: selector 0x%x beyond the %llu-byte boot GDT",
					 segs[i].selector, LAYOUT_GDT_SIZE);
		table[index] = gdt_descriptor(&segs[i]);
		if (index + 1 > entries)
			entries = index + 1;
	}
	if (guest_write(mem, LAYOUT_GDT, table, entries * sizeof(table[0])))
		return error_set(EFAULT, "GDT at 0x%llx is not in guest RAM", LAYOUT_GDT);
	gdtr->base = LAYOUT_GDT;
	gdtr->limit = entries * sizeof(table[0]) - 1;
	return 0;
}
