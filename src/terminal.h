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

/* Put the terminal back as terminal_raw() found it. Safe to call more than once. */
void terminal_restore(void);

/*
 * The line end for a message mini-kvm prints while the guest runs: "\r\n" while
 * the terminal is raw (no output processing turns \n into \r\n), else "\n".
 */
const char *terminal_newline(void);

#endif
