/* SPDX-License-Identifier: MIT */
/* Guest consoles: stdout writers that keep lines whole, and a stdin reader thread. */
#include "console.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "console_log.h"
#include "error.h"
#include "sandbox.h"
#include "terminal.h"

/*
 * Serializes output lines of all guests: a line goes out in one writev() under it;
 * also an unprefixed guest's writes to stdout, and the side output below.
 */
static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Side output (console_side_write()) held back while a guest's line is open on the
 * file that stdout is. Guarded by output_lock.
 */
static struct {
	bool mid_line;	  /* the last byte a console wrote to stdout was not a newline */
	char *held;	  /* held output, malloc()ed */
	size_t len, cap;  /* bytes held, and room */
	uint64_t dropped; /* bytes given up beyond CONSOLE_SIDE_HOLD_MAX */
	int fd;		  /* where the held output goes */
	int shared_fd;	  /* the last fd asked about, and whether it is stdout's file */
	bool shared;
} side = { .fd = -1, .shared_fd = -1 };

const char console_keys_help[] =
	"mini-kvm keys:\n"
	"  Ctrl-A x        quit: stop every guest (status 0)\n"
	"  Ctrl-A h        this list\n"
	"  Ctrl-A s        snapshot every guest (they run on; docs/snapshot.md)\n"
	"  Ctrl-A Ctrl-A   type Ctrl-A\n";

/* Ctrl-A h: the keys on fd, each line ending in \r\n on a raw terminal (no OPOST). */
static void write_keys_help(int fd, bool raw)
{
	for (const char *p = console_keys_help; *p;) {
		size_t len = strcspn(p, "\n");

		if (write(fd, p, len) < 0 || write(fd, raw ? "\r\n" : "\n", raw ? 2 : 1) < 0)
			return; /* nowhere to say it: the key does nothing */
		p += len + (p[len] == '\n');
	}
}

void console_init(struct console *c, unsigned int index, const char *name, bool prefixed,
		  const char *color, int out_fd)
{
	memset(c, 0, sizeof(*c));
	c->index = index;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->prefixed = prefixed;
	c->color = color;
	c->out_fd = out_fd;
	pthread_mutex_init(&c->lock, NULL);
}

void console_destroy(struct console *c)
{
	pthread_mutex_destroy(&c->lock);
}

/* Output bytes given up because the VM stopped while out_fd did not take them. */
static void drop(struct console *c, const struct iovec *iov, int iovcnt)
{
	uint64_t bytes = 0;

	for (int i = 0; i < iovcnt; i++)
		bytes += iov[i].iov_len;
	atomic_fetch_add(&c->dropped, bytes);
}

/*
 * Wait until out_fd takes output: forever while the VM runs (a kick interrupts
 * the wait with EINTR, so the caller looks at cancelled again), not at all once it
 * is cancelled. True when a write may proceed (or fail and say why).
 */
static bool wait_writable(struct console *c)
{
	struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

	for (;;) {
		int n = poll(&p, 1, atomic_load(&c->cancelled) ? 0 : -1);

		if (n > 0)
			return true;
		if (n == 0)
			return false; /* cancelled, and out_fd takes nothing now */
		if (errno != EINTR)
			return true; /* let the write say what is wrong */
	}
}

static int write_all(struct console *c, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		bool cancelled = atomic_load(&c->cancelled);
		ssize_t n;

		if (cancelled && !wait_writable(c))
			break;
		/*
		 * Once cancelled, write no more than a pipe takes without blocking when it
		 * polls writable (PIPE_BUF): nothing may hold up the VM's end.
		 */
		if (cancelled && iov->iov_len > PIPE_BUF)
			n = write(c->out_fd, iov->iov_base, PIPE_BUF);
		else
			n = writev(c->out_fd, iov, cancelled ? 1 : iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A non-blocking stdout from our parent: wait for room, as a blocking one would. */
			if (errno == EAGAIN && wait_writable(c))
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == EPIPE)
				atomic_store(&c->output_closed, true);
			return error_errno(errno, "guest output to fd %d", c->out_fd);
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	drop(c, iov, iovcnt);
	return 0;
}

/* Emit c->line (len bytes) with its prefix and a newline if it lacks one. */
static int emit_line(struct console *c)
{
	char prefix[CONSOLE_NAME_MAX + 64];
	struct iovec iov[3];
	int iovcnt = 0, ret;

	if (c->color)
		snprintf(prefix, sizeof(prefix), "\033[%sm[%u:%s]\033[0m ", c->color, c->index,
			 c->name);
	else
		snprintf(prefix, sizeof(prefix), "[%u:%s] ", c->index, c->name);
	iov[iovcnt++] = (struct iovec){ prefix, strlen(prefix) };
	iov[iovcnt++] = (struct iovec){ c->line, c->len };
	if (!c->len || c->line[c->len - 1] != '\n')
		iov[iovcnt++] = (struct iovec){ "\n", 1 };

	pthread_mutex_lock(&output_lock);
	ret = write_all(c, iov, iovcnt);
	pthread_mutex_unlock(&output_lock);
	c->len = 0;
	return ret;
}

/* Feed output to the watcher: the first byte, then each whole line. */
static void watch_output(struct console *c, const char *p, size_t n)
{
	if (!c->wrote && n) {
		c->wrote = true;
		if (c->watch.first_byte)
			c->watch.first_byte(c->watch.opaque);
	}
	if (!c->watch.line)
		return;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			/* Strip a carriage return: serial consoles end lines with \r\n. */
			if (c->watch_len && c->watch_line[c->watch_len - 1] == '\r')
				c->watch_len--;
			c->watch_line[c->watch_len] = '\0';
			c->watch.line(c->watch.opaque, c->watch_line);
			c->watch_len = 0;
		} else if (c->watch_len < sizeof(c->watch_line) - 1) {
			c->watch_line[c->watch_len++] = p[i];
		}
	}
}

/* Write n bytes to fd whole (retrying short writes and EINTR). output_lock held. */
static int write_fd(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return error_errno(errno, "output to fd %d", fd);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write out the held side output (after a guest's newline). output_lock held. */
static int release_held(void)
{
	int ret = 0;

	if (side.len)
		ret = write_fd(side.fd, side.held, side.len);
	side.len = 0;
	return ret;
}

/*
 * An unprefixed console's bytes, straight to out_fd; on stdout, held side output
 * goes out after the chunk's last newline. c->lock held.
 */
static int put_unprefixed(struct console *c, const char *p, size_t n)
{
	bool tracked = c->out_fd == STDOUT_FILENO;
	struct iovec iov;
	int ret = 0;

	if (!n)
		return 0;
	pthread_mutex_lock(&output_lock);
	if (tracked && side.len) {
		const char *nl = memrchr(p, '\n', n);

		if (nl) {
			size_t head = (size_t)(nl - p) + 1;

			iov = (struct iovec){ (void *)p, head };
			ret = write_all(c, &iov, 1);
			if (!ret)
				release_held();
			p += head;
			n -= head;
			side.mid_line = false;
		}
	}
	if (!ret && n) {
		iov = (struct iovec){ (void *)p, n };
		ret = write_all(c, &iov, 1);
		if (tracked)
			side.mid_line = p[n - 1] != '\n';
	}
	pthread_mutex_unlock(&output_lock);
	return ret;
}

/* Whether fd is the file standard output is (same device and inode). output_lock held. */
static bool shares_stdout(int fd)
{
	struct stat a, b;

	if (fd != side.shared_fd) {
		side.shared_fd = fd;
		side.shared = fd == STDOUT_FILENO ||
			      (fstat(fd, &a) == 0 && fstat(STDOUT_FILENO, &b) == 0 &&
			       a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	}
	return side.shared;
}

int console_side_write(int fd, const void *buf, size_t n)
{
	int ret = 0;

	pthread_mutex_lock(&output_lock);
	if (side.mid_line && shares_stdout(fd)) {
		if (side.len + n > CONSOLE_SIDE_HOLD_MAX) {
			side.dropped += n;
		} else {
			if (side.len + n > side.cap) {
				size_t cap = side.cap ? side.cap * 2 : 4096;
				char *held;

				while (cap < side.len + n)
					cap *= 2;
				held = realloc(side.held, cap);
				if (!held) {
					side.dropped += n;
					goto out;
				}
				side.held = held;
				side.cap = cap;
			}
			memcpy(side.held + side.len, buf, n);
			side.len += n;
			side.fd = fd;
		}
	} else {
		ret = write_fd(fd, buf, n);
	}
out:
	pthread_mutex_unlock(&output_lock);
	return ret;
}

int console_side_flush(void)
{
	char note[128];
	int ret = 0;

	pthread_mutex_lock(&output_lock);
	if (side.len && side.mid_line)
		ret = write_fd(side.fd, "\n", 1);
	if (!ret)
		ret = release_held();
	if (!ret && side.dropped && side.fd >= 0) {
		int len = snprintf(note, sizeof(note),
				   "mini-kvm: %llu bytes of trace output were dropped while a "
				   "guest's line stayed open\n",
				   (unsigned long long)side.dropped);

		ret = write_fd(side.fd, note, (size_t)len);
	}
	side.dropped = 0;
	free(side.held);
	side.held = NULL;
	side.cap = side.len = 0;
	side.mid_line = false;
	side.shared_fd = -1;
	pthread_mutex_unlock(&output_lock);
	return ret;
}

/* Pass n bytes on: straight to out_fd, or whole lines when prefixed. c->lock held. */
static int put(struct console *c, const char *p, size_t n)
{
	int ret = 0;

	if (!c->prefixed)
		return put_unprefixed(c, p, n);
	for (size_t i = 0; i < n && !ret; i++) {
		c->line[c->len++] = p[i];
		/* A line longer than the buffer goes out in pieces, each prefixed. */
		if (p[i] == '\n' || c->len == sizeof(c->line))
			ret = emit_line(c);
	}
	return ret;
}

/* Control bytes a terminal may show as they are: they only move the cursor. */
static bool harmless_control(uint8_t b)
{
	return b == '\n' || b == '\r' || b == '\t' || b == '\b';
}

/*
 * put() with control bytes made visible as cat -v makes them: C0 controls as ^@
 * to ^_, DEL as ^?, and a C1 control in UTF-8 (0xc2 0x80..0x9f) as M-^@ to M-^_.
 * Other bytes, UTF-8 text included, pass unchanged. c->lock held.
 */
static int put_visible(struct console *c, const char *p, size_t n)
{
	char out[CONSOLE_LINE_MAX];
	size_t len = 0;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		uint8_t b = p[i];

		if (c->c1_lead_pending) {
			c->c1_lead_pending = false;
			if (b >= ASCII_C1_FIRST && b < ASCII_C1_END) {
				len += sprintf(out + len, "M-^%c",
					       b - ASCII_C1_FIRST + ASCII_CARET);
				goto next;
			}
			out[len++] = (char)UTF8_C1_LEAD;
		}
		if (b == UTF8_C1_LEAD)
			c->c1_lead_pending = true;
		else if (b == ASCII_DEL)
			len += sprintf(out + len, "^?");
		else if (b < ASCII_C0_END && !harmless_control(b))
			len += sprintf(out + len, "^%c", b + ASCII_CARET);
		else
			out[len++] = b;
	next:
		if (len + CONSOLE_VISIBLE_MAX >= sizeof(out)) {
			ret = put(c, out, len);
			len = 0;
		}
	}
	if (!ret && len)
		ret = put(c, out, len);
	return ret;
}

void console_set_trigger(struct console *c, const char *text, void (*fire)(void *), void *opaque)
{
	pthread_mutex_lock(&c->lock);
	c->trigger = (struct console_trigger){ .text = text, .fire = fire, .opaque = opaque };
	pthread_mutex_unlock(&c->lock);
}

/* Keep the current line's last bytes, and fire once they end with the trigger's text. */
static void watch_trigger(struct console *c, const char *p, size_t n)
{
	struct console_trigger *t = &c->trigger;
	size_t want = strnlen(t->text, sizeof(t->tail));

	if (!want)
		return;
	for (size_t i = 0; i < n && !t->fired; i++) {
		if (p[i] == '\n') {
			t->len = 0;
			continue;
		}
		if (t->len == want) {
			memmove(t->tail, t->tail + 1, want - 1);
			t->len--;
		}
		t->tail[t->len++] = p[i];
		if (t->len == want && !memcmp(t->tail, t->text, want)) {
			t->fired = true;
			t->fire(t->opaque);
		}
	}
}

int console_write(struct console *c, const void *buf, size_t n)
{
	int ret;

	pthread_mutex_lock(&c->lock); /* several vCPUs may print */
	if (c->trigger.text && !c->trigger.fired)
		watch_trigger(c, buf, n);
	if (c->watch.first_byte || c->watch.line)
		watch_output(c, buf, n);
	ret = c->log ? console_log_write(c->log, c, buf, n) : 0;
	if (ret < 0 || c->out_fd < 0)
		; /* a failed log, or a console that discards (probe guests) */
	else if (c->visible_controls)
		ret = put_visible(c, buf, n);
	else
		ret = put(c, buf, n);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int console_flush(struct console *c)
{
	int ret = 0;

	pthread_mutex_lock(&c->lock);
	if (c->c1_lead_pending && c->out_fd >= 0) {
		const char lead = (char)UTF8_C1_LEAD;

		c->c1_lead_pending = false;
		ret = put(c, &lead, 1);
	}
	if (!ret && c->prefixed && c->len)
		ret = emit_line(c);
	if (!ret && c->log)
		ret = console_log_flush(c->log, c);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * Apply Ctrl-A escapes to the n bytes in chunk (in place; chunk has room for one
 * more byte). Returns the bytes to pass on; sets *quit on Ctrl-A x. A Ctrl-A at
 * the end of a chunk waits for the next byte (in->escape_pending).
 */
static ssize_t filter_escapes(struct console_input *in, uint8_t *chunk, ssize_t n, bool *quit,
			      bool *snapshot, bool can_snapshot)
{
	uint8_t out[CONSOLE_INPUT_BUF + 1];
	ssize_t len = 0;

	for (ssize_t i = 0; i < n; i++) {
		uint8_t c = chunk[i];

		if (!in->escape_pending) {
			if (c == CONSOLE_ESCAPE)
				in->escape_pending = true;
			else
				out[len++] = c;
			continue;
		}
		in->escape_pending = false;
		if (c == CONSOLE_ESCAPE_QUIT) {
			*quit = true; /* what came before still reaches the guest; nothing after */
			break;
		}
		if (c == CONSOLE_ESCAPE_HELP) {
			if (in->help_fd >= 0)
				write_keys_help(in->help_fd, !in->cooked);
			continue;
		}
		if (c == CONSOLE_ESCAPE_SNAPSHOT && can_snapshot) {
			*snapshot = true; /* after this chunk's bytes reach the guest */
			continue;
		}
		if (c != CONSOLE_ESCAPE)
			out[len++] = CONSOLE_ESCAPE; /* not an escape after all: pass both */
		out[len++] = c;
	}
	memcpy(chunk, out, len);
	return len;
}

static void *input_thread(void *arg)
{
	struct console_input *in = arg;
	struct pollfd fds[2] = { { .fd = in->fd, .events = POLLIN },
				 { .fd = in->wake_fd, .events = POLLIN } };
	/* A Ctrl-A held back from one read comes out with the next: one byte of slack. */
	size_t slack = in->on_quit ? 1 : 0;

	for (;;) {
		uint8_t chunk[CONSOLE_INPUT_BUF + 1];
		bool quit = false, snapshot = false, eof, stopping;
		void (*on_snapshot)(void *);
		void *snapshot_opaque;
		size_t room;
		ssize_t n;

		/* Wait for room first: input stays in the fd until a guest can take it. */
		pthread_mutex_lock(&in->lock);
		while (sizeof(in->buf) - in->count <= slack && !in->stopping)
			pthread_cond_wait(&in->changed, &in->lock);
		room = sizeof(in->buf) - in->count - slack;
		stopping = in->stopping;
		pthread_mutex_unlock(&in->lock);
		if (stopping)
			break;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		n = read(in->fd, chunk, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		eof = n <= 0;
		pthread_mutex_lock(&in->notify_lock);
		on_snapshot = in->on_snapshot;
		snapshot_opaque = in->snapshot_opaque;
		pthread_mutex_unlock(&in->notify_lock);
		if (!eof && in->on_quit)
			n = filter_escapes(in, chunk, n, &quit, &snapshot, on_snapshot != NULL);
		/* A cooked terminal hands over the key after a lone Ctrl-A only in key mode. */
		if (in->cooked && !eof && in->escape_pending != in->key_mode) {
			in->key_mode = in->escape_pending;
			terminal_key_mode(in->fd, in->key_mode);
		}

		pthread_mutex_lock(&in->lock);
		if (eof)
			in->eof = true;
		for (ssize_t i = 0; i < n; i++)
			in->buf[(in->head + in->count + i) % sizeof(in->buf)] = chunk[i];
		if (n > 0)
			in->count += n;
		pthread_cond_broadcast(&in->changed);
		pthread_mutex_unlock(&in->lock);

		pthread_mutex_lock(&in->notify_lock);
		if (n > 0 && in->notify)
			in->notify(in->notify_opaque);
		pthread_mutex_unlock(&in->notify_lock);
		if (snapshot)
			on_snapshot(snapshot_opaque);
		if (quit)
			in->on_quit(in->quit_opaque);
		if (eof || quit)
			break;
	}
	pthread_mutex_lock(&in->lock);
	in->eof = true;
	pthread_cond_broadcast(&in->changed);
	pthread_mutex_unlock(&in->lock);
	return NULL;
}

int console_input_start(struct console_input *in, int fd, void (*on_quit)(void *),
			void *quit_opaque)
{
	const struct console_keys keys = { .on_quit = on_quit,
					   .opaque = quit_opaque,
					   .help_fd = -1 };

	return console_input_start_keys(in, fd, &keys);
}

/* /dev/null's device number (Linux's devices.txt: char major 1, minor 3). */
#define DEV_NULL_MAJOR 1
#define DEV_NULL_MINOR 3

/* Whether fd is /dev/null: reading it gives end of file at once, forever. */
static bool is_dev_null(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(DEV_NULL_MAJOR, DEV_NULL_MINOR);
}

int console_input_start_keys(struct console_input *in, int fd, const struct console_keys *keys)
{
	int ret;

	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->on_quit = keys->on_quit;
	in->quit_opaque = keys->opaque;
	in->help_fd = keys->help_fd;
	in->cooked = keys->on_quit && keys->cooked_terminal;
	pthread_mutex_init(&in->lock, NULL);
	pthread_mutex_init(&in->notify_lock, NULL);
	pthread_cond_init(&in->changed, NULL);
	in->wake_fd = -1;
	/* Nothing to read, ever: no reader thread (a tiny guest's start-up; make bench). */
	if (is_dev_null(fd)) {
		in->eof = true;
		return 0;
	}
	in->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (in->wake_fd < 0)
		return error_errno(errno, "console input: eventfd");
	/* The reader runs in its sandbox from its first instruction (sandbox.h). */
	ret = sandbox_thread_create(&in->thread, SANDBOX_STDIN, input_thread, in);
	if (ret < 0) {
		close(in->wake_fd);
		return error_wrap(-ret, "console input");
	}
	in->started = true;
	return 0;
}

void console_input_stop(struct console_input *in)
{
	uint64_t one = 1;

	if (!in->started)
		return;
	pthread_mutex_lock(&in->lock);
	in->stopping = true;
	pthread_cond_broadcast(&in->changed);
	pthread_mutex_unlock(&in->lock);
	if (write(in->wake_fd, &one, sizeof(one)) < 0) {
		/* Cannot happen for an eventfd below its maximum; the join below would hang. */
	}
	pthread_join(in->thread, NULL);
	close(in->wake_fd);
	in->started = false;
}

void console_input_set_notify(struct console_input *in, void (*notify)(void *), void *opaque)
{
	pthread_mutex_lock(&in->notify_lock);
	in->notify = notify;
	in->notify_opaque = opaque;
	pthread_mutex_unlock(&in->notify_lock);
}

void console_input_set_snapshot(struct console_input *in, void (*on_snapshot)(void *), void *opaque)
{
	pthread_mutex_lock(&in->notify_lock);
	in->on_snapshot = on_snapshot;
	in->snapshot_opaque = opaque;
	pthread_mutex_unlock(&in->notify_lock);
}

void console_cancel(struct console *c)
{
	struct console_input *in = c->input;

	atomic_store(&c->cancelled, true);
	if (!in || !in->started)
		return;
	pthread_mutex_lock(&in->lock);
	in->stopping = true;
	pthread_cond_broadcast(&in->changed);
	pthread_mutex_unlock(&in->lock);
}

static int take_byte(struct console_input *in)
{
	uint8_t byte = in->buf[in->head];

	in->head = (in->head + 1) % sizeof(in->buf);
	in->count--;
	pthread_cond_broadcast(&in->changed);
	return byte;
}

int console_getchar(struct console *c)
{
	struct console_input *in = c->input;
	int byte = -1;

	if (!in)
		return -1;
	pthread_mutex_lock(&in->lock);
	while (!in->count && !in->eof && !in->stopping)
		pthread_cond_wait(&in->changed, &in->lock);
	if (in->count && !in->stopping)
		byte = take_byte(in);
	pthread_mutex_unlock(&in->lock);
	return byte;
}

int console_poll(struct console *c, uint8_t *byte)
{
	struct console_input *in = c->input;
	int got = 0;

	if (!in)
		return 0;
	pthread_mutex_lock(&in->lock);
	if (in->count) {
		*byte = take_byte(in);
		got = 1;
	}
	pthread_mutex_unlock(&in->lock);
	return got;
}
