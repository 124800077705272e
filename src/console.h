/* A guest's console: output to stdout (prefixed per guest when several run) and input from stdin. */
#ifndef MINI_KVM_CONSOLE_H
#define MINI_KVM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_NAME_MAX  64
#define CONSOLE_LINE_MAX  4096
#define CONSOLE_INPUT_BUF 4096
#define CONSOLE_WATCH_MAX 512 /* a watched line's first bytes; the rest are not matched */

/* The escape key of an interactive console, as in QEMU: Ctrl-A x quits, Ctrl-A Ctrl-A types Ctrl-A. */
#define CONSOLE_ESCAPE	    0x01
#define CONSOLE_ESCAPE_QUIT 'x'

/*
 * Host input, read by one thread from a file descriptor into a buffer that guests
 * drain through console_getchar() (blocking) or console_poll() (not blocking).
 * The reader stops taking input while the buffer is full, so nothing is lost.
 */
struct console_input {
	int fd;	     /* where input comes from (normally 0) */
	int wake_fd; /* eventfd: tells the reader thread to stop */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;	/* guards the fields below */
	pthread_cond_t changed; /* data arrived, space freed, EOF, or stop */
	uint8_t buf[CONSOLE_INPUT_BUF];
	size_t head, count;
	bool eof; /* the fd reached end of file (or failed) */
	bool stopping;
	/* Called, without the lock, after new bytes arrived (e.g. to raise a UART IRQ). */
	void (*notify)(void *opaque);
	void *notify_opaque;
	/* Interactive use (on_quit set): Ctrl-A escapes, see console_input_start(). */
	void (*on_quit)(void *opaque);
	void *quit_opaque;
	bool escape_pending; /* the last byte read was a lone Ctrl-A (reader thread only) */
};

/*
 * What a console's owner wants to know about its output (Linux guests: the boot
 * timeline and panics). Both hooks run on the thread that wrote the output.
 */
struct console_watch {
	void (*first_byte)(void *opaque);
	void (*line)(void *opaque, const char *line); /* NUL-terminated, without its newline */
	void *opaque;
};

struct console {
	unsigned int index;	     /* 1-based guest number, for the prefix */
	char name[CONSOLE_NAME_MAX]; /* guest name, for the prefix */
	bool prefixed;		     /* several guests: whole lines, "[N:name] " first */
	const char *color;	     /* ANSI SGR for the prefix, or NULL */
	int out_fd;		     /* normally 1; -1 discards output */
	pthread_mutex_t lock; /* guards line, len and the watch state (several vCPUs may print) */
	char line[CONSOLE_LINE_MAX];
	size_t len;
	struct console_input *input; /* NULL: the guest's input is at EOF */
	struct console_watch watch;  /* all NULL: nobody watches */
	bool wrote;		     /* any output yet (for watch.first_byte) */
	char watch_line[CONSOLE_WATCH_MAX];
	size_t watch_len;
};

/*
 * Set up a console writing to out_fd. prefixed: buffer whole lines and prefix
 * them with "[index:name] "; color: an SGR string such as "1;32" or NULL.
 */
void console_init(struct console *c, unsigned int index, const char *name, bool prefixed,
		  const char *color, int out_fd);

/*
 * Write n bytes of guest output. Unprefixed output goes straight to out_fd;
 * prefixed output goes out a line at a time, never interleaved with other guests'.
 * Returns 0 or -errno (e.g. -EPIPE when stdout is closed) with a message.
 */
int console_write(struct console *c, const void *buf, size_t n);

/* Write out a partial last line (with a newline, when prefixed). Returns 0 or -errno. */
int console_flush(struct console *c);
void console_destroy(struct console *c);

/*
 * Start reading fd on a thread. on_quit non-NULL makes the input interactive:
 * Ctrl-A x calls on_quit(quit_opaque) from the reader thread, Ctrl-A Ctrl-A
 * passes one Ctrl-A, and Ctrl-A followed by another byte passes both.
 * Returns 0 or -errno with a message.
 */
int console_input_start(struct console_input *in, int fd, void (*on_quit)(void *),
			void *quit_opaque);

/*
 * Call notify(opaque) whenever new input arrives, from the reader thread (NULL
 * to stop). Thread-safe.
 */
void console_input_set_notify(struct console_input *in, void (*notify)(void *), void *opaque);

/* Stop and join the reader thread; wake anyone blocked in console_getchar(). */
void console_input_stop(struct console_input *in);

/* Make c's blocked and future console_getchar() calls return -1 (the VM is ending). */
void console_cancel_input(struct console *c);

/* Next input byte (0..255), waiting for one; -1 at end of input or after stop. */
int console_getchar(struct console *c);

/* Next input byte into *byte without waiting: 1 if one was there, 0 if not. */
int console_poll(struct console *c, uint8_t *byte);

#endif
