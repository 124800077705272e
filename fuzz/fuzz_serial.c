/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the 16550A UART: register accesses of any size and offset, host input and a failing host output. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/serial.h"

/*
 * Input: operations until the bytes run out, each one byte [7:5 kind][4:3 size
 * index][2:0 offset] and, for a write, one value byte. Kinds: a register read, a
 * register write (serial_read()/serial_write()), a bus read, a bus write (through
 * the bus handlers, of size 1, 2, 4 or 8), host input arriving (the next byte says
 * how many bytes: serial_rx_poll()), host output failing from now on (tx returns
 * -EPIPE) or working again.
 * Oracle (besides ASan/UBSan): the interrupt line only changes (the UART reports
 * edges, never the same level twice) and only to 0 or 1; a read of LSR says data
 * is ready exactly when a read of RBR would return input; only a failing host
 * output makes a write fail, and only with its error.
 */
#define OP_OFFSET_MASK 0x07
#define OP_SIZE_SHIFT  3
#define OP_SIZE_MASK   0x03
#define OP_KIND_SHIFT  5

enum { OP_READ, OP_WRITE, OP_BUS_READ, OP_BUS_WRITE, OP_INPUT, OP_TX_FAIL, OP_TX_OK, OP_LSR };

static const uint32_t sizes[] = { 1, 2, 4, 8 };

struct host {
	int irq_level;
	bool tx_fails;
	size_t input_left; /* bytes the host still offers */
	uint8_t next_input;
	unsigned long transmitted;
};

static int host_tx(void *opaque, uint8_t byte)
{
	struct host *h = opaque;

	(void)byte;
	if (h->tx_fails)
		return -EPIPE;
	h->transmitted++;
	return 0;
}

static int host_rx(void *opaque, uint8_t *byte)
{
	struct host *h = opaque;

	if (!h->input_left)
		return 0;
	h->input_left--;
	*byte = h->next_input++;
	return 1;
}

static void host_irq(void *opaque, int level)
{
	struct host *h = opaque;

	if ((level != 0 && level != 1) || level == h->irq_level)
		abort();
	h->irq_level = level;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct serial_ops ops = { .tx = host_tx, .rx = host_rx, .irq = host_irq };
	struct host host = { 0 };
	struct serial s;
	size_t pos = 0;

	serial_init(&s, &ops, &host);
	while (pos < size) {
		uint8_t op = data[pos++];
		unsigned int offset = op & OP_OFFSET_MASK;
		uint32_t len = sizes[(op >> OP_SIZE_SHIFT) & OP_SIZE_MASK];
		uint8_t value = pos < size ? data[pos] : 0;
		uint8_t buf[8] = { 0 };
		int ret = 0;

		switch (op >> OP_KIND_SHIFT) {
		case OP_READ:
			serial_read(&s, offset);
			break;
		case OP_WRITE:
			pos++;
			ret = serial_write(&s, offset, value);
			break;
		case OP_BUS_READ:
			ret = serial_bus_read(&s, offset, buf, len);
			break;
		case OP_BUS_WRITE:
			pos++;
			memset(buf, value, sizeof(buf));
			ret = serial_bus_write(&s, offset, buf, len);
			break;
		case OP_INPUT:
			pos++;
			host.input_left += value;
			serial_rx_poll(&s);
			break;
		case OP_TX_FAIL:
			host.tx_fails = true;
			break;
		case OP_TX_OK:
			host.tx_fails = false;
			break;
		case OP_LSR: {
			/* With DLAB clear, RBR holds input exactly when LSR.DR says so. */
			uint8_t lcr = s.lcr, lsr;

			if (serial_write(&s, UART_LCR, lcr & ~UART_LCR_DLAB))
				abort();
			lsr = serial_read(&s, UART_LSR);
			if (!!(lsr & UART_LSR_DR) != (s.rx_count > 0))
				abort();
			serial_read(&s, UART_RBR);
			if (serial_write(&s, UART_LCR, lcr))
				abort();
			break;
		}
		}
		if (ret && (ret != -EPIPE || !host.tx_fails))
			abort();
	}
	serial_destroy(&s);
	return 0;
}
