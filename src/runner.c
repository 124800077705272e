/* Running guests: open every input first, then one thread per VM, and a thread for signals. */
#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "clock.h"
#include "devices/blk.h"
#include "diagnose.h"
#include "error.h"
#include "linux.h"
#include "loaders/image.h"
#include "mini-kvm/hypercall.h"
#include "terminal.h"
#include "util.h"
#include "vm_snapshot.h"

/* The signal that snapshots every running VM (docs/snapshot.md); they run on. */
#define SNAPSHOT_SIGNAL SIGUSR2
_Static_assert(OPTIONS_SNAPSHOT_AT_MAX <= CONSOLE_TRIGGER_MAX, "--snapshot-at text too long");

/* Prefix colors, one per guest in turn (ANSI SGR: bold green, blue, magenta, cyan, yellow, red). */
static const char *const guest_colors[] = { "1;32", "1;34", "1;35", "1;36", "1;33", "1;31" };

struct guest_job {
	const struct options *opts;
	const struct kvm_host *host;
	struct guest_image image;	 /* a flat or ELF guest ... */
	struct linux_guest *linux_guest; /* ... or, with -k, a Linux one */
	struct snapshot_in *restore;	 /* `restore`: the snapshot it resumes, or NULL */
	char snapshot_path[PATH_MAX];	 /* where its snapshots go */
	struct vm_config config;
	struct console console;
	struct guest_report *report;
	pthread_t thread;
	struct vm *vm; /* live VM, or NULL; guarded by live_lock */
};

/* The signal thread and Ctrl-A x stop live VMs; the guest threads publish them here. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct guest_job *live_jobs;
static unsigned int live_njobs;
static enum vm_end stop_end; /* VM_END_RUNNING until a signal or Ctrl-A x; guarded */
static int stop_status;	     /* guarded by live_lock */

void runner_guest_name(const char *path, char *name, unsigned long size)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	snprintf(name, size, "%.*s", (int)(dot && dot != base ? dot - base : (long)strlen(base)),
		 base);
}

static void stop_vm(struct vm *vm)
{
	if (stop_end == VM_END_SIGNAL)
		vm_stop(vm, VM_END_SIGNAL, stop_status, -1, "stopped by signal %d", stop_status);
	else
		vm_stop(vm, stop_end, 0, -1, "quit with Ctrl-A x");
}

/* Stop every live VM now, and any VM that goes live later. */
static void stop_all(enum vm_end end, int status)
{
	pthread_mutex_lock(&live_lock);
	if (stop_end == VM_END_RUNNING) {
		stop_end = end;
		stop_status = status;
	}
	for (unsigned int i = 0; i < live_njobs; i++)
		if (live_jobs[i].vm)
			stop_vm(live_jobs[i].vm);
	pthread_mutex_unlock(&live_lock);
}

static void set_live(struct guest_job *job, struct vm *vm)
{
	pthread_mutex_lock(&live_lock);
	job->vm = vm;
	if (vm && stop_end != VM_END_RUNNING)
		stop_vm(vm);
	pthread_mutex_unlock(&live_lock);
}

/*
 * A line on stderr while guests run (a snapshot's outcome: the VM runs on, so it
 * cannot wait for main.c), ending as the terminal needs.
 */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[VM_MESSAGE_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mini-kvm: %s%s", line, terminal_newline());
}

/* Snapshot every live VM (SIGUSR2, Ctrl-A s): each saves on its own thread. */
static void snapshot_all(void)
{
	pthread_mutex_lock(&live_lock);
	for (unsigned int i = 0; i < live_njobs; i++)
		if (live_jobs[i].vm)
			vm_request(live_jobs[i].vm, VM_REQUEST_SNAPSHOT);
	pthread_mutex_unlock(&live_lock);
}

static void snapshot_typed(void *opaque)
{
	(void)opaque;
	snapshot_all();
}

/* --snapshot-at: the console saw the text (on a vCPU thread, under the console's lock). */
static void snapshot_at_reached(void *vm)
{
	vm_request(vm, VM_REQUEST_SNAPSHOT);
}

/*
 * The VM's thread, asked for a snapshot: take it, say how it went, and with
 * --snapshot-and-exit end the VM (the guest stays paused until then, so that it
 * never runs past its snapshot).
 */
static void snapshot_requested(struct vm *vm, unsigned int requests, void *opaque)
{
	struct guest_job *job = opaque;
	bool and_exit = job->opts->snapshot_and_exit;
	struct vm_snapshot_info info;

	if (!(requests & VM_REQUEST_SNAPSHOT))
		return;
	if (vm_snapshot_take(vm, job->snapshot_path, job->linux_guest != NULL, !and_exit, &info) <
	    0) {
		say("guest '%s': %s", job->report->path, error_message());
		if (and_exit)
			vm_stop(vm, VM_END_ERROR, 0, -1, "%s", error_message());
		return;
	}
	say("guest '%s': snapshot saved to %s (%.1f %s of RAM in %zu extents; the guest paused "
	    "%.1f ms, %.1f ms in all)",
	    job->report->path, job->snapshot_path,
	    info.ram_written / (double)(info.ram_written < LAYOUT_MIB ? LAYOUT_KIB : LAYOUT_MIB),
	    info.ram_written < LAYOUT_MIB ? "KiB" : "MiB", info.nextents,
	    info.paused_ns / (double)NS_PER_MSEC, info.total_ns / (double)NS_PER_MSEC);
	if (and_exit)
		vm_stop(vm, VM_END_SNAPSHOT, 0, -1, "snapshot saved to %s", job->snapshot_path);
}

/* The --stats text of a VM that ran: totals, each vCPU's, and a Linux guest's boot timeline. */
static char *format_stats(const struct vm *vm, const struct guest_job *job)
{
	const struct vcpu_stats *per_vcpu[VM_MAX_VCPUS];

	for (unsigned int i = 0; i < vm->nvcpus; i++)
		per_vcpu[i] = &vm->vcpus[i].stats;
	return stats_report(vm->trace_label, per_vcpu, vm->nvcpus, vm->end_ns - vm->start_ns,
			    vm_device_name, (void *)vm, job->linux_guest ? &vm->timeline : NULL,
			    job->opts->boot_marker);
}

static int load_guest(struct guest_job *job, struct vm *vm)
{
	if (job->restore) {
		int ret = vm_snapshot_restore(vm, job->restore);

		if (ret == 0 && job->linux_guest)
			linux_attach(job->linux_guest, vm);
		return ret;
	}
	if (job->linux_guest)
		return linux_load(job->linux_guest, vm, job->host);
	return vm_load_image(vm, &job->image);
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
	ret = load_guest(job, &vm);
	if (ret < 0) {
		vm_stop(&vm, VM_END_ERROR, 0, -1, "%s", error_message());
	} else {
		vm.on_request = snapshot_requested;
		vm.request_opaque = job;
		if (job->opts->snapshot_at)
			console_set_trigger(&job->console, job->opts->snapshot_at,
					    snapshot_at_reached, &vm);
		set_live(job, &vm);
		vm_run(&vm, timeout_ns);
		set_live(job, NULL);
		console_set_trigger(&job->console, NULL, NULL, NULL);
	}
	timeline_mark(&vm.timeline, TIMELINE_END, vm.end_ns ? vm.end_ns : now_ns(), vm_exits(&vm));
	console_flush(&job->console);
	report->output_dropped = atomic_load(&job->console.dropped);
	if (job->opts->stats && ret == 0)
		report->stats = format_stats(&vm, job);
	report->result = vm.result;
	vm.result.dump = NULL; /* the report owns it now */
	if (report->result.end == VM_END_DIED && report->result.vcpu >= 0)
		report->hint = diagnose_death(job->host, &vm);
	vm_destroy(&vm);
	return NULL;
}

/*
 * The signals that stop every VM cleanly (terminal restored, disks flushed, status
 * 128 + N): every asynchronous one whose default action ends the process
 * (signal(7)), real-time ones included. Not VCPU_KICK_SIGNAL (mini-kvm's own),
 * SNAPSHOT_SIGNAL (it snapshots), SIGPIPE (ignored: a closed stdout is an error
 * value), nor the synchronous ones (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
 * SIGSYS), which a debugger or seccomp own.
 */
static void stop_signal_set(sigset_t *set)
{
	static const int terminating[] = { SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGALRM,	 SIGVTALRM,
					   SIGPROF, SIGXCPU, SIGPWR,  SIGIO,   SIGSTKFLT };

	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(terminating); i++)
		sigaddset(set, terminating[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

static void *signal_thread(void *arg)
{
	const sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) == 0) {
		if (sig == SNAPSHOT_SIGNAL)
			snapshot_all();
		else
			stop_all(VM_END_SIGNAL, sig);
	}
	return NULL;
}

static void quit_requested(void *opaque)
{
	(void)opaque;
	stop_all(VM_END_QUIT, 0);
}

static int open_images(const struct options *opts, struct guest_job *jobs)
{
	for (unsigned int i = 0; i < opts->nguests; i++) {
		int ret = image_open(opts->guests[i].path, &opts->guests[i].image, opts->mem_size,
				     &jobs[i].image);

		if (ret < 0) {
			while (i--)
				image_free(&jobs[i].image);
			return ret;
		}
	}
	return 0;
}

/*
 * Whether guest i's control bytes are shown as ^X on the terminal (console.h): yes
 * when stdout is a terminal, unless the user said --raw-console or the guest is
 * the interactive one (raw stdin: Linux or an OS with its own console drives the
 * terminal like any program in a terminal does). Several guests never share a
 * terminal raw: one could fake another's prefix.
 */
static bool visible_controls(const struct options *opts, unsigned int i, bool interactive)
{
	if (!isatty(STDOUT_FILENO) || opts->raw_console)
		return false;
	return !(i == 0 && interactive);
}

static void setup_jobs(const struct options *opts, const struct kvm_host *host,
		       const struct blk_dev *disk, struct guest_job *jobs, unsigned int njobs,
		       bool interactive, struct run_report *report)
{
	const char *no_color = getenv("NO_COLOR");
	bool several = njobs > 1;
	bool color = several && isatty(STDOUT_FILENO) && !(no_color && no_color[0]);

	for (unsigned int i = 0; i < njobs; i++) {
		struct guest_job *job = &jobs[i];
		struct guest_report *r = &report->guests[i];

		r->index = i + 1;
		if (job->restore) {
			r->path = opts->restore;
			snprintf(r->name, sizeof(r->name), "%s", job->restore->snap.machine->name);
		} else if (job->linux_guest) {
			r->path = opts->kernel;
			snprintf(r->name, sizeof(r->name), "%s", LINUX_GUEST_NAME);
		} else {
			r->path = opts->guests[i].path;
			runner_guest_name(r->path, r->name, sizeof(r->name));
		}
		job->opts = opts;
		job->host = host;
		job->report = r;
		console_init(&job->console, r->index, r->name, several,
			     color ? guest_colors[i % ARRAY_SIZE(guest_colors)] : NULL,
			     STDOUT_FILENO);
		job->console.visible_controls = visible_controls(opts, i, interactive && !several);
		job->config = (struct vm_config){
			.index = r->index,
			.name = r->name,
			.mem_size = opts->mem_size,
			.cpus = opts->cpus,
			.trace = opts->trace,
			.irqchip = job->linux_guest != NULL || opts->irqchip,
			.process_start_ns = opts->start_ns,
			.console = &job->console,
			.disk = disk, /* options.c allows --disk with one GUEST only */
		};
		/* A restored VM is the snapshot's machine (open_inputs() checked it fits). */
		if (job->restore)
			vm_snapshot_config(&job->restore->snap, &job->config);
		if (opts->snapshot)
			snprintf(job->snapshot_path, sizeof(job->snapshot_path), "%s",
				 opts->snapshot);
		else if (several)
			snprintf(job->snapshot_path, sizeof(job->snapshot_path), "%s-%u.snap",
				 r->name, r->index);
		else
			snprintf(job->snapshot_path, sizeof(job->snapshot_path), "%s.snap",
				 r->name);
	}
	report->nguests = njobs;
}

/*
 * A snapshot to restore: opened and checked (with --verify, its RAM too), fit for
 * this build; a Linux guest's gets its policy back. Returns 0 or -errno.
 */
static int open_snapshot(const struct options *opts, struct guest_job *job)
{
	static struct snapshot_in in;
	struct vm_config config;
	int ret = snapshot_file_open(opts->restore, &in);

	if (ret < 0)
		return ret;
	if (opts->verify)
		ret = snapshot_verify_ram(&in.reader, &in.snap);
	if (ret == 0)
		ret = vm_snapshot_config(&in.snap, &config);
	if (ret == 0 && (in.snap.machine->flags & SNAPSHOT_MACHINE_LINUX))
		ret = linux_open_restored(opts, &job->linux_guest);
	if (ret < 0) {
		snapshot_file_close(&in);
		return ret;
	}
	job->restore = &in;
	return 0;
}

/* Open every input: a bad file runs nothing. Returns the number of jobs or -errno. */
static int open_inputs(const struct options *opts, struct guest_job *jobs)
{
	int ret;

	if (opts->restore) {
		ret = open_snapshot(opts, &jobs[0]);
		return ret < 0 ? ret : 1;
	}
	if (!opts->kernel) {
		ret = open_images(opts, jobs);
		return ret < 0 ? ret : (int)opts->nguests;
	}
	ret = linux_open(opts, &jobs[0].linux_guest);
	return ret < 0 ? ret : 1;
}

/*
 * The disk of a restored VM: --disk, else the path saved in the snapshot. Its size
 * must be the saved one: the guest knows it. Returns 0 (disk->fd -1 if none) or
 * -errno with a message.
 */
static int open_restored_disk(const struct options *opts, const struct snapshot *snap,
			      struct blk_dev *disk)
{
	uint64_t size = 0;
	const char *saved = vm_snapshot_disk(snap, &size);
	const char *path = opts->disk ? opts->disk : saved;
	int ret;

	if (!path)
		return 0;
	if (!saved)
		return error_set(EINVAL, "--disk '%s': the snapshot's VM had no disk", path);
	ret = blk_open(disk, path);
	if (ret < 0)
		return opts->disk ? ret
				  : error_wrap(-ret, "the snapshot's disk (--disk names another)");
	if ((uint64_t)disk->sectors * HC_BLK_SECTOR_SIZE != size) {
		ret = error_set(EINVAL, "disk '%s' is %llu bytes; the snapshot's VM had %llu", path,
				(unsigned long long)disk->sectors * HC_BLK_SECTOR_SIZE,
				(unsigned long long)size);
		blk_close(disk);
		return ret;
	}
	return 0;
}

/* A disk that could not be flushed is a VMM error, even after a clean guest exit. */
static void disk_failed(struct guest_report *r)
{
	if (r->result.end == VM_END_ERROR)
		return; /* the first error stays the one reported */
	r->result.end = VM_END_ERROR;
	snprintf(r->result.message, sizeof(r->result.message), "%s", error_message());
}

int runner_run(const struct options *opts, struct run_report *report)
{
	static struct guest_job jobs[OPTIONS_MAX_GUESTS];
	static struct blk_dev disk = { .fd = -1 };
	struct console_input input;
	struct kvm_host host;
	pthread_t sig_thread;
	sigset_t signals;
	bool interactive, irqchip;
	int njobs, ret = 0;

	memset(report, 0, sizeof(*report));
	memset(jobs, 0, sizeof(jobs));
	njobs = open_inputs(opts, jobs);
	if (njobs < 0)
		return njobs;
	ret = kvm_host_open(&host, KVM_DEVICE_PATH);
	if (ret < 0)
		goto out_inputs;
	if (jobs[0].restore)
		ret = open_restored_disk(opts, &jobs[0].restore->snap, &disk);
	else if (opts->disk)
		ret = blk_open(&disk, opts->disk);
	if (ret < 0)
		goto out_host;
	/*
	 * stdin belongs to the first guest. A Linux guest, or one with --irqchip (an OS
	 * with its own interrupt-driven console), on a terminal gets it raw, with Ctrl-A
	 * x to quit; the terminal comes back on every way out (terminal.c).
	 */
	irqchip = opts->irqchip || (jobs[0].restore && (jobs[0].restore->snap.machine->flags &
							SNAPSHOT_MACHINE_IRQCHIP));
	interactive = (jobs[0].linux_guest || irqchip) && isatty(STDIN_FILENO);
	setup_jobs(opts, &host, disk.fd >= 0 ? &disk : NULL, jobs, njobs, interactive, report);

	/*
	 * Signals go to one thread, which stops the VMs (every exit path is an orderly
	 * one) or, for SNAPSHOT_SIGNAL, snapshots them.
	 */
	stop_signal_set(&signals);
	sigaddset(&signals, SNAPSHOT_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error value, not a death */
	live_jobs = jobs;
	live_njobs = njobs;
	stop_end = VM_END_RUNNING;
	pthread_create(&sig_thread, NULL, signal_thread, &signals);

	if (interactive && terminal_raw(STDIN_FILENO) < 0)
		interactive = false;
	ret = console_input_start(&input, STDIN_FILENO, interactive ? quit_requested : NULL, NULL);
	if (ret == 0) {
		console_input_set_snapshot(&input, snapshot_typed, NULL);
		jobs[0].console.input = &input;
	}

	for (int i = 0; i < njobs; i++) {
		ret = pthread_create(&jobs[i].thread, NULL, guest_thread, &jobs[i]);
		if (ret) {
			report->guests[i].result.end = VM_END_ERROR;
			snprintf(report->guests[i].result.message, VM_MESSAGE_MAX,
				 "cannot start a thread: %s", strerror(ret));
			jobs[i].thread = 0;
		}
	}
	for (int i = 0; i < njobs; i++) {
		if (jobs[i].thread)
			pthread_join(jobs[i].thread, NULL);
		console_destroy(&jobs[i].console);
	}

	if (jobs[0].console.input)
		console_input_stop(&input);
	terminal_restore();
	pthread_cancel(sig_thread);
	pthread_join(sig_thread, NULL);
	pthread_mutex_lock(&live_lock);
	live_njobs = 0;
	pthread_mutex_unlock(&live_lock);
	ret = 0;
	/* After the last vCPU: whatever the guest wrote is in the file, then on disk. */
	if (blk_close(&disk) < 0)
		disk_failed(&report->guests[0]);
out_host:
	kvm_host_close(&host);
out_inputs:
	for (int i = 0; i < njobs; i++) {
		image_free(&jobs[i].image);
		linux_free(jobs[i].linux_guest);
		if (jobs[i].restore)
			snapshot_file_close(jobs[i].restore);
	}
	return ret;
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
