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

void terminal_restore(void)
{
	if (saved_fd < 0)
		return;
	tcsetattr(saved_fd, TCSAFLUSH, &saved);
	saved_fd = -1;
}

int terminal_raw(int fd)
{
	static bool registered;
	struct termios raw;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &saved) < 0)
		return error_errno(errno, "terminal: tcgetattr");
	if (!registered) {
		atexit(terminal_restore);
		registered = true;
	}
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
