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
