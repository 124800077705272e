/* SPDX-License-Identifier: MIT */
/* virtio-blk (virtio 1.2, 5.2): requests on a host file with synchronous system calls. */
#include "virtio/virtio_blk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "virtio/virtio.h"

/* The config layout is the spec's (5.2.4): check the offsets Linux reads. */
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20, "blk_size at 20");
_Static_assert(offsetof(struct virtio_blk_config, writeback) == 32, "writeback at 32");
_Static_assert(offsetof(struct virtio_blk_config, max_discard_sectors) == 36, "discard at 36");
_Static_assert(offsetof(struct virtio_blk_config, write_zeroes_may_unmap) == 56, "wz at 56");
_Static_assert(sizeof(struct virtio_blk_config) == 72, "72 bytes up to secure erase");

/*
 * Zeroes for write-zeroes without fallocate. Not const: in .bss, never written, it
 * costs no page of the binary's file until read, where in .rodata it took 64 KiB of
 * the program's read-only data into the pages every run maps (peak RSS; make bench,
 * "tiny").
 */
#define ZERO_CHUNK 65536
static uint8_t zeroes[ZERO_CHUNK];

/* The request header (5.2.6), as read from the chain. */
struct req_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct req_header) == VIRTIO_BLK_REQ_HEADER_SIZE, "16-byte header");

/* One discard / write-zeroes segment (5.2.6). */
struct dwz_segment {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};
_Static_assert(sizeof(struct dwz_segment) == VIRTIO_BLK_DWZ_SEG_SIZE, "16-byte segment");

static void set_id(struct virtio_blk *blk, const char *serial)
{
	const char *base;
	size_t i;

	if (!serial) {
		base = strrchr(blk->path, '/');
		serial = base ? base + 1 : blk->path;
	}
	memset(blk->id, 0, sizeof(blk->id));
	for (i = 0; i < sizeof(blk->id) && serial[i]; i++)
		blk->id[i] = serial[i] >= ' ' && serial[i] <= '~' ? serial[i] : '_'; /* ASCII */
}

/* Does the file system punch holes? A hole past the end changes no data. */
static bool can_punch(int fd, off_t size)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size, 1) == 0;
}

static void build_config(struct virtio_blk *blk)
{
	struct virtio_blk_config *c = &blk->config;

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(blk->capacity);
	c->size_max = htole32(VIRTIO_BLK_SIZE_MAX);
	c->seg_max = htole32(VIRTIO_BLK_SEG_MAX);
	c->blk_size = htole32(VIRTIO_BLK_SECTOR_SIZE);
	blk->features = VIRTIO_FEATURE(VIRTIO_BLK_F_SIZE_MAX) |
			VIRTIO_FEATURE(VIRTIO_BLK_F_SEG_MAX) |
			VIRTIO_FEATURE(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH);
	if (blk->read_only)
		blk->features |= VIRTIO_FEATURE(VIRTIO_BLK_F_RO);
	if (blk->discard) {
		blk->features |= VIRTIO_FEATURE(VIRTIO_BLK_F_DISCARD) |
				 VIRTIO_FEATURE(VIRTIO_BLK_F_WRITE_ZEROES);
		c->max_discard_sectors = htole32(VIRTIO_BLK_DWZ_SECTORS_MAX);
		c->max_discard_seg = htole32(VIRTIO_BLK_DWZ_SEGS_MAX);
		c->discard_sector_alignment = htole32(VIRTIO_BLK_DISCARD_ALIGNMENT);
		c->max_write_zeroes_sectors = htole32(VIRTIO_BLK_DWZ_SECTORS_MAX);
		c->max_write_zeroes_seg = htole32(VIRTIO_BLK_DWZ_SEGS_MAX);
		c->write_zeroes_may_unmap = 1;
	}
}

int virtio_blk_open(struct virtio_blk *blk, const char *path, bool read_only, const char *serial)
{
	uint64_t size;
	int fd, ret;

	memset(blk, 0, sizeof(*blk));
	blk->fd = -1;
	blk->path = path;
	blk->read_only = read_only;
	snprintf(blk->name, sizeof(blk->name), "virtio-blk '%s'", path);
	ret = file_open_disk(path, read_only, &fd, &size);
	if (ret < 0)
		return ret;
	blk->fd = fd;
	blk->capacity = size / VIRTIO_BLK_SECTOR_SIZE;
	blk->discard = !read_only && can_punch(fd, (off_t)size);
	set_id(blk, serial);
	build_config(blk);
	return 0;
}

int virtio_blk_close(struct virtio_blk *blk)
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

/* --- requests ---------------------------------------------------------------- */

/* What one request produced: its status, data bytes written, and whether to log. */
struct outcome {
	uint8_t status;
	uint64_t data_written; /* bytes of the data area written before the status byte */
	int log;	       /* VIRTIO_REQ_DONE or VIRTIO_REQ_DONE_LOG (message set) */
};

/* [sector, sector + count) inside the disk, without overflow. */
static bool in_range(const struct virtio_blk *blk, uint64_t sector, uint64_t count)
{
	return sector <= blk->capacity && count <= blk->capacity - sector;
}

/* Fail the request with IOERR and log why: err is an errno, or -1 for a short file. */
static void host_error(struct outcome *out, int err, const struct virtio_blk *blk, const char *what,
		       uint64_t sector)
{
	out->status = VIRTIO_BLK_S_IOERR;
	out->log = VIRTIO_REQ_DONE_LOG;
	if (err < 0)
		error_set(EIO,
			  "%s at sector %llu of '%s' failed: the file is shorter than the "
			  "disk (truncated meanwhile?)",
			  what, (unsigned long long)sector, blk->path);
	else
		error_set(err, "%s at sector %llu of '%s' failed: %s", what,
			  (unsigned long long)sector, blk->path, strerror(err));
}

/*
 * preadv/pwritev all of iov[0, n) at offset, retrying short transfers. iov is consumed.
 * Returns 0, a positive errno, or -1 when a read meets the end of the file.
 */
static int transfer(int fd, bool write, struct iovec *iov, unsigned int n, uint64_t offset)
{
	while (n) {
		ssize_t done = write ? pwritev(fd, iov, (int)n, (off_t)offset)
				     : preadv(fd, iov, (int)n, (off_t)offset);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return errno;
		if (done == 0)
			return -1;
		offset += (uint64_t)done;
		while (n && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

/* IN (read: disk to the data area) and OUT (write: the data area to disk). */
static void read_write(struct virtio_blk *blk, const struct virtq_chain *c, bool write,
		       uint64_t sector, struct outcome *out)
{
	uint64_t len = write ? c->out_len - VIRTIO_BLK_REQ_HEADER_SIZE : c->in_len - 1u;
	struct iovec iov[VIRTQ_CHAIN_MAX];
	unsigned int n;
	int err;

	if (write && blk->read_only) {
		out->status = VIRTIO_BLK_S_IOERR; /* and no data written (5.2.6.2) */
		return;
	}
	if (len % VIRTIO_BLK_SECTOR_SIZE || !in_range(blk, sector, len / VIRTIO_BLK_SECTOR_SIZE)) {
		out->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	if (write)
		n = virtq_iov_slice(virtq_chain_out(c), c->nout, VIRTIO_BLK_REQ_HEADER_SIZE, len,
				    iov, VIRTQ_CHAIN_MAX);
	else
		n = virtq_iov_slice(virtq_chain_in(c), c->nin, 0, len, iov, VIRTQ_CHAIN_MAX);
	err = transfer(blk->fd, write, iov, n, sector * VIRTIO_BLK_SECTOR_SIZE);
	if (err) {
		host_error(out, err, blk, write ? "write" : "read", sector);
		return;
	}
	out->status = VIRTIO_BLK_S_OK;
	if (!write)
		out->data_written = len;
}

static void get_id(struct virtio_blk *blk, const struct virtq_chain *c, struct outcome *out)
{
	uint64_t room = c->in_len - 1u;
	struct iovec pad[VIRTQ_CHAIN_MAX];
	unsigned int n;

	if (room < VIRTIO_BLK_ID_BYTES) {
		out->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	virtq_iov_from_buf(virtq_chain_in(c), c->nin, 0, blk->id, VIRTIO_BLK_ID_BYTES);
	/* Pad the rest of the data area so that all of it counts as written. */
	n = virtq_iov_slice(virtq_chain_in(c), c->nin, VIRTIO_BLK_ID_BYTES,
			    room - VIRTIO_BLK_ID_BYTES, pad, VIRTQ_CHAIN_MAX);
	for (unsigned int i = 0; i < n; i++)
		memset(pad[i].iov_base, 0, pad[i].iov_len);
	out->status = VIRTIO_BLK_S_OK;
	out->data_written = room;
}

/* Write zeroes over [offset, offset + len) with pwrite: the last resort. */
static int write_zeroes_slowly(int fd, uint64_t offset, uint64_t len)
{
	while (len) {
		size_t chunk = len < ZERO_CHUNK ? len : ZERO_CHUNK;
		ssize_t done = pwrite(fd, zeroes, chunk, (off_t)offset);

		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0)
			return done < 0 ? errno : EIO;
		offset += (uint64_t)done;
		len -= (uint64_t)done;
	}
	return 0;
}

/* One discard or write-zeroes segment, checked already. Returns 0 or an errno. */
static int apply_segment(struct virtio_blk *blk, bool discard, const struct dwz_segment *s)
{
	off_t offset = (off_t)(s->sector * VIRTIO_BLK_SECTOR_SIZE);
	off_t len = (off_t)s->num_sectors * VIRTIO_BLK_SECTOR_SIZE;
	bool unmap = s->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;

	if (len == 0)
		return 0;
	if (discard || unmap) {
		if (fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) ==
		    0)
			return 0;
		/* Discard is a hint (5.2.6.2): where holes cannot be punched, keep the data. */
		if (discard)
			return errno == EOPNOTSUPP ? 0 : errno;
	}
	/* Write zeroes: reads of the range MUST return zeroes afterwards (5.2.6.2). */
	if (fallocate(blk->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return errno;
	return write_zeroes_slowly(blk->fd, (uint64_t)offset, (uint64_t)len);
}

static void discard_write_zeroes(struct virtio_blk *blk, const struct virtq_chain *c, bool discard,
				 struct outcome *out)
{
	uint64_t len = c->out_len - VIRTIO_BLK_REQ_HEADER_SIZE;
	struct dwz_segment seg[VIRTIO_BLK_DWZ_SEGS_MAX];
	uint64_t feature = discard ? VIRTIO_FEATURE(VIRTIO_BLK_F_DISCARD)
				   : VIRTIO_FEATURE(VIRTIO_BLK_F_WRITE_ZEROES);
	unsigned int n;

	if (blk->read_only) {
		out->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	if (!(blk->negotiated & feature)) {
		out->status = VIRTIO_BLK_S_UNSUPP;
		return;
	}
	n = (unsigned int)(len / VIRTIO_BLK_DWZ_SEG_SIZE);
	if (len % VIRTIO_BLK_DWZ_SEG_SIZE || n == 0 || n > VIRTIO_BLK_DWZ_SEGS_MAX) {
		out->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	virtq_iov_to_buf(virtq_chain_out(c), c->nout, VIRTIO_BLK_REQ_HEADER_SIZE, seg,
			 n * sizeof(seg[0]));
	/* Check every segment before touching the disk. */
	for (unsigned int i = 0; i < n; i++) {
		seg[i].sector = le64toh(seg[i].sector);
		seg[i].num_sectors = le32toh(seg[i].num_sectors);
		seg[i].flags = le32toh(seg[i].flags);
		if (seg[i].flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
		    (discard && seg[i].flags)) {
			out->status = VIRTIO_BLK_S_UNSUPP; /* 5.2.6.2 */
			return;
		}
		if (seg[i].num_sectors > VIRTIO_BLK_DWZ_SECTORS_MAX ||
		    !in_range(blk, seg[i].sector, seg[i].num_sectors)) {
			out->status = VIRTIO_BLK_S_IOERR;
			return;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		int err = apply_segment(blk, discard, &seg[i]);

		if (err) {
			host_error(out, err, blk, discard ? "discard" : "write zeroes",
				   seg[i].sector);
			return;
		}
	}
	out->status = VIRTIO_BLK_S_OK;
}

static int blk_handle(void *opaque, unsigned int queue, const struct virtq_chain *c,
		      uint32_t *written)
{
	struct virtio_blk *blk = opaque;
	struct outcome out = { .status = VIRTIO_BLK_S_UNSUPP, .log = VIRTIO_REQ_DONE };
	struct req_header h;
	uint64_t room;

	(void)queue;
	if (c->out_len < VIRTIO_BLK_REQ_HEADER_SIZE || c->in_len < 1)
		return error_set(EINVAL,
				 "request of head %u: %u device-readable bytes (the header needs "
				 "%d) and %u device-writable (the status needs 1)",
				 c->head, c->out_len, VIRTIO_BLK_REQ_HEADER_SIZE, c->in_len);
	virtq_iov_to_buf(virtq_chain_out(c), c->nout, 0, &h, sizeof(h));
	h.type = le32toh(h.type);
	h.sector = le64toh(h.sector);
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		read_write(blk, c, h.type == VIRTIO_BLK_T_OUT, h.sector, &out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		out.status = VIRTIO_BLK_S_OK;
		/* On the host's disk when the guest's flush completes. */
		if (!blk->read_only && fdatasync(blk->fd) < 0)
			host_error(&out, errno, blk, "flush", 0);
		break;
	case VIRTIO_BLK_T_GET_ID:
		get_id(blk, c, &out);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		discard_write_zeroes(blk, c, h.type == VIRTIO_BLK_T_DISCARD, &out);
		break;
	default:
		break; /* GET_LIFETIME, SECURE_ERASE, zoned and unknown types: UNSUPP */
	}
	virtq_iov_from_buf(virtq_chain_in(c), c->nin, c->in_len - 1u, &out.status, 1);
	room = c->in_len - 1u;
	if (out.data_written == room)
		*written = c->in_len;
	else
		*written = 0; /* only the status byte, not contiguous with the start */
	return out.log;
}

static void blk_activate(void *opaque, uint64_t features)
{
	struct virtio_blk *blk = opaque;

	blk->negotiated = features;
}

static void blk_reset(void *opaque)
{
	struct virtio_blk *blk = opaque;

	blk->negotiated = 0;
}

void virtio_blk_device(struct virtio_blk *blk, struct virtio_device *dev)
{
	*dev = (struct virtio_device){
		.name = blk->name,
		.thread_name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.features = blk->features,
		.config = &blk->config,
		.config_len = sizeof(blk->config),
		.num_queues = 1,
		.queue_size_max = VIRTIO_BLK_QUEUE_SIZE,
		.handle = blk_handle,
		.activate = blk_activate,
		.reset = blk_reset,
		.opaque = blk,
	};
}

void virtio_blk_save(const struct virtio_blk *blk, struct virtio_blk_state *out)
{
	*out = (struct virtio_blk_state){
		.capacity = blk->capacity,
		.negotiated = blk->negotiated,
		.read_only = blk->read_only,
	};
}

int virtio_blk_restore(struct virtio_blk *blk, const struct virtio_blk_state *in)
{
	if (in->capacity != blk->capacity || in->read_only != blk->read_only)
		return error_set(
			EINVAL,
			"disk '%s': snapshot of a %s disk of %llu sectors, not %s with %llu",
			blk->path, in->read_only ? "read-only" : "writable",
			(unsigned long long)in->capacity, blk->read_only ? "read-only" : "writable",
			(unsigned long long)blk->capacity);
	if (in->reserved)
		return error_set(EINVAL, "disk '%s': snapshot with reserved bits set", blk->path);
	/* The transport's bits (VERSION_1...) are its own business; the device's must fit. */
	if (in->negotiated & VIRTIO_DEVICE_FEATURES_MASK & ~blk->features)
		return error_set(EINVAL, "disk '%s': snapshot features 0x%llx were not offered",
				 blk->path, (unsigned long long)in->negotiated);
	blk->negotiated = in->negotiated;
	return 0;
}
