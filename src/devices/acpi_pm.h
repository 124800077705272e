/* SPDX-License-Identifier: MIT */
/* ACPI hardware-reduced sleep and reset registers: how a guest powers off and reboots. */
#ifndef MINI_KVM_ACPI_PM_H
#define MINI_KVM_ACPI_PM_H

#include <stdint.h>

/* Registers from PORT_ACPI_SLEEP_CONTROL (layout.h): control, status, reset. */
#define ACPI_PM_PORTS 3

/* What the ACPI power registers may ask of their VM. */
struct acpi_pm {
	void (*poweroff)(void *opaque, const char *why); /* S5: soft-off */
	void (*reset)(void *opaque, const char *why);
	void *opaque;
};

/*
 * Bus handlers (opaque: struct acpi_pm) for the FADT's SLEEP_CONTROL_REG, SLEEP_STATUS_REG and RESET_REG
 * (ACPI 6.4, 4.8.3.7 and 5.2.9). Writing SLP_EN with SLP_TYP = ACPI_S5_SLEEP_TYPE
 * to the control register (soft-off, as Linux's poweroff does) calls poweroff();
 * other sleep states are ignored. Writing ACPI_RESET_VALUE to the reset register
 * calls reset(). The status register reads 0.
 */
int acpi_pm_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int acpi_pm_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

#endif
