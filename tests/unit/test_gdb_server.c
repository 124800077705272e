/* SPDX-License-Identifier: MIT */
/* Unit tests of the gdb server (src/gdb/gdb_server.c) over loopback, with a fake target. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "error.h"
#include "gdb/gdb_server.h"
#include "gdb/rsp.h"
#include "gdb/stub.h"
#include "gdb_fake_target.h"

/* Long enough for a loaded machine, short enough to fail a hung test. */
#define WAIT_MS	     5000
#define LOG_LINES    16
#define LOG_LEN	     256
#define REPLY_MAX    GDB_RSP_WIRE_MAX
#define POLL_STEP_NS 1000000L

struct fix {
	struct gdb_stub stub;
	struct fake_target t;
	struct gdb_server srv;
	pthread_mutex_t log_lock;
	char log[LOG_LINES][LOG_LEN];
	unsigned int nlog;
	int fd; /* the test's gdb */
};

static void record_log(void *opaque, const char *line)
{
	struct fix *f = opaque;

	pthread_mutex_lock(&f->log_lock);
	if (f->nlog < LOG_LINES)
		snprintf(f->log[f->nlog++], LOG_LEN, "%s", line);
	pthread_mutex_unlock(&f->log_lock);
}

static bool logged(struct fix *f, const char *text)
{
	bool found = false;
	unsigned int i;

	pthread_mutex_lock(&f->log_lock);
	for (i = 0; i < f->nlog; i++)
		found |= strstr(f->log[i], text) != NULL;
	pthread_mutex_unlock(&f->log_lock);
	return found;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct gdb_stub_config cfg = { .nvcpus = FAKE_VCPUS, .ops = &fake_target_ops };
	struct gdb_server_config scfg = { .address = "127.0.0.1:0", .log = record_log };

	if (!f)
		return -1;
	pthread_mutex_init(&f->log_lock, NULL);
	cfg.target = &f->t;
	if (gdb_stub_init(&f->stub, &cfg))
		return -1;
	fake_target_init(&f->t, &f->stub);
	f->t.stop_at_once = true; /* Ctrl-C: the VM parks at once */
	scfg.stub = &f->stub;
	scfg.opaque = f;
	if (gdb_server_start(&f->srv, &scfg)) {
		fprintf(stderr, "gdb_server_start: %s\n", error_message());
		return -1;
	}
	f->fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->fd >= 0)
		close(f->fd);
	gdb_server_stop(&f->srv);
	gdb_stub_destroy(&f->stub);
	fake_target_destroy(&f->t);
	pthread_mutex_destroy(&f->log_lock);
	free(f);
	return 0;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_packet(int fd, const char *data)
{
	char wire[REPLY_MAX];
	ssize_t n = gdb_rsp_frame(data, strlen(data), wire, sizeof(wire));

	assert_true(n > 0);
	send_all(fd, wire, (size_t)n);
}

/* One byte within WAIT_MS, or -1 at EOF. */
static int read_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b;
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) != 1)
		fail_msg("nothing from the server within %d ms", WAIT_MS);
	n = recv(fd, &b, 1, 0);
	if (n == 0)
		return -1;
	assert_int_equal(n, 1);
	return b;
}

/* The next packet from the server (acks skipped, checksum checked), as packet-data. */
static const char *read_packet(int fd, char *out)
{
	size_t n = 0;
	unsigned int sum;
	char digits[3] = { 0 };
	int c;

	while ((c = read_byte(fd)) == '+')
		;
	assert_int_equal(c, '$');
	while ((c = read_byte(fd)) != '#') {
		assert_true(c >= 0 && n < REPLY_MAX - 1);
		out[n++] = (char)c;
	}
	out[n] = '\0';
	digits[0] = (char)read_byte(fd);
	digits[1] = (char)read_byte(fd);
	assert_int_equal(sscanf(digits, "%2x", &sum), 1);
	assert_int_equal(sum, gdb_rsp_checksum(out, n));
	return out;
}

static void expect(struct fix *f, const char *packet, const char *reply)
{
	char got[REPLY_MAX];

	send_packet(f->fd, packet);
	read_packet(f->fd, got);
	if (strcmp(got, reply))
		fail_msg("\"%s\" got \"%s\", not \"%s\"", packet, got, reply);
}

/* Wait until cond(f) holds, up to WAIT_MS. */
static void wait_for(struct fix *f, bool (*cond)(struct fix *f), const char *what)
{
	struct timespec step = { .tv_nsec = POLL_STEP_NS };
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (cond(f))
			return;
		nanosleep(&step, NULL);
	}
	fail_msg("timed out waiting for %s", what);
}

static bool detached_once(struct fix *f)
{
	bool yes;

	pthread_mutex_lock(&f->t.lock);
	yes = f->t.detaches == 1;
	pthread_mutex_unlock(&f->t.lock);
	return yes;
}

static unsigned int want_resumes;

static bool resumed(struct fix *f)
{
	bool yes;

	pthread_mutex_lock(&f->t.lock);
	yes = f->t.resumes == want_resumes;
	pthread_mutex_unlock(&f->t.lock);
	return yes;
}

static bool refusal_logged(struct fix *f)
{
	return logged(f, "refused a second client");
}

/* Connect and go through gdb's opening. */
static void connect_gdb(struct fix *f)
{
	f->fd = connect_to(gdb_server_port(&f->srv));
	send_all(f->fd, "+", 1);
	expect(f, "qSupported:swbreak+;hwbreak+",
	       "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;"
	       "hwbreak+");
	expect(f, "?", "T05thread:1;");
}

static void test_session(void **state)
{
	struct fix *f = *state;
	uint8_t wire[2048];
	char hex[4097], got[REPLY_MAX];

	assert_true(gdb_server_port(&f->srv) != 0);
	assert_true(logged(f, "listening on 127.0.0.1:"));
	connect_gdb(f);
	assert_true(logged(f, "connected"));
	gdb_regs_to_wire(GDB_ARCH_X86_64, &f->t.regs[0], wire);
	gdb_hex_encode(wire, gdb_regs_wire_size(GDB_ARCH_X86_64), hex);
	hex[2 * gdb_regs_wire_size(GDB_ARCH_X86_64)] = '\0';
	expect(f, "g", hex);
	expect(f, "m1000,4", "00010203");
	expect(f, "m4000,4", "E0e");
	expect(f, "QStartNoAckMode", "OK");
	send_all(f->fd, "+", 1);
	/* Continue, then Ctrl-C: the stop reply comes by the server's wake-up. */
	send_packet(f->fd, "vCont;c");
	send_all(f->fd, "\x03", 1);
	assert_string_equal(read_packet(f->fd, got), "T02thread:1;");
	assert_int_equal(f->t.interrupts, 2);
	/* A stop the VM reports by itself, from another thread, once it runs. */
	send_packet(f->fd, "vCont;c");
	want_resumes = 2;
	wait_for(f, resumed, "the resume");
	{
		struct gdb_stop st = { .kind = GDB_STOP_HWBREAK };

		gdb_stub_stopped(&f->stub, 2, &st);
	}
	assert_string_equal(read_packet(f->fd, got), "T05thread:3;hwbreak:;");
}

static void test_garbage_survives(void **state)
{
	struct fix *f = *state;
	const char garbage[] = "\xff\x00junk#zz$half-a-packet$m1000,4#00--++\x7d\x2a";
	char got[REPLY_MAX];
	int c;

	connect_gdb(f);
	/*
	 * Noise, half packets, a bad checksum (a '-' back), two '-' of its own (the
	 * last reply twice again), acks and escapes out of place: then a good packet
	 * is answered.
	 */
	send_all(f->fd, garbage, sizeof(garbage) - 1);
	c = read_byte(f->fd);
	assert_int_equal(c, '-');
	assert_string_equal(read_packet(f->fd, got), "T05thread:1;");
	assert_string_equal(read_packet(f->fd, got), "T05thread:1;");
	send_packet(f->fd, "m1001,2");
	assert_string_equal(read_packet(f->fd, got), "0102");
}

static void test_second_client_refused(void **state)
{
	struct fix *f = *state;
	char line[sizeof(GDB_SERVER_BUSY_LINE)];
	int other, c;
	size_t n = 0;

	connect_gdb(f);
	other = connect_to(gdb_server_port(&f->srv));
	while ((c = read_byte(other)) >= 0) {
		assert_true(n < sizeof(line) - 1);
		line[n++] = (char)c;
	}
	line[n] = '\0';
	assert_string_equal(line, GDB_SERVER_BUSY_LINE);
	close(other);
	wait_for(f, refusal_logged, "the refusal's log line");
	/* The first gdb carries on. */
	expect(f, "qC", "QC1");
}

static void test_disconnect_detaches_and_reconnect(void **state)
{
	struct fix *f = *state;

	connect_gdb(f);
	expect(f, "Z0,1105,1", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), GDB_X86_INT3);
	close(f->fd);
	f->fd = -1;
	wait_for(f, detached_once, "the detach");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0x05);
	/* Another gdb may come now. */
	f->t.running = false;
	connect_gdb(f);
}

static void test_detach_packet_closes(void **state)
{
	struct fix *f = *state;
	char got[REPLY_MAX];

	connect_gdb(f);
	send_packet(f->fd, "D");
	assert_string_equal(read_packet(f->fd, got), "OK");
	assert_int_equal(read_byte(f->fd), -1); /* the server hung up */
	assert_int_equal(f->t.detaches, 1);
}

static void test_stop_delivers_final_exit(void **state)
{
	struct fix *f = *state;
	struct gdb_stop end = { .kind = GDB_STOP_EXITED, .status = 0 };
	char got[REPLY_MAX];

	connect_gdb(f);
	send_packet(f->fd, "vCont;c");
	want_resumes = 1;
	wait_for(f, resumed, "the resume");
	gdb_stub_stopped(&f->stub, 0, &end);
	gdb_server_stop(&f->srv);
	assert_string_equal(read_packet(f->fd, got), "W00");
	assert_int_equal(read_byte(f->fd), -1);
	assert_int_equal(f->t.detaches, 0); /* the VM ended: nothing to detach from */
	gdb_server_stop(&f->srv);	    /* idempotent */
}

static void test_address_in_use(void **state)
{
	struct fix *f = *state;
	struct gdb_server other;
	struct gdb_server_config cfg = { .stub = &f->stub };
	char address[32];

	snprintf(address, sizeof(address), "127.0.0.1:%u", gdb_server_port(&f->srv));
	cfg.address = address;
	assert_int_equal(gdb_server_start(&other, &cfg), -EADDRINUSE);
	assert_contains(error_message(), address);
	cfg.address = "1.2.3:4";
	assert_int_equal(gdb_server_start(&other, &cfg), -EINVAL);
}

struct address_row {
	const char *spec;
	int ret;
	int family;
	const char *host;
	uint16_t port;
};

static const struct address_row addresses[] = {
	{ "1234", 0, AF_INET, "127.0.0.1", 1234 },
	{ ":1234", 0, AF_INET, "127.0.0.1", 1234 },
	{ "localhost:99", 0, AF_INET, "127.0.0.1", 99 },
	{ "0.0.0.0:65535", 0, AF_INET, "0.0.0.0", 65535 },
	{ "10.1.2.3:0", 0, AF_INET, "10.1.2.3", 0 },
	{ "[::1]:1234", 0, AF_INET6, "::1", 1234 },
	{ "[::]:7", 0, AF_INET6, "::", 7 },
	{ "", -EINVAL, 0, NULL, 0 },
	{ "65536", -EINVAL, 0, NULL, 0 },
	{ "123456", -EINVAL, 0, NULL, 0 },
	{ "-1", -EINVAL, 0, NULL, 0 },
	{ "12a", -EINVAL, 0, NULL, 0 },
	{ "1.2.3.4:", -EINVAL, 0, NULL, 0 },
	{ "1.2.3.4: 5", -EINVAL, 0, NULL, 0 },
	{ "1.2.3:5", -EINVAL, 0, NULL, 0 },
	{ "example.com:5", -EINVAL, 0, NULL, 0 },
	{ "::1:1234", -EINVAL, 0, NULL, 0 },
	{ "[::1]1234", -EINVAL, 0, NULL, 0 },
	{ "[::1:1234", -EINVAL, 0, NULL, 0 },
	{ "[1.2.3.4]:5", -EINVAL, 0, NULL, 0 },
	{ "[]:5", -EINVAL, 0, NULL, 0 },
	{ "[aaaa:bbbb:cccc:dddd:eeee:ffff:1111:2222:3333]:5", -EINVAL, 0, NULL, 0 },
	{ "1111111111111111111111111111111111111111111111111111111.1:5", -EINVAL, 0, NULL, 0 },
};

static void test_parse_address(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(addresses); i++) {
		const struct address_row *row = &addresses[i];
		struct sockaddr_storage ss;
		socklen_t len;
		char host[INET6_ADDRSTRLEN];
		int ret = gdb_server_parse_address(row->spec, &ss, &len);

		if (ret != row->ret)
			fail_msg("'%s': %d, not %d", row->spec, ret, row->ret);
		if (ret) {
			assert_contains(error_message(), "gdb address");
			continue;
		}
		assert_int_equal(ss.ss_family, row->family);
		if (row->family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			assert_int_equal(len, sizeof(*a));
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			assert_int_equal(ntohs(a->sin_port), row->port);
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(*a));
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			assert_int_equal(ntohs(a->sin6_port), row->port);
		}
		assert_string_equal(host, row->host);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_survives, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_client_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_detaches_and_reconnect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_packet_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_delivers_final_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_in_use, setup, teardown),
		cmocka_unit_test(test_parse_address),
	};

	return cmocka_run_group_tests_name("gdb_server", tests, NULL, NULL);
}
