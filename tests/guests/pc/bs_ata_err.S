/* SPDX-License-Identifier: MIT */
/*
 * A boot sector that drives the ATA controller wrongly on purpose and prints what the
 * drive answers, one line each, as "status error" in hex: READ SECTORS beyond the
 * disk's end, an unknown command (FFh), WRITE SECTORS to a read-only disk, then a
 * data-port read with no command (the status after it). Exits through isa-debug-exit
 * (0x10: status 0x21). Real mode, no BIOS.
 */
#include "pc.inc"

#define ATA_ERROR 0x1f1
#define BEYOND	  0x0fffffff	/* the last LBA28 sector: past any test disk */

	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7c00, %sp

	/* READ SECTORS at the last LBA28 address: IDNF. */
	call wait_ready
	mov $ATA_NSECT, %dx
	mov $1, %al
	out %al, (%dx)
	mov $0xff, %al
	mov $ATA_LBAL, %dx
	out %al, (%dx)
	mov $ATA_LBAM, %dx
	out %al, (%dx)
	mov $ATA_LBAH, %dx
	out %al, (%dx)
	mov $ATA_DEVICE, %dx
	mov $(ATA_LBA_MASTER | 0x0f), %al
	out %al, (%dx)
	mov $ATA_READ, %al
	call command
	call report

	/* An unknown command: ABRT. */
	mov $0xff, %al
	call command
	call report

	/* WRITE SECTORS to LBA 0 of the read-only disk: ABRT, no DRQ. */
	mov $ATA_NSECT, %dx
	mov $1, %al
	out %al, (%dx)
	xor %al, %al
	mov $ATA_LBAL, %dx
	out %al, (%dx)
	mov $ATA_LBAM, %dx
	out %al, (%dx)
	mov $ATA_LBAH, %dx
	out %al, (%dx)
	mov $ATA_DEVICE, %dx
	mov $ATA_LBA_MASTER, %al
	out %al, (%dx)
	mov $0x30, %al
	call command
	call report

	/* The data port with no command: the drive ignores it. */
	mov $ATA_DATA, %dx
	in (%dx), %ax
	call report

	DEBUG_EXIT_WITH 0x10
	hlt

/* Write the command in AL, then wait for BSY to clear. */
command:
	mov $ATA_STATUS, %dx
	out %al, (%dx)
1:	in (%dx), %al
	test $ATA_BSY, %al
	jnz 1b
	ret

wait_ready:
	mov $ATA_STATUS, %dx
1:	in (%dx), %al
	and $(ATA_BSY | ATA_DRDY), %al
	cmp $ATA_DRDY, %al
	jne 1b
	ret

/* Print "SS EE\r\n": the status and error registers in hex. */
report:
	mov $ATA_STATUS, %dx
	in (%dx), %al
	call hex
	mov $' ', %al
	COM1_PUTC_AL
	mov $ATA_ERROR, %dx
	in (%dx), %al
	call hex
	mov $'\r', %al
	COM1_PUTC_AL
	mov $'\n', %al
	COM1_PUTC_AL
	ret

/* Print AL as two hex digits. */
hex:
	mov %al, %bl
	shr $4, %al
	call digit
	mov %bl, %al
	and $0xf, %al
digit:
	add $'0', %al
	cmp $'9', %al
	jbe 1f
	add $('a' - '0' - 10), %al
1:	COM1_PUTC_AL
	ret

	.org 510
	.byte 0x55, 0xaa
