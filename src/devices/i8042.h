/* SPDX-License-Identifier: MIT */
/* The part of an 8042 keyboard controller a PC guest uses without a keyboard: status, A20, reset. */
#ifndef MINI_KVM_I8042_H
#define MINI_KVM_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PORT_I8042_DATA	   0x60
#define PORT_I8042_COMMAND 0x64 /* write: command; read: status */

/* Status register bits (IBM PC/AT Technical Reference, keyboard controller). */
#define I8042_STATUS_OBF	 0x01 /* output buffer full: a byte waits at the data port */
#define I8042_STATUS_IBF	 0x02 /* input buffer full: never, commands complete at once */
#define I8042_STATUS_SYSTEM_FLAG 0x04 /* set once the controller passed its self-test */

/* Controller commands (port 0x64). */
#define I8042_CMD_READ_CMDBYTE	0x20 /* the command byte to the output buffer */
#define I8042_CMD_WRITE_CMDBYTE 0x60 /* the next data byte is the command byte */
#define I8042_CMD_SELF_TEST	0xaa /* 0x55 to the output buffer: passed */
#define I8042_CMD_READ_OUTPUT	0xd0 /* the output port to the output buffer */
#define I8042_CMD_WRITE_OUTPUT	0xd1 /* the next data byte is the output port */
#define I8042_CMD_A20_OFF	0xdd /* HP/Compaq-style A20 disable: accepted, A20 stays on */
#define I8042_CMD_A20_ON	0xdf /* HP/Compaq-style A20 enable */
#define I8042_CMD_PULSE_FIRST	0xf0 /* 0xf0-0xff: pulse the output lines whose bit is 0 */
#define I8042_CMD_PULSE_RESET	0xfe /* pulse output line 0: the CPU's reset */
#define I8042_SELF_TEST_PASSED	0x55
#define I8042_OUT_RESET		0x01 /* output port bit 0: the CPU's reset line, active low */
#define I8042_OUT_A20		0x02 /* output port bit 1: the A20 gate */
#define I8042_CMDBYTE_DEFAULT	0x45 /* keyboard interrupt, system flag, translate */

/*
 * System control port A (0x92, PS/2 and later): bit 1 the "fast A20" gate, bit 0 a
 * fast reset (a write of 1 resets the CPU).
 */
#define SYSCTL_A_RESET 0x01
#define SYSCTL_A_A20   0x02

/*
 * An 8042 holds one capability of its VM: pulsing the CPU's reset line. A20 is always
 * on under KVM (the guest sees all its RAM at every address); the controller accepts
 * every way of switching it and reports it enabled. The rest is the state a guest
 * sees while it talks to the controller.
 */
struct i8042 {
	void (*reset)(void *opaque, const char *why);
	void *opaque;
	pthread_mutex_t lock; /* guards the fields below (zero: PTHREAD_MUTEX_INITIALIZER) */
	uint8_t pending;      /* a command waiting for its data byte (0x60, 0xd1), or 0 */
	uint8_t output;	      /* the output buffer's byte, valid while obf */
	bool obf;	      /* output buffer full */
	uint8_t cmdbyte;      /* the command byte as last written (0: never, reads default) */
};

/*
 * Bus handlers (opaque: struct i8042) for the data port, the command/status port
 * and port 0x92. Data reads the output buffer (a reply to 0x20, 0xaa, 0xd0) or 0: no
 * keyboard sends anything. Status reads "input buffer empty, self-test passed" and
 * OBF while a reply waits. Commands: 0x20/0x60 read/write the command byte, 0xaa
 * self-test, 0xd0/0xd1 read/write the output port (a write with bit 0 clear resets,
 * bit 1 A20 is accepted and stays on), 0xdd/0xdf A20, 0xf0-0xff pulse output lines
 * (bit 0 clear: i8042.reset(), which is how Linux reboots with reboot=k); others are
 * accepted and ignored. Port 0x92 reads A20 on; a write with bit 0 set resets.
 * Sources: IBM PC/AT Technical Reference, keyboard controller; IBM PS/2 Hardware
 * Interface Technical Reference, system control port A; Linux
 * arch/x86/kernel/reboot.c (kb_wait, BOOT_KBD).
 */
int i8042_data_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int i8042_data_write(void *opaque, uint64_t offset, const void *data, uint32_t size);
int i8042_status_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int i8042_command_write(void *opaque, uint64_t offset, const void *data, uint32_t size);
int i8042_sysctl_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int i8042_sysctl_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

/* Saved state: fixed layout. */
struct i8042_state {
	uint8_t pending;
	uint8_t output;
	uint8_t obf; /* 0 or 1 */
	uint8_t cmdbyte;
	uint8_t reserved[4]; /* zero */
};
_Static_assert(sizeof(struct i8042_state) == 8, "i8042_state has holes");

/* Save into *out; restore refuses a bad flag, pending command or reserved byte (-EINVAL). */
void i8042_save(struct i8042 *kbc, struct i8042_state *out);
int i8042_restore(struct i8042 *kbc, const struct i8042_state *in);

#endif
