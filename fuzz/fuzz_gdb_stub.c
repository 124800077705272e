/* SPDX-License-Identifier: MIT */
/* libFuzzer entry for the gdb stub's engine: gdb's bytes into a stub over a fake target. */
#include <stddef.h>
#include <stdint.h>

#include "gdb/stub.h"
#include "gdb_fake_target.h"

/*
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE
 *   -Iinclude -Isrc -Itests/unit fuzz/fuzz_gdb_stub.c tests/unit/gdb_fake_target.c
 *   src/gdb/rsp.c src/gdb/regs.c src/gdb/stub.c src/gdb/hwbp.c src/error.c
 * Seeds (fuzz/corpus/gdb_stub): what gdb 13 sent in real sessions against the fake
 * target (info registers and memory; breakpoints, watchpoints, steps; register and
 * memory writes; Ctrl-C; a real-mode vCPU).
 */

/* A byte this value, while the VM runs, ends it (rarely: most runs should go on). */
#define FUZZ_END_BYTE 0xee
/* A byte this value reconnects gdb (the connection dropped). */
#define FUZZ_RECONNECT_BYTE 0x04

static struct gdb_stub stub;
static struct fake_target target;

static int sink(void *opaque, const void *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
	return 0;
}

/* The VM side's answer to a resume, chosen by one input byte: every kind, some vCPU. */
static void report_stop(uint8_t byte)
{
	struct gdb_stop st = {
		.kind = (enum gdb_stop_kind)(byte % (GDB_STOP_SIGNAL + 1)),
		.signal = byte,
		.status = byte,
		.addr = (uint64_t)byte * 0x1001,
		.message = (byte & 1) ? "a message from the VM" : NULL,
	};

	if (byte == FUZZ_END_BYTE)
		st.kind = (byte & 2) ? GDB_STOP_KILLED : GDB_STOP_EXITED;
	/* One past the last vCPU too: the stub must not trust the index. */
	gdb_stub_stopped(&stub, byte % (FAKE_VCPUS + 1), &st);
	gdb_stub_poll(&stub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gdb_stub_config cfg = { .nvcpus = FAKE_VCPUS,
				       .ops = &fake_target_ops,
				       .target = &target };
	struct gdb_stub_io io = { .write = sink };
	size_t i;

	if (gdb_stub_init(&stub, &cfg))
		return 0;
	fake_target_init(&target, &stub);
	/* Half the inputs: a host where software breakpoints live in debug registers. */
	target.sw_in_dr = size % 2;
	gdb_stub_set_io(&stub, &io);
	gdb_stub_attach(&stub);
	gdb_stub_poll(&stub);
	for (i = 0; i < size; i++) {
		int ret = gdb_stub_input(&stub, &data[i], 1);

		if (ret == GDB_STUB_CLOSE || data[i] == FUZZ_RECONNECT_BYTE) {
			gdb_stub_detach(&stub);
			gdb_stub_poll(&stub);
			gdb_stub_attach(&stub);
			gdb_stub_poll(&stub);
			continue;
		}
		if (stub.state == GDB_STUB_RUNNING || stub.state == GDB_STUB_ATTACHING)
			report_stop(data[i]);
	}
	gdb_stub_detach(&stub);
	if (stub.state == GDB_STUB_DETACHING)
		report_stop(0);
	gdb_stub_destroy(&stub);
	fake_target_destroy(&target);
	return 0;
}
