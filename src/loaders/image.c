/* SPDX-License-Identifier: MIT */
/* Opening a guest file: read it, parse it by its format, settle its boot mode; then place it. */
#include "loaders/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "loaders/sniff.h"
#include "arch/x86/layout.h"

/* The mode an image asks for when the command line names none. */
static enum boot_mode natural_mode(const struct guest_image *img)
{
	switch (img->format) {
	case IMAGE_ELF64:
		return BOOT_MODE_LONG;
	case IMAGE_ELF32:
		return img->higher_half ? BOOT_MODE_PAGING : BOOT_MODE_PROTECTED;
	case IMAGE_FLAT:
		break;
	}
	return BOOT_MODE_REAL;
}

static int check_mode_fits(const struct guest_image *img)
{
	if (img->format == IMAGE_ELF64 && img->mode != BOOT_MODE_LONG)
		return error_set(EINVAL,
				 "guest '%s': an ELF64 image runs in long mode, not %s mode",
				 img->path, boot_mode_name(img->mode));
	if (img->format == IMAGE_ELF32 && img->mode != BOOT_MODE_PROTECTED &&
	    img->mode != BOOT_MODE_PAGING)
		return error_set(
			EINVAL,
			"guest '%s': an ELF32 image runs in protected or paging mode, not %s mode",
			img->path, boot_mode_name(img->mode));
	return 0;
}

/* The first bytes read of every guest file: the ELF header and, nearly always, the program headers. */
#define IMAGE_HEAD_SIZE (64 * LAYOUT_KIB)
/* Program headers read at most: the table, then one range per header. */
#define IMAGE_MAX_RANGES 256

static int does_not_fit(const char *what, const struct guest_image *img, uint64_t bytes,
			uint64_t ram_size)
{
	return error_set(EFBIG, "%s '%s': %llu bytes do not fit in %llu KiB of guest RAM (-m)",
			 what, img->path, (unsigned long long)bytes,
			 (unsigned long long)(ram_size / LAYOUT_KIB));
}

/* Read the ranges of fd that elf_file_ranges() names into img->file, at their offsets. */
static int read_elf_ranges(int fd, const char *what, struct guest_image *img,
			   enum elf_parts parts, uint64_t ram_size)
{
	struct file_range ranges[IMAGE_MAX_RANGES];
	unsigned int n = elf_file_ranges(img->file, img->file_size, parts, ranges, IMAGE_MAX_RANGES);

	for (unsigned int i = 0; i < n; i++) {
		int ret;

		if (ranges[i].len > ram_size)
			return does_not_fit(what, img, ranges[i].len, ram_size);
		ret = file_pread_all(fd, img->path, what, img->file + ranges[i].offset,
				     ranges[i].len, ranges[i].offset);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int image_read(const char *path, const char *what, uint64_t ram_size, enum image_read_mode mode,
	       struct guest_image *img)
{
	uint64_t size;
	int fd, ret;

	ret = file_open_regular(path, what, &fd, &size);
	if (ret < 0)
		return ret;
	if (size > IMAGE_MAX_FILE_SIZE) {
		ret = error_set(EFBIG, "%s '%s': %llu bytes, more than mini-kvm loads (%llu)", what,
				path, (unsigned long long)size,
				(unsigned long long)IMAGE_MAX_FILE_SIZE);
		goto out;
	}
	img->file = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (img->file == MAP_FAILED) {
		img->file = NULL;
		ret = error_errno(errno, "%s '%s': no memory for %llu bytes", what, path,
				  (unsigned long long)size);
		goto out;
	}
	img->file_size = size;
	ret = file_pread_all(fd, path, what, img->file,
			     size < IMAGE_HEAD_SIZE ? size : IMAGE_HEAD_SIZE, 0);
	if (ret == 0 && mode != IMAGE_READ_WHOLE && elf_is_elf(img->file, size)) {
		ret = read_elf_ranges(fd, what, img, ELF_PARTS_PHDRS, ram_size);
		if (ret == 0)
			ret = read_elf_ranges(fd, what, img,
					      mode == IMAGE_READ_LOADS_LATER ? ELF_PARTS_NOT_LOADED
									     : ELF_PARTS_SEGMENTS,
					      ram_size);
		if (ret == 0 && mode == IMAGE_READ_LOADS_LATER) {
			img->loads_later = true;
			img->fd = fd;
			img->what = what;
			return 0;
		}
	} else if (ret == 0 && size > IMAGE_HEAD_SIZE) {
		ret = size > ram_size ? does_not_fit(what, img, size, ram_size)
				      : file_pread_all(fd, path, what, img->file + IMAGE_HEAD_SIZE,
						       size - IMAGE_HEAD_SIZE, IMAGE_HEAD_SIZE);
	}
out:
	close(fd);
	if (ret < 0)
		image_free(img);
	return ret;
}

int image_open(const char *path, const struct image_options *opts, uint64_t ram_size,
	       struct guest_image *img)
{
	uint64_t load;
	int ret;

	memset(img, 0, sizeof(*img));
	snprintf(img->path, sizeof(img->path), "%s", path);
	ret = image_read(path, "guest", ram_size, IMAGE_READ_SEGMENTS, img);
	if (ret < 0)
		goto fail;

	if (elf_is_elf(img->file, img->file_size)) {
		if (opts->has_load) {
			ret = error_set(
				EINVAL,
				"guest '%s': --load applies to flat binaries; an ELF loads at its program headers' addresses",
				path);
			goto fail;
		}
		ret = elf_parse(img->file, img->file_size, img);
	} else {
		enum boot_mode mode = opts->mode ? opts->mode : BOOT_MODE_REAL;

		load = mode == BOOT_MODE_REAL ? LAYOUT_REAL_LOAD : LAYOUT_FLAT_LOAD;
		if (opts->has_load)
			load = opts->load;
		ret = flat_parse(img->file, img->file_size, load, img);
		img->looks_like = image_sniff(img->file, img->file_size);
	}
	if (ret < 0)
		goto fail;

	img->mode = opts->mode ? opts->mode : natural_mode(img);
	img->mode_given = opts->mode != BOOT_MODE_AUTO;
	ret = check_mode_fits(img);
	if (ret < 0)
		goto fail;
	if (opts->has_entry)
		img->entry = opts->entry;
	return 0;
fail:
	image_free(img);
	return ret;
}

void image_free(struct guest_image *img)
{
	if (img->file)
		munmap(img->file, img->file_size ? img->file_size : 1);
	img->file = NULL;
	if (img->loads_later)
		close(img->fd);
	img->loads_later = false;
	img->nsegs = 0;
}

static int check_segment(const struct guest_image *img, const struct image_segment *seg,
			 const struct guest_memory *mem)
{
	struct boot_reserved reserved[4];
	unsigned int n = boot_reserved_ranges(img->mode, reserved, 4);
	uint64_t end = seg->gpa + seg->memsz;

	if (!guest_ptr(mem, seg->gpa, seg->memsz))
		return error_set(
			EFAULT,
			"guest '%s': %llu bytes at 0x%llx do not fit in %llu KiB of guest RAM",
			img->path, (unsigned long long)seg->memsz, (unsigned long long)seg->gpa,
			(unsigned long long)(mem->ram_size / LAYOUT_KIB));
	for (unsigned int i = 0; i < n; i++) {
		if (seg->gpa < reserved[i].end && reserved[i].start < end)
			return error_set(
				EBUSY,
				"guest '%s': [0x%llx, 0x%llx) overlaps %s at [0x%llx, 0x%llx) in %s mode",
				img->path, (unsigned long long)seg->gpa, (unsigned long long)end,
				reserved[i].what, (unsigned long long)reserved[i].start,
				(unsigned long long)reserved[i].end, boot_mode_name(img->mode));
	}
	return 0;
}

/*
 * Put seg's file bytes, at file offset off, at dst (GPA seg->gpa) from img's open file:
 * the whole pages mapped where that pays (image_place_mapped()), recorded in img->maps,
 * the rest read. maps NULL: all read.
 */
static int load_segment(const struct guest_image *img, const struct guest_memory *mem,
			const struct image_segment *seg, uint64_t off, uint8_t *dst,
			struct guest_image *maps)
{
	uint64_t head = (LAYOUT_PAGE_SIZE - seg->gpa % LAYOUT_PAGE_SIZE) % LAYOUT_PAGE_SIZE;
	uint64_t body = 0;
	int ret;

	if (maps && seg->gpa % LAYOUT_PAGE_SIZE == off % LAYOUT_PAGE_SIZE &&
	    seg->filesz >= head + IMAGE_MAP_MIN && maps->nmaps < IMAGE_MAX_SEGMENTS)
		body = (seg->filesz - head) / LAYOUT_PAGE_SIZE * LAYOUT_PAGE_SIZE;
	if (!body)
		return file_pread_all(img->fd, img->path, img->what, dst, seg->filesz, off);
	ret = file_pread_all(img->fd, img->path, img->what, dst, head, off);
	if (ret < 0)
		return ret;
	ret = guest_memory_map_file(mem, seg->gpa + head, body, img->fd, off + head);
	if (ret < 0)
		return error_wrap(-ret, "%s '%s'", img->what, img->path);
	maps->maps[maps->nmaps++] = (struct snapshot_ram_extent){ .gpa = seg->gpa + head,
								  .size = body,
								  .offset = off + head };
	return file_pread_all(img->fd, img->path, img->what, dst + head + body,
			      seg->filesz - head - body, off + head + body);
}

/* The file behind img is still as long as its segments need: a mapping past its end would fault. */
static int check_file_size(const struct guest_image *img)
{
	struct stat st;

	if (fstat(img->fd, &st) < 0)
		return error_errno(errno, "%s '%s': fstat", img->what, img->path);
	for (unsigned int i = 0; i < img->nsegs; i++) {
		uint64_t end = (uint64_t)(img->segs[i].data - img->file) + img->segs[i].filesz;

		if ((uint64_t)st.st_size < end)
			return error_set(
				EIO,
				"%s '%s': the file shrank to %llu bytes, segment %u ends at %llu",
				img->what, img->path, (unsigned long long)st.st_size, i,
				(unsigned long long)end);
	}
	return 0;
}

static int place(const struct guest_image *img, const struct guest_memory *mem,
		 struct guest_image *maps)
{
	for (unsigned int i = 0; i < img->nsegs; i++) {
		const struct image_segment *seg = &img->segs[i];
		uint8_t *dst;
		int ret = check_segment(img, seg, mem);

		if (ret < 0)
			return ret;
		dst = guest_ptr(mem, seg->gpa, seg->memsz);
		if (img->loads_later)
			ret = load_segment(img, mem, seg, (uint64_t)(seg->data - img->file), dst,
					   maps);
		else
			memcpy(dst, seg->data, seg->filesz);
		if (ret < 0)
			return ret;
		memset(dst + seg->filesz, 0, seg->memsz - seg->filesz);
	}
	return 0;
}

int image_place(const struct guest_image *img, const struct guest_memory *mem)
{
	return place(img, mem, NULL);
}

int image_place_mapped(struct guest_image *img, const struct guest_memory *mem)
{
	int ret = img->loads_later ? check_file_size(img) : 0;

	img->nmaps = 0;
	return ret < 0 ? ret : place(img, mem, img);
}
