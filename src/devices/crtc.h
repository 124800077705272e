/* SPDX-License-Identifier: MIT */
/* CGA/VGA CRT controller index/data ports (0x3d4/0x3d5), and a terminal renderer of 80x25 text. */
#ifndef MINI_KVM_DEV_CRTC_H
#define MINI_KVM_DEV_CRTC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/layout.h"

/* Ports and the text buffer: arch/x86/layout.h (PORT_CRTC_*, CRTC_PORTS, VGA_TEXT_BASE, VGA_TEXT_WINDOW). */

/* CRTC registers (IBM VGA Technical Reference, CRT controller registers CR00-CR18). */
#define CRTC_REGS	    0x19
#define CRTC_MAX_SCAN_LINE  0x09
#define CRTC_CURSOR_START   0x0a /* bit 5: cursor off; bits 4:0 first scan line */
#define CRTC_CURSOR_END	    0x0b
#define CRTC_START_HI	    0x0c /* start address: the cell shown top left */
#define CRTC_START_LO	    0x0d
#define CRTC_CURSOR_HI	    0x0e /* cursor location: a cell from VGA_TEXT_BASE */
#define CRTC_CURSOR_LO	    0x0f
#define CRTC_CURSOR_DISABLE 0x20
#define CRTC_NO_REGISTER    0xff /* what the data port reads at an index past CR18 */

#define VGA_TEXT_COLS  80
#define VGA_TEXT_ROWS  25
#define VGA_TEXT_CELLS (VGA_TEXT_COLS * VGA_TEXT_ROWS)
#define VGA_TEXT_SIZE  (VGA_TEXT_CELLS * 2) /* a character byte, then an attribute byte */

/* The CRTC: registers only; nothing is scanned out. Thread-safe. */
struct crtc {
	pthread_mutex_t lock; /* guards the fields below */
	uint8_t index;	      /* the index port, as written (and read back, as on a VGA) */
	uint8_t regs[CRTC_REGS];
};

/* Registers as a BIOS leaves them in 80x25 text mode 03h (cursor at 0, start 0). */
void crtc_init(struct crtc *c);
void crtc_destroy(struct crtc *c);

/*
 * Bus handlers (the crtc as opaque) for CRTC_PORTS ports from PORT_CRTC_INDEX: the
 * index port reads back, the data port reads or writes the indexed register
 * (CRTC_NO_REGISTER past CR18, whose writes are dropped). A wider access reaches the
 * next port byte by byte, so `outw 0x3d4, (value << 8) | index` works. Returns 0, or
 * -EINVAL for a size outside 1..8 (a VMM bug).
 */
int crtc_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int crtc_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

/*
 * What the screen shows: *start, the cell at the top left, counted from
 * VGA_TEXT_BASE (the VM reads VGA_TEXT_SIZE bytes from VGA_TEXT_BASE + 2 * start,
 * wrapping in VGA_TEXT_WINDOW); *cursor, the cursor's cell on that screen
 * (0 .. VGA_TEXT_CELLS - 1), or -1 when it is switched off or off the screen.
 */
void crtc_text_view(struct crtc *c, uint16_t *start, int *cursor);

/* Saved state: fixed layout. */
struct crtc_state {
	uint8_t index;		 /* as written */
	uint8_t regs[CRTC_REGS]; /* CR00 - CR18 */
	uint8_t reserved[6];	 /* zero */
};
_Static_assert(sizeof(struct crtc_state) == 32, "crtc_state has holes");

/* Save into *out (every byte written); restore refuses non-zero reserved bytes (-EINVAL). */
void crtc_save(const struct crtc *c, struct crtc_state *out);
int crtc_restore(struct crtc *c, const struct crtc_state *in);

/* ---- --vga-text: the text buffer as terminal output ---------------------------- */

/* One frame of the text screen. */
struct vga_text_frame {
	const uint8_t *cells; /* VGA_TEXT_SIZE bytes: character, attribute; row by row */
	int cursor;	      /* cursor cell (0 .. VGA_TEXT_CELLS - 1), or -1: hidden */
};

#define VGA_TEXT_ANSI 0x1 /* redraw in place with ANSI cursor positioning (else lines) */
#define VGA_TEXT_UTF8 0x2 /* show code page 437 glyphs 0x80-0xff as UTF-8 (else '.') */

/* Room for any rendering, its terminating NUL included. */
#define VGA_TEXT_RENDER_MAX (16 + VGA_TEXT_ROWS * (16 + 3 * VGA_TEXT_COLS) + 1)

/*
 * Render frame cur, given the frame prev last rendered (NULL for the first), into
 * out (size bytes; VGA_TEXT_RENDER_MAX always suffice), NUL-terminated. Characters
 * only: attributes are ignored. A character 00h shows as a space, 20h-7Eh as
 * themselves, other control codes (01h-1Fh, 7Fh) as '.', and 80h-FFh as '.' or, with
 * VGA_TEXT_UTF8, as their code page 437 glyphs. Trailing blanks of a row are trimmed.
 *
 * Lines (default), for a log or a pipe: the rows that are new, each as a text line
 * ending in '\n': every row up to the last non-blank one for the first frame; then
 * the rows that differ from the previous frame once a scroll is accounted for (the
 * shift that lines up the most non-blank rows), and rows that had not been shown
 * (blank rows below the previous frame's text). Rows below the last non-blank row
 * wait until text appears under them. A line still being written shows again when
 * it changes.
 *
 * VGA_TEXT_ANSI, for a terminal: the first frame clears the screen and draws every
 * row; later frames redraw only the changed rows ("ESC [ row ; 1 H", the text,
 * "ESC [ K"); then, when the frame shows a cursor and anything was drawn or the
 * cursor moved, it is placed at the cursor cell.
 *
 * Returns the length written (without the NUL), -EINVAL for a NULL frame, or
 * -ENOSPC when size is too small, 0 included (out then holds a truncated,
 * NUL-terminated prefix if size > 0).
 */
int vga_text_render(const struct vga_text_frame *cur, const struct vga_text_frame *prev,
		    unsigned int flags, char *out, size_t size);

#endif
