/* Booting Linux: tables, kernel, entry registers, and watching the console for milestones and panics. */
#include "linux.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "acpi.h"
#include "bios.h"
#include "error.h"
#include "layout.h"
#include "mptable.h"
#include "vm.h"

/* MSRs with a reset value worth setting explicitly (SDM 4, table 2-2). */
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MISC_ENABLE_FAST_STRING (1ULL << 0) /* what firmware turns on for rep movs/stos */

static void console_first_byte(void *opaque)
{
	struct vm *vm = opaque;

	timeline_mark(&vm->timeline, TIMELINE_FIRST_BYTE, stats_now_ns(), vm_exits(vm));
}

void linux_console_line(void *opaque, const char *line)
{
	struct vm *vm = opaque;
	const char *marker = vm->config->boot_marker;
	uint64_t now = stats_now_ns();

	if (strstr(line, LINUX_BANNER))
		timeline_mark(&vm->timeline, TIMELINE_BANNER, now, vm_exits(vm));
	if (marker && *marker && strstr(line, marker))
		timeline_mark(&vm->timeline, TIMELINE_MARKER, now, vm_exits(vm));
	if (strstr(line, LINUX_PANIC)) {
		pthread_mutex_lock(&vm->lock);
		if (!vm->panic[0])
			snprintf(vm->panic, sizeof(vm->panic), "%s", strstr(line, LINUX_PANIC));
		pthread_mutex_unlock(&vm->lock);
	}
	/* The last line panic() prints before it spins forever. */
	if (strstr(line, LINUX_PANIC_END))
		vm_stop(vm, VM_END_DIED, 0, -1, VM_PANIC_REASON "%s", vm->panic);
}

static int set_msrs(struct vcpu *vcpu)
{
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entries[1];
	} msrs = {
		.header.nmsrs = 1,
		.entries = { { .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING } },
	};

	if (ioctl(vcpu->fd, KVM_SET_MSRS, &msrs) != (int)msrs.header.nmsrs)
		return error_errno(errno, "KVM_SET_MSRS on vCPU %u", vcpu->index);
	return 0;
}

/*
 * Application processors start as KVM makes them with an in-kernel LAPIC:
 * waiting for the INIT/SIPI that the guest's BSP sends when it brings them up
 * (SDM 3A 9.4, MP initialization). Say so if a KVM does otherwise.
 */
static int check_aps_wait_for_sipi(struct vm *vm)
{
	for (unsigned int i = 1; i < vm->nvcpus; i++) {
		struct kvm_mp_state mp;

		if (ioctl(vm->vcpus[i].fd, KVM_GET_MP_STATE, &mp) < 0)
			return error_errno(errno, "KVM_GET_MP_STATE on vCPU %u", i);
		if (mp.mp_state != KVM_MP_STATE_UNINITIALIZED)
			return error_set(EINVAL,
					 "vCPU %u starts in MP state %u, not waiting for SIPI", i,
					 mp.mp_state);
	}
	return 0;
}

int linux_load(struct vm *vm, const struct bzimage *bz, const struct linux_boot *boot)
{
	struct acpi_config acpi = { .ncpus = vm->nvcpus };
	struct linux_boot with_tables = *boot;
	struct linux_entry entry;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int64_t rsdp;
	int ret;

	rsdp = acpi_build(&vm->mem, &acpi);
	if (rsdp < 0)
		return rsdp;
	ret = mptable_build(&vm->mem, vm->nvcpus);
	if (ret < 0)
		return ret;
	ret = bios_install(&vm->mem);
	if (ret < 0)
		return ret;
	with_tables.acpi_rsdp = rsdp;
	ret = bzimage_place(bz, &vm->mem, &with_tables, &entry);
	if (ret < 0)
		return ret;

	vm->boot_mode = BOOT_MODE_LINUX;
	ret = vcpu_get_sregs(&vm->vcpus[0], &sregs);
	if (ret < 0)
		return ret;
	ret = boot_setup(BOOT_MODE_LINUX, entry.rip, &vm->mem, &sregs, &regs);
	if (ret < 0)
		return ret;
	regs.rsi =
		entry.zero_page; /* boot.rst: "%rsi must hold the base address of struct boot_params" */
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		ret = set_msrs(&vm->vcpus[i]);
		if (ret < 0)
			return ret;
	}
	ret = vcpu_set_state(&vm->vcpus[0], &sregs, &regs);
	if (ret < 0)
		return ret;
	ret = check_aps_wait_for_sipi(vm);
	if (ret < 0)
		return ret;

	vm->config->console->watch = (struct console_watch){
		.first_byte = console_first_byte,
		.line = linux_console_line,
		.opaque = vm,
	};
	return 0;
}
