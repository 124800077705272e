/* SPDX-License-Identifier: MIT */
/* The paravirtual block device behind HC_BLK_*: a host file as a disk of 512-byte sectors. */
#ifndef MINI_KVM_DEV_BLK_H
#define MINI_KVM_DEV_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "memory.h"

struct blk_dev {
	int fd;		  /* the --disk file, open and locked; -1 when closed */
	const char *path; /* for messages */
	uint32_t sectors; /* disk size in HC_BLK_SECTOR_SIZE sectors */
	bool read_only;	  /* --disk FILE,ro: opened read-only, writes answer HC_EROFS */
};

/*
 * Open the disk image at path read-write and take an exclusive lock on it, so that
 * a second mini-kvm cannot write the same file at the same time. The file must be a
 * regular file whose size is a whole number of HC_BLK_SECTOR_SIZE sectors, at most
 * HC_BLK_MAX_SECTORS of them (an empty file is a disk of 0 sectors).
 * Returns 0, or -errno with a message naming the file: -ENOENT/-EACCES (open),
 * -EBUSY (locked by another process), -EINVAL (not a regular file, size not whole
 * sectors), -EFBIG (too large).
 */
int blk_open(struct blk_dev *blk, const char *path);

/*
 * blk_open() for a read-only disk (--disk FILE,ro): the file is opened read-only
 * (a file mini-kvm may not write is fine) under a shared lock, so that several
 * read-only users may share it but none with a writer; blk_write() answers
 * HC_EROFS. Returns 0 or -errno with a message, as blk_open().
 */
int blk_open_read_only(struct blk_dev *blk, const char *path);

/*
 * Flush the disk's data to stable storage (fsync) and close it; a closed blk_dev
 * (fd -1) is left alone. Returns 0, or -errno with a message if fsync failed.
 */
int blk_close(struct blk_dev *blk);

/*
 * Copy count sectors starting at sector between the disk and guest memory at gpa
 * (HC_BLK_READ: disk to guest; HC_BLK_WRITE: guest to disk, written through to the
 * file before returning). blk may be NULL (no --disk). Thread-safe: pread/pwrite.
 * Returns 0 or a negative HC_E* result for the guest: HC_ENODEV (no disk),
 * HC_EROFS (a write to a read-only disk), HC_EINVAL (the range passes the disk's
 * end), HC_EFAULT (the buffer is not all in guest RAM), HC_EIO (the host read or
 * write failed or came up short).
 * Source: include/mini-kvm/hypercall.h, the ABI.
 */
int32_t blk_read(const struct blk_dev *blk, const struct guest_memory *mem, uint32_t sector,
		 gpa_t gpa, uint32_t count);
int32_t blk_write(const struct blk_dev *blk, const struct guest_memory *mem, uint32_t sector,
		  gpa_t gpa, uint32_t count);

/* HC_BLK_INFO: the disk's size in sectors, or HC_ENODEV when blk is NULL. */
int32_t blk_info(const struct blk_dev *blk);

#endif
