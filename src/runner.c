/* SPDX-License-Identifier: MIT */
/* Running guests: open every input first, then one thread per VM, and a thread for signals. */
#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "clock.h"
#include "describe.h"
#include "devices/blk.h"
#include "diagnose.h"
#include "error.h"
#include "linux.h"
#include "loaders/image.h"
#include "probe.h"
#include "pc.h"
#include "sandbox.h"
#include "run_outputs.h"
#include "mini-kvm/hypercall.h"
#include "terminal.h"
#include "timeline.h"
#include "util.h"
#include "virtio/virtio_blk.h"
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
	struct linux_guest *linux_guest; /* ... or, with -k, a Linux one ... */
	struct pc_guest *pc;		 /* ... or a Multiboot kernel or a boot sector (pc.c) */
	struct snapshot_in *restore;	 /* `restore`: the snapshot it resumes, or NULL */
	char snapshot_path[PATH_MAX];	 /* where its snapshots go */
	struct vm_config config;
	struct console console;
	struct guest_report *report;
	pthread_t thread;
	struct vm *vm;			   /* live VM, or NULL; guarded by live_lock */
	char label[CONSOLE_NAME_MAX + 16]; /* "[N:name]", for --trace */
	struct trace trace;		   /* --trace: this VM's label and the run's sink */
	struct trace_json *trace_json;	   /* --trace-json: the run's trace file, or NULL */
};

/* The signal thread and Ctrl-A x stop live VMs; the guest threads publish them here. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct guest_job *live_jobs;
static unsigned int live_njobs;
static enum vm_end stop_end;	   /* VM_END_RUNNING until a signal or Ctrl-A x; guarded */
static int stop_status;		   /* guarded by live_lock */
static atomic_bool stop_requested; /* stop_end is set: a wait before the guests run gives up */

/* -k's virtio disks: opened with the other inputs, flushed and closed after the VM. */
static struct virtio_blk virtio_disks[OPTIONS_MAX_DISKS];
static unsigned int nvirtio_disks;
/* Why, for a stop_end of VM_END_ERROR; guarded by live_lock. */
static char stop_message[VM_MESSAGE_MAX];
/* Set when every guest has ended: the signal thread's next wake-up is its last. */
static atomic_bool signals_done;
/* What wakes the signal thread to end it: any signal of its set would do. */
#define SIGNAL_THREAD_WAKE SIGTERM

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
	else if (stop_end == VM_END_ERROR)
		vm_stop(vm, VM_END_ERROR, 0, -1, "%s", stop_message);
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
		atomic_store(&stop_requested, true);
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

/*
 * --snapshot-at: the console saw the text (on a vCPU thread, under the console's
 * lock). The vCPUs park at once, so that the guest runs no further than that line
 * while the VM's thread gets to the request (a short guest would otherwise end first).
 */
static void snapshot_at_reached(void *vm)
{
	vm_pause_soon(vm);
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
		else
			vm_resume(vm); /* vm_pause_soon()'s pause, if the take failed before its own */
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

/*
 * The gdb server's lines for the user, on stderr; with CR, as a raw terminal (an
 * interactive guest's) no longer turns LF into CR LF.
 */
/* isatty(STDERR_FILENO), asked before the sandboxes: isatty() is an ioctl they forbid. */
static bool stderr_is_terminal;

static void gdb_log(void *opaque, const char *line)
{
	(void)opaque;
	fprintf(stderr, "mini-kvm: %s%s", line, stderr_is_terminal ? "\r\n" : "\n");
}

/*
 * --gdb: what this host's KVM traps for gdb in ring 0 and in ring 3, from the
 * guest-debugging probes of `mini-kvm check` (a few milliseconds each). Where it
 * does not (kvm_pvm emulates ring 0), gdb_target.c does what it can instead.
 * Returns 0 or -errno with a message.
 */
static int gdb_probe_host(const struct kvm_host *host, struct vm_gdb_config *gdb)
{
	bool yes[PROBE_COUNT] = { false };

	for (unsigned int id = PROBE_ID_FIRST_DEBUG; id < PROBE_COUNT; id++) {
		struct probe_result r;
		int ret = probe_run(host, id, &r);

		if (ret < 0)
			return error_wrap(-ret, "--gdb: probing guest debugging");
		yes[id] = r.yes;
	}
	gdb->kernel = (struct vm_gdb_host){ .sw_bp = yes[PROBE_ID_SW_BP],
					    .hw_bp = yes[PROBE_ID_HW_BP],
					    .watch = yes[PROBE_ID_WATCH],
					    .step = yes[PROBE_ID_STEP] };
	gdb->user = (struct vm_gdb_host){ .sw_bp = yes[PROBE_ID_SW_BP_R3],
					  .hw_bp = yes[PROBE_ID_HW_BP_R3],
					  .watch = yes[PROBE_ID_WATCH_R3],
					  .step = yes[PROBE_ID_STEP_R3] };
	gdb->host_known = true;
	return 0;
}

static int load_guest(struct guest_job *job, struct vm *vm)
{
	int ret;

	if (job->restore) {
		int ret = vm_snapshot_restore(vm, job->restore);

		if (ret == 0 && job->linux_guest)
			linux_attach(job->linux_guest, vm);
		return ret;
	}
	if (job->linux_guest)
		return linux_load(job->linux_guest, vm, job->host);
	/*
	 * The PC's tables and BIOS data area first: an image over them wins. A real-mode
	 * flat guest loads at 0 and owns the BDA.
	 */
	if (job->pc || job->image.mode != BOOT_MODE_REAL) {
		ret = pc_bda_setup(vm);
		if (ret < 0)
			return ret;
	}
	if (job->config.pc) {
		ret = pc_platform_setup(vm);
		if (ret < 0)
			return ret;
	}
	if (job->pc)
		return pc_load(job->pc, vm);
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
	startup_mark(STARTUP_VM_CREATED);
	ret = load_guest(job, &vm);
	if (ret == 0)
		startup_mark(STARTUP_LOADED);
	if (ret == 0 && job->trace_json)
		ret = run_exit_logs_start(&vm);
	/* Built and loaded: from here on, only what a guest thread needs (sandbox.c). */
	if (ret == 0)
		ret = sandbox_enter(SANDBOX_GUEST);
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
	if (vm.timeline.seen[TIMELINE_FIRST_RUN])
		startup_mark_at(STARTUP_FIRST_RUN,
				vm.timeline.origin_ns + vm.timeline.ns[TIMELINE_FIRST_RUN]);
	startup_mark_at(STARTUP_LAST_EXIT, vm.end_ns);
	console_flush(&job->console);
	run_exit_logs_finish(&vm, job->trace_json, report->index, job->label);
	report->output_dropped = atomic_load(&job->console.dropped);
	/* A reader that went away (head, a closed pipe) ends the guest quietly, as cat. */
	if (vm.result.end == VM_END_ERROR && atomic_load(&job->console.output_closed))
		vm.result.end = VM_END_OUTPUT_CLOSED;
	if (job->opts->stats && ret == 0 && job->opts->stats_json)
		report->stats_json = run_stats_json(&vm, report, job->linux_guest != NULL,
						    job->opts->boot_marker);
	else if (job->opts->stats && ret == 0)
		report->stats = format_stats(&vm, job);
	if (ret == 0)
		report->warning = run_unclaimed_warning(&vm, job->opts->mem_size);
	report->wall_ns = vm.end_ns - vm.start_ns;
	report->exits = vm_exits(&vm);
	report->result = vm.result;
	vm.result.dump = NULL; /* the report owns it now */
	report->notes = vm_virtio_notes(&vm.virtio);
	if (report->result.end == VM_END_DIED && report->result.vcpu >= 0)
		report->hint =
			diagnose_death(job->host, &vm, job->linux_guest ? NULL : &job->image);
	else if (report->result.end == VM_END_TIMEOUT || report->result.end == VM_END_SIGNAL ||
		 report->result.end == VM_END_QUIT)
		report->hint = diagnose_stopped(&vm, job->linux_guest ? NULL : &job->image);
	vm_destroy(&vm);
	startup_mark(STARTUP_VM_DESTROYED);
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

/* A thread's sandbox could not be entered: the run stops, as for a signal (main.c says why). */
static void sandbox_failed(void)
{
	pthread_mutex_lock(&live_lock);
	snprintf(stop_message, sizeof(stop_message), "%s", error_message());
	pthread_mutex_unlock(&live_lock);
	stop_all(VM_END_ERROR, 0);
}

/*
 * The signal thread: its sandbox first, entered by the thread itself rather than
 * through sandbox_thread_create(), so that main() need not wait for it to be
 * scheduled (on a loaded host a wait of a scheduling slice; make bench, "tiny").
 * Signals stay blocked meanwhile, pending until sigwait(). If the sandbox fails, the
 * run stops with the error, as when main()'s own sandbox fails.
 */
static void *signal_thread(void *arg)
{
	const sigset_t *set = arg;
	int sig;

	if (sandbox_enter(SANDBOX_SIGNALS) < 0) {
		sandbox_failed();
		return NULL;
	}
	while (sigwait(set, &sig) == 0 && !atomic_load(&signals_done)) {
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

/*
 * A GUEST with a Multiboot header in its first 8 KiB boots per its header, unless the
 * command line says how to load it (--mode, --load or --entry): then it is a plain
 * image, as before. Returns 1 (a Multiboot kernel, *pc set), 0 (a plain image), or
 * -errno with a message.
 */
static int open_multiboot_guest(const struct options *opts, const struct guest_options *g,
				struct pc_guest **pc)
{
	int kind;

	if (g->image.mode != BOOT_MODE_AUTO || g->image.has_load || g->image.has_entry)
		return 0;
	kind = pc_kernel_kind(g->path, "guest");
	if (kind < 0)
		return kind == -ENOEXEC ? 0 : kind; /* image_open() says what is wrong */
	if (kind != PC_KERNEL_MULTIBOOT)
		return 0;
	kind = pc_multiboot_open(g->path, NULL, NULL, opts->mem_size, pc);
	return kind < 0 ? kind : 1;
}

static int open_images(const struct options *opts, struct guest_job *jobs)
{
	for (unsigned int i = 0; i < opts->nguests; i++) {
		int ret = open_multiboot_guest(opts, &opts->guests[i], &jobs[i].pc);

		if (ret == 0)
			ret = image_open(opts->guests[i].path, &opts->guests[i].image,
					 opts->mem_size, &jobs[i].image);
		if (ret < 0) {
			while (i--) {
				image_free(&jobs[i].image);
				pc_free(jobs[i].pc);
				jobs[i].pc = NULL;
			}
			return ret;
		}
	}
	return 0;
}

/*
 * Whether guest i's control bytes are shown as ^X on the terminal (console.h): yes
 * when its console is stdout and a terminal, unless the user said --raw-console or
 * the guest is the interactive one (raw stdin: Linux or an OS with its own console
 * drives the terminal like any program in a terminal does). Several guests never
 * share a terminal raw: one could fake another's prefix.
 */
static bool visible_controls(const struct options *opts, unsigned int i, bool interactive,
			     int out_fd)
{
	if (out_fd != STDOUT_FILENO || !isatty(STDOUT_FILENO) || opts->raw_console)
		return false;
	return !(i == 0 && interactive);
}

/* The classic PC's part of a bare guest's VM config (vm.h); nothing for Linux. */
static void setup_pc_config(const struct options *opts, struct guest_job *job, struct ata_disk *ata,
			    bool several)
{
	struct vm_config *c = &job->config;

	if (job->linux_guest)
		return;
	c->bare = true;
	c->pc = c->irqchip;
	c->nobios = job->pc && job->pc->boot == PC_BOOT_BOOT_SECTOR;
	c->vga_text = opts->vga_text;
	/* Redrawn in place on a terminal the guest has to itself, else as new lines. */
	if (isatty(STDOUT_FILENO) && !several && !job->console.visible_controls)
		c->vga_text_flags = VGA_TEXT_ANSI | VGA_TEXT_UTF8;
	c->debug_exit = opts->debug_exit;
	c->debug_exit_port = opts->debug_exit_port;
	/* options.c allows --ata with one guest only; a restore's come from its snapshot. */
	for (unsigned int i = 0; i < OPTIONS_MAX_ATA; i++)
		c->ata[i] = ata[i].fd >= 0 ? &ata[i] : NULL;
}

static void setup_jobs(const struct options *opts, const struct kvm_host *host,
		       const struct blk_dev *disk, struct ata_disk *ata, struct guest_job *jobs,
		       unsigned int njobs, bool interactive, struct run_outputs *outputs,
		       struct run_report *report)
{
	const char *no_color = getenv("NO_COLOR");
	bool several = njobs > 1;
	bool color = several && isatty(STDOUT_FILENO) && !(no_color && no_color[0]);

	for (unsigned int i = 0; i < njobs; i++) {
		struct guest_job *job = &jobs[i];
		struct guest_report *r = &report->guests[i];
		int out_fd = i == 0 ? outputs->serial.out_fd : STDOUT_FILENO;

		r->index = i + 1;
		if (job->restore) {
			r->path = opts->restore;
			snprintf(r->name, sizeof(r->name), "%s", job->restore->snap.machine->name);
		} else if (job->linux_guest) {
			r->path = opts->kernel;
			snprintf(r->name, sizeof(r->name), "%s", LINUX_GUEST_NAME);
		} else if (opts->kernel || opts->boot_disk) {
			r->path = opts->kernel ? opts->kernel : opts->ata[0].path;
			runner_guest_name(r->path, r->name, sizeof(r->name));
		} else {
			r->path = opts->guests[i].path;
			runner_guest_name(r->path, r->name, sizeof(r->name));
		}
		job->opts = opts;
		job->host = host;
		job->report = r;
		snprintf(job->label, sizeof(job->label), "[%u:%s]", r->index, r->name);
		job->trace = (struct trace){ .label = job->label, .sink = &outputs->trace };
		job->trace_json = outputs->has_trace_json ? &outputs->trace_json : NULL;
		console_init(&job->console, r->index, r->name, several,
			     color ? guest_colors[i % ARRAY_SIZE(guest_colors)] : NULL, out_fd);
		job->console.visible_controls =
			visible_controls(opts, i, interactive && !several, out_fd);
		job->console.log = outputs->has_log ? &outputs->log : NULL;
		job->config = (struct vm_config){
			.index = r->index,
			.name = r->name,
			.mem_size = opts->mem_size,
			.cpus = opts->cpus,
			.trace = opts->trace ? &job->trace : NULL,
			.irqchip = opts->kernel != NULL || opts->irqchip,
			.large_image = job->linux_guest != NULL,
			/* One vCPU, no Linux: nothing but an interrupt can wake a halt. */
			.halt_watch = job->linux_guest == NULL && opts->irqchip && opts->cpus == 1,
			.process_start_ns = opts->start_ns,
			.console = &job->console,
			.disk = disk, /* options.c allows --disk with one GUEST only */
			/* -k: one guest, the only one with virtio devices (options.c) */
			.virtio_disks = job->linux_guest ? virtio_disks : NULL,
			.nvirtio_disks = job->linux_guest ? nvirtio_disks : 0,
			.virtio_rng = job->linux_guest && opts->rng,
			.net = job->linux_guest && opts->net.kind != NET_NONE ? &opts->net : NULL,
		};
		/* options.c allows --gdb with one guest only. */
		if (opts->gdb && i == 0)
			job->config.gdb = (struct vm_gdb_config){ .address = opts->gdb,
								  .wait = opts->gdb_wait,
								  .log = gdb_log };
		/* A restored VM is the snapshot's machine (open_inputs() checked it fits). */
		if (job->restore)
			vm_snapshot_config(&job->restore->snap, &job->config);
		setup_pc_config(opts, job, ata, several);
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
	if (opts->boot_disk) {
		ret = pc_boot_disk_open(opts->ata[0].path, &jobs[0].pc);
		return ret < 0 ? ret : 1;
	}
	if (!opts->kernel) {
		ret = open_images(opts, jobs);
		return ret < 0 ? ret : (int)opts->nguests;
	}
	/*
	 * -k: a bzImage, then a Multiboot kernel (pc_kernel_kind() says why in this
	 * order), else linux_open(): a vmlinux with a PVH note, or the error naming what
	 * is missing.
	 */
	ret = pc_kernel_kind(opts->kernel, "kernel");
	if (ret < 0)
		return ret;
	if (ret == PC_KERNEL_MULTIBOOT) {
		ret = pc_multiboot_open(opts->kernel, opts->initrd, opts->params, opts->mem_size,
					&jobs[0].pc);
		return ret < 0 ? ret : 1;
	}
	if (opts->nata)
		return error_set(EINVAL,
				 "--ata: a Linux guest has no legacy IDE driver on "
				 "mini-kvm's platform (no PCI); put files in the initramfs (-i)");
	ret = linux_open(opts, &jobs[0].linux_guest);
	return ret < 0 ? ret : 1;
}

/* Close the virtio disks opened so far (fsync): the first failure's -errno, or 0. */
static int close_virtio_disks(void)
{
	int ret = 0;

	while (nvirtio_disks) {
		int r = virtio_blk_close(&virtio_disks[--nvirtio_disks]);

		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

/*
 * Open -k's --disk files, in order, before anything runs. A writable disk is locked
 * (virtio_blk_open()): the same file given twice, once writable, says so rather than
 * blaming another process. Returns 0 or -errno with a message (none is left open).
 */
static int open_virtio_disks(const struct options *opts)
{
	for (unsigned int i = 0; i < opts->ndisks; i++) {
		const struct disk_option *d = &opts->disks[i];
		int ret = virtio_blk_open(&virtio_disks[i], d->path, d->read_only, NULL);
		struct stat st, other;

		if (ret == -EBUSY && stat(d->path, &st) == 0) {
			for (unsigned int j = 0; j < i; j++)
				if (fstat(virtio_disks[j].fd, &other) == 0 &&
				    other.st_dev == st.st_dev && other.st_ino == st.st_ino)
					ret = error_set(EBUSY,
							"disk '%s': the same file as disk '%s'; a "
							"file given twice must be read-only (,ro) "
							"both times",
							d->path, virtio_disks[j].path);
		}
		if (ret < 0) {
			close_virtio_disks();
			return ret;
		}
		nvirtio_disks = i + 1;
	}
	return 0;
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
	bool read_only;
	const char *saved = vm_snapshot_disk(snap, &size);
	const char *path = opts->disk ? opts->disk : saved;
	int ret;

	if (!path)
		return 0;
	if (!saved && vm_snapshot_virtio_disk(snap, 0, &size, &read_only))
		return 0; /* --disk names its virtio disks: open_restored_virtio_disks() */
	if (!saved)
		return error_set(EINVAL, "--disk '%s': the snapshot's VM had no disk", path);
	if (opts->ndisks > 1)
		return error_set(EINVAL, "--disk given %u times: the snapshot's VM had one disk",
				 opts->ndisks);
	ret = opts->disk_ro ? blk_open_read_only(disk, path) : blk_open(disk, path);
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

/*
 * The virtio disks of a restored Linux VM, in order (vda, vdb ...): the file the n-th
 * --disk names, else the path saved in the snapshot, read-only as that --disk or the
 * snapshot says. Each must have its saved size: the guest knows it. Returns 0 or
 * -errno with a message; the caller closes what was opened (close_virtio_disks()).
 */
static int open_restored_virtio_disks(const struct options *opts, const struct snapshot *snap)
{
	uint64_t size = 0;
	bool read_only = false;
	/* A bare guest's snapshot: --disk is its hypercall disk (open_restored_disk()). */
	unsigned int given = vm_snapshot_disk(snap, &size) ? 0 : opts->ndisks;

	for (unsigned int n = 0; n < OPTIONS_MAX_DISKS; n++) {
		const char *path = vm_snapshot_virtio_disk(snap, n, &size, &read_only);
		int ret;

		if (n < given) {
			if (!path)
				return error_set(EINVAL,
						 "--disk '%s': the snapshot's VM had no virtio disk %u",
						 opts->disks[n].arg, n);
			path = opts->disks[n].path;
			read_only = opts->disks[n].read_only;
		}
		if (!path)
			break; /* disks fill the slots from the first: no gaps */
		ret = virtio_blk_open(&virtio_disks[n], path, read_only, NULL);
		if (ret < 0)
			return n < given ? ret
					 : error_wrap(-ret,
						      "the snapshot's virtio disk %u (--disk names another)",
						      n);
		nvirtio_disks = n + 1;
		if (virtio_disks[n].capacity * VIRTIO_BLK_SECTOR_SIZE != size)
			return error_set(EINVAL,
					 "virtio disk '%s' is %llu bytes; the snapshot's VM had %llu",
					 path,
					 (unsigned long long)(virtio_disks[n].capacity *
							      VIRTIO_BLK_SECTOR_SIZE),
					 (unsigned long long)size);
	}
	return 0;
}

/*
 * The ATA disks of a restored VM, slot by slot: the file the slot's --ata names (in
 * --ata order), else the path saved in the snapshot, read-only as that --ata or the
 * snapshot says. Each must have its saved size: the guest knows it. Returns 0 or
 * -errno with a message; the caller closes what was opened, as for a run.
 */
static int open_restored_ata(const struct options *opts, const struct snapshot *snap,
			     struct ata_disk *ata)
{
	for (unsigned int slot = 0; slot < OPTIONS_MAX_ATA; slot++) {
		uint64_t size = 0;
		bool read_only = false;
		const char *saved = vm_snapshot_ata_disk(snap, slot, &size, &read_only);
		const char *path = saved;
		int ret;

		if (slot < opts->nata) {
			if (!saved)
				return error_set(
					EINVAL, "--ata '%s': the snapshot's VM had no ATA disk %u",
					opts->ata[slot].path, slot);
			path = opts->ata[slot].path;
			read_only = opts->ata[slot].read_only;
		}
		if (!path)
			continue;
		ret = ata_disk_open(&ata[slot], path, read_only);
		if (ret < 0)
			return slot < opts->nata
				       ? ret
				       : error_wrap(-ret, "the snapshot's ATA disk %u (--ata names another)",
						    slot);
		if ((uint64_t)ata[slot].sectors * ATA_SECTOR_SIZE != size)
			return error_set(EINVAL,
					 "ATA disk '%s' is %llu bytes; the snapshot's VM had %llu",
					 path, (unsigned long long)ata[slot].sectors * ATA_SECTOR_SIZE,
					 (unsigned long long)size);
	}
	return 0;
}

/* What the guests are, before they run: warnings about odd files, and -v's description. */
static void describe_jobs(const struct options *opts, const struct guest_job *jobs,
			  unsigned int njobs, const struct run_hooks *hooks)
{
	for (unsigned int i = 0; i < njobs; i++) {
		char text[VM_MESSAGE_MAX];

		if (!jobs[i].linux_guest && jobs[i].image.looks_like)
			run_note(hooks, RUN_NOTE_WARNING,
				 "guest '%s' looks like %s; it runs as a flat binary all the same",
				 jobs[i].image.path, jobs[i].image.looks_like);
		if (jobs[i].linux_guest)
			describe_linux(text, sizeof(text), jobs[i].label, jobs[i].linux_guest,
				       opts);
		else
			describe_image(text, sizeof(text), jobs[i].label, &jobs[i].image, opts);
		run_note(hooks, RUN_NOTE_VERBOSE, "%s", text);
	}
}

/* File descriptors besides the guests' two each: stdio, /dev/kvm, files, outputs. */
#define RUNNER_FDS_SPARE 64

/*
 * Many guests need more file descriptors than the usual soft limit (1,024): raise
 * RLIMIT_NOFILE's soft limit toward its hard one (never above it: getrlimit(2)), as
 * far as nguests need. Returns 0, or -EMFILE with a message when the hard limit is
 * too low.
 */
static int raise_nofile_limit(unsigned int nguests)
{
	rlim_t need = (rlim_t)nguests * 2 + RUNNER_FDS_SPARE;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur >= need)
		return 0;
	if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need)
		return error_set(EMFILE,
				 "%u guests need %llu file descriptors; RLIMIT_NOFILE's hard "
				 "limit is %llu (ulimit -Hn)",
				 nguests, (unsigned long long)need,
				 (unsigned long long)lim.rlim_max);
	lim.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		return error_errno(errno, "setrlimit(RLIMIT_NOFILE, %llu)",
				   (unsigned long long)need);
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

int runner_run(const struct options *opts, const struct run_hooks *hooks, struct run_report *report)
{
	static struct guest_job jobs[OPTIONS_MAX_GUESTS];
	static struct blk_dev disk = { .fd = -1 };
	static struct ata_disk ata[OPTIONS_MAX_ATA];
	static struct run_outputs outputs;
	struct console_input input;
	struct console_keys keys;
	struct vm_gdb_config gdb_host = { 0 };
	struct kvm_host host;
	pthread_t sig_thread;
	sigset_t signals;
	bool interactive, irqchip;
	int njobs, ret = 0;

	/*
	 * jobs[] is zero (static, and runner_run() runs once): not cleared again, which
	 * would fault in all of its 1,024 guests' pages (~14 MiB) for one guest. The
	 * report is the caller's, cleared as far as it is used.
	 */
	report->nguests = 0;
	memset(report->guests, 0, (opts->nguests ? opts->nguests : 1) * sizeof(report->guests[0]));
	ret = raise_nofile_limit(opts->nguests);
	if (ret < 0)
		return ret;
	ret = sandbox_setup(opts->seccomp);
	if (ret < 0)
		return ret;
	njobs = open_inputs(opts, jobs);
	if (njobs < 0)
		return njobs;
	ret = kvm_host_open(&host, KVM_DEVICE_PATH);
	if (ret < 0)
		goto out_inputs;
	startup_mark(STARTUP_KVM);
	if (jobs[0].restore)
		ret = open_restored_disk(opts, &jobs[0].restore->snap, &disk);
	else if (opts->disk)
		ret = opts->disk_ro ? blk_open_read_only(&disk, opts->disk)
				    : blk_open(&disk, opts->disk);
	if (ret < 0)
		goto out_host;
	for (unsigned int i = 0; i < OPTIONS_MAX_ATA; i++)
		ata[i].fd = -1;
	ret = jobs[0].restore ? open_restored_virtio_disks(opts, &jobs[0].restore->snap)
			      : open_virtio_disks(opts);
	if (ret < 0)
		goto out_disks;
	if (jobs[0].restore) {
		ret = open_restored_ata(opts, &jobs[0].restore->snap, ata);
		if (ret < 0)
			goto out_disks;
	}
	for (unsigned int i = 0; i < opts->nata && !jobs[0].restore; i++) {
		ret = ata_disk_open(&ata[i], opts->ata[i].path, opts->ata[i].read_only);
		if (ret < 0)
			goto out_disks;
	}
	ret = run_outputs_open(opts, &outputs, hooks);
	if (ret < 0)
		goto out_disks;
	/*
	 * stdin belongs to the first guest. A Linux guest, or one with --irqchip (an OS
	 * with its own interrupt-driven console), on a terminal gets it raw, with Ctrl-A
	 * x to quit; the terminal comes back on every way out (terminal.c).
	 */
	stderr_is_terminal = isatty(STDERR_FILENO);
	if (opts->gdb) {
		ret = gdb_probe_host(&host, &gdb_host);
		if (ret < 0)
			goto out_outputs;
	}
	irqchip = opts->irqchip || (jobs[0].restore && (jobs[0].restore->snap.machine->flags &
							SNAPSHOT_MACHINE_IRQCHIP));
	interactive = (opts->kernel || jobs[0].linux_guest || irqchip) && isatty(STDIN_FILENO) &&
		      opts->serial.kind == SERIAL_STDIO;
	setup_jobs(opts, &host, disk.fd >= 0 ? &disk : NULL, ata, jobs, njobs, interactive,
		   &outputs, report);
	jobs[0].config.gdb.host_known = gdb_host.host_known;
	jobs[0].config.gdb.kernel = gdb_host.kernel;
	jobs[0].config.gdb.user = gdb_host.user;
	describe_jobs(opts, jobs, njobs, hooks);

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
	atomic_store(&signals_done, false);
	atomic_store(&stop_requested, false);
	ret = pthread_create(&sig_thread, NULL, signal_thread, &signals);
	if (ret) {
		ret = error_errno(ret, "cannot start the signals thread");
		goto out_outputs;
	}

	/* unix:PATH,server: the guest starts once a client is there (or a signal says stop). */
	ret = serial_backend_accept(&outputs.serial, &stop_requested);
	if (ret < 0 && ret != -ECANCELED) {
		for (int i = 0; i < njobs; i++) {
			report->guests[i].result.end = VM_END_ERROR;
			snprintf(report->guests[i].result.message, VM_MESSAGE_MAX, "%s",
				 error_message());
		}
	}
	if (ret == 0)
		jobs[0].console.out_fd = outputs.serial.out_fd;

	keys = run_terminal_keys(&interactive, outputs.serial.in_fd, quit_requested, hooks);
	ret = console_input_start_keys(&input, outputs.serial.in_fd, &keys);
	if (ret == 0) {
		console_input_set_snapshot(&input, snapshot_typed, NULL);
		jobs[0].console.input = &input;
	}

	startup_mark(STARTUP_THREADS);
	for (int i = 0; i < njobs && !report->guests[i].result.end; i++) {
		ret = pthread_create(&jobs[i].thread, NULL, guest_thread, &jobs[i]);
		if (ret) {
			report->guests[i].result.end = VM_END_ERROR;
			snprintf(report->guests[i].result.message, VM_MESSAGE_MAX,
				 "cannot start a thread: %s", strerror(ret));
			jobs[i].thread = 0;
		}
	}
	/* Everything is started: from here on main() only waits, cleans up and reports. */
	if (sandbox_enter(SANDBOX_MAIN) < 0)
		sandbox_failed();
	/*
	 * The host's supported CPUID, which every vCPU needs (about a millisecond on a
	 * nested KVM: kvm.h), read here while the guest threads create their VMs: this
	 * thread would only wait. A guest thread that gets there first reads it itself.
	 */
	kvm_host_read_cpuid(&host);
	for (int i = 0; i < njobs; i++) {
		if (jobs[i].thread)
			pthread_join(jobs[i].thread, NULL);
		console_destroy(&jobs[i].console);
	}

	if (jobs[0].console.input)
		console_input_stop(&input);
	terminal_restore();
	console_side_flush();
	atomic_store(&signals_done, true);
	pthread_kill(sig_thread, SIGNAL_THREAD_WAKE);
	pthread_join(sig_thread, NULL);
	startup_mark(STARTUP_JOINED);
	pthread_mutex_lock(&live_lock);
	live_njobs = 0;
	pthread_mutex_unlock(&live_lock);
	/* A stop before any guest ran (a signal while waiting for a client) is how they ended. */
	for (int i = 0; i < njobs; i++) {
		if (!jobs[i].thread && report->guests[i].result.end == VM_END_RUNNING &&
		    stop_end == VM_END_SIGNAL) {
			report->guests[i].result.end = VM_END_SIGNAL;
			report->guests[i].result.status = stop_status;
			snprintf(report->guests[i].result.message, VM_MESSAGE_MAX,
				 "stopped by signal %d", stop_status);
		}
	}
	ret = 0;
	if (run_outputs_close(&outputs) < 0)
		disk_failed(&report->guests[0]);
	/* After the last vCPU: whatever the guest wrote is in the file, then on disk. */
	if (blk_close(&disk) < 0)
		disk_failed(&report->guests[0]);
	/* The VM and its I/O threads are gone: what the guest wrote goes to stable storage. */
	if (close_virtio_disks() < 0)
		disk_failed(&report->guests[0]);
	for (unsigned int i = 0; i < OPTIONS_MAX_ATA; i++)
		if (ata_disk_close(&ata[i]) < 0)
			disk_failed(&report->guests[0]);
	goto out_host;
out_outputs:
	run_outputs_close(&outputs);
out_disks:
	/* Opened before the failure: closed, with nothing to flush (no guest ran). */
	for (unsigned int i = 0; i < OPTIONS_MAX_ATA; i++)
		ata_disk_close(&ata[i]);
	close_virtio_disks();
	blk_close(&disk);
out_host:
	kvm_host_close(&host);
out_inputs:
	for (int i = 0; i < njobs; i++) {
		image_free(&jobs[i].image);
		linux_free(jobs[i].linux_guest);
		pc_free(jobs[i].pc);
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
		free(report->guests[i].stats_json);
		free(report->guests[i].hint);
		free(report->guests[i].notes);
		free(report->guests[i].warning);
	}
	report->nguests = 0;
}
