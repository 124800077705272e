/* SPDX-License-Identifier: MIT */
/* libFuzzer target: ATA port accesses from fuzzer bytes on small temp-file disks. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ata.h"

/*
 * Input: a mode byte, then operations until the bytes run out.
 *   mode bit 0: a read-only slave disk is attached too
 *   mode bit 1: first restore a saved state whose fields (the channel's, then each
 *               drive's but its buffer: 120 bytes) are XORed with the next input bytes
 *   operation: one byte [7:5 size index][4:2 offset][1:0 kind], then for a write
 *   the access's bytes. Kinds: command block read, command block write, control
 *   read, control write.
 * Oracle (besides ASan/UBSan): INTRQ changes alternate, and every state the channel
 * reaches saves and restores onto a fresh channel, giving the same state back.
 */

#define DISK_SECTORS	64
#define MODE_SLAVE	0x01
#define MODE_RESTORE	0x02
#define OP_KIND_MASK	0x03
#define OP_OFFSET_SHIFT 2
#define OP_OFFSET_MASK	0x07
#define OP_SIZE_SHIFT	5

enum { CMD_READ, CMD_WRITE, CTRL_READ, CTRL_WRITE };

/* Access sizes, with two a bus never makes (the handlers must refuse them). */
static const uint32_t sizes[8] = { 1, 2, 4, 8, 2, 2, 0, 9 };

static struct ata_disk disks[ATA_DRIVES];
static int irq_level;
static struct ata_state saved, copy; /* 16 KiB each: static */

static void make_disk(unsigned int i, bool read_only)
{
	static uint8_t sector[ATA_SECTOR_SIZE];
	char path[] = "/tmp/fuzz-ata-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	for (unsigned int s = 0; s < DISK_SECTORS; s++) {
		memset(sector, (int)s, sizeof(sector));
		if (write(fd, sector, sizeof(sector)) != (ssize_t)sizeof(sector))
			abort();
	}
	close(fd);
	if (ata_disk_open(&disks[i], path, read_only))
		abort();
	unlink(path); /* the open descriptor keeps it */
}

static void fuzz_irq(void *opaque, int level)
{
	bool restoring = opaque != NULL;

	if ((level != 0 && level != 1) || (!restoring && level == irq_level))
		abort();
	irq_level = level;
}

static void setup_channel(struct ata_channel *ch, bool slave, bool restoring)
{
	const struct ata_ops ops = { .irq = fuzz_irq, .opaque = restoring ? ch : NULL };

	ata_init(ch, 0, &ops);
	if (ata_attach(ch, 0, &disks[0]) || (slave && ata_attach(ch, 1, &disks[1])))
		abort();
}

/* Save, restore onto a fresh channel, save again: the two states must be equal. */
static void check_round_trip(const struct ata_channel *ch, bool slave)
{
	struct ata_channel fresh;
	int level = irq_level;

	ata_save(ch, &saved);
	setup_channel(&fresh, slave, true);
	if (ata_restore(&fresh, &saved)) {
		fprintf(stderr, "a reachable state does not restore\n");
		abort();
	}
	ata_save(&fresh, &copy);
	if (memcmp(&saved, &copy, sizeof(saved)))
		abort();
	ata_destroy(&fresh);
	irq_level = level;
}

/* XOR input into the fields of a saved state: the channel's, then each drive's (not buf). */
static size_t spoil_state(struct ata_state *st, const uint8_t *data, size_t size)
{
	const struct {
		uint8_t *bytes;
		size_t len;
	} parts[] = {
		{ (uint8_t *)st, offsetof(struct ata_state, drives) },
		{ (uint8_t *)&st->drives[0], offsetof(struct ata_drive_state, buf) },
		{ (uint8_t *)&st->drives[1], offsetof(struct ata_drive_state, buf) },
	};
	size_t used = 0;

	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
		for (size_t i = 0; i < parts[p].len && used < size; i++)
			parts[p].bytes[i] ^= data[used++];
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct ata_channel ch;
	uint8_t mode, buf[16];
	size_t pos = 1;
	bool slave;

	if (!ready) {
		make_disk(0, false);
		make_disk(1, true);
		ready = true;
	}
	if (!size)
		return 0;
	mode = data[0];
	slave = mode & MODE_SLAVE;
	irq_level = 0;
	setup_channel(&ch, slave, false);
	if (mode & MODE_RESTORE) {
		struct ata_channel *c = &ch;

		ata_save(c, &saved);
		pos += spoil_state(&saved, data + pos, size - pos);
		c->ops.opaque = c; /* restore reports the level even when unchanged */
		ata_restore(c, &saved);
		c->ops.opaque = NULL;
	}
	while (pos < size) {
		uint8_t op = data[pos++];
		unsigned int kind = op & OP_KIND_MASK;
		uint64_t offset = (op >> OP_OFFSET_SHIFT) & OP_OFFSET_MASK;
		uint32_t len = sizes[op >> OP_SIZE_SHIFT];
		int ret;

		if (kind == CTRL_READ || kind == CTRL_WRITE)
			offset = 0;
		memset(buf, 0, sizeof(buf));
		if (kind == CMD_WRITE || kind == CTRL_WRITE) {
			size_t n = len < size - pos ? len : size - pos;

			memcpy(buf, data + pos, n);
			pos += n;
		}
		switch (kind) {
		case CMD_READ:
			ret = ata_cmd_read(&ch, offset, buf, len);
			break;
		case CMD_WRITE:
			ret = ata_cmd_write(&ch, offset, buf, len);
			break;
		case CTRL_READ:
			ret = ata_ctrl_read(&ch, offset, buf, len);
			break;
		default:
			ret = ata_ctrl_write(&ch, offset, buf, len);
			break;
		}
		/* Only a size no bus makes may fail. */
		if (ret && (len >= 1 && len <= 8))
			abort();
	}
	check_round_trip(&ch, slave);
	ata_destroy(&ch);
	return 0;
}
