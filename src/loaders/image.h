/* SPDX-License-Identifier: MIT */
/* Guest images: a file parsed into segments and an entry point, then placed into guest RAM. */
#ifndef MINI_KVM_IMAGE_H
#define MINI_KVM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/boot_state.h"
#include "memory.h"
#include "snapshot/format.h"

enum image_format { IMAGE_FLAT, IMAGE_ELF32, IMAGE_ELF64 };

/* A run of bytes for guest RAM: filesz bytes from the file, then zeroes up to memsz. */
struct image_segment {
	gpa_t gpa;
	const uint8_t *data; /* points into the image's file buffer */
	uint64_t filesz;
	uint64_t memsz;
};

#define IMAGE_MAX_SEGMENTS 16

struct guest_image {
	char path[256]; /* for messages */
	/*
	 * The file at its own offsets: a private zero-filled mapping of file_size bytes
	 * (at least one page) that holds only what loading reads (see image_open()).
	 */
	uint8_t *file;
	size_t file_size;
	enum image_format format;
	enum boot_mode mode;	/* resolved: never BOOT_MODE_AUTO */
	bool mode_given;	/* --mode chose it (else the image's format did) */
	const char *looks_like; /* a flat binary that is plainly no code: what (sniff.h), or NULL */
	uint64_t entry;		/* linear address the vCPU starts at */
	bool higher_half;	/* ELF: some PT_LOAD has p_vaddr != p_paddr */
	struct image_segment segs[IMAGE_MAX_SEGMENTS];
	unsigned int nsegs;
	/*
	 * IMAGE_READ_LOADS_LATER: the segments' bytes are still in the file, open as fd,
	 * at the offsets their data pointers have in img->file; what names it.
	 */
	bool loads_later;
	int fd;
	const char *what;
	/*
	 * The guest RAM image_place_mapped() put the file in place of (copy-on-write):
	 * GPA, size and file offset of each range (crc and flags 0). Pages of it the guest
	 * never touched are not in the process's page tables: a snapshot must save them
	 * all the same (ram_scan()'s also[]).
	 */
	struct snapshot_ram_extent maps[IMAGE_MAX_SEGMENTS];
	unsigned int nmaps;
};

/* What the command line says about one guest. */
struct image_options {
	enum boot_mode mode; /* BOOT_MODE_AUTO: the image decides */
	bool has_load;
	uint64_t load; /* flat binaries: load address */
	bool has_entry;
	uint64_t entry; /* override of the entry point */
};

/* Largest guest file mini-kvm reads (a guest must also fit in RAM). */
#define IMAGE_MAX_FILE_SIZE (1ULL << 32)

/*
 * Read path and parse it as ELF (by its magic) or as a flat binary, then resolve
 * the boot mode: opts->mode if given, else flat -> real, ELF64 -> long, ELF32 ->
 * paging when a PT_LOAD maps a virtual address to another physical one, else
 * protected. Reads no more than can fit in ram_size bytes of guest RAM: a flat
 * binary larger than that is refused before reading; of an ELF file only its
 * headers and segments are read. Returns 0, or -errno with a message naming the
 * file and the cause (-ENOENT/-EACCES, -ENOEXEC for a malformed or empty file or
 * one that is not a regular file, -EFBIG for one that cannot fit, -EINVAL for
 * options that do not fit the image). Free with image_free().
 */
int image_open(const char *path, const struct image_options *opts, uint64_t ram_size,
	       struct guest_image *img);
void image_free(struct guest_image *img);

/* What image_read() reads of an ELF file (a file that is not ELF is read whole). */
enum image_read_mode {
	IMAGE_READ_SEGMENTS, /* its head, program headers and every segment's bytes */
	IMAGE_READ_WHOLE,    /* all of it */
	/*
	 * Its head, program headers and every segment's bytes but PT_LOAD's, which
	 * image_place() then reads from the file straight into guest RAM: one copy of a
	 * large kernel instead of two (a 60 MiB vmlinux took 3.3 s more than its bzImage
	 * to load in the nested lane). The file stays open until image_free().
	 */
	IMAGE_READ_LOADS_LATER,
};

/*
 * Read the file at path into img->file (what names it in messages: "guest", "PVH
 * kernel"; a string that outlives img): a zero-filled private mapping as large as
 * the file, where untouched pages cost no memory, holding what mode says (a file
 * that is not ELF, or IMAGE_READ_WHOLE, is refused first, unread, if it is larger
 * than ram_size; each ELF range read must be no larger than ram_size). img->path
 * must be set. Returns 0, or -errno with a message: those of file_open_regular(),
 * -EFBIG, -ENOMEM, -EIO. Free with image_free().
 */
int image_read(const char *path, const char *what, uint64_t ram_size, enum image_read_mode mode,
	       struct guest_image *img);

/*
 * Parse an ELF32/ELF64 executable for x86 in buf (size bytes) into img's segments
 * and entry (System V gABI, ELF-64 Object File Format 1.5). Checks every header
 * field it uses against size. Returns 0 or -ENOEXEC with a message. Pure: no I/O.
 */
int elf_parse(const uint8_t *buf, size_t size, struct guest_image *img);

/* True if buf starts with the ELF magic. */
bool elf_is_elf(const uint8_t *buf, size_t size);

/* A run of bytes in a file: [offset, offset + len). */
struct file_range {
	uint64_t offset;
	uint64_t len;
};

/* Which parts of an ELF file elf_file_ranges() names. */
enum elf_parts {
	ELF_PARTS_PHDRS,	  /* the program header table */
	ELF_PARTS_SEGMENTS,	  /* and every program header's file bytes (PT_LOAD, PT_NOTE...) */
	ELF_PARTS_NOT_LOADED, /* and those of every program header but PT_LOAD's */
};

/*
 * The parts of the size-byte ELF file in buf that loading it reads, so that a
 * loader reads those and nothing else (a kernel with gigabytes of debug sections
 * costs only its segments): the program header table, read from the ELF header
 * alone; with ELF_PARTS_SEGMENTS or ELF_PARTS_NOT_LOADED (once that table is in buf),
 * also the program headers' file bytes they name. Ranges outside the file are left
 * out (elf_parse() refuses them). Fills at most max ranges; returns how many, 0 for a
 * buffer without an ELF header. Pure.
 */
unsigned int elf_file_ranges(const uint8_t *buf, size_t size, enum elf_parts parts,
			     struct file_range *ranges, unsigned int max);

/*
 * Describe a flat binary of size bytes in buf as one segment at load. Returns 0
 * or -ENOEXEC for an empty file. Pure.
 */
int flat_parse(const uint8_t *buf, size_t size, uint64_t load, struct guest_image *img);

/*
 * Copy img's segments into mem (from the file, for IMAGE_READ_LOADS_LATER), zero-
 * filling up to memsz. Refuses (-EFAULT / -EBUSY, with a message) a segment outside
 * guest RAM or overlapping the boot structures of img->mode (see
 * boot_reserved_ranges()); -EIO or a read's -errno if the file shrank or failed.
 */
int image_place(const struct guest_image *img, const struct guest_memory *mem);

/*
 * Segments smaller than this are read even where they could be mapped: a mapping
 * costs a VMA and a page-table walk of its own, a read of a few pages does not.
 */
#define IMAGE_MAP_MIN (64 * 1024)

/*
 * image_place(), but for IMAGE_READ_LOADS_LATER the whole pages of each segment whose
 * file offset and GPA lie at the same offset into a page (ELF's p_align makes them
 * congruent; Linux's vmlinux is) are not read: the file is mapped over guest RAM
 * there, copy-on-write (guest_memory_map_file()), and the kernel faults in what the
 * guest touches from the page cache. Partial pages at a segment's ends, segments of
 * less than IMAGE_MAP_MIN bytes and incongruent ones are read as image_place() reads
 * them. Records the mapped ranges in img->maps. The file must be at least as long as
 * every segment needs (checked: -EIO otherwise, as a read past its end) and must not
 * shrink while the guest runs (guest_memory_map_file()). Returns image_place()'s
 * results, or -errno of mmap or fstat with a message.
 */
int image_place_mapped(struct guest_image *img, const struct guest_memory *mem);

#endif
