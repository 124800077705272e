/* SPDX-License-Identifier: MIT */
/*
 * The shell: reads a line (echoing it: the host terminal is raw), splits off the
 * command word, runs the command from the table below. To add a command, write a
 * `static void cmd_NAME(char *args)` and add a row to `commands`.
 */
#include "ulib.h"

#define LINE_MAX	     128 /* bytes of a command line, its NUL included */
#define FILE_MAX	     FILE_DATA_MAX
#define LISTING_MAX	     1024
#define STRESS_MAX	     100000
#define DECIMAL		     10
#define PROGRAMS_AT_ONCE_MAX 8 /* run A B ...: programs started together */

/* Terminal bytes. */
#define KEY_BACKSPACE 0x08
#define KEY_DELETE    0x7f
#define KEY_CTRL_C    0x03

struct command {
	const char *name;
	void (*run)(char *args);
	const char *help;
};

static char file_buf[FILE_MAX];

/* Skip spaces; returns the start of the next word. */
static char *skip_spaces(char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* Cut the word at s off the rest (a NUL after it); returns the rest, spaces skipped. */
static char *split_word(char *s)
{
	while (*s && *s != ' ')
		s++;
	if (*s)
		*s++ = '\0';
	return skip_spaces(s);
}

static void cmd_hello(char *args)
{
	(void)args;
	printf("Hello, world! This is the mini-kvm teaching OS.\n");
}

static void cmd_echo(char *args)
{
	printf("%s\n", args);
}

static void cmd_ls(char *args)
{
	static char text[LISTING_MAX];
	int64_t n = sys_listfiles(text, sizeof(text) - 1);

	(void)args;
	if (n < 0) {
		printf("ls: %s\n", strerror((int)n));
		return;
	}
	text[n] = '\0';
	printf("%s", n ? text : "(no files)\n");
}

static void cmd_cat(char *args)
{
	int64_t n;

	if (!*args) {
		printf("usage: cat FILE\n");
		return;
	}
	split_word(args);
	n = sys_readfile(args, file_buf, sizeof(file_buf));
	if (n < 0) {
		printf("cat: %s: %s\n", args, strerror((int)n));
		return;
	}
	sys_write(file_buf, (size_t)n);
	if (n && file_buf[n - 1] != '\n')
		printf("\n");
}

static void cmd_write(char *args)
{
	char *text = split_word(args);
	size_t len = strlen(text);
	int64_t ret;

	if (!*args) {
		printf("usage: write FILE TEXT\n");
		return;
	}
	text[len++] = '\n'; /* a line of text; the NUL's place is free */
	ret = sys_writefile(args, text, len);
	if (ret < 0)
		printf("write: %s: %s\n", args, strerror((int)ret));
	else
		printf("wrote %u bytes to %s\n", (unsigned int)len, args);
}

static void cmd_ps(char *args)
{
	static char text[LISTING_MAX];
	int64_t n = sys_ps(text, sizeof(text) - 1);

	(void)args;
	if (n < 0)
		return;
	text[n] = '\0';
	printf("  PID STATE    NAME\n%s", text);
}

static void cmd_exit(char *args)
{
	(void)args;
	printf("bye\n");
	sys_exit(0);
}

/* A kernel bug on purpose: shows that a fault in ring 0 ends the VM, status 70. */
static void cmd_crash(char *args)
{
	(void)args;
	printf("crash: asking the kernel to read address 0\n");
	sys_crash();
	printf("crash: the kernel survived?\n"); /* not reached */
}

/* Start every program named, then wait for all of them: they run side by side. */
static void cmd_run(char *args)
{
	int pids[PROGRAMS_AT_ONCE_MAX];
	char *names[PROGRAMS_AT_ONCE_MAX];
	int n = 0;

	if (!*args) {
		printf("usage: run PROGRAM... (hello, null, spin, true)\n");
		return;
	}
	while (*args && n < PROGRAMS_AT_ONCE_MAX) {
		char *rest = split_word(args);

		names[n] = args;
		pids[n] = sys_spawn(args);
		if (pids[n] < 0)
			printf("run: %s: %s\n", args, strerror(pids[n]));
		else
			n++;
		args = rest;
	}
	for (int i = 0; i < n; i++) {
		int status = sys_wait(pids[i]);

		if (status == OS_STATUS_KILLED)
			printf("run: %s (pid %d) was killed\n", names[i], pids[i]);
		else if (status)
			printf("run: %s (pid %d) exited with status %d\n", names[i], pids[i],
			       status);
	}
}

/* Start and reap N processes one after another: no page may be lost. */
static void cmd_stress(char *args)
{
	uint64_t before = sys_freepages(), after;
	int count = 0;

	while (*args >= '0' && *args <= '9' && count <= STRESS_MAX)
		count = count * DECIMAL + (*args++ - '0');
	if (count <= 0 || count > STRESS_MAX) {
		printf("usage: stress N (1 to %d processes)\n", STRESS_MAX);
		return;
	}
	for (int i = 0; i < count; i++) {
		int pid = sys_spawn("true");

		if (pid < 0 || sys_wait(pid) != 0) {
			printf("stress: process %d of %d failed\n", i + 1, count);
			return;
		}
	}
	after = sys_freepages();
	printf("stress: %d processes, %llu free pages before, %llu after: %s\n", count,
	       (unsigned long long)before, (unsigned long long)after,
	       before == after ? "no leak" : "LEAK");
}

static void cmd_help(char *args);

static const struct command commands[] = {
	{ "hello", cmd_hello, "greet" },
	{ "echo", cmd_echo, "echo ARGS: print ARGS" },
	{ "ls", cmd_ls, "list the files on the disk, with sizes" },
	{ "cat", cmd_cat, "cat FILE: print a file" },
	{ "write", cmd_write, "write FILE TEXT: write TEXT and a newline to FILE" },
	{ "ps", cmd_ps, "list the processes" },
	{ "run", cmd_run, "run PROGRAM...: start programs side by side, wait for them" },
	{ "stress", cmd_stress, "stress N: start and reap N processes, check for leaks" },
	{ "crash", cmd_crash, "make the kernel fault on purpose (the VM stops, status 70)" },
	{ "help", cmd_help, "this list" },
	{ "exit", cmd_exit, "leave the shell (and stop the VM)" },
};

static void cmd_help(char *args)
{
	(void)args;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %s: %s\n", commands[i].name, commands[i].help);
}

/*
 * Read a line into buf with echo and backspace; Enter is '\r' (a raw terminal) or
 * '\n' (a pipe). Returns 0, or -1 when the line did not fit: it is then read to its
 * end and dropped.
 */
static int read_line(char *buf, size_t cap)
{
	static int last_was_cr;
	size_t len = 0;
	int too_long = 0;

	for (;;) {
		int c = sys_getchar();

		if (c == '\n' && last_was_cr) { /* the \n of a \r\n pair */
			last_was_cr = 0;
			continue;
		}
		last_was_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			printf("\n");
			buf[len] = '\0';
			return too_long ? -1 : 0;
		}
		if (c == KEY_BACKSPACE || c == KEY_DELETE) {
			if (len && !too_long) {
				len--;
				printf("\b \b");
			}
			continue;
		}
		if (c == KEY_CTRL_C) {
			printf("^C\n");
			len = 0;
			buf[0] = '\0';
			return 0;
		}
		if (len + 1 >= cap) {
			too_long = 1; /* keep reading to the line's end, store nothing more */
			continue;
		}
		buf[len++] = (char)c;
		sys_putchar((char)c);
	}
}

int main(void)
{
	static char line[LINE_MAX];

	printf("mini-kvm teaching OS shell; type help for the commands\n");
	for (;;) {
		char *cmd, *args;
		size_t i;

		printf("> ");
		if (read_line(line, sizeof(line))) {
			printf("error: line too long (at most %d characters)\n", LINE_MAX - 1);
			continue;
		}
		cmd = skip_spaces(line);
		if (!*cmd)
			continue;
		args = split_word(cmd);
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(cmd, commands[i].name))
				break;
		if (i == sizeof(commands) / sizeof(commands[0]))
			printf("unknown command: %s (try help)\n", cmd);
		else
			commands[i].run(args);
	}
}
