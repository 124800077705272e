/* SPDX-License-Identifier: MIT */
/* The paravirtual block device: HC_BLK_* transfers straight between guest RAM and a host file. */
#include "devices/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "mini-kvm/hypercall.h"

static int open_disk(struct blk_dev *blk, const char *path, bool read_only)
{
	uint64_t size;
	int fd, ret;

	blk->fd = -1;
	blk->path = path;
	blk->read_only = read_only;
	ret = file_open_disk(path, read_only, &fd, &size);
	if (ret < 0)
		return ret;
	if (size % HC_BLK_SECTOR_SIZE) {
		ret = error_set(EINVAL,
				"disk '%s': size %llu bytes is not a whole number of %d-byte "
				"sectors",
				path, (unsigned long long)size, HC_BLK_SECTOR_SIZE);
		goto fail;
	}
	if (size / HC_BLK_SECTOR_SIZE > HC_BLK_MAX_SECTORS) {
		ret = error_set(EFBIG, "disk '%s': larger than %u sectors", path,
				HC_BLK_MAX_SECTORS);
		goto fail;
	}
	blk->fd = fd;
	blk->sectors = (uint32_t)(size / HC_BLK_SECTOR_SIZE);
	return 0;
fail:
	close(fd);
	return ret;
}

int blk_open(struct blk_dev *blk, const char *path)
{
	return open_disk(blk, path, false);
}

int blk_open_read_only(struct blk_dev *blk, const char *path)
{
	return open_disk(blk, path, true);
}

int blk_close(struct blk_dev *blk)
{
	int ret = 0;

	if (blk->fd < 0)
		return 0;
	if (!blk->read_only && fsync(blk->fd) < 0)
		ret = error_set(errno, "disk '%s': flushing it failed: %s", blk->path,
				strerror(errno));
	close(blk->fd); /* drops the lock */
	blk->fd = -1;
	return ret;
}

int32_t blk_info(const struct blk_dev *blk)
{
	return blk ? (int32_t)blk->sectors : HC_ENODEV;
}

/* pread() or pwrite() all of len bytes at offset; false on an error or a short transfer. */
static bool transfer_all(int fd, bool write, uint8_t *buf, uint64_t len, uint64_t offset)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, (off_t)offset)
				  : pread(fd, buf, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		offset += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return true;
}

static int32_t transfer(const struct blk_dev *blk, const struct guest_memory *mem, bool write,
			uint32_t sector, gpa_t gpa, uint32_t count)
{
	uint64_t len = (uint64_t)count * HC_BLK_SECTOR_SIZE;
	uint8_t *buf;

	if (!blk)
		return HC_ENODEV;
	if (write && blk->read_only)
		return HC_EROFS;
	/* 64-bit sums of 32-bit values: no overflow. */
	if ((uint64_t)sector + count > blk->sectors)
		return HC_EINVAL;
	if (!count)
		return 0;
	buf = guest_ptr(mem, gpa, len);
	if (!buf)
		return HC_EFAULT;
	/*
	 * Whole or not at all (the ABI): reserve the write's blocks first, so that a full
	 * host file system fails it before any sector changes. A file system without
	 * fallocate (EOPNOTSUPP) cannot promise that; the write goes ahead.
	 */
	if (write && fallocate(blk->fd, 0, (off_t)sector * HC_BLK_SECTOR_SIZE, (off_t)len) < 0 &&
	    errno != EOPNOTSUPP)
		return HC_EIO;
	return transfer_all(blk->fd, write, buf, len, (uint64_t)sector * HC_BLK_SECTOR_SIZE)
		       ? 0
		       : HC_EIO;
}

int32_t blk_read(const struct blk_dev *blk, const struct guest_memory *mem, uint32_t sector,
		 gpa_t gpa, uint32_t count)
{
	return transfer(blk, mem, false, sector, gpa, count);
}

int32_t blk_write(const struct blk_dev *blk, const struct guest_memory *mem, uint32_t sector,
		  gpa_t gpa, uint32_t count)
{
	return transfer(blk, mem, true, sector, gpa, count);
}
