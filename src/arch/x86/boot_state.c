/* SPDX-License-Identifier: MIT */
/* CPU state for each boot mode: segments, control registers, page tables, entry registers. */
#include "arch/x86/boot_state.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "arch/x86/gdt.h"
#include "arch/x86/layout.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"

/* clang-format off: one mode a line */
static const char *const mode_names[] = {
	[BOOT_MODE_AUTO] = "auto",	     [BOOT_MODE_REAL] = "real",
	[BOOT_MODE_PROTECTED] = "protected", [BOOT_MODE_PAGING] = "paging",
	[BOOT_MODE_LONG] = "long",	     [BOOT_MODE_LINUX] = "linux",
};
/* clang-format on */

const char *boot_mode_name(enum boot_mode mode)
{
	if ((unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	return "?";
}

int boot_mode_parse(const char *name, enum boot_mode *mode)
{
	for (unsigned int i = BOOT_MODE_REAL; i <= BOOT_MODE_LONG; i++) {
		if (!strcmp(name, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return error_set(EINVAL, "unknown mode '%s' (expected real, protected, paging or long)",
			 name);
}

unsigned int boot_reserved_ranges(enum boot_mode mode, struct boot_reserved *out, unsigned int max)
{
	unsigned int n = 0;

	if (mode == BOOT_MODE_REAL)
		return 0;
	if (n < max)
		out[n++] = (struct boot_reserved){ LAYOUT_GDT, LAYOUT_GDT + LAYOUT_GDT_SIZE,
						   "the boot GDT" };
	if (mode == BOOT_MODE_PAGING && n < max)
		out[n++] = (struct boot_reserved){ LAYOUT_PD32, LAYOUT_PD32 + LAYOUT_PAGE_SIZE,
						   "the boot page directory" };
	if ((mode == BOOT_MODE_LONG || mode == BOOT_MODE_LINUX) && n < max)
		out[n++] = (struct boot_reserved){ LAYOUT_PAGE_TABLES, LAYOUT_PAGE_TABLES_END,
						   "the boot page tables" };
	return n;
}

static void set_real_segment(struct kvm_segment *seg, uint16_t selector)
{
	seg->selector = selector;
	seg->base = (uint64_t)selector << X86_REAL_SEGMENT_SHIFT;
	seg->limit = X86_REAL_SEGMENT_LIMIT;
}

static int setup_real(uint64_t entry, struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	/* CS:IP with IP = the low 16 bits: entry 0x7c00 gives 0000:7c00, as a BIOS would. */
	uint16_t segment = (entry & ~X86_REAL_SEGMENT_LIMIT) >> X86_REAL_SEGMENT_SHIFT;

	if (entry >= X86_REAL_MODE_LIMIT)
		return error_set(EINVAL, "entry 0x%llx is beyond real mode's 1 MiB",
				 (unsigned long long)entry);
	set_real_segment(&sregs->cs, segment);
	set_real_segment(&sregs->ds, segment);
	set_real_segment(&sregs->es, segment);
	set_real_segment(&sregs->fs, segment);
	set_real_segment(&sregs->gs, segment);
	set_real_segment(&sregs->ss, segment);
	regs->rip = entry & X86_REAL_SEGMENT_LIMIT;
	regs->rsp = LAYOUT_REAL_STACK_TOP;
	return 0;
}

static int setup_flat_segments(const struct guest_memory *mem, struct kvm_segment code,
			       struct kvm_segment data, struct kvm_sregs *sregs)
{
	struct kvm_segment segs[] = { code, data };
	int ret = gdt_install(mem, segs, sizeof(segs) / sizeof(segs[0]), &sregs->gdt);

	if (ret < 0)
		return ret;
	sregs->cs = segs[0];
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = segs[1];
	sregs->idt.base = 0;
	sregs->idt.limit = 0; /* no IDT: the guest installs its own */
	return 0;
}

int boot_setup(enum boot_mode mode, uint64_t entry, const struct guest_memory *mem,
	       struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	int64_t cr3;
	int ret;

	memset(regs, 0, sizeof(*regs));
	regs->rflags = X86_RFLAGS_FIXED; /* interrupts off */

	if (mode == BOOT_MODE_REAL)
		return setup_real(entry, sregs, regs);
	switch (mode) {
	case BOOT_MODE_PROTECTED:
	case BOOT_MODE_PAGING:
		if (entry > UINT32_MAX)
			return error_set(EINVAL, "entry 0x%llx is beyond 4 GiB in 32-bit %s mode",
					 (unsigned long long)entry, boot_mode_name(mode));
		ret = setup_flat_segments(mem, gdt_flat_code32(GDT_SEL_CODE),
					  gdt_flat_data(GDT_SEL_DATA), sregs);
		break;
	case BOOT_MODE_LONG:
		ret = setup_flat_segments(mem, gdt_flat_code64(GDT_SEL_CODE),
					  gdt_flat_data(GDT_SEL_DATA), sregs);
		break;
	case BOOT_MODE_LINUX:
		/* boot.rst, 64-bit boot protocol: CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, flat. */
		ret = setup_flat_segments(mem, gdt_flat_code64(GDT_SEL_BOOT_CS),
					  gdt_flat_data(GDT_SEL_BOOT_DS), sregs);
		break;
	default:
		return error_set(EINVAL, "boot mode %d: not a mode a vCPU can start in", mode);
	}
	if (ret < 0)
		return ret;
	regs->rip = entry;
	regs->rsp = LAYOUT_FLAT_STACK_TOP;
	/* Caches on (CD and NW clear), as firmware leaves them. */
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET;

	switch (mode) {
	case BOOT_MODE_PAGING:
		cr3 = paging_build_pse32(mem);
		if (cr3 < 0)
			return cr3;
		sregs->cr3 = cr3;
		sregs->cr4 = X86_CR4_PSE;
		sregs->cr0 |= X86_CR0_PG | X86_CR0_WP;
		break;
	case BOOT_MODE_LONG:
	case BOOT_MODE_LINUX:
		cr3 = paging_build_long(mem);
		if (cr3 < 0)
			return cr3;
		sregs->cr3 = cr3;
		sregs->cr4 = X86_CR4_PAE;
		sregs->efer = X86_EFER_LME | X86_EFER_LMA;
		sregs->cr0 |= X86_CR0_PG | X86_CR0_WP;
		break;
	default:
		break;
	}
	return 0;
}
