/* SPDX-License-Identifier: MIT */
/* The gdb stub's socket side: [ADDR:]PORT, one gdb at a time, a thread driving the engine. */
#ifndef MINI_KVM_GDB_SERVER_H
#define MINI_KVM_GDB_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gdb/stub.h"

/* --gdb PORT alone listens here: gdb on this machine only. */
#define GDB_SERVER_DEFAULT_ADDR "127.0.0.1"
/* How long a write to gdb may block before the client counts as gone (it stopped reading). */
#define GDB_SERVER_SEND_TIMEOUT_MS 5000
/* Bytes read from the socket at a time. */
#define GDB_SERVER_READ_CHUNK 4096
/* What a second client reads before its connection is closed. */
#define GDB_SERVER_BUSY_LINE "mini-kvm: a gdb is already connected to this VM (one at a time)\n"
/* Longest "ADDR:PORT" text kept for messages, with its NUL. */
#define GDB_SERVER_ADDR_TEXT_MAX 64

struct gdb_server_config {
	/* "[ADDR:]PORT": PORT 0-65535 (0: any free port); ADDR IPv4, "[IPv6]", or "localhost". */
	const char *address;
	struct gdb_stub *stub; /* initialized; the server sets its io */
	/* One line for the user, without newline (connected, refused, gone). May be NULL. */
	void (*log)(void *opaque, const char *line);
	void *opaque;
};

struct gdb_server {
	struct gdb_stub *stub;
	void (*log)(void *opaque, const char *line);
	void *log_opaque;
	int listen_fd;
	int client_fd;	  /* -1 when no gdb; only the server thread touches it after start */
	int wake_fd[2];	  /* a pipe: gdb_stub_stopped() and stop wake the thread */
	atomic_bool quit; /* set by gdb_server_stop() */
	bool listening;	  /* listen_fd and wake_fd are open (gdb_server_listen()) */
	pthread_t thread;
	bool running;  /* the thread was started */
	uint16_t port; /* the port bound (the one picked, for 0) */
	char address[GDB_SERVER_ADDR_TEXT_MAX];
};

/*
 * Parse "[ADDR:]PORT" into a socket address: PORT alone means
 * GDB_SERVER_DEFAULT_ADDR; ADDR is dotted IPv4, an IPv6 address in brackets
 * ("[::1]:1234"), or "localhost" (127.0.0.1); no name lookup. Returns 0, or -EINVAL
 * with a message saying what is wrong.
 */
int gdb_server_parse_address(const char *spec, struct sockaddr_storage *addr, socklen_t *len);

/*
 * Listen on cfg->address (SO_REUSEADDR): the sockets a sandboxed thread may no longer
 * make (socket, bind, listen), made while the VM is built; the server thread starts
 * later (gdb_server_start()). Returns 0, or -errno with a message (bad address,
 * -EADDRINUSE...). Nothing to undo on failure; gdb_server_stop() closes the sockets.
 */
int gdb_server_listen(struct gdb_server *srv, const struct gdb_server_config *cfg);

/*
 * Start the server thread of a server gdb_server_listen() set up: as gdb_server_start()
 * without the listening. Returns 0, or -errno with a message (the sockets are closed).
 */
int gdb_server_run(struct gdb_server *srv);

/*
 * Listen on cfg->address (gdb_server_listen()) and start the server thread, which
 * accepts one gdb at a time (gdb_stub_attach()), feeds it to the engine, answers a
 * second client with GDB_SERVER_BUSY_LINE and closes it, treats a closed
 * connection as a detach (gdb_stub_detach()), and delivers the stub's posted
 * stops (gdb_stub_poll()). Returns 0, or -errno with a message (bad address,
 * -EADDRINUSE...). Nothing to undo on failure.
 */
int gdb_server_start(struct gdb_server *srv, const struct gdb_server_config *cfg);

/* The TCP port listened on. */
uint16_t gdb_server_port(const struct gdb_server *srv);

/*
 * Stop the thread and close every socket. A stop or end posted before is still
 * delivered (gdb sees the VM's W), and a gdb still connected to a live VM is
 * detached from it first. Call it before the VM's vCPUs go away. Idempotent.
 */
void gdb_server_stop(struct gdb_server *srv);

#endif
