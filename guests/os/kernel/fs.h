/* SPDX-License-Identifier: MIT */
/* The file system: a ustar archive on mini-kvm's paravirtual disk, held in memory. */
#ifndef OS_FS_H
#define OS_FS_H

#include <stddef.h>
#include <stdint.h>

/* Read the archive from the disk (HC_BLK_*); without a disk, start with no files. */
void fs_init(void);

/* Copy up to len bytes of file name into buf; returns the bytes copied or OS_ENOENT. */
int64_t fs_read(const char *name, void *buf, uint64_t len);

/*
 * Create or replace file name with len bytes of data, then write the whole archive
 * back to the disk. Returns 0, or OS_EFBIG, OS_ENOSPC (no slot, or the disk is too
 * small), OS_EINVAL (empty name), OS_EROFS (the disk holds entries this file system
 * cannot keep), OS_EIO.
 */
int64_t fs_write(const char *name, const void *data, uint64_t len);

/* "name size\n" lines into buf; returns the length. */
size_t fs_list(char *buf, size_t cap);

#endif /* OS_FS_H */
