/* SPDX-License-Identifier: MIT */
/* ACPI tables for a hardware-reduced guest: RSDP, XSDT/RSDT, FADT, DSDT and MADT in the BIOS area. */
#ifndef MINI_KVM_ACPI_H
#define MINI_KVM_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/irq_routing.h"
#include "memory.h"

/* vCPUs the MADT can describe with xAPIC structures (see IRQ_MAX_CPUS for why 254). */
#define ACPI_MAX_CPUS IRQ_MAX_CPUS

struct acpi_config {
	unsigned int ncpus; /* IN: vCPUs, APIC IDs 0..ncpus-1; 1..ACPI_MAX_CPUS */
	/*
	 * IN: virtio-mmio devices 0..n-1, 0 to LAYOUT_VIRTIO_MMIO_COUNT: device i's window
	 * at LAYOUT_VIRTIO_MMIO(i), its edge-triggered interrupt on GSI IRQ_VIRTIO_MMIO(i).
	 */
	unsigned int virtio_mmio_devices;
	bool cmos_rtc; /* IN: an MC146818 RTC at ports 0x70/0x71 (bare PC guests) */
	bool vga_text; /* IN: the CRTC and text buffer of a VGA in text mode (bare PC guests) */
};

/*
 * Write the ACPI tables of a hardware-reduced platform (ACPI 6.5 4.1): the RSDP at
 * LAYOUT_ACPI (where OSes scan for it, 5.2.5.1), then the XSDT and RSDT listing the
 * FADT and MADT, the FADT (HW_REDUCED_ACPI; sleep control/status registers at
 * PORT_ACPI_SLEEP_CONTROL/STATUS, reset register at PORT_ACPI_RESET), the DSDT (\_S5,
 * COM1 and a "LNRO0005" device per virtio-mmio device, ACPI 6.5 6.4.3.4 and 6.4.3.6
 * resources) and the MADT (one local APIC per vCPU, the I/O APIC, ISA overrides, LINT1 NMI),
 * each checksummed.
 * Returns the RSDP's guest-physical address (for boot_params.acpi_rsdp_addr), or -errno
 * with a message: -EINVAL if cfg->ncpus is 0 or above ACPI_MAX_CPUS or there are more
 * virtio-mmio devices than LAYOUT_VIRTIO_MMIO_COUNT, -ENOSPC if the
 * tables would pass LAYOUT_ACPI_END, -EFAULT if their range is not guest RAM (then
 * nothing is written).
 */
int64_t acpi_build(const struct guest_memory *mem, const struct acpi_config *cfg);

#endif
