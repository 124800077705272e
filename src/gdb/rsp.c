/* SPDX-License-Identifier: MIT */
/* The GDB remote protocol codec: packet parser, reply building, framing, hex (GDB manual, E.1). */
#include "gdb/rsp.h"

#include <errno.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

/* A hex digit is 4 bits, a byte two digits. */
#define NIBBLE_BITS	     4
#define NIBBLE_MASK	     0xf
#define HEX_PER_BYTE	     2
#define DECIMAL_DIGITS	     10 /* 'a' is digit value 10 */
#define U64_TOP_NIBBLE_SHIFT (64 - NIBBLE_BITS)
#define U64_HEX_DIGITS	     16

/* The printable ASCII range that text replies may carry as is. */
#define ASCII_FIRST_PRINTABLE ' '
#define ASCII_LAST_PRINTABLE  '~'
/* What a text byte that would break framing becomes. */
#define TEXT_REPLACEMENT '?'

void gdb_rsp_parser_init(struct gdb_rsp_parser *p)
{
	p->state = GDB_RSP_IDLE;
	p->sum = 0;
	p->csum_hi = 0;
	p->error = NULL;
	p->len = 0;
	p->data[0] = '\0';
}

static void start_packet(struct gdb_rsp_parser *p)
{
	gdb_rsp_parser_init(p);
	p->state = GDB_RSP_DATA;
}

/* Append decoded bytes; a packet that outgrows the buffer is remembered as bad. */
static void append(struct gdb_rsp_parser *p, uint8_t byte, unsigned int count)
{
	if (p->error)
		return;
	if (count > GDB_RSP_PACKET_MAX - p->len) {
		p->error = "packet longer than PacketSize";
		return;
	}
	memset(p->data + p->len, byte, count);
	p->len += count;
}

static void malformed(struct gdb_rsp_parser *p, const char *why)
{
	if (!p->error)
		p->error = why;
}

enum gdb_rsp_event gdb_rsp_parser_feed(struct gdb_rsp_parser *p, uint8_t byte)
{
	int digit;

	switch (p->state) {
	case GDB_RSP_IDLE:
		if (byte == GDB_RSP_START)
			start_packet(p);
		else if (byte == GDB_RSP_ACK)
			return GDB_RSP_EV_ACK;
		else if (byte == GDB_RSP_NAK)
			return GDB_RSP_EV_NAK;
		else if (byte == GDB_RSP_INTERRUPT)
			return GDB_RSP_EV_INTERRUPT;
		/* Anything else between packets is line noise: ignored. */
		return GDB_RSP_EV_NONE;

	case GDB_RSP_DATA:
	case GDB_RSP_DATA_ESC:
	case GDB_RSP_DATA_RLE:
		if (byte == GDB_RSP_START) {
			/* gdb gave up on the old packet and starts again. */
			start_packet(p);
			return GDB_RSP_EV_NONE;
		}
		if (byte == GDB_RSP_END) {
			if (p->state == GDB_RSP_DATA_ESC)
				malformed(p, "escape character at the end of the packet");
			else if (p->state == GDB_RSP_DATA_RLE)
				malformed(p, "run-length marker at the end of the packet");
			p->state = GDB_RSP_CSUM_HI;
			return GDB_RSP_EV_NONE;
		}
		p->sum += byte;
		if (p->state == GDB_RSP_DATA_ESC) {
			append(p, byte ^ GDB_RSP_ESCAPE_XOR, 1);
			p->state = GDB_RSP_DATA;
		} else if (p->state == GDB_RSP_DATA_RLE) {
			if (byte < GDB_RSP_RLE_MIN_COUNT || byte > GDB_RSP_RLE_MAX_COUNT)
				malformed(p, "run-length count out of range");
			else if (p->len == 0)
				malformed(p, "run-length marker with nothing to repeat");
			else
				append(p, p->data[p->len - 1], byte - GDB_RSP_RLE_BIAS);
			p->state = GDB_RSP_DATA;
		} else if (byte == GDB_RSP_ESCAPE) {
			p->state = GDB_RSP_DATA_ESC;
		} else if (byte == GDB_RSP_RLE) {
			p->state = GDB_RSP_DATA_RLE;
		} else {
			append(p, byte, 1);
		}
		return GDB_RSP_EV_NONE;

	case GDB_RSP_CSUM_HI:
	case GDB_RSP_CSUM_LO:
		digit = gdb_hex_digit(byte);
		if (digit < 0) {
			/* A new packet may start right here; this one is lost. */
			if (byte == GDB_RSP_START)
				start_packet(p);
			else
				gdb_rsp_parser_init(p);
			return GDB_RSP_EV_BAD_CHECKSUM;
		}
		if (p->state == GDB_RSP_CSUM_HI) {
			p->csum_hi = (uint8_t)digit;
			p->state = GDB_RSP_CSUM_LO;
			return GDB_RSP_EV_NONE;
		}
		p->state = GDB_RSP_IDLE;
		p->data[p->len] = '\0';
		if ((uint8_t)(p->csum_hi << NIBBLE_BITS | digit) != p->sum)
			return GDB_RSP_EV_BAD_CHECKSUM;
		return p->error ? GDB_RSP_EV_BAD_PACKET : GDB_RSP_EV_PACKET;
	}
	/* Not reached: every state returns above. */
	gdb_rsp_parser_init(p);
	return GDB_RSP_EV_NONE;
}

uint8_t gdb_rsp_checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

bool gdb_rsp_needs_escape(uint8_t byte)
{
	return byte == GDB_RSP_START || byte == GDB_RSP_END || byte == GDB_RSP_ESCAPE ||
	       byte == GDB_RSP_RLE;
}

ssize_t gdb_rsp_frame(const char *data, size_t len, char *out, size_t outsize)
{
	uint8_t sum;
	size_t i;

	if (outsize < GDB_RSP_FRAME_OVERHEAD || len > outsize - GDB_RSP_FRAME_OVERHEAD)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		/* '}' is fine: it starts an escape. We never run-length encode. */
		if (data[i] == GDB_RSP_START || data[i] == GDB_RSP_END || data[i] == GDB_RSP_RLE)
			return -EINVAL;
	}
	sum = gdb_rsp_checksum(data, len);
	out[0] = GDB_RSP_START;
	memcpy(out + 1, data, len);
	out[len + 1] = GDB_RSP_END;
	out[len + 2] = hex_digits[sum >> NIBBLE_BITS];
	out[len + 3] = hex_digits[sum & NIBBLE_MASK];
	return (ssize_t)(len + GDB_RSP_FRAME_OVERHEAD);
}

void gdb_rsp_buf_reset(struct gdb_rsp_buf *b)
{
	b->len = 0;
	b->overflow = false;
}

size_t gdb_rsp_buf_room(const struct gdb_rsp_buf *b)
{
	return sizeof(b->data) - b->len;
}

void gdb_rsp_put_str(struct gdb_rsp_buf *b, const char *text)
{
	size_t n = strlen(text), i;

	if (n > gdb_rsp_buf_room(b)) {
		b->overflow = true;
		return;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)text[i];

		if (c < ASCII_FIRST_PRINTABLE || c > ASCII_LAST_PRINTABLE ||
		    gdb_rsp_needs_escape(c))
			c = TEXT_REPLACEMENT;
		b->data[b->len++] = (char)c;
	}
}

void gdb_rsp_put_hex(struct gdb_rsp_buf *b, const void *bytes, size_t n)
{
	if (n > gdb_rsp_buf_room(b) / HEX_PER_BYTE) {
		b->overflow = true;
		return;
	}
	gdb_hex_encode(bytes, n, b->data + b->len);
	b->len += HEX_PER_BYTE * n;
}

void gdb_rsp_put_hex_u64(struct gdb_rsp_buf *b, uint64_t value)
{
	char digits[U64_HEX_DIGITS];
	size_t n = 0;

	do {
		digits[sizeof(digits) - ++n] = hex_digits[value & NIBBLE_MASK];
		value >>= NIBBLE_BITS;
	} while (value);
	if (n > gdb_rsp_buf_room(b)) {
		b->overflow = true;
		return;
	}
	memcpy(b->data + b->len, digits + sizeof(digits) - n, n);
	b->len += n;
}

size_t gdb_rsp_binary_fit(const void *bytes, size_t n, size_t room)
{
	const uint8_t *in = bytes;
	size_t i, used = 0;

	for (i = 0; i < n; i++) {
		size_t w = gdb_rsp_needs_escape(in[i]) ? 2 : 1; /* '}' and the byte, or the byte */

		if (w > room - used)
			break;
		used += w;
	}
	return i;
}

void gdb_rsp_put_binary(struct gdb_rsp_buf *b, const void *bytes, size_t n)
{
	const uint8_t *in = bytes;
	size_t i;

	if (gdb_rsp_binary_fit(bytes, n, gdb_rsp_buf_room(b)) < n) {
		b->overflow = true;
		return;
	}
	for (i = 0; i < n; i++) {
		if (gdb_rsp_needs_escape(in[i])) {
			b->data[b->len++] = GDB_RSP_ESCAPE;
			b->data[b->len++] = (char)(in[i] ^ GDB_RSP_ESCAPE_XOR);
		} else {
			b->data[b->len++] = (char)in[i];
		}
	}
}

int gdb_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + DECIMAL_DIGITS;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + DECIMAL_DIGITS;
	return -1;
}

ssize_t gdb_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outsize)
{
	size_t i;

	if (hexlen % HEX_PER_BYTE)
		return -EINVAL;
	if (hexlen / HEX_PER_BYTE > outsize)
		return -E2BIG;
	for (i = 0; i < hexlen / HEX_PER_BYTE; i++) {
		int hi = gdb_hex_digit((uint8_t)hex[HEX_PER_BYTE * i]);
		int lo = gdb_hex_digit((uint8_t)hex[HEX_PER_BYTE * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << NIBBLE_BITS | lo);
	}
	return (ssize_t)(hexlen / HEX_PER_BYTE);
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[HEX_PER_BYTE * i] = hex_digits[in[i] >> NIBBLE_BITS];
		out[HEX_PER_BYTE * i + 1] = hex_digits[in[i] & NIBBLE_MASK];
	}
}

void gdb_scan_init(struct gdb_scan *s, const void *data, size_t len)
{
	s->p = data;
	s->end = s->p + len;
}

size_t gdb_scan_left(const struct gdb_scan *s)
{
	return (size_t)(s->end - s->p);
}

bool gdb_scan_eof(const struct gdb_scan *s)
{
	return s->p == s->end;
}

int gdb_scan_char(struct gdb_scan *s, char c)
{
	if (s->p == s->end || *s->p != (uint8_t)c)
		return -EINVAL;
	s->p++;
	return 0;
}

bool gdb_scan_prefix(struct gdb_scan *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n > gdb_scan_left(s) || memcmp(s->p, prefix, n))
		return false;
	s->p += n;
	return true;
}

int gdb_scan_hex_u64(struct gdb_scan *s, uint64_t *value)
{
	const uint8_t *q = s->p;
	uint64_t v = 0;
	int digit;

	while (q < s->end && (digit = gdb_hex_digit(*q)) >= 0) {
		if (v >> U64_TOP_NIBBLE_SHIFT)
			return -ERANGE; /* one more digit would push bits out */
		v = v << NIBBLE_BITS | (uint64_t)digit;
		q++;
	}
	if (q == s->p)
		return -EINVAL;
	s->p = q;
	*value = v;
	return 0;
}

int gdb_scan_thread_id(struct gdb_scan *s, int64_t *tid)
{
	struct gdb_scan t = *s;
	uint64_t v;
	int ret;

	if (gdb_scan_prefix(&t, "-1")) {
		*tid = -1;
		*s = t;
		return 0;
	}
	ret = gdb_scan_hex_u64(&t, &v);
	if (ret)
		return ret;
	if (v > INT32_MAX)
		return -ERANGE;
	*tid = (int64_t)v;
	*s = t;
	return 0;
}

size_t gdb_scan_until(struct gdb_scan *s, char stop, const uint8_t **start)
{
	const uint8_t *q = s->p;

	*start = s->p;
	while (q < s->end && *q != (uint8_t)stop)
		q++;
	s->p = q;
	return (size_t)(q - *start);
}
