/* Linux guests: firmware tables, the bzImage and its 64-bit entry state, and the console watch. */
#ifndef MINI_KVM_LINUX_H
#define MINI_KVM_LINUX_H

#include "loaders/bzimage.h"

struct vm;

/* What mini-kvm looks for on a Linux guest's console. */
#define LINUX_BANNER	"Linux version "
#define LINUX_PANIC	"Kernel panic - not syncing"
#define LINUX_PANIC_END "---[ end Kernel panic"

/*
 * Load a Linux guest into vm (created with config->linux_guest and irqchip): ACPI
 * tables (hardware-reduced, with the MADT) and an MP table for vm->nvcpus vCPUs,
 * the bzImage, initrd and command line (bzimage_place()), and vCPU 0 at the
 * 64-bit entry point with RSI = zero page (Linux x86 boot protocol 2.15,
 * "64-bit Boot Protocol"). Starts watching the console for the boot timeline and
 * for panics. boot->acpi_rsdp is filled in here. Returns 0 or -errno with a message.
 */
int linux_load(struct vm *vm, const struct bzimage *bz, const struct linux_boot *boot);

/*
 * The console watch of a Linux guest, called with each whole output line: marks
 * the kernel banner and the --boot-marker in the timeline, remembers the first
 * panic line, and ends the VM (VM_END_DIED) when the panic's last line appears
 * (a kernel without panic=N never reboots). Exposed for unit tests.
 */
void linux_console_line(void *vm, const char *line);

#endif
