/* SPDX-License-Identifier: MIT */
/* The GDB remote protocol codec: byte-fed packet parser, reply building and framing, hex. */
#ifndef MINI_KVM_GDB_RSP_H
#define MINI_KVM_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The largest packet-data we accept, in bytes after escapes and run-lengths are
 * decoded. Advertised to gdb as qSupported PacketSize, so gdb never sends more
 * (GDB manual, E.5 General Query Packets, qSupported: PacketSize). Replies are
 * built in a buffer of the same size, before escaping.
 */
#define GDB_RSP_PACKET_MAX 4096

/* Framing characters (GDB manual, E.1 Overview). */
#define GDB_RSP_START	  '$'  /* starts a packet */
#define GDB_RSP_END	  '#'  /* ends the packet-data; two hex checksum digits follow */
#define GDB_RSP_ESCAPE	  '}'  /* 0x7d: the next byte is the real one XOR GDB_RSP_ESCAPE_XOR */
#define GDB_RSP_RLE	  '*'  /* run-length: repeat the previous byte, count in the next */
#define GDB_RSP_ACK	  '+'  /* packet received correctly */
#define GDB_RSP_NAK	  '-'  /* please send the packet again */
#define GDB_RSP_INTERRUPT 0x03 /* Ctrl-C from gdb, outside packets (E.9 Interrupts) */

#define GDB_RSP_ESCAPE_XOR 0x20
/* A run-length count character c stands for c - 29 more copies; ' ' (3) to '~' (97). */
#define GDB_RSP_RLE_BIAS      29
#define GDB_RSP_RLE_MIN_COUNT ' '
#define GDB_RSP_RLE_MAX_COUNT '~'

/* Framing around packet-data: '$', '#' and two checksum digits. */
#define GDB_RSP_FRAME_OVERHEAD 4
/* The largest framed reply: every byte of a full reply escaped, plus the frame. */
#define GDB_RSP_WIRE_MAX (2 * GDB_RSP_PACKET_MAX + GDB_RSP_FRAME_OVERHEAD)

/* What one byte fed to the parser completed. */
enum gdb_rsp_event {
	GDB_RSP_EV_NONE,	 /* nothing yet (inside a packet, or noise between packets) */
	GDB_RSP_EV_ACK,		 /* '+' between packets */
	GDB_RSP_EV_NAK,		 /* '-' between packets */
	GDB_RSP_EV_INTERRUPT,	 /* 0x03 between packets */
	GDB_RSP_EV_PACKET,	 /* a packet with a good checksum: its data is in the parser */
	GDB_RSP_EV_BAD_CHECKSUM, /* a packet whose checksum is wrong or not hex */
	GDB_RSP_EV_BAD_PACKET,	 /* good checksum, but too long or malformed (see .error) */
};

enum gdb_rsp_state {
	GDB_RSP_IDLE,	  /* between packets */
	GDB_RSP_DATA,	  /* after '$' */
	GDB_RSP_DATA_ESC, /* after '}' */
	GDB_RSP_DATA_RLE, /* after '*': the count character comes next */
	GDB_RSP_CSUM_HI,  /* after '#' */
	GDB_RSP_CSUM_LO,
};

/*
 * A packet parser. Escapes and run-lengths are decoded as bytes arrive: '*' repeats
 * the last decoded byte. The checksum covers the bytes between '$' and '#' as sent.
 */
struct gdb_rsp_parser {
	enum gdb_rsp_state state;
	uint8_t sum;			      /* running checksum of the packet-data as sent */
	uint8_t csum_hi;		      /* first checksum digit's value */
	const char *error;		      /* why the packet is bad (BAD_PACKET), or NULL */
	size_t len;			      /* decoded bytes in data */
	uint8_t data[GDB_RSP_PACKET_MAX + 1]; /* + a NUL after the last byte, for text */
};

/* Put p between packets with nothing buffered. */
void gdb_rsp_parser_init(struct gdb_rsp_parser *p);

/*
 * Feed one byte received from gdb. Returns what it completed; after
 * GDB_RSP_EV_PACKET, p->data[0..p->len) is the decoded packet-data (NUL-terminated;
 * binary packets may hold NULs too), valid until the next call. After
 * GDB_RSP_EV_BAD_PACKET, p->error says why (longer than GDB_RSP_PACKET_MAX, an
 * escape or '*' with nothing after it, '*' at the start, a count outside ' '..'~').
 * A '$' inside a packet starts a new one; 0x03, '+' and '-' count only between
 * packets. Never fails otherwise. Source: GDB manual, E.1 Overview.
 */
enum gdb_rsp_event gdb_rsp_parser_feed(struct gdb_rsp_parser *p, uint8_t byte);

/* The modulo-256 sum of len bytes: a packet's checksum (E.1 Overview). */
uint8_t gdb_rsp_checksum(const void *data, size_t len);

/* True for the bytes binary data must escape: '$', '#', '}' and '*' (E.1 Overview). */
bool gdb_rsp_needs_escape(uint8_t byte);

/*
 * Frame packet-data (as it goes on the wire, already escaped) into
 * "$data#cc" at out. Returns the framed length, or -ENOSPC if it needs more than
 * outsize bytes, or -EINVAL if data holds a raw '$', '#' or '*' (escapes, with '}',
 * are fine).
 */
ssize_t gdb_rsp_frame(const char *data, size_t len, char *out, size_t outsize);

/*
 * A reply under construction, as packet-data on the wire. Appends never overflow:
 * an append that does not fit sets .overflow and leaves the buffer as it was before
 * it, so a handler checks once at the end.
 */
struct gdb_rsp_buf {
	size_t len;
	bool overflow;
	char data[GDB_RSP_PACKET_MAX];
};

/* Empty the buffer and clear .overflow. */
void gdb_rsp_buf_reset(struct gdb_rsp_buf *b);
/* Bytes still free. */
size_t gdb_rsp_buf_room(const struct gdb_rsp_buf *b);
/*
 * Append text. Bytes that would break framing ('$', '#', '}', '*') and bytes outside
 * printable ASCII become '?': text replies are never escaped by the protocol.
 */
void gdb_rsp_put_str(struct gdb_rsp_buf *b, const char *text);
/* Append n bytes as 2n lowercase hex digits. */
void gdb_rsp_put_hex(struct gdb_rsp_buf *b, const void *bytes, size_t n);
/* Append value in hex without leading zeros ("0" for zero). */
void gdb_rsp_put_hex_u64(struct gdb_rsp_buf *b, uint64_t value);
/* Append n bytes of binary data, escaping what gdb_rsp_needs_escape() names. */
void gdb_rsp_put_binary(struct gdb_rsp_buf *b, const void *bytes, size_t n);
/*
 * How many leading bytes of bytes[0..n) gdb_rsp_put_binary() can append in room
 * bytes of buffer (each escaped byte takes two).
 */
size_t gdb_rsp_binary_fit(const void *bytes, size_t n, size_t room);

/* Hex digits: 0-15 for '0'-'9', 'a'-'f', 'A'-'F', -1 for anything else. */
int gdb_hex_digit(int c);

/*
 * Decode hexlen hex digits into at most outsize bytes. Returns the byte count,
 * -EINVAL for an odd length or a non-hex digit, -E2BIG if it needs more than outsize.
 */
ssize_t gdb_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outsize);

/* Encode n bytes as 2n lowercase hex digits at out (no NUL). */
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * A cursor over packet-data, for parsing: every function consumes only on success
 * and never reads past end.
 */
struct gdb_scan {
	const uint8_t *p, *end;
};

/* Scan len bytes at data (not copied: they must outlive the scan). */
void gdb_scan_init(struct gdb_scan *s, const void *data, size_t len);
/* Bytes left. */
size_t gdb_scan_left(const struct gdb_scan *s);
/* True when nothing is left. */
bool gdb_scan_eof(const struct gdb_scan *s);
/* Consume c if it comes next: 0, or -EINVAL. */
int gdb_scan_char(struct gdb_scan *s, char c);
/* Consume the text prefix if it comes next: true if it did. */
bool gdb_scan_prefix(struct gdb_scan *s, const char *prefix);
/*
 * Consume one or more hex digits as an unsigned 64-bit value. Leading zeros are
 * fine; a value above 2^64-1 gives -ERANGE, no digit -EINVAL (nothing consumed).
 */
int gdb_scan_hex_u64(struct gdb_scan *s, uint64_t *value);
/*
 * Consume a thread-id (E.3 Packets, thread-id syntax, without multiprocess):
 * "-1" (all threads: *tid = -1), "0" (any thread: 0) or a positive hex number
 * up to INT32_MAX. Returns 0, -EINVAL or -ERANGE.
 */
int gdb_scan_thread_id(struct gdb_scan *s, int64_t *tid);
/* Consume bytes up to (not including) stop or the end: their start and length. */
size_t gdb_scan_until(struct gdb_scan *s, char stop, const uint8_t **start);

#endif
