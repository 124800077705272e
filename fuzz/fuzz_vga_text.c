/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the --vga-text renderer on guest-written text buffers and output sizes. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/crtc.h"

/*
 * Input: flags (1 byte), the current and previous cursors (2 bytes each, signed),
 * an output size (2 bytes), then the current frame's bytes and the previous
 * frame's (each VGA_TEXT_SIZE bytes, zero-padded; no previous frame if the input
 * ends first). Oracle: ASan on an output buffer of exactly the given size; a
 * VGA_TEXT_RENDER_MAX buffer always suffices; the result is NUL-terminated at the
 * returned length.
 */

#define HEADER 7

static uint8_t cur[VGA_TEXT_SIZE], prev[VGA_TEXT_SIZE];
static char big[VGA_TEXT_RENDER_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vga_text_frame fc, fp;
	unsigned int flags;
	int16_t cc, pc;
	uint16_t out_size;
	size_t body, n;
	bool has_prev;
	char *out;
	int ret;

	if (size < HEADER)
		return 0;
	flags = data[0];
	memcpy(&cc, data + 1, 2);
	memcpy(&pc, data + 3, 2);
	memcpy(&out_size, data + 5, 2);
	body = size - HEADER;
	memset(cur, 0, sizeof(cur));
	memset(prev, 0, sizeof(prev));
	n = body < VGA_TEXT_SIZE ? body : VGA_TEXT_SIZE;
	memcpy(cur, data + HEADER, n);
	has_prev = body > VGA_TEXT_SIZE;
	if (has_prev)
		memcpy(prev, data + HEADER + n,
		       body - n < VGA_TEXT_SIZE ? body - n : VGA_TEXT_SIZE);
	fc = (struct vga_text_frame){ cur, cc };
	fp = (struct vga_text_frame){ prev, pc };

	ret = vga_text_render(&fc, has_prev ? &fp : NULL, flags, big, sizeof(big));
	if (ret < 0 || (size_t)ret >= sizeof(big) || strlen(big) != (size_t)ret)
		abort();
	out = malloc(out_size ? out_size : 1);
	if (!out)
		return 0;
	ret = vga_text_render(&fc, has_prev ? &fp : NULL, flags, out, out_size);
	if (ret == -ENOSPC) {
		if (out_size && strlen(out) >= out_size)
			abort();
	} else if (ret < 0 || (size_t)ret >= out_size || strlen(out) != (size_t)ret) {
		abort();
	}
	free(out);
	return 0;
}
