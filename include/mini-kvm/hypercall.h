/* SPDX-License-Identifier: MIT */
/* The mini-kvm guest<->host hypercall ABI, shared by the VMM and every guest (C and assembly). */
#ifndef MINI_KVM_HYPERCALL_H
#define MINI_KVM_HYPERCALL_H

/*
 * A guest calls the host with one port write:
 *
 *	mov $HC_PUTNUM, %al     ; function number        IN
 *	mov $42, %ebx           ; first argument         IN
 *	mov $HC_PORT, %dx
 *	out %al, (%dx)          ; one VM exit
 *	                        ; EAX holds the result    OUT (functions that return one)
 *
 * Arguments: EBX, then ECX, then ESI. Results: EAX, and EDX:EAX for 64-bit results; a
 * result is written as a whole 32-bit EAX (upper half of RAX cleared), in every
 * mode, real mode included. Registers not named as results are preserved. In
 * real mode only the low 16 bits of an argument register are read.
 *
 * Guest pointers are guest-physical addresses (GPAs), never segment:offset or
 * virtual addresses: a paging guest passes the physical address of its buffer; a
 * real-mode guest, whose arguments are 16 bits, reaches strings in the first 64
 * KiB. A string that leaves guest RAM before its NUL or its maximum length gives
 * HC_EFAULT and prints nothing; a maximum length of 0 prints nothing, returns 0.
 *
 * Unknown functions return HC_ENOSYS in EAX. An 8-bit IN from HC_PORT reads
 * HC_ABI_VERSION. Nothing a guest passes can stop the VMM.
 */
#include "mini-kvm/boot.h"

#define HC_ABI_VERSION MKVM_ABI_VERSION

/* The one I/O port of the hypercall device; an 8-bit OUT of the function number. */
#define HC_PORT MKVM_HYPERCALL_PORT

/* Function numbers (AL). docs/hypercall-abi.md documents each one. */
#define HC_EXIT	   0 /* IN EBX = exit status (low 8 bits reach the shell)        */
#define HC_PUTCHAR 1 /* IN BL = byte written to the console                      */
#define HC_PUTNUM  2 /* IN EBX = unsigned integer, printed in decimal            */
#define HC_NEWLINE 3 /* prints "\n"                                              */
#define HC_GETCHAR 4 /* OUT EAX = next console input byte, or HC_EOF at end      */
#define HC_PUTS \
	5		     /* IN EBX = GPA of a NUL-terminated string, ECX = max bytes
			(at most HC_PUTS_MAX are looked at: larger is that);
			OUT EAX = bytes written, or HC_EFAULT                    */
#define HC_PUTS_MAX 0x100000 /* 1 MiB: the most one HC_PUTS prints */
#define HC_CLOCK    6	     /* OUT EDX:EAX = host CLOCK_MONOTONIC in nanoseconds        */

/*
 * The paravirtual block device: the file given with --disk, in HC_BLK_SECTOR_SIZE
 * sectors. A transfer is EBX = first sector, ECX = GPA of the buffer, ESI = sector
 * count; it happens whole or not at all: a range past the disk's end gives
 * HC_EINVAL, a buffer outside guest RAM HC_EFAULT, no --disk HC_ENODEV, a failed
 * host read or write HC_EIO. A write reserves its blocks in the host file first
 * (fallocate), so a full host file system fails it with HC_EIO before any sector
 * changes; only on a host file system without fallocate may a failed write have
 * changed some of its sectors. Writes go straight to the file (no guest-visible
 * cache), so the file holds them when mini-kvm exits, whichever way the VM ends.
 */
#define HC_BLK_INFO 7 /* OUT EAX = disk size in sectors, or HC_ENODEV            */
#define HC_BLK_READ 8 /* IN EBX, ECX, ESI as above; OUT EAX = 0 or a HC_E* error  */
#define HC_BLK_WRITE \
	9 /* IN EBX, ECX, ESI as above; OUT EAX = 0 or a HC_E* error,
				HC_EROFS on a read-only disk (--disk FILE,ro; ABI 3)   */
#define HC_BLK_SECTOR_SIZE 512
/* The largest disk: sizes are returned in EAX, negative values are errors. */
#define HC_BLK_MAX_SECTORS 0x7fffffffU

/*
 * ABI 3: the guest's RAM, so that a guest can refuse to run in too little of it.
 * RAM runs from GPA 0 up to the size, except that above MKVM_MMIO_HOLE (3 GiB) it
 * continues at 4 GiB (mini-kvm/boot.h). An older VMM answers HC_ENOSYS in EAX and
 * leaves EDX alone: read HC_ABI_VERSION first.
 */
#define HC_MEMSIZE 10 /* OUT EDX:EAX = guest RAM in bytes (-m)                        */

/* Results in EAX, as 32-bit two's complement (Linux errno values, negated). */
#define HC_EOF	  (-1)
#define HC_EIO	  (-5)
#define HC_EFAULT (-14)
#define HC_ENODEV (-19)
#define HC_EINVAL (-22)
#define HC_EROFS  (-30)
#define HC_ENOSYS (-38)

#if !defined(__ASSEMBLER__) && defined(MINI_KVM_GUEST)
/*
 * Guest-side stubs for C guests (32- and 64-bit). The VMM never sees these: it
 * does not define MINI_KVM_GUEST.
 */
#include <stdint.h>

/* One hypercall: function fn with arguments a (EBX), b (ECX), c (ESI); returns EAX. */
static inline uint32_t hc_call3(uint8_t fn, uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t eax = fn;

	__asm__ volatile("outb %%al, %%dx"
			 : "+a"(eax)
			 : "b"(a), "c"(b), "S"(c), "d"((uint16_t)HC_PORT)
			 : "memory");
	return eax;
}

static inline uint32_t hc_call2(uint8_t fn, uint32_t a, uint32_t b)
{
	return hc_call3(fn, a, b, 0);
}

static inline uint32_t hc_call(uint8_t fn, uint32_t a)
{
	return hc_call2(fn, a, 0);
}

static inline __attribute__((noreturn)) void hc_exit(uint32_t status)
{
	hc_call(HC_EXIT, status);
	for (;;)
		__asm__ volatile("hlt");
}

static inline void hc_putchar(char c)
{
	hc_call(HC_PUTCHAR, (uint8_t)c);
}

static inline void hc_putnum(uint32_t n)
{
	hc_call(HC_PUTNUM, n);
}

static inline void hc_newline(void)
{
	hc_call(HC_NEWLINE, 0);
}

/* Returns the next input byte (0..255), or HC_EOF. */
static inline int32_t hc_getchar(void)
{
	return (int32_t)hc_call(HC_GETCHAR, 0);
}

/* gpa: guest-physical address of the string. Returns bytes written or HC_EFAULT. */
static inline int32_t hc_puts(uint32_t gpa, uint32_t max_len)
{
	return (int32_t)hc_call2(HC_PUTS, gpa, max_len);
}

/* Host CLOCK_MONOTONIC, in nanoseconds. */
static inline uint64_t hc_clock(void)
{
	uint32_t eax = HC_CLOCK, edx = HC_PORT; /* DX carries the port in, the high half out */

	__asm__ volatile("outb %%al, %%dx" : "+a"(eax), "+d"(edx) : : "memory");
	return ((uint64_t)edx << 32) | eax;
}

/* The ABI version of the VMM (HC_ABI_VERSION of the header it was built with). */
static inline uint8_t hc_abi_version(void)
{
	uint8_t version;

	__asm__ volatile("inb %%dx, %%al" : "=a"(version) : "d"((uint16_t)HC_PORT));
	return version;
}

/* Guest RAM in bytes (ABI 3: check hc_abi_version() >= 3 first). */
static inline uint64_t hc_memsize(void)
{
	uint32_t eax = HC_MEMSIZE, edx = HC_PORT; /* DX carries the port in, the high half out */

	__asm__ volatile("outb %%al, %%dx" : "+a"(eax), "+d"(edx) : : "memory");
	return ((uint64_t)edx << 32) | eax;
}

/* Disk size in sectors, or HC_ENODEV without --disk. */
static inline int32_t hc_blk_info(void)
{
	return (int32_t)hc_call(HC_BLK_INFO, 0);
}

/* Read count sectors from sector into the guest-physical buffer gpa; 0 or HC_E*. */
static inline int32_t hc_blk_read(uint32_t sector, uint32_t gpa, uint32_t count)
{
	return (int32_t)hc_call3(HC_BLK_READ, sector, gpa, count);
}

/* Write count sectors from the guest-physical buffer gpa to sector; 0 or HC_E* (HC_EROFS). */
static inline int32_t hc_blk_write(uint32_t sector, uint32_t gpa, uint32_t count)
{
	return (int32_t)hc_call3(HC_BLK_WRITE, sector, gpa, count);
}
#endif /* guest stubs */

#endif /* MINI_KVM_HYPERCALL_H */
