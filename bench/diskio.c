/* SPDX-License-Identifier: MIT */
/* bench/diskio.c: O_DIRECT sequential write and read and 4 KiB random reads on a block device, timed. */
/*
 * diskio DEVICE MIB SECONDS, in the Linux guest of make bench's disk benchmark (static,
 * on the bench's root image as /bin/diskio): writes MIB MiB in 1 MiB blocks from the
 * start of DEVICE (then fdatasync), writes them once more the same way (a rewrite: a
 * fresh sparse disk file has its blocks by then, so this pass times the VMM's path
 * rather than the host allocating the file's pages), reads them back in 1 MiB blocks,
 * then reads random 4 KiB blocks of those MIB MiB for SECONDS, one at a time (queue
 * depth 1), all with O_DIRECT so that the guest's page cache serves nothing. Prints
 * one line:
 *   diskio: mib=64 write_mbps=123.4 rewrite_mbps=150.2 read_mbps=234.5 rand_iops=3456 rand_reads=10368
 * (MB/s in MiB per second). Exit status 1 with a message on a failure. Built with
 * -D_GNU_SOURCE (O_DIRECT) by bench/bench.mk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB	      (1024 * 1024)
#define BLOCK	      MIB  /* sequential transfers */
#define SMALL	      4096 /* random reads */
#define ALIGN	      4096 /* O_DIRECT buffers and offsets */
#define NS_PER_SEC    1000000000.0
#define FILL_BYTE     0x5a
#define XORSHIFT_SEED 0x9e3779b97f4a7c15ULL
#define RAND_BATCH    16 /* random reads between two clock reads */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / NS_PER_SEC;
}

static int fail(const char *what, const char *device)
{
	fprintf(stderr, "diskio: %s %s: %s\n", what, device, strerror(errno));
	return 1;
}

/* A small fast generator: the offsets need only be spread, not secret. */
static uint64_t xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Write mib MiB of buf from offset 0 in 1 MiB blocks, then fdatasync: seconds, or -1. */
static double write_all(int fd, const void *buf, long mib)
{
	double start = now();

	for (long i = 0; i < mib; i++)
		if (pwrite(fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK)
			return -1;
	if (fdatasync(fd) < 0)
		return -1;
	return now() - start;
}

int main(int argc, char **argv)
{
	uint64_t state = XORSHIFT_SEED, reads = 0, blocks;
	double start, write_s, rewrite_s, read_s, rand_s, seconds;
	long mib;
	void *buf;
	int fd;

	if (argc != 4 || (mib = strtol(argv[2], NULL, 10)) <= 0 ||
	    (seconds = strtod(argv[3], NULL)) <= 0) {
		fprintf(stderr, "usage: diskio DEVICE MIB SECONDS\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail("open", argv[1]);
	if (posix_memalign(&buf, ALIGN, BLOCK)) {
		fprintf(stderr, "diskio: out of memory\n");
		return 1;
	}
	memset(buf, FILL_BYTE, BLOCK);

	write_s = write_all(fd, buf, mib);
	if (write_s < 0)
		return fail("write", argv[1]);
	rewrite_s = write_all(fd, buf, mib);
	if (rewrite_s < 0)
		return fail("rewrite", argv[1]);

	start = now();
	for (long i = 0; i < mib; i++)
		if (pread(fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK)
			return fail("read", argv[1]);
	read_s = now() - start;

	blocks = (uint64_t)mib * MIB / SMALL;
	start = now();
	do {
		/* A batch between clock reads, so that the clock costs nothing. */
		for (int i = 0; i < RAND_BATCH; i++, reads++)
			if (pread(fd, buf, SMALL, (off_t)(xorshift(&state) % blocks) * SMALL) !=
			    SMALL)
				return fail("random read", argv[1]);
		rand_s = now() - start;
	} while (rand_s < seconds);

	printf("diskio: mib=%ld write_mbps=%.1f rewrite_mbps=%.1f read_mbps=%.1f rand_iops=%.0f "
	       "rand_reads=%llu\n",
	       mib, mib / write_s, mib / rewrite_s, mib / read_s, reads / rand_s,
	       (unsigned long long)reads);
	close(fd);
	free(buf);
	return 0;
}
