/* Several guests at once: open every image, then one thread per VM, and a thread for signals. */
#include "runner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "loaders/image.h"

#define NS_PER_SEC 1e9

/* Prefix colors, one per guest in turn (ANSI SGR: bold green, blue, magenta, cyan, yellow, red). */
static const char *const guest_colors[] = { "1;32", "1;34", "1;35", "1;36", "1;33", "1;31" };

struct guest_job {
	const struct options *opts;
	const struct kvm_host *host;
	struct guest_image image;
	struct vm_config config;
	struct console console;
	struct guest_report *report;
	pthread_t thread;
	struct vm *vm; /* live VM, or NULL; guarded by live_lock */
};

/* The signal thread stops live VMs; the guest threads publish them here. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct guest_job *live_jobs;
static unsigned int live_njobs;
static int caught_signal; /* guarded by live_lock */

void runner_guest_name(const char *path, char *name, unsigned long size)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	snprintf(name, size, "%.*s", (int)(dot && dot != base ? dot - base : (long)strlen(base)),
		 base);
}

static void set_live(struct guest_job *job, struct vm *vm)
{
	pthread_mutex_lock(&live_lock);
	job->vm = vm;
	/* A signal that came before this VM existed stops it at once. */
	if (vm && caught_signal)
		vm_stop(vm, VM_END_SIGNAL, caught_signal, -1, "stopped by signal %d",
			caught_signal);
	pthread_mutex_unlock(&live_lock);
}

static char *format_stats(struct vm *vm, const struct guest_job *job)
{
	struct vcpu_stats total = { 0 };
	char label[CONSOLE_NAME_MAX + 32], *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		stats_merge(&total, &vm->vcpus[i].stats);
	snprintf(label, sizeof(label), "[%u:%s] stats", job->config.index, job->config.name);
	stats_print(out, label, &total, vm->end_ns - vm->start_ns, vm_device_name, vm);
	fclose(out);
	return text;
}

static void *guest_thread(void *arg)
{
	struct guest_job *job = arg;
	struct guest_report *report = job->report;
	/* A positive --timeout too small for a nanosecond must not mean "none" (0). */
	uint64_t timeout_ns = job->opts->timeout > 0 ? job->opts->timeout * NS_PER_SEC + 1 : 0;
	struct vm vm;
	int ret;

	ret = vm_create(&vm, job->host, &job->config);
	if (ret < 0) {
		report->result.end = VM_END_ERROR;
		snprintf(report->result.message, sizeof(report->result.message), "%s",
			 error_message());
		return NULL;
	}
	ret = vm_load_image(&vm, &job->image);
	if (ret < 0) {
		vm_stop(&vm, VM_END_ERROR, 0, -1, "%s", error_message());
	} else {
		set_live(job, &vm);
		vm_run(&vm, timeout_ns);
		set_live(job, NULL);
	}
	console_flush(&job->console);
	if (job->opts->stats)
		report->stats = format_stats(&vm, job);
	report->result = vm.result;
	vm.result.dump = NULL; /* the report owns it now */
	if (report->result.end == VM_END_DIED)
		report->hint = check_explain_death(job->host, &vm);
	vm_destroy(&vm);
	return NULL;
}

static void *signal_thread(void *arg)
{
	const sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) == 0) {
		pthread_mutex_lock(&live_lock);
		caught_signal = sig;
		for (unsigned int i = 0; i < live_njobs; i++)
			if (live_jobs[i].vm)
				vm_stop(live_jobs[i].vm, VM_END_SIGNAL, sig, -1,
					"stopped by signal %d", sig);
		pthread_mutex_unlock(&live_lock);
	}
	return NULL;
}

static int open_images(const struct options *opts, struct guest_job *jobs)
{
	for (unsigned int i = 0; i < opts->nguests; i++) {
		int ret = image_open(opts->guests[i].path, &opts->guests[i].image, &jobs[i].image);

		if (ret < 0) {
			while (i--)
				image_free(&jobs[i].image);
			return ret;
		}
	}
	return 0;
}

static void setup_jobs(const struct options *opts, const struct kvm_host *host,
		       struct guest_job *jobs, struct run_report *report)
{
	const char *no_color = getenv("NO_COLOR");
	bool several = opts->nguests > 1;
	bool color = several && isatty(STDOUT_FILENO) && !(no_color && no_color[0]);

	for (unsigned int i = 0; i < opts->nguests; i++) {
		struct guest_job *job = &jobs[i];
		struct guest_report *r = &report->guests[i];

		r->index = i + 1;
		r->path = opts->guests[i].path;
		runner_guest_name(r->path, r->name, sizeof(r->name));
		job->opts = opts;
		job->host = host;
		job->report = r;
		console_init(
			&job->console, r->index, r->name, several,
			color ? guest_colors[i % (sizeof(guest_colors) / sizeof(guest_colors[0]))]
			      : NULL,
			STDOUT_FILENO);
		job->config = (struct vm_config){
			.index = r->index,
			.name = r->name,
			.mem_size = opts->mem_size,
			.cpus = opts->cpus,
			.trace = opts->trace,
			.console = &job->console,
		};
	}
	report->nguests = opts->nguests;
}

int runner_run(const struct options *opts, struct run_report *report)
{
	static struct guest_job jobs[OPTIONS_MAX_GUESTS];
	struct console_input input;
	struct kvm_host host;
	pthread_t sig_thread;
	sigset_t signals;
	int ret;

	memset(report, 0, sizeof(*report));
	if (opts->kernel)
		return error_set(ENOTSUP, "bzImage '%s': Linux boot is not implemented yet",
				 opts->kernel);
	ret = kvm_host_open(&host, KVM_DEVICE_PATH);
	if (ret < 0)
		return ret;
	memset(jobs, 0, sizeof(jobs));
	ret = open_images(opts, jobs);
	if (ret < 0) {
		kvm_host_close(&host);
		return ret;
	}
	setup_jobs(opts, &host, jobs, report);

	/* Signals go to one thread, which stops the VMs: every exit path is an orderly one. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error value, not a death */
	live_jobs = jobs;
	live_njobs = opts->nguests;
	caught_signal = 0;
	pthread_create(&sig_thread, NULL, signal_thread, &signals);

	/* stdin belongs to the first guest. */
	ret = console_input_start(&input, STDIN_FILENO, NULL, NULL);
	if (ret == 0)
		jobs[0].console.input = &input;

	for (unsigned int i = 0; i < opts->nguests; i++) {
		ret = pthread_create(&jobs[i].thread, NULL, guest_thread, &jobs[i]);
		if (ret) {
			report->guests[i].result.end = VM_END_ERROR;
			snprintf(report->guests[i].result.message, VM_MESSAGE_MAX,
				 "cannot start a thread: %s", strerror(ret));
			jobs[i].thread = 0;
		}
	}
	for (unsigned int i = 0; i < opts->nguests; i++) {
		if (jobs[i].thread)
			pthread_join(jobs[i].thread, NULL);
		console_destroy(&jobs[i].console);
		image_free(&jobs[i].image);
	}

	if (jobs[0].console.input)
		console_input_stop(&input);
	pthread_cancel(sig_thread);
	pthread_join(sig_thread, NULL);
	live_njobs = 0;
	kvm_host_close(&host);
	return 0;
}

void runner_report_free(struct run_report *report)
{
	for (unsigned int i = 0; i < report->nguests; i++) {
		free(report->guests[i].result.dump);
		free(report->guests[i].stats);
		free(report->guests[i].hint);
	}
	report->nguests = 0;
}
