/* Capability probes: run a tiny guest per feature and see whether this host's KVM runs it. */
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/insn.h"
#include "error.h"
#include "kvm.h"
#include "layout.h"
#include "loaders/image.h"
#include "probes/probe.h"
#include "vm.h"

/* A probe needs little RAM and little time; a hung one is a "no". */
#define PROBE_MEM	 (4ULL * LAYOUT_MIB)
#define PROBE_TIMEOUT_NS 3000000000ULL

#define DECLARE_PROBE(sym) extern const uint8_t sym##_start[], sym##_end[]
DECLARE_PROBE(probe_real);
DECLARE_PROBE(probe_protected);
DECLARE_PROBE(probe_paging);
DECLARE_PROBE(probe_long);
DECLARE_PROBE(probe_ring0_sse);
DECLARE_PROBE(probe_ring3);
DECLARE_PROBE(probe_syscall);
DECLARE_PROBE(probe_int_gate);
DECLARE_PROBE(probe_irq_ring3);

enum probe_id {
	PROBE_ID_REAL,
	PROBE_ID_PROTECTED,
	PROBE_ID_PAGING,
	PROBE_ID_LONG,
	PROBE_ID_RING3,
	PROBE_ID_SYSCALL,
	PROBE_ID_INT_GATE,
	PROBE_ID_IRQ_RING3,
	PROBE_ID_RING0_SSE,
	PROBE_COUNT,
};

struct probe {
	const char *name; /* as `mini-kvm check` prints it; tests match it */
	const char *what; /* what a "yes" means */
	enum boot_mode mode;
	bool irqchip;
	const uint8_t *start, *end;
	const char *wrong_cpl; /* meaning of PROBE_WRONG_CPL for this probe */
};

#define PROBE_IMAGE(sym) .start = sym##_start, .end = sym##_end

static const struct probe probes[PROBE_COUNT] = {
	[PROBE_ID_REAL] = { "real", "16-bit real mode", BOOT_MODE_REAL, false,
			    PROBE_IMAGE(probe_real), NULL },
	[PROBE_ID_PROTECTED] = { "protected", "32-bit protected mode, no paging",
				 BOOT_MODE_PROTECTED, false, PROBE_IMAGE(probe_protected), NULL },
	[PROBE_ID_PAGING] = { "paging", "32-bit protected mode with 4 MiB-page paging",
			      BOOT_MODE_PAGING, false, PROBE_IMAGE(probe_paging), NULL },
	[PROBE_ID_LONG] = { "long", "64-bit long mode", BOOT_MODE_LONG, false,
			    PROBE_IMAGE(probe_long), NULL },
	[PROBE_ID_RING3] = { "ring3", "ring-3 code reaching the host by port I/O (TSS I/O bitmap)",
			     BOOT_MODE_LONG, false, PROBE_IMAGE(probe_ring3),
			     "ring-3 code ran at another privilege level" },
	[PROBE_ID_SYSCALL] = { "syscall", "syscall from ring 3 lands in ring 0", BOOT_MODE_LONG,
			       false, PROBE_IMAGE(probe_syscall),
			       "syscall reached LSTAR still at CPL 3" },
	[PROBE_ID_INT_GATE] = { "int-gate",
				"int $0x80 from ring 3 through a DPL-3 gate lands in ring 0",
				BOOT_MODE_LONG, false, PROBE_IMAGE(probe_int_gate),
				"the gate's handler ran at CPL 3" },
	[PROBE_ID_IRQ_RING3] = { "irq-ring3", "a timer interrupt (PIT, PIC) taken in ring 3",
				 BOOT_MODE_LONG, true, PROBE_IMAGE(probe_irq_ring3),
				 "the interrupt handler ran at CPL 3" },
	[PROBE_ID_RING0_SSE] = { "ring0-sse", "SSE arithmetic at CPL 0", BOOT_MODE_LONG, false,
				 PROBE_IMAGE(probe_ring0_sse), NULL },
};

struct probe_result {
	bool yes;
	char detail[VM_MESSAGE_MAX];
};

static void describe_failure(const struct probe *p, const struct vm_result *r,
			     struct probe_result *out)
{
	switch (r->end) {
	case VM_END_EXIT:
		switch (r->status) {
		case PROBE_WRONG_CPL:
			snprintf(out->detail, sizeof(out->detail), "%s",
				 p->wrong_cpl ? p->wrong_cpl : "wrong CPL");
			return;
		case PROBE_BAD_MEMORY:
			snprintf(out->detail, sizeof(out->detail),
				 "the higher-half and identity mappings disagree");
			return;
		case PROBE_NOT_FROM_USER:
			snprintf(out->detail, sizeof(out->detail),
				 "the interrupt did not arrive while in ring 3");
			return;
		}
		if (r->status >= PROBE_EXCEPTION_BASE &&
		    r->status < PROBE_EXCEPTION_BASE + X86_NR_EXCEPTIONS) {
			snprintf(out->detail, sizeof(out->detail),
				 "exception %s reached the probe instead",
				 x86_exception_name(r->status - PROBE_EXCEPTION_BASE));
			return;
		}
		snprintf(out->detail, sizeof(out->detail), "probe exited with status %d",
			 r->status);
		return;
	case VM_END_HALT:
		snprintf(out->detail, sizeof(out->detail), "probe halted without reporting");
		return;
	case VM_END_TIMEOUT:
		snprintf(out->detail, sizeof(out->detail), "no answer within %.0f s",
			 PROBE_TIMEOUT_NS / 1e9);
		return;
	default:
		snprintf(out->detail, sizeof(out->detail), "%s", r->message);
		return;
	}
}

/* Run probe p in a fresh VM on host. Returns 0 with *out filled, or -errno (VMM failure). */
static int probe_run(const struct kvm_host *host, const struct probe *p, struct probe_result *out)
{
	struct console console;
	struct vm_config config = {
		.index = 0,
		.name = p->name,
		.mem_size = PROBE_MEM,
		.cpus = 1,
		.irqchip = p->irqchip,
		.console = &console,
	};
	uint64_t load = p->mode == BOOT_MODE_REAL ? LAYOUT_REAL_LOAD : LAYOUT_FLAT_LOAD;
	struct guest_image img = { .mode = p->mode };
	struct vm vm;
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(img.path, sizeof(img.path), "probe %s", p->name);
	ret = flat_parse(p->start, p->end - p->start, load, &img);
	if (ret < 0)
		return ret;
	console_init(&console, 0, p->name, false, NULL, -1);
	ret = vm_create(&vm, host, &config);
	if (ret < 0)
		goto out;
	ret = vm_load_image(&vm, &img);
	if (ret == 0)
		ret = vm_run(&vm, PROBE_TIMEOUT_NS);
	if (ret == 0) {
		out->yes = vm.result.end == VM_END_EXIT && vm.result.status == PROBE_OK;
		if (!out->yes)
			describe_failure(p, &vm.result, out);
	}
	vm_destroy(&vm);
out:
	console_destroy(&console);
	return ret;
}

int check_run(FILE *out)
{
	struct kvm_host host;
	int ret = kvm_host_open(&host, KVM_DEVICE_PATH);

	if (ret < 0)
		return ret;
	fprintf(out, "mini-kvm check: host KVM is %s (API %d, up to %d vCPUs)\n", host.module,
		host.api_version, host.max_vcpus);
	for (unsigned int i = 0; i < PROBE_COUNT; i++) {
		struct probe_result r;

		ret = probe_run(&host, &probes[i], &r);
		if (ret < 0)
			break;
		fprintf(out, "  %-10s %-3s  %s%s%s\n", probes[i].name, r.yes ? "yes" : "no",
			probes[i].what, r.yes ? "" : ": ", r.detail);
		fflush(out);
	}
	kvm_host_close(&host);
	return ret;
}

int check_linux_host(const struct kvm_host *host)
{
	/* One probe: it runs in long mode, so it also fails where long mode does. */
	static const enum probe_id needed[] = { PROBE_ID_SYSCALL };
	struct probe_result r;

	for (unsigned int i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		const struct probe *p = &probes[needed[i]];
		int ret = probe_run(host, p, &r);

		if (ret < 0)
			return ret;
		if (!r.yes)
			return error_set(
				ENOTSUP,
				"this host's KVM (%s) cannot run a Linux kernel: no %s "
				"(its '%s' probe: %s). Linux needs a KVM like kvm_intel or kvm_amd; "
				"see 'mini-kvm check'",
				host->module, p->what, p->name, r.detail);
	}
	return 0;
}

/* The kind of instruction a dead vCPU stopped at (X86_INSN_OTHER when unreadable). */
static enum x86_insn_class dead_instruction(const struct vcpu *vcpu, const struct vm *vm,
					    const struct kvm_sregs *sregs)
{
	uint8_t code[X86_INSN_MAX];
	struct kvm_regs regs;
	uint64_t linear, gpa;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    vcpu_read_code(vcpu, &regs, sregs, &vm->mem, code, sizeof(code),
			   &linear, &gpa) < 0)
		return X86_INSN_OTHER;
	return x86_insn_classify(code, sizeof(code), (sregs->efer & X86_EFER_LMA) && sregs->cs.l);
}

/* "this host's KVM (kvm_pvm) ... " if probe id fails here; NULL if it passes. */
static char *blame_host(const struct kvm_host *host, enum probe_id id, const char *consequence)
{
	struct probe_result r;
	char *text;

	if (probe_run(host, &probes[id], &r) < 0 || r.yes)
		return NULL;
	if (asprintf(&text,
		     "this host's KVM (%s) cannot run %s: its '%s' probe fails too (%s); "
		     "%s. See 'mini-kvm check'.",
		     host->module, probes[id].what, probes[id].name, r.detail, consequence) < 0)
		return NULL;
	return text;
}

char *check_explain_death(const struct kvm_host *host, const struct vm *vm)
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
		return hint;
	}
	return NULL;
}
