/* SPDX-License-Identifier: MIT */
/* Recognising files that are not machine code by their first bytes (kernels, archives, text). */
#include "loaders/sniff.h"

#include <stdbool.h>
#include <string.h>

/* Linux boot protocol (boot.rst): the setup header's magic "HdrS" at offset 0x202. */
#define BZIMAGE_MAGIC_OFFSET 0x202
#define BZIMAGE_MAGIC	     "HdrS"

#define ASCII_TAB    0x09
#define ASCII_LF     0x0a
#define ASCII_FF     0x0c
#define ASCII_CR     0x0d
#define ASCII_ESC    0x1b
#define ASCII_SPACE  0x20
#define ASCII_DEL    0x7f
#define UTF8_CONT    0x80 /* 10xxxxxx */
#define UTF8_LEAD2   0xc2 /* the smallest lead byte of a non-overlong sequence */
#define UTF8_LEAD3   0xe0
#define UTF8_LEAD4   0xf0
#define UTF8_LEADMAX 0xf4

struct magic {
	const char *bytes;
	size_t len;
	const char *what;
};

static const struct magic magics[] = {
	{ "070701", 6, "a cpio archive (an initramfs? give it with -i, with -k)" },
	{ "070702", 6, "a cpio archive (an initramfs? give it with -i, with -k)" },
	{ "\x1f\x8b", 2, "gzip-compressed data, not a program" },
	{ "\xfd"
	  "7zXZ\x00",
	  6, "xz-compressed data, not a program" },
	{ "\x28\xb5\x2f\xfd", 4, "zstd-compressed data, not a program" },
	{ "BZh", 3, "bzip2-compressed data, not a program" },
	{ "#!", 2, "a script, not a program for a bare VM" },
	{ "\x7f"
	  "ELF",
	  4, NULL }, /* the ELF loader's: never a flat binary */
};

/*
 * The length of the UTF-8 sequence at p (n bytes left), 0 if it is not one; 1 for
 * ASCII. cut: the sample ends before the file does, so a sequence cut off at its
 * end counts as whole.
 */
static size_t utf8_length(const uint8_t *p, size_t n, bool cut)
{
	size_t len;

	if (p[0] < UTF8_CONT)
		return 1;
	if (p[0] < UTF8_LEAD2 || p[0] > UTF8_LEADMAX)
		return 0;
	len = p[0] >= UTF8_LEAD4 ? 4 : p[0] >= UTF8_LEAD3 ? 3 : 2;
	for (size_t i = 1; i < len; i++) {
		if (i == n)
			return cut ? n : 0;
		if ((p[i] & 0xc0) != UTF8_CONT)
			return 0;
	}
	return len;
}

static bool is_text_byte(uint8_t b)
{
	return b >= ASCII_SPACE || b == ASCII_TAB || b == ASCII_LF || b == ASCII_CR ||
	       b == ASCII_FF || b == ASCII_ESC;
}

/* Printable UTF-8 (and tabs, newlines, form feeds, ANSI escapes), no NUL, no DEL. */
static bool looks_like_text(const uint8_t *buf, size_t size)
{
	bool cut = size > SNIFF_BYTES;
	size_t i = 0;

	if (cut)
		size = SNIFF_BYTES;
	while (i < size) {
		size_t len = utf8_length(buf + i, size - i, cut);

		if (!len || (len == 1 && (!is_text_byte(buf[i]) || buf[i] == ASCII_DEL)))
			return false;
		i += len;
	}
	return size > 0;
}

const char *image_sniff(const uint8_t *buf, size_t size)
{
	if (size >= BZIMAGE_MAGIC_OFFSET + strlen(BZIMAGE_MAGIC) &&
	    !memcmp(buf + BZIMAGE_MAGIC_OFFSET, BZIMAGE_MAGIC, strlen(BZIMAGE_MAGIC)))
		return "a Linux kernel (bzImage): boot it with -k";
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (size >= magics[i].len && !memcmp(buf, magics[i].bytes, magics[i].len))
			return magics[i].what;
	if (looks_like_text(buf, size))
		return "text, not machine code";
	return NULL;
}
