/* SPDX-License-Identifier: MIT */
/* A fake gdb target: registers and memory in arrays, an unmapped hole, DR slots (hwbp.c). */
#include "gdb_fake_target.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/x86.h"

static bool mapped(uint64_t addr)
{
	return addr >= FAKE_MEM_BASE && addr < FAKE_MEM_END &&
	       (addr & ~(uint64_t)(FAKE_PAGE_SIZE - 1)) != FAKE_HOLE;
}

uint8_t *fake_target_byte(struct fake_target *t, uint64_t addr)
{
	return &t->mem[addr - FAKE_MEM_BASE];
}

static int fake_read_registers(void *opaque, unsigned int vcpu, struct gdb_regs *regs)
{
	struct fake_target *t = opaque;

	if (t->regs_ret)
		return t->regs_ret;
	if (vcpu >= FAKE_VCPUS)
		return -EINVAL;
	*regs = t->regs[vcpu];
	return 0;
}

static int fake_write_registers(void *opaque, unsigned int vcpu, const struct gdb_regs *regs)
{
	struct fake_target *t = opaque;

	if (vcpu >= FAKE_VCPUS)
		return -EINVAL;
	t->regs[vcpu] = *regs;
	return 0;
}

/* Page by page, as KVM_TRANSLATE would: stop at the first unmapped byte. */
static ssize_t fake_read_memory(void *opaque, unsigned int vcpu, uint64_t addr, void *buf,
				size_t len)
{
	struct fake_target *t = opaque;
	size_t i;

	(void)vcpu;
	t->last_read_addr = addr;
	t->last_read_len = len;
	for (i = 0; i < len && mapped(addr + i); i++)
		((uint8_t *)buf)[i] = *fake_target_byte(t, addr + i);
	return i ? (ssize_t)i : -EFAULT;
}

static ssize_t fake_write_memory(void *opaque, unsigned int vcpu, uint64_t addr, const void *buf,
				 size_t len)
{
	struct fake_target *t = opaque;
	size_t i;

	(void)vcpu;
	for (i = 0; i < len && mapped(addr + i); i++)
		*fake_target_byte(t, addr + i) = ((const uint8_t *)buf)[i];
	return i ? (ssize_t)i : -EFAULT;
}

static int fake_insert(void *opaque, enum gdb_bp_type type, uint64_t addr, uint64_t kind,
		       const char **hint)
{
	struct fake_target *t = opaque;

	t->inserts++;
	if (t->insert_ret || t->insert_hint) {
		*hint = t->insert_hint;
		return t->insert_ret;
	}
	if (type == GDB_BP_SW && t->sw_in_dr) {
		int ret = gdb_hwbp_insert(&t->hw, GDB_BP_HW, addr, kind);

		return ret < 0 ? ret : GDB_BP_DONE_BY_TARGET;
	}
	if (type == GDB_BP_SW)
		return 0;
	return gdb_hwbp_insert(&t->hw, type, addr, kind);
}

static int fake_remove(void *opaque, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	struct fake_target *t = opaque;

	t->removes++;
	if (type == GDB_BP_SW && t->sw_in_dr)
		return gdb_hwbp_remove(&t->hw, GDB_BP_HW, addr, kind);
	if (type == GDB_BP_SW)
		return 0;
	return gdb_hwbp_remove(&t->hw, type, addr, kind);
}

static int fake_resume(void *opaque, const enum gdb_resume *actions)
{
	struct fake_target *t = opaque;

	pthread_mutex_lock(&t->lock);
	t->resumes++;
	memcpy(t->actions, actions, sizeof(t->actions));
	if (!t->resume_ret)
		t->running = true;
	pthread_mutex_unlock(&t->lock);
	return t->resume_ret;
}

static void fake_interrupt(void *opaque)
{
	struct fake_target *t = opaque;
	struct gdb_stop stop = { .kind = GDB_STOP_INTERRUPTED };
	bool report;

	pthread_mutex_lock(&t->lock);
	t->interrupts++;
	report = !t->running || t->stop_at_once;
	t->running = false;
	pthread_mutex_unlock(&t->lock);
	/* Already parked (or parking at once): report from inside the op, as allowed. */
	if (report && t->stub)
		gdb_stub_stopped(t->stub, 0, &stop);
}

static void fake_kill(void *opaque)
{
	struct fake_target *t = opaque;

	pthread_mutex_lock(&t->lock);
	t->kills++;
	t->running = false;
	pthread_mutex_unlock(&t->lock);
}

static void fake_detach(void *opaque)
{
	struct fake_target *t = opaque;

	pthread_mutex_lock(&t->lock);
	t->detaches++;
	t->running = true;
	pthread_mutex_unlock(&t->lock);
}

const struct gdb_target_ops fake_target_ops = {
	.read_registers = fake_read_registers,
	.write_registers = fake_write_registers,
	.read_memory = fake_read_memory,
	.write_memory = fake_write_memory,
	.insert_breakpoint = fake_insert,
	.remove_breakpoint = fake_remove,
	.resume = fake_resume,
	.interrupt = fake_interrupt,
	.kill = fake_kill,
	.detach = fake_detach,
};

void fake_target_init(struct fake_target *t, struct gdb_stub *stub)
{
	unsigned int v, i;
	size_t b;

	memset(t, 0, sizeof(*t));
	t->stub = stub;
	pthread_mutex_init(&t->lock, NULL);
	gdb_hwbp_init(&t->hw);
	for (b = 0; b < sizeof(t->mem); b++)
		t->mem[b] = (uint8_t)(FAKE_MEM_BASE + b);
	for (v = 0; v < FAKE_VCPUS; v++) {
		struct gdb_regs *r = &t->regs[v];

		/* 64-bit code, every field distinct: 0xv0ii... patterns. */
		for (i = 0; i < GDB_GPR_COUNT; i++)
			r->gpr[i] = (uint64_t)(v + 1) << 56 | 0x1000 * (i + 1);
		r->rip = FAKE_ENTRY + v;
		r->rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
		for (i = 0; i < GDB_SEG_COUNT; i++) {
			r->seg[i].selector = (uint16_t)(0x10 + 8 * i);
			r->seg[i].limit = 0xfffff;
		}
		r->seg[GDB_SEG_CS].selector = 0x08;
		r->seg[GDB_SEG_CS].l = 1;
		r->seg[GDB_SEG_FS].base = 0x7000000000ULL + v;
		r->seg[GDB_SEG_GS].base = 0x8000000000ULL + v;
		r->cr0 = X86_CR0_PE | X86_CR0_PG;
		r->cr3 = 0x9000;
		r->cr4 = X86_CR4_PAE;
		r->efer = X86_EFER_LME | X86_EFER_LMA;
		r->gdtr.base = 0x500;
		r->gdtr.limit = 0x27;
		r->fctrl = 0x37f;
		r->ftag = 0xffff;
		r->mxcsr = 0x1f80;
		for (i = 0; i < GDB_XMM_REGS; i++)
			memset(r->xmm[i], (int)(0x10 * v + i), GDB_XMM_REG_SIZE);
	}
}

void fake_target_destroy(struct fake_target *t)
{
	pthread_mutex_destroy(&t->lock);
}
