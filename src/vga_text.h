/* SPDX-License-Identifier: MIT */
/* --vga-text: a thread that shows the guest's 80x25 text buffer on its console. */
#ifndef MINI_KVM_VGA_TEXT_H
#define MINI_KVM_VGA_TEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "devices/crtc.h"
#include "memory.h"

/* How often the renderer looks at the text buffer: 10 frames a second. */
#define VGA_TEXT_PERIOD_NS 100000000ULL

/*
 * The policy: the text screen is the console of a guest that has no other. The
 * renderer draws frames while the guest has never written to its serial port; from
 * the first byte the guest writes there, the serial port is its console and the
 * renderer draws nothing more (a kernel that prints to both would show every line
 * twice). A frame is drawn only when the screen changed, and once more when the VM
 * ends, so the last screen is never lost. Lines mode (new rows as text lines, fit
 * for pipes, logs and several guests) unless ansi (redraw in place: a terminal that
 * the guest has to itself).
 */
struct vga_text_view {
	const struct guest_memory *mem;
	struct crtc *crtc;
	struct console *console;
	const atomic_bool *serial_used; /* set by the VM when the guest writes its UART */
	unsigned int flags;		/* VGA_TEXT_ANSI, VGA_TEXT_UTF8 (devices/crtc.h) */
	pthread_t thread;
	bool running;	      /* the thread was started */
	pthread_mutex_t lock; /* guards stop */
	pthread_cond_t wake;  /* signalled by vga_text_stop() */
	bool stop;
	int error; /* the first console_write() error, or 0 */
	bool have_prev;
	uint8_t prev[VGA_TEXT_SIZE];
	uint8_t cur[VGA_TEXT_SIZE];
	int prev_cursor;
	char out[VGA_TEXT_RENDER_MAX];
};

/*
 * Start the renderer thread for view (every field above the thread's set by the
 * caller; mem, crtc and console outlive it). Returns 0 or -errno with a message.
 */
int vga_text_start(struct vga_text_view *view);

/*
 * Stop the thread (a last frame first, unless the serial port took over) and join
 * it. A view never started is left alone. Returns 0, or the first -errno its console
 * writes returned (with a message).
 */
int vga_text_stop(struct vga_text_view *view);

/*
 * Render one frame of view now (the thread's step, exposed for unit tests): the text
 * buffer through the CRTC's start address, what changed since the last frame.
 * Returns the bytes written to the console (0: nothing changed, or the serial port took
 * over), or -errno from console_write().
 */
int vga_text_frame(struct vga_text_view *view);

#endif
