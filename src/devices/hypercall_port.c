/* SPDX-License-Identifier: MIT */
/* The hypercall port: one OUT, the function in AL, arguments and results in registers. */
#include "devices/hypercall_port.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "clock.h"
#include "console.h"
#include "devices/blk.h"
#include "memory.h"
#include "mini-kvm/hypercall.h"

#define REAL_MODE_ARG_MASK 0xffffU

/* An argument register as the ABI reads it: 16 bits in real mode, 32 otherwise. */
static uint32_t arg(const struct bus_regs *cpu, uint64_t reg)
{
	return cpu->real_mode ? (uint32_t)(reg & REAL_MODE_ARG_MASK) : (uint32_t)reg;
}

/* EAX = result; like a 32-bit MOV, the upper half of RAX is cleared. */
static void set_result(struct bus_regs *cpu, int32_t result)
{
	cpu->regs->rax = (uint32_t)result;
	cpu->changed = true;
}

static int do_puts(struct hypercall_dev *hc, struct bus_regs *cpu)
{
	struct kvm_regs *regs = cpu->regs;
	gpa_t gpa = arg(cpu, regs->rbx);
	uint32_t max = arg(cpu, regs->rcx);

	/* EAX returns the count as a positive int32: no more than HC_PUTS_MAX at once. */
	if (max > HC_PUTS_MAX)
		max = HC_PUTS_MAX;
	int64_t len = max ? guest_strnlen(hc->mem, gpa, max) : 0;
	int ret;

	if (len < 0) {
		set_result(cpu, HC_EFAULT);
		return 0;
	}
	ret = console_write(hc->console, guest_ptr(hc->mem, gpa, len), len);
	set_result(cpu, ret < 0 ? HC_EFAULT : (int32_t)len);
	return ret;
}

int hypercall_bus_call(void *opaque, uint64_t offset, const void *data, uint32_t size,
		       struct bus_regs *cpu)
{
	struct hypercall_dev *hc = opaque;
	struct kvm_regs *regs = cpu->regs;
	uint8_t function = *(const uint8_t *)data;
	char text[sizeof("4294967295")];
	uint64_t now;
	int len;

	(void)offset;
	(void)size;
	switch (function) {
	case HC_EXIT:
		hc->ops.exit(hc->ops.opaque, arg(cpu, regs->rbx));
		return 0;
	case HC_PUTCHAR:
		text[0] = (char)regs->rbx; /* BL */
		return console_write(hc->console, text, 1);
	case HC_PUTNUM:
		len = snprintf(text, sizeof(text), "%" PRIu32, arg(cpu, regs->rbx));
		return console_write(hc->console, text, len);
	case HC_NEWLINE:
		return console_write(hc->console, "\n", 1);
	case HC_GETCHAR:
		set_result(cpu, console_getchar(hc->console));
		return 0;
	case HC_PUTS:
		return do_puts(hc, cpu);
	case HC_BLK_INFO:
		set_result(cpu, blk_info(hc->disk));
		return 0;
	case HC_BLK_READ:
		set_result(cpu, blk_read(hc->disk, hc->mem, arg(cpu, regs->rbx),
					 arg(cpu, regs->rcx), arg(cpu, regs->rsi)));
		return 0;
	case HC_BLK_WRITE:
		set_result(cpu, blk_write(hc->disk, hc->mem, arg(cpu, regs->rbx),
					  arg(cpu, regs->rcx), arg(cpu, regs->rsi)));
		return 0;
	case HC_CLOCK:
		now = now_ns();
		regs->rax = (uint32_t)now;
		regs->rdx = (uint32_t)(now >> 32);
		cpu->changed = true;
		return 0;
	case HC_MEMSIZE:
		regs->rax = (uint32_t)hc->mem->ram_size;
		regs->rdx = (uint32_t)(hc->mem->ram_size >> 32);
		cpu->changed = true;
		return 0;
	default:
		set_result(cpu, HC_ENOSYS);
		return 0;
	}
}

int hypercall_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque;
	(void)offset;
	(void)size;
	*(uint8_t *)data = HC_ABI_VERSION;
	return 0;
}
