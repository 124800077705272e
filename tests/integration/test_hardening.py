# SPDX-License-Identifier: MIT
"""Regression tests of what hostile testing broke: each failed before its fix.

A crash when input reached a guest that had ended, guest output written into the
disk image when mini-kvm started with closed standard fds, a stop that a stalled
stdout held up, partial block writes on a full file system, hangs and memory on odd
input files, signals that left the terminal raw, control bytes that drove the
user's terminal, and a ring-0 emulation failure blamed on SSE whatever it was.
"""

import os
import signal
import subprocess
import time

import pytest

from lanes import BUILD, default_vmm
from test_bad_input import assert_one_line_error

SECTOR = 512
GUEST_DIED, TIMED_OUT = 3, 124
FLOOD_BYTES = 4096 * 64 + 2  # tests/guests/flood.S: its lines, then "E\n"


def test_input_for_a_guest_that_ended_is_dropped(lane):
    # The teaching OS owns stdin and exits; input that arrives after it is gone
    # used to reach its destroyed UART (SIGSEGV, status 139).
    vmm, os_kernel, spin = lane.vmm_binary(), lane.guest("os/kernel.elf"), lane.test_guest("spin.bin")
    r = lane.shell(f"(printf 'exit\\n'; sleep 3; echo x) | {vmm} run --timeout 6 --irqchip "
                   f"{os_kernel} {spin}", timeout=90)
    assert r.status == TIMED_OUT, r
    assert "bye" in r.out, r
    assert f"'{spin}': still running after 6.000 s" in r.err, r


@pytest.mark.parametrize("redirections, extra", [
    ("<&- >&-", []),
    ("<&- >&- 2>&-", ["--trace"]),
])
def test_closed_standard_fds_never_reach_the_disk(lane, redirections, extra):
    # With fds 0-2 closed, /dev/kvm and the disk took their numbers and the
    # guest's output (or the trace) landed in sector 0 of the disk.
    disk = lane.put(bytes(4 * SECTOR), "disk.img")
    r = lane.shell(f"{lane.vmm_binary()} run {' '.join(extra)} --disk {disk} "
                   f"{lane.guest('hello.bin')} {redirections}; echo status=$?")
    assert "status=0" in r.out, r
    data = lane.shell(f"tr -d '\\000' < {disk} | head -c 80")
    assert data.out == "", f"the disk changed: {data.out!r}"


def _run_flood(args: list[str], stdout, sig=None):
    """Start flood.bin with stdout as given; send sig after half a second if set."""
    p = subprocess.Popen([str(default_vmm()), "run", *args,
                          str(BUILD / "test-guests" / "flood.bin")],
                         stdout=stdout, stderr=subprocess.PIPE)
    if sig is not None:
        time.sleep(0.5)
        p.send_signal(sig)
    return p


@pytest.mark.lanes("host")
@pytest.mark.parametrize("how, args, sig, status", [
    ("--timeout", ["--timeout", "1"], None, TIMED_OUT),
    ("SIGTERM", [], signal.SIGTERM, 128 + signal.SIGTERM),
])
def test_a_stalled_stdout_does_not_hold_up_a_stop(lane, how, args, sig, status):
    # Nobody reads the pipe: the guest blocks on output. The stop used to wait
    # until a reader drained it.
    r, w = os.pipe()
    try:
        start = time.monotonic()
        p = _run_flood(args, w, sig)
        os.close(w)
        w = -1
        try:
            err = p.communicate(timeout=10)[1].decode()
        except subprocess.TimeoutExpired:
            p.kill()
            pytest.fail(f"a stop by {how} waited for the stalled reader")
        assert p.returncode == status, err
        assert time.monotonic() - start < 5, err
        assert "bytes of its output were dropped: stdout took no more when the VM stopped" \
            in err, err
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


@pytest.mark.lanes("host")
def test_a_non_blocking_stdout_is_waited_on(lane):
    # A parent may hand over a non-blocking pipe: after 64 KiB writes fail with
    # EAGAIN, which used to end the guest with a VMM error.
    r, w = os.pipe()
    os.set_blocking(w, False)
    p = _run_flood([], w)
    os.close(w)
    got = 0
    time.sleep(1)  # a late reader: the pipe fills up first
    with os.fdopen(r, "rb") as reader:
        while chunk := reader.read(4096):
            got += len(chunk)
    assert p.wait(timeout=60) == 0, p.stderr.read()
    assert got == FLOOD_BYTES


@pytest.fixture
def full_filesystem(lane):
    """A small tmpfs in the lane, full but for one page. Needs root (CI and L1 are)."""
    if lane.name == "host" and os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = lane.shell("d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && echo $d")
    assert r.status == 0, r
    mount = r.out.strip()
    r = lane.shell(f"dd if=/dev/zero of={mount}/disk.img bs=1 count=0 seek=65536 2>/dev/null; "
                   f"i=0; while dd if=/dev/zero of={mount}/fill$i bs=4096 count=1 2>/dev/null; "
                   f"do i=$((i+1)); done; rm {mount}/fill0; echo filled $i")
    assert r.status == 0 and "filled" in r.out, r
    yield mount
    lane.shell(f"umount {mount}; rmdir {mount}")


def test_a_write_that_does_not_fit_changes_nothing(lane, full_filesystem):
    # One page free, a two-page write: the first page used to be written before
    # the second failed (ENOSPC), against the ABI's "whole or not at all".
    disk = f"{full_filesystem}/disk.img"
    r = lane.run(["run", "--mode", "protected", "--disk", disk,
                  lane.test_guest("disk_write.bin")])
    assert r.status == 0, r
    assert r.out == f"{2**32 - 5}\n", r  # HC_EIO, as an unsigned 32-bit number
    data = lane.shell(f"od -An -c {disk} | grep -c G")
    assert data.out.strip() == "0", f"a sector of the failed write reached the disk: {data}"


def test_a_fifo_is_refused_not_waited_on(lane):
    fifo = lane.put(b"", "dummy") + ".fifo"
    assert lane.shell(f"mkfifo {fifo}").status == 0
    start = time.monotonic()
    assert_one_line_error(lane.run(["run", fifo], timeout=30), 1, f"guest '{fifo}'",
                          "not a regular file (a FIFO)")
    assert_one_line_error(lane.run(["run", "-k", lane.linux_kernel(), "-i", fifo], timeout=30),
                          1, f"initrd '{fifo}'", "not a regular file (a FIFO)")
    assert time.monotonic() - start < 20


def test_a_huge_guest_is_refused_before_it_is_read(lane):
    # A 4 GiB file for a 1 MiB guest used to be read whole (15 s, 4 GiB of RSS).
    huge = lane.sparse_file("huge.bin", 4 << 30)
    start = time.monotonic()
    assert_one_line_error(lane.run(["run", "-m", "1M", huge], timeout=30), 1, f"'{huge}'",
                          "4294967296 bytes do not fit in 1024 KiB of guest RAM (-m)")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("sig", ["QUIT", "VTALRM", "ALRM"])
def test_every_terminating_signal_restores_the_terminal(lane, sig):
    # These used to kill mini-kvm outright, leaving the terminal raw. (SIGUSR2 was one;
    # it snapshots the VMs now: test_snapshot.py.)
    number = getattr(signal, f"SIG{sig}")
    vmm, spin = lane.vmm_binary(), lane.test_guest("spin.bin")
    with lane.shell_interactive(f"exec 3<&0; {vmm} run --irqchip {spin} <&3 3<&- & p=$!; "
                                f"sleep 1; kill -{sig} $p; wait $p; echo status=$?; stty -a",
                                timeout=60) as p:
        p.expect(rb"status=(\d+)")
        assert int(p.match.group(1)) == 128 + number, p.seen()
        p.expect(rb"\bicanon\b")
        assert b"-icanon" not in p.before + p.after
        p.wait()


ESC_GUEST = bytes([
    0xb0, 0x01,        # mov al, HC_PUTCHAR
    0xb3, 0x1b,        # mov bl, ESC
    0xba, 0x00, 0x05,  # mov dx, HC_PORT
    0xee,              # out dx, al
    0xb3, ord("["), 0xee,
    0xb3, ord("J"), 0xee,
    0xb3, ord("\n"), 0xee,
    0xb0, 0x00,        # mov al, HC_EXIT
    0x66, 0x31, 0xdb,  # xor ebx, ebx
    0xee, 0xf4,        # out dx, al; hlt
])


@pytest.mark.parametrize("args, shown", [
    ([], b"^[[J"),
    (["--raw-console"], b"\x1b[J"),
])
def test_control_bytes_reach_a_terminal_visibly(lane, args, shown):
    guest = lane.put(ESC_GUEST, "esc.bin")
    with lane.interactive(["run", *args, guest], timeout=30) as p:
        p.expect_exact(shown)
        assert p.wait() == 0


def test_ring0_emulation_failure_is_blamed_on_sse_only_for_sse(lane):
    # popcnt at CPL 0: kvm_pvm's emulator lacks it, but it is not SSE.
    popcnt = lane.put(bytes([0xf3, 0x0f, 0xb8, 0xc0, 0xf4]), "popcnt.bin")
    addps = lane.put(bytes([0x0f, 0x58, 0xc0, 0xf4]), "addps.bin")
    r = lane.run(["run", "--mode", "long", popcnt])
    assert r.status in (0, GUEST_DIED), r
    assert "SSE" not in r.err and "general-regs-only" not in r.err, r
    r = lane.run(["run", "--mode", "long", addps])
    if lane.capability("ring0-sse")[0]:
        # A hardware KVM runs it (or raises #UD: CR4.OSFXSR is off): never the host's fault.
        assert "general-regs-only" not in r.err, r
    else:
        assert r.status == GUEST_DIED, r
        assert "the guest stopped at an SSE instruction in ring 0" in r.err, r
