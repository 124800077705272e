/* SPDX-License-Identifier: MIT */
/* Flat binaries: the file's bytes, copied to one load address. */
#include <errno.h>

#include "error.h"
#include "loaders/image.h"

int flat_parse(const uint8_t *buf, size_t size, uint64_t load, struct guest_image *img)
{
	if (size == 0)
		return error_set(ENOEXEC, "guest '%s': empty file", img->path);
	img->format = IMAGE_FLAT;
	img->entry = load;
	img->segs[0] =
		(struct image_segment){ .gpa = load, .data = buf, .filesz = size, .memsz = size };
	img->nsegs = 1;
	return 0;
}
