/* SPDX-License-Identifier: MIT */
/* Snapshot files on disk: written beside their name and renamed into place; opened and parsed. */
#ifndef MINI_KVM_SNAPSHOT_SNAPFILE_H
#define MINI_KVM_SNAPSHOT_SNAPFILE_H

#include <stdint.h>

#include "memory.h"
#include "snapshot/format.h"
#include "snapshot/ram_scan.h"

/* A snapshot written but not yet in place. */
struct snapshot_out {
	int fd;		/* the temporary file, -1 once closed */
	char *tmp_path; /* PATH.tmp.PID (malloc()ed) */
	char *path;	/* where it goes (malloc()ed) */
	uint64_t file_size;
	uint64_t ram_written; /* bytes of RAM written (holes not counted) */
	uint64_t ram_spanned; /* bytes the extents span */
	size_t nextents;
};

/*
 * Write a snapshot of b's sections and of the RAM of mem that scan found, into a
 * new temporary file beside path (mode 0600: it holds the guest's memory): one
 * extent per run of the scan, its non-zero pages written and its zero pages left
 * as holes, each extent's CRC-32, then the header and the table. Reads guest RAM:
 * the vCPUs must be paused; does not sync (snapshot_file_commit() does, after the
 * VM runs again). Returns 0 with *out, or -errno with a message (nothing left).
 */
int snapshot_file_write(const char *path, struct snapshot_builder *b,
			const struct guest_memory *mem, const struct ram_scan *scan,
			struct snapshot_out *out);

/*
 * Flush out's file to stable storage and rename it to its path, replacing any file
 * there (a process that has the old one mapped keeps its copy). Returns 0, or -errno
 * with a message (the temporary file removed). Frees out either way.
 */
int snapshot_file_commit(struct snapshot_out *out);

/* Remove out's temporary file and free out. */
void snapshot_file_discard(struct snapshot_out *out);

/* A snapshot opened for restoring (its reader points at it: do not move it once open). */
struct snapshot_in {
	int fd; /* read-only; RAM extents are mapped from it */
	const char *path;
	struct snapshot snap; /* parsed and checked */
	struct snapshot_reader reader;
};

/*
 * Open the snapshot at path and check it (snapshot_parse()). Returns 0 with *in
 * (close with snapshot_file_close()), or -errno with a one-line message naming the
 * file.
 */
int snapshot_file_open(const char *path, struct snapshot_in *in);
void snapshot_file_close(struct snapshot_in *in);

#endif
