/* The hypercall port: one OUT, the function in AL, arguments and results in registers. */
#include "devices/hypercall.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "console.h"
#include "devices/blk.h"
#include "memory.h"
#include "mini-kvm/hypercall.h"
#include "stats.h"
#include "vcpu.h"
#include "vm.h"

#define REAL_MODE_ARG_MASK 0xffffU

/* An argument register as the ABI reads it: 16 bits in real mode, 32 otherwise. */
static uint32_t arg(struct vcpu *vcpu, uint64_t reg)
{
	return vcpu_in_real_mode(vcpu) ? (uint32_t)(reg & REAL_MODE_ARG_MASK) : (uint32_t)reg;
}

/* EAX = result; like a 32-bit MOV, the upper half of RAX is cleared. */
static void set_result(struct vcpu *vcpu, int32_t result)
{
	vcpu_regs(vcpu)->rax = (uint32_t)result;
	vcpu_regs_changed(vcpu);
}

static int do_puts(struct hypercall_dev *hc, struct vcpu *vcpu)
{
	struct kvm_regs *regs = vcpu_regs(vcpu);
	gpa_t gpa = arg(vcpu, regs->rbx);
	uint32_t max = arg(vcpu, regs->rcx);

	/* EAX returns the count as a positive int32: no more than HC_PUTS_MAX at once. */
	if (max > HC_PUTS_MAX)
		max = HC_PUTS_MAX;
	int64_t len = max ? guest_strnlen(hc->mem, gpa, max) : 0;
	int ret;

	if (len < 0) {
		set_result(vcpu, HC_EFAULT);
		return 0;
	}
	ret = console_write(hc->console, guest_ptr(hc->mem, gpa, len), len);
	set_result(vcpu, ret < 0 ? HC_EFAULT : (int32_t)len);
	return ret;
}

int hypercall_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size,
			struct vcpu *vcpu)
{
	struct hypercall_dev *hc = opaque;
	struct kvm_regs *regs = vcpu_regs(vcpu);
	uint8_t function = *(const uint8_t *)data;
	char text[sizeof("4294967295")];
	uint64_t now;
	int len;

	(void)offset;
	(void)size;
	switch (function) {
	case HC_EXIT:
		vm_stop(vcpu->vm, VM_END_EXIT, arg(vcpu, regs->rbx), vcpu->index, NULL);
		return 0;
	case HC_PUTCHAR:
		text[0] = (char)regs->rbx; /* BL */
		return console_write(hc->console, text, 1);
	case HC_PUTNUM:
		len = snprintf(text, sizeof(text), "%" PRIu32, arg(vcpu, regs->rbx));
		return console_write(hc->console, text, len);
	case HC_NEWLINE:
		return console_write(hc->console, "\n", 1);
	case HC_GETCHAR:
		set_result(vcpu, console_getchar(hc->console));
		return 0;
	case HC_PUTS:
		return do_puts(hc, vcpu);
	case HC_BLK_INFO:
		set_result(vcpu, blk_info(hc->disk));
		return 0;
	case HC_BLK_READ:
		set_result(vcpu, blk_read(hc->disk, hc->mem, arg(vcpu, regs->rbx),
					  arg(vcpu, regs->rcx), arg(vcpu, regs->rsi)));
		return 0;
	case HC_BLK_WRITE:
		set_result(vcpu, blk_write(hc->disk, hc->mem, arg(vcpu, regs->rbx),
					   arg(vcpu, regs->rcx), arg(vcpu, regs->rsi)));
		return 0;
	case HC_CLOCK:
		now = stats_now_ns();
		regs->rax = (uint32_t)now;
		regs->rdx = (uint32_t)(now >> 32);
		vcpu_regs_changed(vcpu);
		return 0;
	default:
		set_result(vcpu, HC_ENOSYS);
		return 0;
	}
}

int hypercall_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size, struct vcpu *vcpu)
{
	(void)opaque;
	(void)offset;
	(void)size;
	(void)vcpu;
	*(uint8_t *)data = HC_ABI_VERSION;
	return 0;
}
