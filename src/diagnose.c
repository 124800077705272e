/* SPDX-License-Identifier: MIT */
/* Death diagnoses: which known limitation of the host's KVM explains how a guest died. */
#include "diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/insn.h"
#include "arch/x86/x86.h"
#include "kvm.h"
#include "loaders/image.h"
#include "probe.h"
#include "vm.h"

/* Why a bare guest dies before its first VM exit, as far as mini-kvm can tell. */
#define DIAGNOSE_EARLY_FAULT                                                                     \
	"the guest died before its first port or device access (its first VM exit was the "      \
	"triple fault): an exception it had no IDT to handle yet, typically a page fault on an " \
	"address its early page tables do not map (a higher-half kernel reading low memory, or " \
	"the reverse), or a segment reload through a GDT it overwrote. Under AMD SVM the dump "  \
	"shows reset values, not the faulting state: attach gdb, or print before paging goes on"

/* The kind of instruction a dead vCPU stopped at (X86_INSN_OTHER when unreadable). */
static enum x86_insn_class dead_instruction(const struct vcpu *vcpu, const struct vm *vm,
					    const struct kvm_sregs *sregs)
{
	uint8_t code[X86_INSN_MAX];
	struct kvm_regs regs;
	uint64_t linear, gpa;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    vcpu_read_code(vcpu, &regs, sregs, &vm->mem, code, sizeof(code), &linear, &gpa) < 0)
		return X86_INSN_OTHER;
	return x86_insn_classify(code, sizeof(code), (sregs->efer & X86_EFER_LMA) && sregs->cs.l);
}

/* "this host's KVM (kvm_pvm) ... " if probe id fails here; NULL if it passes. */
static char *blame_host(const struct kvm_host *host, enum probe_id id, const char *consequence)
{
	struct probe_result r;
	char *text;

	if (probe_run(host, id, &r) < 0 || r.yes)
		return NULL;
	if (asprintf(&text,
		     "this host's KVM (%s) cannot run %s: its '%s' probe fails too (%s); "
		     "%s. See 'mini-kvm check'.",
		     host->module, probe_what(id), probe_name(id), r.detail, consequence) < 0)
		return NULL;
	return text;
}

char *diagnose_wrong_mode(const struct guest_image *img, uint64_t cr0, enum wrong_mode_sign sign)
{
	char *text;

	if (!img || img->format != IMAGE_FLAT || img->mode_given || img->mode != BOOT_MODE_REAL ||
	    (cr0 & X86_CR0_PE))
		return NULL;
	/*
	 * A real-mode program that died without ever leaving real mode is rare, and one
	 * that runs through zero-filled memory rarer; 32-bit or 64-bit code decoded as
	 * 16-bit code (the usual mistake: the protected-mode demo run without --mode
	 * protected) does either within a few instructions: an emulating KVM fails, a
	 * hardware one runs the zeros for ever.
	 */
	if (asprintf(&text,
		     "it is a flat binary, so it started in 16-bit real mode (the default without "
		     "--mode), and it %s: if it is 32- or 64-bit code, run it with --mode "
		     "protected, --mode paging or --mode long (see 'Guests and boot modes' in "
		     "docs/usage.md)",
		     sign == WRONG_MODE_DIED ? "died there"
					     : "was running through zero-filled memory there") < 0)
		return NULL;
	return text;
}

/* The length of 00 00, add %al,(%bx,%si): what zero-filled memory decodes to. */
#define ZERO_SLED_INSN_LEN 2
/* Zero bytes after a sled's "00 XX" that tell it from real code (half an instruction window). */
#define ZERO_SLED_TAIL_MIN 6

bool diagnose_code_is_zeros(const uint8_t *code, size_t len)
{
	size_t i;

	if (len < ZERO_SLED_INSN_LEN || code[0])
		return false;
	if (!code[1])
		return true;
	/*
	 * 00 XX then zeros only: the byte the sled's own add %al,(%bx,%si) keeps adding to,
	 * when the sled reaches it (the nested lane caught one at "00 85 00 00 ...").
	 */
	if (len < ZERO_SLED_INSN_LEN + ZERO_SLED_TAIL_MIN)
		return false;
	for (i = ZERO_SLED_INSN_LEN; i < len; i++)
		if (code[i])
			return false;
	return true;
}

char *diagnose_stopped(const struct vm *vm, const struct guest_image *img)
{
	uint8_t code[X86_INSN_MAX];
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t linear, gpa;

	if (!img || !vm->nvcpus || vm->vcpus[0].fd < 0)
		return NULL;
	if (ioctl(vm->vcpus[0].fd, KVM_GET_SREGS, &sregs) < 0 ||
	    ioctl(vm->vcpus[0].fd, KVM_GET_REGS, &regs) < 0 ||
	    vcpu_read_code(&vm->vcpus[0], &regs, &sregs, &vm->mem, code, sizeof(code), &linear,
			   &gpa) < 0 ||
	    !diagnose_code_is_zeros(code, sizeof(code)))
		return NULL;
	return diagnose_wrong_mode(img, sregs.cr0, WRONG_MODE_IN_ZEROS);
}

char *diagnose_death(const struct kvm_host *host, const struct vm *vm,
		     const struct guest_image *img)
{
	static const enum probe_id mode_probe[] = {
		[BOOT_MODE_REAL] = PROBE_ID_REAL,
		[BOOT_MODE_PROTECTED] = PROBE_ID_PROTECTED,
		[BOOT_MODE_PAGING] = PROBE_ID_PAGING,
		[BOOT_MODE_LONG] = PROBE_ID_LONG,
	};
	const struct vcpu *vcpu;
	struct kvm_sregs sregs;
	char *hint;

	if (vm->result.vcpu < 0)
		return NULL;
	/* 1. The mode the guest was started in. */
	if (vm->boot_mode != BOOT_MODE_AUTO &&
	    (unsigned int)vm->boot_mode < sizeof(mode_probe) / sizeof(mode_probe[0])) {
		hint = blame_host(
			host, mode_probe[vm->boot_mode],
			"the guest needs a hardware KVM (kvm_intel, kvm_amd) or the nested lane");
		if (hint)
			return hint;
	}
	vcpu = &vm->vcpus[vm->result.vcpu];
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return NULL;
	/* 2a. The wrong mode: blamed before the host, whose probes pass real mode anyway. */
	hint = diagnose_wrong_mode(img, sregs.cr0, WRONG_MODE_DIED);
	if (hint)
		return hint;
	/*
	 * 2. Ring-0 code that KVM's emulator could not run: only when the instruction it
	 * stopped at is one of those the emulator lacks (any other failure is not this).
	 */
	if (vm->result.exit_reason == KVM_EXIT_INTERNAL_ERROR && x86_cpl(&sregs) == 0) {
		enum x86_insn_class insn = dead_instruction(vcpu, vm, &sregs);
		char consequence[VM_MESSAGE_MAX];

		if (insn == X86_INSN_OTHER)
			return NULL;
		snprintf(consequence, sizeof(consequence),
			 "the guest stopped at %s in ring 0. On this host ring-0 code is emulated "
			 "and some instructions (SSE arithmetic, int3, cmpxchg16b, xsave/xrstor) "
			 "are missing: build ring-0 code with -mgeneral-regs-only, or run the work "
			 "in ring 3",
			 x86_insn_class_name(insn));
		return blame_host(host, PROBE_ID_RING0_SSE, consequence);
	}
	/* 3. A guest with system calls: ring 3 -> ring 0 transitions. */
	if (vm->result.exit_reason == KVM_EXIT_SHUTDOWN &&
	    (x86_cpl(&sregs) == 3 || (sregs.efer & X86_EFER_SCE))) {
		hint = blame_host(
			host, PROBE_ID_SYSCALL,
			"a guest that makes system calls from ring 3 dies like this here");
		if (!hint)
			hint = blame_host(
				host, PROBE_ID_INT_GATE,
				"a guest that makes system calls from ring 3 dies like this here");
		if (hint)
			return hint;
	}
	/*
	 * 4. No host limitation, but a bare guest whose very first VM exit was its triple
	 * fault: it never reached a port or a device. Say what that usually is, since the
	 * dump alone (under AMD SVM, reset values) does not.
	 */
	if (vm->result.exit_reason == KVM_EXIT_SHUTDOWN && !vm->policy.triple_fault_resets &&
	    __atomic_load_n(&vcpu->nexits, __ATOMIC_RELAXED) == 1)
		return strdup(DIAGNOSE_EARLY_FAULT);
	return NULL;
}
