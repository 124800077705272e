/* SPDX-License-Identifier: MIT */
/* Input files: one place that opens and checks guests' files and disk images, and reads them. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* What a file that is not a regular one is, for the message that refuses it. */
static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

int file_open_regular(const char *path, const char *what, int *fd, uint64_t *size)
{
	struct stat st;
	int ret;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; cleared below. */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
		return error_errno(errno, "%s '%s'", what, path);
	if (fstat(*fd, &st) < 0) {
		ret = error_errno(errno, "%s '%s': stat", what, path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = error_set(ENOEXEC, "%s '%s': not a regular file (%s)", what, path,
				file_kind(st.st_mode));
		goto fail;
	}
	if (fcntl(*fd, F_SETFL, 0) < 0) {
		ret = error_errno(errno, "%s '%s': fcntl", what, path);
		goto fail;
	}
	*size = (uint64_t)st.st_size;
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

int file_open_disk(const char *path, bool read_only, int *fd, uint64_t *size)
{
	struct stat st;
	int ret;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; cleared below. */
	*fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return error_errno(errno, "disk '%s': cannot open it %s", path,
				   read_only ? "read-only" : "read-write");
	if (fstat(*fd, &st) < 0) {
		ret = error_errno(errno, "disk '%s'", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = error_set(EINVAL, "disk '%s': not a regular file", path);
		goto fail;
	}
	if (fcntl(*fd, F_SETFL, 0) < 0) {
		ret = error_errno(errno, "disk '%s': fcntl", path);
		goto fail;
	}
	/* Two VMs writing one file would interleave their writes: one writer, or readers. */
	if (flock(*fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			ret = error_set(EBUSY, "disk '%s': in use by another process (locked)",
					path);
		else
			ret = error_errno(errno, "disk '%s': flock", path);
		goto fail;
	}
	*size = (uint64_t)st.st_size;
	return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

int file_pread_all(int fd, const char *path, const char *what, void *buf, uint64_t len,
		   uint64_t offset)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(errno, "%s '%s': read", what, path);
		if (n == 0)
			return error_set(EIO, "%s '%s': file shrank while being read", what, path);
		p += n;
		offset += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int file_read_all(const char *path, const char *what, uint64_t max, const char *limit_why,
		  uint8_t **buf, size_t *size)
{
	uint64_t file_size;
	int fd, ret;

	*buf = NULL;
	*size = 0;
	ret = file_open_regular(path, what, &fd, &file_size);
	if (ret < 0)
		return ret;
	if (file_size > max) {
		ret = error_set(EFBIG, "%s '%s': %llu bytes, more than %s", what, path,
				(unsigned long long)file_size, limit_why);
		goto out;
	}
	*buf = malloc(file_size ? file_size : 1);
	if (!*buf) {
		ret = error_set(ENOMEM, "%s '%s': no memory for %llu bytes", what, path,
				(unsigned long long)file_size);
		goto out;
	}
	ret = file_pread_all(fd, path, what, *buf, file_size, 0);
	if (ret < 0) {
		free(*buf);
		*buf = NULL;
		goto out;
	}
	*size = file_size;
out:
	close(fd);
	return ret;
}
