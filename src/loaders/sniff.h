/* SPDX-License-Identifier: MIT */
/* What a file given as a flat GUEST binary looks like when it is plainly not machine code. */
#ifndef MINI_KVM_SNIFF_H
#define MINI_KVM_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* How far into a file image_sniff() looks. */
#define SNIFF_BYTES 4096

/*
 * Look at the first bytes of a file (size bytes in buf) that is about to run as a
 * flat binary, as kvmtool warns about a kernel image that is none: a Linux bzImage
 * ("HdrS" at 0x202: boot it with -k), a cpio archive (an initramfs: -i), gzip, xz,
 * zstd or bzip2 data, a script ("#!"), or text (printable UTF-8 with no NUL in the
 * first SNIFF_BYTES). Returns a static description with what to do, or NULL when it
 * may well be machine code. Pure.
 * Sources: Linux boot.rst ("HdrS" at 0x202); cpio(5) newc "070701"/"070702"; RFC
 * 1952 (gzip 1f 8b); the xz, zstd (RFC 8878) and bzip2 ("BZh") magic numbers.
 */
const char *image_sniff(const uint8_t *buf, size_t size);

#endif
