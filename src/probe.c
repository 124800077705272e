/* SPDX-License-Identifier: MIT */
/* Capability probes: run a tiny guest per feature and see whether this host's KVM runs it (`mini-kvm check`). */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/layout.h"
#include "clock.h"
#include "error.h"
#include "gdb/hwbp.h"
#include "gdb_target.h"
#include "json.h"
#include "kvm.h"
#include "loaders/image.h"
#include "mini-kvm/probe_status.h"
#include "vm.h"

/* A probe needs little RAM and little time; a hung one is a "no". */
#define PROBE_MEM	 (4ULL * LAYOUT_MIB)
#define PROBE_TIMEOUT_NS (3 * NS_PER_SEC)

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
DECLARE_PROBE(probe_sw_bp);
DECLARE_PROBE(probe_hw_bp);
DECLARE_PROBE(probe_watch);
DECLARE_PROBE(probe_step);
DECLARE_PROBE(probe_sw_bp_r3);
DECLARE_PROBE(probe_hw_bp_r3);
DECLARE_PROBE(probe_watch_r3);
DECLARE_PROBE(probe_step_r3);

/* What a guest-debugging probe asks of KVM_SET_GUEST_DEBUG. */
enum probe_debug {
	PROBE_DEBUG_NONE,
	PROBE_DEBUG_SW_BP, /* KVM_GUESTDBG_USE_SW_BP: the probe's int3 exits (#BP) */
	PROBE_DEBUG_HW_BP, /* USE_HW_BP, DR0 on PROBE_DEBUG_TARGET: #DB, DR6.B0 */
	PROBE_DEBUG_WATCH, /* USE_HW_BP, DR0 watching writes to PROBE_SCRATCH: #DB, DR6.B0 */
	PROBE_DEBUG_STEP,  /* KVM_GUESTDBG_SINGLESTEP: #DB, DR6.BS */
};

struct probe {
	const char *name; /* as `mini-kvm check` prints it; tests match it */
	const char *what; /* what a "yes" means */
	enum boot_mode mode;
	bool irqchip;
	const uint8_t *start, *end;
	const char *wrong_cpl; /* meaning of PROBE_WRONG_CPL for this probe */
	enum probe_debug debug;
	bool ring3;	     /* guest debugging: the event must come at CPL 3 */
	const char *instead; /* guest debugging: what gdb does where this is a "no" */
};

#define PROBE_IMAGE(sym) .start = sym##_start, .end = sym##_end
#define DEBUG_PROBE(name_, sym, what_, kind, ring3_, instead_)                          \
	{                                                                               \
		.name = name_, .what = what_, .mode = BOOT_MODE_LONG, PROBE_IMAGE(sym), \
		.debug = kind, .ring3 = ring3_, .instead = instead_                     \
	}

/* A single-stepping probe that waits for ring 3 gives up after this many steps. */
#define PROBE_STEP_LIMIT 100000
/* A selector's RPL; CS's is the CPL (SDM 3A, 5.5). */
#define SELECTOR_RPL_MASK 3
#define CPL_USER	  3
#define VECTOR_DB	  1
#define VECTOR_BP	  3
/* The watch probes watch a 4-byte write. */
#define PROBE_WATCH_LEN 4
/* A guest-debugging probe saw a debug exit other than the one it asked for (vm_result.message). */
#define PROBE_DEBUG_OTHER 0x100

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
	[PROBE_ID_SW_BP] =
		DEBUG_PROBE("sw-bp", probe_sw_bp,
			    "break: int3 in ring 0 exits to the VMM (KVM_GUESTDBG_USE_SW_BP)",
			    PROBE_DEBUG_SW_BP, false,
			    "where hw-bp is yes, mini-kvm --gdb puts gdb's breakpoints in "
			    "ring-0 and real-mode code in debug registers instead, four at most"),
	[PROBE_ID_HW_BP] = DEBUG_PROBE("hw-bp", probe_hw_bp,
				       "hbreak: a DR0 execution breakpoint in ring 0 (USE_HW_BP)",
				       PROBE_DEBUG_HW_BP, false, "use break (int3) instead"),
	[PROBE_ID_WATCH] = DEBUG_PROBE(
		"watch", probe_watch, "watch: a DR0 write watchpoint in ring 0", PROBE_DEBUG_WATCH,
		false, "set can-use-hw-watchpoints 0 makes gdb watch in software (slow)"),
	[PROBE_ID_STEP] = DEBUG_PROBE("step", probe_step,
				      "stepi: single-step in ring 0 (KVM_GUESTDBG_SINGLESTEP)",
				      PROBE_DEBUG_STEP, false, NULL),
	[PROBE_ID_SW_BP_R3] =
		DEBUG_PROBE("sw-bp-r3", probe_sw_bp_r3, "break: int3 in ring 3 exits to the VMM",
			    PROBE_DEBUG_SW_BP, true, "use hbreak instead"),
	[PROBE_ID_HW_BP_R3] = DEBUG_PROBE("hw-bp-r3", probe_hw_bp_r3,
					  "hbreak: a DR0 execution breakpoint in ring 3",
					  PROBE_DEBUG_HW_BP, true, "use break (int3) instead"),
	[PROBE_ID_WATCH_R3] =
		DEBUG_PROBE("watch-r3", probe_watch_r3, "watch: a DR0 write watchpoint in ring 3",
			    PROBE_DEBUG_WATCH, true,
			    "set can-use-hw-watchpoints 0 makes gdb watch in software (slow)"),
	[PROBE_ID_STEP_R3] = DEBUG_PROBE("step-r3", probe_step_r3, "stepi: single-step in ring 3",
					 PROBE_DEBUG_STEP, true, NULL),
};

/* A guest-debugging probe's debugger: arm KVM once, judge the first debug exit. */
struct debug_probe {
	const struct probe *probe;
	struct vm *vm;
	bool armed;
	unsigned int steps;
	struct vcpu_debug hooks;
};

/* Before the first KVM_RUN, on the vCPU's thread: what this probe asks of KVM. */
static enum vcpu_outcome debug_probe_enter(void *opaque, struct vcpu *vcpu)
{
	struct debug_probe *d = opaque;
	struct kvm_guest_debug dbg;
	struct gdb_hwbp hw;

	if (d->armed)
		return VCPU_CONTINUE;
	gdb_hwbp_init(&hw);
	if (d->probe->debug == PROBE_DEBUG_HW_BP)
		gdb_hwbp_insert(&hw, GDB_BP_HW, PROBE_DEBUG_TARGET, GDB_X86_INT3_LEN);
	else if (d->probe->debug == PROBE_DEBUG_WATCH)
		gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, PROBE_SCRATCH, PROBE_WATCH_LEN);
	gdb_guest_debug(&dbg, true, &hw, d->probe->debug == PROBE_DEBUG_STEP);
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		snprintf(vcpu->message, sizeof(vcpu->message),
			 "KVM_SET_GUEST_DEBUG (control 0x%x): %s", dbg.control, strerror(errno));
		return VCPU_FAILED;
	}
	d->armed = true;
	return VCPU_CONTINUE;
}

/* The debug exit the probe asked for, at the right privilege level, is a "yes". */
static enum vcpu_outcome debug_probe_exit(void *opaque, struct vcpu *vcpu)
{
	struct debug_probe *d = opaque;
	const struct kvm_debug_exit_arch *a = &vcpu->run->debug.arch;
	bool user = (vcpu_sregs(vcpu)->cs.selector & SELECTOR_RPL_MASK) == CPL_USER;
	bool expected;

	switch (d->probe->debug) {
	case PROBE_DEBUG_SW_BP:
		expected = a->exception == VECTOR_BP;
		break;
	case PROBE_DEBUG_STEP:
		expected = a->exception == VECTOR_DB && (a->dr6 & X86_DR6_BS);
		/* Ring 3 comes after the ring-0 set-up: step on until then. */
		if (expected && d->probe->ring3 && !user && ++d->steps < PROBE_STEP_LIMIT)
			return VCPU_CONTINUE;
		break;
	default:
		expected = a->exception == VECTOR_DB && (a->dr6 & X86_DR6_B(0));
		break;
	}
	if (expected && user == d->probe->ring3)
		vm_stop(d->vm, VM_END_EXIT, PROBE_OK, (int)vcpu->index, NULL);
	else
		vm_stop(d->vm, VM_END_EXIT, PROBE_DEBUG_OTHER, (int)vcpu->index,
			"another debug exit came: exception %u at 0x%llx in ring %d, DR6 0x%llx",
			a->exception, (unsigned long long)a->pc, user ? CPL_USER : 0,
			(unsigned long long)a->dr6);
	return VCPU_STOPPED;
}

static void describe_failure(const struct probe *p, const struct vm_result *r,
			     struct probe_result *out)
{
	switch (r->end) {
	case VM_END_EXIT:
		switch (r->status) {
		case PROBE_DEBUG_MISSED:
			snprintf(out->detail, sizeof(out->detail),
				 "the probe ran past it: no debug exit came");
			return;
		case PROBE_DEBUG_OTHER:
			snprintf(out->detail, sizeof(out->detail), "%s", r->message);
			return;
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
			 (double)PROBE_TIMEOUT_NS / NS_PER_SEC);
		return;
	default:
		snprintf(out->detail, sizeof(out->detail), "%s", r->message);
		return;
	}
}

int probe_run(const struct kvm_host *host, enum probe_id id, struct probe_result *out)
{
	const struct probe *p = &probes[id];
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
	struct debug_probe debug = { .probe = p, .vm = &vm };
	int ret;

	memset(out, 0, sizeof(*out));
	if (p->debug != PROBE_DEBUG_NONE) {
		debug.hooks = (struct vcpu_debug){ .enter = debug_probe_enter,
						   .debug_exit = debug_probe_exit,
						   .opaque = &debug };
		config.debug = &debug.hooks;
	}
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
		if (!out->yes && p->instead) {
			size_t n = strlen(out->detail);

			snprintf(out->detail + n, sizeof(out->detail) - n, "; %s", p->instead);
		}
	}
	vm_destroy(&vm);
out:
	console_destroy(&console);
	return ret;
}

const char *probe_name(enum probe_id id)
{
	return probes[id].name;
}

const char *probe_what(enum probe_id id)
{
	return probes[id].what;
}

bool probe_linux_ok(const bool yes[PROBE_COUNT])
{
	return yes[PROBE_ID_LONG] && yes[PROBE_ID_SYSCALL] && yes[PROBE_ID_INT_GATE] &&
	       yes[PROBE_ID_IRQ_RING3];
}

/* check --json: everything at the end, in one object (a probe failing half-way prints nothing). */
static void check_json(FILE *out, const struct kvm_host *host, const struct probe_result *r,
		       const bool *yes)
{
	struct json j;

	json_init(&j, out);
	json_begin_object(&j, NULL);
	json_string(&j, "module", host->module);
	json_i64(&j, "api_version", host->api_version);
	json_i64(&j, "max_vcpus", host->max_vcpus);
	json_begin_object(&j, "capabilities");
	for (unsigned int i = 0; i < PROBE_COUNT; i++) {
		json_begin_object(&j, probes[i].name);
		json_bool(&j, "available", r[i].yes);
		json_string(&j, "what", probes[i].what);
		json_string(&j, "detail", r[i].yes ? "" : r[i].detail);
		json_end_object(&j);
	}
	json_end_object(&j);
	json_bool(&j, "linux", probe_linux_ok(yes));
	json_end_object(&j);
	fputc('\n', out);
}

int probe_check_host(FILE *out, bool json)
{
	static struct probe_result results[PROBE_COUNT];
	bool yes[PROBE_COUNT] = { false };
	struct kvm_host host;
	int ret = kvm_host_open(&host, KVM_DEVICE_PATH);

	if (ret < 0)
		return ret;
	if (!json)
		fprintf(out, "mini-kvm check: host KVM is %s (API %d, up to %d vCPUs)\n",
			host.module, host.api_version, host.max_vcpus);
	for (unsigned int i = 0; i < PROBE_COUNT; i++) {
		struct probe_result *r = &results[i];

		if (i == PROBE_ID_FIRST_DEBUG && !json)
			fprintf(out, "guest debugging (run --gdb):\n");
		ret = probe_run(&host, i, r);
		if (ret < 0)
			break;
		yes[i] = r->yes;
		if (json)
			continue;
		fprintf(out, "  %-10s %-3s  %s%s%s\n", probes[i].name, r->yes ? "yes" : "no",
			probes[i].what, r->yes ? "" : ": ", r->detail);
		fflush(out);
	}
	if (ret == 0 && json)
		check_json(out, &host, results, yes);
	else if (ret == 0)
		fprintf(out, "Linux guests (-k) %s here%s\n",
			probe_linux_ok(yes) ? "run" : "do not run",
			probe_linux_ok(yes) ? ""
					    : ": they need long, syscall, int-gate and irq-ring3");
	kvm_host_close(&host);
	return ret;
}
