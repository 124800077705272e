/* SPDX-License-Identifier: MIT */
/* Reading input files (guest image, bzImage, initrd) into memory, with checks first. */
#ifndef MINI_KVM_FILE_H
#define MINI_KVM_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Open the regular file at path for reading: without blocking on the way (a FIFO
 * or a device given by mistake is refused, not waited on), *fd open and blocking
 * for reads, *size its length in bytes. what names the file in messages ("guest",
 * "bzImage", "initrd"): "<what> '<path>': <cause>". Returns 0, or -errno with a
 * message: -ENOENT/-EACCES (open), -ENOEXEC (not a regular file: says what it is).
 */
int file_open_regular(const char *path, const char *what, int *fd, uint64_t *size);

/*
 * Open the disk image at path for a guest's disk (--disk, --ata): read-write with an
 * exclusive flock, or with read_only, read-only with a shared one, so that no two VMs
 * write one file at once while readers may share it. Without blocking on the way (a
 * FIFO is refused, not waited on); *fd is then open and blocking, *size the file's
 * length in bytes (the caller checks it against its sectors). Returns 0, or -errno
 * with a message "disk '<path>': <cause>": -ENOENT/-EACCES/... (open), -EINVAL (not
 * a regular file), -EBUSY (locked by another process).
 */
int file_open_disk(const char *path, bool read_only, int *fd, uint64_t *size);

/*
 * Read len bytes at offset of fd into buf, all of them. Returns 0, or -errno with a
 * message naming what and path: -EIO if the file ended first (it shrank).
 */
int file_pread_all(int fd, const char *path, const char *what, void *buf, uint64_t len,
		   uint64_t offset);

/*
 * Read the regular file at path into a malloc()ed buffer (*buf, *size bytes; an
 * empty file gives a 1-byte buffer and *size 0). Files larger than max bytes are
 * refused before anything is read; limit_why says where max comes from, for the
 * message ("the guest's 128 MiB of RAM (-m)"). Returns 0, or -errno with a message:
 * those of file_open_regular(), -EFBIG (over max), -ENOMEM, -EIO.
 */
int file_read_all(const char *path, const char *what, uint64_t max, const char *limit_why,
		  uint8_t **buf, size_t *size);

#endif
