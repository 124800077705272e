/* SPDX-License-Identifier: MIT */
/* vCPUs: creation, the KVM_RUN loop, VM-exit dispatch to the buses, and register dumps. */
#include "vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86/cpuid.h"
#include "clock.h"
#include "error.h"
#include "kvm.h"
#include "trace.h"
#include "trace_json.h"
#include "util.h"
#include "vcpu_idle.h"

int vcpu_create(struct vcpu *vcpu, int vm_fd, const struct kvm_host *host, unsigned int index,
		unsigned int ncpus, const struct vcpu_env *env)
{
	const struct kvm_cpuid2 *supported = NULL;
	struct kvm_cpuid2 *cpuid;
	int ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->index = index;
	vcpu->env = *env;
	vcpu->fd = -1;
	vcpu->fd = ioctl(vm_fd, KVM_CREATE_VCPU, index);
	if (vcpu->fd < 0)
		return error_errno(errno, "KVM_CREATE_VCPU %u", index);
	vcpu->run_size = host->vcpu_mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = error_errno(errno, "mmap of vCPU %u's kvm_run", index);
		vcpu->run = NULL;
		goto fail;
	}
	/*
	 * The host's table, last: another thread may still be reading it (kvm.h), and
	 * creating the vCPU first overlaps that read by a KVM_CREATE_VCPU.
	 */
	ret = kvm_host_cpuid(host, &supported);
	if (ret < 0)
		goto fail;
	cpuid = cpuid_for_vcpu(supported, index, ncpus);
	if (!cpuid) {
		ret = error_set(ENOMEM, "vCPU %u: no memory for CPUID", index);
		goto fail;
	}
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (ret < 0) {
		ret = error_errno(errno, "KVM_SET_CPUID2 on vCPU %u", index);
		goto fail;
	}
	/* Every exit brings the registers with it: a hypercall costs no KVM_GET_REGS. */
	vcpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	return 0;
fail:
	vcpu_destroy(vcpu);
	return ret;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	if (ioctl(vcpu->fd, KVM_GET_SREGS, sregs) < 0)
		return error_errno(errno, "KVM_GET_SREGS on vCPU %u", vcpu->index);
	return 0;
}

int vcpu_set_state(struct vcpu *vcpu, const struct kvm_sregs *sregs, const struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0)
		return error_errno(errno, "KVM_SET_SREGS on vCPU %u", vcpu->index);
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return error_errno(errno, "KVM_SET_REGS on vCPU %u", vcpu->index);
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/* immediate_exit covers a thread about to enter KVM_RUN, the signal one inside it. */
	if (vcpu->run)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

static struct exit_record *record_exit(struct vcpu *vcpu)
{
	struct exit_record *rec = &vcpu->ring[vcpu->nexits % VCPU_EXIT_RING];
	struct kvm_run *run = vcpu->run;

	*rec = (struct exit_record){ .reason = run->exit_reason, .rip = vcpu_regs(vcpu)->rip };
	/* Only this thread writes nexits; vm_exits() reads it from others. */
	__atomic_store_n(&vcpu->nexits, vcpu->nexits + 1, __ATOMIC_RELAXED);
	return rec;
}

/* --trace-json: the exit just handled, with the times --stats counted it by. */
static void vcpu_log_exit(struct vcpu *vcpu, uint64_t t0, uint64_t t1, uint64_t t2)
{
	const struct exit_record *rec = &vcpu->ring[(vcpu->nexits - 1) % VCPU_EXIT_RING];

	exit_log_add(vcpu->exit_log, t0, t1, t2, rec->reason, rec->addr, rec->size, rec->count,
		     rec->write);
}

/* An outcome that needs words: vcpu->message says why. */
static enum vcpu_outcome outcome(struct vcpu *vcpu, enum vcpu_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum vcpu_outcome outcome(struct vcpu *vcpu, enum vcpu_outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vcpu->message, sizeof(vcpu->message), fmt, ap);
	va_end(ap);
	return o;
}

/* What a bus access's result means: a device's -errno is a VMM-side failure. */
static enum vcpu_outcome io_outcome(struct vcpu *vcpu, int ret)
{
	if (ret < 0)
		return outcome(vcpu, VCPU_IO_ERROR, "%s", error_message());
	return VCPU_CONTINUE;
}

/*
 * Whether a KVM_EXIT_IO is as KVM makes it: elements of 1, 2 or 4 bytes, all of them
 * inside the kvm_run mapping (KVM puts them in the page after struct kvm_run). KVM
 * never sends another, but an exit handler must not be the one to overrun if it did.
 */
static bool io_exit_fits(const struct vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;

	return (run->io.size == 1 || run->io.size == 2 || run->io.size == 4) &&
	       run->io.data_offset <= vcpu->run_size &&
	       bytes <= vcpu->run_size - run->io.data_offset;
}

static enum vcpu_outcome handle_io(struct vcpu *vcpu, struct exit_record *rec)
{
	struct kvm_run *run = vcpu->run;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	struct bus_regs regs = { .regs = vcpu_regs(vcpu), .real_mode = vcpu_in_real_mode(vcpu) };
	uint64_t t0 = now_ns();
	uint8_t *data;
	int ret = 0;

	if (!io_exit_fits(vcpu))
		return outcome(vcpu, VCPU_FAILED,
			       "malformed KVM_EXIT_IO: %u elements of %u bytes at offset %llu of "
			       "the %zu-byte kvm_run mapping",
			       run->io.count, run->io.size, (unsigned long long)run->io.data_offset,
			       vcpu->run_size);
	data = (uint8_t *)run + run->io.data_offset;
	rec->addr = run->io.port;
	rec->size = run->io.size;
	rec->count = run->io.count;
	rec->write = write;
	if (write)
		memcpy(&rec->data, data, run->io.size);
	/*
	 * A string instruction (rep outsb/insb) brings count elements at once; one that
	 * ended the VM (HC_EXIT) is the last to run.
	 */
	for (uint32_t i = 0; i < run->io.count && ret >= 0 && !atomic_load(vcpu->env.stopping);
	     i++, data += run->io.size) {
		if (write)
			ret = bus_write(vcpu->env.pio, run->io.port, data, run->io.size, &regs);
		else
			ret = bus_read(vcpu->env.pio, run->io.port, data, run->io.size);
	}
	/* Registers a device changed go back to the vCPU on the next KVM_RUN (no ioctl). */
	if (regs.changed)
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	if (!write)
		memcpy(&rec->data, (uint8_t *)run + run->io.data_offset, run->io.size);
	stats_add_io(&vcpu->stats, false, run->io.port, write, ret == BUS_UNCLAIMED, run->io.count,
		     now_ns() - t0);
	return io_outcome(vcpu, ret);
}

static enum vcpu_outcome handle_mmio(struct vcpu *vcpu, struct exit_record *rec)
{
	struct kvm_run *run = vcpu->run;
	uint64_t t0 = now_ns();
	int ret;

	rec->addr = run->mmio.phys_addr;
	rec->size = run->mmio.len;
	rec->count = 1;
	rec->write = run->mmio.is_write;
	if (run->mmio.len > sizeof(run->mmio.data))
		ret = BUS_UNCLAIMED; /* KVM never sends these; refuse rather than overrun */
	else if (run->mmio.is_write)
		ret = bus_write(vcpu->env.mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				NULL);
	else
		ret = bus_read(vcpu->env.mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
	memcpy(&rec->data, run->mmio.data, sizeof(rec->data));
	stats_add_io(&vcpu->stats, true, run->mmio.phys_addr, run->mmio.is_write,
		     ret == BUS_UNCLAIMED, 1, now_ns() - t0);
	return io_outcome(vcpu, ret);
}

/* A KVM_EXIT_DEBUG belongs to the debugger that asked for it (KVM_SET_GUEST_DEBUG). */
static enum vcpu_outcome handle_debug(struct vcpu *vcpu)
{
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;

	if (vcpu->env.debug)
		return vcpu->env.debug->debug_exit(vcpu->env.debug->opaque, vcpu);
	return outcome(vcpu, VCPU_FAILED,
		       "debug exit (exception %u at 0x%llx, DR6 0x%llx) with no debugger",
		       d->exception, (unsigned long long)d->pc, (unsigned long long)d->dr6);
}

/* Up to this many words of an internal error's data go into the message. */
#define INTERNAL_ERROR_WORDS 16

static enum vcpu_outcome handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char data[128] = "";
	size_t len = 0;

	for (uint32_t i = 0;
	     i < run->internal.ndata && i < INTERNAL_ERROR_WORDS && len < sizeof(data); i++)
		len += snprintf(data + len, sizeof(data) - len, " 0x%llx",
				(unsigned long long)run->internal.data[i]);
	return outcome(vcpu, VCPU_FAILED, "KVM internal error, suberror %u: %s%s%s",
		       run->internal.suberror, kvm_internal_error_name(run->internal.suberror),
		       len ? "; data:" : "", data);
}

enum vcpu_outcome vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct exit_record *rec = record_exit(vcpu);
	enum vcpu_outcome o;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		o = handle_io(vcpu, rec);
		break;
	case KVM_EXIT_MMIO:
		o = handle_mmio(vcpu, rec);
		break;
	case KVM_EXIT_INTR:
		o = VCPU_CONTINUE; /* a signal: the loop looks at the stopping flag */
		break;
	case KVM_EXIT_HLT:
		o = VCPU_HALTED;
		break;
	case KVM_EXIT_SHUTDOWN:
		o = outcome(
			vcpu, VCPU_SHUTDOWN,
			"triple fault (KVM_EXIT_SHUTDOWN): an exception hit while the CPU could "
			"not deliver one");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		o = outcome(vcpu, VCPU_FAILED,
			    "VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware reason 0x%llx",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		o = handle_internal_error(vcpu);
		break;
	case KVM_EXIT_DEBUG:
		o = handle_debug(vcpu);
		break;
	default:
		o = outcome(vcpu, VCPU_FAILED, "unexpected VM exit %u (%s)", run->exit_reason,
			    kvm_exit_reason_name(run->exit_reason));
		break;
	}
	if (vcpu->env.trace)
		trace_exit(vcpu->env.trace, vcpu->index, rec); /* a lost trace line is no error */
	/* A device may have ended the VM (HC_EXIT) while its exit itself went fine. */
	if (o == VCPU_CONTINUE && atomic_load(vcpu->env.stopping))
		o = VCPU_STOPPED;
	return o;
}

/* The loop's last word: a debugger may hold the vCPU to show how it ended, or revive it. */
static enum vcpu_outcome ended(struct vcpu *vcpu, enum vcpu_outcome o)
{
	const struct vcpu_debug *debug = vcpu->env.debug;

	if (debug && debug->ending)
		return debug->ending(debug->opaque, vcpu, o);
	return o;
}

enum vcpu_outcome vcpu_run(struct vcpu *vcpu)
{
	const struct vcpu_debug *debug = vcpu->env.debug;
	enum vcpu_outcome o = VCPU_STOPPED;

	while (!atomic_load(vcpu->env.stopping)) {
		uint64_t t0, t1, t2;
		int ret;

		/* Under gdb: park while it holds the vCPU; apply its breakpoints. */
		if (debug) {
			o = debug->enter(debug->opaque, vcpu);
			if (o != VCPU_CONTINUE)
				return o;
			if (atomic_load(vcpu->env.stopping))
				break;
		}
		t0 = now_ns();
		ret = ioctl(vcpu->fd, KVM_RUN, 0);
		t1 = now_ns();
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/*
				 * Cleared before pausing is read, both in one total order with
				 * the kicker's writes (vm.c): a pause is never missed.
				 */
				__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				if (vcpu->env.pausing && atomic_load(vcpu->env.pausing))
					return VCPU_PAUSED;
				/* A kick may come from the VM's halt watch (vcpu_idle.h). */
				if (atomic_exchange(&vcpu->idle_check, false) &&
				    (o = vcpu_idle_check(vcpu)) != VCPU_CONTINUE)
					return o;
				continue;
			}
			return outcome(vcpu, VCPU_KVM_ERROR, "KVM_RUN on vCPU %u: %s", vcpu->index,
				       strerror(errno));
		}
		o = vcpu_handle_exit(vcpu);
		t2 = now_ns();
		stats_add_exit(&vcpu->stats, vcpu->run->exit_reason, t1 - t0, t2 - t1);
		if (vcpu->exit_log)
			vcpu_log_exit(vcpu, t0, t1, t2);
		if (o != VCPU_CONTINUE && (o = ended(vcpu, o)) != VCPU_CONTINUE)
			return o;
	}
	return VCPU_STOPPED;
}
