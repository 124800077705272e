/* SPDX-License-Identifier: MIT */
/* Raw mode for the console of an interactive guest, undone at exit whatever the path. */
#include "terminal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"

static struct termios saved;
static int saved_fd = -1;
static struct termios escape_mode; /* terminal_escape_mode()'s settings */
static bool in_escape_mode;

void terminal_restore(void)
{
	if (saved_fd < 0)
		return;
	tcsetattr(saved_fd, TCSAFLUSH, &saved);
	saved_fd = -1;
	in_escape_mode = false;
}

/* Save fd's settings (once) and arrange their restoration at exit. */
static int save_settings(int fd)
{
	static bool registered;

	if (tcgetattr(fd, &saved) < 0)
		return error_errno(errno, "terminal: tcgetattr");
	if (!registered) {
		atexit(terminal_restore);
		registered = true;
	}
	return 0;
}

int terminal_escape_mode(int fd, unsigned char escape)
{
	int ret;

	if (!isatty(fd))
		return 0;
	ret = save_settings(fd);
	if (ret < 0)
		return ret;
	escape_mode = saved;
	escape_mode.c_cc[VEOL] = escape;
	/* TCSANOW: what was typed before mini-kvm started stays for the guest. */
	if (tcsetattr(fd, TCSANOW, &escape_mode) < 0)
		return error_errno(errno, "terminal: tcsetattr");
	saved_fd = fd;
	in_escape_mode = true;
	return 0;
}

int terminal_key_mode(int fd, int on)
{
	struct termios key;

	if (!in_escape_mode || fd != saved_fd)
		return 0;
	key = escape_mode;
	if (on) {
		key.c_lflag &= ~(ICANON | ECHO);
		key.c_cc[VMIN] = 1;
		key.c_cc[VTIME] = 0;
	}
	if (tcsetattr(fd, TCSANOW, &key) < 0)
		return error_errno(errno, "terminal: tcsetattr");
	return 0;
}

int terminal_raw(int fd)
{
	struct termios raw;
	int ret;

	if (!isatty(fd))
		return 0;
	ret = save_settings(fd);
	if (ret < 0)
		return ret;
	raw = saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_oflag &= ~OPOST; /* the guest's own tty already sends \r\n */
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0)
		return error_errno(errno, "terminal: tcsetattr");
	saved_fd = fd;
	return 0;
}

const char *terminal_newline(void)
{
	return saved_fd >= 0 ? "\r\n" : "\n";
}
