/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for snapshot files: snapshot_parse(), the RAM check and device state restore. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/serial.h"
#include "snapshot/format.h"

/*
 * Input: one mode byte, then a snapshot file. Mode bit 0 set: the file's CRCs are
 * made right first (where the header and table say where things are), so that
 * mutations reach the checks behind them; clear: the bytes as they are, CRCs too.
 * Then, for a file that parses: every extent's RAM CRC (snapshot_verify_ram) and the
 * UART's saved state through serial_restore(). Oracle: ASan/UBSan, and a parse
 * that accepts must hand out sections inside the file's bytes.
 */

#define MODE_RESEAL 0x1
#define FUZZ_MAX    (1U << 20) /* larger inputs teach nothing more */

struct buf {
	const uint8_t *bytes;
	size_t size;
};

static int buf_read(void *opaque, uint64_t offset, void *out, size_t len)
{
	const struct buf *b = opaque;

	if (offset > b->size || len > b->size - offset)
		return -5; /* -EIO: the parser must never ask for this (size is known) */
	memcpy(out, b->bytes + offset, len);
	return 0;
}

/* Recompute the CRCs the header and table point at, where they are inside the file. */
static void reseal(uint8_t *f, size_t size)
{
	struct snapshot_header h;
	uint64_t table_len;

	if (size < sizeof(h))
		return;
	memcpy(&h, f, sizeof(h));
	table_len = (uint64_t)h.nsections * sizeof(struct snapshot_section);
	if (h.nsections <= SNAPSHOT_MAX_SECTIONS && h.table_offset <= size &&
	    table_len <= size - h.table_offset) {
		for (uint32_t i = 0; i < h.nsections; i++) {
			struct snapshot_section s;
			uint8_t *at = f + h.table_offset + i * sizeof(s);

			memcpy(&s, at, sizeof(s));
			if (s.type == SNAPSHOT_SEC_RAM_DATA || s.offset > size ||
			    s.length > size - s.offset)
				continue;
			s.crc = snapshot_crc32(0, f + s.offset, s.length);
			memcpy(at, &s, sizeof(s));
		}
		h.table_crc = snapshot_crc32(0, f + h.table_offset, table_len);
	}
	h.file_size = size;
	h.header_crc = 0;
	h.header_crc = snapshot_crc32(0, &h, sizeof(h));
	memcpy(f, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot snap;
	struct buf b;
	uint8_t *file;
	int ret;

	if (size < 1 || size > FUZZ_MAX)
		return 0;
	file = malloc(size);
	if (!file)
		return 0;
	memcpy(file, data + 1, size - 1);
	if (data[0] & MODE_RESEAL)
		reseal(file, size - 1);
	b = (struct buf){ .bytes = file, .size = size - 1 };
	const struct snapshot_reader r = {
		.read = buf_read, .opaque = &b, .size = b.size, .name = "fuzz"
	};

	ret = snapshot_parse(&r, &snap);
	if (ret == 0) {
		uint64_t len;
		const void *uart = snapshot_find(&snap, SNAPSHOT_SEC_DEVICE, SNAPSHOT_DEV_SERIAL(0),
						 &len);

		for (uint32_t i = 0; i < snap.nsections; i++)
			if (snap.sections[i].offset > b.size ||
			    snap.sections[i].length > b.size - snap.sections[i].offset)
				abort();
		snapshot_verify_ram(&r, &snap);
		if (uart && len == sizeof(struct serial_state)) {
			struct serial s;

			serial_init(&s, NULL, NULL);
			serial_restore(&s, uart);
			serial_read(&s, UART_RBR);
			serial_read(&s, UART_IIR);
			serial_destroy(&s);
		}
		snapshot_free(&snap);
	}
	free(file);
	return 0;
}
