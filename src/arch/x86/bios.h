/* SPDX-License-Identifier: MIT */
/* The whole of mini-kvm's BIOS: a reset vector that resets the VM. */
#ifndef MINI_KVM_BIOS_H
#define MINI_KVM_BIOS_H

#include "memory.h"

/*
 * Write the reset-vector stub at LAYOUT_RESET_VECTOR: 16-bit code that writes
 * ACPI_RESET_VALUE to PORT_ACPI_RESET and halts. A guest that "reboots through
 * the BIOS" (Linux's BOOT_BIOS, the fallback after BOOT_EFI on a hardware-reduced
 * ACPI platform without EFI) jumps to F000:FFF0 and so resets the VM. MP table
 * (MP spec 1.4) and ACPI tables live below it, in the same BIOS area.
 * Returns 0, or -EFAULT if the vector is not guest RAM.
 */
int bios_install(const struct guest_memory *mem);

#endif
