/* SPDX-License-Identifier: MIT */
/* --serial: where a guest's console goes (stdio, a file, a pseudo-terminal, a Unix socket). */
#ifndef MINI_KVM_SERIAL_BACKEND_H
#define MINI_KVM_SERIAL_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>

enum serial_kind {
	SERIAL_STDIO, /* standard input and output (the default) */
	SERIAL_FILE,  /* file:PATH: output to PATH (created or truncated); input from stdin */
	SERIAL_PTY,   /* pty: a new pseudo-terminal, both ways; its name is printed */
	SERIAL_UNIX,  /* unix:PATH[,server]: a Unix stream socket, both ways */
};

/* The longest path of --serial: a Unix socket's sun_path holds 107 bytes and a NUL. */
#define SERIAL_PATH_MAX 108

struct serial_spec {
	enum serial_kind kind;
	char path[SERIAL_PATH_MAX]; /* file: and unix: */
	bool server;		    /* unix:...,server: listen at PATH and wait for one client */
};

/*
 * Parse a --serial value: stdio, file:PATH, pty, unix:PATH or unix:PATH,server.
 * Returns 0 with *spec, or -EINVAL with a message (unknown kind, empty or too long
 * path, unknown flag).
 */
int serial_spec_parse(const char *text, struct serial_spec *spec);

/* An open console backend: the fds the guest's console writes to and reads from. */
struct serial_backend {
	struct serial_spec spec;
	int out_fd;	   /* guest output goes here */
	int in_fd;	   /* guest input comes from here (stdin for stdio and file:) */
	int listen_fd;	   /* unix:,server until a client connects, else -1 */
	int pty_slave_fd;  /* pty: kept open, so the master never sees a hang-up */
	char pty_name[64]; /* pty: the slave's path, for the user's terminal program */
	bool unlink_path;  /* unix:,server: the socket file is ours to remove */
};

/*
 * Open the backend of spec: stdio uses fds 0 and 1; file: opens PATH for writing
 * (created 0644, truncated); pty opens a pseudo-terminal pair in raw mode (the
 * slave's name in be->pty_name); unix: connects to PATH, or with server binds and
 * listens there (a stale socket file nobody listens on is replaced) -- call
 * serial_backend_accept() before the guest runs. Returns 0, or -errno with a
 * message naming the path. Close with serial_backend_close().
 */
int serial_backend_open(struct serial_backend *be, const struct serial_spec *spec);

/*
 * unix:,server: wait for the first client and use it both ways, polling stop
 * every SERIAL_ACCEPT_POLL_MS (a signal that stops mini-kvm meanwhile). Nothing
 * to do for other kinds. The socket file is removed on return, whatever the result
 * (one client at most). Returns 0, -ECANCELED once stop is set, or -errno with a
 * message.
 */
int serial_backend_accept(struct serial_backend *be, const atomic_bool *stop);

#define SERIAL_ACCEPT_POLL_MS 100

/* Close what serial_backend_open() opened (not fds 0-2); remove our socket file. */
void serial_backend_close(struct serial_backend *be);

#endif
