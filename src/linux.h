/* SPDX-License-Identifier: MIT */
/* Linux guests: every Linux-specific policy of mini-kvm, in one place. */
#ifndef MINI_KVM_LINUX_H
#define MINI_KVM_LINUX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "loaders/bzimage.h"
#include "loaders/pvh.h"

struct kvm_host;
struct options;
struct vm;
struct vm_result;

/* What mini-kvm looks for on a Linux guest's console. */
#define LINUX_BANNER	"Linux version "
#define LINUX_PANIC	"Kernel panic - not syncing"
#define LINUX_PANIC_END "---[ end Kernel panic"
#define LINUX_PANIC_MAX 256 /* the part of a panic line kept for the message */
/* How a VM that ended in a guest kernel panic explains itself: this, then the panic line. */
#define LINUX_PANIC_REASON "the guest kernel panicked: "
/* A Linux guest's name in output prefixes and messages. */
#define LINUX_GUEST_NAME "linux"

/* How a Linux kernel is entered. */
enum linux_boot_path {
	LINUX_BOOT_BZIMAGE, /* a bzImage through its 64-bit entry (boot protocol 2.15) */
	LINUX_BOOT_PVH,	    /* an uncompressed vmlinux through its PVH entry (hvm_start_info) */
};

/* A Linux guest: its inputs, read before anything runs, and what its console showed. */
struct linux_guest {
	enum linux_boot_path path;
	struct bzimage bz;	/* LINUX_BOOT_BZIMAGE */
	struct pvh_kernel pvh;	/* LINUX_BOOT_PVH */
	uint8_t *initrd; /* -i, malloc()ed, or NULL */
	size_t initrd_size;
	const char *initrd_path;
	char *cmdline;		     /* LINUX_PLATFORM_CMDLINE and the user's, malloc()ed */
	const char *boot_marker;     /* --boot-marker: console text ending the boot timeline */
	struct vm *vm;		     /* the VM it runs in, once attached */
	pthread_mutex_t lock;	     /* guards panic (console writers, vm_stop()) */
	char panic[LINUX_PANIC_MAX]; /* the kernel's panic line, once it printed one */
};

/*
 * The kernel command line for -p params (NULL: none): "pci=off " first unless
 * params has a pci= parameter (mini-kvm has no PCI bus, and probing for one costs
 * thousands of VM exits), then params, then " console=ttyS0" unless params names a
 * console= (without one the kernel would print nothing). Returns malloc()ed text,
 * or NULL without memory. Pure.
 */
char *linux_cmdline(const char *params);

/*
 * Read a Linux guest's inputs from opts: the kernel (-k: a bzImage, or an ELF vmlinux
 * with a XEN_ELFNOTE_PHYS32_ENTRY note for a PVH boot), the initrd (-i, no
 * larger than the guest's RAM) and the command line (linux_cmdline()). Returns 0 with *out
 * (free with linux_free()), or -errno with a message naming the file.
 */
int linux_open(const struct options *opts, struct linux_guest **out);
void linux_free(struct linux_guest *lg);

/*
 * A Linux guest resumed from a snapshot (mini-kvm restore): nothing to read, its
 * kernel and initrd are in the snapshot's RAM; what linux_attach() gives the VM
 * (its policy, the console watch: panics, opts' --boot-marker). Returns 0 with *out
 * (free with linux_free()), or -ENOMEM with a message.
 */
int linux_open_restored(const struct options *opts, struct linux_guest **out);

/*
 * Load lg into vm (created with an irqchip) on host: ACPI tables (hardware-reduced,
 * with the MADT) and an MP table for vm->nvcpus vCPUs; then a bzImage, initrd and
 * command line (bzimage_place()) with vCPU 0 at the 64-bit entry point and RSI = zero
 * page (Linux x86 boot protocol 2.15, "64-bit Boot Protocol"), or a vmlinux
 * (pvh_place()) with vCPU 0 at its 32-bit PVH entry and EBX = hvm_start_info (Xen's
 * arch-x86/hvm/start_info.h, Linux Documentation/arch/x86/pvh.rst); the APs waiting
 * for SIPI; then linux_attach(). Last, checks that host's KVM can run Linux at all
 * (fail in a moment, not after minutes of emulation). Returns 0 or -errno with a
 * message.
 */
int linux_load(struct linux_guest *lg, struct vm *vm, const struct kvm_host *host);

/*
 * Make vm a Linux guest's: a triple fault resets it (reboot=t, Linux's last
 * resort), a kernel that panicked and then reset, halted or powered off died, and
 * its console is watched (linux_console_line()). Exposed for unit tests.
 */
void linux_attach(struct linux_guest *lg, struct vm *vm);

/*
 * The console watch of a Linux guest (opaque: lg), called with each whole output
 * line: marks the kernel banner and the --boot-marker in the VM's timeline,
 * remembers the first panic line, and ends the VM (VM_END_DIED) when the panic's
 * last line appears (a kernel without panic=N never reboots). Exposed for tests.
 */
void linux_console_line(void *lg, const char *line);

#endif
