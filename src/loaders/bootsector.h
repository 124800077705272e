/* SPDX-License-Identifier: MIT */
/* Boot sectors: sector 0 of a disk at 0x7C00 in real mode, as a BIOS leaves it, but with no BIOS behind it. */
#ifndef MINI_KVM_BOOTSECTOR_H
#define MINI_KVM_BOOTSECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/layout.h"
#include "loaders/loader.h"
#include "memory.h"

/*
 * What a PC BIOS does before it jumps to a boot sector (the de facto IBM PC contract,
 * also in the BIOS Boot Specification 1.01, 6.5.1): read sector 0 of the boot drive to
 * 0000:7C00, check the signature 0x55 0xAA at its end, and jump there in real mode with
 * DL = the drive number. mini-kvm does that much and no more: there is no BIOS, so no
 * INT service (video, disk, keyboard ...) exists. Every IVT vector points at a trap stub
 * that reports the vector on PORT_NOBIOS_TRAP and halts, so a boot sector that calls
 * the BIOS ends with a message naming the call instead of running into zeroes.
 */
#define BOOT_SECTOR_SIZE      512
#define BOOT_SIGNATURE_OFFSET 510
#define BOOT_SIGNATURE_0      0x55 /* at offset 510 */
#define BOOT_SIGNATURE_1      0xAA /* at offset 511 */
#define BOOT_DRIVE_FIRST_HD   0x80 /* DL: BIOS drive 80h, the first hard disk */

/* The IVT, BDA and boot sector addresses: arch/x86/layout.h (LAYOUT_IVT, LAYOUT_BDA, LAYOUT_BOOT_SECTOR). */
/*
 * SS:SP = 0000:7C00: the stack grows down from just below the sector into the
 * 29.75 KiB from 0x500 that PC boot code treats as free (most boot sectors set their
 * own SS:SP first thing; this one is the value they usually pick).
 */
#define LAYOUT_BOOT_SECTOR_STACK LAYOUT_BOOT_SECTOR
/* The trap stub, in the EBDA: reserved memory a boot sector has no reason to touch. */
#define LAYOUT_NOBIOS_STUB LAYOUT_EBDA
#define NOBIOS_STUB_SIZE   14 /* bytes bootsector_trap_stub() writes */
/*
 * Vector n's IVT entry is NOBIOS_STUB_SEGMENT(n):NOBIOS_STUB_OFFSET(n), which is the
 * stub's address for every n: the segment grows by one per vector while the offset
 * falls by 16. So one stub serves all 256 vectors and learns n from CS alone.
 */
#define NOBIOS_STUB_SEGMENT_BASE ((LAYOUT_NOBIOS_STUB >> 4) - (IVT_VECTORS - 1))
#define NOBIOS_STUB_SEGMENT(n)	 (NOBIOS_STUB_SEGMENT_BASE + (n))
#define NOBIOS_STUB_OFFSET(n)	 ((IVT_VECTORS - 1 - (n)) << 4)
/*
 * The diagnostic port, PORT_NOBIOS_TRAP (arch/x86/layout.h): the stub writes the vector
 * number (one byte, OUT DX, AL) there. The VM registers a device on it that ends the VM
 * with the message of bootsector_diagnose() (or, from the vector alone,
 * bootsector_bios_hint()).
 */

_Static_assert(LAYOUT_NOBIOS_STUB % 16 == 0, "the stub starts a paragraph");
_Static_assert(LAYOUT_NOBIOS_STUB + NOBIOS_STUB_SIZE <= LAYOUT_LOW_RAM_END,
	       "the stub fits in the EBDA");
_Static_assert(LAYOUT_BOOT_SECTOR + BOOT_SECTOR_SIZE <= LAYOUT_NOBIOS_STUB,
	       "the sector is clear of the stub");

/* Sector 0 of a disk image. */
struct bootsector {
	char path[256]; /* for messages */
	uint8_t sector[BOOT_SECTOR_SIZE];
};

/*
 * Take the first BOOT_SECTOR_SIZE bytes of buf (size bytes: the start of a disk image)
 * as a boot sector. bs->path must be set. Pure.
 * Returns 0, or -ENOEXEC with a message naming the file: shorter than a sector, or no
 * 0x55 0xAA at offset 510.
 */
int bootsector_parse(const uint8_t *buf, size_t size, struct bootsector *bs);

/*
 * Read sector 0 of the disk image at path (a regular file or block device; only its
 * first 512 bytes are read) and bootsector_parse() it. Returns 0 or -errno with a
 * message naming the file.
 */
int bootsector_read(const char *path, struct bootsector *bs);

/*
 * Write the trap stub's code into buf (len bytes): 16-bit code that pushes AX and DX,
 * computes the vector as CS - NOBIOS_STUB_SEGMENT_BASE, writes it with OUT DX, AL to
 * PORT_NOBIOS_TRAP and halts (forever). Returns the length (NOBIOS_STUB_SIZE) or
 * -ENOSPC if len is smaller. Pure.
 */
int bootsector_trap_stub(uint8_t *buf, size_t len);

/*
 * Write the stub at LAYOUT_NOBIOS_STUB and point every IVT vector at it (see
 * NOBIOS_STUB_SEGMENT()). Returns 0 or -EFAULT with a message (not guest RAM).
 */
int bootsector_install_traps(const struct guest_memory *mem);

/*
 * Place bs at LAYOUT_BOOT_SECTOR and install the traps; *entry: BOOT_MODE_REAL at
 * 0000:7C00 (DS = ES = SS = 0 from boot_setup()), DL = BOOT_DRIVE_FIRST_HD,
 * SP = LAYOUT_BOOT_SECTOR_STACK. Returns 0 or -EFAULT with a message.
 */
int bootsector_place(const struct bootsector *bs, const struct guest_memory *mem,
		     struct loader_entry *entry);

/*
 * What a boot sector should use instead of BIOS service vector (0x10 video ... 0x1A
 * clock), as "disk: use ATA PIO ports 0x1F0-0x1F7"; NULL for other vectors.
 */
const char *bootsector_bios_hint(unsigned int vector);

/* The real-mode registers the diagnosis needs (selectors; linear = selector * 16 + offset). */
struct bootsector_cpu {
	uint16_t cs, ip;
	uint16_t ss, sp;
};

/*
 * Decide, from the real-mode state of a stopped boot-sector guest and its memory (the
 * IVT, the code, the stack), whether it called for a BIOS that is not there, and say
 * so in msg (size bytes, NUL-terminated, truncated to fit), e.g.
 *   "INT 13h called at 0000:7C25, but there is no BIOS: mini-kvm boots sectors without
 *    BIOS services (disk: use ATA PIO ports 0x1F0-0x1F7); AH was 02h"
 * Recognised:
 * - CS:IP in the trap stub: the vector is CS - NOBIOS_STUB_SEGMENT_BASE, the caller's
 *   return address (and AX) on the stack; an INT n instruction just before that return
 *   address makes it a BIOS call, else a CPU exception (vectors 0-31) or an interrupt;
 * - CS:IP in the run of zero bytes from 0000:0000, below the sector at 0x7C00 (an empty
 *   vector sent the CPU there, and 00 00 executes as an ADD), with an INT n whose
 *   vector is 0000:0000 just before the return address on top of the stack;
 * - CS:IP at an INT n instruction whose vector is 0000:0000.
 * Pure: reads mem, every read bounds-checked (a hostile guest's state never faults).
 * Returns the message length (> 0) when it recognises the state, 0 when not (msg is
 * then ""), or -EINVAL for size 0.
 */
int bootsector_diagnose(const struct guest_memory *mem, const struct bootsector_cpu *cpu, char *msg,
			size_t size);

#endif
