/* SPDX-License-Identifier: MIT */
/* A guest's console: output to stdout (prefixed per guest when several run) and input from stdin. */
#ifndef MINI_KVM_CONSOLE_H
#define MINI_KVM_CONSOLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_NAME_MAX  64
#define CONSOLE_LINE_MAX  4096
#define CONSOLE_INPUT_BUF 4096
#define CONSOLE_WATCH_MAX 512 /* a watched line's first bytes; the rest are not matched */
/* The most bytes one guest byte becomes when control bytes are made visible ("M-^X"). */
#define CONSOLE_VISIBLE_MAX 4

/* Control characters (ECMA-48): C0 is 0x00-0x1f and DEL, C1 is 0x80-0x9f (in UTF-8: 0xc2 0x80-0x9f). */
#define ASCII_C0_END   0x20
#define ASCII_DEL      0x7f
#define ASCII_C1_FIRST 0x80
#define ASCII_C1_END   0xa0
#define ASCII_CARET    '@' /* ^@ is 0x00, ^A is 0x01 ... as cat -v writes them */
#define UTF8_C1_LEAD   0xc2

/*
 * The escape key of a console on a terminal, as in QEMU: Ctrl-A x quits, Ctrl-A h
 * lists the keys, Ctrl-A s takes a snapshot, Ctrl-A Ctrl-A types Ctrl-A.
 */
#define CONSOLE_ESCAPE		0x01
#define CONSOLE_ESCAPE_QUIT	'x'
#define CONSOLE_ESCAPE_HELP	'h'
#define CONSOLE_ESCAPE_SNAPSHOT 's' /* Ctrl-A s: take a snapshot (console_input_set_snapshot()) */
/* The longest text a console trigger looks for (console_set_trigger()). */
#define CONSOLE_TRIGGER_MAX 256

/* What Ctrl-A h prints (its lines end in \r\n on a raw terminal). */
extern const char console_keys_help[];

struct console_log;

/* What a terminal reader does with Ctrl-A keys (console_input_start_keys()). */
struct console_keys {
	void (*on_quit)(void *opaque); /* Ctrl-A x; NULL: no escapes at all */
	void *opaque;
	int help_fd; /* Ctrl-A h writes console_keys_help here; -1: nowhere */
	/*
	 * The fd is a terminal in canonical mode whose VEOL is Ctrl-A
	 * (terminal_escape_mode()): Ctrl-A hands over the line so far, and the reader
	 * reads the key after it in non-canonical mode (terminal_key_mode()).
	 */
	bool cooked_terminal;
};

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
	pthread_mutex_t lock;	/* guards the fields below, but notify */
	pthread_cond_t changed; /* data arrived, space freed, EOF, or stop */
	uint8_t buf[CONSOLE_INPUT_BUF];
	size_t head, count;
	bool eof; /* the fd reached end of file (or failed) */
	bool stopping;
	/*
	 * Called after new bytes arrived (e.g. to raise a UART IRQ), under notify_lock
	 * and not under lock: console_input_set_notify() takes notify_lock, so once it
	 * returns no call to the old hook is running or will start (the owner may go).
	 */
	pthread_mutex_t notify_lock;
	void (*notify)(void *opaque);
	void *notify_opaque;
	/* Interactive use (on_quit set): Ctrl-A escapes, see console_input_start(). */
	void (*on_quit)(void *opaque);
	void *quit_opaque;
	int help_fd;	     /* Ctrl-A h: where the keys are listed, or -1 */
	bool cooked;	     /* see struct console_keys, cooked_terminal */
	bool key_mode;	     /* cooked: the terminal reads one key after Ctrl-A (reader only) */
	bool escape_pending; /* the last byte read was a lone Ctrl-A (reader thread only) */
	/* Ctrl-A s, when set (under notify_lock): called from the reader thread. */
	void (*on_snapshot)(void *opaque);
	void *snapshot_opaque;
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

/*
 * Text to look for in a console's output, once: fire(opaque) runs when the current
 * line (from the last newline) first contains it, on the thread that wrote the byte
 * that completed it, under the console's lock (so fire may only take later locks:
 * vm->lock). A line need not end: a shell's prompt has no newline.
 */
struct console_trigger {
	const char *text; /* NULL: none; at most CONSOLE_TRIGGER_MAX bytes */
	void (*fire)(void *opaque);
	void *opaque;
	bool fired;
	size_t len; /* bytes of the line's tail kept in tail, up to strlen(text) */
	char tail[CONSOLE_TRIGGER_MAX]; /* the current line's last bytes */
};

struct console {
	unsigned int index;	     /* 1-based guest number, for the prefix */
	char name[CONSOLE_NAME_MAX]; /* guest name, for the prefix */
	bool prefixed;		     /* several guests: whole lines, "[N:name] " first */
	bool visible_controls;	     /* show control bytes as ^X (see console_write()) */
	const char *color;	     /* ANSI SGR for the prefix, or NULL */
	int out_fd;		     /* normally 1; -1 discards output */
	/*
	 * Set once by console_cancel() when the VM stops: a write blocked on a stalled
	 * out_fd gives up (at its next EINTR: vm.c kicks the vCPU threads until they
	 * leave), and later writes go out only as far as out_fd takes them without
	 * waiting. What is given up is counted in dropped.
	 */
	atomic_bool cancelled;
	atomic_uint_fast64_t dropped; /* output bytes given up after console_cancel() */
	atomic_bool output_closed;    /* out_fd's reader went away (EPIPE): see console_write() */
	bool c1_lead_pending;	      /* visible_controls: a 0xc2 waits for its next byte */
	pthread_mutex_t lock; /* guards line, len and the watch state (several vCPUs may print) */
	char line[CONSOLE_LINE_MAX];
	size_t len;
	struct console_input *input; /* NULL: the guest's input is at EOF */
	struct console_watch watch;  /* all NULL: nobody watches */
	bool wrote;		     /* any output yet (for watch.first_byte) */
	char watch_line[CONSOLE_WATCH_MAX];
	size_t watch_len;
	struct console_log *log;	 /* --console-log: a copy of the output, or NULL */
	char log_line[CONSOLE_LINE_MAX]; /* prefixed: the log's line so far (console_log.c) */
	size_t log_len;
	struct console_trigger trigger; /* console_set_trigger() */
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
 * With c->visible_controls, control bytes other than \n, \r, \t and \b are shown
 * as cat -v shows them (ESC as ^[, DEL as ^?, a UTF-8 C1 control as M-^X), so a guest
 * cannot drive the user's terminal or fake another guest's prefix. A non-blocking
 * out_fd is waited on (poll) rather than failed. With c->log, the bytes also go to
 * the log, unchanged (console_log.h). Returns 0 or -errno (e.g. -EPIPE when
 * stdout's reader is gone: c->output_closed is then set) with a message; output
 * given up after console_cancel() is not an error (see cancelled).
 */
int console_write(struct console *c, const void *buf, size_t n);

/*
 * Output of mini-kvm's own (--trace lines) to fd, n bytes of whole lines. When fd
 * is the file standard output is (stderr on the terminal the guest prints to, or
 * 2>&1), it never splits a guest's line: while an unprefixed guest's line is open
 * it is held (up to CONSOLE_SIDE_HOLD_MAX bytes, beyond which it is dropped and
 * counted) and written after the guest's next newline, or by console_side_flush().
 * Thread-safe. Returns 0 or -errno with a message.
 */
int console_side_write(int fd, const void *buf, size_t n);

/*
 * Write what console_side_write() holds, after a newline if a guest's line is still
 * open (the guest has ended), and a note of what was dropped. Returns 0 or -errno.
 */
int console_side_flush(void);

#define CONSOLE_SIDE_HOLD_MAX (1024 * 1024)

/*
 * Arm c's trigger (struct console_trigger): fire(opaque) once, when a line of the
 * guest's output (its raw bytes) first contains text (1 to CONSOLE_TRIGGER_MAX
 * bytes; longer is truncated). Call before the guest runs.
 */
void console_set_trigger(struct console *c, const char *text, void (*fire)(void *), void *opaque);

/* Write out a partial last line (with a newline, when prefixed). Returns 0 or -errno. */
int console_flush(struct console *c);
void console_destroy(struct console *c);

/*
 * Start reading fd on a thread. on_quit non-NULL makes the input interactive:
 * Ctrl-A x calls on_quit(quit_opaque) from the reader thread, Ctrl-A Ctrl-A
 * passes one Ctrl-A, and Ctrl-A followed by another byte passes both. When fd is
 * /dev/null, no thread starts: the input is at end of file from the start, as the
 * reader's first read would find it.
 * Returns 0 or -errno with a message.
 */
int console_input_start(struct console_input *in, int fd, void (*on_quit)(void *),
			void *quit_opaque);

/*
 * console_input_start() with the keys of a terminal (struct console_keys): Ctrl-A
 * x calls keys->on_quit, Ctrl-A h writes console_keys_help to keys->help_fd, and on
 * a cooked terminal the key after Ctrl-A is read at once. Returns 0 or -errno.
 */
int console_input_start_keys(struct console_input *in, int fd, const struct console_keys *keys);

/*
 * Call notify(opaque) whenever new input arrives, from the reader thread (NULL
 * to stop; when this returns, no call to the old hook is running). Thread-safe.
 */
void console_input_set_notify(struct console_input *in, void (*notify)(void *), void *opaque);

/*
 * Make Ctrl-A s on an interactive input (one started with on_quit) call
 * on_snapshot(opaque) from the reader thread, the two bytes not passed on; NULL:
 * Ctrl-A s passes both bytes as before. Thread-safe.
 */
void console_input_set_snapshot(struct console_input *in, void (*on_snapshot)(void *),
				void *opaque);

/* Stop and join the reader thread; wake anyone blocked in console_getchar(). */
void console_input_stop(struct console_input *in);

/*
 * The VM is ending: c's blocked and future console_getchar() calls return -1, and
 * output stops waiting for a stalled out_fd (see struct console, cancelled).
 * Thread-safe.
 */
void console_cancel(struct console *c);

/* Next input byte (0..255), waiting for one; -1 at end of input or after stop. */
int console_getchar(struct console *c);

/* Next input byte into *byte without waiting: 1 if one was there, 0 if not. */
int console_poll(struct console *c, uint8_t *byte);

#endif
