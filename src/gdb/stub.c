/* SPDX-License-Identifier: MIT */
/* The gdb stub's engine: gdb's packets in, replies out, the VM behind gdb_target_ops (GDB, E). */
#include "gdb/stub.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/*
 * 'E NN' replies carry an errno value (E.2 Standard Replies: gdb does not interpret
 * the number). qXfer's own error for a malformed request or unknown annex is E00.
 */
#define QXFER_E_MALFORMED "E00"
#define ERRNO_REPLY_MASK  0xff

/* What qSupported tells gdb (E.5 General Query Packets, qSupported). */
#define STUB_FEATURES "qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+"
/* gdb's 'g' reply, in hex, is one packet. */
_Static_assert(2 * GDB_REGS_WIRE_MAX <= GDB_RSP_PACKET_MAX, "the g packet fits a reply");

/* The PacketSize= item before STUB_FEATURES: "PacketSize=" and up to 16 hex digits and ';'. */
#define PACKET_SIZE_ITEM_MAX 32

/* The vCont actions we take (E.3 Packets, 'vCont?'). */
#define VCONT_ACTIONS "vCont;c;C;s;S;t"

/* Memory goes out as two hex digits a byte. */
#define HEX_PER_BYTE 2

/* Where hints and console messages say they come from. */
#define MESSAGE_PREFIX "mini-kvm: "

static void reset_session(struct gdb_stub *s)
{
	gdb_rsp_parser_init(&s->rx);
	s->no_ack = false;
	s->client_swbreak = false;
	s->client_hwbreak = false;
	s->client_error_text = false;
	s->has_deferred = false;
	s->arch_chosen = false;
	s->interrupt_sent = false;
	s->g_vcpu = 0;
	s->c_vcpu = -1;
	s->tx_len = 0;
	s->pending_hints[0] = '\0';
}

int gdb_stub_init(struct gdb_stub *stub, const struct gdb_stub_config *cfg)
{
	if (!cfg->ops || !cfg->ops->read_registers || !cfg->ops->read_memory)
		return error_set(EINVAL, "gdb stub: the target must read registers and memory");
	if (cfg->nvcpus < 1 || cfg->nvcpus > GDB_STUB_MAX_VCPUS)
		return error_set(EINVAL, "gdb stub: %u vCPUs (1 to %u)", cfg->nvcpus,
				 GDB_STUB_MAX_VCPUS);
	memset(stub, 0, sizeof(*stub));
	stub->cfg = *cfg;
	stub->state = GDB_STUB_DETACHED;
	stub->last_stop.kind = GDB_STOP_SIGNAL;
	stub->last_stop.signal = GDB_SIGNAL_TRAP;
	reset_session(stub);
	pthread_mutex_init(&stub->bp_lock, NULL);
	pthread_mutex_init(&stub->event_lock, NULL);
	return 0;
}

void gdb_stub_destroy(struct gdb_stub *stub)
{
	pthread_mutex_destroy(&stub->bp_lock);
	pthread_mutex_destroy(&stub->event_lock);
}

void gdb_stub_set_io(struct gdb_stub *stub, const struct gdb_stub_io *io)
{
	stub->io = *io;
}

/* ---- output ---- */

static int write_out(struct gdb_stub *s, const void *buf, size_t len)
{
	if (!s->io.write)
		return 0;
	return s->io.write(s->io.opaque, buf, len);
}

/* Frame and send s->reply; kept in s->tx for a '-'. */
static int send_reply(struct gdb_stub *s)
{
	ssize_t n;

	if (s->reply.overflow) {
		/* A handler's bug, not gdb's: still answer something valid. */
		gdb_rsp_buf_reset(&s->reply);
		gdb_rsp_put_str(&s->reply, "E.reply too long");
	}
	n = gdb_rsp_frame(s->reply.data, s->reply.len, s->tx, sizeof(s->tx));
	if (n < 0)
		return (int)n;
	s->tx_len = (size_t)n;
	return write_out(s, s->tx, s->tx_len);
}

static int send_str(struct gdb_stub *s, const char *text)
{
	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_str(&s->reply, text);
	return send_reply(s);
}

static int send_ok(struct gdb_stub *s)
{
	return send_str(s, "OK");
}

/* The empty reply: "not supported" (E.2 Standard Replies). */
static int send_empty(struct gdb_stub *s)
{
	return send_str(s, "");
}

/*
 * An error reply: "E.text" when text is given and allowed, else "E" and two hex
 * digits of err (a positive errno).
 */
static int send_error_text(struct gdb_stub *s, int err, const char *text, bool text_ok)
{
	char code[sizeof("Exx")];

	gdb_rsp_buf_reset(&s->reply);
	if (text && text_ok) {
		gdb_rsp_put_str(&s->reply, "E.");
		gdb_rsp_put_str(&s->reply, text);
		return send_reply(s);
	}
	snprintf(code, sizeof(code), "E%02x", err & ERRNO_REPLY_MASK);
	gdb_rsp_put_str(&s->reply, code);
	return send_reply(s);
}

static int send_error(struct gdb_stub *s, int err, const char *text)
{
	return send_error_text(s, err, text, true);
}

/* Console output for gdb's user: allowed only while gdb waits for a stop (E.4, 'O'). */
static int send_console(struct gdb_stub *s, const char *text)
{
	size_t n = strlen(text);

	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_str(&s->reply, "O");
	gdb_rsp_put_hex(&s->reply, text, n);
	if (n && text[n - 1] != '\n')
		gdb_rsp_put_hex(&s->reply, "\n", 1);
	return send_reply(s);
}

/* Add a hint for the next resume's console output, prefixed, one per line, truncated to fit. */
static void queue_hint(struct gdb_stub *s, const char *hint)
{
	size_t used = strlen(s->pending_hints);

	if (!hint || !*hint || used + 1 >= sizeof(s->pending_hints))
		return;
	snprintf(s->pending_hints + used, sizeof(s->pending_hints) - used, "%s%s%s",
		 used ? "\n" : "", MESSAGE_PREFIX, hint);
}

/* ---- stop replies (E.4 Stop Reply Packets) ---- */

static int send_stop_reply(struct gdb_stub *s)
{
	const struct gdb_stop *st = &s->last_stop;
	char head[sizeof("Txx")];
	int signal = GDB_SIGNAL_TRAP;

	gdb_rsp_buf_reset(&s->reply);
	switch (st->kind) {
	case GDB_STOP_EXITED:
		snprintf(head, sizeof(head), "W%02x", st->status & ERRNO_REPLY_MASK);
		gdb_rsp_put_str(&s->reply, head);
		return send_reply(s);
	case GDB_STOP_KILLED:
		snprintf(head, sizeof(head), "X%02x", st->signal & ERRNO_REPLY_MASK);
		gdb_rsp_put_str(&s->reply, head);
		return send_reply(s);
	case GDB_STOP_SIGNAL:
		signal = st->signal;
		break;
	default:
		break;
	}
	snprintf(head, sizeof(head), "T%02x", signal & ERRNO_REPLY_MASK);
	gdb_rsp_put_str(&s->reply, head);
	gdb_rsp_put_str(&s->reply, "thread:");
	gdb_rsp_put_hex_u64(&s->reply, s->last_vcpu + 1);
	gdb_rsp_put_str(&s->reply, ";");
	switch (st->kind) {
	case GDB_STOP_INT3:
		/* Only for a gdb that asked; the PC is at the int3 already (swbreak). */
		if (s->client_swbreak)
			gdb_rsp_put_str(&s->reply, "swbreak:;");
		break;
	case GDB_STOP_HWBREAK:
		if (s->client_hwbreak)
			gdb_rsp_put_str(&s->reply, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
	case GDB_STOP_RWATCH:
	case GDB_STOP_AWATCH:
		gdb_rsp_put_str(&s->reply, st->kind == GDB_STOP_WATCH	 ? "watch:"
					   : st->kind == GDB_STOP_RWATCH ? "rwatch:"
									 : "awatch:");
		gdb_rsp_put_hex_u64(&s->reply, st->addr);
		gdb_rsp_put_str(&s->reply, ";");
		break;
	default:
		break;
	}
	return send_reply(s);
}

/* ---- breakpoint table ---- */

static struct gdb_breakpoint *bp_find(struct gdb_stub *s, enum gdb_bp_type type, uint64_t addr,
				      uint64_t kind)
{
	size_t i;

	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS; i++) {
		struct gdb_breakpoint *bp = &s->bps[i];

		if (bp->used && bp->type == type && bp->addr == addr && bp->kind == kind)
			return bp;
	}
	return NULL;
}

static struct gdb_breakpoint *bp_free_slot(struct gdb_stub *s)
{
	size_t i;

	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS; i++) {
		if (!s->bps[i].used)
			return &s->bps[i];
	}
	return NULL;
}

bool gdb_stub_breakpoint_at(struct gdb_stub *stub, uint64_t addr)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&stub->bp_lock);
	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS && !found; i++) {
		const struct gdb_breakpoint *bp = &stub->bps[i];

		found = bp->used && bp->int3 && bp->addr == addr;
	}
	pthread_mutex_unlock(&stub->bp_lock);
	return found;
}

/* ---- memory, with gdb's int3s hidden (reads show, writes keep, the original bytes) ---- */

/* The length of [addr, addr + len) cut at the top of the address space. */
static size_t clamp_to_top(uint64_t addr, size_t len)
{
	uint64_t room = 0 - addr; /* bytes up to 2^64; 0 means all of it */

	if (addr && len > room)
		return (size_t)room;
	return len;
}

static ssize_t mem_read(struct gdb_stub *s, unsigned int vcpu, uint64_t addr, uint8_t *buf,
			size_t len)
{
	ssize_t n = s->cfg.ops->read_memory(s->cfg.target, vcpu, addr, buf, len);
	size_t i;

	if (n <= 0)
		return n ? n : -EFAULT;
	if ((size_t)n > len)
		n = (ssize_t)len; /* a target bug; never trust more than was asked */
	pthread_mutex_lock(&s->bp_lock);
	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS; i++) {
		const struct gdb_breakpoint *bp = &s->bps[i];

		if (bp->used && bp->int3 && bp->addr - addr < (uint64_t)n)
			buf[bp->addr - addr] = bp->shadow;
	}
	pthread_mutex_unlock(&s->bp_lock);
	return n;
}

/* Write all of buf (modified: int3s stay where gdb has breakpoints). 0 or -errno. */
static int mem_write(struct gdb_stub *s, unsigned int vcpu, uint64_t addr, uint8_t *buf, size_t len)
{
	ssize_t n;
	size_t i;

	if (!s->cfg.ops->write_memory)
		return -EROFS;
	if (clamp_to_top(addr, len) != len)
		return -EFAULT;
	pthread_mutex_lock(&s->bp_lock);
	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS; i++) {
		struct gdb_breakpoint *bp = &s->bps[i];

		if (bp->used && bp->int3 && bp->addr - addr < len) {
			bp->shadow = buf[bp->addr - addr];
			buf[bp->addr - addr] = GDB_X86_INT3;
		}
	}
	pthread_mutex_unlock(&s->bp_lock);
	n = s->cfg.ops->write_memory(s->cfg.target, vcpu, addr, buf, len);
	if (n < 0)
		return (int)n;
	return (size_t)n < len ? -EFAULT : 0;
}

/* ---- state helpers ---- */

/* Registers, memory and resuming need a live, stopped VM. */
static bool target_ready(const struct gdb_stub *s)
{
	return s->state == GDB_STUB_STOPPED && !s->vm_ended;
}

static int send_not_ready(struct gdb_stub *s)
{
	if (s->vm_ended)
		return send_error(s, ESRCH, "the VM has ended");
	return send_error(s, EBUSY, "the VM is not stopped");
}

/* ---- packet handlers (E.3 Packets) ---- */

static int handle_query_stop(struct gdb_stub *s)
{
	return send_stop_reply(s);
}

/*
 * This session's register layout: the configured one, or (AUTO) the one for the
 * mode of the vCPU gdb looks at, fixed from the first time gdb needs it on.
 */
static enum gdb_arch session_arch(struct gdb_stub *s)
{
	if (s->arch_chosen)
		return s->arch;
	s->arch = GDB_ARCH_X86_64;
	if (s->cfg.arch != GDB_ARCH_AUTO) {
		s->arch = s->cfg.arch;
	} else if (target_ready(s)) {
		memset(&s->regs, 0, sizeof(s->regs));
		if (s->cfg.ops->read_registers(s->cfg.target, s->g_vcpu, &s->regs) == 0)
			s->arch = gdb_regs_arch(&s->regs);
	}
	s->arch_chosen = true;
	return s->arch;
}

static int handle_read_registers(struct gdb_stub *s)
{
	uint8_t wire[GDB_REGS_WIRE_MAX];
	enum gdb_arch arch;
	size_t size;
	int ret;

	if (!target_ready(s))
		return send_not_ready(s);
	arch = session_arch(s);
	size = gdb_regs_wire_size(arch);
	memset(&s->regs, 0, sizeof(s->regs));
	ret = s->cfg.ops->read_registers(s->cfg.target, s->g_vcpu, &s->regs);
	if (ret < 0)
		return send_error(s, -ret, "cannot read the vCPU's registers");
	gdb_regs_to_wire(arch, &s->regs, wire);
	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_hex(&s->reply, wire, size);
	return send_reply(s);
}

/* Read-modify-write of g_vcpu's registers. */
static int load_registers(struct gdb_stub *s)
{
	memset(&s->regs, 0, sizeof(s->regs));
	return s->cfg.ops->read_registers(s->cfg.target, s->g_vcpu, &s->regs);
}

static int store_registers(struct gdb_stub *s)
{
	int ret = s->cfg.ops->write_registers(s->cfg.target, s->g_vcpu, &s->regs);

	if (ret < 0)
		return send_error(s, -ret, "cannot write the vCPU's registers");
	return send_ok(s);
}

static int handle_write_registers(struct gdb_stub *s, struct gdb_scan *sc)
{
	uint8_t wire[GDB_REGS_WIRE_MAX];
	enum gdb_arch arch;
	size_t size;
	ssize_t n;
	int ret;

	if (!target_ready(s))
		return send_not_ready(s);
	arch = session_arch(s);
	size = gdb_regs_wire_size(arch);
	if (!s->cfg.ops->write_registers)
		return send_error(s, EROFS, "registers are read-only here");
	n = gdb_hex_decode((const char *)sc->p, gdb_scan_left(sc), wire, sizeof(wire));
	if (n != (ssize_t)size)
		return send_error(s, EINVAL, "G needs every register, in hex");
	ret = load_registers(s);
	if (ret < 0)
		return send_error(s, -ret, "cannot read the vCPU's registers");
	gdb_regs_from_wire(arch, &s->regs, wire);
	return store_registers(s);
}

static int handle_read_register(struct gdb_stub *s, struct gdb_scan *sc)
{
	uint8_t value[GDB_REG_MAX_SIZE];
	uint64_t regno;
	ssize_t n;
	int ret;

	enum gdb_arch arch;

	if (gdb_scan_hex_u64(sc, &regno) || !gdb_scan_eof(sc))
		return send_error(s, EINVAL, "p needs a register number");
	if (!target_ready(s))
		return send_not_ready(s);
	arch = session_arch(s);
	if (regno >= gdb_regs_count(arch))
		return send_error(s, EINVAL, "no such register");
	ret = load_registers(s);
	if (ret < 0)
		return send_error(s, -ret, "cannot read the vCPU's registers");
	n = gdb_regs_get(arch, &s->regs, (unsigned int)regno, value);
	if (n < 0)
		return send_error(s, EINVAL, "no such register");
	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_hex(&s->reply, value, (size_t)n);
	return send_reply(s);
}

static int handle_write_register(struct gdb_stub *s, struct gdb_scan *sc)
{
	uint8_t value[GDB_REG_MAX_SIZE];
	uint64_t regno;
	ssize_t n;
	int ret;

	enum gdb_arch arch;

	if (gdb_scan_hex_u64(sc, &regno) || gdb_scan_char(sc, '='))
		return send_error(s, EINVAL, "P needs n=value");
	if (!target_ready(s))
		return send_not_ready(s);
	arch = session_arch(s);
	if (regno >= gdb_regs_count(arch))
		return send_error(s, EINVAL, "no such register");
	n = gdb_hex_decode((const char *)sc->p, gdb_scan_left(sc), value, sizeof(value));
	if (n < 0 || (size_t)n != gdb_regs_size(arch, (unsigned int)regno))
		return send_error(s, EINVAL, "wrong size for this register");
	if (!s->cfg.ops->write_registers)
		return send_error(s, EROFS, "registers are read-only here");
	ret = load_registers(s);
	if (ret < 0)
		return send_error(s, -ret, "cannot read the vCPU's registers");
	if (gdb_regs_set(arch, &s->regs, (unsigned int)regno, value, (size_t)n))
		return send_error(s, EINVAL, "wrong size for this register");
	return store_registers(s);
}

/* "addr,length" as m, M and X start. */
static int scan_addr_length(struct gdb_scan *sc, uint64_t *addr, uint64_t *length)
{
	if (gdb_scan_hex_u64(sc, addr) || gdb_scan_char(sc, ',') || gdb_scan_hex_u64(sc, length))
		return -EINVAL;
	return 0;
}

static int handle_read_memory(struct gdb_stub *s, struct gdb_scan *sc)
{
	uint64_t addr, length;
	ssize_t n;

	if (scan_addr_length(sc, &addr, &length) || !gdb_scan_eof(sc))
		return send_error_text(s, EINVAL, "m needs addr,length", s->client_error_text);
	if (!target_ready(s))
		return send_error_text(s, s->vm_ended ? ESRCH : EBUSY, "the VM is not stopped",
				       s->client_error_text);
	if (length == 0)
		return send_str(s, "");
	/* Fewer bytes than asked is a valid reply (E.3, 'm'): one reply's worth of hex. */
	if (length > sizeof(s->mem) / HEX_PER_BYTE)
		length = sizeof(s->mem) / HEX_PER_BYTE;
	length = clamp_to_top(addr, (size_t)length);
	n = mem_read(s, s->g_vcpu, addr, s->mem, (size_t)length);
	if (n < 0)
		return send_error_text(s, (int)-n, "cannot access memory at this address",
				       s->client_error_text);
	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_hex(&s->reply, s->mem, (size_t)n);
	return send_reply(s);
}

static int finish_write(struct gdb_stub *s, uint64_t addr, size_t len)
{
	int ret;

	if (!target_ready(s))
		return send_not_ready(s);
	ret = mem_write(s, s->g_vcpu, addr, s->mem, len);
	if (ret < 0)
		return send_error(s, -ret, "cannot write memory at this address");
	return send_ok(s);
}

static int handle_write_memory_hex(struct gdb_stub *s, struct gdb_scan *sc)
{
	uint64_t addr, length;
	ssize_t n;

	if (scan_addr_length(sc, &addr, &length) || gdb_scan_char(sc, ':'))
		return send_error(s, EINVAL, "M needs addr,length:XX...");
	n = gdb_hex_decode((const char *)sc->p, gdb_scan_left(sc), s->mem, sizeof(s->mem));
	if (n < 0 || (uint64_t)n != length)
		return send_error(s, EINVAL, "M's data does not match its length");
	if (length == 0)
		return send_ok(s);
	return finish_write(s, addr, (size_t)length);
}

static int handle_write_memory_binary(struct gdb_stub *s, struct gdb_scan *sc)
{
	uint64_t addr, length;
	size_t n;

	if (scan_addr_length(sc, &addr, &length) || gdb_scan_char(sc, ':'))
		return send_error(s, EINVAL, "X needs addr,length:data");
	n = gdb_scan_left(sc);
	if (n != length || n > sizeof(s->mem))
		return send_error(s, EINVAL, "X's data does not match its length");
	if (length == 0)
		return send_ok(s); /* gdb's probe for X support */
	memcpy(s->mem, sc->p, n);
	return finish_write(s, addr, n);
}

/* ---- resuming ---- */

/* Tell the target to run with s->actions; gdb's next reply is the stop reply. */
static int start_resume(struct gdb_stub *s)
{
	int ret;

	if (s->pending_hints[0]) {
		ret = send_console(s, s->pending_hints);
		s->pending_hints[0] = '\0';
		if (ret < 0)
			return ret;
	}
	if (!s->cfg.ops->resume)
		return send_error(s, ENOTSUP, "this target cannot run");
	s->state = GDB_STUB_RUNNING;
	s->interrupt_sent = false;
	ret = s->cfg.ops->resume(s->cfg.target, s->actions);
	if (ret < 0) {
		s->state = GDB_STUB_STOPPED;
		return send_error(s, -ret, "the VM could not be resumed");
	}
	return 0;
}

/* Set vCPU's program counter (linear) for c/s with an address. 0 or an error reply's result. */
static int set_resume_pc(struct gdb_stub *s, unsigned int vcpu, uint64_t pc, bool *replied)
{
	unsigned int saved = s->g_vcpu;
	int ret;

	*replied = false;
	if (!s->cfg.ops->write_registers) {
		*replied = true;
		return send_error(s, EROFS, "registers are read-only here");
	}
	s->g_vcpu = vcpu;
	ret = load_registers(s);
	if (ret >= 0) {
		gdb_regs_set_pc(&s->regs, pc);
		ret = s->cfg.ops->write_registers(s->cfg.target, vcpu, &s->regs);
	}
	s->g_vcpu = saved;
	if (ret < 0) {
		*replied = true;
		return send_error(s, -ret, "cannot set the program counter");
	}
	return 0;
}

/* Legacy c, s, C sig, S sig, each with an optional address (E.3 Packets). */
static int handle_legacy_resume(struct gdb_stub *s, char cmd, struct gdb_scan *sc)
{
	bool step = cmd == 's' || cmd == 'S', has_addr = false, replied;
	unsigned int vcpu = s->c_vcpu >= 0 ? (unsigned int)s->c_vcpu : s->last_vcpu, i;
	uint64_t sig, addr = 0;
	int ret;

	if (cmd == 'C' || cmd == 'S') {
		/* The signal is for a process; a VM has none to deliver: ignored. */
		if (gdb_scan_hex_u64(sc, &sig))
			return send_error(s, EINVAL, "C/S need a signal");
		if (!gdb_scan_eof(sc)) {
			if (gdb_scan_char(sc, ';'))
				return send_error(s, EINVAL, "C/S sig[;addr]");
			has_addr = true;
		}
	} else if (!gdb_scan_eof(sc)) {
		has_addr = true;
	}
	if (has_addr && (gdb_scan_hex_u64(sc, &addr) || !gdb_scan_eof(sc)))
		return send_error(s, EINVAL, "bad resume address");
	if (s->vm_ended && s->state == GDB_STUB_STOPPED)
		return send_stop_reply(s);
	if (!target_ready(s))
		return send_not_ready(s);
	if (has_addr) {
		ret = set_resume_pc(s, vcpu, addr, &replied);
		if (replied)
			return ret;
	}
	for (i = 0; i < s->cfg.nvcpus; i++) {
		if (step)
			s->actions[i] = i == vcpu ? GDB_RESUME_STEP : GDB_RESUME_STAY;
		else if (s->c_vcpu >= 0)
			s->actions[i] = i == vcpu ? GDB_RESUME_CONTINUE : GDB_RESUME_STAY;
		else
			s->actions[i] = GDB_RESUME_CONTINUE;
	}
	return start_resume(s);
}

/*
 * vCont;action[:thread-id]... (E.3 Packets, 'vCont'): for each vCPU the leftmost
 * matching action applies; an action without thread-id matches all; vCPUs that
 * match none stay stopped (all-stop).
 */
static int handle_vcont(struct gdb_stub *s, struct gdb_scan *sc)
{
	bool decided[GDB_STUB_MAX_VCPUS] = { false }, any_runs = false, any_action = false;
	unsigned int i;

	if (gdb_scan_char(sc, '?') == 0) {
		if (!gdb_scan_eof(sc))
			return send_error(s, EINVAL, "vCont? takes nothing");
		return send_str(s, VCONT_ACTIONS);
	}
	for (i = 0; i < s->cfg.nvcpus; i++)
		s->actions[i] = GDB_RESUME_STAY;
	while (!gdb_scan_eof(sc)) {
		enum gdb_resume action;
		int64_t tid = -1;
		uint64_t sig;
		char a;

		if (gdb_scan_char(sc, ';') || gdb_scan_eof(sc))
			return send_error(s, EINVAL, "vCont needs ;action");
		a = (char)*sc->p++;
		switch (a) {
		case 'c':
			action = GDB_RESUME_CONTINUE;
			break;
		case 's':
			action = GDB_RESUME_STEP;
			break;
		case 't':
			action = GDB_RESUME_STAY;
			break;
		case 'C':
		case 'S':
			/* A VM has no signal to deliver: as c and s. */
			if (gdb_scan_hex_u64(sc, &sig))
				return send_error(s, EINVAL, "vCont C/S need a signal");
			action = a == 'C' ? GDB_RESUME_CONTINUE : GDB_RESUME_STEP;
			break;
		default:
			return send_error(s, EINVAL, "unknown vCont action");
		}
		if (gdb_scan_char(sc, ':') == 0) {
			if (gdb_scan_thread_id(sc, &tid) || tid == 0)
				return send_error(s, EINVAL, "bad thread-id in vCont");
			if (tid > 0 && (uint64_t)tid > s->cfg.nvcpus)
				return send_error(s, ESRCH, "no such thread");
		}
		any_action = true;
		for (i = 0; i < s->cfg.nvcpus; i++) {
			if (decided[i] || (tid > 0 && (uint64_t)tid != i + 1))
				continue;
			decided[i] = true;
			s->actions[i] = action;
		}
	}
	if (!any_action)
		return send_error(s, EINVAL, "vCont needs an action");
	if (s->vm_ended && s->state == GDB_STUB_STOPPED)
		return send_stop_reply(s);
	if (!target_ready(s))
		return send_not_ready(s);
	for (i = 0; i < s->cfg.nvcpus; i++)
		any_runs |= s->actions[i] != GDB_RESUME_STAY;
	if (!any_runs)
		return send_error(s, EINVAL, "vCont resumes no thread");
	return start_resume(s);
}

/* ---- breakpoints (E.3 Packets, 'Z'/'z') ---- */

static int bp_error(struct gdb_stub *s, int err, const char *hint)
{
	if (hint) {
		queue_hint(s, hint);
		return send_error(s, err, hint);
	}
	if (err == ENOSPC)
		return send_error(s, err, "no free debug register (DR0-DR3 are in use)");
	return send_error(s, err, strerror(err));
}

static int insert_sw(struct gdb_stub *s, struct gdb_breakpoint *bp)
{
	uint8_t original, int3 = GDB_X86_INT3;
	ssize_t n;

	n = s->cfg.ops->read_memory(s->cfg.target, s->g_vcpu, bp->addr, &original, 1);
	if (n != 1)
		return n < 0 ? (int)n : -EFAULT;
	if (!s->cfg.ops->write_memory)
		return -EROFS;
	n = s->cfg.ops->write_memory(s->cfg.target, s->g_vcpu, bp->addr, &int3, 1);
	if (n != 1)
		return n < 0 ? (int)n : -EFAULT;
	bp->shadow = original;
	bp->vcpu = s->g_vcpu;
	bp->int3 = true;
	return 0;
}

static int handle_insert_breakpoint(struct gdb_stub *s, enum gdb_bp_type type, uint64_t addr,
				    uint64_t kind)
{
	struct gdb_breakpoint *bp,
		fresh = { .used = true, .type = type, .addr = addr, .kind = kind };
	const char *hint = NULL;
	int ret;

	if (type == GDB_BP_SW && kind != GDB_X86_INT3_KIND)
		return send_error(s, EINVAL, "x86 software breakpoints are 1 byte");
	if (bp_find(s, type, addr, kind))
		return send_ok(s); /* idempotent: gdb may resend */
	if (!bp_free_slot(s))
		return send_error(s, ENOSPC, "too many breakpoints");
	if (s->cfg.ops->insert_breakpoint)
		ret = s->cfg.ops->insert_breakpoint(s->cfg.target, type, addr, kind, &hint);
	else
		ret = type == GDB_BP_SW ? 0 : -ENOTSUP;
	if (ret == -ENOTSUP && !hint)
		return send_empty(s); /* gdb falls back: its own int3, software watchpoints */
	if (ret < 0)
		return bp_error(s, -ret, hint);
	if (type == GDB_BP_SW && ret != GDB_BP_DONE_BY_TARGET) {
		ret = insert_sw(s, &fresh);
		if (ret < 0) {
			if (s->cfg.ops->remove_breakpoint)
				s->cfg.ops->remove_breakpoint(s->cfg.target, type, addr, kind);
			return send_error(s, -ret, "cannot write int3 at this address");
		}
	}
	pthread_mutex_lock(&s->bp_lock);
	bp = bp_free_slot(s);
	*bp = fresh;
	pthread_mutex_unlock(&s->bp_lock);
	queue_hint(s, hint);
	return send_ok(s);
}

/* Undo one breakpoint: the original byte back, the target told. 0 or -errno. */
static int remove_one(struct gdb_stub *s, struct gdb_breakpoint *bp)
{
	struct gdb_breakpoint copy = *bp;
	ssize_t n;

	if (copy.int3 && s->cfg.ops->write_memory) {
		n = s->cfg.ops->write_memory(s->cfg.target, copy.vcpu, copy.addr, &copy.shadow, 1);
		if (n != 1)
			return n < 0 ? (int)n : -EFAULT;
	}
	pthread_mutex_lock(&s->bp_lock);
	bp->used = false;
	pthread_mutex_unlock(&s->bp_lock);
	if (s->cfg.ops->remove_breakpoint)
		return s->cfg.ops->remove_breakpoint(s->cfg.target, copy.type, copy.addr,
						     copy.kind);
	return 0;
}

static int handle_remove_breakpoint(struct gdb_stub *s, enum gdb_bp_type type, uint64_t addr,
				    uint64_t kind)
{
	struct gdb_breakpoint *bp = bp_find(s, type, addr, kind);
	int ret;

	if (!bp)
		return send_ok(s); /* idempotent */
	ret = remove_one(s, bp);
	if (ret < 0)
		return send_error(s, -ret, "cannot remove the breakpoint");
	return send_ok(s);
}

static int handle_breakpoint(struct gdb_stub *s, char cmd, struct gdb_scan *sc)
{
	uint64_t type, addr, kind;

	if (gdb_scan_hex_u64(sc, &type) || gdb_scan_char(sc, ',') || gdb_scan_hex_u64(sc, &addr) ||
	    gdb_scan_char(sc, ',') || gdb_scan_hex_u64(sc, &kind) || !gdb_scan_eof(sc))
		return send_error(s, EINVAL, "Z/z need type,addr,kind");
	if (type >= GDB_BP_TYPES)
		return send_empty(s); /* a type we do not know (E.3: empty reply) */
	if (!target_ready(s))
		return send_not_ready(s);
	if (cmd == 'Z')
		return handle_insert_breakpoint(s, (enum gdb_bp_type)type, addr, kind);
	return handle_remove_breakpoint(s, (enum gdb_bp_type)type, addr, kind);
}

static void remove_all_breakpoints(struct gdb_stub *s)
{
	size_t i;

	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS; i++) {
		if (s->bps[i].used && remove_one(s, &s->bps[i]) < 0) {
			/* The page went away: forget it rather than fail the detach. */
			pthread_mutex_lock(&s->bp_lock);
			s->bps[i].used = false;
			pthread_mutex_unlock(&s->bp_lock);
		}
	}
}

static bool any_breakpoint(const struct gdb_stub *s)
{
	size_t i;

	for (i = 0; i < GDB_STUB_MAX_BREAKPOINTS; i++) {
		if (s->bps[i].used)
			return true;
	}
	return false;
}

/* Take the breakpoints out and let the VM go: the end of a session, the VM stopped. */
static void finish_detach(struct gdb_stub *s)
{
	if (!s->vm_ended) {
		remove_all_breakpoints(s);
		if (s->cfg.ops->detach)
			s->cfg.ops->detach(s->cfg.target);
	}
	s->state = GDB_STUB_DETACHED;
}

/* ---- threads ---- */

static int handle_set_thread(struct gdb_stub *s, struct gdb_scan *sc)
{
	int64_t tid;
	char which;

	if (gdb_scan_eof(sc))
		return send_error(s, EINVAL, "H needs g or c");
	which = (char)*sc->p++;
	if ((which != 'g' && which != 'c') || gdb_scan_thread_id(sc, &tid) || !gdb_scan_eof(sc))
		return send_error(s, EINVAL, "H needs g or c and a thread-id");
	if (tid > 0 && (uint64_t)tid > s->cfg.nvcpus)
		return send_error(s, ESRCH, "no such thread");
	if (which == 'g') {
		/* 0 (any) and -1 (all) keep the current one for registers and memory. */
		if (tid > 0)
			s->g_vcpu = (unsigned int)(tid - 1);
	} else {
		s->c_vcpu = tid > 0 ? (int)(tid - 1) : -1;
	}
	return send_ok(s);
}

static int handle_thread_alive(struct gdb_stub *s, struct gdb_scan *sc)
{
	int64_t tid;

	if (gdb_scan_thread_id(sc, &tid) || !gdb_scan_eof(sc))
		return send_error(s, EINVAL, "T needs a thread-id");
	if (tid < 1 || (uint64_t)tid > s->cfg.nvcpus)
		return send_error(s, ESRCH, "no such thread");
	return send_ok(s);
}

static int handle_thread_list(struct gdb_stub *s)
{
	unsigned int i;

	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_str(&s->reply, "m");
	for (i = 0; i < s->cfg.nvcpus; i++) {
		if (i)
			gdb_rsp_put_str(&s->reply, ",");
		gdb_rsp_put_hex_u64(&s->reply, i + 1);
	}
	return send_reply(s);
}

static int handle_thread_extra_info(struct gdb_stub *s, struct gdb_scan *sc)
{
	char text[32];
	int64_t tid;

	if (gdb_scan_thread_id(sc, &tid) || !gdb_scan_eof(sc))
		return send_error(s, EINVAL, "qThreadExtraInfo needs a thread-id");
	if (tid < 1 || (uint64_t)tid > s->cfg.nvcpus)
		return send_error(s, ESRCH, "no such thread");
	snprintf(text, sizeof(text), "vCPU %u", (unsigned int)(tid - 1));
	gdb_rsp_buf_reset(&s->reply);
	gdb_rsp_put_hex(&s->reply, text, strlen(text));
	return send_reply(s);
}

/* ---- queries (E.5 General Query Packets) ---- */

static bool feature_is(const uint8_t *f, size_t n, const char *name)
{
	return n == strlen(name) && !memcmp(f, name, n);
}

/* gdb's features in "qSupported:f1;f2...": the ones we act on. Unknown ones are ignored. */
static int handle_supported(struct gdb_stub *s, struct gdb_scan *sc)
{
	char reply[PACKET_SIZE_ITEM_MAX + sizeof(STUB_FEATURES)];

	s->client_swbreak = s->client_hwbreak = s->client_error_text = false;
	if (gdb_scan_char(sc, ':') == 0) {
		while (!gdb_scan_eof(sc)) {
			const uint8_t *f;
			size_t n = gdb_scan_until(sc, ';', &f);

			if (feature_is(f, n, "swbreak+"))
				s->client_swbreak = true;
			else if (feature_is(f, n, "hwbreak+"))
				s->client_hwbreak = true;
			else if (feature_is(f, n, "error-message+"))
				s->client_error_text = true;
			gdb_scan_char(sc, ';');
		}
	} else if (!gdb_scan_eof(sc)) {
		return send_error(s, EINVAL, "qSupported[:features]");
	}
	snprintf(reply, sizeof(reply), "PacketSize=%x;%s", GDB_RSP_PACKET_MAX, STUB_FEATURES);
	return send_str(s, reply);
}

/* qXfer:features:read:annex:offset,length (E.5, qXfer; G Target Descriptions). */
static int handle_features_read(struct gdb_stub *s, struct gdb_scan *sc)
{
	const uint8_t *annex;
	const char *doc;
	size_t annex_len, doc_len, chunk, fit;
	uint64_t offset, length;

	annex_len = gdb_scan_until(sc, ':', &annex);
	if (gdb_scan_char(sc, ':') || gdb_scan_hex_u64(sc, &offset) || gdb_scan_char(sc, ',') ||
	    gdb_scan_hex_u64(sc, &length) || !gdb_scan_eof(sc))
		return send_str(s, QXFER_E_MALFORMED);
	doc = gdb_tdesc_document(session_arch(s), (const char *)annex, annex_len, &doc_len);
	if (!doc)
		return send_str(s, QXFER_E_MALFORMED);
	gdb_rsp_buf_reset(&s->reply);
	if (offset >= doc_len) {
		gdb_rsp_put_str(&s->reply, "l");
		return send_reply(s);
	}
	chunk = doc_len - (size_t)offset;
	if (length < chunk)
		chunk = (size_t)length;
	/* One byte for 'm'/'l'; escapes may shorten what fits. */
	fit = gdb_rsp_binary_fit(doc + offset, chunk, gdb_rsp_buf_room(&s->reply) - 1);
	gdb_rsp_put_str(&s->reply, offset + fit == doc_len ? "l" : "m");
	gdb_rsp_put_binary(&s->reply, doc + offset, fit);
	return send_reply(s);
}

static int handle_q(struct gdb_stub *s, struct gdb_scan *sc)
{
	if (gdb_scan_prefix(sc, "Supported"))
		return handle_supported(s, sc);
	if (gdb_scan_prefix(sc, "Xfer:features:read:"))
		return handle_features_read(s, sc);
	if (gdb_scan_prefix(sc, "Attached"))
		return send_str(s, "1"); /* attached to a running VM: quitting gdb detaches */
	if (gdb_scan_prefix(sc, "fThreadInfo") && gdb_scan_eof(sc))
		return handle_thread_list(s);
	if (gdb_scan_prefix(sc, "sThreadInfo") && gdb_scan_eof(sc))
		return send_str(s, "l");
	if (gdb_scan_prefix(sc, "ThreadExtraInfo,"))
		return handle_thread_extra_info(s, sc);
	if (gdb_scan_prefix(sc, "C") && gdb_scan_eof(sc)) {
		gdb_rsp_buf_reset(&s->reply);
		gdb_rsp_put_str(&s->reply, "QC");
		gdb_rsp_put_hex_u64(&s->reply, s->last_vcpu + 1);
		return send_reply(s);
	}
	return send_empty(s);
}

static int handle_detach(struct gdb_stub *s)
{
	int ret;

	finish_detach(s);
	ret = send_ok(s);
	return ret < 0 ? ret : GDB_STUB_CLOSE;
}

static int handle_kill(struct gdb_stub *s)
{
	/* No reply: gdb does not wait for one (E.3, 'k'). */
	if (!s->vm_ended && s->cfg.ops->kill)
		s->cfg.ops->kill(s->cfg.target);
	s->state = GDB_STUB_DETACHED;
	return GDB_STUB_CLOSE;
}

static int handle_packet(struct gdb_stub *s, const uint8_t *data, size_t len)
{
	struct gdb_scan sc;
	char cmd;

	if (s->state == GDB_STUB_ATTACHING) {
		/* Until the VM has stopped; gdb sends one packet and waits. */
		if (s->has_deferred)
			return send_error(s, EBUSY, "the VM is still stopping");
		memcpy(s->deferred, data, len);
		s->deferred_len = len;
		s->has_deferred = true;
		return 0;
	}
	if (len == 0)
		return send_empty(s);
	if (s->state != GDB_STUB_STOPPED)
		/* gdb waits for a stop reply and sends nothing but Ctrl-C. */
		return send_error(s, EBUSY, "the VM is running");
	cmd = (char)data[0];
	gdb_scan_init(&sc, data + 1, len - 1);
	switch (cmd) {
	case '?':
		return handle_query_stop(s);
	case 'g':
		return gdb_scan_eof(&sc) ? handle_read_registers(s)
					 : send_error(s, EINVAL, "g takes nothing");
	case 'G':
		return handle_write_registers(s, &sc);
	case 'p':
		return handle_read_register(s, &sc);
	case 'P':
		return handle_write_register(s, &sc);
	case 'm':
		return handle_read_memory(s, &sc);
	case 'M':
		return handle_write_memory_hex(s, &sc);
	case 'X':
		return handle_write_memory_binary(s, &sc);
	case 'c':
	case 's':
	case 'C':
	case 'S':
		return handle_legacy_resume(s, cmd, &sc);
	case 'v':
		if (gdb_scan_prefix(&sc, "Cont"))
			return handle_vcont(s, &sc);
		return send_empty(s);
	case 'q':
		return handle_q(s, &sc);
	case 'Q':
		if (gdb_scan_prefix(&sc, "StartNoAckMode") && gdb_scan_eof(&sc)) {
			/* This OK still travels with acks on; from here on, none (E.12). */
			int ret = send_ok(s);

			s->no_ack = true;
			return ret;
		}
		return send_empty(s);
	case 'H':
		return handle_set_thread(s, &sc);
	case 'T':
		return handle_thread_alive(s, &sc);
	case 'Z':
	case 'z':
		return handle_breakpoint(s, cmd, &sc);
	case 'D':
		return handle_detach(s);
	case 'k':
		return handle_kill(s);
	default:
		return send_empty(s);
	}
}

/* ---- the driving thread's entry points ---- */

void gdb_stub_attach(struct gdb_stub *stub)
{
	bool stopping = stub->state == GDB_STUB_DETACHING;

	reset_session(stub);
	if (stub->vm_ended) {
		stub->state = GDB_STUB_STOPPED; /* '?' answers W or X */
		return;
	}
	stub->state = GDB_STUB_ATTACHING;
	if (stopping)
		return; /* the stop asked for by the last detach is on its way */
	pthread_mutex_lock(&stub->event_lock);
	stub->event_pending = false; /* a stale stop from no session */
	pthread_mutex_unlock(&stub->event_lock);
	if (!stub->cfg.ops->interrupt) {
		stub->state = GDB_STUB_STOPPED;
		return;
	}
	stub->cfg.ops->interrupt(stub->cfg.target);
}

int gdb_stub_input(struct gdb_stub *stub, const void *buf, size_t n)
{
	const uint8_t *bytes = buf;
	size_t i;
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		switch (gdb_rsp_parser_feed(&stub->rx, bytes[i])) {
		case GDB_RSP_EV_NONE:
		case GDB_RSP_EV_ACK:
			break;
		case GDB_RSP_EV_NAK:
			if (!stub->no_ack && stub->tx_len)
				ret = write_out(stub, stub->tx, stub->tx_len);
			break;
		case GDB_RSP_EV_INTERRUPT:
			if (stub->state == GDB_STUB_RUNNING && !stub->vm_ended &&
			    stub->cfg.ops->interrupt) {
				stub->interrupt_sent = true;
				stub->cfg.ops->interrupt(stub->cfg.target);
			}
			break;
		case GDB_RSP_EV_BAD_CHECKSUM:
			/* With acks, ask again; without, gdb would wait forever: say so. */
			if (!stub->no_ack)
				ret = write_out(stub, "-", 1);
			else
				ret = send_error(stub, EIO, "bad checksum");
			break;
		case GDB_RSP_EV_BAD_PACKET:
			if (!stub->no_ack)
				ret = write_out(stub, "+", 1);
			if (ret == 0)
				ret = send_error(stub, EINVAL, stub->rx.error);
			break;
		case GDB_RSP_EV_PACKET:
			if (!stub->no_ack)
				ret = write_out(stub, "+", 1);
			if (ret == 0)
				ret = handle_packet(stub, stub->rx.data, stub->rx.len);
			break;
		}
	}
	return ret;
}

void gdb_stub_stopped(struct gdb_stub *stub, unsigned int vcpu, const struct gdb_stop *stop)
{
	pthread_mutex_lock(&stub->event_lock);
	if (stop->kind == GDB_STOP_EXITED || stop->kind == GDB_STOP_KILLED) {
		stub->end_pending = true;
		stub->end_event = *stop;
		stub->end_event.message = NULL;
	} else if (!stub->event_pending) {
		stub->event_pending = true;
		stub->event_vcpu = vcpu;
		stub->event = *stop;
		snprintf(stub->event_message, sizeof(stub->event_message), "%s",
			 stop->message ? stop->message : "");
		stub->event.message = NULL;
	}
	pthread_mutex_unlock(&stub->event_lock);
	if (stub->io.wake)
		stub->io.wake(stub->io.opaque);
}

/* The instruction length of the int3 at pc: 1 (cc), 2 (cd 03), or 0 if it is neither. */
static unsigned int int3_length(struct gdb_stub *s, unsigned int vcpu, uint64_t pc)
{
	uint8_t insn[GDB_X86_INT_IMM8_LEN];
	ssize_t n = mem_read(s, vcpu, pc, insn, sizeof(insn));

	if (n >= GDB_X86_INT3_LEN && insn[0] == GDB_X86_INT3)
		return GDB_X86_INT3_LEN;
	if (n == GDB_X86_INT_IMM8_LEN && insn[0] == GDB_X86_INT_IMM8 &&
	    insn[1] == GDB_X86_BP_VECTOR)
		return GDB_X86_INT_IMM8_LEN;
	return 0;
}

/*
 * Turn a reported stop into what gdb is told: interrupts and steps as signals; an
 * int3 at one of gdb's breakpoints stays GDB_STOP_INT3 (swbreak), any other is the
 * guest's own: stepped over and reported as SIGTRAP, as a process's would be.
 */
static void resolve_stop(struct gdb_stub *s, unsigned int vcpu, struct gdb_stop *st)
{
	unsigned int len;
	uint64_t pc;

	switch (st->kind) {
	case GDB_STOP_INTERRUPTED:
		st->kind = GDB_STOP_SIGNAL;
		st->signal = s->interrupt_sent ? GDB_SIGNAL_INT : GDB_SIGNAL_TRAP;
		break;
	case GDB_STOP_STEP:
		st->kind = GDB_STOP_SIGNAL;
		st->signal = GDB_SIGNAL_TRAP;
		break;
	case GDB_STOP_INT3:
		memset(&s->regs, 0, sizeof(s->regs));
		if (s->cfg.ops->read_registers(s->cfg.target, vcpu, &s->regs) < 0)
			goto trap;
		pc = gdb_regs_pc(&s->regs);
		if (gdb_stub_breakpoint_at(s, pc))
			break;
		len = int3_length(s, vcpu, pc);
		if (len && s->cfg.ops->write_registers) {
			gdb_regs_set_pc(&s->regs, pc + len);
			s->cfg.ops->write_registers(s->cfg.target, vcpu, &s->regs);
		}
	trap:
		st->kind = GDB_STOP_SIGNAL;
		st->signal = GDB_SIGNAL_TRAP;
		break;
	default:
		break;
	}
}

/* The packet that came while attaching, now that the VM is stopped. */
static int replay_deferred(struct gdb_stub *s)
{
	if (!s->has_deferred)
		return 0;
	s->has_deferred = false;
	return handle_packet(s, s->deferred, s->deferred_len);
}

static int deliver_stop(struct gdb_stub *s, unsigned int vcpu, struct gdb_stop *st,
			const char *message)
{
	enum gdb_stub_state before = s->state;
	int ret = 0;

	if (before == GDB_STUB_DETACHING) {
		s->state = GDB_STUB_STOPPED;
		finish_detach(s);
		return 0;
	}
	if (before != GDB_STUB_RUNNING && before != GDB_STUB_ATTACHING)
		return 0; /* nobody waits for it: a stale or duplicate report */
	if (vcpu >= s->cfg.nvcpus)
		vcpu = 0;
	if (before == GDB_STUB_ATTACHING)
		remove_all_breakpoints(s); /* left by a session that vanished while running */
	/* The VM is stopped from here on: the target may be asked about it. */
	s->state = GDB_STUB_STOPPED;
	resolve_stop(s, vcpu, st);
	s->last_stop = *st;
	s->last_vcpu = vcpu;
	s->g_vcpu = vcpu;
	if (before == GDB_STUB_RUNNING) {
		if (message && *message)
			ret = send_console(s, message);
		if (ret == 0)
			ret = send_stop_reply(s);
	} else {
		ret = replay_deferred(s);
	}
	return ret;
}

static int deliver_end(struct gdb_stub *s, const struct gdb_stop *st)
{
	enum gdb_stub_state before = s->state;

	s->vm_ended = true;
	s->last_stop = *st;
	if (before == GDB_STUB_DETACHED || before == GDB_STUB_DETACHING) {
		s->state = GDB_STUB_DETACHED;
		return 0;
	}
	s->state = GDB_STUB_STOPPED;
	if (before == GDB_STUB_RUNNING)
		return send_stop_reply(s);
	if (before == GDB_STUB_ATTACHING)
		return replay_deferred(s);
	return 0; /* gdb hears of it at its next resume or '?' */
}

int gdb_stub_poll(struct gdb_stub *stub)
{
	struct gdb_stop event, end;
	char message[GDB_STUB_MESSAGE_MAX];
	bool have_event, have_end;
	unsigned int vcpu;

	pthread_mutex_lock(&stub->event_lock);
	have_event = stub->event_pending;
	have_end = stub->end_pending;
	event = stub->event;
	end = stub->end_event;
	vcpu = stub->event_vcpu;
	memcpy(message, stub->event_message, sizeof(message));
	stub->event_pending = stub->end_pending = false;
	pthread_mutex_unlock(&stub->event_lock);

	if (have_end)
		return deliver_end(stub, &end); /* the end makes any stop moot */
	if (have_event && !stub->vm_ended)
		return deliver_stop(stub, vcpu, &event, message);
	return 0;
}

void gdb_stub_detach(struct gdb_stub *stub)
{
	switch (stub->state) {
	case GDB_STUB_DETACHED:
	case GDB_STUB_DETACHING:
		return;
	case GDB_STUB_STOPPED:
		finish_detach(stub);
		return;
	case GDB_STUB_RUNNING:
		if (stub->vm_ended || !any_breakpoint(stub) || !stub->cfg.ops->interrupt) {
			finish_detach(stub);
			return;
		}
		/* int3s cannot be taken out under running vCPUs: stop them first. */
		stub->state = GDB_STUB_DETACHING;
		stub->cfg.ops->interrupt(stub->cfg.target);
		return;
	case GDB_STUB_ATTACHING:
		/* The stop asked for at attach finishes the detach. */
		stub->state = GDB_STUB_DETACHING;
		return;
	}
}
