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

#include "cpuid.h"
#include "error.h"
#include "kvm.h"
#include "vm.h"

int vcpu_create(struct vcpu *vcpu, struct vm *vm, unsigned int index)
{
	struct kvm_cpuid2 *cpuid;
	int ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, index);
	if (vcpu->fd < 0)
		return error_errno(errno, "KVM_CREATE_VCPU %u", index);
	vcpu->run_size = vm->host->vcpu_mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = error_errno(errno, "mmap of vCPU %u's kvm_run", index);
		vcpu->run = NULL;
		goto fail;
	}
	cpuid = cpuid_for_vcpu(vm->host->cpuid, index, vm->config->cpus);
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

static void trace_exit(struct vcpu *vcpu, const struct exit_record *rec)
{
	const struct vm_config *cfg = vcpu->vm->config;

	if (rec->reason == KVM_EXIT_IO || rec->reason == KVM_EXIT_MMIO)
		fprintf(stderr,
			"[%u:%s] vcpu%u %s rip=0x%" PRIx64 " %s 0x%" PRIx64
			" size=%u count=%u data=0x%" PRIx64 "\n",
			cfg->index, cfg->name, vcpu->index, kvm_exit_reason_name(rec->reason),
			rec->rip, rec->write ? "write" : "read", rec->addr, rec->size, rec->count,
			rec->data);
	else
		fprintf(stderr, "[%u:%s] vcpu%u %s rip=0x%" PRIx64 "\n", cfg->index, cfg->name,
			vcpu->index, kvm_exit_reason_name(rec->reason), rec->rip);
}

/* Stop the VM for an I/O handler's VMM-side failure. */
static int io_failed(struct vcpu *vcpu, int err)
{
	vm_stop(vcpu->vm, VM_END_ERROR, 0, vcpu->index, "%s", error_message());
	(void)err;
	return 1;
}

static int handle_io(struct vcpu *vcpu, struct exit_record *rec)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	uint64_t t0 = stats_now_ns();
	int ret = 0;

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
	for (uint32_t i = 0; i < run->io.count && ret >= 0 && !atomic_load(&vcpu->vm->stopping);
	     i++, data += run->io.size) {
		if (write)
			ret = bus_write(&vcpu->vm->pio, run->io.port, data, run->io.size, vcpu);
		else
			ret = bus_read(&vcpu->vm->pio, run->io.port, data, run->io.size, vcpu);
	}
	if (!write)
		memcpy(&rec->data, (uint8_t *)run + run->io.data_offset, run->io.size);
	stats_add_io(&vcpu->stats, false, run->io.port, write, ret == BUS_UNCLAIMED, run->io.count,
		     stats_now_ns() - t0);
	return ret < 0 ? io_failed(vcpu, ret) : 0;
}

static int handle_mmio(struct vcpu *vcpu, struct exit_record *rec)
{
	struct kvm_run *run = vcpu->run;
	uint64_t t0 = stats_now_ns();
	int ret;

	rec->addr = run->mmio.phys_addr;
	rec->size = run->mmio.len;
	rec->count = 1;
	rec->write = run->mmio.is_write;
	if (run->mmio.len > sizeof(run->mmio.data))
		ret = BUS_UNCLAIMED; /* KVM never sends these; refuse rather than overrun */
	else if (run->mmio.is_write)
		ret = bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				vcpu);
	else
		ret = bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			       vcpu);
	memcpy(&rec->data, run->mmio.data, sizeof(rec->data));
	stats_add_io(&vcpu->stats, true, run->mmio.phys_addr, run->mmio.is_write,
		     ret == BUS_UNCLAIMED, 1, stats_now_ns() - t0);
	return ret < 0 ? io_failed(vcpu, ret) : 0;
}

static int guest_died(struct vcpu *vcpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int guest_died(struct vcpu *vcpu, const char *fmt, ...)
{
	char why[VM_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vm_stop(vcpu->vm, VM_END_DIED, 0, vcpu->index, "%s", why);
	return 1;
}

static int handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char data[128] = "";
	size_t len = 0;

	for (uint32_t i = 0; i < run->internal.ndata && i < 16 && len < sizeof(data); i++)
		len += snprintf(data + len, sizeof(data) - len, " 0x%llx",
				(unsigned long long)run->internal.data[i]);
	return guest_died(vcpu, "KVM internal error, suberror %u: %s%s%s", run->internal.suberror,
			  kvm_internal_error_name(run->internal.suberror), len ? "; data:" : "",
			  data);
}

int vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct exit_record *rec = record_exit(vcpu);
	int ret;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		ret = handle_io(vcpu, rec);
		break;
	case KVM_EXIT_MMIO:
		ret = handle_mmio(vcpu, rec);
		break;
	case KVM_EXIT_INTR:
		ret = 0; /* a signal: the loop checks whether the VM is stopping */
		break;
	case KVM_EXIT_HLT:
		vm_stop(vcpu->vm, VM_END_HALT, 0, vcpu->index, NULL);
		ret = 1;
		break;
	case KVM_EXIT_SHUTDOWN:
		/* Linux resets a PC by triple fault as a last resort (reboot=t): not a death. */
		if (vcpu->vm->config->linux_guest) {
			vm_stop(vcpu->vm, VM_END_RESET, 0, vcpu->index, "reset by triple fault");
			ret = 1;
			break;
		}
		ret = guest_died(
			vcpu,
			"triple fault (KVM_EXIT_SHUTDOWN): an exception hit while the CPU could not deliver one");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		ret = guest_died(vcpu,
				 "VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware reason 0x%llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		ret = handle_internal_error(vcpu);
		break;
	default:
		ret = guest_died(vcpu, "unexpected VM exit %u (%s)", run->exit_reason,
				 kvm_exit_reason_name(run->exit_reason));
		break;
	}
	if (vcpu->vm->config->trace)
		trace_exit(vcpu, rec);
	/* A device may have ended the VM (HC_EXIT) while its exit itself went fine. */
	return ret || atomic_load(&vcpu->vm->stopping);
}

void vcpu_run(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (vcpu->index == 0)
		timeline_mark(&vm->timeline, TIMELINE_FIRST_RUN, stats_now_ns(), 0);
	while (!atomic_load(&vm->stopping)) {
		uint64_t t0 = stats_now_ns(), t1, t2;
		int ret = ioctl(vcpu->fd, KVM_RUN, 0);

		t1 = stats_now_ns();
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			vm_stop(vm, VM_END_ERROR, 0, vcpu->index, "KVM_RUN on vCPU %u: %s",
				vcpu->index, strerror(errno));
			break;
		}
		ret = vcpu_handle_exit(vcpu);
		t2 = stats_now_ns();
		stats_add_exit(&vcpu->stats, vcpu->run->exit_reason, t1 - t0, t2 - t1);
		if (ret)
			break;
	}
}
