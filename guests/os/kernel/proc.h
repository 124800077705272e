/* SPDX-License-Identifier: MIT */
/* Processes: creation from embedded program images, round-robin scheduling, exit and wait. */
#ifndef OS_PROC_H
#define OS_PROC_H

#include <stddef.h>
#include <stdint.h>

/* Process slots, the idle loop's (slot 0) included: 15 processes at once. */
#define PROC_MAX      16
#define PROC_NAME_MAX 16
/* The first process, the shell: when it exits, the VM ends. */
#define PROC_INIT_PID 1

/* Slot 0 becomes the idle loop's, the running context. */
void proc_init(void);

/*
 * Start the embedded program `name` as a child of parent_pid (0: none).
 * Returns its pid, or OS_ENOENT (no such program), OS_EAGAIN (no free slot),
 * OS_ENOMEM, OS_EFBIG (image too large).
 */
int proc_spawn(const char *name, int parent_pid);

/* End the running process with status; frees its memory; never returns. */
__attribute__((noreturn)) void proc_exit(int status);

/* Wait for child pid to exit; returns its status, or OS_ECHILD. */
int proc_wait(int pid);

/* Switch to the next runnable process (round robin); returns when this one runs again. */
void sched_yield(void);

/* The next console byte for the running process, blocking it (not the kernel) until one comes. */
int proc_getchar(void);

/* Make the processes blocked in proc_getchar() runnable (input arrived). */
void proc_wake_input(void);

/* The running process's pid (0 in the idle loop), name and page tables. */
int proc_pid(void);
const char *proc_name(void);
uint64_t proc_pml4(void);

/* "PID STATE NAME" lines into buf; returns the length. */
size_t proc_list(char *buf, size_t cap);

/* Run processes forever; with have_timer 0 poll the console instead of waiting in hlt. */
__attribute__((noreturn)) void proc_idle(int have_timer);

#endif /* OS_PROC_H */
