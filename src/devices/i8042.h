/* The part of an 8042 keyboard controller a PC guest uses without a keyboard: status and reset. */
#ifndef MINI_KVM_I8042_H
#define MINI_KVM_I8042_H

#include <stdint.h>

#define PORT_I8042_DATA	   0x60
#define PORT_I8042_COMMAND 0x64 /* write: command; read: status */

/* An 8042 holds one capability of its VM: pulsing the CPU's reset line. */
struct i8042 {
	void (*reset)(void *opaque, const char *why);
	void *opaque;
};

/*
 * Bus handlers (opaque: struct i8042) for the data port and for the command/status
 * port. Data reads 0: no keyboard sends anything. Status reads "empty, ready,
 * self-test passed". The command 0xfe pulses the CPU reset line: i8042.reset(),
 * which is how Linux reboots with reboot=k. Other commands and data are accepted
 * and ignored. Sources: IBM PC/AT Technical Reference, keyboard controller; Linux
 * arch/x86/kernel/reboot.c (kb_wait, BOOT_KBD).
 */
int i8042_data_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int i8042_status_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int i8042_command_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

#endif
