/* SPDX-License-Identifier: MIT */
/* Unit tests of the GDB remote protocol codec (src/gdb/rsp.c): framing, escapes, hex. */
#include "unit.h"

#include <errno.h>

#include "gdb/rsp.h"

/* Feed a whole string; return the last event that was not NONE (NONE if none). */
static enum gdb_rsp_event feed(struct gdb_rsp_parser *p, const void *bytes, size_t n)
{
	enum gdb_rsp_event last = GDB_RSP_EV_NONE, ev;
	const uint8_t *b = bytes;
	size_t i;

	for (i = 0; i < n; i++) {
		ev = gdb_rsp_parser_feed(p, b[i]);
		if (ev != GDB_RSP_EV_NONE)
			last = ev;
	}
	return last;
}

static enum gdb_rsp_event feed_str(struct gdb_rsp_parser *p, const char *s)
{
	return feed(p, s, strlen(s));
}

/* "$data#cc" with the right checksum over data as given (already escaped). */
static void framed(const char *data, char *out, size_t outsize)
{
	ssize_t n = gdb_rsp_frame(data, strlen(data), out, outsize - 1);

	assert_true(n > 0);
	out[n] = '\0';
}

static void test_checksum_known_packets(void **state)
{
	char buf[64];

	(void)state;
	/* Checksums of packets as gdb 13 sends them (set debug remote 1). */
	framed("qSupported", buf, sizeof(buf));
	assert_string_equal(buf, "$qSupported#37");
	framed("g", buf, sizeof(buf));
	assert_string_equal(buf, "$g#67");
	framed("OK", buf, sizeof(buf));
	assert_string_equal(buf, "$OK#9a");
	framed("", buf, sizeof(buf));
	assert_string_equal(buf, "$#00");
	assert_int_equal(gdb_rsp_checksum("\xff\x02", 2), 0x01);
}

static void test_parse_simple_packet(void **state)
{
	struct gdb_rsp_parser p;

	(void)state;
	gdb_rsp_parser_init(&p);
	/* 0x6d + 0x31 + 3 * 0x30 + 0x2c + 0x34 = 0x18e */
	assert_int_equal(feed_str(&p, "$m1000,4#"), GDB_RSP_EV_NONE);
	assert_int_equal(gdb_rsp_parser_feed(&p, '8'), GDB_RSP_EV_NONE);
	assert_int_equal(gdb_rsp_parser_feed(&p, 'e'), GDB_RSP_EV_PACKET);
	assert_int_equal(p.len, 7);
	assert_string_equal((char *)p.data, "m1000,4");
	/* Upper-case checksum digits are fine too. */
	assert_int_equal(feed_str(&p, "$m1000,4#8E"), GDB_RSP_EV_PACKET);
}

static void test_acks_and_interrupt_between_packets(void **state)
{
	struct gdb_rsp_parser p;

	(void)state;
	gdb_rsp_parser_init(&p);
	assert_int_equal(gdb_rsp_parser_feed(&p, '+'), GDB_RSP_EV_ACK);
	assert_int_equal(gdb_rsp_parser_feed(&p, '-'), GDB_RSP_EV_NAK);
	assert_int_equal(gdb_rsp_parser_feed(&p, 0x03), GDB_RSP_EV_INTERRUPT);
	/* Noise between packets is ignored. */
	assert_int_equal(feed_str(&p, "xyz\r\n#00"), GDB_RSP_EV_NONE);
	/* Inside a packet, +, - and 0x03 are data (X packets carry raw 0x03). */
	assert_int_equal(feed(&p, "$+-\x03#5b", 8), GDB_RSP_EV_PACKET);
	assert_int_equal(p.len, 3);
	assert_memory_equal(p.data, "+-\x03", 3);
}

static void test_bad_checksum(void **state)
{
	struct gdb_rsp_parser p;

	(void)state;
	gdb_rsp_parser_init(&p);
	assert_int_equal(feed_str(&p, "$g#68"), GDB_RSP_EV_BAD_CHECKSUM);
	/* Non-hex checksum digits. */
	assert_int_equal(feed_str(&p, "$g#6z"), GDB_RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_str(&p, "$g#x"), GDB_RSP_EV_BAD_CHECKSUM);
	/* The parser recovers: the next packet is fine. */
	assert_int_equal(feed_str(&p, "$g#67"), GDB_RSP_EV_PACKET);
	/* A '$' where a checksum digit should be starts the next packet. */
	assert_int_equal(feed_str(&p, "$g#6"), GDB_RSP_EV_NONE);
	assert_int_equal(gdb_rsp_parser_feed(&p, '$'), GDB_RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_str(&p, "g#67"), GDB_RSP_EV_PACKET);
}

static void test_restart_inside_packet(void **state)
{
	struct gdb_rsp_parser p;

	(void)state;
	gdb_rsp_parser_init(&p);
	/* A '$' mid-packet drops the half packet and starts again. */
	assert_int_equal(feed_str(&p, "$qSupp$g#67"), GDB_RSP_EV_PACKET);
	assert_string_equal((char *)p.data, "g");
}

static void test_escapes_decoded(void **state)
{
	struct gdb_rsp_parser p;
	char wire[64];
	/* X packet data holding $ # } * as gdb escapes them: }\x04 }\x03 }] }\x0a */
	const char data[] = "X0,4:}\x04}\x03}]}\x0a";

	(void)state;
	gdb_rsp_parser_init(&p);
	framed(data, wire, sizeof(wire));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_PACKET);
	assert_int_equal(p.len, 9);
	assert_memory_equal(p.data, "X0,4:$#}*", 9);
}

static void test_escape_at_end_is_bad(void **state)
{
	struct gdb_rsp_parser p;
	char wire[32];

	(void)state;
	gdb_rsp_parser_init(&p);
	/* "$X}#cc": the escape has nothing to escape. */
	snprintf(wire, sizeof(wire), "$X}#%02x", gdb_rsp_checksum("X}", 2));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_BAD_PACKET);
	assert_non_null(p.error);
	assert_int_equal(feed_str(&p, "$g#67"), GDB_RSP_EV_PACKET);
}

static void test_run_length_decoded(void **state)
{
	struct gdb_rsp_parser p;
	char wire[32];

	(void)state;
	gdb_rsp_parser_init(&p);
	/* "0* " is 0 and 3 more (' ' - 29 = 3): four zeros (GDB manual's example). */
	snprintf(wire, sizeof(wire), "$0* #%02x", gdb_rsp_checksum("0* ", 3));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_PACKET);
	assert_string_equal((char *)p.data, "0000");
	/* The largest count: '~' = 97 more. */
	snprintf(wire, sizeof(wire), "$ab*~c#%02x", gdb_rsp_checksum("ab*~c", 5));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_PACKET);
	assert_int_equal(p.len, 100);
	assert_int_equal(p.data[0], 'a');
	assert_int_equal(p.data[97], 'b');
	assert_int_equal(p.data[98], 'b');
	assert_int_equal(p.data[99], 'c');
}

static void test_run_length_malformed(void **state)
{
	struct gdb_rsp_parser p;
	char wire[32];

	(void)state;
	gdb_rsp_parser_init(&p);
	/* Nothing to repeat. */
	snprintf(wire, sizeof(wire), "$* #%02x", gdb_rsp_checksum("* ", 2));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_BAD_PACKET);
	/* A count below ' '. */
	snprintf(wire, sizeof(wire), "$a*\x1f#%02x", gdb_rsp_checksum("a*\x1f", 3));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_BAD_PACKET);
	/* A count above '~'. */
	snprintf(wire, sizeof(wire), "$a*\x80#%02x", gdb_rsp_checksum("a*\x80", 3));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_BAD_PACKET);
	/* '*' then the end. */
	snprintf(wire, sizeof(wire), "$a*#%02x", gdb_rsp_checksum("a*", 2));
	assert_int_equal(feed_str(&p, wire), GDB_RSP_EV_BAD_PACKET);
	assert_int_equal(feed_str(&p, "$g#67"), GDB_RSP_EV_PACKET);
}

static void test_oversized_packet(void **state)
{
	struct gdb_rsp_parser p;
	uint8_t sum = 0;
	char tail[8];
	size_t i;

	(void)state;
	gdb_rsp_parser_init(&p);
	/* One byte more than PacketSize: consumed to the end, then refused. */
	assert_int_equal(gdb_rsp_parser_feed(&p, '$'), GDB_RSP_EV_NONE);
	for (i = 0; i < GDB_RSP_PACKET_MAX + 1; i++) {
		assert_int_equal(gdb_rsp_parser_feed(&p, 'a'), GDB_RSP_EV_NONE);
		sum += 'a';
	}
	snprintf(tail, sizeof(tail), "#%02x", sum);
	assert_int_equal(feed_str(&p, tail), GDB_RSP_EV_BAD_PACKET);
	assert_true(p.len <= GDB_RSP_PACKET_MAX);
	/* Exactly PacketSize fits. */
	sum = 0;
	assert_int_equal(gdb_rsp_parser_feed(&p, '$'), GDB_RSP_EV_NONE);
	for (i = 0; i < GDB_RSP_PACKET_MAX; i++) {
		gdb_rsp_parser_feed(&p, 'a');
		sum += 'a';
	}
	snprintf(tail, sizeof(tail), "#%02x", sum);
	assert_int_equal(feed_str(&p, tail), GDB_RSP_EV_PACKET);
	assert_int_equal(p.len, GDB_RSP_PACKET_MAX);
	assert_int_equal(p.data[GDB_RSP_PACKET_MAX], '\0');
}

static void test_run_length_overflow(void **state)
{
	struct gdb_rsp_parser p;
	uint8_t sum = 0;
	char tail[8];
	size_t i;

	(void)state;
	gdb_rsp_parser_init(&p);
	/* 45 runs of 98 bytes: 4410 bytes from 135 on the wire, past PacketSize. */
	gdb_rsp_parser_feed(&p, '$');
	for (i = 0; i < 45; i++) {
		const char run[] = "x*~";

		feed(&p, run, 3);
		sum += gdb_rsp_checksum(run, 3);
	}
	snprintf(tail, sizeof(tail), "#%02x", sum);
	assert_int_equal(feed_str(&p, tail), GDB_RSP_EV_BAD_PACKET);
	assert_true(p.len <= GDB_RSP_PACKET_MAX);
}

static void test_truncated_packets(void **state)
{
	struct gdb_rsp_parser p;
	const char *cuts[] = { "$", "$m10", "$m10#", "$m10#6" };
	size_t i;

	(void)state;
	/* A packet cut anywhere completes nothing, and the next whole one parses. */
	for (i = 0; i < ARRAY_SIZE(cuts); i++) {
		gdb_rsp_parser_init(&p);
		assert_int_equal(feed_str(&p, cuts[i]), GDB_RSP_EV_NONE);
		assert_int_equal(feed_str(&p, "$g#67"), GDB_RSP_EV_PACKET);
		assert_string_equal((char *)p.data, "g");
	}
}

static void test_frame_refuses_unescaped_and_small_buffers(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(gdb_rsp_frame("a#b", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(gdb_rsp_frame("a$", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(gdb_rsp_frame("a}]", 3, out, sizeof(out)), 7); /* an escape */
	assert_int_equal(gdb_rsp_frame("a*", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(gdb_rsp_frame("OK", 2, out, 5), -ENOSPC);
	assert_int_equal(gdb_rsp_frame("OK", 2, out, 6), 6);
	assert_int_equal(gdb_rsp_frame("", 0, out, 3), -ENOSPC);
}

static void test_buf_binary_escapes_and_round_trips(void **state)
{
	struct gdb_rsp_buf b;
	struct gdb_rsp_parser p;
	uint8_t bytes[256];
	char wire[GDB_RSP_WIRE_MAX];
	ssize_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)i;
	gdb_rsp_buf_reset(&b);
	gdb_rsp_put_binary(&b, bytes, sizeof(bytes));
	assert_false(b.overflow);
	assert_int_equal(b.len, 256 + 4); /* $ # } * escaped */
	n = gdb_rsp_frame(b.data, b.len, wire, sizeof(wire));
	assert_true(n > 0);
	/* Our own framing parses back to the same bytes. */
	gdb_rsp_parser_init(&p);
	assert_int_equal(feed(&p, wire, (size_t)n), GDB_RSP_EV_PACKET);
	assert_int_equal(p.len, sizeof(bytes));
	assert_memory_equal(p.data, bytes, sizeof(bytes));
}

static void test_buf_overflow_leaves_buffer(void **state)
{
	struct gdb_rsp_buf *b = calloc(1, sizeof(*b));
	uint8_t big[GDB_RSP_PACKET_MAX];

	(void)state;
	assert_non_null(b);
	memset(big, '#', sizeof(big));
	gdb_rsp_buf_reset(b);
	gdb_rsp_put_str(b, "l");
	/* Escaping doubles it: does not fit, and nothing of it is appended. */
	gdb_rsp_put_binary(b, big, sizeof(big));
	assert_true(b->overflow);
	assert_int_equal(b->len, 1);
	assert_int_equal(gdb_rsp_binary_fit(big, sizeof(big), gdb_rsp_buf_room(b)),
			 (GDB_RSP_PACKET_MAX - 1) / 2);
	gdb_rsp_buf_reset(b);
	gdb_rsp_put_hex(b, big, GDB_RSP_PACKET_MAX / 2 + 1);
	assert_true(b->overflow);
	assert_int_equal(b->len, 0);
	gdb_rsp_buf_reset(b);
	gdb_rsp_put_hex(b, big, GDB_RSP_PACKET_MAX / 2);
	assert_false(b->overflow);
	assert_int_equal(b->len, GDB_RSP_PACKET_MAX);
	gdb_rsp_put_hex_u64(b, 1);
	assert_true(b->overflow);
	free(b);
}

static void test_buf_text_sanitized(void **state)
{
	struct gdb_rsp_buf b;

	(void)state;
	gdb_rsp_buf_reset(&b);
	gdb_rsp_put_str(&b, "E.a$b#c}d*e\n\x80");
	assert_int_equal(b.len, 13);
	assert_memory_equal(b.data, "E.a?b?c?d?e??", 13);
	gdb_rsp_buf_reset(&b);
	gdb_rsp_put_hex_u64(&b, 0);
	gdb_rsp_put_str(&b, ",");
	gdb_rsp_put_hex_u64(&b, 0x1f);
	gdb_rsp_put_str(&b, ",");
	gdb_rsp_put_hex_u64(&b, UINT64_MAX);
	assert_int_equal(b.len, 21);
	assert_memory_equal(b.data, "0,1f,ffffffffffffffff", 21);
}

static void test_hex_decode_strict(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(gdb_hex_decode("00ff7A", 6, out, sizeof(out)), 3);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0x7a);
	assert_int_equal(gdb_hex_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(gdb_hex_decode("abc", 3, out, sizeof(out)), -EINVAL); /* odd */
	assert_int_equal(gdb_hex_decode("0g", 2, out, sizeof(out)), -EINVAL);  /* bad digit */
	assert_int_equal(gdb_hex_decode(" 1", 2, out, sizeof(out)), -EINVAL);  /* space */
	assert_int_equal(gdb_hex_decode("0011223344", 10, out, sizeof(out)), -E2BIG); /* too long */
	assert_int_equal(gdb_hex_digit('/'), -1);
	assert_int_equal(gdb_hex_digit(':'), -1);
	assert_int_equal(gdb_hex_digit('@'), -1);
	assert_int_equal(gdb_hex_digit('G'), -1);
	assert_int_equal(gdb_hex_digit('`'), -1);
	assert_int_equal(gdb_hex_digit('g'), -1);
	assert_int_equal(gdb_hex_digit('F'), 15);
}

static void test_scan_hex_u64(void **state)
{
	struct gdb_scan s;
	uint64_t v = 7;

	(void)state;
	gdb_scan_init(&s, "ffffffffffffffff,", 17);
	assert_int_equal(gdb_scan_hex_u64(&s, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(gdb_scan_char(&s, ','), 0);
	assert_true(gdb_scan_eof(&s));
	/* Leading zeros are not an overflow. */
	gdb_scan_init(&s, "00000000000000000000001", 23);
	assert_int_equal(gdb_scan_hex_u64(&s, &v), 0);
	assert_int_equal(v, 1);
	/* 17 significant digits are: nothing consumed. */
	gdb_scan_init(&s, "10000000000000000", 17);
	assert_int_equal(gdb_scan_hex_u64(&s, &v), -ERANGE);
	assert_int_equal(gdb_scan_left(&s), 17);
	/* No digit at all. */
	gdb_scan_init(&s, ",1", 2);
	assert_int_equal(gdb_scan_hex_u64(&s, &v), -EINVAL);
	gdb_scan_init(&s, "", 0);
	assert_int_equal(gdb_scan_hex_u64(&s, &v), -EINVAL);
	assert_int_equal(gdb_scan_char(&s, ','), -EINVAL);
	/* A scan stops at its end, even if the buffer goes on. */
	gdb_scan_init(&s, "12345", 2);
	assert_int_equal(gdb_scan_hex_u64(&s, &v), 0);
	assert_int_equal(v, 0x12);
}

static void test_scan_thread_id(void **state)
{
	struct gdb_scan s;
	int64_t tid;

	(void)state;
	gdb_scan_init(&s, "-1", 2);
	assert_int_equal(gdb_scan_thread_id(&s, &tid), 0);
	assert_int_equal(tid, -1);
	gdb_scan_init(&s, "0", 1);
	assert_int_equal(gdb_scan_thread_id(&s, &tid), 0);
	assert_int_equal(tid, 0);
	gdb_scan_init(&s, "1f", 2);
	assert_int_equal(gdb_scan_thread_id(&s, &tid), 0);
	assert_int_equal(tid, 0x1f);
	gdb_scan_init(&s, "-2", 2);
	assert_int_equal(gdb_scan_thread_id(&s, &tid), -EINVAL);
	gdb_scan_init(&s, "80000000", 8);
	assert_int_equal(gdb_scan_thread_id(&s, &tid), -ERANGE);
	gdb_scan_init(&s, "p1.1", 4); /* multiprocess form: not offered, not taken */
	assert_int_equal(gdb_scan_thread_id(&s, &tid), -EINVAL);
}

static void test_scan_prefix_and_until(void **state)
{
	struct gdb_scan s;
	const uint8_t *start;

	(void)state;
	gdb_scan_init(&s, "qXfer:features:read:target.xml:0,ffb", 36);
	assert_false(gdb_scan_prefix(&s, "qXfer:memory"));
	assert_true(gdb_scan_prefix(&s, "qXfer:features:read:"));
	assert_int_equal(gdb_scan_until(&s, ':', &start), 10);
	assert_memory_equal(start, "target.xml", 10);
	assert_int_equal(gdb_scan_char(&s, ':'), 0);
	assert_int_equal(gdb_scan_until(&s, ':', &start), 5); /* to the end */
	assert_true(gdb_scan_eof(&s));
	/* A prefix longer than what is left. */
	gdb_scan_init(&s, "qC", 2);
	assert_false(gdb_scan_prefix(&s, "qCx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_known_packets),
		cmocka_unit_test(test_parse_simple_packet),
		cmocka_unit_test(test_acks_and_interrupt_between_packets),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_restart_inside_packet),
		cmocka_unit_test(test_escapes_decoded),
		cmocka_unit_test(test_escape_at_end_is_bad),
		cmocka_unit_test(test_run_length_decoded),
		cmocka_unit_test(test_run_length_malformed),
		cmocka_unit_test(test_oversized_packet),
		cmocka_unit_test(test_run_length_overflow),
		cmocka_unit_test(test_truncated_packets),
		cmocka_unit_test(test_frame_refuses_unescaped_and_small_buffers),
		cmocka_unit_test(test_buf_binary_escapes_and_round_trips),
		cmocka_unit_test(test_buf_overflow_leaves_buffer),
		cmocka_unit_test(test_buf_text_sanitized),
		cmocka_unit_test(test_hex_decode_strict),
		cmocka_unit_test(test_scan_hex_u64),
		cmocka_unit_test(test_scan_thread_id),
		cmocka_unit_test(test_scan_prefix_and_until),
	};

	return cmocka_run_group_tests_name("gdb_rsp", tests, NULL, NULL);
}
