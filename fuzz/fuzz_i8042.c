/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the 8042 stand-in and port 92h driven by any sequence of guest accesses and restores. */
#include <stdint.h>
#include <string.h>

#include "devices/i8042.h"

/*
 * Input: operations until the bytes run out; one byte [2:0 kind], then one byte of
 * data for the writes and 8 for a restore:
 *   0 read data, 1 read status, 2 read port 92h,
 *   3 write data, 4 write command, 5 write port 92h, 6 restore a saved state XORed
 *   with 8 bytes (refused unless valid), 7 save and restore unchanged.
 * Oracle: ASan/UBSan, every handler returns 0, a restore of a saved state succeeds,
 * and the status register never claims a full input buffer (guests spin on it).
 */

static void fake_reset(void *opaque, const char *why)
{
	(void)why;
	(*(unsigned int *)opaque)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int resets = 0;
	struct i8042 kbc = { .reset = fake_reset, .opaque = &resets };
	struct i8042_state st;
	size_t i = 0;

	while (i < size) {
		uint8_t kind = data[i++] & 7, v = 0;
		int ret = 0;

		switch (kind) {
		case 0:
			ret = i8042_data_read(&kbc, 0, &v, 1);
			break;
		case 1:
			ret = i8042_status_read(&kbc, 0, &v, 1);
			if (v & I8042_STATUS_IBF)
				__builtin_trap();
			break;
		case 2:
			ret = i8042_sysctl_read(&kbc, 0, &v, 1);
			break;
		case 3:
		case 4:
		case 5:
			if (i >= size)
				return 0;
			v = data[i++];
			if (kind == 3)
				ret = i8042_data_write(&kbc, 0, &v, 1);
			else if (kind == 4)
				ret = i8042_command_write(&kbc, 0, &v, 1);
			else
				ret = i8042_sysctl_write(&kbc, 0, &v, 1);
			break;
		case 6:
			if (size - i < sizeof(st))
				return 0;
			i8042_save(&kbc, &st);
			for (size_t j = 0; j < sizeof(st); j++)
				((uint8_t *)&st)[j] ^= data[i + j];
			i += sizeof(st);
			(void)i8042_restore(&kbc, &st);
			break;
		default:
			i8042_save(&kbc, &st);
			if (i8042_restore(&kbc, &st) != 0)
				__builtin_trap();
			break;
		}
		if (ret != 0)
			__builtin_trap();
	}
	return 0;
}
