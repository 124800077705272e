/* SPDX-License-Identifier: MIT */
/* A 16550A UART (PC16550D datasheet): register model plus PIO bus glue. */
#ifndef MINI_KVM_SERIAL_H
#define MINI_KVM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Register offsets from the base port (PC16550D, table II). DLAB is LCR bit 7. */
#define UART_RBR 0 /* receiver buffer (read, DLAB=0) */
#define UART_THR 0 /* transmitter holding (write, DLAB=0) */
#define UART_DLL 0 /* divisor latch LSB (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch MSB (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */
#define UART_IER_MASK 0x0f

#define UART_IIR_NO_INT	      0x01 /* no interrupt pending */
#define UART_IIR_MSI	      0x00 /* modem status changed (lowest priority) */
#define UART_IIR_THRI	      0x02 /* THR empty */
#define UART_IIR_RDI	      0x04 /* received data available (at trigger level) */
#define UART_IIR_RLSI	      0x06 /* receiver line status (highest priority) */
#define UART_IIR_TIMEOUT      0x0c /* data in the FIFO below the trigger level */
#define UART_IIR_FIFO_ENABLED 0xc0

#define UART_FCR_ENABLE	       0x01
#define UART_FCR_CLEAR_RX      0x02
#define UART_FCR_CLEAR_TX      0x04
#define UART_FCR_TRIGGER_SHIFT 6

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08 /* gates the IRQ line on a PC */
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR	0x01 /* data ready */
#define UART_LSR_OE	0x02 /* overrun error */
#define UART_LSR_BI	0x10 /* break interrupt */
#define UART_LSR_THRE	0x20 /* THR empty */
#define UART_LSR_TEMT	0x40 /* transmitter empty */
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_BI)

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_DELTAS 0x0f
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define UART_FIFO_SIZE 16

/* How a UART reaches the host. Every hook may be NULL. */
struct serial_ops {
	/* A byte the guest transmitted. Returns 0 or -errno (stops the VM). */
	int (*tx)(void *opaque, uint8_t byte);
	/* Next host input byte into *byte: returns 1, or 0 when none is waiting. */
	int (*rx)(void *opaque, uint8_t *byte);
	/* The interrupt line changed to level (0 or 1). */
	void (*irq)(void *opaque, int level);
};

struct serial {
	pthread_mutex_t lock; /* guards every field below; taken by vCPUs and the input thread */
	struct serial_ops ops;
	void *opaque;
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thri_pending; /* THR-empty interrupt armed; cleared by an IIR read or THR write */
	uint8_t rx_fifo[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	int irq_level; /* last level given to ops.irq */
};

/* Reset state (datasheet table IV: IER=0, LCR=0, MCR=0, LSR=THRE|TEMT, MSR: modem present). */
void serial_init(struct serial *s, const struct serial_ops *ops, void *opaque);
void serial_destroy(struct serial *s);

/* Guest register read at offset 0..7: returns the register value; may pop RX data. */
uint8_t serial_read(struct serial *s, unsigned int offset);

/* Guest register write at offset 0..7. Returns 0, or the tx hook's -errno. */
int serial_write(struct serial *s, unsigned int offset, uint8_t value);

/*
 * New host input is waiting: if the guest enabled receive interrupts (IER.RDI),
 * pull it into the RX FIFO and raise the interrupt; otherwise leave it for the
 * next register read. Called from the console's input thread.
 */
void serial_rx_poll(struct serial *s);

/* Saved state (snapshots): the registers, the RX FIFO and the IRQ line; no padding holes. */
struct serial_state {
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
	uint8_t fcr;
	uint8_t thri_pending; /* 0 or 1 */
	uint8_t irq_level;    /* 0 or 1: the line as last given to ops.irq */
	uint8_t rx_head;      /* 0 .. UART_FIFO_SIZE - 1 */
	uint8_t rx_count;     /* 0 .. UART_FIFO_SIZE (1 with the FIFO off) */
	uint8_t reserved[3];  /* 0 */
	uint8_t rx_fifo[UART_FIFO_SIZE];
};
_Static_assert(sizeof(struct serial_state) == 16 + UART_FIFO_SIZE, "serial_state has holes");

/*
 * Save s into *out (every byte written). Restore refuses a state the model cannot
 * be in (bits outside IER/MCR's masks, a FIFO index or count out of range, a flag
 * other than 0 or 1, reserved bytes set) with -EINVAL and a message, leaving s
 * unchanged; it keeps s's ops and does not call ops.irq: the interrupt controller's
 * own saved state already holds the line's effect.
 */
void serial_save(const struct serial *s, struct serial_state *out);
int serial_restore(struct serial *s, const struct serial_state *in);

/* Bus handlers: s as opaque; byte accesses at offsets 0..7 (wider ones touch the first byte). */
int serial_bus_read(void *opaque, uint64_t offset, void *data, uint32_t size);
int serial_bus_write(void *opaque, uint64_t offset, const void *data, uint32_t size);

#endif
