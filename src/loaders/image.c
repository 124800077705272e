/* Opening a guest file: read it, parse it by its format, settle its boot mode; then place it. */
#include "loaders/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "file.h"
#include "layout.h"

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

int image_open(const char *path, const struct image_options *opts, struct guest_image *img)
{
	uint64_t load;
	int ret;

	memset(img, 0, sizeof(*img));
	snprintf(img->path, sizeof(img->path), "%s", path);
	ret = file_read_all(path, "guest", IMAGE_MAX_FILE_SIZE, &img->file, &img->file_size);
	if (ret < 0)
		return ret;

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
	}
	if (ret < 0)
		goto fail;

	img->mode = opts->mode ? opts->mode : natural_mode(img);
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
	free(img->file);
	img->file = NULL;
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

int image_place(const struct guest_image *img, const struct guest_memory *mem)
{
	for (unsigned int i = 0; i < img->nsegs; i++) {
		const struct image_segment *seg = &img->segs[i];
		uint8_t *dst;
		int ret = check_segment(img, seg, mem);

		if (ret < 0)
			return ret;
		dst = guest_ptr(mem, seg->gpa, seg->memsz);
		memcpy(dst, seg->data, seg->filesz);
		memset(dst + seg->filesz, 0, seg->memsz - seg->filesz);
	}
	return 0;
}
