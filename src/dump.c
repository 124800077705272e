/* SPDX-License-Identifier: MIT */
/* Register dumps of a dead vCPU: everything needed to see why a guest triple-faulted. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"
#include "memory.h"
#include "vcpu.h"

#define DUMP_CODE_BYTES 16

static const char *cpu_mode(const struct kvm_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return "real mode";
	if (s->efer & X86_EFER_LMA)
		return s->cs.l ? "64-bit long mode" : "compatibility mode";
	if (s->cr0 & X86_CR0_PG)
		return (s->cr4 & X86_CR4_PAE) ? "protected mode, PAE paging"
					      : "protected mode, 32-bit paging";
	return "protected mode, no paging";
}

static void dump_segment(FILE *out, const char *name, const struct kvm_segment *seg)
{
	fprintf(out,
		"  %-3s sel=0x%04x base=0x%016llx limit=0x%08x type=0x%x dpl=%u p=%u s=%u l=%u db=%u g=%u%s\n",
		name, seg->selector, (unsigned long long)seg->base, seg->limit, seg->type, seg->dpl,
		seg->present, seg->s, seg->l, seg->db, seg->g, seg->unusable ? " unusable" : "");
}

int vcpu_read_code(const struct vcpu *vcpu, const struct kvm_regs *regs,
		   const struct kvm_sregs *sregs, const struct guest_memory *mem, uint8_t *buf,
		   size_t len, uint64_t *linear, uint64_t *gpa)
{
	const uint8_t *code;

	*linear = (sregs->efer & X86_EFER_LMA) && sregs->cs.l ? regs->rip
							      : sregs->cs.base + regs->rip;
	*gpa = *linear;
	if (sregs->cr0 & X86_CR0_PG) {
		struct kvm_translation tr = { .linear_address = *linear };

		if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			return -EFAULT;
		*gpa = tr.physical_address;
	}
	code = guest_ptr(mem, *gpa, len);
	if (!code)
		return -ENXIO;
	memcpy(buf, code, len);
	return 0;
}

static void dump_code(FILE *out, const struct vcpu *vcpu, const struct guest_memory *mem,
		      const struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	uint8_t code[DUMP_CODE_BYTES];
	uint64_t linear, gpa;
	int ret = vcpu_read_code(vcpu, regs, sregs, mem, code, sizeof(code), &linear, &gpa);

	if (ret == -EFAULT) {
		fprintf(out, "  code: linear 0x%" PRIx64 " is not mapped\n", linear);
		return;
	}
	if (ret < 0) {
		fprintf(out, "  code: linear 0x%" PRIx64 " (GPA 0x%" PRIx64 ") is not guest RAM\n",
			linear, gpa);
		return;
	}
	fprintf(out, "  code at linear 0x%" PRIx64 " (GPA 0x%" PRIx64 "):", linear, gpa);
	for (int i = 0; i < DUMP_CODE_BYTES; i++)
		fprintf(out, " %02x", code[i]);
	fprintf(out, "\n");
}

static void dump_events(FILE *out, const struct vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0) {
		fprintf(out, "  events: KVM_GET_VCPU_EVENTS failed\n");
		return;
	}
	if (ev.exception.injected || ev.exception.pending)
		fprintf(out, "  exception %s: vector %u (%s)%s 0x%x\n",
			ev.exception.injected ? "injected" : "pending", ev.exception.nr,
			x86_exception_name(ev.exception.nr),
			ev.exception.has_error_code ? ", error code" : "", ev.exception.error_code);
	else
		fprintf(out, "  exception: none pending or injected\n");
	if (ev.interrupt.injected)
		fprintf(out, "  interrupt injected: vector %u\n", ev.interrupt.nr);
	if (ev.nmi.injected || ev.nmi.pending)
		fprintf(out, "  NMI %s\n", ev.nmi.injected ? "injected" : "pending");
}

static void dump_exits(FILE *out, const struct vcpu *vcpu)
{
	uint64_t first = vcpu->nexits > VCPU_EXIT_RING ? vcpu->nexits - VCPU_EXIT_RING : 0;

	fprintf(out, "  last %" PRIu64 " of %" PRIu64 " exits, oldest first:\n",
		vcpu->nexits - first, vcpu->nexits);
	for (uint64_t n = first; n < vcpu->nexits; n++) {
		const struct exit_record *r = &vcpu->ring[n % VCPU_EXIT_RING];

		fprintf(out, "    #%-6" PRIu64 " %-15s rip=0x%016" PRIx64, n + 1,
			kvm_exit_reason_name(r->reason), r->rip);
		if (r->reason == KVM_EXIT_IO)
			fprintf(out, " %s port 0x%" PRIx64 " size %u x%u data 0x%" PRIx64,
				r->write ? "out" : "in", r->addr, r->size, r->count, r->data);
		else if (r->reason == KVM_EXIT_MMIO)
			fprintf(out, " mmio %s 0x%" PRIx64 " size %u data 0x%" PRIx64,
				r->write ? "write" : "read", r->addr, r->size, r->data);
		fprintf(out, "\n");
	}
}

void vcpu_dump(const struct vcpu *vcpu, const struct guest_memory *mem, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "  registers: KVM_GET_REGS/KVM_GET_SREGS failed\n");
		return;
	}
	fprintf(out, "vCPU %u registers (%s, CPL %u):\n", vcpu->index, cpu_mode(&s), x86_cpl(&s));
	if (vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN && x86_is_reset_state(&r, &s))
		fprintf(out,
			"  note: KVM reset this vCPU when it intercepted the triple fault (AMD SVM "
			"does: the VMCB is undefined after a shutdown), so these are reset values, "
			"not the faulting state; the exits below led up to it\n");
	fprintf(out, "  rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx\n", r.rax, r.rbx,
		r.rcx, r.rdx);
	fprintf(out, "  rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx rsp=0x%016llx\n", r.rsi, r.rdi,
		r.rbp, r.rsp);
	fprintf(out, "  r8 =0x%016llx r9 =0x%016llx r10=0x%016llx r11=0x%016llx\n", r.r8, r.r9,
		r.r10, r.r11);
	fprintf(out, "  r12=0x%016llx r13=0x%016llx r14=0x%016llx r15=0x%016llx\n", r.r12, r.r13,
		r.r14, r.r15);
	fprintf(out, "  rip=0x%016llx rflags=0x%08llx%s\n", r.rip, r.rflags,
		(r.rflags & X86_RFLAGS_IF) ? " (IF)" : "");
	fprintf(out, "  cr0=0x%08llx cr2=0x%016llx cr3=0x%016llx cr4=0x%08llx efer=0x%llx\n", s.cr0,
		s.cr2, s.cr3, s.cr4, s.efer);
	dump_segment(out, "cs", &s.cs);
	dump_segment(out, "ds", &s.ds);
	dump_segment(out, "es", &s.es);
	dump_segment(out, "fs", &s.fs);
	dump_segment(out, "gs", &s.gs);
	dump_segment(out, "ss", &s.ss);
	dump_segment(out, "tr", &s.tr);
	dump_segment(out, "ldt", &s.ldt);
	fprintf(out, "  gdt base=0x%016llx limit=0x%04x   idt base=0x%016llx limit=0x%04x\n",
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
	dump_code(out, vcpu, mem, &r, &s);
	dump_events(out, vcpu);
	dump_exits(out, vcpu);
}
