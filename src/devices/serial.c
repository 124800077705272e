/* SPDX-License-Identifier: MIT */
/* A 16550A UART after the PC16550D datasheet: enough for polling and interrupt-driven drivers. */
#include "devices/serial.h"

#include <errno.h>
#include <string.h>

#include "error.h"

/* RX FIFO trigger levels selected by FCR bits 7:6 (datasheet, FCR description). */
static const unsigned int rx_trigger_levels[] = { 1, 4, 8, 14 };

static unsigned int rx_capacity(const struct serial *s)
{
	return (s->fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

static void rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count == rx_capacity(s)) {
		s->lsr |= UART_LSR_OE; /* the new byte is lost, as on the chip */
		return;
	}
	s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
	s->rx_count++;
	s->lsr |= UART_LSR_DR;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t byte;

	if (!s->rx_count)
		return 0;
	byte = s->rx_fifo[s->rx_head];
	s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
	if (--s->rx_count == 0)
		s->lsr &= ~UART_LSR_DR;
	return byte;
}

static void rx_fill_from_host(struct serial *s)
{
	uint8_t byte;

	/* In loopback the receiver hears only the transmitter. */
	if (!s->ops.rx || (s->mcr & UART_MCR_LOOP))
		return;
	while (s->rx_count < rx_capacity(s) && s->ops.rx(s->opaque, &byte) == 1)
		rx_push(s, byte);
}

/* The highest-priority pending interrupt, as IIR bits 3:0 (datasheet table IV). */
static uint8_t pending_interrupt(const struct serial *s)
{
	if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_ERRORS))
		return UART_IIR_RLSI;
	if ((s->ier & UART_IER_RDI) && s->rx_count) {
		unsigned int trigger = rx_trigger_levels[s->fcr >> UART_FCR_TRIGGER_SHIFT];

		if ((s->fcr & UART_FCR_ENABLE) && s->rx_count < trigger)
			return UART_IIR_TIMEOUT;
		return UART_IIR_RDI;
	}
	if ((s->ier & UART_IER_THRI) && s->thri_pending)
		return UART_IIR_THRI;
	if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
	/* OUT2 gates the interrupt onto the ISA bus; loopback disconnects it. */
	int level = pending_interrupt(s) != UART_IIR_NO_INT && (s->mcr & UART_MCR_OUT2) &&
		    !(s->mcr & UART_MCR_LOOP);

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->ops.irq)
			s->ops.irq(s->opaque, level);
	}
}

/* MSR as seen by the guest: a present modem, or in loopback the MCR outputs. */
static uint8_t modem_status_lines(const struct serial *s)
{
	uint8_t msr = 0;

	if (!(s->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (s->mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

static void update_msr(struct serial *s)
{
	uint8_t lines = modem_status_lines(s);
	uint8_t changed = (s->msr ^ lines) & ~UART_MSR_DELTAS;
	uint8_t deltas = 0;

	if (changed & UART_MSR_CTS)
		deltas |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		deltas |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		deltas |= UART_MSR_DDCD;
	/* TERI: the trailing edge of RI only. */
	if ((s->msr & UART_MSR_RI) && !(lines & UART_MSR_RI))
		deltas |= UART_MSR_TERI;
	s->msr = lines | (s->msr & UART_MSR_DELTAS) | deltas;
}

void serial_init(struct serial *s, const struct serial_ops *ops, void *opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	if (ops)
		s->ops = *ops;
	s->opaque = opaque;
	s->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	s->msr = modem_status_lines(s);
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

static uint8_t read_locked(struct serial *s, unsigned int offset)
{
	uint8_t value, iir;

	switch (offset) {
	case UART_RBR:
		if (s->lcr & UART_LCR_DLAB)
			return s->dll;
		value = rx_pop(s);
		rx_fill_from_host(s);
		return value;
	case UART_IER:
		return (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR:
		iir = pending_interrupt(s);
		/* Reading IIR while it reports THR empty acknowledges that interrupt. */
		if (iir == UART_IIR_THRI)
			s->thri_pending = false;
		return iir | ((s->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO_ENABLED : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		rx_fill_from_host(s);
		value = s->lsr;
		s->lsr &= ~UART_LSR_ERRORS; /* error bits clear on read */
		return value;
	case UART_MSR:
		value = s->msr;
		s->msr &= ~UART_MSR_DELTAS;
		return value;
	case UART_SCR:
		return s->scr;
	}
	return 0xff;
}

uint8_t serial_read(struct serial *s, unsigned int offset)
{
	uint8_t value;

	pthread_mutex_lock(&s->lock);
	value = read_locked(s, offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return value;
}

static int write_locked(struct serial *s, unsigned int offset, uint8_t value)
{
	int ret = 0;

	switch (offset) {
	case UART_THR:
		if (s->lcr & UART_LCR_DLAB) {
			s->dll = value;
			break;
		}
		/* Transmission is instant: THR is empty again at once, so re-arm THRI. */
		if (s->mcr & UART_MCR_LOOP)
			rx_push(s, value);
		else if (s->ops.tx)
			ret = s->ops.tx(s->opaque, value);
		s->thri_pending = true;
		break;
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = value;
			break;
		}
		/* Enabling THRI while THR is empty raises it (how Linux kicks transmission). */
		if (!(s->ier & UART_IER_THRI) && (value & UART_IER_THRI))
			s->thri_pending = true;
		s->ier = value & UART_IER_MASK;
		break;
	case UART_FCR:
		if ((value ^ s->fcr) & UART_FCR_ENABLE)
			value |= UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX; /* toggling clears both */
		if (value & UART_FCR_CLEAR_RX) {
			s->rx_head = s->rx_count = 0;
			s->lsr &= ~UART_LSR_DR;
		}
		s->fcr = value & ~(UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
		rx_fill_from_host(s);
		break;
	case UART_LCR:
		s->lcr = value;
		break;
	case UART_MCR:
		s->mcr = value & UART_MCR_MASK;
		update_msr(s);
		rx_fill_from_host(s);
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test writes are ignored) */
	case UART_SCR:
		s->scr = value;
		break;
	}
	return ret;
}

int serial_write(struct serial *s, unsigned int offset, uint8_t value)
{
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = write_locked(s, offset, value);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void serial_rx_poll(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	/*
	 * Host input waits in the console until the guest reads a UART register or
	 * has asked for receive interrupts: a guest that reads stdin through
	 * HC_GETCHAR never has its bytes taken by a UART it does not use.
	 */
	if (s->ier & UART_IER_RDI)
		rx_fill_from_host(s);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

int serial_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size)
{
	(void)size;
	/* The bus filled data with 0xff; a wider access sees the register in its low byte. */
	*(uint8_t *)data = serial_read(opaque, offset);
	return 0;
}

int serial_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size)
{
	(void)size;
	return serial_write(opaque, offset, *(const uint8_t *)data);
}

void serial_save(const struct serial *s, struct serial_state *out)
{
	/* Locking does not change the state: the lock is not part of it. */
	pthread_mutex_t *lock = (pthread_mutex_t *)&s->lock;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(lock);
	*out = (struct serial_state){ .ier = s->ier,
				      .lcr = s->lcr,
				      .mcr = s->mcr,
				      .lsr = s->lsr,
				      .msr = s->msr,
				      .scr = s->scr,
				      .dll = s->dll,
				      .dlm = s->dlm,
				      .fcr = s->fcr,
				      .thri_pending = s->thri_pending,
				      .irq_level = (uint8_t)s->irq_level,
				      .rx_head = (uint8_t)s->rx_head,
				      .rx_count = (uint8_t)s->rx_count };
	memcpy(out->rx_fifo, s->rx_fifo, sizeof(out->rx_fifo));
	pthread_mutex_unlock(lock);
}

int serial_restore(struct serial *s, const struct serial_state *in)
{
	unsigned int capacity = (in->fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1;

	if ((in->ier & ~UART_IER_MASK) || (in->mcr & ~UART_MCR_MASK) ||
	    (in->fcr & (UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX)))
		return error_set(EINVAL,
				 "UART state: IER 0x%02x, MCR 0x%02x or FCR 0x%02x has "
				 "bits the UART never holds",
				 in->ier, in->mcr, in->fcr);
	if (in->rx_head >= UART_FIFO_SIZE || in->rx_count > capacity)
		return error_set(EINVAL, "UART state: RX FIFO head %u, count %u (FIFO of %u)",
				 in->rx_head, in->rx_count, capacity);
	if (in->thri_pending > 1 || in->irq_level > 1 || in->reserved[0] || in->reserved[1] ||
	    in->reserved[2])
		return error_set(EINVAL,
				 "UART state: a flag is not 0 or 1, or reserved bytes are set");
	pthread_mutex_lock(&s->lock);
	s->ier = in->ier;
	s->lcr = in->lcr;
	s->mcr = in->mcr;
	s->lsr = in->lsr;
	s->msr = in->msr;
	s->scr = in->scr;
	s->dll = in->dll;
	s->dlm = in->dlm;
	s->fcr = in->fcr;
	s->thri_pending = in->thri_pending;
	s->irq_level = in->irq_level;
	s->rx_head = in->rx_head;
	s->rx_count = in->rx_count;
	memcpy(s->rx_fifo, in->rx_fifo, sizeof(s->rx_fifo));
	pthread_mutex_unlock(&s->lock);
	return 0;
}
