/* SPDX-License-Identifier: MIT */
/* Names of x86 architectural events, for dumps and probe reports. */
#include "arch/x86/x86.h"

#include <linux/kvm.h>

#define SELECTOR_RPL_MASK 3
#define RESET_RIP	  0xfff0
#define RESET_CS_BASE	  0xffff0000

static const char *const exception_names[X86_NR_EXCEPTIONS] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved",
	"#MF x87 error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD exception",
	"#VE virtualization exception",
	"#CP control protection",
};

const char *x86_exception_name(unsigned int vector)
{
	if (vector < X86_NR_EXCEPTIONS && exception_names[vector])
		return exception_names[vector];
	return "reserved";
}

unsigned int x86_cpl(const struct kvm_sregs *sregs)
{
	if (!(sregs->cr0 & X86_CR0_PE))
		return 0;
	return sregs->cs.selector & SELECTOR_RPL_MASK;
}

bool x86_is_reset_state(const struct kvm_regs *regs, const struct kvm_sregs *sregs)
{
	return regs->rip == RESET_RIP && sregs->cs.base == RESET_CS_BASE &&
	       !(sregs->cr0 & X86_CR0_PE);
}
