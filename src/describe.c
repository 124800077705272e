/* SPDX-License-Identifier: MIT */
/* -v: what each guest is (format, boot mode, where it loads) and what it is given. */
#include "describe.h"

#include <inttypes.h>
#include <stdio.h>

#include "linux.h"
#include "loaders/image.h"
#include "options.h"

#define BOOT_PROTOCOL_MAJOR_SHIFT 8
#define BOOT_PROTOCOL_MINOR_MASK  0xff

static const char *format_name(enum image_format f)
{
	switch (f) {
	case IMAGE_FLAT:
		return "flat binary";
	case IMAGE_ELF32:
		return "ELF32";
	case IMAGE_ELF64:
		return "ELF64";
	}
	return "?";
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

void describe_image(char *out, size_t size, const char *label, const struct guest_image *img,
		    const struct options *opts)
{
	uint64_t first = UINT64_MAX, end = 0, bytes = 0;

	for (unsigned int i = 0; i < img->nsegs; i++) {
		const struct image_segment *s = &img->segs[i];

		if (s->gpa < first)
			first = s->gpa;
		if (s->gpa + s->memsz > end)
			end = s->gpa + s->memsz;
		bytes += s->memsz;
	}
	if (!img->nsegs)
		first = 0;
	snprintf(out, size,
		 "%s '%s': %s, %s mode%s, %u segment%s (%" PRIu64 " bytes) in 0x%" PRIx64
		 "-0x%" PRIx64 ", entry 0x%" PRIx64 "; %" PRIu64 " MiB of RAM, %u vCPU%s%s",
		 label, img->path, format_name(img->format), boot_mode_name(img->mode),
		 img->mode_given ? " (--mode)" : "", img->nsegs, plural(img->nsegs), bytes, first,
		 end, img->entry, opts->mem_size >> 20, opts->cpus, plural(opts->cpus),
		 opts->irqchip ? ", in-kernel irqchip" : "");
}

void describe_linux(char *out, size_t size, const char *label, const struct linux_guest *lg,
		    const struct options *opts)
{
	unsigned int version = lg->bz.hdr.version;
	char kernel[sizeof(lg->bz.path) + 64];

	if (lg->path == LINUX_BOOT_PVH)
		snprintf(kernel, sizeof(kernel), "vmlinux '%s' (PVH entry 0x%" PRIx32 ")",
			 lg->pvh.img.path, lg->pvh.phys32_entry);
	else
		snprintf(kernel, sizeof(kernel), "bzImage '%s' (boot protocol %u.%02u)", lg->bz.path,
			 version >> BOOT_PROTOCOL_MAJOR_SHIFT, version & BOOT_PROTOCOL_MINOR_MASK);
	snprintf(out, size,
		 "%s %s, initrd %s%s%s (%zu bytes), command line '%s'; %" PRIu64
		 " MiB of RAM, %u vCPU%s",
		 label, kernel, lg->initrd_path ? "'" : "",
		 lg->initrd_path ? lg->initrd_path : "none", lg->initrd_path ? "'" : "",
		 lg->initrd_size, lg->cmdline, (uint64_t)(opts->mem_size >> 20), opts->cpus,
		 plural(opts->cpus));
}
