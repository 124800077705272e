/* SPDX-License-Identifier: MIT */
/* Unit tests of the all-stop run control (src/gdb/runctl.c) with real threads as pretend vCPUs. */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "gdb/runctl.h"

#define SIM_VCPUS   3
#define MAX_REPORTS 16
#define WAIT_MS	    5000
#define STEP_NS	    100000L /* one pretend guest "instruction" */
#define SETTLE_MS   50	    /* long enough for a parked vCPU to show it would run */
#define NS_PER_MS   1000000L
#define NO_EVENT    (-1)

struct report {
	unsigned int vcpu;
	enum gdb_stop_kind kind;
};

struct sim;

struct vcpu_arg {
	struct sim *sim;
	unsigned int index;
};

struct sim {
	struct gdb_runctl rc;
	pthread_t threads[SIM_VCPUS];
	struct vcpu_arg args[SIM_VCPUS];
	atomic_bool kicked[SIM_VCPUS];
	atomic_uint entries[SIM_VCPUS];	 /* pretend KVM_RUNs */
	atomic_int post[SIM_VCPUS];	 /* an event kind to raise at the next "exit" */
	atomic_bool declined[SIM_VCPUS]; /* gdb_runctl_event() said no gdb */
	pthread_mutex_t lock;		 /* reports */
	pthread_cond_t cond;
	struct report reports[MAX_REPORTS];
	unsigned int nreports;
};

static void sim_kick(void *opaque, unsigned int vcpu)
{
	struct sim *s = opaque;

	atomic_store(&s->kicked[vcpu], true);
}

static void sim_report(void *opaque, unsigned int vcpu, const struct gdb_stop *stop)
{
	struct sim *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (s->nreports < MAX_REPORTS)
		s->reports[s->nreports++] = (struct report){ vcpu, stop->kind };
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static const struct gdb_runctl_ops sim_ops = { .kick = sim_kick, .report = sim_report };

static void sleep_ns(long ns)
{
	struct timespec t = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	nanosleep(&t, NULL);
}

/* A vCPU thread: enter, "run" until kicked or an event, again. */
static void *vcpu_thread(void *arg)
{
	struct vcpu_arg *a = arg;
	struct sim *s = a->sim;
	unsigned int i = a->index;
	int action;

	while ((action = gdb_runctl_enter(&s->rc, i)) >= 0) {
		atomic_fetch_add(&s->entries[i], 1);
		for (;;) {
			int post = atomic_exchange(&s->post[i], NO_EVENT);

			sleep_ns(STEP_NS);
			if (action == GDB_RESUME_STEP)
				post = GDB_STOP_STEP; /* one instruction, then the debug exit */
			if (post != NO_EVENT) {
				struct gdb_stop st = { .kind = (enum gdb_stop_kind)post };

				if (!gdb_runctl_event(&s->rc, i, &st))
					atomic_store(&s->declined[i], true);
				break;
			}
			if (atomic_exchange(&s->kicked[i], false))
				break;
		}
	}
	return NULL;
}

static struct sim *sim_start(bool held)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	assert_non_null(s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	assert_int_equal(gdb_runctl_init(&s->rc, SIM_VCPUS, held, &sim_ops, s), 0);
	for (i = 0; i < SIM_VCPUS; i++) {
		s->args[i] = (struct vcpu_arg){ s, i };
		atomic_store(&s->post[i], NO_EVENT);
		assert_int_equal(pthread_create(&s->threads[i], NULL, vcpu_thread, &s->args[i]), 0);
	}
	return s;
}

static void sim_stop(struct sim *s)
{
	unsigned int i;

	gdb_runctl_shutdown(&s->rc);
	for (i = 0; i < SIM_VCPUS; i++) {
		sim_kick(s, i);
		pthread_join(s->threads[i], NULL);
	}
	gdb_runctl_destroy(&s->rc);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Wait for the n-th report (1-based) and return it. */
static struct report wait_report(struct sim *s, unsigned int n)
{
	struct timespec deadline;
	struct report r;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&s->lock);
	while (s->nreports < n) {
		if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&s->lock);
			fail_msg("no report %u within %d ms", n, WAIT_MS);
		}
	}
	r = s->reports[n - 1];
	pthread_mutex_unlock(&s->lock);
	return r;
}

static unsigned int nreports(struct sim *s)
{
	unsigned int n;

	pthread_mutex_lock(&s->lock);
	n = s->nreports;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Entries of every vCPU, after letting them settle. */
static void snapshot(struct sim *s, unsigned int *out)
{
	unsigned int i;

	sleep_ns(SETTLE_MS * NS_PER_MS);
	for (i = 0; i < SIM_VCPUS; i++)
		out[i] = atomic_load(&s->entries[i]);
}

static void wait_entries(struct sim *s, unsigned int vcpu, unsigned int above)
{
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (atomic_load(&s->entries[vcpu]) > above)
			return;
		sleep_ns(NS_PER_MS);
	}
	fail_msg("vCPU %u did not run", vcpu);
}

static void resume_all(struct sim *s, enum gdb_resume a0, enum gdb_resume a1, enum gdb_resume a2)
{
	const enum gdb_resume actions[SIM_VCPUS] = { a0, a1, a2 };

	assert_int_equal(gdb_runctl_resume(&s->rc, actions), 0);
}

static void test_held_until_gdb_resumes(void **state)
{
	struct sim *s = sim_start(true);
	unsigned int before[SIM_VCPUS], after[SIM_VCPUS];
	struct report r;

	(void)state;
	snapshot(s, before);
	assert_int_equal(before[0] + before[1] + before[2], 0); /* --gdb-wait: nothing ran */
	/* gdb attaches: already stopped, so the answer comes at once. */
	gdb_runctl_interrupt(&s->rc);
	r = wait_report(s, 1);
	assert_int_equal(r.kind, GDB_STOP_INTERRUPTED);
	assert_int_equal(r.vcpu, 0);
	snapshot(s, after);
	assert_int_equal(after[0] + after[1] + after[2], 0);
	/* Continue: all run; Ctrl-C: all park, one report. */
	resume_all(s, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE);
	wait_entries(s, 0, 0);
	wait_entries(s, 2, 0);
	gdb_runctl_interrupt(&s->rc);
	r = wait_report(s, 2);
	assert_int_equal(r.kind, GDB_STOP_INTERRUPTED);
	snapshot(s, before);
	snapshot(s, after);
	assert_memory_equal(before, after, sizeof(before)); /* parked */
	assert_int_equal(nreports(s), 2);
	sim_stop(s);
}

static void test_first_event_stops_all(void **state)
{
	struct sim *s = sim_start(true);
	unsigned int before[SIM_VCPUS], after[SIM_VCPUS];
	struct report r;

	(void)state;
	gdb_runctl_interrupt(&s->rc);
	wait_report(s, 1);
	resume_all(s, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE);
	wait_entries(s, 1, 0);
	atomic_store(&s->post[1], GDB_STOP_HWBREAK);
	r = wait_report(s, 2);
	assert_int_equal(r.vcpu, 1);
	assert_int_equal(r.kind, GDB_STOP_HWBREAK);
	snapshot(s, before);
	snapshot(s, after);
	assert_memory_equal(before, after, sizeof(before));
	/* Two at once: one report. */
	resume_all(s, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE);
	wait_entries(s, 0, after[0]);
	wait_entries(s, 2, after[2]);
	atomic_store(&s->post[0], GDB_STOP_WATCH);
	atomic_store(&s->post[2], GDB_STOP_INT3);
	r = wait_report(s, 3);
	assert_true(r.kind == GDB_STOP_WATCH || r.kind == GDB_STOP_INT3);
	snapshot(s, before);
	assert_int_equal(nreports(s), 3);
	sim_stop(s);
}

static void test_step_one_while_others_stay(void **state)
{
	struct sim *s = sim_start(true);
	unsigned int before[SIM_VCPUS], after[SIM_VCPUS];
	struct report r;

	(void)state;
	gdb_runctl_interrupt(&s->rc);
	wait_report(s, 1);
	snapshot(s, before);
	/* vCont;s:2: vCPU 1 steps, the others stay stopped. */
	resume_all(s, GDB_RESUME_STAY, GDB_RESUME_STEP, GDB_RESUME_STAY);
	r = wait_report(s, 2);
	assert_int_equal(r.vcpu, 1);
	assert_int_equal(r.kind, GDB_STOP_STEP);
	snapshot(s, after);
	assert_int_equal(after[0], before[0]);
	assert_int_equal(after[1], before[1] + 1);
	assert_int_equal(after[2], before[2]);
	/* vCont;s:1;c: vCPU 0 steps while the others run; the step ends the run. */
	resume_all(s, GDB_RESUME_STEP, GDB_RESUME_CONTINUE, GDB_RESUME_CONTINUE);
	r = wait_report(s, 3);
	assert_int_equal(r.vcpu, 0);
	assert_int_equal(r.kind, GDB_STOP_STEP);
	assert_int_equal(nreports(s), 3);
	sim_stop(s);
}

static void test_attach_to_free_run_and_detach(void **state)
{
	struct sim *s = sim_start(false);
	unsigned int before[SIM_VCPUS], after[SIM_VCPUS];
	struct report r;
	unsigned int i;

	(void)state;
	for (i = 0; i < SIM_VCPUS; i++)
		wait_entries(s, i, 0);
	/* Without gdb, events are not gdb's. */
	atomic_store(&s->post[2], GDB_STOP_INT3);
	for (i = 0; i < WAIT_MS && !atomic_load(&s->declined[2]); i++)
		sleep_ns(NS_PER_MS);
	assert_true(atomic_load(&s->declined[2]));
	assert_int_equal(nreports(s), 0);
	/* gdb attaches: every running vCPU is kicked and parks; one report. */
	gdb_runctl_interrupt(&s->rc);
	r = wait_report(s, 1);
	assert_int_equal(r.kind, GDB_STOP_INTERRUPTED);
	snapshot(s, before);
	snapshot(s, after);
	assert_memory_equal(before, after, sizeof(before));
	/* gdb leaves: they run again, and nothing is reported. */
	gdb_runctl_detach(&s->rc);
	for (i = 0; i < SIM_VCPUS; i++)
		wait_entries(s, i, after[i]);
	assert_int_equal(nreports(s), 1);
	sim_stop(s);
}

static void test_shutdown_releases_parked(void **state)
{
	struct sim *s = sim_start(true);

	(void)state;
	/* Every thread is parked in gdb_runctl_enter(); sim_stop() must join them. */
	sleep_ns(SETTLE_MS * NS_PER_MS);
	sim_stop(s);
}

static void test_bad_arguments(void **state)
{
	struct gdb_runctl rc;
	const struct gdb_runctl_ops no_kick = { .report = sim_report };

	(void)state;
	assert_int_equal(gdb_runctl_init(&rc, 0, false, &sim_ops, NULL), -EINVAL);
	assert_int_equal(gdb_runctl_init(&rc, GDB_STUB_MAX_VCPUS + 1, false, &sim_ops, NULL),
			 -EINVAL);
	assert_int_equal(gdb_runctl_init(&rc, 1, false, &no_kick, NULL), -EINVAL);
	assert_int_equal(gdb_runctl_init(&rc, 1, false, &sim_ops, NULL), 0);
	assert_int_equal(gdb_runctl_enter(&rc, 1), -EINVAL);
	gdb_runctl_shutdown(&rc);
	assert_int_equal(gdb_runctl_enter(&rc, 0), -ESHUTDOWN);
	gdb_runctl_destroy(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_until_gdb_resumes),
		cmocka_unit_test(test_first_event_stops_all),
		cmocka_unit_test(test_step_one_while_others_stay),
		cmocka_unit_test(test_attach_to_free_run_and_detach),
		cmocka_unit_test(test_shutdown_releases_parked),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("gdb_runctl", tests, NULL, NULL);
}
