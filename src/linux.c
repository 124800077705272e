/* SPDX-License-Identifier: MIT */
/* Linux guests: inputs and command line, tables and entry, what its ends mean, its console watch. */
#include "linux.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "arch/x86/bios.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "clock.h"
#include "error.h"
#include "file.h"
#include "kvm.h"
#include "loaders/loader.h"
#include "options.h"
#include "probe.h"
#include "util.h"
#include "vm.h"

/* The console on the serial port: the command line when -p gives none, else added to -p. */
#define LINUX_DEFAULT_CMDLINE "console=ttyS0"
/*
 * Parameters that describe mini-kvm's platform, put before the user's unless
 * they say pci= themselves: there is no PCI bus, so the kernel should not look
 * for one (on AMD CPUs its AGP aperture check alone reads the config space of
 * all 8192 bus/slot pairs, two VM exits each).
 */
#define LINUX_PLATFORM_CMDLINE "pci=off"

/* MSRs with a reset value worth setting explicitly (SDM 4, table 2-2). */
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MISC_ENABLE_FAST_STRING (1ULL << 0) /* what firmware turns on for rep movs/stos */

/* --- inputs -------------------------------------------------------------- */

void linux_free(struct linux_guest *lg)
{
	if (!lg)
		return;
	bzimage_free(&lg->bz);
	pvh_free(&lg->pvh);
	free(lg->initrd);
	free(lg->cmdline);
	pthread_mutex_destroy(&lg->lock);
	free(lg);
}

/* Whether the file at path starts with the ELF magic (a vmlinux, not a bzImage). */
static int kernel_is_elf(const char *path, bool *elf)
{
	uint8_t magic[SELFMAG] = { 0 };
	uint64_t size;
	int fd, ret = file_open_regular(path, "kernel", &fd, &size);

	if (ret < 0)
		return ret;
	if (size >= SELFMAG)
		ret = file_pread_all(fd, path, "kernel", magic, SELFMAG, 0);
	close(fd);
	*elf = ret == 0 && !memcmp(magic, ELFMAG, SELFMAG);
	return ret;
}

/* Whether the command line has a parameter starting with name ("console="). */
static bool has_param(const char *cmdline, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = cmdline; (p = strstr(p, name)); p += len)
		if (p == cmdline || p[-1] == ' ')
			return true;
	return false;
}

char *linux_cmdline(const char *params)
{
	const char *platform, *console;
	char *cmdline;

	if (!params)
		params = "";
	/* A user who says something about PCI has the last word on it. */
	platform = has_param(params, "pci=") ? "" : LINUX_PLATFORM_CMDLINE " ";
	/* Without a console the kernel would be silent: the serial one, unless named. */
	console = has_param(params, "console=") ? ""
		  : *params			? " " LINUX_DEFAULT_CMDLINE
						: LINUX_DEFAULT_CMDLINE;
	if (asprintf(&cmdline, "%s%s%s", platform, params, console) < 0)
		return NULL;
	return cmdline;
}

int linux_open(const struct options *opts, struct linux_guest **out)
{
	struct linux_guest *lg = calloc(1, sizeof(*lg));
	bool elf = false;
	int ret;

	if (!lg)
		return error_set(ENOMEM, "no memory for a Linux guest");
	pthread_mutex_init(&lg->lock, NULL);
	ret = kernel_is_elf(opts->kernel, &elf);
	if (ret == 0 && elf) {
		lg->path = LINUX_BOOT_PVH;
		ret = pvh_open(opts->kernel, &lg->pvh);
	} else if (ret == 0) {
		ret = bzimage_open(opts->kernel, &lg->bz);
	}
	if (ret == 0 && opts->initrd) {
		/* An initrd is copied whole into guest RAM: a larger one cannot fit. */
		uint64_t max = opts->mem_size < INITRD_MAX_FILE_SIZE ? opts->mem_size
								     : INITRD_MAX_FILE_SIZE;
		char limit[64];

		snprintf(limit, sizeof(limit), "fits in the guest's %llu MiB of RAM (-m)",
			 (unsigned long long)(opts->mem_size / LAYOUT_MIB));
		ret = file_read_all(opts->initrd, "initrd", max, limit, &lg->initrd,
				    &lg->initrd_size);
	}
	if (ret == 0) {
		lg->cmdline = linux_cmdline(opts->params);
		if (!lg->cmdline)
			ret = error_set(ENOMEM, "no memory for the kernel command line");
	}
	if (ret < 0) {
		linux_free(lg);
		return ret;
	}
	lg->initrd_path = opts->initrd;
	lg->boot_marker = opts->boot_marker;
	*out = lg;
	return 0;
}

int linux_open_restored(const struct options *opts, struct linux_guest **out)
{
	struct linux_guest *lg = calloc(1, sizeof(*lg));

	if (!lg)
		return error_set(ENOMEM, "no memory for a Linux guest");
	pthread_mutex_init(&lg->lock, NULL);
	lg->boot_marker = opts->boot_marker;
	*out = lg;
	return 0;
}

/* --- what the guest's ends mean, and its console -------------------------- */

static void console_first_byte(void *opaque)
{
	struct linux_guest *lg = opaque;

	timeline_mark(&lg->vm->timeline, TIMELINE_FIRST_BYTE, now_ns(), vm_exits(lg->vm));
}

void linux_console_line(void *opaque, const char *line)
{
	struct linux_guest *lg = opaque;
	struct vm *vm = lg->vm;
	const char *marker = lg->boot_marker;
	uint64_t now = now_ns();
	char panic[LINUX_PANIC_MAX];

	if (strstr(line, LINUX_BANNER))
		timeline_mark(&vm->timeline, TIMELINE_BANNER, now, vm_exits(vm));
	if (marker && *marker && strstr(line, marker))
		timeline_mark(&vm->timeline, TIMELINE_MARKER, now, vm_exits(vm));
	pthread_mutex_lock(&lg->lock);
	if (strstr(line, LINUX_PANIC) && !lg->panic[0])
		snprintf(lg->panic, sizeof(lg->panic), "%s", strstr(line, LINUX_PANIC));
	memcpy(panic, lg->panic, sizeof(panic));
	pthread_mutex_unlock(&lg->lock);
	/* The last line panic() prints before it spins forever. */
	if (strstr(line, LINUX_PANIC_END))
		vm_stop(vm, VM_END_DIED, 0, -1, LINUX_PANIC_REASON "%s", panic);
}

/* A kernel that panicked and then reset, halted or powered off (panic=N) died. */
static void amend_end(void *opaque, struct vm_result *r)
{
	struct linux_guest *lg = opaque;

	pthread_mutex_lock(&lg->lock);
	if (lg->panic[0] &&
	    (r->end == VM_END_RESET || r->end == VM_END_HALT || r->end == VM_END_POWEROFF)) {
		r->end = VM_END_DIED;
		r->vcpu = -1;
		snprintf(r->message, sizeof(r->message), LINUX_PANIC_REASON "%s", lg->panic);
	}
	pthread_mutex_unlock(&lg->lock);
}

void linux_attach(struct linux_guest *lg, struct vm *vm)
{
	lg->vm = vm;
	vm->policy = (struct vm_policy){ .triple_fault_resets = true,
					 .amend_end = amend_end,
					 .opaque = lg };
	vm->config->console->watch = (struct console_watch){
		.first_byte = console_first_byte,
		.line = linux_console_line,
		.opaque = lg,
	};
}

/* --- loading ------------------------------------------------------------- */

/* KVM modules that run any x86 guest on the CPU's own virtualization (kvm.h's module names). */
static const char *const linux_hardware_kvms[] = { "kvm_intel", "kvm_amd" };

/*
 * Can host run a stock Linux kernel? Linux's user space enters the kernel with
 * syscall; a KVM that cannot deliver that to ring 0 (the 'syscall' probe, which
 * runs in long mode, so it also fails where long mode does) would spend minutes
 * emulating the kernel before dying. Returns 0, or -ENOTSUP with a message naming
 * the host's KVM and the failing probe.
 */
static int linux_check_host(const struct kvm_host *host)
{
	struct probe_result r;
	int ret;

	/*
	 * The hardware KVMs take system calls in every guest they run (VMX and SVM run
	 * the guest's ring 0 natively): no probe VM, which cost ~0.3 s of every boot in
	 * the nested lane, where creating and destroying a VM is slow.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(linux_hardware_kvms); i++)
		if (!strcmp(host->module, linux_hardware_kvms[i]))
			return 0;
	ret = probe_run(host, PROBE_ID_SYSCALL, &r);
	if (ret < 0)
		return ret;
	if (!r.yes)
		return error_set(
			ENOTSUP,
			"this host's KVM (%s) cannot run a Linux kernel: no %s "
			"(its '%s' probe: %s). Linux needs a KVM like kvm_intel or kvm_amd; "
			"see 'mini-kvm check'",
			host->module, probe_what(PROBE_ID_SYSCALL), probe_name(PROBE_ID_SYSCALL),
			r.detail);
	return 0;
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

/* Place a bzImage and set the 64-bit boot protocol's entry state. */
static int enter_bzimage(struct linux_guest *lg, struct vm *vm, const struct linux_boot *boot,
			 struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	struct linux_entry entry;
	int ret = bzimage_place(&lg->bz, &vm->mem, boot, &entry);

	if (ret == 0)
		ret = boot_setup(BOOT_MODE_LINUX, entry.rip, &vm->mem, sregs, regs);
	/* boot.rst: "%rsi must hold the base address of struct boot_params" */
	if (ret == 0)
		regs->rsi = entry.zero_page;
	return ret;
}

/* Place a vmlinux with its hvm_start_info and set the PVH entry state (32-bit, no paging). */
static int enter_pvh(struct linux_guest *lg, struct vm *vm, const struct linux_boot *boot,
		     struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	struct loader_entry entry;
	int ret = pvh_place(&lg->pvh, &vm->mem, boot, &entry);

	if (ret < 0)
		return ret;
	/* RAM mapped from the vmlinux: a snapshot saves it even where the guest never touched it. */
	vm->file_extents = lg->pvh.img.maps;
	vm->nfile_extents = lg->pvh.img.nmaps;
	return loader_entry_setup(&entry, &vm->mem, sregs, regs);
}

int linux_load(struct linux_guest *lg, struct vm *vm, const struct kvm_host *host)
{
	/* The DSDT lists the VM's virtio devices: how the stock kernel finds them. */
	struct acpi_config acpi = { .ncpus = vm->nvcpus,
				    .virtio_mmio_devices = vm_virtio_count(&vm->virtio) };
	struct linux_boot boot = {
		.cmdline = lg->cmdline,
		.initrd = lg->initrd,
		.initrd_size = lg->initrd_size,
		.initrd_path = lg->initrd_path,
	};
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
	boot.acpi_rsdp = rsdp;
	vm->boot_mode = BOOT_MODE_LINUX;
	ret = vcpu_get_sregs(&vm->vcpus[0], &sregs);
	if (ret < 0)
		return ret;
	ret = lg->path == LINUX_BOOT_PVH ? enter_pvh(lg, vm, &boot, &sregs, &regs)
					  : enter_bzimage(lg, vm, &boot, &sregs, &regs);
	if (ret < 0)
		return ret;
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
	linux_attach(lg, vm);
	return linux_check_host(host);
}
