/* SPDX-License-Identifier: MIT */
/* Snapshots of a VM: its vCPUs', irqchip's, clock's, devices' and RAM's state saved and restored. */
#ifndef MINI_KVM_VM_SNAPSHOT_H
#define MINI_KVM_VM_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshot/snapfile.h"
#include "vm.h"

/* What a snapshot took (for the line mini-kvm prints). */
struct vm_snapshot_info {
	uint64_t paused_ns;   /* how long the guest was paused */
	uint64_t total_ns;    /* from the request to the file in place */
	uint64_t file_size;   /* bytes (holes included) */
	uint64_t ram_written; /* bytes of RAM written */
	size_t nextents;
};

/*
 * Save vm (running in vm_run(); called on its thread, from on_request) to a snapshot
 * at path: pause it (vm_pause()), read every vCPU's state (CPUID, registers, FPU and
 * XSAVE, XCRs, every MSR KVM_GET_MSR_INDEX_LIST names that KVM_GET_MSRS reads, local
 * APIC, MP state, events, debug registers), the VM's (KVM clock, PICs, I/O APIC,
 * PIT), each device's (vm_snapshot.c's device table) and the RAM that holds data,
 * write the file, resume the guest unless resume is false (--snapshot-and-exit: the
 * guest must not run past its snapshot), then sync and rename the file into place.
 * linux_guest: the VM runs Linux (a restored one gets linux.c's policy).
 * Returns 0 with *info, or -errno with a message (no file is left; a VM that could
 * not be paused runs on).
 */
int vm_snapshot_take(struct vm *vm, const char *path, bool linux_guest, bool resume,
		     struct vm_snapshot_info *info);

/*
 * The vm_config a snapshot's VM needs (RAM size, vCPUs, irqchip) into *config, whose
 * other fields the caller sets. Returns 0, or -EINVAL with a message if this build's
 * limits refuse it.
 */
int vm_snapshot_config(const struct snapshot *snap, struct vm_config *config);

/*
 * Restore the snapshot in (opened and checked) into vm, made by vm_create() with
 * vm_snapshot_config()'s settings and not run yet: RAM extents mapped from in's file
 * copy-on-write, the irqchip and PIT, every vCPU (CPUID first, checked against what
 * this host offers; TSC rate), the KVM clock (continuing from the saved value: the
 * guest's time never goes back), the devices. Returns 0, or -errno with a message
 * naming what KVM or a device refused; in must stay open while vm lives (its extents
 * are vm->file_extents).
 */
int vm_snapshot_restore(struct vm *vm, const struct snapshot_in *in);

/*
 * The devices' part, which needs no KVM (exposed for unit tests on a vm_init() VM):
 * save adds a SNAPSHOT_SEC_DEVICE section per device of the table in vm_snapshot.c
 * (its X_save() struct) to b; restore gives each device its section's state
 * (X_restore()), leaving one the snapshot lacks at its reset state, and refuses (-EINVAL
 * with a message, or the device's error) a device the VM lacks or a state of the
 * wrong size. Both return 0 or -errno.
 */
int vm_snapshot_save_devices(struct vm *vm, struct snapshot_builder *b);
int vm_snapshot_restore_devices(struct vm *vm, const struct snapshot *snap);

/*
 * The disk the snapshot's VM had (--disk; its contents are not in the snapshot): its
 * path as saved (absolute) and its size in bytes in *size, or NULL if it had none.
 */
const char *vm_snapshot_disk(const struct snapshot *snap, uint64_t *size);

/*
 * The ATA disk the snapshot's VM had in slot (0 primary master, 1 primary slave, 2
 * secondary master, 3 secondary slave; its contents are not in the snapshot): its
 * path as saved (absolute), its size in bytes in *size and whether it was read-only
 * (--ata FILE,ro) in *read_only, or NULL if the slot was empty or is out of range.
 */
const char *vm_snapshot_ata_disk(const struct snapshot *snap, unsigned int slot, uint64_t *size,
				 bool *read_only);

/*
 * Virtio disk n the snapshot's VM had (-k --disk, in the order given: the guest's
 * vda, vdb ...; its contents are not in the snapshot): its path as saved (absolute),
 * its size in bytes in *size and whether it was read-only (FILE,ro) in *read_only, or
 * NULL if it had no disk n.
 */
const char *vm_snapshot_virtio_disk(const struct snapshot *snap, unsigned int n, uint64_t *size,
				    bool *read_only);

#endif
