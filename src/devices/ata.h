/* SPDX-License-Identifier: MIT */
/* An ATA (IDE) channel: two drive slots, host-file disks, PIO only (ATA/ATAPI-6, T13/1410D r3b). */
#ifndef MINI_KVM_DEV_ATA_H
#define MINI_KVM_DEV_ATA_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/layout.h"

/* Ports and IRQ lines: arch/x86/layout.h (PORT_ATA_*, IRQ_ATA_*, ATA_CMD_PORTS, ATA_CTRL_PORTS). */

/* Command block register offsets (ATA/ATAPI-6 clause 7; ATA-3's CHS names in brackets). */
#define ATA_REG_DATA	 0
#define ATA_REG_ERROR	 1 /* read */
#define ATA_REG_FEATURES 1 /* write */
#define ATA_REG_NSECT	 2 /* sector count */
#define ATA_REG_LBAL	 3 /* LBA low [sector number] */
#define ATA_REG_LBAM	 4 /* LBA mid [cylinder low] */
#define ATA_REG_LBAH	 5 /* LBA high [cylinder high] */
#define ATA_REG_DEVICE	 6 /* device [device/head] */
#define ATA_REG_STATUS	 7 /* read */
#define ATA_REG_COMMAND	 7 /* write */

/* Status register bits (ATA/ATAPI-6, 7.14). */
#define ATA_SR_BSY  0x80 /* busy: only while SRST is held (commands complete at once) */
#define ATA_SR_DRDY 0x40 /* device ready */
#define ATA_SR_DF   0x20 /* device fault: a host write or flush failed */
#define ATA_SR_DSC  0x10 /* ATA-3's seek complete, command dependent in ATA-6; set when ready */
#define ATA_SR_DRQ  0x08 /* a PIO data block is ready to move */
#define ATA_SR_ERR  0x01 /* the error register says why the last command failed */

/* Error register bits (ATA/ATAPI-6 clause 7), and the diagnostic code a reset leaves there. */
#define ATA_ER_UNC	0x40 /* uncorrectable data: the host read failed */
#define ATA_ER_IDNF	0x10 /* address not found: beyond the disk, or no such CHS sector */
#define ATA_ER_ABRT	0x04 /* command aborted: unknown, bad parameter, read-only, write fault */
#define ATA_DIAG_PASSED 0x01 /* diagnostic code: device 0 passed, device 1 passed or absent */

/* Device register bits (ATA/ATAPI-6 clause 7, Device register). */
#define ATA_DEV_LBA	  0x40 /* the address is an LBA (clear: CHS) */
#define ATA_DEV_DEV	  0x10 /* selects device 1 */
#define ATA_DEV_HEAD_MASK 0x0f /* LBA bits 27:24, or the CHS head */

/* Device Control register bits (ATA/ATAPI-6 clause 7). */
#define ATA_CTL_NIEN 0x02 /* INTRQ disabled */
#define ATA_CTL_SRST 0x04 /* software reset of both devices while set */
#define ATA_CTL_HOB  0x80 /* 48-bit high order byte readback: not implemented */

/* Commands (ATA/ATAPI-6 clause 8; the obsolete RECALIBRATE and SEEK from ATA-3 clause 8). */
#define ATA_CMD_RECALIBRATE	      0x10 /* 0x10 - 0x1f, obsolete: completes at once */
#define ATA_CMD_READ_SECTORS	      0x20
#define ATA_CMD_READ_SECTORS_NORETRY  0x21 /* obsolete alias of 0x20 */
#define ATA_CMD_WRITE_SECTORS	      0x30
#define ATA_CMD_WRITE_SECTORS_NORETRY 0x31 /* obsolete alias of 0x30 */
#define ATA_CMD_SEEK		      0x70 /* 0x70 - 0x7f, obsolete: completes at once */
#define ATA_CMD_EXECUTE_DIAGNOSTIC    0x90
#define ATA_CMD_INITIALIZE_PARAMETERS 0x91 /* sets the CHS translation */
#define ATA_CMD_IDENTIFY_PACKET	      0xa1 /* aborted: this is not a PACKET device */
#define ATA_CMD_READ_MULTIPLE	      0xc4
#define ATA_CMD_WRITE_MULTIPLE	      0xc5
#define ATA_CMD_SET_MULTIPLE	      0xc6
#define ATA_CMD_STANDBY_IMMEDIATE     0xe0
#define ATA_CMD_IDLE_IMMEDIATE	      0xe1
#define ATA_CMD_STANDBY		      0xe2
#define ATA_CMD_IDLE		      0xe3
#define ATA_CMD_CHECK_POWER_MODE      0xe5
#define ATA_CMD_SLEEP		      0xe6
#define ATA_CMD_FLUSH_CACHE	      0xe7
#define ATA_CMD_IDENTIFY	      0xec
#define ATA_CMD_SET_FEATURES	      0xef

/* SET FEATURES subcommands in the features register (ATA/ATAPI-6, 8.46). */
#define ATA_FEAT_WRITE_CACHE_ON	     0x02
#define ATA_FEAT_SET_TRANSFER_MODE   0x03 /* the mode in the sector count register */
#define ATA_FEAT_LOOK_AHEAD_OFF	     0x55
#define ATA_FEAT_REVERT_OFF	     0x66
#define ATA_FEAT_WRITE_CACHE_OFF     0x82
#define ATA_FEAT_LOOK_AHEAD_ON	     0xaa
#define ATA_FEAT_REVERT_ON	     0xcc
#define ATA_XFER_PIO_DEFAULT	     0x00 /* transfer modes: PIO default */
#define ATA_XFER_PIO_DEFAULT_NOIORDY 0x01
#define ATA_XFER_PIO_FLOW	     0x08 /* | mode 0..4: PIO flow control transfer mode */
#define ATA_XFER_PIO_MAX_MODE	     4

#define ATA_SECTOR_SIZE	      512
#define ATA_IDENTIFY_WORDS    256
#define ATA_MAX_MULTIPLE      16 /* sectors per READ/WRITE MULTIPLE block (word 47) */
#define ATA_BUF_SIZE	      (ATA_MAX_MULTIPLE * ATA_SECTOR_SIZE)
#define ATA_MAX_COUNT	      256	  /* sector count 0 means 256 */
#define ATA_LBA28_MAX_SECTORS 0x0fffffffu /* the most words 60-61 can report */
#define ATA_DRIVES	      2		  /* device 0 (master) and device 1 (slave) */

/*
 * A host file as a disk of ATA_SECTOR_SIZE sectors. Open it with ata_disk_open()
 * (before the VM runs, so that a bad file is a clean error) and close it with
 * ata_disk_close() on every way out: that is when the guest's writes are flushed.
 */
struct ata_disk {
	int fd;		  /* -1 when closed */
	uint32_t sectors; /* size, 1 .. ATA_LBA28_MAX_SECTORS */
	bool read_only;	  /* opened read-only: writes are aborted */
	const char *path; /* for messages: the caller's string, kept while the disk is open */
};

/*
 * Open the disk image at path: read-write with an exclusive flock, or with
 * read_only, read-only with a shared one, so that no two VMs (nor --disk) write one
 * file at once while readers may share it. The file must be a regular file (fstat)
 * whose size is a whole, non-zero number of ATA_SECTOR_SIZE sectors: other sizes are
 * refused, not rounded down, since a partial sector would be lost to the guest and
 * silently kept out of its writes. At most ATA_LBA28_MAX_SECTORS (128 GiB; there is
 * no 48-bit addressing). Returns 0, or -errno with a message naming the file:
 * -ENOENT/-EACCES/... (open), -EBUSY (locked by another process), -EINVAL (not a
 * regular file, empty, or not whole sectors), -EFBIG (too large).
 */
int ata_disk_open(struct ata_disk *disk, const char *path, bool read_only);

/*
 * Flush a writable disk to stable storage (fsync), then close it, which drops the
 * lock. A closed disk (fd -1) is left alone. Returns 0, or -errno with a message if
 * the fsync failed (the file is closed all the same).
 */
int ata_disk_close(struct ata_disk *disk);

/* How a channel reaches the VM. */
struct ata_ops {
	/*
	 * INTRQ changed to level (0 or 1): asserted while the selected device has an
	 * interrupt pending and nIEN is clear. May be NULL. Called with the channel's
	 * lock held: it must not call back into the channel.
	 */
	void (*irq)(void *opaque, int level);
	void *opaque;
};

enum ata_xfer { ATA_XFER_NONE, ATA_XFER_IN, ATA_XFER_OUT };

/* One drive slot: the device's copy of the task file, its PIO transfer and its settings. */
struct ata_drive {
	struct ata_disk *disk; /* NULL: no device in this slot (not owned by the channel) */
	/* Task file: both devices latch every host register write (ATA/ATAPI-6 clause 7). */
	uint8_t error, features, nsect, lbal, lbam, lbah, device, status;
	bool intrq; /* interrupt pending (ATA/ATAPI-6, 5.2.9) */
	/* The PIO data transfer in progress, while DRQ is set. */
	uint8_t command;    /* the data command, 0 when none */
	enum ata_xfer xfer; /* direction */
	bool chs;	    /* the command used CHS addresses: report them so */
	uint32_t lba;	    /* first sector of the current DRQ block */
	uint32_t remaining; /* sectors left, the current block included */
	uint32_t block;	    /* sectors per DRQ block: 1, or the multiple setting */
	uint32_t buf_pos;   /* bytes of buf moved so far */
	uint32_t buf_len;   /* bytes in the current DRQ block */
	uint8_t buf[ATA_BUF_SIZE];
	/* Settings. */
	uint8_t multiple;		      /* READ/WRITE MULTIPLE block, 0: disabled */
	bool write_cache, look_ahead, revert; /* SET FEATURES states */
	uint16_t cylinders, heads, spt;	      /* current CHS translation */
};

/*
 * An ATA channel: a command block, a control block and an INTRQ line shared by two
 * devices. Every access is synchronous: a command completes (or its first DRQ block
 * is ready) before the command register write returns, so BSY is only ever seen
 * while the host holds SRST. Thread-safe: vCPUs may access it concurrently.
 */
struct ata_channel {
	pthread_mutex_t lock; /* guards every field below */
	struct ata_ops ops;
	unsigned int index; /* 0 primary, 1 secondary: names the drives' serial numbers */
	struct ata_drive drives[ATA_DRIVES];
	unsigned int selected; /* the DEV bit of the last device register write */
	uint8_t devctl;	       /* device control register as last written */
	int irq_level;	       /* last level given to ops.irq */
};

/*
 * Set up an empty channel in its power-on state. index (0 or 1) only names the
 * drives (serial "MKVM-ATA-<2 * index + slot>"); ops may be NULL.
 */
void ata_init(struct ata_channel *ch, unsigned int index, const struct ata_ops *ops);
void ata_destroy(struct ata_channel *ch);

/*
 * Put an open disk in slot 0 (master) or 1 (slave), before the guest runs. The
 * channel keeps the pointer and never closes the disk. Returns 0, or -EINVAL (with
 * a message) for a bad slot, a closed disk, a taken slot, or a slave without a
 * master (ATA/ATAPI-6 9.16.2 "device 1 only" is not supported).
 */
int ata_attach(struct ata_channel *ch, unsigned int slot, struct ata_disk *disk);

/*
 * Hardware reset (power-on state): transfers dropped, settings back to their
 * defaults, the signature in each task file, INTRQ deasserted. For a VM reset.
 */
void ata_reset(struct ata_channel *ch);

/*
 * Bus handlers (the channel as opaque) for the command block (ATA_CMD_PORTS ports)
 * and the control block (ATA_CTRL_PORTS port). The data register moves 16-bit
 * words: a 2-byte access is one word, a 4- or 8-byte access two or four words, a
 * 1-byte access one word of which the high byte is lost (read) or zero (write), as
 * on a 16-bit bus. Other registers are 8 bits wide: a wider access reaches the
 * following registers byte by byte, as an ISA bus splits it. Guest misuse (no
 * command, DRQ ignored, absent devices) never fails: the device answers as a drive
 * would. Returns 0, or -EINVAL for a size outside 1..8 (a VMM bug).
 */
int ata_cmd_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int ata_cmd_write(void *opaque, uint64_t offset, const void *data, uint32_t size);
int ata_ctrl_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int ata_ctrl_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

#define ATA_STATE_VERSION 1

/* One drive slot's saved state: all zero when the slot is empty. */
struct ata_drive_state {
	uint64_t sectors;   /* the attached disk's size: must match on restore */
	uint32_t lba;	    /* first sector of the current DRQ block */
	uint32_t remaining; /* sectors left in the command, the current block included */
	uint32_t block;	    /* sectors per DRQ block (1 .. ATA_MAX_MULTIPLE) during a transfer */
	uint32_t buf_pos;   /* bytes of buf moved (even, below buf_len) */
	uint32_t buf_len;   /* bytes in the DRQ block: 0 without a transfer, else whole sectors */
	uint16_t cylinders; /* current CHS translation */
	uint16_t heads;
	uint16_t spt;
	uint8_t error; /* task file */
	uint8_t features;
	uint8_t nsect;
	uint8_t lbal;
	uint8_t lbam;
	uint8_t lbah;
	uint8_t device;
	uint8_t status;
	uint8_t command;	   /* data command in progress, 0 when none */
	uint8_t xfer;		   /* enum ata_xfer */
	uint8_t chs;		   /* 1: addresses reported as CHS */
	uint8_t intrq;		   /* 1: interrupt pending */
	uint8_t multiple;	   /* READ/WRITE MULTIPLE block, 0 disabled */
	uint8_t write_cache;	   /* 1: write cache enabled (FLUSH CACHE needed for durability) */
	uint8_t look_ahead;	   /* 1: read look-ahead enabled */
	uint8_t revert;		   /* 1: SRST reverts SET FEATURES settings to the defaults */
	uint8_t reserved[6];	   /* zero */
	uint8_t buf[ATA_BUF_SIZE]; /* the DRQ block (bytes past buf_len are zero) */
};

/* A channel's saved state: the task files, PIO transfers with their buffers, settings. */
struct ata_state {
	uint32_t version; /* ATA_STATE_VERSION */
	uint8_t devctl;	  /* device control register */
	uint8_t selected; /* 0 or 1 */
	uint8_t irq_level;
	uint8_t reserved; /* zero */
	struct ata_drive_state drives[ATA_DRIVES];
};

/* Fixed layout, no padding holes. */
_Static_assert(sizeof(struct ata_drive_state) == 56 + ATA_BUF_SIZE, "ata_drive_state has holes");
_Static_assert(sizeof(struct ata_state) == 8 + ATA_DRIVES * sizeof(struct ata_drive_state),
	       "ata_state has holes");

/*
 * Save the channel's state into *out (every byte written). Restore it onto a channel
 * with the same disks attached (same slots, same sizes; their contents are the
 * disks' business). Restore refuses an inconsistent state with -EINVAL and a
 * message, leaving the channel unchanged; on success it gives ops.irq the restored
 * INTRQ level.
 */
void ata_save(const struct ata_channel *ch, struct ata_state *out);
int ata_restore(struct ata_channel *ch, const struct ata_state *in);

#endif
