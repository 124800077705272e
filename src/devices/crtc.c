/* SPDX-License-Identifier: MIT */
/* CGA/VGA CRTC index/data registers and the --vga-text renderer (pure: frames in, bytes out). */
#include "devices/crtc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define CRTC_MAX_ACCESS	   8	/* bytes: the widest access a bus makes */
#define CRTC_FLOATING	   0xff /* bytes beyond the two ports */
#define CRTC_CURSOR_MASK   0x3fff
#define CRTC_START_MASK	   0x3fff
#define CHAR_BLANK	   0x00 /* what a cleared buffer holds: shown as a space */
#define CHAR_PRINTABLE_MIN 0x20
#define CHAR_PRINTABLE_MAX 0x7e
#define CHAR_HIGH_MIN	   0x80
#define CHAR_UNPRINTABLE   '.'

/*
 * CR00-CR18 of VGA mode 03h, 80x25 text in 9x16 cells (IBM VGA Technical Reference,
 * BIOS video parameter table); CR0A/CR0B make an underline cursor on scan lines 13-14.
 */
static const uint8_t mode3_regs[CRTC_REGS] = {
	0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
	0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};

void crtc_init(struct crtc *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	memcpy(c->regs, mode3_regs, sizeof(c->regs));
}

void crtc_destroy(struct crtc *c)
{
	pthread_mutex_destroy(&c->lock);
}

int crtc_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct crtc *c = opaque;
	uint8_t *out = data;

	if (!size || size > CRTC_MAX_ACCESS)
		return error_set(EINVAL, "CRTC: %u-byte access", size);
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t port = offset + i;

		if (port == 0)
			out[i] = c->index;
		else if (port == PORT_CRTC_DATA - PORT_CRTC_INDEX)
			out[i] = c->index < CRTC_REGS ? c->regs[c->index] : CRTC_NO_REGISTER;
		else
			out[i] = CRTC_FLOATING;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int crtc_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct crtc *c = opaque;
	const uint8_t *in = data;

	if (!size || size > CRTC_MAX_ACCESS)
		return error_set(EINVAL, "CRTC: %u-byte access", size);
	pthread_mutex_lock(&c->lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t port = offset + i;

		if (port == 0)
			c->index = in[i];
		else if (port == PORT_CRTC_DATA - PORT_CRTC_INDEX && c->index < CRTC_REGS)
			c->regs[c->index] = in[i];
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void crtc_text_view(struct crtc *c, uint16_t *start, int *cursor)
{
	unsigned int s, pos;
	bool off;

	pthread_mutex_lock(&c->lock);
	s = ((unsigned int)c->regs[CRTC_START_HI] << 8 | c->regs[CRTC_START_LO]) & CRTC_START_MASK;
	pos = ((unsigned int)c->regs[CRTC_CURSOR_HI] << 8 | c->regs[CRTC_CURSOR_LO]) &
	      CRTC_CURSOR_MASK;
	off = c->regs[CRTC_CURSOR_START] & CRTC_CURSOR_DISABLE;
	pthread_mutex_unlock(&c->lock);
	*start = (uint16_t)s;
	*cursor = !off && pos >= s && pos - s < VGA_TEXT_CELLS ? (int)(pos - s) : -1;
}

void crtc_save(const struct crtc *c, struct crtc_state *out)
{
	/* Locking does not change the state: the lock is not part of it. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&c->lock;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(lock);
	out->index = c->index;
	memcpy(out->regs, c->regs, sizeof(out->regs));
	pthread_mutex_unlock(lock);
}

int crtc_restore(struct crtc *c, const struct crtc_state *in)
{
	for (size_t i = 0; i < sizeof(in->reserved); i++)
		if (in->reserved[i])
			return error_set(EINVAL, "CRTC state: reserved bytes are not zero");
	pthread_mutex_lock(&c->lock);
	c->index = in->index;
	memcpy(c->regs, in->regs, sizeof(c->regs));
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* ---- the renderer ------------------------------------------------------------ */

/* Code page 437, 80h-FFh, as Unicode code points (the IBM PC character set). */
static const uint16_t cp437_high[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7, 0x00ea, 0x00eb, 0x00e8,
	0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5, 0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2,
	0x00fb, 0x00f9, 0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192, 0x00e1,
	0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba, 0x00bf, 0x2310, 0x00ac, 0x00bd,
	0x00bc, 0x00a1, 0x00ab, 0x00bb, 0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562,
	0x2556, 0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510, 0x2514, 0x2534,
	0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f, 0x255a, 0x2554, 0x2569, 0x2566, 0x2560,
	0x2550, 0x256c, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580, 0x03b1, 0x00df, 0x0393,
	0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4, 0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6,
	0x03b5, 0x2229, 0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248, 0x00b0,
	0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* Output with a bound: writes stop at size - 1, leaving room for the NUL. */
struct sink {
	char *out;
	size_t size, len;
	bool full;
};

static void put(struct sink *s, const char *bytes, size_t n)
{
	if (s->full || !s->size || s->len + n > s->size - 1) {
		s->full = true;
		return;
	}
	memcpy(s->out + s->len, bytes, n);
	s->len += n;
}

static void put_char(struct sink *s, char ch)
{
	put(s, &ch, 1);
}

/* A code point below U+10000 as UTF-8. */
static void put_utf8(struct sink *s, uint16_t cp)
{
	char b[3];

	if (cp < 0x80) {
		put_char(s, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		put(s, b, 2);
	} else {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		put(s, b, 3);
	}
}

static void put_glyph(struct sink *s, uint8_t ch, unsigned int flags)
{
	if (ch == CHAR_BLANK)
		put_char(s, ' ');
	else if (ch >= CHAR_PRINTABLE_MIN && ch <= CHAR_PRINTABLE_MAX)
		put_char(s, (char)ch);
	else if (ch >= CHAR_HIGH_MIN && (flags & VGA_TEXT_UTF8))
		put_utf8(s, cp437_high[ch - CHAR_HIGH_MIN]);
	else
		put_char(s, CHAR_UNPRINTABLE);
}

static uint8_t cell_char(const uint8_t *cells, unsigned int row, unsigned int col)
{
	uint8_t ch = cells[2 * (row * VGA_TEXT_COLS + col)];

	return ch == CHAR_BLANK ? ' ' : ch;
}

/* Columns up to the last non-blank character of a row. */
static unsigned int row_length(const uint8_t *cells, unsigned int row)
{
	unsigned int n = VGA_TEXT_COLS;

	while (n && cell_char(cells, row, n - 1) == ' ')
		n--;
	return n;
}

/* The last row with text, or -1 for a blank screen. */
static int last_text_row(const uint8_t *cells)
{
	for (int r = VGA_TEXT_ROWS - 1; r >= 0; r--)
		if (row_length(cells, (unsigned int)r))
			return r;
	return -1;
}

/* Rows equal as text: characters only, 00h and space alike. */
static bool rows_equal(const uint8_t *a, unsigned int ra, const uint8_t *b, unsigned int rb)
{
	for (unsigned int col = 0; col < VGA_TEXT_COLS; col++)
		if (cell_char(a, ra, col) != cell_char(b, rb, col))
			return false;
	return true;
}

static void put_row(struct sink *s, const uint8_t *cells, unsigned int row, unsigned int flags)
{
	unsigned int n = row_length(cells, row);

	for (unsigned int col = 0; col < n; col++)
		put_glyph(s, cells[2 * (row * VGA_TEXT_COLS + col)], flags);
}

/* ANSI CUP: move the terminal cursor to 0-based row, col. */
static void put_position(struct sink *s, unsigned int row, unsigned int col)
{
	char seq[16];
	int n = snprintf(seq, sizeof(seq), "\x1b[%u;%uH", row + 1, col + 1);

	put(s, seq, (size_t)n);
}

/*
 * The scroll from prev to cur: the shift k (cur row r showing prev row r + k) that
 * lines up the most non-blank rows shown before; ties go to the smaller shift, so a
 * screen that did not move keeps k = 0.
 */
static unsigned int scroll_shift(const uint8_t *cur, const uint8_t *prev, int prev_last)
{
	unsigned int best = 0, best_score = 0;

	for (int k = 0; k <= prev_last; k++) {
		unsigned int score = 0;

		for (int r = 0; r + k <= prev_last; r++)
			if (row_length(cur, (unsigned int)r) &&
			    rows_equal(cur, (unsigned int)r, prev, (unsigned int)(r + k)))
				score++;
		if (score > best_score) {
			best = (unsigned int)k;
			best_score = score;
		}
	}
	return best;
}

static void render_lines(struct sink *s, const uint8_t *cur, const uint8_t *prev,
			 unsigned int flags)
{
	int last = last_text_row(cur), prev_last = prev ? last_text_row(prev) : -1;
	unsigned int k = prev ? scroll_shift(cur, prev, prev_last) : 0;

	for (int r = 0; r <= last; r++) {
		int b = r + (int)k;

		/* Shown before: the same text on the row it scrolled from. */
		if (b <= prev_last && rows_equal(cur, (unsigned int)r, prev, (unsigned int)b))
			continue;
		put_row(s, cur, (unsigned int)r, flags);
		put_char(s, '\n');
	}
}

static void render_ansi(struct sink *s, const struct vga_text_frame *cur,
			const struct vga_text_frame *prev, unsigned int flags)
{
	bool drew = false;

	if (!prev)
		put(s, "\x1b[H\x1b[2J", 7);
	for (unsigned int r = 0; r < VGA_TEXT_ROWS; r++) {
		if (prev ? rows_equal(cur->cells, r, prev->cells, r) : !row_length(cur->cells, r))
			continue;
		put_position(s, r, 0);
		put_row(s, cur->cells, r, flags);
		put(s, "\x1b[K", 3);
		drew = true;
	}
	if (cur->cursor >= 0 && (drew || !prev || prev->cursor != cur->cursor))
		put_position(s, (unsigned int)cur->cursor / VGA_TEXT_COLS,
			     (unsigned int)cur->cursor % VGA_TEXT_COLS);
}

int vga_text_render(const struct vga_text_frame *cur, const struct vga_text_frame *prev,
		    unsigned int flags, char *out, size_t size)
{
	struct vga_text_frame now, before;
	struct sink s = { .out = out, .size = size };

	if (!cur || !cur->cells || (prev && !prev->cells))
		return error_set(EINVAL, "vga text: no frame");
	if (!size)
		return error_set(ENOSPC, "vga text: no room for the output's NUL");
	/* A cursor off the screen is no cursor. */
	now = *cur;
	if (now.cursor < 0 || now.cursor >= VGA_TEXT_CELLS)
		now.cursor = -1;
	if (prev) {
		before = *prev;
		if (before.cursor < 0 || before.cursor >= VGA_TEXT_CELLS)
			before.cursor = -1;
	}
	if (flags & VGA_TEXT_ANSI)
		render_ansi(&s, &now, prev ? &before : NULL, flags);
	else
		render_lines(&s, now.cells, prev ? before.cells : NULL, flags);
	out[s.len] = '\0';
	if (s.full)
		return error_set(ENOSPC, "vga text: %zu bytes are not enough", size);
	return (int)s.len;
}
