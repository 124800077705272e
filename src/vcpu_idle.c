/* SPDX-License-Identifier: MIT */
/* The halt watch: HLT with IF clear under an in-kernel irqchip ends the VM instead of hanging. */
#include "vcpu_idle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/x86.h"

void vcpu_idle_poll(struct vcpu *vcpu)
{
	uint64_t exits = __atomic_load_n(&vcpu->nexits, __ATOMIC_RELAXED);

	if (!vcpu->env.halt_watch || !atomic_load(&vcpu->thread_started))
		return;
	if (exits == vcpu->idle_seen_exits && !atomic_load(&vcpu->idle_check)) {
		atomic_store(&vcpu->idle_check, true);
		vcpu_kick(vcpu);
	}
	vcpu->idle_seen_exits = exits;
}

static enum vcpu_outcome ioctl_failed(struct vcpu *vcpu, const char *what)
{
	snprintf(vcpu->message, sizeof(vcpu->message), "%s on vCPU %u: %s", what, vcpu->index,
		 strerror(errno));
	return VCPU_KVM_ERROR;
}

enum vcpu_outcome vcpu_idle_check(struct vcpu *vcpu)
{
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return ioctl_failed(vcpu, "KVM_GET_MP_STATE");
	if (mp.mp_state != KVM_MP_STATE_HALTED)
		return VCPU_CONTINUE;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return ioctl_failed(vcpu, "KVM_GET_REGS");
	if (regs.rflags & X86_RFLAGS_IF)
		return VCPU_CONTINUE; /* an interrupt (timer, serial) may still come */
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &events) < 0)
		return ioctl_failed(vcpu, "KVM_GET_VCPU_EVENTS");
	if (events.nmi.pending || events.nmi.injected)
		return VCPU_CONTINUE;
	snprintf(vcpu->message, sizeof(vcpu->message),
		 "vCPU %u halted with interrupts disabled (IF=0, RIP 0x%" PRIx64
		 "): nothing can wake it, so the VM ends",
		 vcpu->index, (uint64_t)regs.rip);
	return VCPU_HALTED;
}
