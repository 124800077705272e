/* SPDX-License-Identifier: MIT */
/* Unit tests of the KVM side of the gdb stub (src/gdb_target.c): registers, guest-debug state. */
#include "unit.h"

#include <linux/kvm.h>

#include "gdb/hwbp.h"
#include "gdb/regs.h"
#include "gdb_target.h"

/* 1.0 as an 80-bit extended-precision value (SDM vol. 1, 4.2.2). */
static const uint8_t X87_ONE[GDB_X87_REG_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
#define TOP_SHIFT 11

/* A vCPU state where every field differs, so a swapped pair shows. */
static void fill_state(struct kvm_regs *r, struct kvm_sregs *s, struct kvm_fpu *f)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	memset(f, 0, sizeof(*f));
	r->rax = 0xa0;
	r->rbx = 0xb0;
	r->rcx = 0xc0;
	r->rdx = 0xd0;
	r->rsi = 0x51;
	r->rdi = 0xd1;
	r->rbp = 0xb9;
	r->rsp = 0x59;
	r->r8 = 8;
	r->r9 = 9;
	r->r10 = 10;
	r->r11 = 11;
	r->r12 = 12;
	r->r13 = 13;
	r->r14 = 14;
	r->r15 = 15;
	r->rip = 0x100050;
	r->rflags = 0x246;
	s->cs = (struct kvm_segment){ .base = 0,
				      .limit = 0xffffffff,
				      .selector = 8,
				      .l = 1,
				      .present = 1,
				      .type = 0xb,
				      .s = 1 };
	s->ss = (struct kvm_segment){ .base = 0x10, .limit = 0xfffff, .selector = 0x10 };
	s->ds = (struct kvm_segment){ .base = 0x20, .selector = 0x18 };
	s->es = (struct kvm_segment){ .base = 0x30, .selector = 0x20 };
	s->fs = (struct kvm_segment){ .base = 0xf5000, .selector = 0x28 };
	s->gs = (struct kvm_segment){ .base = 0x65000, .selector = 0x30 };
	s->ldt = (struct kvm_segment){ .base = 0x1d7, .limit = 0x17, .selector = 0x38 };
	s->tr = (struct kvm_segment){ .base = 0x755, .limit = 0x67, .selector = 0x40, .type = 0xb };
	s->gdt = (struct kvm_dtable){ .base = 0x500, .limit = 0x2f };
	s->idt = (struct kvm_dtable){ .base = 0x600, .limit = 0xfff };
	s->cr0 = 0x80010011;
	s->cr2 = 0xdead;
	s->cr3 = 0x90000;
	s->cr4 = 0x20;
	s->cr8 = 2;
	s->efer = 0x500;
	s->apic_base = 0xfee00900;
	memcpy(f->fpr[0], X87_ONE, sizeof(X87_ONE));
	f->fcw = 0x37f;
	f->fsw = 7 << TOP_SHIFT; /* TOP = 7: ST(0) is R7 */
	f->ftwx = 0x80;		 /* only R7 in use */
	f->last_opcode = 0x1d9;
	f->last_ip = 0x1234567890ULL;
	f->last_dp = 0xabcdef0123ULL;
	f->xmm[3][0] = 0x33;
	f->xmm[15][15] = 0xff;
	f->mxcsr = 0x1f80;
}

static void test_regs_from_kvm(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	struct gdb_regs g;

	(void)state;
	fill_state(&r, &s, &f);
	gdb_regs_from_kvm(&g, &r, &s, &f);
	/* gdb's order, not the hardware's: rax rbx rcx rdx rsi rdi rbp rsp r8..r15. */
	assert_int_equal(g.gpr[GDB_RAX], 0xa0);
	assert_int_equal(g.gpr[GDB_RBX], 0xb0);
	assert_int_equal(g.gpr[GDB_RCX], 0xc0);
	assert_int_equal(g.gpr[GDB_RDX], 0xd0);
	assert_int_equal(g.gpr[GDB_RSI], 0x51);
	assert_int_equal(g.gpr[GDB_RDI], 0xd1);
	assert_int_equal(g.gpr[GDB_RBP], 0xb9);
	assert_int_equal(g.gpr[GDB_RSP], 0x59);
	for (unsigned int i = GDB_R8; i <= GDB_R15; i++)
		assert_int_equal(g.gpr[i], 8 + (i - GDB_R8));
	assert_int_equal(g.rip, 0x100050);
	assert_int_equal(g.rflags, 0x246);
	assert_int_equal(g.seg[GDB_SEG_CS].selector, 8);
	assert_int_equal(g.seg[GDB_SEG_CS].l, 1);
	assert_int_equal(g.seg[GDB_SEG_SS].base, 0x10);
	assert_int_equal(g.seg[GDB_SEG_SS].limit, 0xfffff);
	assert_int_equal(g.seg[GDB_SEG_DS].selector, 0x18);
	assert_int_equal(g.seg[GDB_SEG_ES].base, 0x30);
	assert_int_equal(g.seg[GDB_SEG_FS].base, 0xf5000);
	assert_int_equal(g.seg[GDB_SEG_GS].selector, 0x30);
	assert_int_equal(g.ldtr.base, 0x1d7);
	assert_int_equal(g.tr.selector, 0x40);
	assert_int_equal(g.gdtr.base, 0x500);
	assert_int_equal(g.gdtr.limit, 0x2f);
	assert_int_equal(g.idtr.limit, 0xfff);
	assert_int_equal(g.cr0, 0x80010011);
	assert_int_equal(g.cr2, 0xdead);
	assert_int_equal(g.cr3, 0x90000);
	assert_int_equal(g.cr4, 0x20);
	assert_int_equal(g.cr8, 2);
	assert_int_equal(g.efer, 0x500);
	assert_memory_equal(g.st[0], X87_ONE, sizeof(X87_ONE));
	assert_int_equal(g.fctrl, 0x37f);
	assert_int_equal(g.fstat, 7 << TOP_SHIFT);
	/* R7 valid (00), every other register empty (11). */
	assert_int_equal(g.ftag, 0x3fff);
	assert_int_equal(g.fop, 0x1d9);
	assert_int_equal(g.fioff, 0x34567890);
	assert_int_equal(g.fooff, 0xcdef0123);
	assert_int_equal(g.xmm[3][0], 0x33);
	assert_int_equal(g.xmm[15][15], 0xff);
	assert_int_equal(g.mxcsr, 0x1f80);
	/* The description follows the mode: long mode here, and RIP is the PC. */
	assert_int_equal(gdb_regs_arch(&g), GDB_ARCH_X86_64);
	assert_int_equal(gdb_regs_pc(&g), 0x100050);
}

/* What gdb did not change comes back as it was; what it changed goes to KVM. */
static void test_regs_round_trip(void **state)
{
	struct kvm_regs r, r2;
	struct kvm_sregs s, s2;
	struct kvm_fpu f, f2;
	struct gdb_regs g;

	(void)state;
	fill_state(&r, &s, &f);
	gdb_regs_from_kvm(&g, &r, &s, &f);
	r2 = r;
	s2 = s;
	f2 = f;
	gdb_regs_to_kvm(&g, &r2, &s2, &f2);
	assert_memory_equal(&r, &r2, sizeof(r));
	assert_memory_equal(&s, &s2, sizeof(s));
	assert_memory_equal(&f, &f2, sizeof(f));

	g.gpr[GDB_RSI] = 0x5151;
	g.rip = 0x100060;
	g.seg[GDB_SEG_DS].selector = 0x10;
	g.seg[GDB_SEG_DS].l = 1; /* read-only hints: not written back */
	g.cr3 = 0xa0000;
	g.ftag = 0xffff; /* all empty */
	g.fioff = 0x11111111;
	gdb_regs_to_kvm(&g, &r2, &s2, &f2);
	assert_int_equal(r2.rsi, 0x5151);
	assert_int_equal(r2.rdi, 0xd1);
	assert_int_equal(r2.rip, 0x100060);
	assert_int_equal(s2.ds.selector, 0x10);
	assert_int_equal(s2.ds.l, 0);
	assert_int_equal(s2.ds.base, 0x20);
	assert_int_equal(s2.cr3, 0xa0000);
	assert_int_equal(s2.apic_base, 0xfee00900); /* gdb never sees it */
	assert_int_equal(s2.cs.type, 0xb);
	assert_int_equal(f2.ftwx, 0);
	/* The upper half of the 64-bit last instruction pointer stays. */
	assert_int_equal(f2.last_ip, 0x1211111111ULL);
}

static void test_guest_debug_detached(void **state)
{
	struct kvm_guest_debug dbg;
	struct gdb_hwbp hw;

	(void)state;
	gdb_hwbp_init(&hw);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_BP_HW, 0x1000, 1), 0);
	memset(&dbg, 0xa5, sizeof(dbg));
	/* No gdb: debugging off whatever is left, so the guest's int3 and #DB are its own. */
	gdb_guest_debug(&dbg, false, &hw, true);
	assert_int_equal(dbg.control, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(dbg.arch.debugreg); i++)
		assert_int_equal(dbg.arch.debugreg[i], 0);
}

static void test_guest_debug_attached(void **state)
{
	struct kvm_guest_debug dbg;
	struct gdb_hwbp hw;

	(void)state;
	gdb_hwbp_init(&hw);
	gdb_guest_debug(&dbg, true, &hw, false);
	assert_int_equal(dbg.control, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP);
	assert_int_equal(dbg.arch.debugreg[7], 0);

	gdb_guest_debug(&dbg, true, &hw, true);
	assert_int_equal(dbg.control,
			 KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_SINGLESTEP);

	/* An execution breakpoint in slot 0 and a 4-byte write watchpoint in slot 1. */
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_BP_HW, 0x100050, 1), 0);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, 0x106000, 4), 0);
	gdb_guest_debug(&dbg, true, &hw, false);
	assert_int_equal(dbg.control,
			 KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP);
	assert_int_equal(dbg.arch.debugreg[0], 0x100050);
	assert_int_equal(dbg.arch.debugreg[1], 0x106000);
	assert_int_equal(dbg.arch.debugreg[2], 0);
	assert_int_equal(dbg.arch.debugreg[7],
			 X86_DR7_FIXED_1 | X86_DR7_GE | X86_DR7_G(0) | X86_DR7_G(1) |
				 (uint64_t)X86_DR7_RW_WRITE << X86_DR7_RW_SHIFT(1) |
				 (uint64_t)X86_DR7_LEN_4 << X86_DR7_LEN_SHIFT(1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regs_from_kvm),
		cmocka_unit_test(test_regs_round_trip),
		cmocka_unit_test(test_guest_debug_detached),
		cmocka_unit_test(test_guest_debug_attached),
	};

	return cmocka_run_group_tests_name("gdb_target", tests, NULL, NULL);
}
