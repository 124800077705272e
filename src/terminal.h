/* SPDX-License-Identifier: MIT */
/* The host terminal in raw mode while an interactive guest owns it, restored on every way out. */
#ifndef MINI_KVM_TERMINAL_H
#define MINI_KVM_TERMINAL_H

/*
 * If fd is a terminal, save its settings and make it raw for a guest's console:
 * no line editing, echo or signal keys (Ctrl-C reaches the guest), no CR/NL
 * translation either way (the guest's own tty does that). The settings come back with
 * terminal_restore() and, whatever happens, at exit (atexit). Returns 0 (also
 * when fd is not a terminal) or -errno with a message.
 */
int terminal_raw(int fd);

/*
 * If fd is a terminal, keep it as it is (canonical: line editing, echo, Ctrl-C)
 * but make escape also end a line (VEOL), so that a reader gets it at once rather
 * than at the next Enter: the escape key of a guest that does not own the terminal
 * raw (console.h, Ctrl-A). Restored like terminal_raw(). Returns 0 (also when fd is
 * not a terminal) or -errno with a message.
 */
int terminal_escape_mode(int fd, unsigned char escape);

/*
 * After terminal_escape_mode(): on, read the next key at once and without echo
 * (non-canonical, VMIN 1); off, back to lines. Nothing otherwise. Returns 0 or
 * -errno with a message.
 */
int terminal_key_mode(int fd, int on);

/* Put the terminal back as terminal_raw() found it. Safe to call more than once. */
void terminal_restore(void);

/*
 * The line end for a message mini-kvm prints while the guest runs: "\r\n" while
 * the terminal is raw (no output processing turns \n into \r\n), else "\n".
 */
const char *terminal_newline(void);

#endif
