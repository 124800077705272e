/* SPDX-License-Identifier: MIT */
/* Unit tests of debugcon, debug exit, the CRTC and the --vga-text renderer. */
#include "unit.h"

#include <errno.h>

#include "devices/crtc.h"
#include "devices/debug_exit.h"
#include "devices/debugcon.h"
#include "error.h"

#define HOST_BUF 16
#define ATTR	 0x07 /* light grey on black */
#define DATA	 (PORT_CRTC_DATA - PORT_CRTC_INDEX)

/* --- debug console --------------------------------------------------------- */

struct console {
	uint8_t out[HOST_BUF];
	unsigned int n;
	int ret;
};

static int console_output(void *opaque, uint8_t byte)
{
	struct console *c = opaque;

	assert_true(c->n < HOST_BUF);
	c->out[c->n++] = byte;
	return c->ret;
}

static void test_debugcon(void **state)
{
	struct console host = { .ret = 0 };
	const struct debugcon_ops ops = { .output = console_output, .opaque = &host };
	struct debugcon d;
	struct debugcon_state st = { 0 };
	uint8_t b;
	uint16_t w;
	uint32_t l = 0x44434241;

	(void)state;
	debugcon_init(&d, &ops);
	b = 'H';
	assert_int_equal(debugcon_write(&d, 0, &b, 1), 0);
	b = 'i';
	assert_int_equal(debugcon_write(&d, 0, &b, 1), 0);
	/* A wider write sends its low byte only. */
	assert_int_equal(debugcon_write(&d, 0, &l, 4), 0);
	assert_int_equal(host.n, 3);
	assert_memory_equal(host.out, "HiA", 3);
	/* Reading returns 0xe9: the port exists. */
	assert_int_equal(debugcon_read(&d, 0, &b, 1), 0);
	assert_int_equal(b, DEBUGCON_READBACK);
	assert_int_equal(debugcon_read(&d, 0, &w, 2), 0);
	assert_int_equal(w, 0xffe9);
	/* The console's failure stops the VM, as for the UART. */
	host.ret = -EPIPE;
	b = '!';
	assert_int_equal(debugcon_write(&d, 0, &b, 1), -EPIPE);
	/* Sizes a bus never makes. */
	assert_int_equal(debugcon_write(&d, 0, &l, 0), -EINVAL);
	assert_int_equal(debugcon_read(&d, 0, &l, 9), -EINVAL);
	/* Nothing to save but the reserved field. */
	debugcon_save(&d, &st);
	assert_int_equal(debugcon_restore(&d, &st), 0);
	st.reserved = 1;
	assert_int_equal(debugcon_restore(&d, &st), -EINVAL);
	/* Without ops, output goes nowhere. */
	debugcon_init(&d, NULL);
	assert_int_equal(debugcon_write(&d, 0, &b, 1), 0);
}

/* --- isa-debug-exit -------------------------------------------------------- */

struct exits {
	uint64_t status[HOST_BUF];
	unsigned int n;
};

static void record_exit(void *opaque, uint64_t status)
{
	struct exits *e = opaque;

	assert_true(e->n < HOST_BUF);
	e->status[e->n++] = status;
}

static void test_debug_exit(void **state)
{
	struct exits host = { .n = 0 };
	const struct debug_exit_ops ops = { .exit = record_exit, .opaque = &host };
	struct debug_exit d;
	struct debug_exit_state st;
	uint8_t b = 0x10;
	uint16_t w = 0x1234;
	uint32_t l = 0x80000000u;
	uint64_t q = UINT64_MAX;

	(void)state;
	debug_exit_init(&d, &ops);
	/* (value << 1) | 1, the value of the access's size (QEMU's isa-debug-exit). */
	assert_int_equal(debug_exit_write(&d, 0, &b, 1), 0);
	assert_int_equal(debug_exit_write(&d, 0, &w, 2), 0);
	assert_int_equal(debug_exit_write(&d, 0, &l, 4), 0);
	assert_int_equal(debug_exit_write(&d, 0, &q, 8), 0);
	b = 0;
	assert_int_equal(debug_exit_write(&d, 3, &b, 1), 0); /* any port of the range */
	assert_int_equal(host.n, 5);
	assert_int_equal(host.status[0], 0x21); /* exit status 33 */
	assert_int_equal(host.status[1], 0x2469);
	assert_int_equal(host.status[2], 0x100000001ull); /* computed in 64 bits */
	assert_int_equal(host.status[3], UINT64_MAX);
	assert_int_equal(host.status[4], 1); /* odd: never 0 */
	/* Reads return 0 and stop nothing. */
	l = 0xffffffff;
	assert_int_equal(debug_exit_read(&d, 0, &l, 4), 0);
	assert_int_equal(l, 0);
	assert_int_equal(host.n, 5);
	assert_int_equal(debug_exit_write(&d, 0, &q, 16), -EINVAL);
	assert_int_equal(debug_exit_read(&d, 0, &q, 0), -EINVAL);
	debug_exit_save(&d, &st);
	assert_int_equal(st.reserved, 0);
	assert_int_equal(debug_exit_restore(&d, &st), 0);
	st.reserved = 7;
	assert_int_equal(debug_exit_restore(&d, &st), -EINVAL);
	debug_exit_init(&d, NULL);
	assert_int_equal(debug_exit_write(&d, 0, &b, 1), 0);
}

/* --- CRTC -------------------------------------------------------------------- */

static void crtc_set(struct crtc *c, uint8_t index, uint8_t value)
{
	assert_int_equal(crtc_write(c, 0, &index, 1), 0);
	assert_int_equal(crtc_write(c, DATA, &value, 1), 0);
}

static uint8_t crtc_get(struct crtc *c, uint8_t index)
{
	uint8_t v;

	assert_int_equal(crtc_write(c, 0, &index, 1), 0);
	assert_int_equal(crtc_read(c, DATA, &v, 1), 0);
	return v;
}

static void test_crtc_registers(void **state)
{
	struct crtc c;
	uint8_t v, pair[2];
	uint16_t start;
	int cursor;

	(void)state;
	crtc_init(&c);
	/* Mode 03h: 80 columns, a two-line underline cursor at cell 0. */
	assert_int_equal(crtc_get(&c, 0x01), 0x4f);
	assert_int_equal(crtc_get(&c, CRTC_CURSOR_START), 0x0d);
	assert_int_equal(crtc_get(&c, CRTC_CURSOR_END), 0x0e);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(start, 0);
	assert_int_equal(cursor, 0);

	/* The registers keep what the guest writes; the index port reads back. */
	crtc_set(&c, CRTC_CURSOR_HI, 0x01);
	crtc_set(&c, CRTC_CURSOR_LO, 0x23);
	assert_int_equal(crtc_read(&c, 0, &v, 1), 0);
	assert_int_equal(v, CRTC_CURSOR_LO);
	assert_int_equal(crtc_get(&c, CRTC_CURSOR_HI), 0x01);
	assert_int_equal(crtc_get(&c, CRTC_CURSOR_LO), 0x23);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(cursor, 0x123);
	/* outw 0x3d4: index in the low byte, data in the high one. */
	pair[0] = CRTC_CURSOR_LO;
	pair[1] = 0x50;
	assert_int_equal(crtc_write(&c, 0, pair, 2), 0);
	assert_int_equal(crtc_get(&c, CRTC_CURSOR_LO), 0x50);
	pair[0] = pair[1] = 0;
	assert_int_equal(crtc_read(&c, 0, pair, 2), 0);
	assert_int_equal(pair[0], CRTC_CURSOR_LO);
	assert_int_equal(pair[1], 0x50);
	/* Past CR18: reads 0xff, writes dropped, nothing else touched. */
	crtc_set(&c, CRTC_REGS, 0x12);
	crtc_set(&c, 0xff, 0x34);
	assert_int_equal(crtc_get(&c, CRTC_REGS), CRTC_NO_REGISTER);
	assert_int_equal(crtc_get(&c, 0xff), CRTC_NO_REGISTER);
	assert_int_equal(crtc_get(&c, 0x18), 0xff);
	assert_int_equal(crtc_get(&c, 0x00), 0x5f);
	/* Sizes a bus never makes. */
	assert_int_equal(crtc_read(&c, 0, &v, 0), -EINVAL);
	assert_int_equal(crtc_write(&c, 0, pair, 9), -EINVAL);
	crtc_destroy(&c);
}

static void test_crtc_text_view(void **state)
{
	struct crtc c;
	uint16_t start;
	int cursor;

	(void)state;
	crtc_init(&c);
	/* A start address scrolls the screen; the cursor counts from it. */
	crtc_set(&c, CRTC_START_HI, 0);
	crtc_set(&c, CRTC_START_LO, 80);
	crtc_set(&c, CRTC_CURSOR_HI, 0);
	crtc_set(&c, CRTC_CURSOR_LO, 100);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(start, 80);
	assert_int_equal(cursor, 20);
	/* Above the screen, below it, or switched off: no cursor. */
	crtc_set(&c, CRTC_CURSOR_LO, 79);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(cursor, -1);
	crtc_set(&c, CRTC_CURSOR_HI, (80 + VGA_TEXT_CELLS) >> 8);
	crtc_set(&c, CRTC_CURSOR_LO, (80 + VGA_TEXT_CELLS) & 0xff);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(cursor, -1);
	crtc_set(&c, CRTC_CURSOR_LO, (80 + VGA_TEXT_CELLS - 1) & 0xff);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(cursor, VGA_TEXT_CELLS - 1);
	crtc_set(&c, CRTC_CURSOR_START, 0x0d | CRTC_CURSOR_DISABLE);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(cursor, -1);
	/* Address bits past the 16 KiB cell counter are ignored. */
	crtc_set(&c, CRTC_START_HI, 0xc0);
	crtc_set(&c, CRTC_START_LO, 0);
	crtc_text_view(&c, &start, &cursor);
	assert_int_equal(start, 0);
	crtc_destroy(&c);
}

static void test_crtc_save_restore(void **state)
{
	struct crtc a, b;
	struct crtc_state sa, sb;

	(void)state;
	crtc_init(&a);
	crtc_init(&b);
	crtc_set(&a, CRTC_CURSOR_LO, 0x42);
	crtc_set(&a, 0x30, 0); /* an index past the registers is state too */
	crtc_save(&a, &sa);
	assert_int_equal(sa.index, 0x30);
	assert_int_equal(sa.regs[CRTC_CURSOR_LO], 0x42);
	assert_int_equal(crtc_restore(&b, &sa), 0);
	crtc_save(&b, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	sb.reserved[0] = 1;
	assert_int_equal(crtc_restore(&b, &sb), -EINVAL);
	assert_contains(error_message(), "reserved");
	crtc_destroy(&a);
	crtc_destroy(&b);
}

/* --- the --vga-text renderer ------------------------------------------------- */

struct screen {
	uint8_t cells[VGA_TEXT_SIZE];
};

static void screen_clear(struct screen *s)
{
	for (unsigned int i = 0; i < VGA_TEXT_CELLS; i++) {
		s->cells[2 * i] = 0;
		s->cells[2 * i + 1] = ATTR;
	}
}

static void screen_row(struct screen *s, unsigned int row, const char *text)
{
	for (unsigned int col = 0; col < VGA_TEXT_COLS; col++)
		s->cells[2 * (row * VGA_TEXT_COLS + col)] = 0;
	for (unsigned int col = 0; text[col] && col < VGA_TEXT_COLS; col++)
		s->cells[2 * (row * VGA_TEXT_COLS + col)] = (uint8_t)text[col];
}

/* A terminal's scroll: every row up one, a blank row at the bottom. */
static void screen_scroll(struct screen *s)
{
	memmove(s->cells, s->cells + 2 * VGA_TEXT_COLS, VGA_TEXT_SIZE - 2 * VGA_TEXT_COLS);
	screen_row(s, VGA_TEXT_ROWS - 1, "");
}

/* Render cur after prev (NULL: first frame) and compare with want. */
static void expect_render(const struct screen *cur, const struct screen *prev, unsigned int flags,
			  int cursor, int prev_cursor, const char *want)
{
	static char out[VGA_TEXT_RENDER_MAX];
	struct vga_text_frame fc = { cur->cells, cursor }, fp;
	int n;

	if (prev)
		fp = (struct vga_text_frame){ prev->cells, prev_cursor };
	n = vga_text_render(&fc, prev ? &fp : NULL, flags, out, sizeof(out));
	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_string_equal(out, want);
}

static void test_render_first_frame(void **state)
{
	struct screen s;

	(void)state;
	screen_clear(&s);
	expect_render(&s, NULL, 0, -1, -1, ""); /* a blank screen shows nothing */
	screen_row(&s, 0, "hello   ");
	screen_row(&s, 2, " world");
	/* Rows up to the last with text, blanks trimmed, empty rows kept between. */
	expect_render(&s, NULL, 0, -1, -1, "hello\n\n world\n");
	/* Attributes do not show, nor change anything. */
	s.cells[1] = 0x4f;
	expect_render(&s, NULL, 0, -1, -1, "hello\n\n world\n");
}

static void test_render_characters(void **state)
{
	struct screen s;
	static const uint8_t row[] = {
		'a', 0x00, 'b', 0x01, 0x1f, 0x7f, '~', 0xb3, 0xc4, 0xff, 0xe1
	};

	(void)state;
	screen_clear(&s);
	for (size_t i = 0; i < sizeof(row); i++)
		s.cells[2 * i] = row[i];
	/* 00h is a space; other control codes and, without UTF-8, 80h-FFh are '.'. */
	expect_render(&s, NULL, 0, -1, -1, "a b...~....\n");
	/* With UTF-8, code page 437: B3h is │, C4h ─, FFh a no-break space, E1h ß. */
	expect_render(&s, NULL, VGA_TEXT_UTF8, -1, -1,
		      "a b...~\xe2\x94\x82\xe2\x94\x80\xc2\xa0\xc3\x9f\n");
}

static void test_render_lines_changes(void **state)
{
	struct screen a, b;

	(void)state;
	screen_clear(&a);
	screen_row(&a, 0, "one");
	screen_row(&a, 1, "two");
	b = a;
	/* Nothing changed, or only attributes: nothing to show. */
	b.cells[3] = 0x1e;
	expect_render(&b, &a, 0, -1, -1, "");
	/* A line below. */
	screen_row(&b, 2, "three");
	expect_render(&b, &a, 0, -1, -1, "three\n");
	/* A line rewritten in place. */
	a = b;
	screen_row(&b, 1, "TWO");
	expect_render(&b, &a, 0, -1, -1, "TWO\n");
	/* A cleared screen has nothing new to show; text at the top afterwards does. */
	a = b;
	screen_clear(&b);
	expect_render(&b, &a, 0, -1, -1, "");
	a = b;
	screen_row(&b, 0, "fresh");
	expect_render(&b, &a, 0, -1, -1, "fresh\n");
}

static void test_render_lines_scroll(void **state)
{
	struct screen a, b;
	char text[16];

	(void)state;
	screen_clear(&a);
	for (unsigned int r = 0; r < VGA_TEXT_ROWS; r++) {
		snprintf(text, sizeof(text), "line %u", r);
		screen_row(&a, r, text);
	}
	/* A scroll by one: only the new bottom line. */
	b = a;
	screen_scroll(&b);
	screen_row(&b, VGA_TEXT_ROWS - 1, "line 25");
	expect_render(&b, &a, 0, -1, -1, "line 25\n");
	/* By three between two polls: three lines, in order. */
	a = b;
	for (unsigned int i = 26; i < 29; i++) {
		screen_scroll(&b);
		snprintf(text, sizeof(text), "line %u", i);
		screen_row(&b, VGA_TEXT_ROWS - 1, text);
	}
	expect_render(&b, &a, 0, -1, -1, "line 26\nline 27\nline 28\n");
	/* A whole screen of new lines: all of it. */
	a = b;
	for (unsigned int i = 29; i < 29 + VGA_TEXT_ROWS; i++) {
		screen_scroll(&b);
		snprintf(text, sizeof(text), "new %u", i);
		screen_row(&b, VGA_TEXT_ROWS - 1, text);
	}
	{
		static char want[VGA_TEXT_ROWS * 16];
		size_t len = 0;

		for (unsigned int i = 29; i < 29 + VGA_TEXT_ROWS; i++)
			len += (size_t)snprintf(want + len, sizeof(want) - len, "new %u\n", i);
		expect_render(&b, &a, 0, -1, -1, want);
	}
}

static void test_render_lines_partial_and_blank_lines(void **state)
{
	struct screen a, b;

	(void)state;
	/* A shell prompt being typed at the bottom, then the line ends and scrolls. */
	screen_clear(&a);
	screen_row(&a, 22, "boot ok");
	screen_row(&a, 23, "$ he");
	b = a;
	screen_row(&b, 23, "$ help");
	expect_render(&b, &a, 0, -1, -1, "$ help\n");
	a = b;
	screen_scroll(&b);
	screen_scroll(&b);
	screen_row(&b, 22, "usage");
	/* "$ help" moved up unchanged; "usage" is new; the empty rows under it wait. */
	expect_render(&b, &a, 0, -1, -1, "usage\n");

	/* An empty line between two: held back while it is the last, shown with the next. */
	screen_clear(&a);
	screen_row(&a, 0, "a");
	expect_render(&a, NULL, 0, -1, -1, "a\n");
	b = a; /* the guest prints "\n": nothing visible changes */
	expect_render(&b, &a, 0, -1, -1, "");
	a = b;
	screen_row(&b, 2, "b");
	expect_render(&b, &a, 0, -1, -1, "\nb\n");
}

static void test_render_ansi(void **state)
{
	struct screen a, b;

	(void)state;
	screen_clear(&a);
	screen_row(&a, 0, "hello");
	screen_row(&a, 2, "world ");
	/* First frame: clear, the rows with text, then the cursor (row 3, column 6). */
	expect_render(&a, NULL, VGA_TEXT_ANSI, 2 * VGA_TEXT_COLS + 5, -1,
		      "\x1b[H\x1b[2J\x1b[1;1Hhello\x1b[K\x1b[3;1Hworld\x1b[K\x1b[3;6H");
	/* Unchanged, cursor still: nothing. Cursor moved: only the cursor. */
	expect_render(&a, &a, VGA_TEXT_ANSI, 5, 5, "");
	expect_render(&a, &a, VGA_TEXT_ANSI, 6, 5, "\x1b[1;7H");
	/* A changed row is redrawn in place, even when it became blank. */
	b = a;
	screen_row(&b, 0, "");
	screen_row(&b, 24, "bottom");
	expect_render(&b, &a, VGA_TEXT_ANSI, VGA_TEXT_CELLS - 1, VGA_TEXT_CELLS - 1,
		      "\x1b[1;1H\x1b[K\x1b[25;1Hbottom\x1b[K\x1b[25;80H");
	/* No cursor shown (hidden or off the screen): no cursor sequence. */
	expect_render(&b, &a, VGA_TEXT_ANSI, -1, 5, "\x1b[1;1H\x1b[K\x1b[25;1Hbottom\x1b[K");
	expect_render(&b, &a, VGA_TEXT_ANSI, VGA_TEXT_CELLS, 5,
		      "\x1b[1;1H\x1b[K\x1b[25;1Hbottom\x1b[K");
}

static void test_render_bounds(void **state)
{
	static struct screen full;
	static char out[VGA_TEXT_RENDER_MAX];
	struct vga_text_frame f = { full.cells, VGA_TEXT_CELLS - 1 };
	int n;

	(void)state;
	/* The worst case, three-byte glyphs everywhere, fits in VGA_TEXT_RENDER_MAX. */
	memset(full.cells, 0xb3, sizeof(full.cells));
	n = vga_text_render(&f, NULL, VGA_TEXT_ANSI | VGA_TEXT_UTF8, out, sizeof(out));
	assert_true(n > 3 * VGA_TEXT_CELLS);
	assert_true((size_t)n < sizeof(out));
	n = vga_text_render(&f, NULL, VGA_TEXT_UTF8, out, sizeof(out));
	assert_int_equal(n, VGA_TEXT_ROWS * (3 * VGA_TEXT_COLS + 1));
	/* Too small: -ENOSPC and a NUL-terminated prefix, never an overrun. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(vga_text_render(&f, NULL, VGA_TEXT_UTF8, out, 100), -ENOSPC);
	assert_true(strlen(out) < 100);
	assert_int_equal(out[100], 'x');
	/* 33 glyphs of 3 bytes fill 99 bytes exactly: no room left for the NUL. */
	memset(out, 'x', sizeof(out));
	assert_int_equal(vga_text_render(&f, NULL, VGA_TEXT_UTF8, out, 99), -ENOSPC);
	assert_int_equal(strlen(out), 96);
	assert_int_equal(out[99], 'x');
	assert_int_equal(vga_text_render(&f, NULL, 0, out, 0), -ENOSPC);
	assert_int_equal(out[0], (char)0xe2); /* untouched: size 0 */
	/* Size 0 has no room for the NUL even when there is nothing to draw. */
	memset(full.cells, 0, sizeof(full.cells));
	f.cursor = -1;
	assert_int_equal(vga_text_render(&f, NULL, 0, out, 0), -ENOSPC);
	assert_int_equal(vga_text_render(&f, NULL, 0, out, 1), 0);
	assert_int_equal(out[0], '\0');
	/* No frame. */
	assert_int_equal(vga_text_render(NULL, NULL, 0, out, sizeof(out)), -EINVAL);
	f.cells = NULL;
	assert_int_equal(vga_text_render(&f, NULL, 0, out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debugcon),
		cmocka_unit_test(test_debug_exit),
		cmocka_unit_test(test_crtc_registers),
		cmocka_unit_test(test_crtc_text_view),
		cmocka_unit_test(test_crtc_save_restore),
		cmocka_unit_test(test_render_first_frame),
		cmocka_unit_test(test_render_characters),
		cmocka_unit_test(test_render_lines_changes),
		cmocka_unit_test(test_render_lines_scroll),
		cmocka_unit_test(test_render_lines_partial_and_blank_lines),
		cmocka_unit_test(test_render_ansi),
		cmocka_unit_test(test_render_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
