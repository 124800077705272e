/* SPDX-License-Identifier: MIT */
/* 8042 keyboard controller stand-in: status, command byte, output port (A20, reset), port 0x92. */
#include "devices/i8042.h"

#include <errno.h>
#include <string.h>

#include "error.h"

/* The output port as a guest reads it: A20 on, reset line high (not resetting). */
#define I8042_OUT_DEFAULT (I8042_OUT_RESET | I8042_OUT_A20)

static void put_output(struct i8042 *kbc, uint8_t byte)
{
	kbc->output = byte;
	kbc->obf = true;
}

int i8042_data_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct i8042 *kbc = opaque;

	(void)offset, (void)size;
	pthread_mutex_lock(&kbc->lock);
	*(uint8_t *)data = kbc->obf ? kbc->output : 0;
	kbc->obf = false;
	pthread_mutex_unlock(&kbc->lock);
	return 0;
}

int i8042_data_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct i8042 *kbc = opaque;
	uint8_t value = *(const uint8_t *)data;
	bool reset = false;

	(void)offset, (void)size;
	pthread_mutex_lock(&kbc->lock);
	switch (kbc->pending) {
	case I8042_CMD_WRITE_CMDBYTE:
		kbc->cmdbyte = value;
		break;
	case I8042_CMD_WRITE_OUTPUT:
		/* Bit 1 (A20) is accepted as written: A20 is always on under KVM. */
		reset = !(value & I8042_OUT_RESET);
		break;
	default:
		break; /* a byte for a keyboard that is not there */
	}
	kbc->pending = 0;
	pthread_mutex_unlock(&kbc->lock);
	if (reset)
		kbc->reset(kbc->opaque, "reset through the 8042 controller's output port");
	return 0;
}

int i8042_status_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	struct i8042 *kbc = opaque;

	(void)offset, (void)size;
	pthread_mutex_lock(&kbc->lock);
	/* Input buffer always empty: Linux's kb_wait() and A20 code spin on a full one. */
	*(uint8_t *)data = I8042_STATUS_SYSTEM_FLAG | (kbc->obf ? I8042_STATUS_OBF : 0);
	pthread_mutex_unlock(&kbc->lock);
	return 0;
}

int i8042_command_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct i8042 *kbc = opaque;
	uint8_t command = *(const uint8_t *)data;
	bool reset = false;

	(void)offset, (void)size;
	pthread_mutex_lock(&kbc->lock);
	kbc->pending = 0;
	switch (command) {
	case I8042_CMD_READ_CMDBYTE:
		put_output(kbc, kbc->cmdbyte ? kbc->cmdbyte : I8042_CMDBYTE_DEFAULT);
		break;
	case I8042_CMD_WRITE_CMDBYTE:
	case I8042_CMD_WRITE_OUTPUT:
		kbc->pending = command;
		break;
	case I8042_CMD_SELF_TEST:
		put_output(kbc, I8042_SELF_TEST_PASSED);
		break;
	case I8042_CMD_READ_OUTPUT:
		put_output(kbc, I8042_OUT_DEFAULT);
		break;
	case I8042_CMD_A20_OFF:
	case I8042_CMD_A20_ON:
		break; /* A20 stays on */
	default:
		/* 0xf0-0xff pulse the output lines whose bit is 0: bit 0 is the reset line. */
		reset = command >= I8042_CMD_PULSE_FIRST && !(command & I8042_OUT_RESET);
		break;
	}
	pthread_mutex_unlock(&kbc->lock);
	if (reset)
		kbc->reset(kbc->opaque, "reset through the 8042 controller");
	return 0;
}

int i8042_sysctl_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque, (void)offset, (void)size;
	*(uint8_t *)data = SYSCTL_A_A20;
	return 0;
}

int i8042_sysctl_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	struct i8042 *kbc = opaque;

	(void)offset, (void)size;
	if (*(const uint8_t *)data & SYSCTL_A_RESET)
		kbc->reset(kbc->opaque, "reset through system control port A (0x92)");
	return 0;
}

void i8042_save(struct i8042 *kbc, struct i8042_state *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&kbc->lock);
	out->pending = kbc->pending;
	out->output = kbc->output;
	out->obf = kbc->obf;
	out->cmdbyte = kbc->cmdbyte;
	pthread_mutex_unlock(&kbc->lock);
}

int i8042_restore(struct i8042 *kbc, const struct i8042_state *in)
{
	static const uint8_t zero[sizeof(in->reserved)];

	if (in->obf > 1 || memcmp(in->reserved, zero, sizeof(zero)) ||
	    (in->pending && in->pending != I8042_CMD_WRITE_CMDBYTE &&
	     in->pending != I8042_CMD_WRITE_OUTPUT))
		return error_set(EINVAL, "i8042 state: bad flag, pending command or reserved byte");
	pthread_mutex_lock(&kbc->lock);
	kbc->pending = in->pending;
	kbc->output = in->output;
	kbc->obf = in->obf;
	kbc->cmdbyte = in->cmdbyte;
	pthread_mutex_unlock(&kbc->lock);
	return 0;
}
