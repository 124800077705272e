/* SPDX-License-Identifier: MIT */
/* The gdb server: a TCP listener, one client, a thread feeding the engine and its stops. */
#include "gdb/gdb_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "sandbox.h"

#define PORT_MAX	 65535
#define DECIMAL_BASE	 10
#define PORT_DIGITS_MAX	 5
#define LISTEN_BACKLOG	 2
#define LOG_LINE_MAX	 256
#define MS_PER_SECOND	 1000
#define US_PER_MS	 1000
#define WAKE_DRAIN_CHUNK 64
/* At stop, how long a gdb that vanished mid-run may take to have its int3s taken out. */
#define DETACH_GRACE_MS 1000

/* ---- addresses ---- */

static int parse_port(const char *text, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, n = strlen(text);

	if (n == 0 || n > PORT_DIGITS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -EINVAL;
		v = v * DECIMAL_BASE + (unsigned long)(text[i] - '0');
	}
	if (v > PORT_MAX)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int gdb_server_parse_address(const char *spec, struct sockaddr_storage *addr, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_text, *colon;
	size_t host_len;
	uint16_t port;

	memset(addr, 0, sizeof(*addr));
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return error_set(EINVAL, "gdb address '%s': an IPv6 address is [ADDR]:PORT",
					 spec);
		host_len = (size_t)(close - spec - 1);
		port_text = close + 2;
		if (host_len >= sizeof(host))
			return error_set(EINVAL, "gdb address '%s': the address is too long", spec);
		memcpy(host, spec + 1, host_len);
		host[host_len] = '\0';
	} else {
		colon = strrchr(spec, ':');
		if (colon) {
			host_len = (size_t)(colon - spec);
			port_text = colon + 1;
		} else {
			host_len = 0;
			port_text = spec;
		}
		if (host_len >= sizeof(host))
			return error_set(EINVAL, "gdb address '%s': the address is too long", spec);
		memcpy(host, spec, host_len);
		host[host_len] = '\0';
		if (host_len == 0 || !strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "%s", GDB_SERVER_DEFAULT_ADDR);
		if (strchr(host, ':'))
			return error_set(EINVAL,
					 "gdb address '%s': put an IPv6 address in brackets", spec);
	}
	if (parse_port(port_text, &port))
		return error_set(EINVAL, "gdb address '%s': the port must be 0 to %d", spec,
				 PORT_MAX);
	if (spec[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return error_set(EINVAL, "gdb address '%s': '%s' is not an IPv6 address",
					 spec, host);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)addr;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return error_set(EINVAL, "gdb address '%s': '%s' is not an IPv4 address",
					 spec, host);
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
	}
	return 0;
}

/* "ADDR:PORT" or "[ADDR]:PORT" for messages. */
static void address_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(a6->sin6_port));
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(a4->sin_port));
	}
}

/* ---- the thread ---- */

static void server_log(struct gdb_server *srv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void server_log(struct gdb_server *srv, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	if (!srv->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	srv->log(srv->log_opaque, line);
}

/* The stub's output: all of buf to the client, or -errno (the client is then dropped). */
static int server_write(void *opaque, const void *buf, size_t len)
{
	struct gdb_server *srv = opaque;
	const uint8_t *p = buf;

	if (srv->client_fd < 0)
		return -ENOTCONN;
	while (len) {
		ssize_t n = send(srv->client_fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* gdb_stub_stopped() from any thread: one byte into the pipe (a full pipe already wakes us). */
static void server_wake(void *opaque)
{
	struct gdb_server *srv = opaque;
	const uint8_t byte = 1;
	ssize_t n;

	do {
		n = write(srv->wake_fd[1], &byte, 1);
	} while (n < 0 && errno == EINTR);
}

static void close_client(struct gdb_server *srv, bool detach, const char *why)
{
	if (srv->client_fd < 0)
		return;
	if (detach)
		gdb_stub_detach(srv->stub);
	close(srv->client_fd);
	srv->client_fd = -1;
	server_log(srv, "gdb: %s", why);
}

/* The engine's verdict on the session: go on, it ended (D/k), or the client is gone. */
static void after_engine(struct gdb_server *srv, int ret)
{
	if (ret == GDB_STUB_CLOSE)
		close_client(srv, false, "gdb detached or killed the VM; waiting for another");
	else if (ret < 0)
		close_client(srv, true, "lost the connection to gdb; the VM runs on");
}

static void accept_client(struct gdb_server *srv)
{
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof(peer);
	char who[GDB_SERVER_ADDR_TEXT_MAX];
	struct timeval timeout = {
		.tv_sec = GDB_SERVER_SEND_TIMEOUT_MS / MS_PER_SECOND,
		.tv_usec = (GDB_SERVER_SEND_TIMEOUT_MS % MS_PER_SECOND) * US_PER_MS,
	};
	int one = 1, fd;

	fd = accept4(srv->listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
	if (fd < 0)
		return; /* the client gave up already, or no memory: nothing to do */
	address_text(&peer, who, sizeof(who));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (srv->client_fd >= 0) {
		/* One at a time: say why, then hang up. */
		if (send(fd, GDB_SERVER_BUSY_LINE, strlen(GDB_SERVER_BUSY_LINE), MSG_NOSIGNAL) < 0)
			server_log(srv, "gdb: could not tell %s why: %s", who, strerror(errno));
		close(fd);
		server_log(srv, "gdb: refused a second client from %s: one gdb at a time", who);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* packets are small */
	srv->client_fd = fd;
	server_log(srv, "gdb: client %s connected", who);
	gdb_stub_attach(srv->stub);
}

static void read_client(struct gdb_server *srv)
{
	uint8_t buf[GDB_SERVER_READ_CHUNK];
	ssize_t n;

	do {
		n = recv(srv->client_fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0) {
		close_client(srv, true, "gdb went away; the VM runs on");
		return;
	}
	after_engine(srv, gdb_stub_input(srv->stub, buf, (size_t)n));
}

static void drain_wake(struct gdb_server *srv)
{
	uint8_t buf[WAKE_DRAIN_CHUNK];

	while (read(srv->wake_fd[0], buf, sizeof(buf)) > 0)
		;
}

/*
 * A detach under running vCPUs waits for their stop to take gdb's int3s out:
 * give it a moment before the thread ends, so the VM does not run on with them.
 */
static void finish_detaching(struct gdb_server *srv)
{
	struct pollfd wake = { .fd = srv->wake_fd[0], .events = POLLIN };

	if (srv->stub->state != GDB_STUB_DETACHING)
		return;
	if (poll(&wake, 1, DETACH_GRACE_MS) > 0) {
		drain_wake(srv);
		gdb_stub_poll(srv->stub);
	}
	if (srv->stub->state == GDB_STUB_DETACHING)
		server_log(srv, "gdb: the VM did not stop; gdb's breakpoints stay in its memory");
}

enum { POLL_WAKE, POLL_LISTEN, POLL_CLIENT, POLL_COUNT };

static void *server_thread(void *opaque)
{
	struct gdb_server *srv = opaque;

	for (;;) {
		struct pollfd fds[POLL_COUNT] = {
			[POLL_WAKE] = { .fd = srv->wake_fd[0], .events = POLLIN },
			[POLL_LISTEN] = { .fd = srv->listen_fd, .events = POLLIN },
			[POLL_CLIENT] = { .fd = srv->client_fd, .events = POLLIN },
		};

		if (poll(fds, POLL_COUNT, -1) < 0) {
			if (errno == EINTR)
				continue;
			server_log(srv, "gdb: poll failed: %s; the gdb server stops",
				   strerror(errno));
			break;
		}
		if (fds[POLL_WAKE].revents) {
			drain_wake(srv);
			/* Stops first: a final W reaches gdb before we hang up. */
			after_engine(srv, gdb_stub_poll(srv->stub));
			if (atomic_load(&srv->quit))
				break;
		}
		if (srv->client_fd >= 0 && fds[POLL_CLIENT].revents)
			read_client(srv);
		if (fds[POLL_LISTEN].revents)
			accept_client(srv);
	}
	close_client(srv, true, "the gdb server stops");
	finish_detaching(srv);
	return NULL;
}

/* ---- start and stop ---- */

/* Close the listening socket and the wake-up pipe, whichever are open. */
static void close_sockets(struct gdb_server *srv)
{
	if (srv->wake_fd[0] >= 0) {
		close(srv->wake_fd[0]);
		close(srv->wake_fd[1]);
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->listen_fd = srv->wake_fd[0] = srv->wake_fd[1] = -1;
	srv->listening = false;
}

int gdb_server_listen(struct gdb_server *srv, const struct gdb_server_config *cfg)
{
	struct gdb_stub_io io = { .write = server_write, .wake = server_wake, .opaque = srv };
	struct sockaddr_storage addr;
	socklen_t len;
	int one = 1, ret;

	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = srv->client_fd = srv->wake_fd[0] = srv->wake_fd[1] = -1;
	ret = gdb_server_parse_address(cfg->address, &addr, &len);
	if (ret)
		return ret;
	srv->stub = cfg->stub;
	srv->log = cfg->log;
	srv->log_opaque = cfg->opaque;
	srv->listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0)
		return error_errno(errno, "gdb: socket");
	setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv->listen_fd, (struct sockaddr *)&addr, len) ||
	    listen(srv->listen_fd, LISTEN_BACKLOG)) {
		ret = error_errno(errno, "gdb: listen on %s", cfg->address);
		goto fail;
	}
	len = sizeof(addr);
	if (getsockname(srv->listen_fd, (struct sockaddr *)&addr, &len)) {
		ret = error_errno(errno, "gdb: getsockname");
		goto fail;
	}
	srv->port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
						     : ((struct sockaddr_in *)&addr)->sin_port);
	address_text(&addr, srv->address, sizeof(srv->address));
	if (pipe2(srv->wake_fd, O_CLOEXEC | O_NONBLOCK)) {
		ret = error_errno(errno, "gdb: pipe");
		goto fail;
	}
	gdb_stub_set_io(srv->stub, &io);
	srv->listening = true;
	return 0;
fail:
	close_sockets(srv);
	return ret;
}

int gdb_server_start(struct gdb_server *srv, const struct gdb_server_config *cfg)
{
	int ret = gdb_server_listen(srv, cfg);

	return ret < 0 ? ret : gdb_server_run(srv);
}

int gdb_server_run(struct gdb_server *srv)
{
	int ret = sandbox_thread_create(&srv->thread, SANDBOX_GDB, server_thread, srv);
	if (ret < 0) {
		close_sockets(srv);
		return error_wrap(-ret, "gdb: server thread");
	}
	srv->running = true;
	server_log(srv, "gdb: listening on %s (target remote %s)", srv->address, srv->address);
	return 0;
}

uint16_t gdb_server_port(const struct gdb_server *srv)
{
	return srv->port;
}

void gdb_server_stop(struct gdb_server *srv)
{
	if (srv->running) {
		atomic_store(&srv->quit, true);
		server_wake(srv);
		pthread_join(srv->thread, NULL);
		srv->running = false;
	}
	if (srv->listening)
		close_sockets(srv);
}
