/* SPDX-License-Identifier: MIT */
/* A reset vector for guests that reboot through the BIOS: reset the VM, as POST would. */
#include "arch/x86/bios.h"

#include <errno.h>

#include "error.h"
#include "arch/x86/layout.h"

/* x86 opcodes of the stub (SDM 2, instruction set reference). */
#define OP_MOV_DX_IMM16 0xba
#define OP_MOV_AL_IMM8	0xb0
#define OP_OUT_DX_AL	0xee
#define OP_HLT		0xf4
#define OP_JMP_REL8	0xeb
#define LOW_BYTE(x)	((x)&0xff)
#define HIGH_BYTE(x)	(((x) >> 8) & 0xff)

int bios_install(const struct guest_memory *mem)
{
	/* clang-format off */
	static const unsigned char stub[] = {
		OP_MOV_DX_IMM16, LOW_BYTE(PORT_ACPI_RESET), HIGH_BYTE(PORT_ACPI_RESET), /* mov $PORT_ACPI_RESET, %dx */
		OP_MOV_AL_IMM8, ACPI_RESET_VALUE,	/* mov $ACPI_RESET_VALUE, %al */
		OP_OUT_DX_AL,				/* out %al, (%dx): the VM resets */
		OP_HLT,					/* 1: hlt */
		OP_JMP_REL8, (unsigned char)-3,		/* jmp 1b */
	};
	/* clang-format on */
	_Static_assert(sizeof(stub) <= LAYOUT_RESET_VECTOR_SIZE, "the stub fits the reset vector");

	if (guest_write(mem, LAYOUT_RESET_VECTOR, stub, sizeof(stub)))
		return error_set(EFAULT, "reset vector at 0x%llx is not guest RAM",
				 LAYOUT_RESET_VECTOR);
	return 0;
}
