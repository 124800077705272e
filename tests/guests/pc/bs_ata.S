/* SPDX-License-Identifier: MIT */
/*
 * A real-mode boot sector that reads its second stage over ATA PIO, with no BIOS:
 * sector 0 prints "boot: stage 1", reads STAGE2_SECTORS sectors from LBA 1 of the
 * first disk (READ SECTORS, polling BSY and DRQ, `rep insw`) to 0x7e00 and jumps
 * there; stage 2 prints "boot: stage 2 read over ATA" and exits through
 * isa-debug-exit (port 0xf4) with value 0x10: status 0x21. The same image boots on
 * QEMU -M pc (SeaBIOS) with -device isa-debug-exit,iobase=0xf4.
 */
#include "pc.inc"

#define STAGE2_SECTORS 2

	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	ljmp $0, $1f		/* CS:IP = 0000:7Cxx whatever the loader used */
1:	mov $msg1, %si
	call puts

	/* ATA: wait until not busy and ready, then READ SECTORS from LBA 1. */
	call ata_wait_ready
	mov $ATA_NSECT, %dx
	mov $STAGE2_SECTORS, %al
	out %al, (%dx)
	mov $ATA_LBAL, %dx
	mov $1, %al
	out %al, (%dx)
	xor %al, %al
	mov $ATA_LBAM, %dx
	out %al, (%dx)
	mov $ATA_LBAH, %dx
	out %al, (%dx)
	mov $ATA_DEVICE, %dx
	mov $ATA_LBA_MASTER, %al
	out %al, (%dx)
	mov $ATA_STATUS, %dx
	mov $ATA_READ, %al
	out %al, (%dx)
	mov $stage2, %di
	mov $STAGE2_SECTORS, %bx
2:	call ata_wait_drq
	mov $ATA_DATA, %dx
	mov $256, %cx
	cld
	rep insw
	dec %bx
	jnz 2b
	jmp stage2

/* Wait for BSY clear and DRDY set. */
ata_wait_ready:
	mov $ATA_STATUS, %dx
1:	in (%dx), %al
	and $(ATA_BSY | ATA_DRDY), %al
	cmp $ATA_DRDY, %al
	jne 1b
	ret

/* Wait for BSY clear and DRQ set; an error exits with value 0x7f (status 0xff). */
ata_wait_drq:
	mov $ATA_STATUS, %dx
1:	in (%dx), %al
	test $ATA_BSY, %al
	jnz 1b
	test $ATA_ERR, %al
	jnz 2f
	test $ATA_DRQ, %al
	jz 1b
	ret
2:	DEBUG_EXIT_WITH 0x7f
	hlt

/* Print the NUL-terminated string at DS:SI to COM1. */
puts:
	lodsb
	test %al, %al
	jz 1f
	COM1_PUTC_AL
	jmp puts
1:	ret

msg1:	.asciz "boot: stage 1\r\n"

	.org 510
	.byte 0x55, 0xaa

/* Sector 1 on: the second stage, read by stage 1 to 0x7e00. */
stage2:
	mov $msg2, %si
	call puts
	DEBUG_EXIT_WITH 0x10
	hlt
msg2:	.asciz "boot: stage 2 read over ATA\r\n"
	.org 512 + STAGE2_SECTORS * 512
