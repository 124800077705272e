/* SPDX-License-Identifier: MIT */
/* gdb on a KVM VM: target ops over KVM ioctls and guest RAM; the vCPU loop's debug hooks. */
#include "gdb_target.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/x86.h"
#include "error.h"
#include "gdb/gdb_server.h"
#include "gdb/runctl.h"
#include "gdb/stub.h"
#include "memory.h"
#include "vm.h"

/* Guest pages are translated one 4 KiB page at a time (KVM_TRANSLATE gives one address). */
#define PAGE_SIZE_4K 4096ULL
#define PAGE_MASK_4K (PAGE_SIZE_4K - 1)
/* Outside long mode, linear addresses are 32 bits wide. */
#define LINEAR_MASK_32 0xffffffffULL
/* Bits of a 64-bit paging entry that hold the next table's (or page's) address (SDM 3A, 4.5). */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define PT_LEVELS     4 /* PML4, PDPT, PD, PT */
#define PT_INDEX_BITS 9
#define PT_INDEX_MASK 0x1ffULL
#define PAGE_SHIFT_4K 12
/* A segment selector's RPL, and CS's RPL is the CPL (SDM 3A, 5.5). */
#define SELECTOR_RPL_MASK 3
/* The #BP and #DB vectors a KVM_EXIT_DEBUG names (SDM 3A, 6.15). */
#define VECTOR_DB 1
#define VECTOR_BP 3
/* kvm_fpu keeps 64-bit last_ip/last_dp; gdb's fioff/fooff are their low 32 bits. */
#define FPU_OFFSET_MASK 0xffffffffULL
/* Linux signal numbers that gdb's own numbering (gdb/signals.def) shares. */
#define LINUX_SIGHUP	1
#define LINUX_SIGINT	2
#define LINUX_SIGQUIT	3
#define LINUX_SIGKILL	9
#define LINUX_SIGPIPE	13
#define LINUX_SIGALRM	14
#define LINUX_SIGTERM	15
#define GDB_SIGNAL_ALRM 14
/* An exit status as a process's: its low 8 bits ('W'). */
#define EXIT_STATUS_MASK 0xff

/* What gdb is told where this host's KVM cannot do what it asks (gdb_stub shows it). */
#define HINT_SW_IN_DR                                                                      \
	"breakpoints where this host's KVM does not trap int3 (ring-0 or real-mode code "  \
	"on kvm_pvm) or on pages not mapped yet use the debug registers DR0-DR3: four at " \
	"most, shared with hbreak"
#define HINT_SW_IN_DR_FULL                                                              \
	"this host's KVM does not trap int3 in ring-0 or real-mode code, and all four " \
	"debug registers are in use: delete a breakpoint or hbreak"
#define HINT_NO_BP                                                                       \
	"this host's KVM traps neither int3 nor debug registers in this code (mini-kvm " \
	"check: sw-bp, hw-bp): no breakpoints here; where step is yes, stepi and watch " \
	"in software (set can-use-hw-watchpoints 0) still work"
#define HINT_HW_NOT_HERE \
	"this host's KVM does not trap debug registers in this code: use break (int3)"
#define HINT_HW_FULL "all four debug registers (DR0-DR3) are in use: delete a hbreak or watch"
#define HINT_NO_WATCH                                                        \
	"this host's KVM does not trap data watchpoints (debug registers): " \
	"`set can-use-hw-watchpoints 0` makes gdb watch in software (it single-steps)"

/* What one vCPU last gave KVM_SET_GUEST_DEBUG (its own thread only). */
struct gdb_vcpu_debug {
	bool applied;	     /* guest debugging was set at least once */
	uint64_t generation; /* g->generation it reflects */
	bool step;
};

struct gdb_vm {
	struct vm *vm;
	const struct vm_gdb_config *cfg;
	struct vcpu_debug hooks;
	struct gdb_stub stub;
	struct gdb_runctl rc;
	struct gdb_server srv;
	bool stub_ready, rc_ready;

	/* Guards hw, attached and hinted; generation changes under it too. */
	pthread_mutex_t lock;
	struct gdb_hwbp hw;
	bool attached; /* gdb controls the VM: int3 and debug exits are its */
	bool hinted;   /* HINT_SW_IN_DR was shown */
	/* Bumped at every change of the debug state; vCPUs compare it before KVM_RUN. */
	_Atomic uint64_t generation;
	struct gdb_vcpu_debug *vcpu_debug; /* one per vCPU */
};

/* ---- registers ---- */

static void segment_from_kvm(struct gdb_segment *out, const struct kvm_segment *s)
{
	*out = (struct gdb_segment){
		.base = s->base, .limit = s->limit, .selector = s->selector, .l = s->l, .db = s->db
	};
}

/* gdb sets selector, base and limit; the hidden attributes stay (read-modify-write). */
static void segment_to_kvm(struct kvm_segment *s, const struct gdb_segment *in)
{
	s->base = in->base;
	s->limit = in->limit;
	s->selector = in->selector;
}

void gdb_regs_from_kvm(struct gdb_regs *out, const struct kvm_regs *regs,
		       const struct kvm_sregs *sregs, const struct kvm_fpu *fpu)
{
	const struct kvm_segment *segs[GDB_SEG_COUNT] = {
		[GDB_SEG_CS] = &sregs->cs, [GDB_SEG_SS] = &sregs->ss, [GDB_SEG_DS] = &sregs->ds,
		[GDB_SEG_ES] = &sregs->es, [GDB_SEG_FS] = &sregs->fs, [GDB_SEG_GS] = &sregs->gs,
	};
	const uint64_t gpr[GDB_GPR_COUNT] = {
		[GDB_RAX] = regs->rax, [GDB_RBX] = regs->rbx, [GDB_RCX] = regs->rcx,
		[GDB_RDX] = regs->rdx, [GDB_RSI] = regs->rsi, [GDB_RDI] = regs->rdi,
		[GDB_RBP] = regs->rbp, [GDB_RSP] = regs->rsp, [GDB_R8] = regs->r8,
		[GDB_R9] = regs->r9,   [GDB_R10] = regs->r10, [GDB_R11] = regs->r11,
		[GDB_R12] = regs->r12, [GDB_R13] = regs->r13, [GDB_R14] = regs->r14,
		[GDB_R15] = regs->r15,
	};
	uint8_t st[GDB_X87_REGS][GDB_X87_REG_SIZE];

	memset(out, 0, sizeof(*out));
	memcpy(out->gpr, gpr, sizeof(gpr));
	out->rip = regs->rip;
	out->rflags = regs->rflags;
	for (unsigned int i = 0; i < GDB_SEG_COUNT; i++)
		segment_from_kvm(&out->seg[i], segs[i]);
	segment_from_kvm(&out->ldtr, &sregs->ldt);
	segment_from_kvm(&out->tr, &sregs->tr);
	out->gdtr = (struct gdb_dtable){ .base = sregs->gdt.base, .limit = sregs->gdt.limit };
	out->idtr = (struct gdb_dtable){ .base = sregs->idt.base, .limit = sregs->idt.limit };
	out->cr0 = sregs->cr0;
	out->cr2 = sregs->cr2;
	out->cr3 = sregs->cr3;
	out->cr4 = sregs->cr4;
	out->cr8 = sregs->cr8;
	out->efer = sregs->efer;

	for (unsigned int i = 0; i < GDB_X87_REGS; i++)
		memcpy(st[i], fpu->fpr[i], GDB_X87_REG_SIZE);
	memcpy(out->st, st, sizeof(st));
	out->fctrl = fpu->fcw;
	out->fstat = fpu->fsw;
	out->ftag = gdb_x87_tag_full(fpu->ftwx, fpu->fsw, st);
	out->fop = fpu->last_opcode;
	out->fioff = (uint32_t)(fpu->last_ip & FPU_OFFSET_MASK);
	out->fooff = (uint32_t)(fpu->last_dp & FPU_OFFSET_MASK);
	memcpy(out->xmm, fpu->xmm, sizeof(out->xmm));
	out->mxcsr = fpu->mxcsr;
}

void gdb_regs_to_kvm(const struct gdb_regs *in, struct kvm_regs *regs, struct kvm_sregs *sregs,
		     struct kvm_fpu *fpu)
{
	struct kvm_segment *segs[GDB_SEG_COUNT] = {
		[GDB_SEG_CS] = &sregs->cs, [GDB_SEG_SS] = &sregs->ss, [GDB_SEG_DS] = &sregs->ds,
		[GDB_SEG_ES] = &sregs->es, [GDB_SEG_FS] = &sregs->fs, [GDB_SEG_GS] = &sregs->gs,
	};
	__u64 *gpr[GDB_GPR_COUNT] = {
		[GDB_RAX] = &regs->rax, [GDB_RBX] = &regs->rbx, [GDB_RCX] = &regs->rcx,
		[GDB_RDX] = &regs->rdx, [GDB_RSI] = &regs->rsi, [GDB_RDI] = &regs->rdi,
		[GDB_RBP] = &regs->rbp, [GDB_RSP] = &regs->rsp, [GDB_R8] = &regs->r8,
		[GDB_R9] = &regs->r9,	[GDB_R10] = &regs->r10, [GDB_R11] = &regs->r11,
		[GDB_R12] = &regs->r12, [GDB_R13] = &regs->r13, [GDB_R14] = &regs->r14,
		[GDB_R15] = &regs->r15,
	};

	for (unsigned int i = 0; i < GDB_GPR_COUNT; i++)
		*gpr[i] = in->gpr[i];
	regs->rip = in->rip;
	regs->rflags = in->rflags;
	for (unsigned int i = 0; i < GDB_SEG_COUNT; i++)
		segment_to_kvm(segs[i], &in->seg[i]);
	segment_to_kvm(&sregs->ldt, &in->ldtr);
	segment_to_kvm(&sregs->tr, &in->tr);
	sregs->gdt.base = in->gdtr.base;
	sregs->gdt.limit = in->gdtr.limit;
	sregs->idt.base = in->idtr.base;
	sregs->idt.limit = in->idtr.limit;
	sregs->cr0 = in->cr0;
	sregs->cr2 = in->cr2;
	sregs->cr3 = in->cr3;
	sregs->cr4 = in->cr4;
	sregs->cr8 = in->cr8;
	sregs->efer = in->efer;

	for (unsigned int i = 0; i < GDB_X87_REGS; i++)
		memcpy(fpu->fpr[i], in->st[i], GDB_X87_REG_SIZE);
	fpu->fcw = (uint16_t)in->fctrl;
	fpu->fsw = (uint16_t)in->fstat;
	fpu->ftwx = gdb_x87_tag_abridged((uint16_t)in->ftag);
	fpu->last_opcode = (uint16_t)in->fop;
	fpu->last_ip = (fpu->last_ip & ~FPU_OFFSET_MASK) | in->fioff;
	fpu->last_dp = (fpu->last_dp & ~FPU_OFFSET_MASK) | in->fooff;
	memcpy(fpu->xmm, in->xmm, sizeof(fpu->xmm));
	fpu->mxcsr = in->mxcsr;
}

void gdb_guest_debug(struct kvm_guest_debug *dbg, bool attached, const struct gdb_hwbp *hw,
		     bool step)
{
	uint64_t dr[GDB_HWBP_SLOTS], dr7;

	memset(dbg, 0, sizeof(*dbg));
	if (!attached)
		return; /* debugging off: the guest's int3 and #DB are its own again */
	dbg->control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	if (gdb_hwbp_any(hw)) {
		dbg->control |= KVM_GUESTDBG_USE_HW_BP;
		gdb_hwbp_debugregs(hw, dr, &dr7);
		for (unsigned int i = 0; i < GDB_HWBP_SLOTS; i++)
			dbg->arch.debugreg[i] = dr[i];
		dbg->arch.debugreg[7] = dr7;
	}
	if (step)
		dbg->control |= KVM_GUESTDBG_SINGLESTEP;
}

static struct vcpu *vcpu_of(struct gdb_vm *g, unsigned int index)
{
	return &g->vm->vcpus[index];
}

/*
 * A parked vCPU's general and system registers. vcpu.c hands registers to KVM
 * through kvm_run (kvm_dirty_regs): what a device changed at the last exit (a
 * hypercall's result) reaches KVM only at the next KVM_RUN, so it is the truth.
 */
static int get_state(struct vcpu *v, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	if (ioctl(v->fd, KVM_GET_REGS, regs) < 0)
		return error_errno(errno, "KVM_GET_REGS on vCPU %u", v->index);
	if (ioctl(v->fd, KVM_GET_SREGS, sregs) < 0)
		return error_errno(errno, "KVM_GET_SREGS on vCPU %u", v->index);
	if (v->run->kvm_dirty_regs & KVM_SYNC_X86_REGS)
		*regs = v->run->s.regs.regs;
	if (v->run->kvm_dirty_regs & KVM_SYNC_X86_SREGS)
		*sregs = v->run->s.regs.sregs;
	return 0;
}

static int op_read_registers(void *opaque, unsigned int vcpu, struct gdb_regs *out)
{
	struct vcpu *v = vcpu_of(opaque, vcpu);
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	int ret = get_state(v, &regs, &sregs);

	if (ret < 0)
		return ret;
	if (ioctl(v->fd, KVM_GET_FPU, &fpu) < 0)
		return error_errno(errno, "KVM_GET_FPU on vCPU %u", v->index);
	gdb_regs_from_kvm(out, &regs, &sregs, &fpu);
	return 0;
}

/*
 * Set only what gdb changed (KVM_SET_SREGS also resets the MMU context: not for a
 * changed RAX). The copy in kvm_run follows, so that a pending kvm_dirty_regs hands
 * KVM the new values, not stale ones.
 */
static int op_write_registers(void *opaque, unsigned int vcpu, const struct gdb_regs *in)
{
	struct vcpu *v = vcpu_of(opaque, vcpu);
	struct kvm_regs regs0, regs;
	struct kvm_sregs sregs0, sregs;
	struct kvm_fpu fpu0, fpu;
	int ret = get_state(v, &regs0, &sregs0);

	if (ret < 0)
		return ret;
	if (ioctl(v->fd, KVM_GET_FPU, &fpu0) < 0)
		return error_errno(errno, "KVM_GET_FPU on vCPU %u", v->index);
	regs = regs0;
	sregs = sregs0;
	fpu = fpu0;
	gdb_regs_to_kvm(in, &regs, &sregs, &fpu);
	if (memcmp(&sregs, &sregs0, sizeof(sregs))) {
		if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
			return error_errno(errno, "KVM_SET_SREGS on vCPU %u", v->index);
		v->run->s.regs.sregs = sregs;
	}
	if (memcmp(&regs, &regs0, sizeof(regs))) {
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
			return error_errno(errno, "KVM_SET_REGS on vCPU %u", v->index);
		v->run->s.regs.regs = regs;
	}
	if (memcmp(&fpu, &fpu0, sizeof(fpu)) && ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return error_errno(errno, "KVM_SET_FPU on vCPU %u", v->index);
	return 0;
}

/* ---- memory ---- */

/*
 * The guest-physical address of linear address addr for vCPU v (sregs: its state):
 * through its page tables (KVM_TRANSLATE) when paging is on; else linear is
 * physical (real mode, protected mode without paging: 32 bits). 0 or -EFAULT.
 */
static int translate(struct vcpu *v, const struct kvm_sregs *sregs, uint64_t addr, uint64_t *gpa)
{
	struct kvm_translation tr = { .linear_address = addr };

	if (!(sregs->cr0 & X86_CR0_PG)) {
		*gpa = sregs->efer & X86_EFER_LMA ? addr : addr & LINEAR_MASK_32;
		return 0;
	}
	if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return -EFAULT;
	*gpa = tr.physical_address;
	return 0;
}

/* Copy between buf and linear [addr, addr + len), page by page; the bytes done, or -EFAULT. */
static ssize_t access_memory(struct gdb_vm *g, unsigned int vcpu, uint64_t addr, void *buf,
			     size_t len, bool write)
{
	struct vcpu *v = vcpu_of(g, vcpu);
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	size_t done = 0;
	int ret = get_state(v, &regs, &sregs);

	if (ret < 0)
		return ret;
	while (done < len) {
		uint64_t linear = addr + done, gpa;
		size_t chunk = PAGE_SIZE_4K - (linear & PAGE_MASK_4K);
		uint8_t *p;

		if (chunk > len - done)
			chunk = len - done;
		if (translate(v, &sregs, linear, &gpa) < 0)
			break;
		p = guest_ptr(&g->vm->mem, gpa, chunk);
		if (!p)
			break; /* MMIO or past RAM: not memory gdb can touch */
		if (write)
			memcpy(p, (const uint8_t *)buf + done, chunk);
		else
			memcpy((uint8_t *)buf + done, p, chunk);
		done += chunk;
	}
	return done ? (ssize_t)done : -EFAULT;
}

static ssize_t op_read_memory(void *opaque, unsigned int vcpu, uint64_t addr, void *buf, size_t len)
{
	return access_memory(opaque, vcpu, addr, buf, len, false);
}

static ssize_t op_write_memory(void *opaque, unsigned int vcpu, uint64_t addr, const void *buf,
			       size_t len)
{
	return access_memory(opaque, vcpu, addr, (void *)buf, len, true);
}

/* ---- breakpoints ---- */

/*
 * Whether linear addr is user-accessible through 4-level page tables at cr3: the
 * U/S bit set at every level (SDM 3A, 4.6.1). A missing page counts as supervisor.
 * (5-level paging, CR4.LA57, is not walked: mini-kvm's guests do not use it.)
 */
static bool user_page(struct gdb_vm *g, uint64_t cr3, uint64_t addr)
{
	uint64_t table = cr3 & PTE_ADDR_MASK;

	for (int level = PT_LEVELS; level >= 1; level--) {
		unsigned int shift = PAGE_SHIFT_4K + PT_INDEX_BITS * (level - 1);
		uint64_t index = (addr >> shift) & PT_INDEX_MASK, entry;
		const uint64_t *e =
			guest_ptr(&g->vm->mem, table + index * sizeof(entry), sizeof(entry));

		if (!e)
			return false;
		entry = __atomic_load_n(e, __ATOMIC_RELAXED);
		if (!(entry & X86_PTE_PRESENT) || !(entry & X86_PTE_USER))
			return false;
		if (level > 1 && level < PT_LEVELS && (entry & X86_PTE_PS))
			return true; /* a 1 GiB or 2 MiB page */
		table = entry & PTE_ADDR_MASK;
	}
	return true;
}

/*
 * Whether the code at linear addr runs in ring 0 (or real mode) for vCPU vcpu, as
 * the probes split them (kvm_pvm emulates it, runs ring 3 natively): real mode; a
 * supervisor page in long mode (only ring 0 can run it); else, a user page or no
 * paging, the vCPU's current privilege level (a bare guest's pages are all user
 * pages, run in ring 0).
 */
static bool kernel_code(struct gdb_vm *g, unsigned int vcpu, uint64_t addr)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (get_state(vcpu_of(g, vcpu), &regs, &sregs) < 0)
		return true;
	if (!(sregs.cr0 & X86_CR0_PE))
		return true;
	if ((sregs.efer & X86_EFER_LMA) && (sregs.cr0 & X86_CR0_PG) &&
	    !user_page(g, sregs.cr3, addr))
		return true;
	return (sregs.cs.selector & SELECTOR_RPL_MASK) == 0;
}

/* Whether linear addr is guest RAM for vCPU vcpu now (an int3 can be written there). */
static bool mapped(struct gdb_vm *g, unsigned int vcpu, uint64_t addr)
{
	uint8_t byte;

	return access_memory(g, vcpu, addr, &byte, sizeof(byte), false) == sizeof(byte);
}

/* What this host's KVM traps for code at addr (everything, if it was not probed). */
static struct vm_gdb_host host_caps(struct gdb_vm *g, unsigned int vcpu, uint64_t addr)
{
	if (!g->cfg->host_known)
		return (struct vm_gdb_host){
			.sw_bp = true, .hw_bp = true, .watch = true, .step = true
		};
	return kernel_code(g, vcpu, addr) ? g->cfg->kernel : g->cfg->user;
}

/* A new debug state: every vCPU applies it before its next KVM_RUN. Lock held. */
static void debug_changed(struct gdb_vm *g)
{
	atomic_fetch_add(&g->generation, 1);
}

static int hw_insert(struct gdb_vm *g, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	int ret;

	pthread_mutex_lock(&g->lock);
	ret = gdb_hwbp_insert(&g->hw, type, addr, len);
	if (ret == 0)
		debug_changed(g);
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static int hw_remove(struct gdb_vm *g, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	int ret;

	pthread_mutex_lock(&g->lock);
	ret = gdb_hwbp_remove(&g->hw, type, addr, len);
	if (ret == 0)
		debug_changed(g);
	pthread_mutex_unlock(&g->lock);
	return ret;
}

/*
 * Z0: the stub writes int3, which KVM_GUESTDBG_USE_SW_BP makes exit -- where this
 * host's KVM traps it and the page is mapped; otherwise (kvm_pvm: ring 0, real mode;
 * a kernel's address before it turns paging on) a debug register takes it. Z1-Z4: a
 * debug register; a watchpoint this host cannot trap anywhere is refused with the
 * way to watch in software. Source: GDB manual, E.3 Packets, 'Z type,addr,kind'.
 */
static int op_insert_breakpoint(void *opaque, enum gdb_bp_type type, uint64_t addr, uint64_t kind,
				const char **hint)
{
	struct gdb_vm *g = opaque;
	struct vm_gdb_host caps = { .watch = true };
	int ret;

	if (type == GDB_BP_SW || type == GDB_BP_HW)
		caps = host_caps(g, g->stub.g_vcpu, addr);
	else if (g->cfg->host_known)
		caps.watch = g->cfg->kernel.watch || g->cfg->user.watch;
	switch (type) {
	case GDB_BP_SW:
		/* A page not mapped yet (a kernel before its paging is on) takes no int3. */
		if (caps.sw_bp && mapped(g, g->stub.g_vcpu, addr))
			return 0;
		if (!caps.hw_bp) {
			*hint = HINT_NO_BP;
			return -ENOTSUP;
		}
		ret = hw_insert(g, GDB_BP_HW, addr, GDB_X86_INT3_LEN);
		if (ret == -ENOSPC)
			*hint = HINT_SW_IN_DR_FULL;
		if (ret < 0)
			return ret;
		pthread_mutex_lock(&g->lock);
		if (!g->hinted)
			*hint = HINT_SW_IN_DR; /* once: gdb inserts breakpoints at every resume */
		g->hinted = true;
		pthread_mutex_unlock(&g->lock);
		return GDB_BP_DONE_BY_TARGET;
	case GDB_BP_HW:
		if (!caps.hw_bp) {
			*hint = caps.sw_bp ? HINT_HW_NOT_HERE : HINT_NO_BP;
			return -ENOTSUP;
		}
		break;
	default:
		if (!caps.watch) {
			*hint = HINT_NO_WATCH;
			return -ENOTSUP;
		}
		break;
	}
	ret = hw_insert(g, type, addr, kind);
	if (ret == -ENOSPC)
		*hint = HINT_HW_FULL;
	return ret;
}

static int op_remove_breakpoint(void *opaque, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct gdb_vm *g = opaque;

	if (type == GDB_BP_SW) {
		/* In a debug register if insert put it there; an int3 needs nothing here. */
		hw_remove(g, GDB_BP_HW, addr, GDB_X86_INT3_LEN);
		return 0;
	}
	return hw_remove(g, type, addr, kind);
}

/* ---- run control ---- */

static int op_resume(void *opaque, const enum gdb_resume *actions)
{
	struct gdb_vm *g = opaque;

	return gdb_runctl_resume(&g->rc, actions);
}

static void op_interrupt(void *opaque)
{
	struct gdb_vm *g = opaque;

	pthread_mutex_lock(&g->lock);
	if (!g->attached) {
		g->attached = true; /* int3 exits from here on: gdb's, and the guest's own */
		debug_changed(g);
	}
	pthread_mutex_unlock(&g->lock);
	gdb_runctl_interrupt(&g->rc);
}

static void op_detach(void *opaque)
{
	struct gdb_vm *g = opaque;

	pthread_mutex_lock(&g->lock);
	g->attached = false;
	gdb_hwbp_init(&g->hw);
	debug_changed(g);
	pthread_mutex_unlock(&g->lock);
	gdb_runctl_detach(&g->rc);
}

static void op_kill(void *opaque)
{
	struct gdb_vm *g = opaque;

	vm_stop(g->vm, VM_END_GDB_KILL, 0, -1, "killed by gdb");
}

static const struct gdb_target_ops target_ops = {
	.read_registers = op_read_registers,
	.write_registers = op_write_registers,
	.read_memory = op_read_memory,
	.write_memory = op_write_memory,
	.insert_breakpoint = op_insert_breakpoint,
	.remove_breakpoint = op_remove_breakpoint,
	.resume = op_resume,
	.interrupt = op_interrupt,
	.kill = op_kill,
	.detach = op_detach,
};

static void rc_kick(void *opaque, unsigned int vcpu)
{
	struct gdb_vm *g = opaque;

	vcpu_kick(vcpu_of(g, vcpu));
}

static void rc_report(void *opaque, unsigned int vcpu, const struct gdb_stop *stop)
{
	struct gdb_vm *g = opaque;

	gdb_stub_stopped(&g->stub, vcpu, stop);
}

/* ---- the vCPU loop's hooks (each on its vCPU's thread) ---- */

/* Give KVM this vCPU's debug state if it changed since the last KVM_RUN. */
static enum vcpu_outcome apply_debug(struct gdb_vm *g, struct vcpu *vcpu, bool step)
{
	struct gdb_vcpu_debug *d = &g->vcpu_debug[vcpu->index];
	struct kvm_guest_debug dbg;
	uint64_t generation;

	if (d->generation == atomic_load(&g->generation) && d->step == step)
		return VCPU_CONTINUE; /* the common case: one atomic load */
	pthread_mutex_lock(&g->lock);
	generation = atomic_load(&g->generation);
	gdb_guest_debug(&dbg, g->attached, &g->hw, step);
	pthread_mutex_unlock(&g->lock);
	/* KVM starts with debugging off: nothing to switch off before the first time. */
	if (dbg.control || d->applied) {
		if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
			snprintf(vcpu->message, sizeof(vcpu->message),
				 "KVM_SET_GUEST_DEBUG (control 0x%x) on vCPU %u: %s", dbg.control,
				 vcpu->index, strerror(errno));
			return VCPU_KVM_ERROR;
		}
		d->applied = true;
	}
	d->generation = generation;
	d->step = step;
	return VCPU_CONTINUE;
}

static enum vcpu_outcome hook_enter(void *opaque, struct vcpu *vcpu)
{
	struct gdb_vm *g = opaque;
	int action = gdb_runctl_enter(&g->rc, vcpu->index);

	if (action < 0)
		return VCPU_STOPPED; /* the VM ends */
	return apply_debug(g, vcpu, action == GDB_RESUME_STEP);
}

/*
 * #BP: an int3 (gdb's or the guest's: the stub tells them apart). #DB: a debug
 * register's hit or a finished single step (DR6); one of neither (the guest's own
 * TF, say) is still a stop, as SIGTRAP. Without gdb (it just detached) the exit is
 * stale: the vCPU runs on, debugging off, and the guest's int3 reaches its IDT.
 */
static enum vcpu_outcome hook_debug_exit(void *opaque, struct vcpu *vcpu)
{
	struct gdb_vm *g = opaque;
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;
	struct gdb_stop stop = { .kind = GDB_STOP_INT3 };

	if (d->exception != VECTOR_BP) {
		int ret;

		pthread_mutex_lock(&g->lock);
		ret = gdb_hwbp_decode_dr6(&g->hw, d->dr6, &stop);
		pthread_mutex_unlock(&g->lock);
		if (ret < 0)
			stop = (struct gdb_stop){ .kind = GDB_STOP_SIGNAL,
						  .signal = GDB_SIGNAL_TRAP };
	}
	gdb_runctl_event(&g->rc, vcpu->index, &stop);
	return VCPU_CONTINUE;
}

/* Whether the vCPU's instruction is an int3 (cc, or cd 03): a KVM that failed to emulate it. */
static bool int3_at_pc(struct gdb_vm *g, struct vcpu *vcpu)
{
	uint8_t insn[GDB_X86_INT_IMM8_LEN] = { 0 };
	struct gdb_regs regs;

	if (op_read_registers(g, vcpu->index, &regs) < 0 ||
	    access_memory(g, vcpu->index, gdb_regs_pc(&regs), insn, sizeof(insn), false) < 1)
		return false;
	return insn[0] == GDB_X86_INT3 ||
	       (insn[0] == GDB_X86_INT_IMM8 && insn[1] == GDB_X86_BP_VECTOR);
}

/*
 * A vCPU's death under gdb: gdb sees it first, as SIGSEGV, stopped where it
 * died; the VM ends when gdb lets it go on. An int3 that this host's KVM failed to
 * emulate (kvm_pvm, ring 0) is a stop like any int3, and the vCPU lives on.
 */
static enum vcpu_outcome hook_ending(void *opaque, struct vcpu *vcpu, enum vcpu_outcome o)
{
	struct gdb_vm *g = opaque;
	struct gdb_stop stop = { .kind = GDB_STOP_SIGNAL, .signal = GDB_SIGNAL_SEGV };
	bool int3 = false;

	if (o != VCPU_SHUTDOWN && o != VCPU_FAILED)
		return o;
	if (o == VCPU_FAILED && vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    vcpu->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && int3_at_pc(g, vcpu)) {
		stop.kind = GDB_STOP_INT3;
		int3 = true;
	}
	if (!gdb_runctl_event(&g->rc, vcpu->index, &stop))
		return o; /* no gdb attached */
	if (gdb_runctl_enter(&g->rc, vcpu->index) < 0 || !int3)
		return o; /* parked until gdb resumed it: now it dies */
	return VCPU_CONTINUE;
}

/* ---- life ---- */

/* What gdb hears when the VM ends (E.4 Stop Reply Packets: W exit status, X signal). */
static struct gdb_stop end_stop(const struct vm_result *r)
{
	struct gdb_stop exited = { .kind = GDB_STOP_EXITED, .status = 0 };
	struct gdb_stop killed = { .kind = GDB_STOP_KILLED, .signal = GDB_SIGNAL_KILL };

	switch (r->end) {
	case VM_END_EXIT:
		exited.status = r->status & EXIT_STATUS_MASK;
		return exited;
	case VM_END_DIED:
		killed.signal = GDB_SIGNAL_SEGV;
		return killed;
	case VM_END_TIMEOUT:
		killed.signal = GDB_SIGNAL_ALRM;
		return killed;
	case VM_END_SIGNAL:
		switch (r->status) {
		case LINUX_SIGHUP:
		case LINUX_SIGINT:
		case LINUX_SIGQUIT:
		case LINUX_SIGKILL:
		case LINUX_SIGPIPE:
		case LINUX_SIGALRM:
		case LINUX_SIGTERM:
			killed.signal = r->status; /* the same number in gdb's list */
			break;
		}
		return killed;
	case VM_END_ERROR:
		return killed;
	default:
		return exited; /* halt, power-off, reset, Ctrl-A x, gdb's kill: status 0 */
	}
}

int gdb_vm_create(struct vm *vm, struct gdb_vm **out)
{
	const struct vm_config *config = vm->config;
	const struct gdb_runctl_ops rc_ops = { .kick = rc_kick, .report = rc_report };
	struct gdb_stub_config stub_cfg;
	struct gdb_vm *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return error_set(ENOMEM, "no memory for the gdb stub");
	g->vcpu_debug = calloc(config->cpus, sizeof(*g->vcpu_debug));
	if (!g->vcpu_debug) {
		free(g);
		return error_set(ENOMEM, "no memory for the gdb stub");
	}
	g->vm = vm;
	g->cfg = &config->gdb;
	pthread_mutex_init(&g->lock, NULL);
	gdb_hwbp_init(&g->hw);
	/* --gdb-wait: attached from the start, so that the first KVM_RUN already has debugging on. */
	g->attached = config->gdb.wait;
	atomic_store(&g->generation, 1);
	g->hooks = (struct vcpu_debug){ .enter = hook_enter,
					.debug_exit = hook_debug_exit,
					.ending = hook_ending,
					.opaque = g };
	ret = gdb_runctl_init(&g->rc, config->cpus, config->gdb.wait, &rc_ops, g);
	if (ret < 0) {
		ret = error_set(-ret, "gdb: %u vCPUs (at most %u)", config->cpus,
				GDB_STUB_MAX_VCPUS);
		goto fail;
	}
	g->rc_ready = true;
	stub_cfg = (struct gdb_stub_config){
		.nvcpus = config->cpus, .arch = GDB_ARCH_AUTO, .ops = &target_ops, .target = g
	};
	ret = gdb_stub_init(&g->stub, &stub_cfg);
	if (ret < 0)
		goto fail;
	g->stub_ready = true;
	*out = g;
	return 0;
fail:
	gdb_vm_destroy(g);
	return ret;
}

const struct vcpu_debug *gdb_vm_hooks(struct gdb_vm *g)
{
	return &g->hooks;
}

/* The server's configuration: the VM's --gdb address and log, the VM's stub. */
static struct gdb_server_config server_config(struct gdb_vm *g)
{
	return (struct gdb_server_config){ .address = g->cfg->address,
					   .stub = &g->stub,
					   .log = g->cfg->log,
					   .opaque = g->cfg->log_opaque };
}

int gdb_vm_listen(struct gdb_vm *g)
{
	const struct gdb_server_config cfg = server_config(g);

	return gdb_server_listen(&g->srv, &cfg);
}

int gdb_vm_start(struct gdb_vm *g)
{
	const struct gdb_server_config cfg = server_config(g);

	return g->srv.listening ? gdb_server_run(&g->srv) : gdb_server_start(&g->srv, &cfg);
}

void gdb_vm_end(struct gdb_vm *g)
{
	struct vm *vm = g->vm;
	struct gdb_stop stop;
	int vcpu;

	pthread_mutex_lock(&vm->lock);
	stop = end_stop(&vm->result);
	vcpu = vm->result.vcpu;
	pthread_mutex_unlock(&vm->lock);
	gdb_stub_stopped(&g->stub, vcpu > 0 ? (unsigned int)vcpu : 0, &stop);
	gdb_runctl_shutdown(&g->rc);
}

void gdb_vm_stop(struct gdb_vm *g)
{
	gdb_server_stop(&g->srv);
}

void gdb_vm_destroy(struct gdb_vm *g)
{
	if (!g)
		return;
	gdb_server_stop(&g->srv);
	if (g->stub_ready)
		gdb_stub_destroy(&g->stub);
	if (g->rc_ready)
		gdb_runctl_destroy(&g->rc);
	pthread_mutex_destroy(&g->lock);
	free(g->vcpu_debug);
	free(g);
}
