/* SPDX-License-Identifier: MIT */
/* Unit tests of the --vga-text renderer (src/vga_text.c): frames from guest RAM through the CRTC, the serial policy, the thread. */
#include "unit.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "console.h"
#include "memory.h"
#include "vga_text.h"

#define RAM  (1 * LAYOUT_MIB)
#define ATTR 0x07

struct fixture {
	struct guest_memory mem;
	struct crtc crtc;
	struct console console;
	atomic_bool serial_used;
	struct vga_text_view view;
	int out[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || guest_memory_init(&f->mem, RAM) || pipe(f->out) ||
	    fcntl(f->out[0], F_SETFL, O_NONBLOCK))
		return -1;
	crtc_init(&f->crtc);
	console_init(&f->console, 1, "vga", false, NULL, f->out[1]);
	f->view = (struct vga_text_view){ .mem = &f->mem,
					  .crtc = &f->crtc,
					  .console = &f->console,
					  .serial_used = &f->serial_used };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	console_destroy(&f->console);
	crtc_destroy(&f->crtc);
	guest_memory_destroy(&f->mem);
	close(f->out[0]);
	close(f->out[1]);
	free(f);
	return 0;
}

/* Put text at cell (row, col) of the text buffer, as a guest would. */
static void put_text(struct fixture *f, int row, int col, const char *text)
{
	uint8_t *cells = guest_ptr(&f->mem, VGA_TEXT_BASE, VGA_TEXT_SIZE);

	assert_non_null(cells);
	for (int i = 0; text[i]; i++) {
		cells[2 * (row * VGA_TEXT_COLS + col + i)] = (uint8_t)text[i];
		cells[2 * (row * VGA_TEXT_COLS + col + i) + 1] = ATTR;
	}
}

static void assert_output(struct fixture *f, const char *want)
{
	char got[512] = "";
	ssize_t n = read(f->out[0], got, sizeof(got) - 1);

	if (n < 0)
		n = 0;
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void test_frames_show_new_rows(void **state)
{
	struct fixture *f = *state;

	put_text(f, 0, 0, "Hello");
	assert_int_equal(vga_text_frame(&f->view), 6);
	assert_output(f, "Hello\n");
	/* Nothing changed: nothing drawn. */
	assert_int_equal(vga_text_frame(&f->view), 0);
	put_text(f, 1, 0, "world");
	assert_true(vga_text_frame(&f->view) > 0);
	assert_output(f, "world\n");
}

/* The CRTC's start address picks the cell shown top left. */
static void test_start_address_scrolls(void **state)
{
	struct fixture *f = *state;
	uint8_t reg[2] = { CRTC_START_LO, VGA_TEXT_COLS };

	put_text(f, 0, 0, "hidden");
	put_text(f, 1, 0, "shown");
	assert_int_equal(crtc_write(&f->crtc, 0, reg, 2), 0);
	assert_true(vga_text_frame(&f->view) > 0);
	assert_output(f, "shown\n");
}

/* Once the guest wrote its UART, the serial port is its console: no more frames. */
static void test_serial_output_wins(void **state)
{
	struct fixture *f = *state;

	atomic_store(&f->serial_used, true);
	put_text(f, 0, 0, "Hello");
	assert_int_equal(vga_text_frame(&f->view), 0);
	assert_output(f, "");
}

/* The thread draws, and stopping it draws the last screen. */
static void test_thread_draws_the_last_screen(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vga_text_start(&f->view), 0);
	put_text(f, 0, 0, "last");
	assert_int_equal(vga_text_stop(&f->view), 0);
	assert_output(f, "last\n");
	/* A second stop, or one of a view never started, does nothing. */
	assert_int_equal(vga_text_stop(&f->view), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_show_new_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_address_scrolls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_output_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_draws_the_last_screen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
