/* SPDX-License-Identifier: MIT */
/* The gdb stub's protocol engine: packets in, replies out, the target behind ops; no KVM. */
#ifndef MINI_KVM_GDB_STUB_H
#define MINI_KVM_GDB_STUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gdb/regs.h"
#include "gdb/rsp.h"

/*
 * How the engine runs (read this first if you integrate it):
 *
 * - One thread drives it: gdb_stub_attach(), gdb_stub_input(), gdb_stub_poll() and
 *   gdb_stub_detach() are called from that thread only (gdb_server's thread). Replies
 *   go out through io.write from inside those calls, and every target op is called
 *   from inside them too.
 * - Any thread may call gdb_stub_stopped() and gdb_stub_breakpoint_at(): the first
 *   only posts the event and calls io.wake, the driving thread delivers it in
 *   gdb_stub_poll(). Both are non-blocking, so a target op may call
 *   gdb_stub_stopped() itself (interrupt() on a VM that is already stopped does).
 * - Target ops must not call the driving functions, and must return without
 *   waiting for vCPU threads: resume() and interrupt() start something, and the VM
 *   side reports its end with gdb_stub_stopped().
 * - All-stop (GDB manual, E.11: all-stop is the default): when gdb is told of a
 *   stop, every vCPU is stopped. The VM side reports exactly one stop per resume()
 *   and per interrupt() made while stopped, after every vCPU is parked outside
 *   KVM_RUN (an interrupt() during a run folds into that run's one report).
 */

/* gdb's own signal numbers, which stop replies carry (GDB manual, E.4; gdb/signals.def). */
#define GDB_SIGNAL_0	0
#define GDB_SIGNAL_INT	2
#define GDB_SIGNAL_ILL	4
#define GDB_SIGNAL_TRAP 5
#define GDB_SIGNAL_KILL 9
#define GDB_SIGNAL_SEGV 11

/* vCPUs a stub can serve: thread ids 1..GDB_STUB_MAX_VCPUS (vCPU index + 1). */
#define GDB_STUB_MAX_VCPUS 256
/* Breakpoints and watchpoints in force at once (all types together). */
#define GDB_STUB_MAX_BREAKPOINTS 256
/* Longest console message (gdb_stop.message, breakpoint hints) kept, with its NUL. */
#define GDB_STUB_MESSAGE_MAX 256
/* The x86 software breakpoint: int3, one byte (SDM 2A, INT3); Z0's kind. */
#define GDB_X86_INT3	     0xcc
#define GDB_X86_INT3_LEN     1
#define GDB_X86_INT3_KIND    GDB_X86_INT3_LEN
#define GDB_X86_INT_IMM8     0xcd /* int imm8: "int $3" is cd 03 */
#define GDB_X86_INT_IMM8_LEN 2
#define GDB_X86_BP_VECTOR    3

/* insert_breakpoint()'s answer for a GDB_BP_SW the target implemented itself (no int3). */
#define GDB_BP_DONE_BY_TARGET 1

/* Z/z packet types (GDB manual, E.3 Packets, 'Z type,addr,kind'). */
enum gdb_bp_type {
	GDB_BP_SW = 0,	      /* software breakpoint: the stub writes int3 itself */
	GDB_BP_HW = 1,	      /* hardware breakpoint: a debug register */
	GDB_WATCH_WRITE = 2,  /* watchpoint on writes */
	GDB_WATCH_READ = 3,   /* on reads */
	GDB_WATCH_ACCESS = 4, /* on reads or writes */
};
#define GDB_BP_TYPES 5

/* What resume() asks of one vCPU. */
enum gdb_resume {
	GDB_RESUME_STAY = 0, /* stay stopped */
	GDB_RESUME_CONTINUE, /* run */
	GDB_RESUME_STEP,     /* run one instruction (KVM_GUESTDBG_SINGLESTEP), then stop */
};

/* Why the VM stopped (or ended), as the VM side reports it. */
enum gdb_stop_kind {
	GDB_STOP_INTERRUPTED, /* interrupt() asked; also its answer when already stopped */
	GDB_STOP_STEP,	      /* a single-step finished (DR6.BS) */
	/*
	 * The vCPU executed int3: KVM_EXIT_DEBUG with exception 3, RIP still at the
	 * int3. The stub decides: at one of gdb's breakpoints it reports swbreak;
	 * otherwise it is the guest's own int3, which the stub steps over (RIP past
	 * it) and reports as SIGTRAP.
	 */
	GDB_STOP_INT3,
	GDB_STOP_HWBREAK, /* a debug-register execution breakpoint */
	GDB_STOP_WATCH,	  /* a write watchpoint: .addr is the watched address gdb gave */
	GDB_STOP_RWATCH,  /* a read watchpoint */
	GDB_STOP_AWATCH,  /* an access watchpoint */
	GDB_STOP_SIGNAL, /* anything else, as a gdb signal (.signal): e.g. SEGV for a triple fault */
	GDB_STOP_EXITED, /* the VM ended with exit status .status ('W') */
	GDB_STOP_KILLED, /* the VM ended by signal .signal ('X') */
};

struct gdb_stop {
	enum gdb_stop_kind kind;
	int signal;	     /* GDB_STOP_SIGNAL, GDB_STOP_KILLED: a GDB_SIGNAL_* number */
	int status;	     /* GDB_STOP_EXITED: 0-255 */
	uint64_t addr;	     /* GDB_STOP_*WATCH: the data address */
	const char *message; /* optional text for the gdb console ('O'), copied; NULL for none */
};

/*
 * The target: one VM. vcpu arguments are 0-based indexes below the configured
 * count; thread id = index + 1. Called only from the driving thread, only while
 * the VM is stopped, except resume/interrupt/kill/detach as noted. Every op but
 * read_registers and read_memory may be NULL.
 */
struct gdb_target_ops {
	/* vCPU's registers into *regs (KVM_GET_REGS/SREGS/FPU). 0 or -errno. */
	int (*read_registers)(void *opaque, unsigned int vcpu, struct gdb_regs *regs);
	/*
	 * Set vCPU's registers from *regs, which holds what read_registers gave with
	 * gdb's changes (KVM_SET_REGS/SREGS/FPU). 0 or -errno. NULL: read-only.
	 */
	int (*write_registers)(void *opaque, unsigned int vcpu, const struct gdb_regs *regs);
	/*
	 * Copy len bytes from guest-virtual (linear) address addr through vCPU's page
	 * tables (KVM_TRANSLATE page by page, then guest RAM). The stub never passes
	 * a range that wraps past 2^64. Returns the bytes copied, fewer than len when
	 * an unmapped page (or non-RAM) follows them, or -EFAULT when the first byte
	 * is unmapped, or another -errno. Never crashes on any address.
	 */
	ssize_t (*read_memory)(void *opaque, unsigned int vcpu, uint64_t addr, void *buf,
			       size_t len);
	/* The same for writes (debugger writes ignore page protection). NULL: read-only. */
	ssize_t (*write_memory)(void *opaque, unsigned int vcpu, uint64_t addr, const void *buf,
				size_t len);
	/*
	 * Insert a breakpoint or watchpoint at guest-virtual addr; kind is Z's: 1 for
	 * a software or hardware breakpoint (int3's length), the watched length for
	 * watchpoints. For GDB_BP_SW the stub writes int3 itself: this op only says
	 * whether software breakpoints can work there (KVM_GUESTDBG_USE_SW_BP must be
	 * on while gdb is attached). For hardware types the target takes a debug
	 * register (gdb/hwbp.h) and sets DR0-3/DR7 on every vCPU (KVM_SET_GUEST_DEBUG,
	 * KVM_GUESTDBG_USE_HW_BP).
	 * Returns 0; for GDB_BP_SW, GDB_BP_DONE_BY_TARGET when the target set it up
	 * itself, e.g. in a debug register where int3 would not trap (kvm_pvm
	 * emulates real-mode and ring-0 code and does not intercept int3 there): the
	 * stub then writes no int3, and the hit may be reported as GDB_STOP_HWBREAK;
	 * -ENOSPC (no free debug register); -ENOTSUP (this host cannot:
	 * gdb then uses its own fallback if *hint is NULL); another -errno. *hint
	 * (initially NULL) may name what to do instead, e.g. "this host's KVM
	 * (kvm_pvm) cannot trap int3 in ring-0 code: use hbreak"; with 0 it is a
	 * warning. The stub shows hints on gdb's console at the next resume, and in
	 * an E.errtext reply on failure. Hints must stay valid (static strings).
	 */
	int (*insert_breakpoint)(void *opaque, enum gdb_bp_type type, uint64_t addr, uint64_t kind,
				 const char **hint);
	/* Remove what insert_breakpoint inserted (same type, addr, kind). 0 or -errno. */
	int (*remove_breakpoint)(void *opaque, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
	/*
	 * Start the VM: actions[i] for vCPU i (the configured count of them; at least
	 * one is not GDB_RESUME_STAY). Asynchronous: return at once; once a vCPU stops
	 * (breakpoint, step done, interrupt) stop all the others (kick them) and,
	 * when all are parked, report that one stop with gdb_stub_stopped().
	 * 0, or -errno (the stub then answers gdb with an error).
	 */
	int (*resume)(void *opaque, const enum gdb_resume *actions);
	/*
	 * Stop every vCPU (kick them out of KVM_RUN), then report
	 * GDB_STOP_INTERRUPTED with gdb_stub_stopped() -- at once (from inside this
	 * call is fine) when they are already stopped, as with --gdb-wait.
	 * Asynchronous. Called while running (Ctrl-C) or while attaching.
	 */
	void (*interrupt)(void *opaque);
	/* gdb's kill: end the VM. The stub closes the session after it. */
	void (*kill)(void *opaque);
	/*
	 * gdb left (D, or the connection closed): every breakpoint is already
	 * removed; turn guest debugging off (KVM_SET_GUEST_DEBUG 0) and let every
	 * vCPU run.
	 */
	void (*detach)(void *opaque);
};

/* Where replies go and how the driving thread learns of posted stops. */
struct gdb_stub_io {
	/* Write len bytes to gdb. 0, or -errno (the session is then over). */
	int (*write)(void *opaque, const void *buf, size_t len);
	/* gdb_stub_stopped() posted an event: call gdb_stub_poll() soon. Any thread. May be NULL. */
	void (*wake)(void *opaque);
	void *opaque;
};

struct gdb_stub_config {
	unsigned int nvcpus; /* 1..GDB_STUB_MAX_VCPUS */
	/*
	 * The register layout gdb gets: GDB_ARCH_AUTO (0) picks it per connection
	 * from the mode of the vCPU that stopped for the attach (gdb/regs.h).
	 */
	enum gdb_arch arch;
	const struct gdb_target_ops *ops;
	void *target; /* the ops' opaque */
};

/* gdb_stub_input()/gdb_stub_poll(): the session is over (D or k), close the connection. */
#define GDB_STUB_CLOSE 1

enum gdb_stub_state {
	GDB_STUB_DETACHED,  /* no gdb */
	GDB_STUB_ATTACHING, /* gdb connected, waiting for the VM to stop */
	GDB_STUB_STOPPED,   /* stopped, talking to gdb */
	GDB_STUB_RUNNING,   /* resumed, waiting for a stop */
	GDB_STUB_DETACHING, /* gdb left while the VM ran: stopping it to take the int3s out */
};

struct gdb_breakpoint {
	bool used;
	enum gdb_bp_type type;
	uint64_t addr;
	uint64_t kind;
	bool int3;	   /* software, with an int3 in guest memory (not GDB_BP_DONE_BY_TARGET) */
	unsigned int vcpu; /* int3: whose page tables it went through */
	uint8_t shadow;	   /* int3: the byte it replaced */
};

struct gdb_stub {
	struct gdb_stub_config cfg;
	struct gdb_stub_io io;

	/* Driving thread only. */
	enum gdb_stub_state state;
	struct gdb_rsp_parser rx;
	bool no_ack;		/* after QStartNoAckMode */
	bool client_swbreak;	/* gdb's qSupported said swbreak+ */
	bool client_hwbreak;	/* ... hwbreak+ */
	bool client_error_text; /* ... error-message+: E.errtext allowed for 'm' */
	bool arch_chosen;	/* this session's layout is fixed */
	enum gdb_arch arch;	/* the layout, once chosen */
	bool has_deferred;	/* a packet came while attaching: handled at the stop */
	size_t deferred_len;
	uint8_t deferred[GDB_RSP_PACKET_MAX];
	bool interrupt_sent;	   /* a Ctrl-C asked for this run's stop */
	bool vm_ended;		   /* the VM is gone: no more target ops */
	unsigned int g_vcpu;	   /* Hg: registers and memory */
	int c_vcpu;		   /* Hc: legacy c/s (-1 all) */
	struct gdb_stop last_stop; /* what '?' answers */
	unsigned int last_vcpu;
	char last_message[GDB_STUB_MESSAGE_MAX];
	char pending_hints[GDB_STUB_MESSAGE_MAX]; /* for the console at the next resume */
	char tx[GDB_RSP_WIRE_MAX];		  /* the last packet sent, for a '-' */
	size_t tx_len;
	struct gdb_rsp_buf reply;
	struct gdb_regs regs; /* scratch for g/G/p/P */
	enum gdb_resume actions[GDB_STUB_MAX_VCPUS];
	uint8_t mem[GDB_RSP_PACKET_MAX]; /* scratch for m/M/X */

	/* Guarded by bp_lock (gdb_stub_breakpoint_at() reads them from other threads). */
	pthread_mutex_t bp_lock;
	struct gdb_breakpoint bps[GDB_STUB_MAX_BREAKPOINTS];

	/* Posted events, guarded by event_lock. */
	pthread_mutex_t event_lock;
	bool event_pending;
	unsigned int event_vcpu;
	struct gdb_stop event;
	char event_message[GDB_STUB_MESSAGE_MAX];
	bool end_pending; /* an EXITED/KILLED event, kept apart so it is never lost */
	struct gdb_stop end_event;
};

/*
 * Set up a stub for cfg->nvcpus vCPUs of cfg->ops. No gdb yet (DETACHED). Returns 0,
 * or -EINVAL with a message (no ops, read ops missing, bad vCPU count).
 */
int gdb_stub_init(struct gdb_stub *stub, const struct gdb_stub_config *cfg);
/* Free the stub's locks (after gdb_server_stop(): nothing may use it any more). */
void gdb_stub_destroy(struct gdb_stub *stub);

/* Where replies go; set before gdb_stub_attach(). */
void gdb_stub_set_io(struct gdb_stub *stub, const struct gdb_stub_io *io);

/*
 * A gdb connected: forget the previous session's protocol state (acks back on)
 * and stop the VM (interrupt()) unless it already ended. Packets that come before
 * the stop is reported wait for it (one at a time, as gdb sends them), so that
 * '?' and the target description see a stopped VM. Driving thread.
 */
void gdb_stub_attach(struct gdb_stub *stub);

/*
 * Bytes from gdb. Parses packets, acks them, answers them through io.write and
 * calls the target. Malformed input gets an error reply or a '-', never a crash.
 * Returns 0, GDB_STUB_CLOSE after D or k, or the -errno of a failed write.
 * Driving thread. Source: GDB manual, appendix E.
 */
int gdb_stub_input(struct gdb_stub *stub, const void *buf, size_t n);

/*
 * Report a stop (or the VM's end) for vCPU vcpu: see enum gdb_stop_kind and the
 * rules at the top. Any thread; never blocks on gdb; calls io.wake. A second stop
 * before the driving thread took the first is dropped; an end is always kept.
 */
void gdb_stub_stopped(struct gdb_stub *stub, unsigned int vcpu, const struct gdb_stop *stop);

/*
 * Deliver posted stops: a stop reply if gdb waits for one. Driving thread, after
 * io.wake. Returns 0, GDB_STUB_CLOSE, or the -errno of a failed write.
 */
int gdb_stub_poll(struct gdb_stub *stub);

/*
 * gdb went away without D (connection closed): remove every breakpoint and let the
 * VM run (detach()), unless it ended. If the VM is running with breakpoints in
 * place, it is stopped first (interrupt()) and the rest happens when that stop is
 * reported (gdb_stub_poll()), so keep polling. Idempotent. Driving thread.
 */
void gdb_stub_detach(struct gdb_stub *stub);

/*
 * True if gdb has an int3 at guest-virtual addr. Any thread: for
 * the VM side to tell gdb's int3 from others without a KVM_EXIT_DEBUG (e.g. a
 * host whose KVM fails to emulate int3 and exits with an internal error there).
 */
bool gdb_stub_breakpoint_at(struct gdb_stub *stub, uint64_t addr);

#endif
