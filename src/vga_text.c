/* SPDX-License-Identifier: MIT */
/* --vga-text: the guest's 80x25 text buffer rendered on its console by a timer thread. */
#include "vga_text.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "arch/x86/layout.h"
#include "clock.h"
#include "error.h"
#include "sandbox.h"

/* Copy the screen from guest RAM: VGA_TEXT_SIZE bytes from the start cell, wrapping in the window. */
static void snapshot(const struct vga_text_view *view, uint16_t start, uint8_t *cells)
{
	const uint8_t *window = guest_ptr(view->mem, VGA_TEXT_BASE, VGA_TEXT_WINDOW);
	uint64_t from = ((uint64_t)start * 2) % VGA_TEXT_WINDOW;

	if (!window) { /* RAM ends below the text buffer: a blank screen */
		memset(cells, 0, VGA_TEXT_SIZE);
		return;
	}
	for (unsigned int i = 0; i < VGA_TEXT_SIZE; i++)
		cells[i] = window[(from + i) % VGA_TEXT_WINDOW];
}

int vga_text_frame(struct vga_text_view *view)
{
	struct vga_text_frame cur = { .cells = view->cur }, prev = { .cells = view->prev };
	uint16_t start;
	int len, ret;

	if (atomic_load(view->serial_used))
		return 0;
	crtc_text_view(view->crtc, &start, &cur.cursor);
	snapshot(view, start, view->cur);
	if (view->have_prev && !memcmp(view->cur, view->prev, VGA_TEXT_SIZE) &&
	    cur.cursor == view->prev_cursor)
		return 0;
	prev.cursor = view->prev_cursor;
	len = vga_text_render(&cur, view->have_prev ? &prev : NULL, view->flags, view->out,
			      sizeof(view->out));
	if (len < 0)
		return error_set(-len, "rendering the text screen");
	memcpy(view->prev, view->cur, VGA_TEXT_SIZE);
	view->prev_cursor = cur.cursor;
	view->have_prev = true;
	if (len == 0)
		return 0;
	ret = console_write(view->console, view->out, (size_t)len);
	return ret < 0 ? ret : len;
}

static void *renderer(void *opaque)
{
	struct vga_text_view *view = opaque;
	bool stop = false;

	while (!stop) {
		struct timespec until;
		uint64_t ns;
		int ret = vga_text_frame(view);

		if (ret < 0 && !view->error)
			view->error = ret;
		clock_gettime(CLOCK_MONOTONIC, &until);
		ns = (uint64_t)until.tv_nsec + VGA_TEXT_PERIOD_NS;
		until.tv_sec += ns / NS_PER_SEC;
		until.tv_nsec = ns % NS_PER_SEC;
		pthread_mutex_lock(&view->lock);
		if (!view->stop)
			pthread_cond_timedwait(&view->wake, &view->lock, &until);
		stop = view->stop;
		pthread_mutex_unlock(&view->lock);
	}
	return NULL;
}

int vga_text_start(struct vga_text_view *view)
{
	pthread_condattr_t attr;
	int ret;

	view->stop = false;
	view->error = 0;
	view->have_prev = false;
	view->prev_cursor = -1;
	pthread_mutex_init(&view->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&view->wake, &attr);
	pthread_condattr_destroy(&attr);
	ret = sandbox_thread_create(&view->thread, SANDBOX_SCREEN, renderer, view);
	if (ret < 0) {
		pthread_cond_destroy(&view->wake);
		pthread_mutex_destroy(&view->lock);
		return error_wrap(-ret, "cannot start the --vga-text renderer thread");
	}
	view->running = true;
	return 0;
}

int vga_text_stop(struct vga_text_view *view)
{
	int ret;

	if (!view->running)
		return 0;
	pthread_mutex_lock(&view->lock);
	view->stop = true;
	pthread_cond_signal(&view->wake);
	pthread_mutex_unlock(&view->lock);
	pthread_join(view->thread, NULL);
	view->running = false;
	/* The last screen: the guest may have drawn it just before it ended. */
	ret = vga_text_frame(view);
	if (ret < 0 && !view->error)
		view->error = ret;
	pthread_cond_destroy(&view->wake);
	pthread_mutex_destroy(&view->lock);
	return view->error < 0 ? view->error : 0;
}
