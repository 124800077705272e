/* SPDX-License-Identifier: MIT */
/* All-stop run control: vCPUs park between runs, the last to park reports the run's one stop. */
#include "gdb/runctl.h"

#include <errno.h>
#include <string.h>

int gdb_runctl_init(struct gdb_runctl *rc, unsigned int nvcpus, bool held,
		    const struct gdb_runctl_ops *ops, void *opaque)
{
	if (nvcpus < 1 || nvcpus > GDB_STUB_MAX_VCPUS || !ops->kick || !ops->report)
		return -EINVAL;
	memset(rc, 0, sizeof(*rc));
	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->cond, NULL);
	rc->ops = *ops;
	rc->opaque = opaque;
	rc->nvcpus = nvcpus;
	/* Held: attached with no run yet (generation 0, every vCPU parked in it). */
	rc->attached = held;
	return 0;
}

void gdb_runctl_destroy(struct gdb_runctl *rc)
{
	pthread_cond_destroy(&rc->cond);
	pthread_mutex_destroy(&rc->lock);
}

/* Every vCPU is parked and the run is over: tell gdb, once. Lock held. */
static void report(struct gdb_runctl *rc)
{
	struct gdb_stop stop = { .kind = GDB_STOP_INTERRUPTED };
	unsigned int vcpu = 0;

	if (rc->have_event) {
		stop = rc->event;
		vcpu = rc->event_vcpu;
	}
	rc->have_event = false;
	rc->ops.report(rc->opaque, vcpu, &stop);
}

/* A vCPU index that is none: stop_run() kicks every running vCPU. */
#define NO_VCPU ((unsigned int)-1)

/* End the run: kick whoever runs (but self); with nobody running, report now. Lock held. */
static void stop_run(struct gdb_runctl *rc, unsigned int self)
{
	unsigned int i;

	if (rc->stopping)
		return;
	rc->stopping = true;
	if (rc->nrunning == 0) {
		report(rc);
		return;
	}
	for (i = 0; i < rc->nvcpus; i++) {
		if (rc->running[i] && i != self)
			rc->ops.kick(rc->opaque, i);
	}
}

int gdb_runctl_enter(struct gdb_runctl *rc, unsigned int vcpu)
{
	int ret;

	if (vcpu >= rc->nvcpus)
		return -EINVAL;
	pthread_mutex_lock(&rc->lock);
	for (;;) {
		if (rc->shutdown) {
			ret = -ESHUTDOWN;
			break;
		}
		if (!rc->attached) {
			if (!rc->running[vcpu]) {
				rc->running[vcpu] = true;
				rc->nrunning++;
			}
			ret = GDB_RESUME_CONTINUE;
			break;
		}
		if (rc->running[vcpu]) {
			if (!rc->stopping) {
				ret = rc->action[vcpu]; /* the run goes on */
				break;
			}
			/* Park; the last one in ends the run. */
			rc->running[vcpu] = false;
			rc->nrunning--;
			rc->parked_gen[vcpu] = rc->generation;
			if (rc->nrunning == 0)
				report(rc);
		}
		if (!rc->stopping && rc->action[vcpu] != GDB_RESUME_STAY &&
		    rc->parked_gen[vcpu] != rc->generation) {
			rc->running[vcpu] = true;
			rc->nrunning++;
			ret = rc->action[vcpu];
			break;
		}
		pthread_cond_wait(&rc->cond, &rc->lock);
	}
	pthread_mutex_unlock(&rc->lock);
	return ret;
}

bool gdb_runctl_event(struct gdb_runctl *rc, unsigned int vcpu, const struct gdb_stop *stop)
{
	bool taken;

	pthread_mutex_lock(&rc->lock);
	taken = rc->attached && !rc->shutdown;
	if (taken && !rc->stopping && !rc->have_event) {
		rc->have_event = true;
		rc->event_vcpu = vcpu < rc->nvcpus ? vcpu : 0;
		rc->event = *stop;
		rc->event.message = NULL; /* not kept: the caller's string may go */
		stop_run(rc, vcpu);	  /* the caller parks at its next gdb_runctl_enter() */
	}
	pthread_mutex_unlock(&rc->lock);
	return taken;
}

int gdb_runctl_resume(struct gdb_runctl *rc, const enum gdb_resume *actions)
{
	pthread_mutex_lock(&rc->lock);
	memcpy(rc->action, actions, rc->nvcpus * sizeof(actions[0]));
	rc->generation++;
	rc->stopping = false;
	rc->have_event = false;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
	return 0;
}

void gdb_runctl_interrupt(struct gdb_runctl *rc)
{
	unsigned int i;

	pthread_mutex_lock(&rc->lock);
	if (!rc->attached) {
		/* gdb takes over a freely running VM: its current run is gdb's to stop. */
		rc->attached = true;
		for (i = 0; i < rc->nvcpus; i++)
			rc->action[i] = GDB_RESUME_CONTINUE;
	}
	if (rc->nrunning == 0) {
		/* Nobody runs (held, not started yet, or stopped already): answer now. */
		rc->stopping = true;
		for (i = 0; i < rc->nvcpus; i++)
			rc->parked_gen[i] = rc->generation;
		report(rc);
	} else {
		stop_run(rc, NO_VCPU); /* nothing new if the run is already ending */
	}
	pthread_mutex_unlock(&rc->lock);
}

void gdb_runctl_detach(struct gdb_runctl *rc)
{
	pthread_mutex_lock(&rc->lock);
	rc->attached = false;
	rc->stopping = false;
	rc->have_event = false;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
}

void gdb_runctl_shutdown(struct gdb_runctl *rc)
{
	pthread_mutex_lock(&rc->lock);
	rc->shutdown = true;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
}
