/* SPDX-License-Identifier: MIT */
/* An MC146818A real-time clock and its CMOS RAM at ports 0x70/0x71, with a BIOS's memory sizes. */
#ifndef MINI_KVM_DEV_CMOS_H
#define MINI_KVM_DEV_CMOS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/layout.h"

/* Ports and IRQ line: arch/x86/layout.h (PORT_CMOS_INDEX, PORT_CMOS_DATA, CMOS_PORTS, IRQ_RTC). */

#define CMOS_SIZE	 128  /* bytes of the MC146818A's address space as a PC/AT decodes it */
#define CMOS_INDEX_MASK	 0x7f /* index port bits 6:0 */
#define CMOS_NMI_DISABLE 0x80 /* index port bit 7 */

/* Clock and status registers (MC146818A datasheet, "Address map"). */
#define CMOS_SECONDS	   0x00
#define CMOS_SECONDS_ALARM 0x01
#define CMOS_MINUTES	   0x02
#define CMOS_MINUTES_ALARM 0x03
#define CMOS_HOURS	   0x04
#define CMOS_HOURS_ALARM   0x05
#define CMOS_WEEKDAY	   0x06 /* 1 = Sunday */
#define CMOS_DAY	   0x07 /* day of the month */
#define CMOS_MONTH	   0x08
#define CMOS_YEAR	   0x09 /* 00 - 99 */
#define CMOS_STATUS_A	   0x0a
#define CMOS_STATUS_B	   0x0b
#define CMOS_STATUS_C	   0x0c
#define CMOS_STATUS_D	   0x0d

/* RAM a PC/AT BIOS fills (IBM PC AT Technical Reference, "CMOS RAM address map"; 0x34-0x35 and
 * 0x5b-0x5d as SeaBIOS and OVMF read them on a QEMU PC). */
#define CMOS_SHUTDOWN	   0x0f
#define CMOS_FLOPPY_TYPES  0x10
#define CMOS_DISK_TYPES	   0x12
#define CMOS_EQUIPMENT	   0x14
#define CMOS_BASE_MEM_LO   0x15 /* KiB of conventional memory */
#define CMOS_BASE_MEM_HI   0x16
#define CMOS_EXT_MEM_LO	   0x17 /* KiB above 1 MiB, at most 0xffff */
#define CMOS_EXT_MEM_HI	   0x18
#define CMOS_CHECKSUM_HI   0x2e /* 16-bit sum of 0x10 - 0x2d, high byte first */
#define CMOS_CHECKSUM_LO   0x2f
#define CMOS_EXT_MEM2_LO   0x30 /* as 0x17/0x18: KiB above 1 MiB found by POST */
#define CMOS_EXT_MEM2_HI   0x31
#define CMOS_CENTURY	   0x32 /* IBM's century byte: 19, 20 ... */
#define CMOS_MEM_16M_LO	   0x34 /* 64 KiB blocks above 16 MiB, below 4 GiB, at most 0xffff */
#define CMOS_MEM_16M_HI	   0x35
#define CMOS_MEM_4G_LO	   0x5b /* 64 KiB blocks above 4 GiB: three bytes */
#define CMOS_MEM_4G_MID	   0x5c
#define CMOS_MEM_4G_HI	   0x5d
#define CMOS_CHECKSUM_FROM 0x10
#define CMOS_CHECKSUM_TO   0x2d

/* Status register A. */
#define CMOS_A_UIP	0x80 /* update in progress (read-only) */
#define CMOS_A_DV_32KHZ 0x20 /* divider 010: 32.768 kHz time base */
#define CMOS_A_RS_MASK	0x0f /* periodic rate select */
#define CMOS_A_WRITABLE 0x7f
#define CMOS_A_DEFAULT	(CMOS_A_DV_32KHZ | 0x06) /* 1024 Hz, as a PC BIOS leaves it */
#define CMOS_UIP_NS	244000 /* UIP is set this long before each update (datasheet, tBUC) */
/* Status register B. */
#define CMOS_B_SET     0x80 /* halt updates: the guest sets the clock */
#define CMOS_B_PIE     0x40
#define CMOS_B_AIE     0x20
#define CMOS_B_UIE     0x10
#define CMOS_B_SQWE    0x08
#define CMOS_B_BINARY  0x04 /* DM: binary, else BCD */
#define CMOS_B_24H     0x02 /* else 12-hour, PM in bit 7 of the hours */
#define CMOS_B_DSE     0x01 /* daylight saving: stored, no effect */
#define CMOS_B_DEFAULT CMOS_B_24H
/* Status register C (read-only, cleared by reading). */
#define CMOS_C_IRQF 0x80
#define CMOS_C_PF   0x40
#define CMOS_C_AF   0x20 /* never set: alarms are not modelled */
#define CMOS_C_UF   0x10
/* Status register D (read-only). */
#define CMOS_D_VRT 0x80 /* valid RAM and time: the battery is fine */

#define CMOS_HOURS_PM	   0x80
#define CMOS_EQUIPMENT_FPU 0x02 /* math coprocessor; no diskettes; display bits 00: VGA */

struct cmos_ops {
	/*
	 * The host's wall-clock time in nanoseconds since the Unix epoch (UTC). NULL:
	 * CLOCK_REALTIME. Tests give a fake clock.
	 */
	int64_t (*now_ns)(void *opaque);
	void *opaque;
};

/*
 * The RTC keeps UTC (as Linux expects by default): the guest's clock is the host's
 * plus a whole number of seconds the guest sets. Time registers are computed from
 * the clock on every read, so a read never sees a half-updated time; UIP is set
 * during the 244 us before each second boundary, as the chip sets it before an
 * update, so that guests waiting for UIP to clear read a stable time. Status C's UF
 * and PF are set (lazily, at the read) when an update or a periodic tick happened
 * since the last read; AF never is, and no interrupt is raised on IRQ 8.
 */
struct cmos {
	pthread_mutex_t lock; /* guards every field below */
	struct cmos_ops ops;
	uint8_t ram[CMOS_SIZE]; /* RAM and registers; the time registers only while SET */
	uint8_t index;		/* bits 6:0 of the last index write */
	bool nmi_disabled;	/* bit 7 of the last index write */
	int64_t offset_s;	/* guest clock minus host clock, seconds */
	int64_t c_read_ns;	/* host time of the last status C read: PF counts from it */
	int64_t uf_from_ns;	/* host time from which an update sets UF (C read, SET cleared) */
};

/*
 * Power-on state: time from the host clock, status A 26h, B 02h (24-hour, BCD), D
 * 80h, and the memory size registers for ram_size bytes of guest RAM laid out as
 * memory.c does (conventional RAM below the EBDA, RAM to the 3 GiB hole, the rest
 * from 4 GiB), with the PC/AT checksum over 0x10-0x2d. ops may be NULL.
 */
void cmos_init(struct cmos *c, const struct cmos_ops *ops, uint64_t ram_size);
void cmos_destroy(struct cmos *c);

/*
 * Bus handlers (the cmos as opaque) for CMOS_PORTS ports from PORT_CMOS_INDEX. The
 * index port reads 0xff (write-only on a PC/AT); the data port reads or writes the
 * register the index selects. A wider access reaches the next port byte by byte, so
 * `outw` to 0x70 sets the index and writes the data. Returns 0, or -EINVAL for a
 * size outside 1..8 (a VMM bug).
 */
int cmos_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int cmos_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

/* Whether the guest disabled NMIs through the index port's bit 7 (for the VM to honour). */
bool cmos_nmi_disabled(struct cmos *c);

/* Saved state: plain bytes, no padding holes. */
struct cmos_state {
	uint8_t ram[CMOS_SIZE]; /* the RAM, time registers included only while SET */
	uint8_t index;		/* 0 .. CMOS_INDEX_MASK */
	uint8_t nmi_disabled;	/* 0 or 1 */
	uint8_t reserved[6];	/* zero */
	int64_t offset_s;	/* guest clock minus host clock, seconds */
	int64_t c_read_ns;	/* host time of the last status C read (ns since the epoch) */
	int64_t uf_from_ns;	/* host time from which an update sets UF */
};
_Static_assert(sizeof(struct cmos_state) == CMOS_SIZE + 8 + 3 * 8, "cmos_state has holes");

/*
 * Save into *out (every byte written); restore refuses a bad index, flag, reserved
 * byte or a clock offset beyond 10^12 s with -EINVAL and a message, leaving the
 * device unchanged. The guest clock keeps its offset from the host's, so it runs
 * on across a save and a restore.
 */
void cmos_save(const struct cmos *c, struct cmos_state *out);
int cmos_restore(struct cmos *c, const struct cmos_state *in);

#endif
