/* SPDX-License-Identifier: MIT */
/* The halt watch: a vCPU halted inside KVM with interrupts off, which nothing will ever wake. */
#ifndef MINI_KVM_VCPU_IDLE_H
#define MINI_KVM_VCPU_IDLE_H

#include "vcpu.h"

/*
 * How often the VM looks at a vCPU that made no exit since the last look. With an
 * in-kernel irqchip KVM runs HLT itself (the vCPU waits in the kernel for an
 * interrupt): no exit tells user space about it, so the VM has to ask.
 */
#define VCPU_IDLE_CHECK_NS (500ULL * 1000 * 1000)

/*
 * On the VM's thread, every VCPU_IDLE_CHECK_NS: if vcpu made no exit since the last
 * call, ask it to look at its state (vcpu->idle_check) and kick it out of KVM_RUN.
 * A vCPU's own registers and MP state can only be read by its own thread (KVM holds
 * the vCPU's mutex for the whole KVM_RUN), hence the kick.
 */
void vcpu_idle_poll(struct vcpu *vcpu);

/*
 * On the vCPU's thread, after a kick: whether it is halted with nothing to wake it
 * -- KVM_GET_MP_STATE says KVM_MP_STATE_HALTED, RFLAGS.IF is clear (maskable
 * interrupts cannot wake it: SDM vol. 3A, 6.8.1 and the HLT instruction in vol. 2A)
 * and no NMI is pending (KVM_GET_VCPU_EVENTS). Only for a VM whose vCPUs have no
 * other source of NMI, INIT or SMI (one vCPU, bare guests: vm_config.halt_watch).
 * Returns VCPU_HALTED with vcpu->message saying so, VCPU_CONTINUE, or
 * VCPU_KVM_ERROR if an ioctl failed.
 */
enum vcpu_outcome vcpu_idle_check(struct vcpu *vcpu);

#endif
