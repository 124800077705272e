/* SPDX-License-Identifier: MIT */
/* Snapshot files: a temporary file written while the VM is paused, synced and renamed after. */
#include "snapshot/snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* Snapshots hold the guest's memory: only their owner may read them. */
#define SNAPSHOT_FILE_MODE 0600

static int write_all_at(int fd, const void *buf, uint64_t len, uint64_t offset, const char *path)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_errno(n < 0 ? errno : EIO, "snapshot '%s': write at %llu",
					   path, (unsigned long long)offset);
		p += n;
		len -= (uint64_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

/* Write run r's non-zero pages at offset (zero pages stay holes); return its CRC-32 in *crc. */
static int write_run(const struct snapshot_out *out, const struct guest_memory *mem,
		     const struct ram_scan *scan, const struct ram_run *r, uint64_t offset,
		     uint32_t *crc, uint64_t *written)
{
	const uint8_t *base = mem->map + r->first * SNAPSHOT_PAGE_SIZE;
	uint64_t i = 0;

	*crc = snapshot_crc32(0, base, r->count * SNAPSHOT_PAGE_SIZE);
	while (i < r->count) {
		uint64_t j = i;
		int ret;

		if (!ram_scan_nonzero(scan, r->first + i)) {
			i++;
			continue;
		}
		while (j < r->count && ram_scan_nonzero(scan, r->first + j))
			j++;
		ret = write_all_at(out->fd, base + i * SNAPSHOT_PAGE_SIZE,
				   (j - i) * SNAPSHOT_PAGE_SIZE, offset + i * SNAPSHOT_PAGE_SIZE,
				   out->path);
		if (ret < 0)
			return ret;
		*written += (j - i) * SNAPSHOT_PAGE_SIZE;
		i = j;
	}
	return 0;
}

static void out_free(struct snapshot_out *out)
{
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	free(out->tmp_path);
	free(out->path);
	out->tmp_path = out->path = NULL;
}

void snapshot_file_discard(struct snapshot_out *out)
{
	if (out->tmp_path)
		unlink(out->tmp_path);
	out_free(out);
}

int snapshot_file_write(const char *path, struct snapshot_builder *b,
			const struct guest_memory *mem, const struct ram_scan *scan,
			struct snapshot_out *out)
{
	uint8_t *meta = NULL;
	size_t meta_len;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->path = strdup(path);
	if (!out->path || asprintf(&out->tmp_path, "%s.tmp.%d", path, (int)getpid()) < 0) {
		out->tmp_path = NULL;
		out_free(out);
		return error_set(ENOMEM, "no memory for a file name");
	}
	for (size_t i = 0; i < scan->nruns && ret == 0; i++)
		ret = snapshot_builder_add_extent(b, ram_scan_gpa(mem, scan->runs[i].first),
						  scan->runs[i].count * SNAPSHOT_PAGE_SIZE, 0);
	if (ret == 0)
		ret = snapshot_builder_finish(b, &meta, &meta_len, &out->file_size);
	if (ret < 0) {
		out_free(out);
		return ret;
	}
	free(meta); /* the offsets are what was needed; the CRCs come next */
	meta = NULL;
	out->fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SNAPSHOT_FILE_MODE);
	if (out->fd < 0) {
		ret = error_errno(errno, "snapshot '%s': cannot create '%s'", path, out->tmp_path);
		out_free(out);
		return ret;
	}
	for (size_t i = 0; i < scan->nruns && ret == 0; i++) {
		out->ram_spanned += scan->runs[i].count * SNAPSHOT_PAGE_SIZE;
		ret = write_run(out, mem, scan, &scan->runs[i], b->extents[i].offset,
				&b->extents[i].crc, &out->ram_written);
	}
	out->nextents = scan->nruns;
	if (ret == 0)
		ret = snapshot_builder_finish(b, &meta, &meta_len, &out->file_size);
	if (ret == 0)
		ret = write_all_at(out->fd, meta, meta_len, 0, path);
	/* The holes at the end of the last extent count as the file's bytes too. */
	if (ret == 0 && ftruncate(out->fd, (off_t)out->file_size) < 0)
		ret = error_errno(errno, "snapshot '%s': ftruncate to %llu bytes", path,
				  (unsigned long long)out->file_size);
	free(meta);
	if (ret < 0)
		snapshot_file_discard(out);
	return ret;
}

int snapshot_file_commit(struct snapshot_out *out)
{
	int ret = 0;

	if (fsync(out->fd) < 0)
		ret = error_errno(errno, "snapshot '%s': fsync", out->path);
	else if (rename(out->tmp_path, out->path) < 0)
		ret = error_errno(errno, "snapshot '%s': rename from '%s'", out->path,
				  out->tmp_path);
	if (ret < 0)
		snapshot_file_discard(out);
	else
		out_free(out);
	return ret;
}

static int pread_all(void *opaque, uint64_t offset, void *buf, size_t len)
{
	struct snapshot_in *in = opaque;
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(in->fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(errno, "read at %llu", (unsigned long long)offset);
		if (n == 0)
			return error_set(EIO, "read at %llu: end of file (was it cut meanwhile?)",
					 (unsigned long long)offset);
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int snapshot_file_open(const char *path, struct snapshot_in *in)
{
	struct stat st;
	int ret;

	memset(in, 0, sizeof(*in));
	in->path = path;
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0)
		return error_errno(errno, "snapshot '%s'", path);
	if (fstat(in->fd, &st) < 0)
		ret = error_errno(errno, "snapshot '%s': fstat", path);
	else if (!S_ISREG(st.st_mode))
		ret = error_set(EINVAL, "snapshot '%s': not a regular file", path);
	else
		ret = 0;
	if (ret < 0) {
		close(in->fd);
		in->fd = -1;
		return ret;
	}
	in->reader = (struct snapshot_reader){
		.read = pread_all, .opaque = in, .size = (uint64_t)st.st_size, .name = path
	};
	ret = snapshot_parse(&in->reader, &in->snap);
	if (ret < 0) {
		close(in->fd);
		in->fd = -1;
	}
	return ret;
}

void snapshot_file_close(struct snapshot_in *in)
{
	snapshot_free(&in->snap);
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}
