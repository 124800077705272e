/* SPDX-License-Identifier: MIT */
/* ACPI sleep control, sleep status and reset registers of a hardware-reduced platform. */
#include "devices/acpi_pm.h"

#include "arch/x86/layout.h"

#define REG_SLEEP_CONTROL (PORT_ACPI_SLEEP_CONTROL - PORT_ACPI_SLEEP_CONTROL)
#define REG_SLEEP_STATUS  (PORT_ACPI_SLEEP_STATUS - PORT_ACPI_SLEEP_CONTROL)
#define REG_RESET	  (PORT_ACPI_RESET - PORT_ACPI_SLEEP_CONTROL)

/* Sleep control register fields (ACPI 6.4, table 4.25). */
#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK  0x7
#define SLP_EN	      (1 << 5)

int acpi_pm_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque, (void)offset, (void)size;
	*(uint8_t *)data = 0; /* no wake events, nothing to report */
	return 0;
}

int acpi_pm_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	const struct acpi_pm *pm = opaque;
	uint8_t value = *(const uint8_t *)data;

	(void)size;
	switch (offset) {
	case REG_SLEEP_CONTROL:
		if ((value & SLP_EN) &&
		    ((value >> SLP_TYP_SHIFT) & SLP_TYP_MASK) == ACPI_S5_SLEEP_TYPE)
			pm->poweroff(pm->opaque, "powered off (ACPI S5)");
		break;
	case REG_RESET:
		if (value == ACPI_RESET_VALUE)
			pm->reset(pm->opaque, "reset through ACPI");
		break;
	case REG_SLEEP_STATUS:
		break; /* write-1-to-clear bits that are never set */
	}
	return 0;
}
