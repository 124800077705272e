/* SPDX-License-Identifier: MIT */
/* All-stop run control for vCPU threads under gdb: who runs, who parks, one stop report per run. */
#ifndef MINI_KVM_GDB_RUNCTL_H
#define MINI_KVM_GDB_RUNCTL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gdb/stub.h"

/*
 * The VM side of the stub's rules (gdb/stub.h), written once so that a KVM-backed
 * target only has to call it:
 *
 *   vCPU thread, before every KVM_RUN:   r = gdb_runctl_enter(rc, i);
 *       r < 0: the VM ends, leave the loop. Else r is GDB_RESUME_CONTINUE or
 *       GDB_RESUME_STEP: set KVM_GUESTDBG_SINGLESTEP to match, then KVM_RUN.
 *   vCPU thread, on a debug exit:        gdb_runctl_event(rc, i, &stop)
 *       (true: gdb takes it; false: no gdb, handle the exit as without one),
 *       then back to gdb_runctl_enter(), which parks the vCPU.
 *   target ops:  resume -> gdb_runctl_resume(), interrupt -> gdb_runctl_interrupt(),
 *                detach -> gdb_runctl_detach(); the VM ending -> gdb_runctl_shutdown().
 *
 * A run ends at its first event, or at an interrupt: every running vCPU is
 * kicked (ops.kick) and parks at its next gdb_runctl_enter(); the last to park
 * reports the run's stop (ops.report, e.g. gdb_stub_stopped()) exactly once,
 * from its own thread. All functions are thread-safe; ops are called with the
 * lock held, so they must not call back into the run control (kicking and
 * gdb_stub_stopped() do not).
 */

struct gdb_runctl_ops {
	/* Make vCPU vcpu leave KVM_RUN soon (vcpu_kick()). */
	void (*kick)(void *opaque, unsigned int vcpu);
	/* The run's stop, once every vCPU is parked (gdb_stub_stopped()). */
	void (*report)(void *opaque, unsigned int vcpu, const struct gdb_stop *stop);
};

struct gdb_runctl {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;  /* parked vCPUs wait on it */
	struct gdb_runctl_ops ops;
	void *opaque;
	unsigned int nvcpus;
	bool attached;	     /* gdb controls the run; false: every vCPU runs freely */
	bool shutdown;	     /* the VM ends: every vCPU leaves */
	bool stopping;	     /* the run is ending: vCPUs park */
	uint64_t generation; /* bumped by each resume */
	enum gdb_resume action[GDB_STUB_MAX_VCPUS];
	uint64_t parked_gen[GDB_STUB_MAX_VCPUS]; /* generation a vCPU last parked in */
	bool running[GDB_STUB_MAX_VCPUS];	 /* out of gdb_runctl_enter()'s wait */
	unsigned int nrunning;
	bool have_event; /* this run's first event, to report */
	unsigned int event_vcpu;
	struct gdb_stop event;
};

/*
 * Set up for nvcpus vCPUs (1..GDB_STUB_MAX_VCPUS). held: start with every vCPU
 * parked until gdb resumes it (--gdb-wait, QEMU's -S); otherwise they run freely
 * until gdb attaches (gdb_runctl_interrupt()). Returns 0 or -EINVAL.
 */
int gdb_runctl_init(struct gdb_runctl *rc, unsigned int nvcpus, bool held,
		    const struct gdb_runctl_ops *ops, void *opaque);
/* Free the locks, once no vCPU thread is inside any gdb_runctl_* call. */
void gdb_runctl_destroy(struct gdb_runctl *rc);

/*
 * vCPU vcpu is about to enter KVM_RUN: wait while gdb holds it. Returns the action
 * for this entry (GDB_RESUME_CONTINUE, or GDB_RESUME_STEP: single-step until the
 * debug exit), or -ESHUTDOWN once gdb_runctl_shutdown() was called.
 */
int gdb_runctl_enter(struct gdb_runctl *rc, unsigned int vcpu);

/*
 * vCPU vcpu stopped for gdb (a debug exit: breakpoint, watchpoint, step done,
 * int3; or a death gdb should see). The run's first event is the one reported;
 * the others are dropped (breakpoints hit again when their vCPU runs on). Returns
 * true, or false when no gdb is attached (handle the exit without gdb).
 */
bool gdb_runctl_event(struct gdb_runctl *rc, unsigned int vcpu, const struct gdb_stop *stop);

/* The stub's resume(): actions[i] for vCPU i; starts a new run. Returns 0. */
int gdb_runctl_resume(struct gdb_runctl *rc, const enum gdb_resume *actions);

/*
 * The stub's interrupt() (attach, Ctrl-C): gdb takes control and the run ends;
 * GDB_STOP_INTERRUPTED (vCPU 0) is reported once every vCPU is parked, at once if
 * they already are, unless the run already had an event.
 */
void gdb_runctl_interrupt(struct gdb_runctl *rc);

/* The stub's detach(): gdb lets go; every vCPU runs freely. */
void gdb_runctl_detach(struct gdb_runctl *rc);

/* The VM ends: every vCPU, parked or not, gets -ESHUTDOWN from gdb_runctl_enter(). */
void gdb_runctl_shutdown(struct gdb_runctl *rc);

#endif
