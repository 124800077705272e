/* SPDX-License-Identifier: MIT */
/* Unit tests of guest consoles (src/console.c): whole prefixed lines through a pipe, and host input. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

#include "console.h"
#include "error.h"

#define OUT_MAX	   (3 * CONSOLE_LINE_MAX)
#define LONG_EXTRA 10
/* More input than the console buffers at once: the reader must wait for room. */
#define INPUT_BYTES (CONSOLE_INPUT_BUF + 1000)

/* A pipe standing in for stdout: the test reads what the console wrote. */
struct out {
	int fd[2];
	char text[OUT_MAX + 1];
};

static int setup(void **state)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o || pipe(o->fd) || fcntl(o->fd[0], F_SETFL, O_NONBLOCK))
		return -1;
	*state = o;
	return 0;
}

static int teardown(void **state)
{
	struct out *o = *state;

	close(o->fd[0]);
	if (o->fd[1] >= 0)
		close(o->fd[1]);
	free(o);
	return 0;
}

/* Everything written to the pipe since the last call, as a string. */
static const char *drain(struct out *o)
{
	size_t len = 0;
	ssize_t n;

	while ((n = read(o->fd[0], o->text + len, OUT_MAX - len)) > 0)
		len += n;
	assert_true(n < 0 && errno == EAGAIN);
	o->text[len] = '\0';
	return o->text;
}

static void test_unprefixed_passthrough(void **state)
{
	struct out *o = *state;
	struct console c;

	console_init(&c, 1, "solo", false, NULL, o->fd[1]);
	/* One guest: bytes go out at once, partial lines too, unchanged. */
	assert_int_equal(console_write(&c, "abc", 3), 0);
	assert_string_equal(drain(o), "abc");
	assert_int_equal(console_write(&c, "d\nef", 4), 0);
	assert_string_equal(drain(o), "d\nef");
	assert_int_equal(console_flush(&c), 0);
	assert_string_equal(drain(o), "");
	assert_int_equal(console_write(&c, "", 0), 0);
	assert_string_equal(drain(o), "");
	console_destroy(&c);
}

static void test_prefixed_lines(void **state)
{
	struct out *o = *state;
	struct console c;

	console_init(&c, 2, "hello", true, NULL, o->fd[1]);
	assert_int_equal(console_write(&c, "one\ntw", 6), 0);
	assert_string_equal(drain(o), "[2:hello] one\n");
	assert_int_equal(console_write(&c, "o", 1), 0);
	assert_string_equal(drain(o), ""); /* a partial line waits */
	assert_int_equal(console_write(&c, "\nthree\nfour\n", 12), 0);
	assert_string_equal(drain(o), "[2:hello] two\n[2:hello] three\n[2:hello] four\n");
	/* An empty line is a line. */
	assert_int_equal(console_write(&c, "\n", 1), 0);
	assert_string_equal(drain(o), "[2:hello] \n");
	console_destroy(&c);
}

static void test_partial_line_flush(void **state)
{
	struct out *o = *state;
	struct console c;

	console_init(&c, 3, "g", true, NULL, o->fd[1]);
	assert_int_equal(console_write(&c, "no newline", 10), 0);
	assert_string_equal(drain(o), "");
	/* Flushing ends the line with a newline of its own. */
	assert_int_equal(console_flush(&c), 0);
	assert_string_equal(drain(o), "[3:g] no newline\n");
	/* Nothing left: flushing again writes nothing. */
	assert_int_equal(console_flush(&c), 0);
	assert_string_equal(drain(o), "");
	console_destroy(&c);
}

static void test_lines_do_not_interleave(void **state)
{
	struct out *o = *state;
	struct console a, b;

	console_init(&a, 1, "a", true, NULL, o->fd[1]);
	console_init(&b, 2, "b", true, NULL, o->fd[1]);
	assert_int_equal(console_write(&a, "a1 ", 3), 0);
	assert_int_equal(console_write(&b, "b1\n", 3), 0);
	assert_int_equal(console_write(&a, "a2\n", 3), 0);
	assert_int_equal(console_write(&b, "b2", 2), 0);
	assert_int_equal(console_flush(&a), 0);
	assert_int_equal(console_flush(&b), 0);
	assert_string_equal(drain(o), "[2:b] b1\n[1:a] a1 a2\n[2:b] b2\n");
	console_destroy(&a);
	console_destroy(&b);
}

static void test_color_prefix(void **state)
{
	struct out *o = *state;
	struct console c;

	console_init(&c, 4, "pmode", true, "1;32", o->fd[1]);
	assert_int_equal(console_write(&c, "hi\n", 3), 0);
	assert_string_equal(drain(o), "\033[1;32m[4:pmode]\033[0m hi\n");
	console_destroy(&c);
}

static void test_long_line(void **state)
{
	struct out *o = *state;
	struct console c;
	char *line = malloc(CONSOLE_LINE_MAX + LONG_EXTRA + 1);
	const char *text;

	assert_non_null(line);
	memset(line, 'x', CONSOLE_LINE_MAX + LONG_EXTRA);
	line[CONSOLE_LINE_MAX + LONG_EXTRA] = '\n';
	console_init(&c, 1, "n", true, NULL, o->fd[1]);
	/* A line longer than the buffer goes out in pieces, each a prefixed line. */
	assert_int_equal(console_write(&c, line, CONSOLE_LINE_MAX + LONG_EXTRA + 1), 0);
	text = drain(o);
	assert_int_equal(strlen(text), 2 * strlen("[1:n] ") + CONSOLE_LINE_MAX + LONG_EXTRA + 2);
	assert_memory_equal(text, "[1:n] xxx", 9);
	assert_memory_equal(text + strlen("[1:n] ") + CONSOLE_LINE_MAX, "\n[1:n] xxxxxxxxxx\n", 18);
	console_destroy(&c);
	free(line);
}

static void test_long_name(void **state)
{
	struct out *o = *state;
	struct console c;
	char name[CONSOLE_NAME_MAX + 20], want[CONSOLE_NAME_MAX + 40];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	console_init(&c, 9, name, true, NULL, o->fd[1]);
	assert_int_equal(console_write(&c, ".\n", 2), 0);
	/* The name is cut to what the console keeps. */
	snprintf(want, sizeof(want), "[9:%.*s] .\n", CONSOLE_NAME_MAX - 1, name);
	assert_string_equal(drain(o), want);
	console_destroy(&c);
}

static void test_discard(void **state)
{
	struct out *o = *state;
	struct console c;

	console_init(&c, 1, "probe", true, NULL, -1);
	assert_int_equal(console_write(&c, "gone\n", 5), 0);
	assert_int_equal(console_write(&c, "partial", 7), 0);
	assert_int_equal(console_flush(&c), 0);
	assert_string_equal(drain(o), "");
	console_destroy(&c);
}

static void test_closed_output(void **state)
{
	struct out *o = *state;
	struct console plain, prefixed;

	/* The reader goes away: writes fail with EPIPE (SIGPIPE is ignored). */
	close(o->fd[0]);
	o->fd[0] = open("/dev/null", O_RDONLY); /* for teardown */
	console_init(&plain, 1, "p", false, NULL, o->fd[1]);
	console_init(&prefixed, 2, "q", true, NULL, o->fd[1]);
	error_clear();
	assert_int_equal(console_write(&plain, "x", 1), -EPIPE);
	assert_contains(error_message(), "guest output to fd");
	assert_contains(error_message(), "Broken pipe");
	assert_int_equal(console_write(&prefixed, "partial", 7), 0);
	assert_int_equal(console_write(&prefixed, "\n", 1), -EPIPE);
	assert_int_equal(console_write(&prefixed, "more", 4), 0);
	assert_int_equal(console_flush(&prefixed), -EPIPE);
	console_destroy(&plain);
	console_destroy(&prefixed);
}

static void test_visible_controls(void **state)
{
	struct out *o = *state;
	struct console c;

	console_init(&c, 1, "solo", false, NULL, o->fd[1]);
	c.visible_controls = true;
	/* ESC, BEL and DEL would drive a terminal; \n \r \t \b only move its cursor. */
	assert_int_equal(console_write(&c, "\033[31mred\a\177 a\tb\r\n\b", 17), 0);
	assert_string_equal(drain(o), "^[[31mred^G^? a\tb\r\n\b");
	/* UTF-8 text passes; a C1 control in UTF-8 shows, even split over two writes. */
	assert_int_equal(console_write(&c, "\xc3\xa9\xe2\x82\xac", 5), 0);
	assert_string_equal(drain(o), "\xc3\xa9\xe2\x82\xac");
	assert_int_equal(console_write(&c, "\xc2", 1), 0);
	assert_int_equal(console_write(&c,
				       "\x9b"
				       "2J",
				       3),
			 0);
	assert_string_equal(drain(o), "M-^[2J");
	/* A lone 0xc2 at the end comes out at the flush; NUL is ^@. */
	assert_int_equal(console_write(&c, "\0\xc2", 2), 0);
	assert_int_equal(console_flush(&c), 0);
	assert_string_equal(drain(o), "^@\xc2");
	console_destroy(&c);
}

static void test_visible_controls_cannot_fake_a_prefix(void **state)
{
	struct out *o = *state;
	struct console c;

	/* A carriage return can start a new-looking line, but not an escape sequence. */
	console_init(&c, 2, "evil", true, NULL, o->fd[1]);
	c.visible_controls = true;
	assert_int_equal(console_write(&c, "\033[2K\r[1:good] hi\n", 17), 0);
	assert_string_equal(drain(o), "[2:evil] ^[[2K\r[1:good] hi\n");
	console_destroy(&c);
}

/* Read the pipe slowly from another thread, as a reader that keeps up at its own pace. */
static void *slow_reader(void *arg)
{
	struct out *o = arg;
	size_t *total = (size_t *)o->text;
	char buf[4096];
	ssize_t n;

	*total = 0;
	while ((n = read(o->fd[0], buf, sizeof(buf))) != 0) {
		if (n > 0)
			*total += n;
		usleep(1000);
	}
	return NULL;
}

static void test_nonblocking_output_waits(void **state)
{
	enum { BYTES = 256 * 1024 };
	struct out *o = *state;
	static char big[BYTES];
	struct console c;
	pthread_t reader;

	/* A non-blocking stdout fills up at 64 KiB: wait for room, never fail (EAGAIN). */
	fcntl(o->fd[1], F_SETFL, O_NONBLOCK);
	fcntl(o->fd[0], F_SETFL, 0);
	memset(big, 'x', sizeof(big));
	console_init(&c, 1, "solo", false, NULL, o->fd[1]);
	assert_int_equal(pthread_create(&reader, NULL, slow_reader, o), 0);
	assert_int_equal(console_write(&c, big, sizeof(big)), 0);
	close(o->fd[1]);
	o->fd[1] = -1;
	pthread_join(reader, NULL);
	assert_int_equal(*(size_t *)o->text, BYTES);
	assert_int_equal(atomic_load(&c.dropped), 0);
	console_destroy(&c);
}

struct stalled {
	struct console c;
	char *big;
	size_t len;
	int ret;
};

static void *stalled_writer(void *arg)
{
	struct stalled *w = arg;

	w->ret = console_write(&w->c, w->big, w->len);
	return NULL;
}

static void ignore_signal(int sig)
{
	(void)sig;
}

static void test_cancel_unblocks_a_stalled_write(void **state)
{
	enum { BYTES = 256 * 1024 };
	struct out *o = *state;
	struct stalled w = { .len = BYTES };
	struct sigaction sa = { .sa_handler = ignore_signal };
	pthread_t writer;
	int done = 0;

	/* Nobody reads the pipe: the write blocks, as on a stalled stdout. */
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: the write returns EINTR */
	w.big = malloc(BYTES);
	memset(w.big, 'x', BYTES);
	console_init(&w.c, 1, "solo", false, NULL, o->fd[1]);
	assert_int_equal(pthread_create(&writer, NULL, stalled_writer, &w), 0);
	usleep(100 * 1000);
	/* The VM stops: cancel, then kick as vm.c does, until the writer leaves. */
	console_cancel(&w.c);
	for (int i = 0; i < 100 && !done; i++) {
		struct timespec until;

		pthread_kill(writer, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 10 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		done = pthread_timedjoin_np(writer, NULL, &until) == 0;
	}
	assert_true(done);
	assert_int_equal(w.ret, 0);
	/* What the pipe did not take is counted, not lost silently. */
	assert_true(atomic_load(&w.c.dropped) > 0);
	assert_true(atomic_load(&w.c.dropped) < BYTES);
	/* Later output does not wait either. */
	assert_int_equal(console_write(&w.c, w.big, BYTES), 0);
	free(w.big);
	console_destroy(&w.c);
}

static void test_no_input(void **state)
{
	struct console c;
	uint8_t byte = 0x5a;

	(void)state;
	console_init(&c, 1, "g", false, NULL, -1);
	/* No input attached: end of input at once, never a wait. */
	assert_int_equal(console_getchar(&c), -1);
	assert_int_equal(console_poll(&c, &byte), 0);
	assert_int_equal(byte, 0x5a);
	console_cancel(&c);
	console_destroy(&c);
}

static void count_notify(void *opaque)
{
	__atomic_add_fetch((int *)opaque, 1, __ATOMIC_SEQ_CST);
}

static void test_input(void **state)
{
	struct console_input in;
	struct console c;
	int fd[2], notified = 0;

	(void)state;
	assert_int_equal(pipe(fd), 0);
	console_init(&c, 1, "g", false, NULL, -1);
	assert_int_equal(console_input_start(&in, fd[0], NULL, NULL), 0);
	console_input_set_notify(&in, count_notify, &notified);
	c.input = &in;
	assert_int_equal(write(fd[1], "xy", 2), 2);
	close(fd[1]);
	assert_int_equal(console_getchar(&c), 'x');
	assert_int_equal(console_getchar(&c), 'y');
	/* The write end closed: end of input, for good. */
	assert_int_equal(console_getchar(&c), -1);
	assert_int_equal(console_getchar(&c), -1);
	console_input_stop(&in);
	assert_true(__atomic_load_n(&notified, __ATOMIC_SEQ_CST) >= 1);
	close(fd[0]);
	console_destroy(&c);
}

/* /dev/null as input: end of input at once, with no reader thread to start or stop. */
static void test_input_from_dev_null(void **state)
{
	struct console_input in;
	struct console c;
	uint8_t byte = 0x5a;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	console_init(&c, 1, "g", false, NULL, -1);
	assert_int_equal(console_input_start(&in, fd, NULL, NULL), 0);
	assert_false(in.started);
	c.input = &in;
	assert_int_equal(console_getchar(&c), -1);
	assert_int_equal(console_poll(&c, &byte), 0);
	assert_int_equal(byte, 0x5a);
	console_input_stop(&in); /* nothing to stop: returns at once */
	close(fd);
	console_destroy(&c);
}

static void count_quit(void *opaque)
{
	__atomic_add_fetch((int *)opaque, 1, __ATOMIC_SEQ_CST);
}

/* Ctrl-A Ctrl-A is one Ctrl-A, Ctrl-A and another byte are both bytes, Ctrl-A x quits. */
static void test_input_escapes(void **state)
{
	static const char typed[] = "a\001\001b\001c\001x"
				    "after";
	struct console_input in;
	struct console c;
	int fd[2], quits = 0;

	(void)state;
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], typed, strlen(typed)), (ssize_t)strlen(typed));
	console_init(&c, 1, "g", false, NULL, -1);
	assert_int_equal(console_input_start(&in, fd[0], count_quit, &quits), 0);
	c.input = &in;
	assert_int_equal(console_getchar(&c), 'a');
	assert_int_equal(console_getchar(&c), CONSOLE_ESCAPE);
	assert_int_equal(console_getchar(&c), 'b');
	assert_int_equal(console_getchar(&c), CONSOLE_ESCAPE);
	assert_int_equal(console_getchar(&c), 'c');
	/* Nothing after the quit reaches the guest. */
	assert_int_equal(console_getchar(&c), -1);
	console_input_stop(&in);
	assert_int_equal(__atomic_load_n(&quits, __ATOMIC_SEQ_CST), 1);
	close(fd[0]);
	close(fd[1]);
	console_destroy(&c);
}

static void test_input_bigger_than_buffer(void **state)
{
	struct console_input in;
	struct console c;
	uint8_t *data = malloc(INPUT_BYTES), byte;
	int fd[2];

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < INPUT_BYTES; i++)
		data[i] = (uint8_t)(i * 7 + i / 256);
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], data, INPUT_BYTES), INPUT_BYTES);
	close(fd[1]);
	console_init(&c, 1, "g", false, NULL, -1);
	assert_int_equal(console_input_start(&in, fd[0], NULL, NULL), 0);
	c.input = &in;
	/* Every byte, in order, across the buffer's wrap-around; polling mixed in. */
	for (size_t i = 0; i < INPUT_BYTES; i++) {
		if (i % 3 == 0 && console_poll(&c, &byte)) {
			assert_int_equal(byte, data[i]);
			continue;
		}
		assert_int_equal(console_getchar(&c), data[i]);
	}
	assert_int_equal(console_getchar(&c), -1);
	assert_int_equal(console_poll(&c, &byte), 0);
	console_input_stop(&in);
	close(fd[0]);
	console_destroy(&c);
	free(data);
}

static void *blocked_getchar(void *arg)
{
	return (void *)(intptr_t)console_getchar(arg);
}

static void test_cancel_input(void **state)
{
	struct console_input in;
	struct console c;
	pthread_t getter;
	void *got;
	int fd[2];

	(void)state;
	assert_int_equal(pipe(fd), 0);
	console_init(&c, 1, "g", false, NULL, -1);
	assert_int_equal(console_input_start(&in, fd[0], NULL, NULL), 0);
	c.input = &in;
	/* A vCPU waiting for input that never comes must not keep its VM alive. */
	assert_int_equal(pthread_create(&getter, NULL, blocked_getchar, &c), 0);
	console_cancel(&c);
	assert_int_equal(pthread_join(getter, &got), 0);
	assert_int_equal((intptr_t)got, -1);
	assert_int_equal(console_getchar(&c), -1);
	console_input_stop(&in);
	close(fd[0]);
	close(fd[1]);
	console_destroy(&c);
}

/* What a struct console_watch was told: first_byte calls and the lines. */
#define WATCH_LINES 8

struct watched {
	int first_bytes;
	unsigned int nlines;
	char lines[WATCH_LINES][CONSOLE_WATCH_MAX + 1];
};

static void watched_first_byte(void *opaque)
{
	((struct watched *)opaque)->first_bytes++;
}

static void watched_line(void *opaque, const char *line)
{
	struct watched *w = opaque;

	if (w->nlines == WATCH_LINES)
		fail_msg("more than %d watched lines", WATCH_LINES);
	assert_true(strlen(line) < CONSOLE_WATCH_MAX);
	snprintf(w->lines[w->nlines++], sizeof(w->lines[0]), "%s", line);
}

static void watch(struct console *c, struct watched *w, bool first_byte, bool line)
{
	memset(w, 0, sizeof(*w));
	c->watch = (struct console_watch){ .first_byte = first_byte ? watched_first_byte : NULL,
					   .line = line ? watched_line : NULL,
					   .opaque = w };
}

static void test_watch_first_byte(void **state)
{
	struct out *o = *state;
	struct watched w;
	struct console c;

	console_init(&c, 1, "w", false, NULL, o->fd[1]);
	watch(&c, &w, true, false);
	assert_int_equal(console_write(&c, "", 0), 0);
	assert_int_equal(w.first_bytes, 0);
	assert_int_equal(console_write(&c, "a", 1), 0);
	assert_int_equal(w.first_bytes, 1);
	/* Once per console, not per line or write. */
	assert_int_equal(console_write(&c, "bc\nd\n", 5), 0);
	assert_int_equal(console_flush(&c), 0);
	assert_int_equal(w.first_bytes, 1);
	assert_int_equal(w.nlines, 0);
	assert_string_equal(drain(o), "abc\nd\n");
	console_destroy(&c);
}

static void test_watch_lines(void **state)
{
	static const char *const writes[] = {
		"one\r\ntw", "o\n", "\n", "a\rb\r\n", "\r", "\r\n", "partial",
	};
	struct out *o = *state;
	struct watched w;
	struct console c;

	console_init(&c, 2, "w", true, NULL, o->fd[1]);
	watch(&c, &w, true, true);
	for (unsigned int i = 0; i < ARRAY_SIZE(writes); i++)
		assert_int_equal(console_write(&c, writes[i], strlen(writes[i])), 0);
	/* Whole lines, whatever the writes, without their "\r\n" or "\n". */
	assert_int_equal(w.nlines, 5);
	assert_string_equal(w.lines[0], "one");
	assert_string_equal(w.lines[1], "two");
	assert_string_equal(w.lines[2], "");
	/* Only the carriage return before the newline goes. */
	assert_string_equal(w.lines[3], "a\rb");
	assert_string_equal(w.lines[4], "\r");
	assert_int_equal(w.first_bytes, 1);
	/* A partial line waits for its newline, even across a flush of the output. */
	assert_int_equal(console_flush(&c), 0);
	assert_int_equal(w.nlines, 5);
	assert_int_equal(console_write(&c, " line\r\n", 7), 0);
	assert_int_equal(w.nlines, 6);
	assert_string_equal(w.lines[5], "partial line");
	/* The watch does not change the output. */
	assert_string_equal(drain(o), "[2:w] one\r\n[2:w] two\n[2:w] \n[2:w] a\rb\r\n[2:w] \r\r\n"
				      "[2:w] partial\n[2:w]  line\r\n");
	console_destroy(&c);
}

static void test_watch_long_line(void **state)
{
	const size_t kept = CONSOLE_WATCH_MAX - 1, longer = CONSOLE_WATCH_MAX + 100;
	struct watched w;
	struct console c;
	char *line = malloc(longer + 2);

	(void)state;
	assert_non_null(line);
	memset(line, 'y', longer);
	memcpy(line + longer, "\r\n", 2);
	console_init(&c, 1, "w", false, NULL, -1);
	watch(&c, &w, false, true);
	/* Cut to the first CONSOLE_WATCH_MAX - 1 bytes; the rest is dropped, not carried over. */
	assert_int_equal(console_write(&c, line, longer + 2), 0);
	assert_int_equal(console_write(&c, "next\n", 5), 0);
	assert_int_equal(w.nlines, 2);
	assert_int_equal(strlen(w.lines[0]), kept);
	assert_memory_equal(w.lines[0], line, kept);
	assert_string_equal(w.lines[1], "next");
	/* Exactly full: the carriage return has no room and is not stored. */
	memcpy(line + kept, "\r\n", 2);
	assert_int_equal(console_write(&c, line, kept + 2), 0);
	assert_int_equal(strlen(w.lines[2]), kept);
	/* One byte less: the carriage return fits, and is stripped. */
	memcpy(line + kept - 1, "\r\n", 2);
	assert_int_equal(console_write(&c, line, kept + 1), 0);
	assert_int_equal(strlen(w.lines[3]), kept - 1);
	assert_int_equal(w.nlines, 4);
	console_destroy(&c);
	free(line);
}

static void test_watch_discarding_console(void **state)
{
	struct watched w;
	struct console c;

	(void)state;
	/* A console that discards its output is still watched. */
	console_init(&c, 1, "probe", true, NULL, -1);
	watch(&c, &w, true, true);
	assert_int_equal(console_write(&c, "seen\r\n", 6), 0);
	assert_int_equal(w.first_bytes, 1);
	assert_int_equal(w.nlines, 1);
	assert_string_equal(w.lines[0], "seen");
	console_destroy(&c);
}

static void count_fire(void *opaque)
{
	(*(int *)opaque)++;
}

/*
 * The trigger (--snapshot-at) fires once, when the line so far first contains its
 * text: across writes, in a line with no newline yet (a prompt), not across lines.
 */
static void test_trigger(void **state)
{
	static const struct {
		const char *writes[4];
		int fires;
	} cases[] = {
		{ { "guest# " }, 1 },
		{ { "gue", "st", "# " }, 1 },
		{ { "a guest# b", "\nguest# " }, 1 }, /* once only */
		{ { "gues\nt# " }, 0 },		      /* split by a newline */
		{ { "guest#", "\r\n# " }, 0 },
		{ { "ggguest# " }, 1 },
		{ { "guest" }, 0 },
	};
	struct out *o = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct console c;
		int fires = 0;

		console_init(&c, 1, "t", false, NULL, o->fd[1]);
		console_set_trigger(&c, "guest# ", count_fire, &fires);
		for (size_t j = 0; j < ARRAY_SIZE(cases[i].writes) && cases[i].writes[j]; j++)
			assert_int_equal(
				console_write(&c, cases[i].writes[j], strlen(cases[i].writes[j])),
				0);
		if (fires != cases[i].fires)
			fail_msg("case %zu: %d fires, not %d", i, fires, cases[i].fires);
		drain(o);
		console_destroy(&c);
	}
}

/* A trigger as long as the limit matches; its output passes unchanged. */
static void test_trigger_long(void **state)
{
	struct out *o = *state;
	char text[CONSOLE_TRIGGER_MAX + 1];
	struct console c;
	int fires = 0;

	memset(text, 'q', CONSOLE_TRIGGER_MAX);
	text[CONSOLE_TRIGGER_MAX] = '\0';
	console_init(&c, 1, "t", false, NULL, o->fd[1]);
	console_set_trigger(&c, text, count_fire, &fires);
	assert_int_equal(console_write(&c, "x", 1), 0);
	assert_int_equal(console_write(&c, text, CONSOLE_TRIGGER_MAX - 1), 0);
	assert_int_equal(fires, 0);
	assert_int_equal(console_write(&c, "q", 1), 0);
	assert_int_equal(fires, 1);
	assert_int_equal(strlen(drain(o)), CONSOLE_TRIGGER_MAX + 1);
	console_destroy(&c);
}

/* Ctrl-A s asks for a snapshot (both bytes kept from the guest) only with a handler. */
static void test_input_snapshot_escape(void **state)
{
	static const char typed[] = "a\001sb";
	struct console_input in;
	struct console c;
	int fd[2], quits = 0, snapshots = 0;

	(void)state;
	for (int with_handler = 0; with_handler < 2; with_handler++) {
		assert_int_equal(pipe(fd), 0);
		console_init(&c, 1, "g", false, NULL, -1);
		assert_int_equal(console_input_start(&in, fd[0], count_quit, &quits), 0);
		if (with_handler)
			console_input_set_snapshot(&in, count_quit, &snapshots);
		c.input = &in;
		assert_int_equal(write(fd[1], typed, strlen(typed)), (ssize_t)strlen(typed));
		assert_int_equal(console_getchar(&c), 'a');
		if (!with_handler) {
			assert_int_equal(console_getchar(&c), CONSOLE_ESCAPE);
			assert_int_equal(console_getchar(&c), 's');
		}
		assert_int_equal(console_getchar(&c), 'b');
		close(fd[1]);
		assert_int_equal(console_getchar(&c), -1);
		console_input_stop(&in);
		close(fd[0]);
		console_destroy(&c);
	}
	assert_int_equal(__atomic_load_n(&snapshots, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(quits, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_long, setup, teardown),
		cmocka_unit_test(test_input_snapshot_escape),
		cmocka_unit_test_setup_teardown(test_unprefixed_passthrough, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefixed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_line_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_do_not_interleave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_color_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_controls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_controls_cannot_fake_a_prefix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nonblocking_output_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_unblocks_a_stalled_write, setup,
						teardown),
		cmocka_unit_test(test_no_input),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_input_from_dev_null),
		cmocka_unit_test(test_input_escapes),
		cmocka_unit_test(test_input_bigger_than_buffer),
		cmocka_unit_test(test_cancel_input),
		cmocka_unit_test_setup_teardown(test_watch_first_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_lines, setup, teardown),
		cmocka_unit_test(test_watch_long_line),
		cmocka_unit_test(test_watch_discarding_console),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
