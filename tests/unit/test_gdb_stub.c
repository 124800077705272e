/* SPDX-License-Identifier: MIT */
/* Unit tests of the gdb stub: engine (stub.c), registers (regs.c), debug registers (hwbp.c). */
#include "unit.h"

#include <errno.h>

#include "arch/x86/x86.h"
#include "gdb/hwbp.h"
#include "gdb/regs.h"
#include "gdb/stub.h"
#include "gdb_fake_target.h"

#define OUT_MAX (4 * GDB_RSP_WIRE_MAX)
#define X64	GDB_ARCH_X86_64
#define I386	GDB_ARCH_I386

/* What gdb 13 sends first (set debug remote 1), shortened to what the stub looks at. */
#define GDB_QSUPPORTED                                                                         \
	"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vContSupported+;" \
	"QThreadEvents+;no-resumed+;xmlRegisters=i386"
#define STUB_QSUPPORTED                                                                   \
	"PacketSize=1000;qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;" \
	"hwbreak+"

struct hostile;

struct fix {
	struct gdb_stub stub;
	struct fake_target t;
	char out[OUT_MAX]; /* everything the stub wrote */
	size_t out_len, out_pos;
	unsigned int wakes;
	int write_ret;
	const struct hostile *row;
	char packet[GDB_RSP_WIRE_MAX]; /* the last packet next_packet() found */
};

static int cap_write(void *opaque, const void *buf, size_t len)
{
	struct fix *f = opaque;

	assert_true(len <= OUT_MAX - f->out_len);
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	return f->write_ret;
}

static void cap_wake(void *opaque)
{
	struct fix *f = opaque;

	f->wakes++;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct gdb_stub_config cfg = { .nvcpus = FAKE_VCPUS, .ops = &fake_target_ops };
	struct gdb_stub_io io = { .write = cap_write, .wake = cap_wake };

	if (!f)
		return -1;
	f->row = *state;
	cfg.target = &f->t;
	io.opaque = f;
	if (gdb_stub_init(&f->stub, &cfg)) {
		free(f);
		return -1;
	}
	fake_target_init(&f->t, &f->stub);
	gdb_stub_set_io(&f->stub, &io);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	gdb_stub_destroy(&f->stub);
	fake_target_destroy(&f->t);
	free(f);
	return 0;
}

static void clear_out(struct fix *f)
{
	f->out_len = f->out_pos = 0;
}

/* Feed data as one packet, framed here (data must need no escapes). */
static int send_pkt(struct fix *f, const char *data)
{
	char wire[GDB_RSP_WIRE_MAX];
	ssize_t n = gdb_rsp_frame(data, strlen(data), wire, sizeof(wire));

	assert_true(n > 0);
	return gdb_stub_input(&f->stub, wire, (size_t)n);
}

/* Feed binary packet-data, escaped and framed here. */
static int send_bin(struct fix *f, const void *data, size_t len)
{
	struct gdb_rsp_buf b;
	char wire[GDB_RSP_WIRE_MAX];
	ssize_t n;

	gdb_rsp_buf_reset(&b);
	gdb_rsp_put_binary(&b, data, len);
	assert_false(b.overflow);
	n = gdb_rsp_frame(b.data, b.len, wire, sizeof(wire));
	assert_true(n > 0);
	return gdb_stub_input(&f->stub, wire, (size_t)n);
}

static int send_raw(struct fix *f, const char *bytes)
{
	return gdb_stub_input(&f->stub, bytes, strlen(bytes));
}

/*
 * The next packet the stub wrote after out_pos, acks skipped, its checksum checked:
 * its packet-data as on the wire, NUL-terminated, in f->packet. NULL if none.
 */
static const char *next_packet(struct fix *f)
{
	size_t start, end;
	unsigned int sum;

	while (f->out_pos < f->out_len && f->out[f->out_pos] == '+')
		f->out_pos++;
	if (f->out_pos == f->out_len)
		return NULL;
	assert_int_equal(f->out[f->out_pos], '$');
	start = f->out_pos + 1;
	for (end = start; end < f->out_len && f->out[end] != '#'; end++)
		;
	assert_true(end + 2 < f->out_len);
	assert_int_equal(sscanf(f->out + end + 1, "%2x", &sum), 1);
	assert_int_equal(sum, gdb_rsp_checksum(f->out + start, end - start));
	memcpy(f->packet, f->out + start, end - start);
	f->packet[end - start] = '\0';
	f->out_pos = end + 3;
	return f->packet;
}

/* Send a packet and check the one reply. */
static void expect(struct fix *f, const char *packet, const char *reply)
{
	const char *got;

	clear_out(f);
	assert_int_equal(send_pkt(f, packet), 0);
	got = next_packet(f);
	if (!got)
		fail_msg("no reply to \"%s\"", packet);
	if (strcmp(got, reply))
		fail_msg("\"%s\" got \"%s\", not \"%s\"", packet, got, reply);
	assert_null(next_packet(f));
}

/* Send a packet; its one reply must start with prefix. */
static void expect_prefix(struct fix *f, const char *packet, const char *prefix)
{
	const char *got;

	clear_out(f);
	assert_int_equal(send_pkt(f, packet), 0);
	got = next_packet(f);
	if (!got)
		fail_msg("no reply to \"%s\"", packet);
	if (strncmp(got, prefix, strlen(prefix)))
		fail_msg("\"%s\" got \"%s\", not \"%s...\"", packet, got, prefix);
	assert_null(next_packet(f));
}

/* Send a packet that gets no reply (a resume: the stop reply comes later). */
static void expect_none(struct fix *f, const char *packet)
{
	clear_out(f);
	assert_int_equal(send_pkt(f, packet), 0);
	assert_null(next_packet(f));
}

static void stop(struct fix *f, unsigned int vcpu, enum gdb_stop_kind kind, uint64_t addr)
{
	struct gdb_stop st = { .kind = kind, .addr = addr };

	gdb_stub_stopped(&f->stub, vcpu, &st);
}

/* Deliver posted stops; the one stop reply must be reply. */
static void expect_stop(struct fix *f, const char *reply)
{
	const char *got;

	clear_out(f);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	got = next_packet(f);
	if (!got)
		fail_msg("no stop reply, expected \"%s\"", reply);
	if (strcmp(got, reply))
		fail_msg("stop reply \"%s\", not \"%s\"", got, reply);
	assert_null(next_packet(f));
}

/* gdb connects to a stopped VM and says what it supports, as gdb 13 does. */
static void attach(struct fix *f)
{
	unsigned int interrupts = f->t.interrupts;

	gdb_stub_attach(&f->stub);
	assert_int_equal(f->t.interrupts, interrupts + 1);
	assert_true(f->wakes > 0);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	assert_int_equal(f->stub.state, GDB_STUB_STOPPED);
	expect(f, GDB_QSUPPORTED, STUB_QSUPPORTED);
	/* gdb reads the description before '?': it fixes the layout (vCPU 0's mode). */
	expect_prefix(f, "qXfer:features:read:target.xml:0,ffb", "l<?xml");
	expect(f, "?", "T05thread:1;");
}

static void hex_of(const void *bytes, size_t n, char *out)
{
	gdb_hex_encode(bytes, n, out);
	out[2 * n] = '\0';
}

/* ---- connection, acks, framing ---- */

static void test_handshake_with_acks(void **state)
{
	struct fix *f = *state;

	gdb_stub_attach(&f->stub);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	clear_out(f);
	/* gdb's first '+' is ignored; each packet is acked before its reply. */
	assert_int_equal(send_raw(f, "+"), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(send_pkt(f, GDB_QSUPPORTED), 0);
	assert_int_equal(f->out[0], '+');
	assert_string_equal(next_packet(f), STUB_QSUPPORTED);
	assert_true(f->stub.client_swbreak);
	assert_true(f->stub.client_hwbreak);
	assert_false(f->stub.client_error_text);
}

static void test_no_ack_mode(void **state)
{
	struct fix *f = *state;

	attach(f);
	clear_out(f);
	assert_int_equal(send_pkt(f, "QStartNoAckMode"), 0);
	/* Its OK still goes with an ack. */
	assert_int_equal(f->out[0], '+');
	assert_string_equal(next_packet(f), "OK");
	clear_out(f);
	assert_int_equal(send_raw(f, "+"), 0); /* gdb's last ack: ignored */
	assert_int_equal(send_pkt(f, "qC"), 0);
	assert_int_equal(f->out[0], '$'); /* no '+' any more */
	assert_string_equal(next_packet(f), "QC1");
	/* A '-' is ignored without acks. */
	clear_out(f);
	assert_int_equal(send_raw(f, "-"), 0);
	assert_int_equal(f->out_len, 0);
}

static void test_nak_resends_last_packet(void **state)
{
	struct fix *f = *state;
	char first[GDB_RSP_WIRE_MAX];

	attach(f);
	clear_out(f);
	assert_int_equal(send_pkt(f, "m1000,4"), 0);
	assert_string_equal(next_packet(f), "00010203");
	memcpy(first, f->out + 1, f->out_len - 1); /* without the ack */
	first[f->out_len - 1] = '\0';
	clear_out(f);
	assert_int_equal(send_raw(f, "-"), 0);
	f->out[f->out_len] = '\0';
	assert_string_equal(f->out, first);
}

static void test_bad_checksum_gets_nak(void **state)
{
	struct fix *f = *state;

	attach(f);
	clear_out(f);
	assert_int_equal(send_raw(f, "$g#00"), 0);
	assert_int_equal(f->out_len, 1);
	assert_int_equal(f->out[0], '-');
	/* Without acks there is nothing to resend: an error reply instead. */
	expect(f, "QStartNoAckMode", "OK");
	clear_out(f);
	assert_int_equal(send_raw(f, "$g#00"), 0);
	assert_string_equal(next_packet(f), "E.bad checksum");
}

static void test_oversized_packet_gets_error(void **state)
{
	struct fix *f = *state;
	char *wire = malloc(GDB_RSP_PACKET_MAX + 16);
	uint8_t sum = 0;
	size_t i, n = 0;

	assert_non_null(wire);
	attach(f);
	wire[n++] = '$';
	wire[n++] = 'M';
	sum += 'M';
	for (i = 0; i < GDB_RSP_PACKET_MAX; i++) {
		wire[n++] = '0';
		sum += '0';
	}
	n += (size_t)sprintf(wire + n, "#%02x", sum);
	clear_out(f);
	assert_int_equal(gdb_stub_input(&f->stub, wire, n), 0);
	assert_int_equal(f->out[0], '+');
	assert_string_equal(next_packet(f), "E.packet longer than PacketSize");
	free(wire);
	/* And the stub carries on. */
	expect(f, "qC", "QC1");
}

static void test_write_failure_is_returned(void **state)
{
	struct fix *f = *state;

	attach(f);
	f->write_ret = -EPIPE;
	assert_int_equal(send_pkt(f, "g"), -EPIPE);
}

static void test_unknown_packets_get_empty_reply(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "vMustReplyEmpty", "");
	expect(f, "qTStatus", "");
	expect(f, "qOffsets", "");
	expect(f, "QNonStop:1", "");
	expect(f, "!", "");
	expect(f, "b9600", "");
	expect(f, "", "");
}

/* ---- attaching ---- */

static void test_attach_to_running_vm_answers_at_the_stop(void **state)
{
	struct fix *f = *state;

	f->t.running = true; /* the VM runs: interrupt() reports later */
	gdb_stub_attach(&f->stub);
	assert_int_equal(f->t.interrupts, 1);
	assert_int_equal(f->stub.state, GDB_STUB_ATTACHING);
	/* gdb's first packet waits for the stop (acked at once); a second is refused. */
	clear_out(f);
	assert_int_equal(send_pkt(f, GDB_QSUPPORTED), 0);
	assert_int_equal(f->out_len, 1);
	assert_int_equal(f->out[0], '+');
	expect(f, "?", "E.the VM is still stopping");
	stop(f, 2, GDB_STOP_INTERRUPTED, 0);
	expect_stop(f, STUB_QSUPPORTED);
	/* Attaching is not a Ctrl-C: SIGTRAP, the thread that stopped. */
	expect(f, "?", "T05thread:3;");
	expect(f, "qC", "QC3");
}

static void test_query_deferred_to_the_stop(void **state)
{
	struct fix *f = *state;

	f->t.running = true;
	gdb_stub_attach(&f->stub);
	expect_none(f, "?");
	stop(f, 1, GDB_STOP_INTERRUPTED, 0);
	expect_stop(f, "T05thread:2;");
	/* A D that waited is done at the stop too. */
	f->t.running = true;
	gdb_stub_detach(&f->stub);
	gdb_stub_attach(&f->stub);
	expect_none(f, "D");
	stop(f, 0, GDB_STOP_INTERRUPTED, 0);
	clear_out(f);
	assert_int_equal(gdb_stub_poll(&f->stub), GDB_STUB_CLOSE);
	assert_string_equal(next_packet(f), "OK");
	assert_int_equal(f->t.detaches, 2);
}

/* A vCPU in real mode when gdb attaches: the i386 layout, described as i8086. */
static void test_real_mode_vcpu_gets_i8086_description(void **state)
{
	struct fix *f = *state;
	struct gdb_regs *r = &f->t.regs[0];
	uint8_t wire[2048];
	char hex[4097];

	r->efer = 0;
	r->cr0 = 0;
	r->seg[GDB_SEG_CS] =
		(struct gdb_segment){ .base = 0xf0000, .limit = 0xffff, .selector = 0xf000 };
	r->rip = 0xfff0;
	r->gpr[GDB_RCX] = 0x11112222;
	gdb_stub_attach(&f->stub);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	expect_prefix(f, "qXfer:features:read:target.xml:0,ffb",
		      "l<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		      "<target version=\"1.0\">\n  <architecture>i8086</architecture>\n"
		      "  <osabi>none</osabi>\n");
	expect_prefix(f, "qXfer:features:read:mini-kvm-core32.xml:0,ffb", "l");
	gdb_regs_to_wire(I386, r, wire);
	hex_of(wire, gdb_regs_wire_size(I386), hex);
	expect(f, "g", hex);
	expect(f, "p1", "22221111");	      /* ecx: i386 order */
	expect(f, "p8", "f0ff0f00");	      /* eip: the linear 0xffff0 */
	expect(f, "p2a", "00000000");	      /* gs_base, 32 bits */
	expect(f, "p2b", "0000000000000000"); /* cr0 */
	expect(f, "p55", "E.no such register");
	/* The layout stays for the session, whatever the vCPU does next. */
	r->efer = X86_EFER_LMA | X86_EFER_LME;
	expect_prefix(f, "qXfer:features:read:target.xml:0,ffb", "l<?xml");
	assert_non_null(strstr(f->packet, "<architecture>i8086</architecture>"));
	expect(f, "p8", "f0ff0f00");
	/* A new session looks again. */
	gdb_stub_attach(&f->stub);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	expect_prefix(f, "qXfer:features:read:target.xml:0,ffb", "l<?xml");
	assert_non_null(strstr(f->packet, "i386:x86-64"));
}

static void test_protected_mode_vcpu_gets_i386_description(void **state)
{
	struct fix *f = *state;
	struct gdb_regs *r = &f->t.regs[0];

	/* 32-bit protected mode: i386. Virtual-8086 mode under it: i8086 again. */
	r->efer = 0;
	r->cr0 = X86_CR0_PE;
	r->seg[GDB_SEG_CS].l = 0;
	assert_int_equal(gdb_regs_arch(r), I386);
	r->rflags |= 1 << 17;
	assert_int_equal(gdb_regs_arch(r), GDB_ARCH_I8086);
	r->rflags &= ~(1ULL << 17);
	/* Long mode, even in 32-bit compatibility code: x86-64. */
	r->efer = X86_EFER_LMA;
	assert_int_equal(gdb_regs_arch(r), X64);
	r->efer = 0;
	gdb_stub_attach(&f->stub);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	expect_prefix(f, "qXfer:features:read:target.xml:0,ffb", "l<?xml");
	assert_non_null(strstr(f->packet, "<architecture>i386</architecture>"));
	expect(f, "p8", "00110000");
}

static void test_configured_layout_wins(void **state)
{
	struct fix *f = *state;

	f->stub.cfg.arch = GDB_ARCH_I386;
	gdb_stub_attach(&f->stub);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	expect_prefix(f, "qXfer:features:read:target.xml:0,ffb", "l<?xml");
	assert_non_null(strstr(f->packet, "<architecture>i386</architecture>"));
	expect(f, "p8", "00110000"); /* eip of a vCPU in 64-bit code, cut to 32 bits */
}

static void test_attach_after_the_vm_ended(void **state)
{
	struct fix *f = *state;
	struct gdb_stop end = { .kind = GDB_STOP_EXITED, .status = 7 };

	gdb_stub_stopped(&f->stub, 0, &end);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	gdb_stub_attach(&f->stub);
	assert_int_equal(f->t.interrupts, 0);
	expect(f, "?", "W07");
	expect(f, "vCont;c", "W07");
	expect_prefix(f, "g", "E.");
	assert_int_equal(f->t.resumes, 0);
}

/* ---- registers ---- */

static void test_read_all_registers(void **state)
{
	struct fix *f = *state;
	uint8_t wire[2048];
	char hex[4096 + 1];

	attach(f);
	gdb_regs_to_wire(X64, &f->t.regs[0], wire);
	hex_of(wire, gdb_regs_wire_size(X64), hex);
	expect(f, "g", hex);
	/* Hg picks the vCPU. */
	expect(f, "Hg2", "OK");
	gdb_regs_to_wire(X64, &f->t.regs[1], wire);
	hex_of(wire, gdb_regs_wire_size(X64), hex);
	expect(f, "g", hex);
	expect(f, "Hg0", "OK"); /* any: keeps vCPU 1 */
	expect(f, "g", hex);
	expect(f, "Hg4", "E.no such thread");
	f->t.regs_ret = -EIO;
	expect(f, "g", "E.cannot read the vCPU's registers");
}

static void test_write_all_registers(void **state)
{
	struct fix *f = *state;
	struct gdb_regs want = f->t.regs[0];
	uint8_t wire[2048];
	char packet[4096 + 2];

	attach(f);
	want.gpr[GDB_RAX] = 0x1122334455667788ULL;
	want.rip = 0x4242;
	want.cr3 = 0xabc000;
	want.seg[GDB_SEG_FS].base = 0xfeedULL;
	gdb_regs_to_wire(X64, &want, wire);
	packet[0] = 'G';
	hex_of(wire, gdb_regs_wire_size(X64), packet + 1);
	expect(f, packet, "OK");
	assert_true(f->t.regs[0].gpr[GDB_RAX] == 0x1122334455667788ULL);
	assert_int_equal(f->t.regs[0].rip, 0x4242);
	assert_int_equal(f->t.regs[0].cr3, 0xabc000);
	assert_int_equal(f->t.regs[0].seg[GDB_SEG_FS].base, 0xfeed);
	/* Hidden parts gdb does not see survive (read-modify-write). */
	assert_int_equal(f->t.regs[0].seg[GDB_SEG_CS].l, 1);
	/* One byte short, one hex digit short, a bad digit. */
	packet[strlen(packet) - 2] = '\0';
	expect(f, packet, "E.G needs every register, in hex");
	packet[strlen(packet) - 1] = '\0';
	expect(f, packet, "E.G needs every register, in hex");
	expect(f, "Gzz", "E.G needs every register, in hex");
}

static void test_read_and_write_one_register(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "p0", "0010000000000001");  /* rax of vCPU 0, little-endian */
	expect(f, "p10", "0011000000000000"); /* rip: 0x1100 */
	expect(f, "p11", "02020000");	      /* eflags: 32 bits */
	expect(f, "p12", "08000000");	      /* cs: 32 bits */
	expect(f, "p38", "801f0000");	      /* mxcsr */
	expect(f, "p39", "0000000070000000"); /* fs_base */
	expect(f, "p3b", "0100008000000000"); /* cr0: PE|PG */
	expect(f, "P0=efbeadde00000000", "OK");
	assert_int_equal(f->t.regs[0].gpr[GDB_RAX], 0xdeadbeef);
	expect(f, "P12=10000000", "OK"); /* cs */
	assert_int_equal(f->t.regs[0].seg[GDB_SEG_CS].selector, 0x10);
	/* Wrong sizes, no such register, bad syntax. */
	expect(f, "P0=efbeadde", "E.wrong size for this register");
	expect(f, "P0=efbeadde0000000000", "E.wrong size for this register");
	expect(f, "p1000", "E.no such register");
	expect(f, "P1000=00", "E.no such register");
	expect(f, "p", "E.p needs a register number");
	expect(f, "p0,", "E.p needs a register number");
	expect(f, "P0", "E.P needs n=value");
	expect(f, "P0=zz00000000000000", "E.wrong size for this register");
}

static void test_every_register_round_trips(void **state)
{
	struct fix *f = *state;
	unsigned int i;

	attach(f);
	for (i = 0; i < gdb_regs_count(X64); i++) {
		char packet[96], hex[2 * GDB_XMM_REG_SIZE + 1], reg[16];
		size_t size = gdb_regs_size(X64, i), b;
		uint8_t value[GDB_XMM_REG_SIZE];

		/* Selectors and limits keep 16/32 bits, eflags 32: test what fits. */
		for (b = 0; b < size; b++)
			value[b] = (uint8_t)(b < 2 ? 0x41 + i : 0);
		hex_of(value, size, hex);
		snprintf(reg, sizeof(reg), "%x", i);
		snprintf(packet, sizeof(packet), "P%s=%s", reg, hex);
		expect(f, packet, "OK");
		snprintf(packet, sizeof(packet), "p%s", reg);
		expect(f, packet, hex);
	}
}

/* ---- memory ---- */

static void test_read_memory(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "m1000,4", "00010203");
	expect(f, "m10fe,4", "feff0001");
	/* Up to the hole: what could be read. */
	expect(f, "m3ffe,4", "feff");
	/* In the hole, past the end, below the start: an error, never a crash. */
	expect(f, "m4000,4", "E0e");
	expect(f, "m7000,1", "E0e");
	expect(f, "m0,10", "E0e");
	expect(f, "m6fff,10", "ff");
	expect(f, "m1000,0", "");
	/* gdb 14's error-message+ allows text for m. */
	expect(f, "qSupported:error-message+", STUB_QSUPPORTED);
	expect(f, "m4000,4", "E.cannot access memory at this address");
}

static void test_read_memory_clamps_length(void **state)
{
	struct fix *f = *state;

	attach(f);
	/* A huge length is cut to one reply's worth. */
	clear_out(f);
	assert_int_equal(send_pkt(f, "m1000,ffffffffffffffff"), 0);
	assert_int_equal(strlen(next_packet(f)), GDB_RSP_PACKET_MAX);
	assert_int_equal(f->t.last_read_len, GDB_RSP_PACKET_MAX / 2);
	/* A range that wraps past 2^64 is cut at the top. */
	expect(f, "mfffffffffffffffe,10", "E0e");
	assert_true(f->t.last_read_addr == 0xfffffffffffffffeULL);
	assert_int_equal(f->t.last_read_len, 2);
	expect(f, "m10000000000000000,1", "E16"); /* 17 digits: EINVAL (22) */
}

static void test_write_memory_hex_and_binary(void **state)
{
	struct fix *f = *state;
	const uint8_t data[] = { 'X', '2', '0', '0', '0', ',', '6', ':', '$', '#', '}', '*', 0, 3 };

	attach(f);
	expect(f, "M2000,2:abcd", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x2000), 0xab);
	assert_int_equal(*fake_target_byte(&f->t, 0x2001), 0xcd);
	/* Binary with the bytes that must be escaped. */
	clear_out(f);
	assert_int_equal(send_bin(f, data, sizeof(data)), 0);
	assert_string_equal(next_packet(f), "OK");
	assert_memory_equal(fake_target_byte(&f->t, 0x2000), "$#}*\0\3", 6);
	expect(f, "X2000,0:", "OK"); /* gdb's probe */
	/* Into the hole, or running into it: an error. */
	expect(f, "M4000,1:00", "E.cannot write memory at this address");
	expect(f, "M3fff,2:0000", "E.cannot write memory at this address");
	expect(f, "Mffffffffffffffff,2:0000", "E.cannot write memory at this address");
	/* Lengths that do not match their data. */
	expect(f, "M2000,2:ab", "E.M's data does not match its length");
	expect(f, "M2000,1:abc", "E.M's data does not match its length");
	expect(f, "M2000,1:zz", "E.M's data does not match its length");
	expect(f, "X2000,2:a", "E.X's data does not match its length");
	expect(f, "X2000,1:ab", "E.X's data does not match its length");
	expect(f, "M2000,2", "E.M needs addr,length:XX...");
}

/* ---- breakpoints ---- */

static void test_software_breakpoint_hidden_in_memory(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "Z0,1105,1", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), GDB_X86_INT3);
	assert_true(gdb_stub_breakpoint_at(&f->stub, 0x1105));
	assert_false(gdb_stub_breakpoint_at(&f->stub, 0x1106));
	/* Reads show the original byte. */
	expect(f, "m1104,3", "040506");
	/* Writes over it change the original, and the int3 stays. */
	expect(f, "M1104,2:aabb", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1104), 0xaa);
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), GDB_X86_INT3);
	expect(f, "m1105,1", "bb");
	/* Inserting again is fine and changes nothing. */
	expect(f, "Z0,1105,1", "OK");
	expect(f, "z0,1105,1", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0xbb);
	assert_false(gdb_stub_breakpoint_at(&f->stub, 0x1105));
	/* Removing what is not there is fine too (idempotent, E.3 'z'). */
	expect(f, "z0,1105,1", "OK");
	/* x86 int3 is one byte; unmapped memory cannot hold one. */
	expect(f, "Z0,1105,2", "E.x86 software breakpoints are 1 byte");
	expect(f, "Z0,4000,1", "E.cannot write int3 at this address");
	assert_false(gdb_stub_breakpoint_at(&f->stub, 0x4000));
	assert_int_equal(f->t.removes, 2); /* the z0 and the undo of the failed insert */
}

/* A host where int3 does not trap: the target keeps gdb's break in a debug register. */
static void test_software_breakpoint_done_by_target(void **state)
{
	struct fix *f = *state;

	attach(f);
	f->t.sw_in_dr = true;
	f->t.regs[0].rip = 0x1105;
	expect(f, "Z0,1105,1", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0x05); /* no int3 written */
	assert_true(gdb_hwbp_any(&f->t.hw));
	assert_false(gdb_stub_breakpoint_at(&f->stub, 0x1105));
	expect(f, "M1105,1:aa", "OK"); /* a write there is just a write */
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0xaa);
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_HWBREAK, 0);
	expect_stop(f, "T05thread:1;hwbreak:;");
	expect(f, "z0,1105,1", "OK");
	assert_false(gdb_hwbp_any(&f->t.hw));
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0xaa);
	/* Five: the debug registers run out, and gdb hears why. */
	expect(f, "Z0,1100,1", "OK");
	expect(f, "Z0,1101,1", "OK");
	expect(f, "Z0,1102,1", "OK");
	expect(f, "Z0,1103,1", "OK");
	expect(f, "Z0,1104,1", "E.no free debug register (DR0-DR3 are in use)");
	assert_int_equal(*fake_target_byte(&f->t, 0x1104), 0x04);
	/* Detach takes them out through the target. */
	clear_out(f);
	assert_int_equal(send_pkt(f, "D"), GDB_STUB_CLOSE);
	assert_false(gdb_hwbp_any(&f->t.hw));
}

static void test_hardware_breakpoints_and_watchpoints(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "Z1,1200,1", "OK");
	expect(f, "Z2,2000,4", "OK");
	expect(f, "Z3,2008,8", "OK");
	expect(f, "Z4,2010,2", "OK");
	assert_int_equal(f->t.inserts, 4);
	/* A fifth: no debug register left. */
	expect(f, "Z1,1300,1", "E.no free debug register (DR0-DR3 are in use)");
	/* Again: idempotent, the target is not asked. */
	expect(f, "Z2,2000,4", "OK");
	assert_int_equal(f->t.inserts, 5);
	expect(f, "z2,2000,4", "OK");
	expect(f, "Z1,1300,1", "OK");
	/* A type the protocol does not define. */
	expect(f, "Z5,1000,1", "");
}

static void test_breakpoint_not_supported(void **state)
{
	struct fix *f = *state;
	const char *text =
		"mini-kvm: this host's KVM cannot trap int3 in ring-0 code: use hbreak\n";
	char hex[256];

	attach(f);
	/* Without a hint: empty, so gdb uses its fallback. */
	f->t.insert_ret = -ENOTSUP;
	expect(f, "Z2,2000,4", "");
	/* With one: the hint as the error, and on the console at the next resume. */
	f->t.insert_hint = "this host's KVM cannot trap int3 in ring-0 code: use hbreak";
	expect(f, "Z0,1105,1", "E.this host's KVM cannot trap int3 in ring-0 code: use hbreak");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0x05);
	f->t.insert_ret = 0;
	f->t.insert_hint = NULL;
	clear_out(f);
	assert_int_equal(send_pkt(f, "vCont;c"), 0);
	hex[0] = 'O';
	hex_of(text, strlen(text), hex + 1);
	assert_string_equal(next_packet(f), hex);
	assert_null(next_packet(f));
}

static void test_breakpoint_warning_on_success(void **state)
{
	struct fix *f = *state;
	char hex[256];
	const char *text = "mini-kvm: careful\n";

	attach(f);
	f->t.insert_hint = "careful";
	expect(f, "Z0,1105,1", "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), GDB_X86_INT3);
	f->t.insert_hint = NULL;
	clear_out(f);
	assert_int_equal(send_pkt(f, "vCont;c"), 0);
	hex[0] = 'O';
	hex_of(text, strlen(text), hex + 1);
	assert_string_equal(next_packet(f), hex);
	assert_null(next_packet(f));
	/* Said once. */
	stop(f, 0, GDB_STOP_STEP, 0);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	expect_none(f, "vCont;c");
}

/* ---- resuming and stop replies ---- */

static void test_vcont_actions(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "vCont?", "vCont;c;C;s;S;t");
	expect_none(f, "vCont;c");
	assert_int_equal(f->t.actions[0], GDB_RESUME_CONTINUE);
	assert_int_equal(f->t.actions[1], GDB_RESUME_CONTINUE);
	assert_int_equal(f->t.actions[2], GDB_RESUME_CONTINUE);
	stop(f, 0, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:1;");
	/* The leftmost action that matches wins; without a match: stay. */
	expect_none(f, "vCont;s:2;c");
	assert_int_equal(f->t.actions[0], GDB_RESUME_CONTINUE);
	assert_int_equal(f->t.actions[1], GDB_RESUME_STEP);
	assert_int_equal(f->t.actions[2], GDB_RESUME_CONTINUE);
	stop(f, 1, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:2;");
	expect_none(f, "vCont;s:3");
	assert_int_equal(f->t.actions[0], GDB_RESUME_STAY);
	assert_int_equal(f->t.actions[1], GDB_RESUME_STAY);
	assert_int_equal(f->t.actions[2], GDB_RESUME_STEP);
	stop(f, 2, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:3;");
	/* A signal to pass is ignored; t keeps a thread stopped. */
	expect_none(f, "vCont;t:1;C0b:2;S05");
	assert_int_equal(f->t.actions[0], GDB_RESUME_STAY);
	assert_int_equal(f->t.actions[1], GDB_RESUME_CONTINUE);
	assert_int_equal(f->t.actions[2], GDB_RESUME_STEP);
	stop(f, 2, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:3;");
	assert_int_equal(f->t.resumes, 4);
}

static void test_vcont_refused(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "vCont;t", "E.vCont resumes no thread");
	expect(f, "vCont", "E.vCont needs an action");
	expect(f, "vCont;", "E.vCont needs ;action");
	expect(f, "vCont;c:4", "E.no such thread");
	expect(f, "vCont;c:0", "E.bad thread-id in vCont");
	expect(f, "vCont;c:", "E.bad thread-id in vCont");
	expect(f, "vCont;x", "E.unknown vCont action");
	expect(f, "vCont;C", "E.vCont C/S need a signal");
	expect(f, "vCont;cc", "E.vCont needs ;action");
	expect(f, "vCont?x", "E.vCont? takes nothing");
	expect(f, "vCont;r1000,2000", "E.unknown vCont action");
	assert_int_equal(f->t.resumes, 0);
	/* The target refusing to run: an error, still stopped. */
	f->t.resume_ret = -EIO;
	expect(f, "vCont;c", "E.the VM could not be resumed");
	assert_int_equal(f->stub.state, GDB_STUB_STOPPED);
}

static void test_legacy_continue_and_step(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "Hc-1", "OK");
	expect_none(f, "c");
	assert_int_equal(f->t.actions[1], GDB_RESUME_CONTINUE);
	stop(f, 1, GDB_STOP_HWBREAK, 0);
	expect_stop(f, "T05thread:2;hwbreak:;");
	/* s steps the thread of the last stop, alone. */
	expect_none(f, "s");
	assert_int_equal(f->t.actions[0], GDB_RESUME_STAY);
	assert_int_equal(f->t.actions[1], GDB_RESUME_STEP);
	stop(f, 1, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:2;");
	/* c addr sets the (linear) program counter first. */
	expect(f, "Hc3", "OK");
	expect_none(f, "c1234");
	assert_int_equal(f->t.regs[2].rip, 0x1234);
	assert_int_equal(f->t.actions[0], GDB_RESUME_STAY);
	assert_int_equal(f->t.actions[2], GDB_RESUME_CONTINUE);
	stop(f, 2, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:3;");
	expect_none(f, "S05;1300");
	assert_int_equal(f->t.regs[2].rip, 0x1300);
	assert_int_equal(f->t.actions[2], GDB_RESUME_STEP);
	stop(f, 2, GDB_STOP_STEP, 0);
	expect_stop(f, "T05thread:3;");
	expect(f, "cxyz", "E.bad resume address");
	expect(f, "C", "E.C/S need a signal");
	expect(f, "C05:1", "E.C/S sig[;addr]");
}

static void test_stop_reasons(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect_none(f, "vCont;c");
	stop(f, 1, GDB_STOP_WATCH, 0x2000);
	expect_stop(f, "T05thread:2;watch:2000;");
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_RWATCH, 0x2008);
	expect_stop(f, "T05thread:1;rwatch:2008;");
	expect_none(f, "vCont;c");
	stop(f, 2, GDB_STOP_AWATCH, 0xffffffff80001000ULL);
	expect_stop(f, "T05thread:3;awatch:ffffffff80001000;");
	expect_none(f, "vCont;c");
	{
		struct gdb_stop st = { .kind = GDB_STOP_SIGNAL,
				       .signal = GDB_SIGNAL_SEGV,
				       .message = "guest triple fault" };
		char hex[128] = "O";

		gdb_stub_stopped(&f->stub, 0, &st);
		clear_out(f);
		assert_int_equal(gdb_stub_poll(&f->stub), 0);
		hex_of("guest triple fault\n", 19, hex + 1);
		assert_string_equal(next_packet(f), hex);
		assert_string_equal(next_packet(f), "T0bthread:1;");
	}
	expect(f, "?", "T0bthread:1;");
	/* A gdb that did not say hwbreak+/swbreak+ gets no such reason. */
	expect(f, "qSupported", STUB_QSUPPORTED);
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_HWBREAK, 0);
	expect_stop(f, "T05thread:1;");
}

static void test_int3_at_gdb_breakpoint_is_swbreak(void **state)
{
	struct fix *f = *state;

	attach(f);
	f->t.regs[0].rip = 0x1105;
	expect(f, "Z0,1105,1", "OK");
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_INT3, 0);
	expect_stop(f, "T05thread:1;swbreak:;");
	assert_int_equal(f->t.regs[0].rip, 0x1105); /* PC at the breakpoint */
}

static void test_guest_int3_is_stepped_over(void **state)
{
	struct fix *f = *state;

	attach(f);
	*fake_target_byte(&f->t, 0x1200) = GDB_X86_INT3;
	f->t.regs[0].rip = 0x1200;
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_INT3, 0);
	expect_stop(f, "T05thread:1;");
	assert_int_equal(f->t.regs[0].rip, 0x1201);
	/* int $3 is two bytes. */
	*fake_target_byte(&f->t, 0x1210) = GDB_X86_INT_IMM8;
	*fake_target_byte(&f->t, 0x1211) = GDB_X86_BP_VECTOR;
	f->t.regs[0].rip = 0x1210;
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_INT3, 0);
	expect_stop(f, "T05thread:1;");
	assert_int_equal(f->t.regs[0].rip, 0x1212);
	/* Not an int3 at all (a report after an emulation failure): RIP stays. */
	f->t.regs[0].rip = 0x1220;
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_INT3, 0);
	expect_stop(f, "T05thread:1;");
	assert_int_equal(f->t.regs[0].rip, 0x1220);
}

static void test_real_mode_pc_is_linear(void **state)
{
	struct fix *f = *state;
	struct gdb_regs *r = &f->t.regs[1];

	attach(f);
	/* Real mode: CS 0x200, base 0x2000, IP 0x10: the CPU fetches at 0x2010. */
	r->efer = 0;
	r->cr0 = 0;
	r->seg[GDB_SEG_CS] =
		(struct gdb_segment){ .base = 0x2000, .limit = 0xffff, .selector = 0x200 };
	r->rip = 0x10;
	expect(f, "Hg2", "OK");
	expect(f, "p10", "1020000000000000");
	expect(f, "P10=2020000000000000", "OK");
	assert_int_equal(r->rip, 0x20);
	/* A breakpoint at the linear address is hit there: swbreak, not stepped over. */
	r->rip = 0x10;
	expect(f, "Z0,2010,1", "OK");
	expect_none(f, "vCont;c");
	stop(f, 1, GDB_STOP_INT3, 0);
	expect_stop(f, "T05thread:2;swbreak:;");
	assert_int_equal(r->rip, 0x10);
	expect(f, "z0,2010,1", "OK");
	/* The guest's own int3 there: IP moves past it. */
	*fake_target_byte(&f->t, 0x2010) = GDB_X86_INT3;
	expect_none(f, "vCont;c");
	stop(f, 1, GDB_STOP_INT3, 0);
	expect_stop(f, "T05thread:2;");
	assert_int_equal(r->rip, 0x11);
}

static void test_ctrl_c_interrupts(void **state)
{
	struct fix *f = *state;

	attach(f);
	/* Stopped: a Ctrl-C does nothing. */
	assert_int_equal(send_raw(f, "\x03"), 0);
	assert_int_equal(f->t.interrupts, 1);
	expect_none(f, "vCont;c");
	clear_out(f);
	assert_int_equal(send_raw(f, "\x03"), 0);
	assert_int_equal(f->t.interrupts, 2);
	assert_null(next_packet(f));
	/* Packets while running: gdb sends none; refuse them. */
	expect(f, "g", "E.the VM is running");
	stop(f, 1, GDB_STOP_INTERRUPTED, 0);
	expect_stop(f, "T02thread:2;");
	/* A second report of the same stop is dropped. */
	stop(f, 0, GDB_STOP_INTERRUPTED, 0);
	clear_out(f);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	assert_int_equal(f->out_len, 0);
	expect(f, "?", "T02thread:2;");
	/* The next run's stop is SIGTRAP again. */
	expect_none(f, "vCont;c");
	stop(f, 0, GDB_STOP_INTERRUPTED, 0);
	expect_stop(f, "T05thread:1;");
}

static void test_vm_end_while_running_and_stopped(void **state)
{
	struct fix *f = *state;
	struct gdb_stop end = { .kind = GDB_STOP_EXITED, .status = 0x103 };
	struct gdb_stop killed = { .kind = GDB_STOP_KILLED, .signal = GDB_SIGNAL_KILL };

	attach(f);
	expect_none(f, "vCont;c");
	/* A stop and the end both posted: the end wins. */
	stop(f, 0, GDB_STOP_STEP, 0);
	gdb_stub_stopped(&f->stub, 0, &end);
	expect_stop(f, "W03");
	expect(f, "?", "W03");
	expect(f, "c", "W03");
	expect(f, "m1000,1", "E03");
	expect(f, "Z0,1105,1", "E.the VM has ended");
	gdb_stub_stopped(&f->stub, 0, &killed);
	clear_out(f);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	assert_int_equal(f->out_len, 0); /* stopped: gdb hears at its next question */
	expect(f, "?", "X09");
}

static void test_detach_removes_breakpoints(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "Z0,1105,1", "OK");
	expect(f, "Z2,2000,4", "OK");
	clear_out(f);
	assert_int_equal(send_pkt(f, "D"), GDB_STUB_CLOSE);
	assert_string_equal(next_packet(f), "OK");
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0x05);
	assert_false(gdb_hwbp_any(&f->t.hw));
	assert_int_equal(f->t.detaches, 1);
	assert_int_equal(f->stub.state, GDB_STUB_DETACHED);
	/* The connection closing after D changes nothing. */
	gdb_stub_detach(&f->stub);
	assert_int_equal(f->t.detaches, 1);
	/* Stops without gdb are dropped. */
	stop(f, 0, GDB_STOP_STEP, 0);
	clear_out(f);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	assert_int_equal(f->out_len, 0);
}

static void test_lost_connection_while_running(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "Z0,1105,1", "OK");
	expect_none(f, "vCont;c");
	/* The int3 cannot come out under running vCPUs: stop first. */
	gdb_stub_detach(&f->stub);
	assert_int_equal(f->stub.state, GDB_STUB_DETACHING);
	assert_int_equal(f->t.interrupts, 2);
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), GDB_X86_INT3);
	assert_int_equal(f->t.detaches, 0);
	stop(f, 0, GDB_STOP_INTERRUPTED, 0);
	clear_out(f);
	assert_int_equal(gdb_stub_poll(&f->stub), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0x05);
	assert_int_equal(f->t.detaches, 1);
	assert_int_equal(f->stub.state, GDB_STUB_DETACHED);
	/* And a new gdb can come. */
	f->t.running = false;
	attach(f);
}

static void test_lost_connection_while_running_no_breakpoints(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect_none(f, "vCont;c");
	gdb_stub_detach(&f->stub);
	assert_int_equal(f->t.interrupts, 1); /* nothing to take out: no need to stop */
	assert_int_equal(f->t.detaches, 1);
	assert_int_equal(f->stub.state, GDB_STUB_DETACHED);
}

static void test_new_gdb_while_detaching(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "Z0,1105,1", "OK");
	expect_none(f, "vCont;c");
	gdb_stub_detach(&f->stub);
	/* A new gdb before the stop arrives: the same stop serves it. */
	gdb_stub_attach(&f->stub);
	assert_int_equal(f->t.interrupts, 2);
	expect_none(f, "?");
	stop(f, 0, GDB_STOP_INTERRUPTED, 0);
	expect_stop(f, "T05thread:1;");
	/* The old session's int3 is gone. */
	assert_int_equal(*fake_target_byte(&f->t, 0x1105), 0x05);
	assert_false(gdb_stub_breakpoint_at(&f->stub, 0x1105));
}

static void test_kill(void **state)
{
	struct fix *f = *state;

	attach(f);
	clear_out(f);
	assert_int_equal(send_pkt(f, "k"), GDB_STUB_CLOSE);
	assert_null(next_packet(f)); /* gdb waits for no reply */
	assert_int_equal(f->t.kills, 1);
	assert_int_equal(f->stub.state, GDB_STUB_DETACHED);
}

/* ---- threads and queries ---- */

static void test_threads(void **state)
{
	struct fix *f = *state;

	attach(f);
	expect(f, "qfThreadInfo", "m1,2,3");
	expect(f, "qsThreadInfo", "l");
	expect(f, "qAttached", "1");
	expect(f, "qAttached:1", "1");
	expect(f, "qC", "QC1");
	expect(f, "T1", "OK");
	expect(f, "T3", "OK");
	expect(f, "T4", "E.no such thread");
	expect(f, "T0", "E.no such thread");
	expect(f, "T-1", "E.no such thread");
	expect(f, "Tzz", "E.T needs a thread-id");
	expect(f, "Hc-1", "OK");
	expect(f, "Hc0", "OK");
	expect(f, "Hg-1", "OK");
	expect(f, "Hx1", "E.H needs g or c and a thread-id");
	expect(f, "H", "E.H needs g or c");
	expect(f, "Hgp1.1", "E.H needs g or c and a thread-id");
	expect(f, "qThreadExtraInfo,2", "764350552031"); /* "vCPU 1" */
	expect(f, "qThreadExtraInfo,9", "E.no such thread");
}

static void test_many_vcpus_thread_list(void **state)
{
	struct fix *f = *state;
	struct gdb_stub *big = calloc(1, sizeof(*big));
	struct gdb_stub_config cfg = { .nvcpus = GDB_STUB_MAX_VCPUS,
				       .ops = &fake_target_ops,
				       .target = &f->t };
	struct gdb_stub_io io = { .write = cap_write, .opaque = f };
	const char *list;

	assert_non_null(big);
	assert_int_equal(gdb_stub_init(big, &cfg), 0);
	gdb_stub_set_io(big, &io);
	f->t.stub = big;
	gdb_stub_attach(big);
	assert_int_equal(gdb_stub_poll(big), 0);
	/* Every thread id fits one reply. */
	clear_out(f);
	assert_int_equal(gdb_stub_input(big, "$qfThreadInfo#bb", 16), 0);
	list = next_packet(f);
	assert_non_null(list);
	assert_int_equal(strncmp(list, "m1,2,3,", 7), 0);
	assert_string_equal(list + strlen(list) - 7, ",ff,100");
	gdb_stub_destroy(big);
	/* Out of range counts, missing ops. */
	cfg.nvcpus = 0;
	assert_int_equal(gdb_stub_init(big, &cfg), -EINVAL);
	cfg.nvcpus = GDB_STUB_MAX_VCPUS + 1;
	assert_int_equal(gdb_stub_init(big, &cfg), -EINVAL);
	cfg.nvcpus = 1;
	cfg.ops = NULL;
	assert_int_equal(gdb_stub_init(big, &cfg), -EINVAL);
	free(big);
}

static void test_target_description_windows(void **state)
{
	struct fix *f = *state;
	const char *annexes[] = { "target.xml",		  "mini-kvm-core64.xml",
				  "mini-kvm-sse64.xml",	  "mini-kvm-segments64.xml",
				  "mini-kvm-core32.xml",  "mini-kvm-sse32.xml",
				  "mini-kvm-bases32.xml", "mini-kvm-system.xml" };
	size_t i;

	attach(f);
	for (i = 0; i < ARRAY_SIZE(annexes); i++) {
		size_t doc_len, got = 0;
		const char *doc = gdb_tdesc_document(X64, annexes[i], strlen(annexes[i]), &doc_len);
		char *whole = calloc(1, doc_len + 1);
		char packet[128];
		const char *r;

		assert_non_null(doc);
		assert_non_null(whole);
		/* Windows of 0x100 bytes: 'm' until the last, 'l'. */
		do {
			snprintf(packet, sizeof(packet), "qXfer:features:read:%s:%zx,100",
				 annexes[i], got);
			clear_out(f);
			assert_int_equal(send_pkt(f, packet), 0);
			r = next_packet(f);
			assert_non_null(r);
			assert_true(r[0] == 'm' || r[0] == 'l');
			assert_true(strlen(r + 1) <= 0x100);
			assert_true(got + strlen(r + 1) <= doc_len);
			memcpy(whole + got, r + 1, strlen(r + 1));
			got += strlen(r + 1);
		} while (r[0] == 'm');
		assert_int_equal(got, doc_len);
		assert_memory_equal(whole, doc, doc_len);
		free(whole);
		/* Past the end: an empty last window. */
		snprintf(packet, sizeof(packet), "qXfer:features:read:%s:%zx,100", annexes[i],
			 doc_len + 5);
		expect(f, packet, "l");
	}
	expect(f, "qXfer:features:read:nosuch.xml:0,100", "E00");
	expect(f, "qXfer:features:read:target.xml:0", "E00");
	expect(f, "qXfer:features:read:target.xml:0,", "E00");
	expect(f, "qXfer:features:read:target.xml:,10", "E00");
	expect(f, "qXfer:features:read:target.xml:0,10,", "E00");
	expect(f, "qXfer:features:read:target.xml", "E00");
	expect(f, "qXfer:features:read::0,10", "E00");
	expect(f, "qXfer:features:read:target.xml:ffffffffffffffff,10", "l");
	expect(f, "qXfer:memory-map:read::0,10", "");
	/* A huge window is cut to one reply. */
	clear_out(f);
	assert_int_equal(send_pkt(f, "qXfer:features:read:mini-kvm-core64.xml:0,fffffff"), 0);
	assert_true(strlen(next_packet(f)) <= GDB_RSP_PACKET_MAX);
}

/* The reg elements of the XML, in include order, against the register table. */
static void check_description(enum gdb_arch arch, const char *architecture)
{
	const char *include = "<xi:include href=\"";
	size_t len, n = 0;
	const char *target = gdb_tdesc_document(arch, "target.xml", 10, &len);
	const char *p = target;

	assert_non_null(target);
	assert_non_null(strstr(target, architecture));
	while ((p = strstr(p, include))) {
		const char *name = p + strlen(include), *end = strchr(name, '"');
		size_t doc_len;
		const char *doc = gdb_tdesc_document(arch, name, (size_t)(end - name), &doc_len);
		const char *r = doc;

		assert_non_null(doc);
		assert_int_equal(strlen(doc), doc_len);
		while ((r = strstr(r, "<reg name=\""))) {
			char reg[32];
			unsigned int bits;

			assert_int_equal(
				sscanf(r, "<reg name=\"%31[^\"]\" bitsize=\"%u\"", reg, &bits), 2);
			assert_true(n < gdb_regs_count(arch));
			if (strcmp(reg, gdb_regs_name(arch, (unsigned int)n)))
				fail_msg("register %zu: XML %s, table %s", n, reg,
					 gdb_regs_name(arch, (unsigned int)n));
			assert_int_equal(bits, 8 * gdb_regs_size(arch, (unsigned int)n));
			/* gdb sizes pointer types by the architecture, not by bitsize. */
			if (strstr(r, "_ptr\"") && strstr(r, "_ptr\"") < strchr(r, '>'))
				assert_int_equal(bits,
						 arch == X64 || arch == GDB_ARCH_AUTO ? 64 : 32);
			n++;
			r++;
		}
		p = end;
	}
	assert_int_equal(n, gdb_regs_count(arch));
	assert_null(gdb_regs_name(arch, gdb_regs_count(arch)));
	assert_int_equal(gdb_regs_size(arch, gdb_regs_count(arch)), 0);
}

static void test_target_description_matches_registers(void **state)
{
	size_t len;

	(void)state;
	check_description(X64, "<architecture>i386:x86-64</architecture>");
	check_description(I386, "<architecture>i386</architecture>");
	check_description(GDB_ARCH_I8086, "<architecture>i8086</architecture>");
	check_description(GDB_ARCH_AUTO, "<architecture>i386:x86-64</architecture>");
	/* gdb's fixed numbers for i386:x86-64 (G.5.4). */
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_RIP), "rip");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_EFLAGS), "eflags");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_ST0), "st0");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_FCTRL), "fctrl");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_XMM0), "xmm0");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_MXCSR), "mxcsr");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_FS_BASE), "fs_base");
	assert_string_equal(gdb_regs_name(X64, GDB_REGNO_CR0), "cr0");
	/* and for i386: eax ecx edx ebx esp ebp esi edi eip. */
	assert_string_equal(gdb_regs_name(I386, 3), "ebx");
	assert_string_equal(gdb_regs_name(I386, 8), "eip");
	assert_string_equal(gdb_regs_name(I386, 16), "st0");
	assert_string_equal(gdb_regs_name(I386, 40), "mxcsr");
	assert_int_equal(gdb_regs_count(X64) - gdb_regs_count(I386), 16);
	assert_int_equal(gdb_regs_wire_size(X64), 712);
	assert_true(gdb_regs_wire_size(I386) < gdb_regs_wire_size(X64));
	assert_null(gdb_tdesc_document(X64, "target.xm", 9, &len));
	assert_null(gdb_tdesc_document(X64, "target.xmlx", 11, &len));
}

/* ---- the register file ---- */

static void test_wire_layout(void **state)
{
	struct gdb_regs r, back;
	uint8_t wire[2048];
	uint32_t u32;
	uint64_t u64;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.gpr[GDB_RAX] = 0x0102030405060708ULL;
	r.gpr[GDB_R15] = 0xf0f0;
	r.rip = 0xffffffff81000000ULL;
	r.rflags = 0xffffffff00000246ULL; /* upper half: dropped on the 32-bit wire */
	r.seg[GDB_SEG_CS].selector = 0x10;
	r.seg[GDB_SEG_CS].l = 1;
	r.efer = X86_EFER_LMA;
	r.st[7][9] = 0x7f;
	r.fop = 0x7ff;
	r.xmm[15][15] = 0xee;
	r.mxcsr = 0x1f80;
	r.tr.limit = 0x67;
	gdb_regs_to_wire(X64, &r, wire);
	/* Offsets: 16 GPRs, rip, eflags 4, six selectors 4, st0-7 10, eight 4, xmm 16... */
	memcpy(&u64, wire, 8);
	assert_true(u64 == 0x0102030405060708ULL);
	memcpy(&u64, wire + 15 * 8, 8);
	assert_int_equal(u64, 0xf0f0);
	memcpy(&u64, wire + 128, 8);
	assert_true(u64 == 0xffffffff81000000ULL);
	memcpy(&u32, wire + 136, 4);
	assert_int_equal(u32, 0x246);
	memcpy(&u32, wire + 140, 4);
	assert_int_equal(u32, 0x10);
	assert_int_equal(wire[164 + 7 * 10 + 9], 0x7f);
	memcpy(&u32, wire + 244 + 7 * 4, 4);
	assert_int_equal(u32, 0x7ff);
	assert_int_equal(wire[276 + 15 * 16 + 15], 0xee);
	memcpy(&u32, wire + 532, 4);
	assert_int_equal(u32, 0x1f80);
	memcpy(&u32, wire + gdb_regs_wire_size(X64) - 4, 4);
	assert_int_equal(u32, 0x67);
	/* Back again: the same, but for what the wire cannot carry. */
	memset(&back, 0, sizeof(back));
	back.seg[GDB_SEG_CS].l = 1; /* read-only hint, not on the wire */
	gdb_regs_from_wire(X64, &back, wire);
	r.rflags &= 0xffffffff;
	assert_memory_equal(&back, &r, sizeof(r));
}

static void test_wire_truncates_wide_values(void **state)
{
	struct gdb_regs r;
	uint8_t value[4] = { 0x34, 0x12, 0xff, 0xff };

	(void)state;
	memset(&r, 0, sizeof(r));
	/* A 32-bit selector keeps its low 16 bits; a 32-bit gdtr_limit its low 16. */
	assert_int_equal(gdb_regs_set(X64, &r, GDB_REGNO_CS, value, 4), 0);
	assert_int_equal(r.seg[GDB_SEG_CS].selector, 0x1234);
	assert_int_equal(gdb_regs_set(X64, &r, GDB_REGNO_CS, value, 2), -EINVAL);
	assert_int_equal(gdb_regs_set(X64, &r, gdb_regs_count(X64), value, 4), -EINVAL);
	assert_int_equal(gdb_regs_get(X64, &r, gdb_regs_count(X64), value), -EINVAL);
}

static void test_pc_is_linear_outside_64bit_code(void **state)
{
	struct gdb_regs r;
	uint8_t wire[2048];
	uint64_t pc;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* Real mode. */
	r.seg[GDB_SEG_CS].base = 0xf0000;
	r.rip = 0xfff0;
	assert_false(gdb_regs_code64(&r));
	assert_int_equal(gdb_regs_pc(&r), 0xffff0);
	gdb_regs_set_pc(&r, 0xf1234);
	assert_int_equal(r.rip, 0x1234);
	/* 32-bit with a base: 32-bit linear addresses wrap. */
	r.seg[GDB_SEG_CS].base = 0xfffff000;
	r.rip = 0x2000;
	assert_int_equal(gdb_regs_pc(&r), 0x1000);
	gdb_regs_set_pc(&r, 0x1000);
	assert_int_equal(r.rip, 0x2000);
	/* Compatibility mode (LMA, CS.L clear) uses the base too; 64-bit code does not. */
	r.efer = X86_EFER_LMA;
	assert_false(gdb_regs_code64(&r));
	r.seg[GDB_SEG_CS].l = 1;
	assert_true(gdb_regs_code64(&r));
	assert_int_equal(gdb_regs_pc(&r), 0x2000);
	/* G sets the PC after the CS base: real mode, base and IP in one packet. */
	memset(&r, 0, sizeof(r));
	r.seg[GDB_SEG_CS].base = 0x7c00;
	r.rip = 0x7c00;
	gdb_regs_to_wire(X64, &r, wire);
	pc = 0x7c10;
	memcpy(wire + 128, &pc, 8);
	r.seg[GDB_SEG_CS].base = 0;
	gdb_regs_from_wire(X64, &r, wire);
	assert_int_equal(r.seg[GDB_SEG_CS].base, 0x7c00);
	assert_int_equal(r.rip, 0x10);
}

static void test_x87_tag_words(void **state)
{
	uint8_t st[GDB_X87_REGS][GDB_X87_REG_SIZE];
	const uint8_t one[GDB_X87_REG_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
	const uint8_t inf[GDB_X87_REG_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f };
	const uint8_t denormal[GDB_X87_REG_SIZE] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t unnormal[GDB_X87_REG_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f };

	(void)state;
	memset(st, 0, sizeof(st));
	/* All empty. */
	assert_int_equal(gdb_x87_tag_full(0, 0, st), 0xffff);
	assert_int_equal(gdb_x87_tag_abridged(0xffff), 0);
	/* TOP = 6 (fstat bits 11-13): ST(0) is R6, ST(1) R7, ST(2) R0... */
	memcpy(st[0], one, sizeof(one)); /* R6: valid (00) */
	memcpy(st[1], inf, sizeof(inf)); /* R7: special (10) */
	/* st[2] stays zero: R0 zero (01) */
	memcpy(st[3], denormal, sizeof(one)); /* R1: special */
	memcpy(st[4], unnormal, sizeof(one)); /* R2: special */
	assert_int_equal(gdb_x87_tag_full(0xc7, 6 << 11, st),
			 (0x2 << 14) | (0x0 << 12) | (0x3 << 10) | (0x3 << 8) | (0x3 << 6) |
				 (0x2 << 4) | (0x2 << 2) | 0x1);
	assert_int_equal(gdb_x87_tag_abridged((0x2 << 14) | (0x3 << 10) | (0x3 << 8) | (0x3 << 6) |
					      (0x2 << 4) | (0x2 << 2) | 0x1),
			 0xc7);
}

/* ---- debug registers ---- */

static void test_hwbp_dr7_and_dr6(void **state)
{
	struct gdb_hwbp hw;
	struct gdb_stop st;
	uint64_t dr[GDB_HWBP_SLOTS], dr7;

	(void)state;
	gdb_hwbp_init(&hw);
	gdb_hwbp_debugregs(&hw, dr, &dr7);
	assert_int_equal(dr7, X86_DR7_FIXED_1);
	assert_false(gdb_hwbp_any(&hw));
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_BP_HW, 0x401000, 1), 0);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, 0x8000, 4), 0);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_ACCESS, 0x9000, 8), 0);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_READ, 0xa002, 2), 0);
	gdb_hwbp_debugregs(&hw, dr, &dr7);
	assert_int_equal(dr[0], 0x401000);
	assert_int_equal(dr[1], 0x8000);
	assert_int_equal(dr[2], 0x9000);
	assert_int_equal(dr[3], 0xa002);
	/* G0-G3, GE, bit 10; RW/LEN: 0 exec len 1, 1 write len 4, 2 rw len 8, 3 rw len 2. */
	assert_int_equal(dr7, 0xaa | X86_DR7_GE | X86_DR7_FIXED_1 | 0x0ULL << 16 | 0xdULL << 20 |
				      0xbULL << 24 | 0x7ULL << 28);
	/* DR6: B1 is the write watchpoint, reported with gdb's address. */
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, 0xffff0ff2, &st), 0);
	assert_int_equal(st.kind, GDB_STOP_WATCH);
	assert_int_equal(st.addr, 0x8000);
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, X86_DR6_B(0) | X86_DR6_BS, &st), 0);
	assert_int_equal(st.kind, GDB_STOP_HWBREAK);
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, X86_DR6_B(3), &st), 0);
	assert_int_equal(st.kind, GDB_STOP_RWATCH);
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, X86_DR6_B(2), &st), 0);
	assert_int_equal(st.kind, GDB_STOP_AWATCH);
	/* Full. */
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_BP_HW, 0x402000, 1), -ENOSPC);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_BP_HW, 0x401000, 1), 0); /* already there */
	assert_int_equal(gdb_hwbp_remove(&hw, GDB_WATCH_WRITE, 0x8000, 4), 0);
	assert_int_equal(gdb_hwbp_remove(&hw, GDB_WATCH_WRITE, 0x8000, 4), -ENOENT);
	/* Freed slot 1: a single step is only that, and unused slots' bits mean nothing. */
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, X86_DR6_B(1) | X86_DR6_BS, &st), 0);
	assert_int_equal(st.kind, GDB_STOP_STEP);
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, X86_DR6_B(1), &st), -ENOENT);
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, 0, &st), -ENOENT);
}

static void test_hwbp_unaligned_watch_takes_pieces(void **state)
{
	struct gdb_hwbp hw;
	uint64_t dr[GDB_HWBP_SLOTS], dr7;
	struct gdb_stop st;

	(void)state;
	gdb_hwbp_init(&hw);
	/* 6 bytes at 0x1003: 1 @ 0x1003, 4 @ 0x1004, 1 @ 0x1008. */
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, 0x1003, 6), 0);
	gdb_hwbp_debugregs(&hw, dr, &dr7);
	assert_int_equal(dr[0], 0x1003);
	assert_int_equal(dr[1], 0x1004);
	assert_int_equal(dr[2], 0x1008);
	assert_int_equal((dr7 >> X86_DR7_LEN_SHIFT(1)) & 3, X86_DR7_LEN_4);
	assert_int_equal(dr7 & X86_DR7_G(3), 0);
	/* A hit on any piece reports gdb's whole request. */
	assert_int_equal(gdb_hwbp_decode_dr6(&hw, X86_DR6_B(2), &st), 0);
	assert_int_equal(st.addr, 0x1003);
	/* 16 bytes need two more slots than are left: nothing taken. */
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, 0x2000, 16), -ENOSPC);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, 0x2000, 8), 0);
	assert_int_equal(gdb_hwbp_remove(&hw, GDB_WATCH_WRITE, 0x1003, 6), 0);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_ACCESS, 0x3000, 24), 0);
	assert_false(gdb_hwbp_insert(&hw, GDB_BP_HW, 0x1, 1) == 0);
	/* Nonsense: type 0, length 0, wrapping. */
	gdb_hwbp_init(&hw);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_BP_SW, 0x1000, 1), -EINVAL);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, 0x1000, 0), -EINVAL);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, UINT64_MAX, 2), -EINVAL);
	assert_int_equal(gdb_hwbp_insert(&hw, GDB_WATCH_WRITE, UINT64_MAX, 1), 0);
	assert_int_equal(gdb_hwbp_insert(&hw, (enum gdb_bp_type)7, 0x1000, 1), -EINVAL);
}

/* ---- hostile packets: one named row each ---- */

struct hostile {
	const char *name;
	const char *packet;
	const char *reply; /* the exact reply, or a prefix ending in '*' */
};

static const struct hostile hostile_rows[] = {
	{ "m without arguments", "m", "E16" },
	{ "m without length", "m1000", "E16" },
	{ "m with empty length", "m1000,", "E16" },
	{ "m without address", "m,4", "E16" },
	{ "m with bad digits", "mzz,4", "E16" },
	{ "m with trailing junk", "m1000,4,5", "E16" },
	{ "m with overflowing address", "m11112222333344445,4", "E16" },
	{ "M without data", "M1000,2:", "E.*" },
	{ "M with odd hex", "M1000,1:0", "E.*" },
	{ "M with no colon", "M1000,1", "E.*" },
	{ "X with short data", "X1000,4:ab", "E.*" },
	{ "X without length", "X1000:ab", "E.*" },
	{ "g with junk", "gg", "E.*" },
	{ "G empty", "G", "E.*" },
	{ "G odd", "G0", "E.*" },
	{ "p overflowing", "p11111111111111111", "E.*" },
	{ "p negative", "p-1", "E.*" },
	{ "P without value", "P1=", "E.*" },
	{ "P huge register", "Pffffffff=00", "E.*" },
	{ "P no equals", "P1:00", "E.*" },
	{ "Z empty", "Z", "E.*" },
	{ "Z no address", "Z0", "E.*" },
	{ "Z no kind", "Z0,1000", "E.*" },
	{ "Z empty kind", "Z0,1000,", "E.*" },
	{ "Z conditions", "Z0,1000,1;X3,220f", "E.*" },
	{ "Z type overflow", "Z10000000000000000,1,1", "E.*" },
	{ "z junk", "zq", "E.*" },
	{ "H junk thread", "Hg-2", "E.*" },
	{ "H overflow thread", "Hgffffffffff", "E.*" },
	{ "T empty", "T", "E.*" },
	{ "vCont stray", "vCont;c;", "E.*" },
	{ "vCont bad thread", "vCont;s:-2", "E.*" },
	{ "vCont huge signal", "vCont;C11111111111111111", "E.*" },
	{ "qXfer no window", "qXfer:features:read:target.xml:", "E00" },
	{ "qXfer bad offset", "qXfer:features:read:target.xml:zz,10", "E00" },
	{ "qXfer annex with colon", "qXfer:features:read:a:b:0,10", "E00" },
	{ "qSupported junk", "qSupportedx", "E.*" },
	{ "qThreadExtraInfo junk", "qThreadExtraInfo,zz", "E.*" },
	{ "c junk address", "c10,", "E.*" },
	{ "C junk signal", "Czz", "E.*" },
	{ "S with empty address", "S05;", "E.*" },
	{ "Z type unknown", "Z9,1000,1", "" },
	{ "binary noise", "\x01\x02\x7f\xfe", "" },
};

static void test_hostile_row(void **state)
{
	struct fix *f = *state;
	const struct hostile *row = f->row;
	size_t n = strlen(row->reply);

	attach(f);
	if (n && row->reply[n - 1] == '*') {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 1), row->reply);
		expect_prefix(f, row->packet, prefix);
	} else {
		expect(f, row->packet, row->reply);
	}
	/* Nothing moved, and the stub still answers. */
	assert_int_equal(f->t.resumes, 0);
	assert_int_equal(f->stub.state, GDB_STUB_STOPPED);
	expect(f, "m1000,2", "0001");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_with_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_ack_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nak_resends_last_packet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum_gets_nak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_packet_gets_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_is_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_packets_get_empty_reply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_to_running_vm_answers_at_the_stop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_deferred_to_the_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_mode_vcpu_gets_i8086_description, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_protected_mode_vcpu_gets_i386_description,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_configured_layout_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_after_the_vm_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_all_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_all_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_and_write_one_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_register_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_memory_clamps_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_memory_hex_and_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_software_breakpoint_hidden_in_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_software_breakpoint_done_by_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hardware_breakpoints_and_watchpoints, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_breakpoint_not_supported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breakpoint_warning_on_success, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vcont_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcont_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_continue_and_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int3_at_gdb_breakpoint_is_swbreak, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_int3_is_stepped_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_mode_pc_is_linear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_c_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_end_while_running_and_stopped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_removes_breakpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_while_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_while_running_no_breakpoints,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_gdb_while_detaching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_vcpus_thread_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_description_windows, setup, teardown),
		cmocka_unit_test(test_target_description_matches_registers),
		cmocka_unit_test(test_wire_layout),
		cmocka_unit_test(test_wire_truncates_wide_values),
		cmocka_unit_test(test_pc_is_linear_outside_64bit_code),
		cmocka_unit_test(test_x87_tag_words),
		cmocka_unit_test(test_hwbp_dr7_and_dr6),
		cmocka_unit_test(test_hwbp_unaligned_watch_takes_pieces),
	};
	struct CMUnitTest rows[ARRAY_SIZE(hostile_rows)];
	size_t i;
	int failed;

	for (i = 0; i < ARRAY_SIZE(hostile_rows); i++)
		rows[i] = (struct CMUnitTest){ .name = hostile_rows[i].name,
					       .test_func = test_hostile_row,
					       .setup_func = setup,
					       .teardown_func = teardown,
					       .initial_state = (void *)&hostile_rows[i] };
	failed = cmocka_run_group_tests_name("gdb_stub", tests, NULL, NULL);
	failed += _cmocka_run_group_tests("gdb_stub_hostile_packets", rows, ARRAY_SIZE(rows), NULL,
					  NULL);
	return failed;
}
