/* 8042 keyboard controller stand-in: an empty status register and the reset command. */
#include "devices/i8042.h"

#define I8042_STATUS_SYSTEM_FLAG 0x04 /* set once the controller passed its self-test */
#define I8042_CMD_PULSE_RESET	 0xfe /* pulse output line 0: the CPU's reset */

int i8042_data_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque, (void)offset, (void)size;
	*(uint8_t *)data = 0;
	return 0;
}

int i8042_status_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)opaque, (void)offset, (void)size;
	/* Output buffer empty (Linux's kb_wait() would spin on a full one), input buffer empty. */
	*(uint8_t *)data = I8042_STATUS_SYSTEM_FLAG;
	return 0;
}

int i8042_command_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	const struct i8042 *kbc = opaque;

	(void)offset, (void)size;
	if (*(const uint8_t *)data == I8042_CMD_PULSE_RESET)
		kbc->reset(kbc->opaque, "reset through the 8042 controller");
	return 0;
}
