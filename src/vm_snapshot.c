/* SPDX-License-Identifier: MIT */
/* VM snapshots: KVM's vCPU and VM state, the devices' and the RAM into a file, and back. */
#include "vm_snapshot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <time.h>

#include "clock.h"
#include "devices/blk.h"
#include "error.h"
#include "mini-kvm/hypercall.h"
#include "snapshot/compat.h"
#include "snapshot/format.h"
#include "snapshot/ram_scan.h"
#include "util.h"

/*
 * IA32_TSC_DEADLINE (SDM 4, table 2-2): KVM ignores a write while the local APIC
 * timer is not in TSC-deadline mode, so it is restored after the local APIC.
 */
#define MSR_IA32_TSC_DEADLINE 0x6e0
/* The most CPUID entries KVM keeps for a vCPU (KVM_MAX_CPUID_ENTRIES). */
#define VCPU_CPUID_MAX 256
/* Room in the device table below. */
#define VM_SNAPSHOT_MAX_DEVICES 32

/* --- the devices ---------------------------------------------------------- */

/*
 * One device's part in a snapshot: a section (SNAPSHOT_SEC_DEVICE, id) holding the
 * fixed-layout struct its X_save() fills and its X_restore() checks and loads.
 */
struct snapshot_device {
	uint32_t id; /* SNAPSHOT_DEV_* */
	const char *name;
	size_t size; /* sizeof(struct X_state) */
	void (*save)(const void *dev, void *state);
	int (*restore)(void *dev, const void *state);
	void *dev;
};

/*
 * The glue for device type X, whose X_save(const struct X *, struct X_state *) and
 * X_restore(struct X *, const struct X_state *) every device has (architecture.md,
 * "Adding a device"): one line per type, typed calls, no function-pointer casts.
 */
#define SNAPSHOT_DEVICE_TYPE(x)                                       \
	static void x##_snapshot_save(const void *dev, void *state)   \
	{                                                             \
		x##_save(dev, state);                                 \
	}                                                             \
	static int x##_snapshot_restore(void *dev, const void *state) \
	{                                                             \
		return x##_restore(dev, state);                       \
	}

/* A row of the device table: device type x, its section id, the device. */
#define SNAPSHOT_DEVICE(x, section_id, device)                                              \
	{                                                                                   \
		.id = (section_id), .name = #x, .size = sizeof(struct x##_state),           \
		.save = x##_snapshot_save, .restore = x##_snapshot_restore, .dev = (device) \
	}

SNAPSHOT_DEVICE_TYPE(serial)
SNAPSHOT_DEVICE_TYPE(cmos)
SNAPSHOT_DEVICE_TYPE(crtc)
SNAPSHOT_DEVICE_TYPE(debugcon)
SNAPSHOT_DEVICE_TYPE(ata)
SNAPSHOT_DEVICE_TYPE(virtio_blk)
SNAPSHOT_DEVICE_TYPE(virtio_mmio)

_Static_assert(SNAPSHOT_ATA_DISKS == VM_ATA_DISKS, "the snapshot's ATA slots are the VM's");
_Static_assert(SNAPSHOT_VIRTIO_DISKS >= LAYOUT_VIRTIO_MMIO_COUNT,
	       "every virtio-mmio slot can hold a disk the snapshot names");

/*
 * Every device of the VM that has state, one row each (SNAPSHOT_DEV_* ids in
 * snapshot/format.h), when the VM has it. The i8042, the ACPI power registers, the
 * hypercall port, debug-exit and the no-BIOS trap keep none; a device added to the VM
 * with state gets its row here (or check_snapshottable() refuses VMs that have it).
 * The virtio-mmio slots follow, slot by slot: a disk's own state, then its transport's
 * (whose restore activates the device); virtio-rng has none of its own.
 */
static size_t vm_devices(struct vm *vm, struct snapshot_device out[VM_SNAPSHOT_MAX_DEVICES])
{
	const struct {
		bool present;
		struct snapshot_device dev;
	} table[] = {
		/* 0x0070: the RTC's and CMOS RAM's index and registers (bare --irqchip) */
		{ vm->pc_devices, SNAPSHOT_DEVICE(cmos, SNAPSHOT_DEV_CMOS, &vm->cmos) },
		/* 0x00e9: the debug console (bare guests) */
		{ vm->config->bare, SNAPSHOT_DEVICE(debugcon, SNAPSHOT_DEV_DEBUGCON, &vm->debugcon) },
		/* 0x01f0, 0x0170: the ATA channels' task files and PIO transfers (--ata) */
		{ vm->ata_devices, SNAPSHOT_DEVICE(ata, SNAPSHOT_DEV_ATA(0), &vm->ata[0]) },
		{ vm->ata_devices, SNAPSHOT_DEVICE(ata, SNAPSHOT_DEV_ATA(1), &vm->ata[1]) },
		/* 0x03d4: the CRT controller's index and cursor (bare --irqchip) */
		{ vm->pc_devices, SNAPSHOT_DEVICE(crtc, SNAPSHOT_DEV_CRTC, &vm->crtc) },
		/* 0x03f8: COM1's registers, RX FIFO and IRQ line */
		{ true, SNAPSHOT_DEVICE(serial, SNAPSHOT_DEV_SERIAL(0), &vm->com1) },
	};
	size_t n = 0;

	_Static_assert(ARRAY_SIZE(table) + 2 * LAYOUT_VIRTIO_MMIO_COUNT <= VM_SNAPSHOT_MAX_DEVICES,
		       "device table too small");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].present)
			out[n++] = table[i].dev;
	for (unsigned int i = 0; i < vm->virtio.count; i++) {
		if (i < vm->config->nvirtio_disks) /* the disks come first (vm_virtio_init()) */
			out[n++] = (struct snapshot_device)SNAPSHOT_DEVICE(
				virtio_blk, SNAPSHOT_DEV_VIRTIO_BLK(i), &vm->config->virtio_disks[i]);
		out[n++] = (struct snapshot_device)SNAPSHOT_DEVICE(
			virtio_mmio, SNAPSHOT_DEV_VIRTIO_MMIO(i), &vm->virtio.slots[i].transport);
	}
	return n;
}

/*
 * --- vCPU state -----------------------------------------------------------
 *
 * Source for every ioctl below: Linux Documentation/virt/kvm/api.rst, section 4 (its
 * structures in include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h). Its
 * rule for saving (KVM_RUN, "the corresponding operations are complete ... only after
 * userspace has re-entered the kernel with KVM_RUN") is what vm_pause() keeps.
 */

/* A fixed-size piece of a vCPU's state and the ioctls that read and write it. */
struct vcpu_part {
	uint32_t type; /* SNAPSHOT_SEC_* */
	unsigned long get, set;
	const char *get_name, *set_name;
	size_t size;
	long cap;     /* the KVM_CAP_* its ioctls need; 0: any KVM has them */
	bool irqchip; /* only with the in-kernel irqchip */
};

#define VCPU_PART(type, get, set, size, cap, irqchip)          \
	{                                                      \
		type, get, set, #get, #set, size, cap, irqchip \
	}

static const struct vcpu_part vcpu_parts[] = {
	VCPU_PART(SNAPSHOT_SEC_REGS, KVM_GET_REGS, KVM_SET_REGS, sizeof(struct kvm_regs), 0, false),
	VCPU_PART(SNAPSHOT_SEC_SREGS, KVM_GET_SREGS, KVM_SET_SREGS, sizeof(struct kvm_sregs), 0,
		  false),
	VCPU_PART(SNAPSHOT_SEC_FPU, KVM_GET_FPU, KVM_SET_FPU, sizeof(struct kvm_fpu), 0, false),
	VCPU_PART(SNAPSHOT_SEC_XCRS, KVM_GET_XCRS, KVM_SET_XCRS, sizeof(struct kvm_xcrs),
		  KVM_CAP_XCRS, false),
	VCPU_PART(SNAPSHOT_SEC_LAPIC, KVM_GET_LAPIC, KVM_SET_LAPIC, sizeof(struct kvm_lapic_state),
		  0, true),
	VCPU_PART(SNAPSHOT_SEC_MP_STATE, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
		  sizeof(struct kvm_mp_state), 0, false),
	VCPU_PART(SNAPSHOT_SEC_EVENTS, KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
		  sizeof(struct kvm_vcpu_events), 0, false),
	VCPU_PART(SNAPSHOT_SEC_DEBUGREGS, KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
		  sizeof(struct kvm_debugregs), KVM_CAP_DEBUGREGS, false),
};

/* Room for any of the parts above. */
union vcpu_part_buf {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp_state;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
};

static const struct vcpu_part *vcpu_part(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(vcpu_parts); i++)
		if (vcpu_parts[i].type == type)
			return &vcpu_parts[i];
	return NULL;
}

/* The MSRs KVM can save (KVM_GET_MSR_INDEX_LIST, a /dev/kvm ioctl): malloc()ed. */
static int msr_index_list(int kvm_fd, struct kvm_msr_list **out)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *list;

	/* With room for none, KVM says how many there are (E2BIG). */
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return error_errno(errno, "KVM_GET_MSR_INDEX_LIST");
	list = malloc(sizeof(*list) + (probe.nmsrs + 1) * sizeof(list->indices[0]));
	if (!list)
		return error_set(ENOMEM, "no memory for %u MSR indices", probe.nmsrs);
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return error_errno(errno, "KVM_GET_MSR_INDEX_LIST");
	}
	*out = list;
	return 0;
}

/*
 * Read every MSR of list from vcpu: KVM_GET_MSRS stops at the first one it cannot
 * read (one this vCPU's CPUID does not have), which is dropped, and goes on after it.
 */
static int save_msrs(struct snapshot_builder *b, const struct vcpu *vcpu,
		     const struct kvm_msr_list *list)
{
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + list->nmsrs * sizeof(msrs->entries[0]));
	struct kvm_msr_entry *kept = calloc(list->nmsrs + 1, sizeof(*kept));
	uint32_t nkept = 0, next = 0;
	int ret = 0;

	if (!msrs || !kept) {
		ret = error_set(ENOMEM, "no memory for %u MSRs", list->nmsrs);
		goto out;
	}
	while (next < list->nmsrs) {
		int got;

		msrs->nmsrs = list->nmsrs - next;
		for (uint32_t i = 0; i < msrs->nmsrs; i++)
			msrs->entries[i] =
				(struct kvm_msr_entry){ .index = list->indices[next + i] };
		got = ioctl(vcpu->fd, KVM_GET_MSRS, msrs);
		if (got < 0) {
			ret = error_errno(errno, "KVM_GET_MSRS on vCPU %u", vcpu->index);
			goto out;
		}
		memcpy(kept + nkept, msrs->entries, (size_t)got * sizeof(*kept));
		nkept += (uint32_t)got;
		next += (uint32_t)got + 1; /* past the one it could not read, if any */
	}
	ret = snapshot_builder_add(b, SNAPSHOT_SEC_MSRS, vcpu->index, kept, nkept * sizeof(*kept),
				   0);
out:
	free(msrs);
	free(kept);
	return ret;
}

/* The CPUID KVM gives vcpu now (KVM_GET_CPUID2) into *out (malloc()ed). Returns 0 or -errno. */
static int get_cpuid(const struct vcpu *vcpu, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *cpuid =
		calloc(1, sizeof(*cpuid) + VCPU_CPUID_MAX * sizeof(cpuid->entries[0]));

	if (!cpuid)
		return error_set(ENOMEM, "no memory for CPUID");
	cpuid->nent = VCPU_CPUID_MAX;
	if (ioctl(vcpu->fd, KVM_GET_CPUID2, cpuid) < 0) {
		free(cpuid);
		return error_errno(errno, "KVM_GET_CPUID2 on vCPU %u", vcpu->index);
	}
	*out = cpuid;
	return 0;
}

static int save_cpuid(struct snapshot_builder *b, const struct vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid;
	int ret = get_cpuid(vcpu, &cpuid);

	if (ret < 0)
		return ret;
	ret = snapshot_builder_add(b, SNAPSHOT_SEC_CPUID, vcpu->index, cpuid->entries,
				   cpuid->nent * sizeof(cpuid->entries[0]), 0);
	free(cpuid);
	return ret;
}

/* KVM_GET_XSAVE, or KVM_GET_XSAVE2 where the area is larger than struct kvm_xsave (AMX). */
static int save_xsave(struct snapshot_builder *b, const struct vm *vm, const struct vcpu *vcpu)
{
	int size2 = kvm_check_cap(vm->fd, KVM_CAP_XSAVE2);
	size_t size =
		size2 > (int)sizeof(struct kvm_xsave) ? (size_t)size2 : sizeof(struct kvm_xsave);
	unsigned long req = size > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
	void *area;
	int ret;

	if (!kvm_check_cap(vm->fd, KVM_CAP_XSAVE))
		return 0; /* the FPU section has it all */
	area = calloc(1, size);
	if (!area)
		return error_set(ENOMEM, "no memory for an XSAVE area of %zu bytes", size);
	if (ioctl(vcpu->fd, req, area) < 0)
		ret = error_errno(errno, "%s on vCPU %u",
				  req == KVM_GET_XSAVE2 ? "KVM_GET_XSAVE2" : "KVM_GET_XSAVE",
				  vcpu->index);
	else
		ret = snapshot_builder_add(b, SNAPSHOT_SEC_XSAVE, vcpu->index, area, size, 0);
	free(area);
	return ret;
}

static int save_vcpu(struct snapshot_builder *b, const struct vm *vm, const struct vcpu *vcpu,
		     const struct kvm_msr_list *msrs)
{
	union vcpu_part_buf buf;
	int ret = save_cpuid(b, vcpu);

	for (size_t i = 0; i < ARRAY_SIZE(vcpu_parts) && ret == 0; i++) {
		const struct vcpu_part *p = &vcpu_parts[i];

		if ((p->cap && !kvm_check_cap(vm->fd, p->cap)) || (p->irqchip && !vm->has_irqchip))
			continue;
		memset(&buf, 0, sizeof(buf));
		if (ioctl(vcpu->fd, p->get, &buf) < 0)
			ret = error_errno(errno, "%s on vCPU %u", p->get_name, vcpu->index);
		else
			ret = snapshot_builder_add(b, p->type, vcpu->index, &buf, p->size, 0);
	}
	if (ret == 0)
		ret = save_xsave(b, vm, vcpu);
	if (ret == 0)
		ret = save_msrs(b, vcpu, msrs);
	return ret;
}

/* --- VM state ------------------------------------------------------------- */

static int save_vm_state(struct snapshot_builder *b, const struct vm *vm)
{
	struct kvm_clock_data clock = { 0 };
	int ret;

	if (ioctl(vm->fd, KVM_GET_CLOCK, &clock) < 0)
		return error_errno(errno, "KVM_GET_CLOCK");
	ret = snapshot_builder_add(b, SNAPSHOT_SEC_CLOCK, 0, &clock, sizeof(clock), 0);
	for (uint32_t id = 0; vm->has_irqchip && id <= KVM_IRQCHIP_IOAPIC && ret == 0; id++) {
		struct kvm_irqchip chip = { .chip_id = id };

		if (ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) < 0)
			return error_errno(errno, "KVM_GET_IRQCHIP %u", id);
		ret = snapshot_builder_add(b, SNAPSHOT_SEC_IRQCHIP, id, &chip, sizeof(chip), 0);
	}
	if (vm->has_irqchip && ret == 0) {
		struct kvm_pit_state2 pit;

		if (ioctl(vm->fd, KVM_GET_PIT2, &pit) < 0)
			return error_errno(errno, "KVM_GET_PIT2");
		ret = snapshot_builder_add(b, SNAPSHOT_SEC_PIT2, 0, &pit, sizeof(pit), 0);
	}
	return ret;
}

static int save_machine(struct snapshot_builder *b, const struct vm *vm, bool linux_guest)
{
	struct snapshot_machine m = {
		.mem_size = vm->config->mem_size,
		.ncpus = vm->nvcpus,
		.flags = (vm->has_irqchip ? SNAPSHOT_MACHINE_IRQCHIP : 0) |
			 (linux_guest ? SNAPSHOT_MACHINE_LINUX : 0) |
			 (vm->config->virtio_rng ? SNAPSHOT_MACHINE_VIRTIO_RNG : 0),
		.boot_mode = (uint32_t)vm->boot_mode,
	};
	struct timespec now;
	int khz = kvm_check_cap(vm->fd, KVM_CAP_GET_TSC_KHZ)
			  ? ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0)
			  : 0;

	m.tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	clock_gettime(CLOCK_REALTIME, &now);
	m.saved_at = (uint64_t)now.tv_sec * NS_PER_SEC + (uint64_t)now.tv_nsec;
	snprintf(m.name, sizeof(m.name), "%s", vm->config->name);
	return snapshot_builder_add(b, SNAPSHOT_SEC_MACHINE, 0, &m, sizeof(m), 0);
}

int vm_snapshot_save_devices(struct vm *vm, struct snapshot_builder *b)
{
	struct snapshot_device devices[VM_SNAPSHOT_MAX_DEVICES];
	size_t n = vm_devices(vm, devices);
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		void *state = calloc(1, devices[i].size);

		if (!state)
			return error_set(ENOMEM, "no memory for device %s's state",
					 devices[i].name);
		devices[i].save(devices[i].dev, state);
		ret = snapshot_builder_add(b, SNAPSHOT_SEC_DEVICE, devices[i].id, state,
					   devices[i].size, 0);
		free(state);
	}
	return ret;
}

/*
 * disk's path made absolute with the working directory (not realpath(): its readlink
 * and lstat calls are outside the guest thread's sandbox, and a path through a
 * symbolic link is as good), or NULL for no memory. Free it.
 */
static char *absolute_path(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return strdup(path); /* a relative path, as given: the best there is */
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

/*
 * A disk's section id and kind (SNAPSHOT_DISK_*), its path (absolute, so a restore
 * from elsewhere finds it) and size in bytes.
 */
static int save_disk(struct snapshot_builder *b, uint32_t id, uint32_t kind, const char *disk_path,
		     uint64_t size)
{
	char *abs = absolute_path(disk_path);
	const char *path = abs ? abs : disk_path;
	size_t len = strlen(path) + 1;
	struct snapshot_disk *d = calloc(1, sizeof(*d) + len);
	int ret;

	if (!d || len > SNAPSHOT_PATH_MAX) {
		free(abs);
		free(d);
		return error_set(d ? ENAMETOOLONG : ENOMEM, "disk '%s': path too long or no memory",
				 disk_path);
	}
	*d = (struct snapshot_disk){ .size = size, .kind = kind, .path_len = (uint32_t)len };
	memcpy(d + 1, path, len);
	ret = snapshot_builder_add(b, SNAPSHOT_SEC_DISK, id, d, sizeof(*d) + len, 0);
	free(abs);
	free(d);
	return ret;
}

/* Everything but the RAM, from the paused vm, into b. */
static int save_state(struct snapshot_builder *b, struct vm *vm, bool linux_guest,
		      const struct kvm_msr_list *msrs)
{
	int ret = save_machine(b, vm, linux_guest);

	if (ret == 0)
		ret = save_vm_state(b, vm);
	for (unsigned int i = 0; i < vm->nvcpus && ret == 0; i++)
		ret = save_vcpu(b, vm, &vm->vcpus[i], msrs);
	if (ret == 0)
		ret = vm_snapshot_save_devices(vm, b);
	if (ret == 0 && vm->config->disk)
		ret = save_disk(b, 0, SNAPSHOT_DISK_HC_BLK, vm->config->disk->path,
				(uint64_t)vm->config->disk->sectors * HC_BLK_SECTOR_SIZE);
	for (unsigned int i = 0; i < VM_ATA_DISKS && ret == 0; i++) {
		const struct ata_disk *a = vm->config->ata[i];

		if (a)
			ret = save_disk(b, SNAPSHOT_DISK_ID_ATA(i),
					a->read_only ? SNAPSHOT_DISK_ATA_RO : SNAPSHOT_DISK_ATA,
					a->path, (uint64_t)a->sectors * ATA_SECTOR_SIZE);
	}
	for (unsigned int i = 0; i < vm->config->nvirtio_disks && ret == 0; i++) {
		const struct virtio_blk *d = &vm->config->virtio_disks[i];

		ret = save_disk(b, SNAPSHOT_DISK_ID_VIRTIO(i),
				d->read_only ? SNAPSHOT_DISK_VIRTIO_RO : SNAPSHOT_DISK_VIRTIO, d->path,
				d->capacity * VIRTIO_BLK_SECTOR_SIZE);
	}
	return ret;
}

/*
 * Devices whose state a snapshot does not hold: a NIC's backend (slirp's connections,
 * frames on their way) and a gdb session live outside the VM. Returns 0, or -ENOTSUP
 * naming the first such device.
 */
static int check_snapshottable(const struct vm *vm)
{
	const char *what = NULL;

	if (vm->virtio.has_net)
		what = "a virtio-net NIC (--net)";
	else if (vm->gdb)
		what = "a gdb stub (--gdb)";
	if (!what)
		return 0;
	return error_set(ENOTSUP, "cannot snapshot a VM with %s: their state is not saved yet",
			 what);
}

int vm_snapshot_take(struct vm *vm, const char *path, bool linux_guest, bool resume,
		     struct vm_snapshot_info *info)
{
	uint64_t t0 = now_ns(), t_pause;
	struct kvm_msr_list *msrs = NULL;
	struct snapshot_builder b;
	struct snapshot_out out;
	struct guest_memory copy = { 0 };
	struct ram_scan scan;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = check_snapshottable(vm);
	if (ret < 0)
		return ret;
	snapshot_builder_init(&b);
	ret = msr_index_list(vm->host->fd, &msrs); /* before the pause: it is the host's */
	if (ret == 0 && resume)
		ret = ram_scan_prepare_copy(&vm->mem, &copy);
	t_pause = now_ns();
	if (ret == 0)
		ret = vm_pause(vm);
	if (ret < 0)
		goto out;
	/* The I/O threads too: no request half in the state and half in RAM or on a disk. */
	vm_virtio_pause(&vm->virtio);
	ret = save_state(&b, vm, linux_guest, msrs);
	if (ret == 0)
		ret = ram_scan(&vm->mem, vm->file_extents, vm->nfile_extents, &scan);
	if (ret < 0) {
		vm_virtio_resume(&vm->virtio);
		if (resume)
			vm_resume(vm);
		goto out;
	}
	/*
	 * A guest that runs on goes on from a copy of its data pages (a memcpy, where
	 * writing a new file can take 20 times as long), and the file is written from it.
	 */
	if (resume) {
		ram_scan_copy(&vm->mem, &scan, &copy);
		vm_virtio_resume(&vm->virtio);
		vm_resume(vm);
	}
	info->paused_ns = now_ns() - t_pause;
	if (ret == 0)
		ret = snapshot_file_write(path, &b, resume ? &copy : &vm->mem, &scan, &out);
	if (!resume) /* the VM ends: its I/O threads must be free to stop */
		vm_virtio_resume(&vm->virtio);
	ram_scan_free(&scan);
	if (!resume)
		info->paused_ns = now_ns() - t_pause;
	if (ret == 0) {
		info->file_size = out.file_size;
		info->ram_written = out.ram_written;
		info->nextents = out.nextents;
		ret = snapshot_file_commit(&out);
	}
	info->total_ns = now_ns() - t0;
out:
	guest_memory_destroy(&copy);
	free(msrs);
	snapshot_builder_free(&b);
	return ret < 0 ? error_wrap(-ret, "snapshot '%s' not saved", path) : 0;
}

/* --- restoring ------------------------------------------------------------ */

int vm_snapshot_config(const struct snapshot *snap, struct vm_config *config)
{
	const struct snapshot_machine *m = snap->machine;

	if (m->ncpus > VM_MAX_VCPUS)
		return error_set(EINVAL, "the snapshot's VM has %u vCPUs; mini-kvm runs at most %u",
				 m->ncpus, VM_MAX_VCPUS);
	config->mem_size = m->mem_size;
	config->cpus = m->ncpus;
	config->irqchip = m->flags & SNAPSHOT_MACHINE_IRQCHIP;
	config->virtio_rng = m->flags & SNAPSHOT_MACHINE_VIRTIO_RNG;
	return 0;
}

/* Write section type of vCPU vcpu back with its ioctl, if the snapshot has it. */
static int put_part(const struct snapshot *snap, const struct vcpu *vcpu, uint32_t type)
{
	const struct vcpu_part *p = vcpu_part(type);
	const void *data = snapshot_find(snap, type, vcpu->index, NULL);

	if (!data)
		return 0; /* optional: the parser made sure the required ones are there */
	if (ioctl(vcpu->fd, p->set, data) < 0)
		return error_errno(errno, "%s on vCPU %u refused the snapshot's state", p->set_name,
				   vcpu->index);
	return 0;
}

/*
 * The saved CPUID, once checked against what this host's KVM gives the new vCPU
 * (what KVM_GET_CPUID2 reads back after vcpu_create() set this host's: a KVM that
 * passes some bits of the host through, as kvm_pvm does, shows them there too).
 */
static int set_cpuid(const struct snapshot *snap, const struct vcpu *vcpu)
{
	uint64_t len;
	const struct kvm_cpuid_entry2 *saved =
		snapshot_find(snap, SNAPSHOT_SEC_CPUID, vcpu->index, &len);
	size_t n = len / sizeof(*saved);
	struct kvm_cpuid2 *now, *cpuid;
	int ret = get_cpuid(vcpu, &now);

	if (ret < 0)
		return ret;
	cpuid = malloc(sizeof(*cpuid) + len);
	if (!cpuid) {
		free(now);
		return error_set(ENOMEM, "no memory for CPUID");
	}
	/* The guest has seen its features: each must still be there. */
	ret = snapshot_cpuid_compatible(saved, n, now);
	if (ret == 0) {
		cpuid->nent = (uint32_t)n;
		cpuid->padding = 0;
		memcpy(cpuid->entries, saved, len);
		if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
			ret = error_errno(errno,
					  "KVM_SET_CPUID2 on vCPU %u refused the snapshot's "
					  "CPUID",
					  vcpu->index);
	}
	free(now);
	free(cpuid);
	return ret;
}

/* The guest's TSC ticks at the saved rate, or KVM must be able to make it. */
static int set_tsc_khz(const struct vm *vm, const struct snapshot *snap, const struct vcpu *vcpu)
{
	uint32_t saved = snap->machine->tsc_khz;
	int now;

	if (!saved || !kvm_check_cap(vm->fd, KVM_CAP_GET_TSC_KHZ))
		return 0;
	now = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	if (now <= 0 || (uint32_t)now == saved)
		return 0;
	if (ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)saved) < 0)
		return error_errno(
			errno,
			"the snapshot's TSC ran at %u kHz, this host's at %d kHz, and "
			"its KVM cannot run a guest's at the saved rate (KVM_SET_TSC_KHZ)",
			saved, now);
	return 0;
}

/* Whether vcpu's MSR e.index reads e.data now (KVM_GET_MSRS). */
static bool msr_reads(const struct vcpu *vcpu, const struct kvm_msr_entry *e)
{
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entry;
	} one = { .header.nmsrs = 1, .entry.index = e->index };

	return ioctl(vcpu->fd, KVM_GET_MSRS, &one) == 1 && one.entry.data == e->data;
}

/*
 * KVM_SET_MSRS of the saved MSRs that are IA32_TSC_DEADLINE (deadline) or all the
 * others (!deadline). KVM stops at the first one it refuses: one that already
 * holds the saved value is skipped (KVM reads some it will not take back, as
 * MSR_KVM_ASYNC_PF_INT without an in-kernel local APIC), any other refusal fails.
 */
static int set_msrs(const struct snapshot *snap, const struct vcpu *vcpu, bool deadline)
{
	uint64_t len;
	const struct kvm_msr_entry *saved =
		snapshot_find(snap, SNAPSHOT_SEC_MSRS, vcpu->index, &len);
	size_t n = len / sizeof(*saved);
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + (n + 1) * sizeof(*saved));
	uint32_t count = 0;
	int ret = 0;

	if (!msrs)
		return error_set(ENOMEM, "no memory for %zu MSRs", n);
	for (size_t i = 0; i < n; i++)
		if ((saved[i].index == MSR_IA32_TSC_DEADLINE) == deadline)
			msrs->entries[count++] = saved[i];
	while (count) {
		struct kvm_msr_entry refused;
		int done;

		msrs->nmsrs = count;
		done = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
		if (done < 0) {
			ret = error_errno(errno, "KVM_SET_MSRS on vCPU %u", vcpu->index);
			break;
		}
		if ((uint32_t)done == count)
			break;
		refused = msrs->entries[done];
		if (!msr_reads(vcpu, &refused)) {
			ret = error_set(EINVAL,
					"KVM_SET_MSRS on vCPU %u refused the snapshot's MSR 0x%x = "
					"0x%llx",
					vcpu->index, refused.index,
					(unsigned long long)refused.data);
			break;
		}
		/* Go on with the ones after it. */
		count -= (uint32_t)done + 1;
		memmove(msrs->entries, msrs->entries + done + 1, count * sizeof(*saved));
	}
	free(msrs);
	return ret;
}

/* KVM_SET_XSAVE with an area as large as this host's KVM reads (KVM_CAP_XSAVE2). */
static int set_xsave(const struct vm *vm, const struct snapshot *snap, const struct vcpu *vcpu)
{
	uint64_t len;
	const void *saved = snapshot_find(snap, SNAPSHOT_SEC_XSAVE, vcpu->index, &len);
	int size2 = kvm_check_cap(vm->fd, KVM_CAP_XSAVE2);
	size_t size =
		size2 > (int)sizeof(struct kvm_xsave) ? (size_t)size2 : sizeof(struct kvm_xsave);
	void *area;
	int ret = 0;

	if (!saved)
		return 0;
	if (len > size)
		return error_set(ENOTSUP,
				 "vCPU %u's XSAVE area is %llu bytes; this host's KVM "
				 "holds %zu (a CPU with fewer state components)",
				 vcpu->index, (unsigned long long)len, size);
	area = calloc(1, size);
	if (!area)
		return error_set(ENOMEM, "no memory for an XSAVE area");
	memcpy(area, saved, len);
	if (ioctl(vcpu->fd, KVM_SET_XSAVE, area) < 0)
		ret = error_errno(errno, "KVM_SET_XSAVE on vCPU %u refused the snapshot's state",
				  vcpu->index);
	free(area);
	return ret;
}

/*
 * One vCPU, in the order KVM needs: CPUID before anything it shapes (the XSAVE
 * size, which MSRs exist); the APIC base (in SREGS) before the local APIC's
 * registers; XCR0 before the XSAVE area; the local APIC before the TSC deadline.
 */
static int restore_vcpu(const struct vm *vm, const struct snapshot *snap, const struct vcpu *vcpu)
{
	int ret = set_cpuid(snap, vcpu);

	if (ret == 0)
		ret = set_tsc_khz(vm, snap, vcpu);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_SREGS);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_LAPIC);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_REGS);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_FPU);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_XCRS);
	if (ret == 0)
		ret = set_xsave(vm, snap, vcpu);
	if (ret == 0)
		ret = set_msrs(snap, vcpu, false);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_EVENTS);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_MP_STATE);
	if (ret == 0)
		ret = set_msrs(snap, vcpu, true);
	if (ret == 0)
		ret = put_part(snap, vcpu, SNAPSHOT_SEC_DEBUGREGS);
	return ret;
}

/* The PICs, the I/O APIC and the PIT, before the vCPUs whose local APICs they feed. */
static int restore_irqchip(const struct vm *vm, const struct snapshot *snap)
{
	for (uint32_t id = 0; vm->has_irqchip && id <= KVM_IRQCHIP_IOAPIC; id++)
		if (ioctl(vm->fd, KVM_SET_IRQCHIP,
			  snapshot_find(snap, SNAPSHOT_SEC_IRQCHIP, id, NULL)) < 0)
			return error_errno(errno, "KVM_SET_IRQCHIP %u refused the snapshot's state",
					   id);
	if (vm->has_irqchip &&
	    ioctl(vm->fd, KVM_SET_PIT2, snapshot_find(snap, SNAPSHOT_SEC_PIT2, 0, NULL)) < 0)
		return error_errno(errno, "KVM_SET_PIT2 refused the snapshot's state");
	return 0;
}

/*
 * The KVM clock (kvmclock's time base) last, as QEMU does when a VM starts: it
 * goes on from the saved value, so the guest's clock, like its TSC (an MSR,
 * restored with the vCPU), is paused across the snapshot and never goes back.
 */
static int restore_clock(const struct vm *vm, const struct snapshot *snap)
{
	const struct kvm_clock_data *saved = snapshot_find(snap, SNAPSHOT_SEC_CLOCK, 0, NULL);
	struct kvm_clock_data clock = { .clock = saved->clock };

	if (ioctl(vm->fd, KVM_SET_CLOCK, &clock) < 0)
		return error_errno(errno, "KVM_SET_CLOCK to %llu ns",
				   (unsigned long long)clock.clock);
	return 0;
}

int vm_snapshot_restore_devices(struct vm *vm, const struct snapshot *snap)
{
	struct snapshot_device devices[VM_SNAPSHOT_MAX_DEVICES];
	size_t n = vm_devices(vm, devices);

	/* A device this VM lacks would lose its state: refuse rather than guess. */
	for (uint32_t i = 0; i < snap->nsections; i++) {
		const struct snapshot_section *s = &snap->sections[i];
		bool known = false;

		for (size_t j = 0; j < n && s->type == SNAPSHOT_SEC_DEVICE; j++)
			known |= devices[j].id == s->id;
		if (s->type == SNAPSHOT_SEC_DEVICE && !known)
			return error_set(EINVAL,
					 "the snapshot holds device 0x%04x, which this VM does "
					 "not have",
					 s->id);
	}
	/* A device the snapshot does not mention keeps its reset state. */
	for (size_t j = 0; j < n; j++) {
		uint64_t len;
		const void *state = snapshot_find(snap, SNAPSHOT_SEC_DEVICE, devices[j].id, &len);
		int ret;

		if (!state)
			continue;
		if (len != devices[j].size)
			return error_set(EINVAL,
					 "device %s's state is %llu bytes, this mini-kvm's is %zu",
					 devices[j].name, (unsigned long long)len, devices[j].size);
		ret = devices[j].restore(devices[j].dev, state);
		if (ret < 0)
			return error_wrap(-ret, "device %s (0x%04x)", devices[j].name,
					  devices[j].id);
	}
	return 0;
}

/* vm_snapshot_restore() with the console's input held. */
static int restore(struct vm *vm, const struct snapshot_in *in)
{
	const struct snapshot *snap = &in->snap;
	const struct snapshot_machine *m = snap->machine;
	int ret = 0;

	for (size_t i = 0; i < snap->nextents && ret == 0; i++)
		ret = guest_memory_map_file(&vm->mem, snap->extents[i].gpa, snap->extents[i].size,
					    in->fd, snap->extents[i].offset);
	if (ret < 0)
		return error_wrap(-ret, "snapshot '%s'", in->path);
	vm->file_extents = snap->extents;
	vm->nfile_extents = snap->nextents;
	ret = restore_irqchip(vm, snap);
	for (unsigned int i = 0; i < vm->nvcpus && ret == 0; i++)
		ret = restore_vcpu(vm, snap, &vm->vcpus[i]);
	if (ret == 0)
		ret = restore_clock(vm, snap);
	if (ret == 0)
		ret = vm_snapshot_restore_devices(vm, snap);
	if (ret < 0)
		return error_wrap(-ret, "snapshot '%s'", in->path);
	vm->boot_mode = (enum boot_mode)m->boot_mode;
	return 0;
}

int vm_snapshot_restore(struct vm *vm, const struct snapshot_in *in)
{
	const struct snapshot *snap = &in->snap;
	const struct snapshot_machine *m = snap->machine;
	int ret;

	if (vm->config->mem_size != m->mem_size || vm->nvcpus != m->ncpus ||
	    vm->has_irqchip != !!(m->flags & SNAPSHOT_MACHINE_IRQCHIP))
		return error_set(EINVAL,
				 "the VM was not made for this snapshot (vm_snapshot_config)");
	/*
	 * Input must not reach the UART before its state is back; what was typed
	 * meanwhile (or before the VM existed: a restored guest does not set its UART up
	 * again, which would read it) reaches it afterwards.
	 */
	vm_hold_input(vm, true);
	ret = restore(vm, in);
	vm_hold_input(vm, false);
	return ret;
}

const char *vm_snapshot_disk(const struct snapshot *snap, uint64_t *size)
{
	const struct snapshot_disk *d = snapshot_find(snap, SNAPSHOT_SEC_DISK, 0, NULL);

	if (!d)
		return NULL;
	*size = d->size;
	return (const char *)(d + 1); /* NUL-terminated: snapshot_parse() checked */
}

/* The path of disk section id, its size and whether it is the kind read_only_kind. */
static const char *saved_disk(const struct snapshot *snap, uint32_t id, uint32_t read_only_kind,
			      uint64_t *size, bool *read_only)
{
	const struct snapshot_disk *d = snapshot_find(snap, SNAPSHOT_SEC_DISK, id, NULL);

	if (!d)
		return NULL;
	*size = d->size;
	*read_only = d->kind == read_only_kind;
	return (const char *)(d + 1); /* NUL-terminated: snapshot_parse() checked */
}

const char *vm_snapshot_ata_disk(const struct snapshot *snap, unsigned int slot, uint64_t *size,
				 bool *read_only)
{
	if (slot >= VM_ATA_DISKS)
		return NULL;
	return saved_disk(snap, SNAPSHOT_DISK_ID_ATA(slot), SNAPSHOT_DISK_ATA_RO, size, read_only);
}

const char *vm_snapshot_virtio_disk(const struct snapshot *snap, unsigned int n, uint64_t *size,
				    bool *read_only)
{
	if (n >= SNAPSHOT_VIRTIO_DISKS)
		return NULL;
	return saved_disk(snap, SNAPSHOT_DISK_ID_VIRTIO(n), SNAPSHOT_DISK_VIRTIO_RO, size,
			  read_only);
}
