/* SPDX-License-Identifier: MIT */
/* Unit tests of mini-kvm's outputs: JSON (src/json.c, src/stats_json.c, src/trace_json.c), the console log, held trace lines and Ctrl-A h (src/console*.c), --serial backends. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "console.h"
#include "console_log.h"
#include "error.h"
#include "json.h"
#include "serial_backend.h"
#include "stats_json.h"
#include "trace_json.h"

#define TEXT_MAX 8192

/* What fd (a pipe's read end, non-blocking) holds now, as a string in buf. */
static const char *drain(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	return buf;
}

static void nonblocking_pipe(int fd[2])
{
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(fcntl(fd[0], F_SETFL, O_NONBLOCK), 0);
}

/* The whole file at path as a malloc()ed string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, (1 << 20) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* --- JSON ------------------------------------------------------------------------ */

static char *json_of_string(const char *s)
{
	char *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);

	json_write_string(out, s);
	fclose(out);
	return text;
}

static void test_json_strings(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "q\"b\\s", "\"q\\\"b\\\\s\"" },
		{ "\n\t\x01\x1f", "\"\\u000a\\u0009\\u0001\\u001f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		/* Not UTF-8: bytes as Latin-1 escapes, so the output stays valid JSON. */
		{ "\xff", "\"\\u00ff\"" },
		{ "\xc3", "\"\\u00c3\"" },				    /* cut off */
		{ "\xc0\xaf", "\"\\u00c0\\u00af\"" },			    /* overlong */
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },	    /* a surrogate */
		{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* beyond U+10FFFF */
		{ "", "\"\"" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = json_of_string(cases[i].in);

		if (strcmp(got, cases[i].out))
			fail_msg("case %zu: %s, expected %s", i, got, cases[i].out);
		free(got);
	}
}

static void test_json_nesting(void **state)
{
	char *text = NULL;
	size_t size;
	FILE *out = open_memstream(&text, &size);
	struct json j;

	(void)state;
	json_init(&j, out);
	json_begin_object(&j, NULL);
	json_u64(&j, "n", 18446744073709551615ULL);
	json_i64(&j, "neg", -38);
	json_begin_array(&j, "list");
	json_bool(&j, NULL, true);
	json_null(&j, NULL);
	json_begin_object(&j, NULL);
	json_end_object(&j);
	json_string(&j, NULL, "s");
	json_end_array(&j);
	json_end_object(&j);
	fclose(out);
	assert_true(json_ok(&j));
	assert_string_equal(
		text, "{\"n\":18446744073709551615,\"neg\":-38,\"list\":[true,null,{},\"s\"]}");
	free(text);

	/* Unbalanced or too deep: json_ok() says so. */
	out = open_memstream(&text, &size);
	json_init(&j, out);
	json_end_array(&j);
	assert_false(json_ok(&j));
	json_init(&j, out);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_begin_array(&j, NULL);
	assert_false(json_ok(&j));
	json_init(&j, out);
	json_begin_object(&j, NULL);
	assert_false(json_ok(&j)); /* not closed */
	fclose(out);
	free(text);
}

static const char *device_name(uint64_t addr, bool mmio, void *opaque)
{
	(void)opaque;
	return !mmio && addr == 0x500 ? "hypercall" : "";
}

static void test_stats_json(void **state)
{
	struct vcpu_stats a = { 0 }, b = { 0 };
	const struct vcpu_stats *per_vcpu[] = { &a, &b };
	const struct stats_json_guest g = { .index = 2, .name = "tab\tbed", .path = "x.bin" };
	struct timeline t;
	char *text;

	(void)state;
	stats_add_exit(&a, KVM_EXIT_IO, 1000, 200);
	stats_add_io(&a, false, 0x500, true, false, 1, 150);
	stats_add_exit(&b, KVM_EXIT_MMIO, 3000, 400);
	stats_add_io(&b, true, 0xd0000000, false, true, 1, 50);
	stats_add_exit(&b, KVM_EXIT_HLT, 500, 7);
	timeline_init(&t, 100);
	timeline_mark(&t, TIMELINE_FIRST_RUN, 1100, 0);
	timeline_mark(&t, TIMELINE_END, 9100, 3);
	text = stats_json_report(&g, per_vcpu, 2, 12345, device_name, NULL, &t, "ready");
	assert_non_null(text);
	assert_true(!strncmp(text,
			     "{\"index\":2,\"name\":\"tab\\u0009bed\",\"path\":\"x.bin\","
			     "\"wall_ns\":12345,\"total\":{\"exits\":3,\"run_ns\":4500,"
			     "\"vmm_ns\":607,",
			     strlen("{\"index\":2,\"name\":\"tab\\u0009bed\",\"path\":\"x.bin\","
				    "\"wall_ns\":12345,\"total\":{\"exits\":3,\"run_ns\":4500,"
				    "\"vmm_ns\":607,")));
	assert_contains(text, "{\"reason\":\"IO\",\"count\":1,\"run_ns\":1000,\"vmm_ns\":200}");
	assert_contains(text, "{\"access\":\"out\",\"addr\":1280,\"count\":1,\"vmm_ns\":150,"
			      "\"device\":\"hypercall\",\"unclaimed\":false}");
	assert_contains(text, "{\"access\":\"mmio read\",\"addr\":3489660928,\"count\":1,"
			      "\"vmm_ns\":50,\"device\":\"\",\"unclaimed\":true}");
	assert_contains(text, "\"unclaimed\":1,\"unclaimed_mmio\":1}");
	assert_contains(text, "\"vcpus\":[{\"vcpu\":0,\"exits\":1,");
	assert_contains(text, "{\"vcpu\":1,\"exits\":2,");
	assert_contains(text,
			"\"timeline\":{\"events\":[{\"event\":\"first KVM_RUN\",\"at_ns\":1000,"
			"\"exits\":0},{\"event\":\"end\",\"at_ns\":9000,\"exits\":3}],"
			"\"marker\":\"ready\",\"marker_seen\":false}}");
	assert_null(strchr(text, '\n'));
	free(text);

	text = stats_json_report(&g, per_vcpu, 1, 1, NULL, NULL, NULL, NULL);
	assert_contains(text, "\"timeline\":null}");
	free(text);
}

static void test_trace_json(void **state)
{
	struct exit_log log = { 0 };
	struct exit_log *logs[] = { &log, NULL };
	struct trace_json tj;
	struct timeline t;
	char path[UNIT_TEMP_PATH_MAX], *text;

	(void)state;
	unit_temp_file("", 0, path);
	exit_log_add(&log, 1000, 2500, 2600, KVM_EXIT_IO, 0x500, 1, 1, true);
	exit_log_add(&log, 3000, 4001, 4002, KVM_EXIT_HLT, 0, 0, 0, false);
	assert_int_equal(log.n, 2);
	timeline_init(&t, 1000);
	timeline_mark(&t, TIMELINE_FIRST_RUN, 2000, 0);
	assert_int_equal(trace_json_open(&tj, path, 1000), 0);
	trace_json_guest(&tj, 3, "[3:g\"]", logs, 2, &t, device_name, NULL);
	assert_int_equal(trace_json_close(&tj), 0);
	text = slurp(path);
	assert_true(!strncmp(text, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", 40));
	assert_contains(text, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":3,\"tid\":0,"
			      "\"args\":{\"name\":\"[3:g\\\"]\"}}");
	assert_contains(text, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":3,\"tid\":1,"
			      "\"args\":{\"name\":\"vCPU 1\"}}");
	/* The guest ran from 1000 to 2500 ns (ts from origin 1000), the VMM to 2600. */
	assert_contains(text,
			"{\"name\":\"KVM_RUN\",\"ph\":\"X\",\"pid\":3,\"tid\":0,\"cat\":\"run\","
			"\"ts\":0.000,\"dur\":1.500}");
	assert_contains(text,
			"{\"name\":\"IO out 0x500\",\"ph\":\"X\",\"pid\":3,\"tid\":0,"
			"\"cat\":\"exit\",\"ts\":1.500,\"dur\":0.100,\"args\":{\"reason\":\"IO\","
			"\"access\":\"out\",\"port\":\"0x500\",\"size\":1,\"count\":1,"
			"\"device\":\"hypercall\"}}");
	assert_contains(text, "{\"name\":\"HLT\",\"ph\":\"X\",\"pid\":3,\"tid\":0,\"cat\":\"exit\","
			      "\"ts\":3.001,\"dur\":0.001,\"args\":{\"reason\":\"HLT\"}}");
	assert_contains(text, "{\"name\":\"first KVM_RUN\",\"ph\":\"i\",\"pid\":3,\"tid\":0,"
			      "\"cat\":\"boot\",\"s\":\"p\",\"ts\":1.000,\"args\":{\"exits\":0}}");
	assert_true(strlen(text) > 4 && !strcmp(text + strlen(text) - 4, "\n]}\n"));
	free(text);
	exit_log_free(&log);
	unlink(path);
}

/* A log past EXIT_LOG_MAX keeps counting what it drops. */
static void test_exit_log_bound(void **state)
{
	struct exit_log log = { 0 };

	(void)state;
	for (unsigned int i = 0; i < EXIT_LOG_MAX + 3; i++)
		exit_log_add(&log, i, i, i, KVM_EXIT_HLT, 0, 0, 0, false);
	assert_int_equal(log.n, EXIT_LOG_MAX);
	assert_int_equal(log.dropped, 3);
	exit_log_free(&log);
	assert_int_equal(log.n, 0);
}

/* --- consoles -------------------------------------------------------------------- */

static void test_console_log(void **state)
{
	struct console_log log;
	struct console a, b, solo;
	char path[UNIT_TEMP_PATH_MAX], *text;
	int out[2];

	(void)state;
	nonblocking_pipe(out);
	unit_temp_file("old", 3, path);
	assert_int_equal(console_log_open(&log, path), 0);
	console_init(&a, 1, "a", true, "1;32", out[1]);
	console_init(&b, 2, "b", true, NULL, out[1]);
	a.log = b.log = &log;
	a.visible_controls = true; /* the terminal shows ^[, the log keeps ESC */
	assert_int_equal(console_write(&a, "one\x1b", 4), 0);
	assert_int_equal(console_write(&b, "two\n", 4), 0);
	assert_int_equal(console_write(&a, "\n", 1), 0);
	assert_int_equal(console_write(&b, "tail", 4), 0);
	assert_int_equal(console_flush(&b), 0);
	console_destroy(&a);
	console_destroy(&b);
	console_init(&solo, 1, "solo", false, NULL, -1); /* discards: the log still gets it */
	solo.log = &log;
	assert_int_equal(console_write(&solo, "raw\x01", 4), 0);
	console_destroy(&solo);
	assert_int_equal(console_log_close(&log), 0);
	text = slurp(path);
	assert_string_equal(text, "[2:b] two\n[1:a] one\x1b\n[2:b] tail\nraw\x01");
	free(text);
	unlink(path);
	close(out[0]);
	close(out[1]);
	assert_int_equal(console_log_open(&log, "/nonexistent/dir/log"), -ENOENT);
	assert_contains(error_message(), "--console-log '/nonexistent/dir/log'");
}

/*
 * A trace line on stdout's file waits for the guest's open line to end: it comes out
 * after the chunk's last newline, never inside a guest's line.
 */
static void test_side_output_waits_for_the_line(void **state)
{
	int out[2], saved = dup(STDOUT_FILENO), side;
	char text[TEXT_MAX];
	struct console c;

	(void)state;
	nonblocking_pipe(out);
	assert_int_equal(dup2(out[1], STDOUT_FILENO), STDOUT_FILENO);
	side = dup(out[1]); /* another fd of the same pipe: stderr with 2>&1 */
	console_init(&c, 1, "g", false, NULL, STDOUT_FILENO);
	assert_int_equal(console_write(&c, "abc", 3), 0);
	assert_int_equal(console_side_write(side, "T1\n", 3), 0);
	assert_int_equal(console_side_write(side, "T2\n", 3), 0);
	drain(out[0], text, sizeof(text));
	assert_string_equal(text, "abc"); /* held */
	assert_int_equal(console_write(&c, "def\nghi", 7), 0);
	assert_int_equal(console_side_write(side, "T3\n", 3), 0);
	assert_int_equal(console_write(&c, "\n", 1), 0);
	assert_int_equal(console_side_write(side, "T4\n", 3), 0); /* the line is closed */
	assert_int_equal(console_write(&c, "end", 3), 0);
	assert_int_equal(console_side_write(side, "T5\n", 3), 0);
	assert_int_equal(console_side_flush(), 0); /* the guest ended mid-line */
	dup2(saved, STDOUT_FILENO);
	close(saved);
	drain(out[0], text, sizeof(text));
	assert_string_equal(text, "def\nT1\nT2\nghi\nT3\nT4\nend\nT5\n");
	console_destroy(&c);
	close(side);
	close(out[0]);
	close(out[1]);
}

/* Side output to a file other than stdout's is never held. */
static void test_side_output_elsewhere_goes_at_once(void **state)
{
	int out[2], side[2], saved = dup(STDOUT_FILENO);
	char text[TEXT_MAX];
	struct console c;

	(void)state;
	nonblocking_pipe(out);
	nonblocking_pipe(side);
	assert_int_equal(dup2(out[1], STDOUT_FILENO), STDOUT_FILENO);
	console_init(&c, 1, "g", false, NULL, STDOUT_FILENO);
	assert_int_equal(console_write(&c, "open", 4), 0);
	assert_int_equal(console_side_write(side[1], "T\n", 2), 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_string_equal(drain(side[0], text, sizeof(text)), "T\n");
	assert_int_equal(console_side_flush(), 0);
	console_destroy(&c);
	close(out[0]);
	close(out[1]);
	close(side[0]);
	close(side[1]);
}

static void count_quit(void *opaque)
{
	(*(int *)opaque)++;
}

/* Ctrl-A h lists the keys on the help fd and passes nothing; Ctrl-A x still quits. */
static void test_ctrl_a_h(void **state)
{
	int in[2], help[2], quits = 0;
	const struct console_keys keys = { .on_quit = count_quit, .opaque = &quits };
	struct console_keys with_help = keys;
	struct console_input input;
	struct console c;
	char text[TEXT_MAX];

	(void)state;
	assert_int_equal(pipe(in), 0);
	nonblocking_pipe(help);
	with_help.help_fd = help[1];
	console_init(&c, 1, "g", false, NULL, -1);
	assert_int_equal(console_input_start_keys(&input, in[0], &with_help), 0);
	c.input = &input;
	assert_int_equal(write(in[1], "a\x01hb\x01x", 6), 6);
	assert_int_equal(console_getchar(&c), 'a');
	assert_int_equal(console_getchar(&c), 'b');
	assert_int_equal(console_getchar(&c), -1); /* nothing after Ctrl-A x */
	console_input_stop(&input);
	assert_int_equal(quits, 1);
	drain(help[0], text, sizeof(text));
	assert_contains(text, "mini-kvm keys:\r\n");
	assert_contains(text, "  Ctrl-A x        quit: stop every guest (status 0)\r\n");
	assert_contains(text, "  Ctrl-A h        this list\r\n");
	console_destroy(&c);
	close(in[0]);
	close(in[1]);
	close(help[0]);
	close(help[1]);
}

/* EPIPE from stdout's reader marks the console: the runner ends the guest quietly. */
static void test_output_closed(void **state)
{
	struct console c;
	int out[2];

	(void)state;
	assert_int_equal(pipe(out), 0);
	close(out[0]);
	signal(SIGPIPE, SIG_IGN);
	console_init(&c, 1, "g", false, NULL, out[1]);
	assert_int_equal(console_write(&c, "x", 1), -EPIPE);
	assert_true(atomic_load(&c.output_closed));
	console_destroy(&c);
	close(out[1]);
}

/* --- --serial backends ---------------------------------------------------------- */

static void test_serial_file(void **state)
{
	struct serial_backend be;
	struct serial_spec spec;
	char path[UNIT_TEMP_PATH_MAX], *text;

	(void)state;
	unit_temp_file("old contents", 12, path);
	assert_int_equal(serial_spec_parse("file:x", &spec), 0);
	assert_true(strlen(path) < sizeof(spec.path));
	memcpy(spec.path, path, strlen(path) + 1);
	assert_int_equal(serial_backend_open(&be, &spec), 0);
	assert_int_equal(be.in_fd, STDIN_FILENO);
	assert_int_equal(write(be.out_fd, "guest\n", 6), 6);
	serial_backend_close(&be);
	text = slurp(path);
	assert_string_equal(text, "guest\n"); /* truncated first */
	free(text);
	unlink(path);
	snprintf(spec.path, sizeof(spec.path), "/nonexistent/dir/out");
	assert_int_equal(serial_backend_open(&be, &spec), -ENOENT);
	assert_contains(error_message(), "--serial file:/nonexistent/dir/out");
	serial_backend_close(&be); /* closes nothing of stdio */
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
}

static void test_serial_pty(void **state)
{
	struct serial_backend be;
	struct serial_spec spec;
	char buf[32] = "";
	int slave;

	(void)state;
	assert_int_equal(serial_spec_parse("pty", &spec), 0);
	if (serial_backend_open(&be, &spec) < 0)
		skip(); /* no /dev/pts here */
	assert_true(!strncmp(be.pty_name, "/dev/pts/", 9));
	assert_int_equal(be.in_fd, be.out_fd);
	slave = open(be.pty_name, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(write(be.out_fd, "out\n", 4), 4);
	assert_int_equal(read(slave, buf, sizeof(buf)), 4); /* raw: no \r added */
	assert_memory_equal(buf, "out\n", 4);
	assert_int_equal(write(slave, "in", 2), 2);
	assert_int_equal(read(be.in_fd, buf, sizeof(buf)), 2);
	close(slave);
	serial_backend_close(&be);
}

struct client {
	char path[SERIAL_PATH_MAX];
	char got[32];
};

static void *connect_and_read(void *arg)
{
	struct client *c = arg;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, c->path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    read(fd, c->got, sizeof(c->got) - 1) < 0)
		c->got[0] = '\0';
	close(fd);
	return NULL;
}

static void test_serial_unix_server(void **state)
{
	struct serial_backend be;
	struct serial_spec spec;
	struct client client;
	atomic_bool stop = false;
	pthread_t thread;

	(void)state;
	memset(&client, 0, sizeof(client));
	snprintf(client.path, sizeof(client.path), "/tmp/mini-kvm-unit-%d.sock", getpid());
	unlink(client.path);
	snprintf(spec.path, sizeof(spec.path), "%s", client.path);
	spec.kind = SERIAL_UNIX;
	spec.server = true;
	assert_int_equal(serial_backend_open(&be, &spec), 0);
	assert_true(be.listen_fd >= 0 && be.out_fd < 0);
	pthread_create(&thread, NULL, connect_and_read, &client);
	assert_int_equal(serial_backend_accept(&be, &stop), 0);
	assert_true(be.out_fd >= 0 && be.listen_fd < 0);
	assert_int_equal(write(be.out_fd, "hello", 5), 5);
	serial_backend_close(&be);
	pthread_join(thread, NULL);
	assert_string_equal(client.got, "hello");
	assert_int_equal(access(client.path, F_OK), -1); /* the socket file is removed */

	/* A stale socket file is replaced; a stop cancels the wait. */
	assert_int_equal(serial_backend_open(&be, &spec), 0);
	be.unlink_path = false;
	serial_backend_close(&be); /* leaves the file, with nobody listening */
	assert_int_equal(access(client.path, F_OK), 0);
	assert_int_equal(serial_backend_open(&be, &spec), 0);
	atomic_store(&stop, true);
	assert_int_equal(serial_backend_accept(&be, &stop), -ECANCELED);
	serial_backend_close(&be);

	/* A client with nobody listening says what to do. */
	spec.server = false;
	assert_int_equal(serial_backend_open(&be, &spec), -ENOENT);
	assert_contains(error_message(), "or say unix:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_trace_json),
		cmocka_unit_test(test_exit_log_bound),
		cmocka_unit_test(test_console_log),
		cmocka_unit_test(test_side_output_waits_for_the_line),
		cmocka_unit_test(test_side_output_elsewhere_goes_at_once),
		cmocka_unit_test(test_ctrl_a_h),
		cmocka_unit_test(test_output_closed),
		cmocka_unit_test(test_serial_file),
		cmocka_unit_test(test_serial_pty),
		cmocka_unit_test(test_serial_unix_server),
	};

	return cmocka_run_group_tests_name("outputs", tests, NULL, NULL);
}
