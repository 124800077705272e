/* Whole-file reads for the loaders: one place that opens, checks and reads input files. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static int read_fd(int fd, const char *path, const char *what, uint8_t *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(errno, "%s '%s': read", what, path);
		if (n == 0)
			return error_set(EIO, "%s '%s': file shrank while being read", what, path);
		done += n;
	}
	return 0;
}

int file_read_all(const char *path, const char *what, uint64_t max, uint8_t **buf, size_t *size)
{
	struct stat st;
	int fd, ret;

	*buf = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(errno, "%s '%s'", what, path);
	if (fstat(fd, &st) < 0) {
		ret = error_errno(errno, "%s '%s': stat", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = error_set(ENOEXEC, "%s '%s': not a regular file", what, path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = error_set(EFBIG, "%s '%s': %lld bytes, more than mini-kvm loads (%llu)", what,
				path, (long long)st.st_size, (unsigned long long)max);
		goto out;
	}
	*buf = malloc(st.st_size ? st.st_size : 1);
	if (!*buf) {
		ret = error_set(ENOMEM, "%s '%s': no memory for %lld bytes", what, path,
				(long long)st.st_size);
		goto out;
	}
	ret = read_fd(fd, path, what, *buf, st.st_size);
	if (ret < 0) {
		free(*buf);
		*buf = NULL;
		goto out;
	}
	*size = st.st_size;
out:
	close(fd);
	return ret;
}
