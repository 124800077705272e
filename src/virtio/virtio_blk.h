/* SPDX-License-Identifier: MIT */
/* virtio-blk (virtio 1.2, 5.2): a host file as a disk, served on the device's I/O thread. */
#ifndef MINI_KVM_VIRTIO_BLK_H
#define MINI_KVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio_mmio.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	  1 /* size_max: the largest segment */
#define VIRTIO_BLK_F_SEG_MAX	  2 /* seg_max: the most data segments per request */
#define VIRTIO_BLK_F_GEOMETRY	  4
#define VIRTIO_BLK_F_RO		  5 /* read-only */
#define VIRTIO_BLK_F_BLK_SIZE	  6 /* blk_size: the logical block size */
#define VIRTIO_BLK_F_FLUSH	  9 /* VIRTIO_BLK_T_FLUSH */
#define VIRTIO_BLK_F_TOPOLOGY	  10
#define VIRTIO_BLK_F_CONFIG_WCE	  11
#define VIRTIO_BLK_F_MQ		  12
#define VIRTIO_BLK_F_DISCARD	  13 /* VIRTIO_BLK_T_DISCARD */
#define VIRTIO_BLK_F_WRITE_ZEROES 14 /* VIRTIO_BLK_T_WRITE_ZEROES */
#define VIRTIO_BLK_F_LIFETIME	  15
#define VIRTIO_BLK_F_SECURE_ERASE 16

/* Request types (5.2.6). */
#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_GET_LIFETIME 10
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_SECURE_ERASE 14

/* Request status, the last device-writable byte of a request (5.2.6). */
#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

/* virtio_blk_discard_write_zeroes.flags (5.2.6). */
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

#define VIRTIO_BLK_SECTOR_SIZE	   512 /* protocol sectors, whatever blk_size says */
#define VIRTIO_BLK_ID_BYTES	   20  /* GET_ID: NUL-padded, no NUL when 20 long */
#define VIRTIO_BLK_REQ_HEADER_SIZE 16  /* le32 type, le32 reserved, le64 sector */
#define VIRTIO_BLK_DWZ_SEG_SIZE	   16  /* le64 sector, le32 num_sectors, le32 flags */

/* What this device offers. */
#define VIRTIO_BLK_QUEUE_SIZE 256 /* QueueNumMax of the one request queue */
/* Data segments per request: the queue less the header's and the status's descriptors. */
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)
/* Largest segment: bounds one iovec; Linux's requests are at most 1280 KiB anyway. */
#define VIRTIO_BLK_SIZE_MAX (1024 * 1024)
/* Discard and write-zeroes: per segment (1 GiB: fallocate is fast, its fallback is not). */
#define VIRTIO_BLK_DWZ_SECTORS_MAX (1024 * 1024 * 1024 / VIRTIO_BLK_SECTOR_SIZE)
#define VIRTIO_BLK_DWZ_SEGS_MAX	   16
/* Discard granularity in sectors: 4 KiB, the host file system's block size. */
#define VIRTIO_BLK_DISCARD_ALIGNMENT 8

/* The device configuration space (5.2.4), little-endian; unoffered fields stay 0. */
struct virtio_blk_config {
	uint64_t capacity; /* in 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t geometry_cylinders;
	uint8_t geometry_heads;
	uint8_t geometry_sectors;
	uint32_t blk_size;
	uint8_t topology_physical_block_exp;
	uint8_t topology_alignment_offset;
	uint16_t topology_min_io_size;
	uint32_t topology_opt_io_size;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
	uint32_t max_secure_erase_sectors;
	uint32_t max_secure_erase_seg;
	uint32_t secure_erase_sector_alignment;
};

#define VIRTIO_BLK_NAME_MAX 256

/*
 * A virtio-blk disk.
 *
 * I/O model: the device's I/O thread (virtio_worker) serves the request queue with
 * plain synchronous preadv/pwritev/fdatasync/fallocate on the file. The vCPU never
 * waits for the disk (its QueueNotify is an eventfd write, or no exit at all with
 * KVM_IOEVENTFD) and the guest sees completion asynchronously, by interrupt. A thread
 * per device with blocking system calls was chosen over io_uring for being short,
 * portable to every kernel KVM runs on, easy to bound (one request in flight per
 * device, so a reset waits for at most one system call) and free of submission and
 * completion bookkeeping; io_uring would win only with deep queues on fast storage.
 *
 * Only the I/O thread touches the file after open, and negotiated changes only under
 * the queue lock (activate/reset): no lock of its own.
 */
struct virtio_blk {
	int fd;				/* the disk file; -1 when closed */
	const char *path;		/* kept, for messages */
	bool read_only;			/* ",ro": O_RDONLY, shared lock, VIRTIO_BLK_F_RO */
	bool discard;			/* the file system punches holes: DISCARD, WRITE_ZEROES */
	uint64_t capacity;		/* sectors: the file size rounded down to 512 bytes */
	uint64_t features;		/* device feature bits offered */
	uint64_t negotiated;		/* the driver's features, from DRIVER_OK to reset */
	char id[VIRTIO_BLK_ID_BYTES];	/* GET_ID's answer, NUL-padded */
	char name[VIRTIO_BLK_NAME_MAX]; /* "virtio-blk 'path'" */
	struct virtio_blk_config config;
};

/*
 * Open the disk image at path: read-write with an exclusive lock, or read_only with a
 * shared one (flock, so two mini-kvms never write one file at once, while several may
 * read it). Only regular files: the file is opened non-blocking (a FIFO cannot hang
 * the VMM), checked with fstat, then made blocking. Its size need not be a multiple
 * of 512 bytes: the capacity rounds down and the tail is never read or written.
 * serial: GET_ID's answer (the first 20 bytes; non-printable bytes become '_'), or
 * NULL for the file's base name. DISCARD and WRITE_ZEROES are offered when the disk
 * is writable and its file system can punch holes.
 * Returns 0, or -errno with a message naming the file: -ENOENT, -EACCES... (open),
 * -EINVAL (not a regular file), -EBUSY (locked by another process).
 */
int virtio_blk_open(struct virtio_blk *blk, const char *path, bool read_only, const char *serial);

/*
 * Flush what was written to stable storage (fsync, for a writable disk) and close the
 * file, dropping the lock: "data on disk on every way out". Call after the I/O thread
 * stopped. Safe on a closed disk. Returns 0, or -errno with a message if fsync failed.
 */
int virtio_blk_close(struct virtio_blk *blk);

/*
 * Describe blk to the transport: device ID 2, one request queue of
 * VIRTIO_BLK_QUEUE_SIZE, the features and config space above.
 *
 * Requests (5.2.6): the header is the first 16 device-readable bytes and the status
 * the last device-writable byte, however the chain splits them (2.7.4). A chain with
 * fewer than 16 device-readable bytes or no device-writable byte cannot carry a
 * request or its answer: it is a queue error (DEVICE_NEEDS_RESET). Everything else
 * completes with a status: IN/OUT with data not a multiple of 512 bytes or reaching
 * past the capacity, GET_ID with less than 20 bytes of room, writes of any kind to a
 * read-only disk, discard/write-zeroes segments out of range or too many: IOERR;
 * unknown types, unknown flags, discard with UNMAP, features not negotiated: UNSUPP.
 * FLUSH returns once fdatasync() did. WRITE_ZEROES with UNMAP punches a hole, without
 * it zeroes the range in place (fallocate, else writes of zeroes); DISCARD punches a
 * hole where the file system can. A failing host call gives IOERR and is logged once.
 * The used length is the device-writable bytes written from the start of that part:
 * all of it when the data area was filled, else only the status byte when it is the
 * only writable byte, else 0 (an underestimate, as 2.7.8.2 allows).
 */
void virtio_blk_device(struct virtio_blk *blk, struct virtio_device *dev);

/* virtio-blk's own state in a snapshot (the transport's is virtio_mmio_state). */
struct virtio_blk_state {
	uint64_t capacity;   /* sectors: the disk at restore must have as many */
	uint64_t negotiated; /* features the driver accepted (0 before DRIVER_OK) */
	uint32_t read_only;  /* 0 or 1: must match the disk at restore */
	uint32_t reserved;   /* 0 */
};

void virtio_blk_save(const struct virtio_blk *blk, struct virtio_blk_state *out);

/*
 * Load *in into an open blk. Returns 0, or -EINVAL with a message when the disk
 * differs (capacity, read-only), features were not offered or reserved is not 0.
 */
int virtio_blk_restore(struct virtio_blk *blk, const struct virtio_blk_state *in);

#endif
