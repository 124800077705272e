/* SPDX-License-Identifier: MIT */
/* --serial: the guest's console on stdio, a file, a new pseudo-terminal or a Unix socket. */
#include "serial_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"

#define SERIAL_FILE_MODE      0644
#define SERIAL_LISTEN_BACKLOG 1
#define SERIAL_SERVER_FLAG    "server"

/* "kind:rest": the kind's prefix, or NULL. */
static const char *after_prefix(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(text, prefix, len) ? NULL : text + len;
}

static int set_path(struct serial_spec *spec, const char *path, size_t len, const char *kind)
{
	if (!len)
		return error_set(EINVAL, "%s: no path given", kind);
	if (len >= sizeof(spec->path))
		return error_set(EINVAL,
				 "%s: a path of %zu bytes is longer than a Unix socket's "
				 "%zu",
				 kind, len, sizeof(spec->path) - 1);
	if (memchr(path, '\0', len))
		return error_set(EINVAL, "%s: a NUL in the path", kind);
	memcpy(spec->path, path, len);
	spec->path[len] = '\0';
	return 0;
}

int serial_spec_parse(const char *text, struct serial_spec *spec)
{
	const char *rest;

	memset(spec, 0, sizeof(*spec));
	if (!strcmp(text, "stdio")) {
		spec->kind = SERIAL_STDIO;
		return 0;
	}
	if (!strcmp(text, "pty")) {
		spec->kind = SERIAL_PTY;
		return 0;
	}
	rest = after_prefix(text, "file:");
	if (rest) {
		spec->kind = SERIAL_FILE;
		return set_path(spec, rest, strlen(rest), "file:");
	}
	rest = after_prefix(text, "unix:");
	if (rest) {
		const char *comma = strrchr(rest, ',');
		size_t len = strlen(rest);

		spec->kind = SERIAL_UNIX;
		if (comma) {
			if (strcmp(comma + 1, SERIAL_SERVER_FLAG))
				return error_set(EINVAL, "unix: unknown flag '%s' (only ,server)",
						 comma + 1);
			spec->server = true;
			len = (size_t)(comma - rest);
		}
		return set_path(spec, rest, len, "unix:");
	}
	return error_set(EINVAL, "'%s': not stdio, file:PATH, pty, unix:PATH or unix:PATH,server",
			 text);
}

static void reset(struct serial_backend *be, const struct serial_spec *spec)
{
	memset(be, 0, sizeof(*be));
	be->spec = *spec;
	be->out_fd = STDOUT_FILENO;
	be->in_fd = STDIN_FILENO;
	be->listen_fd = -1;
	be->pty_slave_fd = -1;
}

/* A pseudo-terminal pair in raw mode: the guest's bytes pass unchanged both ways. */
static int open_pty(struct serial_backend *be)
{
	struct termios raw;
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return error_errno(errno, "--serial pty: posix_openpt");
	if (grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, be->pty_name, sizeof(be->pty_name))) {
		int err = errno;

		close(master);
		return error_errno(err, "--serial pty: cannot set up the pseudo-terminal");
	}
	/*
	 * Keep the slave open ourselves: without any opener the master reads EIO
	 * (hang-up) until a terminal program opens it, which would end the input.
	 */
	be->pty_slave_fd = open(be->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (be->pty_slave_fd < 0) {
		int err = errno;

		close(master);
		return error_errno(err, "--serial pty: open %s", be->pty_name);
	}
	if (tcgetattr(be->pty_slave_fd, &raw) == 0) {
		cfmakeraw(&raw);
		tcsetattr(be->pty_slave_fd, TCSANOW, &raw);
	}
	be->in_fd = be->out_fd = master;
	return 0;
}

static int unix_address(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path))
		return error_set(ENAMETOOLONG, "--serial unix:%s: path too long", path);
	strcpy(addr->sun_path, path);
	return 0;
}

/* Whether a Unix socket at path has a listener (a stale one refuses connections). */
static bool socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool in_use;

	if (fd < 0)
		return true; /* cannot tell: leave the file alone */
	in_use = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
		 errno != ECONNREFUSED;
	close(fd);
	return in_use;
}

static int open_unix(struct serial_backend *be)
{
	const char *path = be->spec.path;
	struct sockaddr_un addr;
	struct stat st;
	int fd, ret;

	ret = unix_address(path, &addr);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(errno, "--serial unix:%s: socket", path);
	if (!be->spec.server) {
		if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
			ret = error_errno(errno,
					  "--serial unix:%s: connect (is a server listening "
					  "there? or say unix:%s,server)",
					  path, path);
			close(fd);
			return ret;
		}
		be->in_fd = be->out_fd = fd;
		return 0;
	}
	/* A socket file left by an earlier run that nobody listens on any more: replace it. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && !socket_in_use(&addr))
		unlink(path);
	if (bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, SERIAL_LISTEN_BACKLOG) < 0) {
		ret = error_errno(errno, "--serial unix:%s,server", path);
		close(fd);
		return ret;
	}
	be->listen_fd = fd;
	be->unlink_path = true;
	be->in_fd = be->out_fd = -1;
	return 0;
}

int serial_backend_open(struct serial_backend *be, const struct serial_spec *spec)
{
	reset(be, spec);
	switch (spec->kind) {
	case SERIAL_STDIO:
		return 0;
	case SERIAL_FILE:
		be->out_fd = open(spec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				  SERIAL_FILE_MODE);
		if (be->out_fd < 0) {
			be->out_fd = STDOUT_FILENO;
			return error_errno(errno, "--serial file:%s", spec->path);
		}
		return 0;
	case SERIAL_PTY:
		return open_pty(be);
	case SERIAL_UNIX:
		return open_unix(be);
	}
	return error_set(EINVAL, "--serial: unknown kind %d", spec->kind);
}

/* Wait for the one client of a server socket: its fd, or -errno (-ECANCELED: stop). */
static int wait_for_client(struct serial_backend *be, const atomic_bool *stop)
{
	struct pollfd p = { .fd = be->listen_fd, .events = POLLIN };
	int fd;

	for (;;) {
		int n;

		if (atomic_load(stop))
			return -ECANCELED;
		n = poll(&p, 1, SERIAL_ACCEPT_POLL_MS);
		if (n < 0 && errno != EINTR)
			return error_errno(errno, "--serial unix:%s,server: poll", be->spec.path);
		if (n > 0)
			break;
	}
	fd = accept4(be->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return error_errno(errno, "--serial unix:%s,server: accept", be->spec.path);
	return fd;
}

int serial_backend_accept(struct serial_backend *be, const atomic_bool *stop)
{
	int fd;

	if (be->listen_fd < 0)
		return 0;
	fd = wait_for_client(be, stop);
	close(be->listen_fd);
	be->listen_fd = -1;
	/*
	 * One client at most, whatever happened: the name goes now, while unlink() is
	 * still allowed (the main thread's sandbox has none, sandbox.c).
	 */
	if (be->unlink_path)
		unlink(be->spec.path);
	be->unlink_path = false;
	if (fd < 0)
		return fd;
	be->in_fd = be->out_fd = fd;
	return 0;
}

void serial_backend_close(struct serial_backend *be)
{
	if (be->out_fd > STDERR_FILENO)
		close(be->out_fd);
	if (be->in_fd > STDERR_FILENO && be->in_fd != be->out_fd)
		close(be->in_fd);
	if (be->listen_fd >= 0)
		close(be->listen_fd);
	if (be->pty_slave_fd >= 0)
		close(be->pty_slave_fd);
	if (be->unlink_path)
		unlink(be->spec.path);
	reset(be, &be->spec);
}
