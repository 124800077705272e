# SPDX-License-Identifier: MIT
"""mini-kvm run --gdb with Debian's own gdb in batch mode: a C long-mode guest with symbols
(break, bt, print, finish, watch, the guest's own int3, continue to its exit status), a
real-mode guest (stepi, registers, memory at CS:IP), the teaching OS (a break in its
system-call dispatcher, bt through the kernel, info threads), Linux (attach at its
shell, inspect, step; a break at its syscall entry by address where the host traps
breakpoints; then on to the shell), Ctrl-C and kill, and a
gdb that dies mid-session or a client that sends garbage: the guest lives on.

gdb runs on this machine in both lanes: the nested lane relays mini-kvm's port in L1 over
L1's third serial line (lanes' gdb_job()). Where `mini-kvm check` says this host's KVM
cannot trap something gdb asks for, the test asks for what it can instead, as a user
would (kvm_pvm: `set can-use-hw-watchpoints 0`; its ring-0 `break` goes to a debug
register by itself).
"""

import contextlib
import re
import shutil
import signal
import socket
import subprocess
import time

import pexpect
import pytest

import lanes
from test_linux import (BOOT_TIMEOUT, LINUX_NEEDS, PROMPT, READY, RETRIES_AFTER_STALL,
                        STALL_TIMEOUT, expect, linux_args, shell_command, stalled, tail)

GDB = shutil.which("gdb")
pytestmark = pytest.mark.skipif(GDB is None, reason="no gdb: apt-get install gdb "
                                "(scripts/install-deps.sh does)")

GDB_TIMEOUT = 120  # one gdb batch session (the nested lane's serial relay is slow)
STEP_TIMEOUT = 30
GDB_GUEST = "gdb_guest.elf"  # tests/guests/gdb_guest.c
# The line of gdb_guest.c where run_rounds() calls add_round(): where `finish` returns to.
GDB_GUEST_CALL_LINE = next(
    n for n, line in enumerate((lanes.REPO_ROOT / "tests/guests/gdb_guest.c").read_text()
                               .splitlines(), 1)
    if "total = add_round(round, total);" in line)
GDB_GUEST_STATUS = 42
BUSY_LINE = b"mini-kvm: a gdb is already connected to this VM (one at a time)\n"


def gdb_batch(address: str, commands: list[str], program: str | None = None,
              timeout: float = GDB_TIMEOUT) -> str:
    """Run gdb -batch against `address` with `commands`; returns what it printed."""
    argv = [GDB, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", f"target remote {address}"]
    for c in commands:
        argv += ["-ex", c]
    if program:
        argv.append(program)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return r.stdout.decode(errors="replace")


@contextlib.contextmanager
def gdb_session(lane, args: list[str]):
    """mini-kvm run --gdb ARGS in the lane, on a terminal: yields (job, address for gdb)."""
    job, address = lane.gdb_job(args, timeout=GDB_TIMEOUT)
    with job:
        yield job, address


def ends(job, what: str, timeout: float = STEP_TIMEOUT) -> int:
    expect(job, pexpect.EOF, f"end of mini-kvm after {what}", timeout)
    return job.wait(timeout)


def assert_in_order(out: str, *patterns: str) -> None:
    """Each regex matches out, after the previous one's match."""
    pos = 0
    for pattern in patterns:
        m = re.compile(pattern, re.M).search(out, pos)
        assert m, f"no {pattern!r} after offset {pos} in gdb's output:\n{out}"
        pos = m.end()


def can(lane, capability: str) -> bool:
    found = lane.capability(capability)
    return found is not None and found[0]


def need_breakpoints(lane, ring: str = "") -> None:
    """Skip unless this host's KVM traps int3 or debug registers (in ring 0, or ring 3
    with ring="-r3"). The nested lane's cannot: QEMU 7.2's emulated SVM turns no int3
    into a #BP intercept (it checks INT3 against the software-interrupt intercept) and
    loads no debug registers for L2 (its VMRUN sets DR7 without arming them)."""
    if not (can(lane, "sw-bp" + ring) or can(lane, "hw-bp" + ring)):
        pytest.skip(f"{lane.name} lane: mini-kvm check: sw-bp{ring} and hw-bp{ring} no "
                    f"({lane.capability('sw-bp' + ring)}): no breakpoints on this host")


# --- bare guests -----------------------------------------------------------------------


@pytest.mark.needs("long")
def test_gdb_c_guest(lane):
    need_breakpoints(lane)
    program = str(lanes.BUILD / "test-guests" / GDB_GUEST)
    watch = [] if can(lane, "watch") else ["set can-use-hw-watchpoints 0"]
    with gdb_session(lane, ["--gdb-wait", lane.test_guest(GDB_GUEST)]) as (job, address):
        out = gdb_batch(address, [
            "break add_round", "continue", "bt", "print round", "print total", "finish",
            "delete", *watch, "watch gdb_guest_counter", "continue", "delete",
            "set var gdb_guest_trap = 1", "continue", "info threads", "continue",
        ], program)
        expect(job, rb"gdb_guest: total 60", "the guest's output")
        assert ends(job, "gdb's last continue") == GDB_GUEST_STATUS, out
    assert_in_order(
        out,
        r"^Breakpoint 1, add_round \(round=1, total=0\) at .*gdb_guest\.c",
        r"^#0 +add_round \(round=1, total=0\)",
        r"^#1 .* in run_rounds \(rounds=3\)",
        r"^#2 .* in main \(\)",
        r"^\$1 = 1$", r"^\$2 = 0$",
        rf"in run_rounds \(rounds=3\) at .*gdb_guest\.c:{GDB_GUEST_CALL_LINE}", r"^Value returned is \$3 = 10$",
        r"atchpoint 2: gdb_guest_counter",
        r"^Old value = 10$", r"^New value = 30$",
        r"^Program received signal SIGTRAP", r"own_breakpoint \(\)",
        r"^\* 1 +Thread 1 \(vCPU 0\)",
        r"\[Inferior 1 \(Remote target\) exited with code 052\]")


@pytest.mark.needs("long", "step")
def test_gdb_c_guest_by_single_steps(lane):
    """What a host that traps single steps only (the nested lane) still gives gdb: a
    watchpoint in software, bt, locals, memory, registers, continue to the exit."""
    program = str(lanes.BUILD / "test-guests" / GDB_GUEST)
    with gdb_session(lane, ["--gdb-wait", lane.test_guest(GDB_GUEST)]) as (job, address):
        out = gdb_batch(address, [
            "stepi 3", "info registers rip", "x/i $pc",
            "set can-use-hw-watchpoints 0", "watch gdb_guest_counter", "continue",
            "bt", "info locals", "print round", "print/x &gdb_guest_counter",
            "x/dw &gdb_guest_counter", "delete", "continue",
        ], program)
        expect(job, rb"gdb_guest: total 60", "the guest's output")
        assert ends(job, "gdb's last continue") == GDB_GUEST_STATUS, out
    assert_in_order(
        out,
        r"^main \(\) at .*gdb_guest\.c",  # three steps: rsp, rbp, call main
        r"^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <main>", r"=> 0x[0-9a-f]+ <main>:\s+push +%rbp",
        r"^Watchpoint 1: gdb_guest_counter",
        r"^Old value = 0$", r"^New value = 10$",
        r"^#0 +add_round \(round=1, total=0\)",
        r"^#1 .* in run_rounds \(rounds=3\)", r"^#2 .* in main \(\)",
        r"^step = 10$", r"^\$1 = 1$", r"^\$2 = 0x[0-9a-f]+$", r":\s+10$",
        r"\[Inferior 1 \(Remote target\) exited with code 052\]")


@pytest.mark.needs("real", "step")
def test_gdb_real_mode_guest(lane):
    # Loaded at 64 KiB: CS = 0x1000, IP = 0. gdb's $pc (eip) is the linear address
    # CS * 16 + IP (docs/gdb.md), so that x/i $pc shows the bytes the CPU runs.
    args = ["--gdb-wait", "--mode", "real", "--load", "0x10000", "--entry", "0x10000",
            lane.guest("hello.bin")]
    with gdb_session(lane, args) as (job, address):
        out = gdb_batch(address, [
            "show architecture", "info registers cs eip", "p/x $cs_base", "x/2i $pc",
            "stepi", "stepi", "info registers eip esi", "x/2xb $cs * 16 + 4",
            "p $pc == $cs * 16 + 4", "continue",
        ])
        expect(job, rb"Hello, KVM!", "the guest's greeting after continue")
        assert ends(job, "continue") == 0, out
    assert_in_order(
        out,
        r'currently "i8086"',
        r"^cs +0x1000 ", r"^eip +0x10000 ",
        r"^\$1 = 0x10000$",
        r"=> 0x10000:\s+cld", r"0x10001:\s+mov +\$0x1c,%si",
        r"^eip +0x10004 ", r"^esi +0x1c ",
        r"^0x10004:\s+0xac\s+0x84",  # lods, test at CS:IP
        r"^\$2 = 1$",
        r"\[Inferior 1 \(Remote target\) exited normally\]")


def read_until(proc, marker: bytes, timeout: float = GDB_TIMEOUT) -> bytes:
    """proc's stdout up to and including marker (or all it printed, if it never came)."""
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out and time.monotonic() < deadline:
        chunk = proc.stdout.read1(4096)
        if not chunk:
            break
        out += chunk
    return out


@pytest.mark.needs("real")
def test_gdb_ctrl_c_and_kill(lane):
    """Ctrl-C in gdb stops a spinning guest; kill ends the VM with status 0 (as Ctrl-A x)."""
    with gdb_session(lane, [lane.test_guest("spin.bin")]) as (job, address):
        gdb = subprocess.Popen(
            [GDB, "-nx", "-batch", "-ex", "set confirm off", "-ex", f"target remote {address}",
             "-ex", "echo CONTINUING\\n", "-ex", "continue", "-ex", "info registers eip",
             "-ex", "kill"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = read_until(gdb, b"CONTINUING\n")
        time.sleep(1)  # gdb continued: the guest spins
        gdb.send_signal(signal.SIGINT)
        out = (out + gdb.communicate(timeout=GDB_TIMEOUT)[0]).decode(errors="replace")
        assert ends(job, "gdb's kill") == 0, out
    assert_in_order(out, r"^Program received signal SIGINT", r"^eip +0x0 ",
                    r"\[Inferior 1 \(Remote target\) killed\]")


@pytest.mark.lanes("host")
@pytest.mark.needs("long")
def test_gdb_garbage_and_a_second_client_leave_the_guest_alone(lane):
    with gdb_session(lane, ["--gdb-wait", lane.test_guest(GDB_GUEST)]) as (job, address):
        host, port = address.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as first:
            # A second client while the first is connected: told why, and closed.
            with socket.create_connection((host, int(port)), timeout=10) as second:
                assert second.recv(200) == BUSY_LINE
                assert second.recv(200) == b""
            garbage = [
                b"\x00\xff\x03garbage",                  # stray bytes, an interrupt
                b"$qSupported#00",                       # bad checksum
                b"$" + b"A" * 10000 + b"#00",            # longer than any packet
                b"$m" + b"f" * 40 + b",10#00",           # numbers too long
                b"}}}}$}}}#" + bytes(range(256)),
                b"$m0,ffffffffffffffff#" + b"%02x" % (sum(b"m0,ffffffffffffffff") & 0xff),
                b"$Z0,fffffffffffff000,1#" + b"%02x" % (sum(b"Z0,fffffffffffff000,1") & 0xff),
                b"$g#67", b"$vCont;x#00", b"$H" + b"g-7" * 100 + b"#00",
            ]
            for chunk in garbage:
                first.sendall(chunk)
            first.settimeout(5)
            replies = first.recv(65536)
            assert replies, "no reply to anything"
        # The client went away: a detach, so the held guest runs to its end.
        expect(job, rb"gdb_guest: total 60", "the guest's output after the client left")
        assert ends(job, "the guest's exit") == GDB_GUEST_STATUS


@pytest.mark.lanes("host")
@pytest.mark.needs("long")
def test_gdb_killed_mid_session_leaves_the_guest_running(lane):
    need_breakpoints(lane)
    program = str(lanes.BUILD / "test-guests" / GDB_GUEST)
    with gdb_session(lane, ["--gdb-wait", lane.test_guest(GDB_GUEST)]) as (job, address):
        gdb = subprocess.Popen(
            [GDB, "-nx", "-ex", "set confirm off", "-ex", f"target remote {address}",
             "-ex", "break add_round", "-ex", "continue", program],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = read_until(gdb, b"Breakpoint 1, add_round")
        assert b"Breakpoint 1, add_round" in out, out.decode(errors="replace")
        gdb.kill()  # no detach: the connection just drops, breakpoints still in
        gdb.wait()
        expect(job, rb"gdb_guest: total 60", "the guest's output after gdb died")
        assert ends(job, "the guest's exit") == GDB_GUEST_STATUS


# --- the teaching OS -----------------------------------------------------------------------


@pytest.mark.needs("long", "irq-ring3")
def test_gdb_teaching_os(lane):
    need_breakpoints(lane)
    kernel = str(lanes.BUILD / "guests" / "os" / "kernel.elf")
    args = ["--gdb-wait", "--irqchip", lane.guest("os/kernel.elf")]
    with gdb_session(lane, args) as (job, address):
        out = gdb_batch(address, [
            "break syscall_dispatch", "continue", "bt", "p/x f->rax", "info threads",
            "delete", "detach",
        ], kernel)
        expect(job, rb"> ", "the shell's prompt after gdb detached")
        job.sendline(b"hello")
        expect(job, rb"Hello, world! This is the mini-kvm teaching OS\.", "hello's output")
        job.sendline(b"exit")
        assert ends(job, "exit") == 0, out
    assert_in_order(
        out,
        r"^Breakpoint 1, syscall_dispatch \(f=0x[0-9a-f]+.*\) at .*syscall\.c",
        r"^#0 +syscall_dispatch \(f=",
        r"^#1 +0x[0-9a-f]+ in \w+ \(",  # the trap or system-call entry that called it
        r"^\$1 = 0x[0-9a-f]+$",
        r"^\* 1 +Thread 1 \(vCPU 0\)",
        r"\[Inferior 1 \(Remote target\) detached\]")


# --- Linux (nested lane) -----------------------------------------------------------------


@contextlib.contextmanager
def linux_gdb_session(lane, args: list[str]):
    """gdb_session() of a Linux guest, once its shell prompts; a boot that stalls (the
    nested lane's QEMU bug, test_linux.py) is tried again as test_linux.py does."""
    attempt = 0
    while True:
        retry = attempt < RETRIES_AFTER_STALL.get(lane.name, 0)
        with gdb_session(lane, args) as (job, address):
            try:
                job.expect(re.escape(READY.encode()),
                           timeout=STALL_TIMEOUT if retry else BOOT_TIMEOUT)
                job.expect(re.escape(PROMPT.encode()), timeout=STEP_TIMEOUT)
            except pexpect.TIMEOUT:
                seen = tail(job.seen())
                if not stalled(lane, attempt, "no shell prompt in time", seen):
                    pytest.fail(f"no shell prompt in time; the console showed:\n{seen}",
                                pytrace=False)
            except pexpect.EOF:
                pytest.fail(f"mini-kvm ended with status {job.wait()} before the shell's "
                            f"prompt; the console showed:\n{tail(job.seen())}",
                            pytrace=False)
            else:
                yield job, address
                return
        attempt += 1


@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_gdb_linux(lane):
    """Linux with nokaslr, at its shell: gdb attaches (the VM stops), reads registers and
    kernel code, steps; where this host traps breakpoints, it breaks at the syscall
    entry (its address from /proc/kallsyms: Debian's System.map is a stub, the real one
    is in the -dbg package), which the shell's next system call hits; then it detaches
    and the shell goes on. The nested lane traps no breakpoints (need_breakpoints()):
    there the test attaches, inspects and steps only."""
    breakpoints = can(lane, "sw-bp") or can(lane, "hw-bp")
    params = "console=ttyS0 panic=-1 quiet nokaslr"
    with linux_gdb_session(lane, linux_args(lane, params)[1:]) as (job, address):
        job.sendline(b"grep -w entry_SYSCALL_64 /proc/kallsyms")
        expect(job, rb"\n(ffffffff[0-9a-f]{8}) T entry_SYSCALL_64", "the syscall entry")
        entry = int(job.match.group(1), 16)
        expect(job, re.escape(PROMPT.encode()), "the prompt after grep")
        commands = ["echo ATTACHED\\n", "info registers rip cs", "x/i $pc", "p/x $cr3",
                    "info threads", "stepi", "info registers rip"]
        if breakpoints:
            commands += [f"break *{entry:#x}", "continue", "info registers rip", "delete"]
        gdb = subprocess.Popen(
            [GDB, "-nx", "-batch", "-ex", "set confirm off", "-ex", f"target remote {address}",
             *[arg for c in commands for arg in ("-ex", c)], "-ex", "detach"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = read_until(gdb, b"ATTACHED\n")
        # The VM is stopped; what is typed now waits in the UART until gdb continues or
        # detaches, and its system call hits the breakpoint where there is one.
        shell_command(job, "echo alive", rb"alive", "the shell after gdb")
        out = (out + gdb.communicate(timeout=GDB_TIMEOUT)[0]).decode(errors="replace")
        job.sendline(b"poweroff -f")
        assert ends(job, "poweroff -f") == 0, tail(job.seen())
    assert_in_order(out, r"^rip +0xffffffff8[0-9a-f]{7} ", r"^cs +0x10 ",
                    r"^=> 0xffffffff8[0-9a-f]{7}", r"^\$1 = 0x[0-9a-f]+$",
                    r"^\* 1 +Thread 1 \(vCPU 0\)", r"^rip +0xffffffff8[0-9a-f]{7} ")
    if breakpoints:
        assert_in_order(out, rf"^Breakpoint 1, {entry:#018x} in \?\? \(\)",
                        rf"^rip +{entry:#x} ")
    assert re.search(r"\[Inferior 1 \(Remote target\) detached\]", out), out


# --- usage ------------------------------------------------------------------------------


@pytest.mark.lanes("host")
def test_gdb_one_guest_only(lane):
    r = lane.run(["run", "--gdb", "0", lane.guest("hello.bin"), lane.guest("hello.bin")])
    assert r.status == 2, r
    assert "--gdb: 2 GUESTs given; gdb debugs one GUEST" in r.err, r
