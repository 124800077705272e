/* SPDX-License-Identifier: MIT */
/* Unit tests of the 16550A UART model (src/devices/serial.c) against the PC16550D datasheet. */
#include "unit.h"

#include <errno.h>

#include "bus.h"
#include "devices/serial.h"
#include "error.h"
#include "arch/x86/layout.h"

#define HOST_BUF 64

/* LSR after reset and whenever nothing was received: THR and transmitter empty. */
#define LSR_IDLE (UART_LSR_THRE | UART_LSR_TEMT)
/* MSR lines of the "present modem" outside loopback. */
#define MSR_MODEM (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)
/* IIR bits 3:0 and the FIFO bits. */
#define IIR_ID_MASK 0x0f

/* The host side of the UART: what it transmitted, input to give it, IRQ levels. */
struct host {
	uint8_t tx[HOST_BUF];
	unsigned int ntx;
	int tx_ret;
	uint8_t rx[HOST_BUF];
	unsigned int rx_len, rx_pos, rx_calls;
	int irq[HOST_BUF];
	unsigned int nirq;
	struct serial uart;
};

static int host_tx(void *opaque, uint8_t byte)
{
	struct host *h = opaque;

	assert_true(h->ntx < HOST_BUF);
	h->tx[h->ntx++] = byte;
	return h->tx_ret;
}

static int host_rx(void *opaque, uint8_t *byte)
{
	struct host *h = opaque;

	h->rx_calls++;
	if (h->rx_pos == h->rx_len)
		return 0;
	*byte = h->rx[h->rx_pos++];
	return 1;
}

static void host_irq(void *opaque, int level)
{
	struct host *h = opaque;

	assert_true(h->nirq < HOST_BUF);
	h->irq[h->nirq++] = level;
}

static const struct serial_ops host_ops = { .tx = host_tx, .rx = host_rx, .irq = host_irq };

/* Queue host input for the UART to pick up. */
static void host_input(struct host *h, const char *text)
{
	size_t n = strlen(text);

	assert_true(h->rx_len + n <= HOST_BUF);
	memcpy(h->rx + h->rx_len, text, n);
	h->rx_len += n;
}

static int setup(void **state)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	serial_init(&h->uart, &host_ops, h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct host *h = *state;

	serial_destroy(&h->uart);
	free(h);
	return 0;
}

static uint8_t rd(struct host *h, unsigned int offset)
{
	return serial_read(&h->uart, offset);
}

static void wr(struct host *h, unsigned int offset, uint8_t value)
{
	assert_int_equal(serial_write(&h->uart, offset, value), 0);
}

static void test_reset_values(void **state)
{
	struct host *h = *state;

	assert_int_equal(rd(h, UART_LSR), 0x60);
	assert_int_equal(rd(h, UART_IIR), 0x01);
	assert_int_equal(rd(h, UART_MSR), MSR_MODEM);
	assert_int_equal(rd(h, UART_MSR), 0xb0);
	assert_int_equal(rd(h, UART_IER), 0);
	assert_int_equal(rd(h, UART_LCR), 0);
	assert_int_equal(rd(h, UART_MCR), 0);
	assert_int_equal(rd(h, UART_SCR), 0);
	assert_int_equal(h->nirq, 0);
	assert_int_equal(h->ntx, 0);
}

static void test_init_without_ops(void **state)
{
	struct serial s;

	(void)state;
	serial_init(&s, NULL, NULL);
	/* No hooks: transmitting and polling do nothing, and nothing crashes. */
	assert_int_equal(serial_write(&s, UART_IER, UART_IER_THRI), 0);
	assert_int_equal(serial_write(&s, UART_MCR, UART_MCR_OUT2), 0);
	assert_int_equal(serial_write(&s, UART_THR, 'x'), 0);
	serial_rx_poll(&s);
	assert_int_equal(serial_read(&s, UART_LSR), LSR_IDLE);
	assert_int_equal(serial_read(&s, UART_IIR), UART_IIR_THRI);
	serial_destroy(&s);
}

static void test_dlab(void **state)
{
	struct host *h = *state;

	wr(h, UART_IER, UART_IER_RDI | UART_IER_RLSI);
	wr(h, UART_LCR, UART_LCR_DLAB | 0x03); /* 8N1 */
	wr(h, UART_DLL, 0x0c);		       /* 9600 baud */
	wr(h, UART_DLM, 0x01);
	assert_int_equal(h->ntx, 0); /* DLL is not THR */
	assert_int_equal(rd(h, UART_DLL), 0x0c);
	assert_int_equal(rd(h, UART_DLM), 0x01);
	assert_int_equal(rd(h, UART_LCR), 0x83);

	wr(h, UART_LCR, 0x03);
	/* DLAB clear: offsets 0 and 1 are RBR/THR and IER again, unchanged by the divisor. */
	assert_int_equal(rd(h, UART_IER), UART_IER_RDI | UART_IER_RLSI);
	assert_int_equal(rd(h, UART_RBR), 0);
	wr(h, UART_THR, 'A');
	assert_int_equal(h->ntx, 1);
	assert_int_equal(h->tx[0], 'A');

	/* The divisor survives, and the IER write in DLAB mode went to DLM. */
	wr(h, UART_LCR, UART_LCR_DLAB);
	wr(h, UART_IER, 0x77);
	assert_int_equal(rd(h, UART_DLL), 0x0c);
	assert_int_equal(rd(h, UART_DLM), 0x77);
	wr(h, UART_LCR, 0);
	assert_int_equal(rd(h, UART_IER), UART_IER_RDI | UART_IER_RLSI);
}

static void test_thr_calls_tx(void **state)
{
	struct host *h = *state;
	static const char text[] = "hi\n";

	for (size_t i = 0; i < strlen(text); i++)
		wr(h, UART_THR, text[i]);
	assert_int_equal(h->ntx, 3);
	assert_memory_equal(h->tx, text, 3);
	/* Transmission is instant: THR empty again. */
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);

	h->tx_ret = -EPIPE;
	assert_int_equal(serial_write(&h->uart, UART_THR, '!'), -EPIPE);
}

static void test_rx_data_ready(void **state)
{
	struct host *h = *state;

	assert_int_equal(rd(h, UART_LSR) & UART_LSR_DR, 0);
	host_input(h, "hi");
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR);
	assert_int_equal(rd(h, UART_RBR), 'h');
	/* Without the FIFO the receiver holds one byte: the next comes after the read. */
	assert_int_equal(h->rx_pos, 2);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR);
	assert_int_equal(rd(h, UART_RBR), 'i');
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);
	assert_int_equal(rd(h, UART_RBR), 0);
}

static void test_fifo_pop_order(void **state)
{
	struct host *h = *state;
	static const char text[] = "abcdefghijklmnopqrstuvwxyz";

	wr(h, UART_FCR, UART_FCR_ENABLE);
	wr(h, UART_IER, UART_IER_RDI); /* interrupt-driven: input is pulled as it arrives */
	host_input(h, text);
	serial_rx_poll(&h->uart);
	/* The FIFO takes 16; the rest waits at the host, nothing is lost. */
	assert_int_equal(h->rx_pos, UART_FIFO_SIZE);
	for (size_t i = 0; i < strlen(text); i++) {
		assert_true(rd(h, UART_LSR) & UART_LSR_DR);
		assert_int_equal(rd(h, UART_RBR), text[i]);
	}
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);
	assert_int_equal(rd(h, UART_LSR) & UART_LSR_OE, 0);
}

/* A guest that neither reads the UART nor wants its interrupts leaves host input alone. */
static void test_rx_poll_without_rdi_takes_nothing(void **state)
{
	struct host *h = *state;

	wr(h, UART_FCR, UART_FCR_ENABLE);
	host_input(h, "abc");
	serial_rx_poll(&h->uart);
	assert_int_equal(h->rx_pos, 0);
	/* The first register read takes what fits. */
	assert_true(rd(h, UART_LSR) & UART_LSR_DR);
	assert_int_equal(h->rx_pos, 3);
	assert_int_equal(rd(h, UART_RBR), 'a');
}

static void test_fifo_enable_iir_bits(void **state)
{
	struct host *h = *state;

	wr(h, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_NO_INT);
	assert_int_equal(rd(h, UART_IIR), 0xc1);
	wr(h, UART_FCR, 0);
	assert_int_equal(rd(h, UART_IIR), 0x01);
}

static void test_fcr_clear_rx(void **state)
{
	struct host *h = *state;

	wr(h, UART_FCR, UART_FCR_ENABLE);
	wr(h, UART_IER, UART_IER_RDI);
	host_input(h, "abc");
	serial_rx_poll(&h->uart);
	assert_int_equal(h->rx_pos, 3);
	assert_true(rd(h, UART_LSR) & UART_LSR_DR);
	wr(h, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);
	assert_int_equal(rd(h, UART_RBR), 0);
	/* The FIFO stays on, and the clear bit does not stick. */
	assert_int_equal(rd(h, UART_IIR) & UART_IIR_FIFO_ENABLED, UART_IIR_FIFO_ENABLED);
	host_input(h, "d");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_RBR), 'd');
}

static void test_fifo_toggle_clears_rx(void **state)
{
	struct host *h = *state;

	wr(h, UART_MCR, UART_MCR_LOOP);
	wr(h, UART_FCR, UART_FCR_ENABLE);
	wr(h, UART_THR, 'x');
	wr(h, UART_THR, 'y');
	assert_true(rd(h, UART_LSR) & UART_LSR_DR);
	/* Leaving FIFO mode resets the FIFOs (datasheet, FCR bit 0). */
	wr(h, UART_FCR, 0);
	assert_int_equal(rd(h, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(rd(h, UART_RBR), 0);
}

static void test_iir_priorities(void **state)
{
	struct host *h = *state;

	/* Loopback: the receiver and the modem lines are under the test's control. */
	wr(h, UART_MCR, UART_MCR_LOOP);
	wr(h, UART_IER, UART_IER_MASK);
	/* THR empty (armed by enabling it) and modem status (loopback changed the lines). */
	assert_int_equal(rd(h, UART_IIR), UART_IIR_THRI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_MSI); /* the IIR read took THRI */
	assert_int_equal(rd(h, UART_MSR) & UART_MSR_DELTAS,
			 UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);

	wr(h, UART_THR, 'x'); /* received at once, and THRI re-armed */
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RDI);
	wr(h, UART_THR, 'y'); /* no FIFO: overrun */
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RLSI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RLSI);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RDI);
	assert_int_equal(rd(h, UART_RBR), 'x');
	assert_int_equal(rd(h, UART_IIR), UART_IIR_THRI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);
}

static void test_iir_respects_ier(void **state)
{
	struct host *h = *state;

	wr(h, UART_MCR, UART_MCR_LOOP);
	wr(h, UART_THR, 'x');
	wr(h, UART_THR, 'y');
	/* Everything is pending, nothing is enabled. */
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);
	wr(h, UART_IER, UART_IER_MSI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_MSI);
	wr(h, UART_IER, UART_IER_RDI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RDI);
	wr(h, UART_IER, UART_IER_RLSI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RLSI);
}

static void test_thre_interrupt(void **state)
{
	struct host *h = *state;

	wr(h, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(h->nirq, 0);
	/* Enabling ETBEI while THR is empty raises THRI (how Linux kicks transmission). */
	wr(h, UART_IER, UART_IER_THRI);
	assert_int_equal(h->nirq, 1);
	assert_int_equal(h->irq[0], 1);
	/* Reading IIR with THRI as the source clears it. */
	assert_int_equal(rd(h, UART_IIR), UART_IIR_THRI);
	assert_int_equal(h->nirq, 2);
	assert_int_equal(h->irq[1], 0);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);
	/* Writing THR re-arms it. */
	wr(h, UART_THR, 'a');
	assert_int_equal(h->nirq, 3);
	assert_int_equal(h->irq[2], 1);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_THRI);
	/* Writing IER with ETBEI already set does not re-arm it. */
	wr(h, UART_IER, UART_IER_THRI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);
	/* Re-enabling does. */
	wr(h, UART_IER, 0);
	wr(h, UART_IER, UART_IER_THRI);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_THRI);
	assert_int_equal(h->irq[h->nirq - 1], 0);
}

static void test_rx_timeout_and_trigger(void **state)
{
	struct host *h = *state;

	wr(h, UART_MCR, UART_MCR_OUT2);
	wr(h, UART_IER, UART_IER_RDI);
	/* Trigger level 4 (FCR bits 7:6 = 01). */
	wr(h, UART_FCR, UART_FCR_ENABLE | (1 << UART_FCR_TRIGGER_SHIFT));
	host_input(h, "abc");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_TIMEOUT);
	assert_int_equal(rd(h, UART_IIR), 0xcc);
	assert_int_equal(h->nirq, 1);
	assert_int_equal(h->irq[0], 1);
	host_input(h, "d");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_RDI);
	assert_int_equal(h->nirq, 1); /* still raised: no new call */
	assert_int_equal(rd(h, UART_RBR), 'a');
	assert_int_equal(rd(h, UART_IIR) & IIR_ID_MASK, UART_IIR_TIMEOUT);

	/* Trigger level 14 (11). */
	wr(h, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | (3 << UART_FCR_TRIGGER_SHIFT));
	host_input(h, "0123456789abc");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_IIR) & IIR_ID_MASK, UART_IIR_TIMEOUT);
	host_input(h, "d");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_IIR) & IIR_ID_MASK, UART_IIR_RDI);

	/* Trigger level 1 (00): one byte is enough. */
	wr(h, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	host_input(h, "z");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_IIR), 0xc4);

	/* Without the FIFO, received data is always RDA. */
	wr(h, UART_FCR, 0);
	host_input(h, "y");
	serial_rx_poll(&h->uart);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RDI);
}

static void test_overrun(void **state)
{
	struct host *h = *state;

	wr(h, UART_MCR, UART_MCR_LOOP);
	wr(h, UART_FCR, UART_FCR_ENABLE);
	for (unsigned int i = 0; i <= UART_FIFO_SIZE; i++)
		wr(h, UART_THR, 'A' + i);
	/* The 17th byte is lost; OE shows once, then clears on the LSR read. */
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR);
	for (unsigned int i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(rd(h, UART_RBR), 'A' + i);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);

	/* Without the FIFO the second byte overruns the first. */
	wr(h, UART_FCR, 0);
	wr(h, UART_THR, '1');
	wr(h, UART_THR, '2');
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(h, UART_RBR), '1');
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);
}

static void test_loopback(void **state)
{
	struct host *h = *state;

	host_input(h, "host");
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	wr(h, UART_IER, UART_IER_RDI);
	wr(h, UART_THR, 'L');
	/* The byte went to the receiver, not the host; host input waits. */
	assert_int_equal(h->ntx, 0);
	assert_int_equal(h->rx_calls, 0);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_RDI);
	/* Loopback disconnects the interrupt line. */
	assert_int_equal(h->nirq, 0);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE | UART_LSR_DR);
	assert_int_equal(rd(h, UART_RBR), 'L');
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);
	assert_int_equal(h->rx_pos, 0);

	/* Back to normal: host input arrives, and the line rises. */
	wr(h, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(h->nirq, 1);
	assert_int_equal(h->irq[0], 1);
	assert_int_equal(rd(h, UART_RBR), 'h');
}

static void test_loopback_msr(void **state)
{
	struct host *h = *state;

	/* MSR mirrors MCR: RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD. */
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_MASK);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, 0xf0);
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, UART_MSR_CTS);
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, UART_MSR_DSR);
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, UART_MSR_RI);
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	/* RI fell: TERI; DCD rose: DDCD. */
	assert_int_equal(rd(h, UART_MSR), UART_MSR_DCD | UART_MSR_TERI | UART_MSR_DDCD);
	/* Deltas clear on read. */
	assert_int_equal(rd(h, UART_MSR), UART_MSR_DCD);
	/* What Linux's autoconfig probes: MCR = LOOP | 0x0a gives MSR 0x90. */
	wr(h, UART_MCR, UART_MCR_LOOP | 0x0a);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, 0x90);
	wr(h, UART_MCR, 0);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, MSR_MODEM);
}

static void test_irq_gating(void **state)
{
	struct host *h = *state;

	/* Pending THRI, but OUT2 clear: the line stays low. */
	wr(h, UART_IER, UART_IER_THRI);
	assert_int_equal(h->nirq, 0);
	wr(h, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(h->nirq, 1);
	assert_int_equal(h->irq[0], 1);
	/* Still pending: no call for an unchanged level. */
	wr(h, UART_THR, 'a');
	wr(h, UART_SCR, 1);
	rd(h, UART_LSR);
	assert_int_equal(h->nirq, 1);
	/* OUT2 off lowers the line, on raises it again. */
	wr(h, UART_MCR, 0);
	assert_int_equal(h->nirq, 2);
	assert_int_equal(h->irq[1], 0);
	wr(h, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	assert_int_equal(h->nirq, 3);
	assert_int_equal(h->irq[2], 1);
	/* Disabling the source lowers it. */
	wr(h, UART_IER, 0);
	assert_int_equal(h->nirq, 4);
	assert_int_equal(h->irq[3], 0);
}

static void test_rx_poll_raises_irq(void **state)
{
	struct host *h = *state;

	wr(h, UART_MCR, UART_MCR_OUT2);
	wr(h, UART_IER, UART_IER_RDI);
	serial_rx_poll(&h->uart);
	assert_int_equal(h->nirq, 0);
	host_input(h, "k");
	serial_rx_poll(&h->uart);
	assert_int_equal(h->nirq, 1);
	assert_int_equal(h->irq[0], 1);
	assert_int_equal(rd(h, UART_RBR), 'k');
	assert_int_equal(h->nirq, 2);
	assert_int_equal(h->irq[1], 0);
}

static void test_msi(void **state)
{
	struct host *h = *state;

	wr(h, UART_IER, UART_IER_MSI);
	wr(h, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);
	wr(h, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_MSI);
	rd(h, UART_MSR);
	assert_int_equal(rd(h, UART_IIR), UART_IIR_NO_INT);
}

static void test_scratch_and_masks(void **state)
{
	struct host *h = *state;

	wr(h, UART_SCR, 0x5a);
	assert_int_equal(rd(h, UART_SCR), 0x5a);
	wr(h, UART_SCR, 0xa5);
	assert_int_equal(rd(h, UART_SCR), 0xa5);
	/* Reserved bits read as zero. */
	wr(h, UART_IER, 0xff);
	assert_int_equal(rd(h, UART_IER), UART_IER_MASK);
	wr(h, UART_MCR, 0xff);
	assert_int_equal(rd(h, UART_MCR), UART_MCR_MASK);
	/* LSR and MSR are read-only. */
	wr(h, UART_MCR, 0);
	wr(h, UART_LSR, 0xff);
	wr(h, UART_MSR, 0x00);
	assert_int_equal(rd(h, UART_LSR), LSR_IDLE);
	assert_int_equal(rd(h, UART_MSR) & 0xf0, MSR_MODEM);
	/* Only offsets 0..7 exist. */
	assert_int_equal(rd(h, PORT_COM_SIZE), 0xff);
}

static void test_bus_access(void **state)
{
	struct host *h = *state;
	struct bus bus = { .name = "pio" };
	const struct bus_device dev = { .name = "serial COM1",
					.read = serial_bus_read,
					.write = serial_bus_write,
					.opaque = &h->uart };
	uint8_t data[4];
	uint16_t word = 0x1234;

	assert_int_equal(bus_register(&bus, PORT_COM1, PORT_COM_SIZE, &dev), 0);
	assert_int_equal(bus_write(&bus, PORT_COM1 + UART_THR, "Q", 1, NULL), 0);
	assert_int_equal(h->ntx, 1);
	assert_int_equal(h->tx[0], 'Q');

	/* A 16-bit write reaches the register at its first byte only: MSR, not SCR. */
	assert_int_equal(bus_write(&bus, PORT_COM1 + UART_MSR, &word, 2, NULL), 0);
	assert_int_equal(rd(h, UART_MSR), MSR_MODEM);
	assert_int_equal(rd(h, UART_SCR), 0);
	assert_int_equal(serial_bus_write(&h->uart, UART_SCR, &word, 2), 0);
	assert_int_equal(rd(h, UART_SCR), 0x34);

	/* A wider read: the register in the low byte, the bus's all-ones above. */
	assert_int_equal(bus_read(&bus, PORT_COM1 + UART_LSR, data, 2), 0);
	assert_int_equal(data[0], LSR_IDLE);
	assert_int_equal(data[1], 0xff);
	assert_int_equal(bus_read(&bus, PORT_COM1 + UART_IIR, data, 4), 0);
	assert_int_equal(data[0], UART_IIR_NO_INT);
	assert_int_equal(data[1], 0xff);
	assert_int_equal(data[3], 0xff);
	/* Past the UART's eight ports: unclaimed. */
	assert_int_equal(bus_read(&bus, PORT_COM1 + UART_SCR, data, 2), BUS_UNCLAIMED);
}

/*
 * A UART saved mid-conversation and restored into a fresh one behaves as the
 * original would: same registers, the FIFO's bytes in order, the pending THRI.
 */
static void test_save_restore(void **state)
{
	struct host *h = *state;
	struct host *twin = calloc(1, sizeof(*twin));
	struct serial_state saved, again;

	assert_non_null(twin);
	serial_init(&twin->uart, &host_ops, twin);
	wr(h, UART_LCR, UART_LCR_DLAB);
	wr(h, UART_DLL, 0x0c);
	wr(h, UART_LCR, 0x03);
	wr(h, UART_FCR, UART_FCR_ENABLE);
	wr(h, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	wr(h, UART_SCR, 0x5a);
	host_input(h, "abc");
	wr(h, UART_IER, UART_IER_RDI | UART_IER_THRI);
	serial_rx_poll(&h->uart);		/* the console says input arrived */
	assert_int_equal(rd(h, UART_RBR), 'a'); /* the FIFO holds "bc" now */
	serial_save(&h->uart, &saved);
	assert_int_equal(saved.rx_count, 2);
	assert_int_equal(saved.irq_level, 1);

	twin->nirq = 0;
	assert_int_equal(serial_restore(&twin->uart, &saved), 0);
	assert_int_equal(twin->nirq, 0); /* the irqchip's saved state has the line's effect */
	serial_save(&twin->uart, &again);
	assert_memory_equal(&saved, &again, sizeof(saved));
	assert_int_equal(rd(twin, UART_SCR), 0x5a);
	assert_int_equal(rd(twin, UART_LCR), 0x03);
	assert_int_equal(rd(twin, UART_RBR), 'b');
	assert_int_equal(rd(twin, UART_RBR), 'c');
	assert_int_equal(rd(twin, UART_LSR) & UART_LSR_DR, 0);
	/* THRI was pending (enabled with THR empty): the twin still reports it. */
	assert_int_equal(rd(twin, UART_IIR) & IIR_ID_MASK, UART_IIR_THRI);
	/* Its ops are its own: what it transmits goes to its host. */
	wr(twin, UART_THR, 'z');
	assert_int_equal(twin->ntx, 1);
	assert_int_equal(h->ntx, 0);
	serial_destroy(&twin->uart);
	free(twin);
}

/* States the model can never be in are refused whole, leaving the UART as it was. */
static const struct bad_serial_state {
	const char *name;
	size_t offset; /* the byte of struct serial_state to set */
	uint8_t value;
	const char *message;
} bad_serial_states[] = {
	{ "IER reserved bits", offsetof(struct serial_state, ier), 0x10, "IER 0x10" },
	{ "MCR reserved bits", offsetof(struct serial_state, mcr), 0x20, "MCR 0x20" },
	{ "FCR clear bits", offsetof(struct serial_state, fcr), UART_FCR_CLEAR_RX, "FCR 0x02" },
	{ "FIFO head out of range", offsetof(struct serial_state, rx_head), UART_FIFO_SIZE,
	  "head 16" },
	{ "FIFO count without a FIFO", offsetof(struct serial_state, rx_count), 2, "count 2" },
	{ "THRI flag not 0 or 1", offsetof(struct serial_state, thri_pending), 2, "not 0 or 1" },
	{ "IRQ level not 0 or 1", offsetof(struct serial_state, irq_level), 0xff, "not 0 or 1" },
	{ "reserved byte", offsetof(struct serial_state, reserved) + 2, 1, "reserved" },
};

static void test_restore_refuses(void **state)
{
	const struct bad_serial_state *row = *state;
	struct host *h = calloc(1, sizeof(*h));
	struct serial_state st, after;

	assert_non_null(h);
	serial_init(&h->uart, &host_ops, h);
	wr(h, UART_SCR, 0x42);
	serial_save(&h->uart, &st);
	((uint8_t *)&st)[row->offset] = row->value;
	assert_int_equal(serial_restore(&h->uart, &st), -EINVAL);
	assert_contains(error_message(), row->message);
	serial_save(&h->uart, &after);
	assert_int_equal(after.scr, 0x42);
	assert_int_equal(after.rx_head, 0);
	serial_destroy(&h->uart);
	free(h);
}

int main(void)
{
	struct CMUnitTest refusals[ARRAY_SIZE(bad_serial_states)];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
		cmocka_unit_test(test_init_without_ops),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thr_calls_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_data_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_pop_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_poll_without_rdi_takes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fifo_enable_iir_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fcr_clear_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_toggle_clears_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_priorities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_respects_ier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_timeout_and_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_msr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_gating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_poll_raises_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_and_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_access, setup, teardown),
	};

	UNIT_TABLE_CASES(refusals, bad_serial_states, test_restore_refuses);
	return cmocka_run_group_tests_name("serial", tests, NULL, NULL) ||
	       cmocka_run_group_tests_name("serial state refused", refusals, NULL, NULL);
}
