/* SPDX-License-Identifier: MIT */
/* gdb on a KVM VM: the stub's target ops over KVM ioctls, the vCPU loop's hooks, the server. */
#ifndef MINI_KVM_GDB_TARGET_H
#define MINI_KVM_GDB_TARGET_H

#include <linux/kvm.h>

#include "gdb/hwbp.h"
#include "gdb/regs.h"
#include "vcpu.h"

struct vm;
struct gdb_vm;

/*
 * How the pieces meet (docs/gdb.md, "Plugging in KVM"):
 *
 *   vm_create()  gdb_vm_create(): the stub, all-stop run control (every vCPU held
 *                with --gdb-wait), the hooks each vCPU's loop calls (struct vcpu_debug)
 *                and gdb_vm_listen(): the socket, before the guest thread's sandbox
 *   vm_run()     gdb_vm_start() before the vCPU threads: the server thread;
 *                gdb_vm_end() once the VM stops: tell gdb how, release parked vCPUs;
 *                gdb_vm_stop() after the threads are joined: the last reply, close
 *   vm_destroy() gdb_vm_destroy()
 *
 * The server thread calls the target ops below while every vCPU is parked in
 * gdb_runctl_enter() (all-stop), so KVM_GET/SET_* on another thread's vCPU meet no
 * KVM_RUN; KVM_SET_GUEST_DEBUG is issued by each vCPU on its own thread, before
 * KVM_RUN, when the debug state's generation or its single-step flag changed.
 */

/*
 * Set up gdb for vm, whose config->gdb.address is set: the stub, run control for
 * config->cpus vCPUs (held until gdb resumes them with config->gdb.wait), the
 * loop hooks. No socket yet. Call before the vCPUs are created (their env takes
 * gdb_vm_hooks()). Returns 0 with *out, or -errno with a message.
 */
int gdb_vm_create(struct vm *vm, struct gdb_vm **out);

/* The hooks for each vCPU's struct vcpu_env (valid until gdb_vm_destroy()). */
const struct vcpu_debug *gdb_vm_hooks(struct gdb_vm *g);

/*
 * Listen on config->gdb.address (vm_create(), before the guest thread's sandbox
 * forbids making sockets). Returns 0, or -errno with a message (bad address, port in
 * use); gdb_vm_destroy() closes the socket.
 */
int gdb_vm_listen(struct gdb_vm *g);

/*
 * Start the server thread, listening first unless gdb_vm_listen() did (one log line
 * says where). Returns 0, or -errno with a message (bad address, port in use).
 */
int gdb_vm_start(struct gdb_vm *g);

/*
 * The VM is stopping (vm->result holds how): post the end to gdb (W status, or X
 * signal for a death, a timeout or mini-kvm's own signal) and let every parked
 * vCPU leave its loop. Any thread, once vm->stopping is set.
 */
void gdb_vm_end(struct gdb_vm *g);

/* Deliver the end to gdb and close the server (after the vCPU threads are joined). Idempotent. */
void gdb_vm_stop(struct gdb_vm *g);

/* Stop the server if running, free everything. NULL is fine. */
void gdb_vm_destroy(struct gdb_vm *g);

/*
 * KVM's registers into gdb's struct (regs.h): general registers in gdb's order,
 * segments with their hidden parts, control registers, descriptor tables, x87
 * (with the full tag word) and SSE. Pure; exposed for unit tests.
 */
void gdb_regs_from_kvm(struct gdb_regs *out, const struct kvm_regs *regs,
		       const struct kvm_sregs *sregs, const struct kvm_fpu *fpu);

/*
 * The reverse: what gdb can change (registers, selectors, bases and limits, control
 * registers, descriptor tables, x87, SSE) written over regs, sregs and fpu, which hold
 * the vCPU's current state (everything gdb does not see stays). Pure.
 */
void gdb_regs_to_kvm(const struct gdb_regs *in, struct kvm_regs *regs, struct kvm_sregs *sregs,
		     struct kvm_fpu *fpu);

/*
 * The struct kvm_guest_debug for a vCPU: nothing (guest debugging off) unless
 * attached; then KVM_GUESTDBG_ENABLE | USE_SW_BP, plus USE_HW_BP with DR0-DR3 and
 * DR7 from hw when a slot is in use, plus SINGLESTEP when step. Pure.
 */
void gdb_guest_debug(struct kvm_guest_debug *dbg, bool attached, const struct gdb_hwbp *hw,
		     bool step);

#endif
