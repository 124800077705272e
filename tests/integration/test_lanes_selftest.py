# SPDX-License-Identifier: MIT
"""Self-tests of the test lanes (scripts/lanes/, scripts/assets.sh, scripts/initramfs/): the
framing, timeouts and terminals that every mini-kvm test relies on. Only the last two
tests need mini-kvm itself; the rest use the lanes' shells (/bin/sh here, busybox in L1).
"""

import random

import pexpect
import pytest

import lanes
from lanes import LaneError, LaneTimeout

SELFTEST_DATA = lanes.DATA_DIR / "lanes-selftest.bin"


def test_parse_capabilities():
    text = """mini-kvm check: kvm_pvm (KVM API 12)
  capability   ok   detail
  real         yes  emulated
  paging       no   KVM_EXIT_SHUTDOWN: kvm-pvm supports paging only in long mode
  long         yes
"""
    assert lanes.parse_capabilities(text) == {
        "real": (True, "emulated"),
        "paging": (False, "KVM_EXIT_SHUTDOWN: kvm-pvm supports paging only in long mode"),
        "long": (True, ""),
    }
    assert lanes.parse_capabilities("") == {}


def test_host_kvm_problem_names_the_cause():
    assert "cannot open /nonexistent" in lanes.host_kvm_problem("/nonexistent")
    assert "KVM_GET_API_VERSION failed" in lanes.host_kvm_problem("/dev/null")


@pytest.mark.lanes("nested")
def test_l1_has_kvm_amd(lane):
    r = lane.shell("test -c /dev/kvm && cat /sys/module/kvm_amd/parameters/nested && "
                   "dmesg | grep -i 'nested paging'")
    assert r.status == 0, r
    assert r.out.splitlines()[0] in ("1", "Y"), r
    assert "enabled" in r.out.lower(), r


def test_status_stdout_stderr(lane):
    r = lane.shell(r"printf 'a\nb\r\n@@END x 0 ok\n\033[6n'; printf 'e\n' >&2; exit 7")
    assert r.status == 7
    assert r.stdout == b"a\nb\r\n@@END x 0 ok\n\x1b[6n"
    assert r.stderr == b"e\n"


def test_empty_output_and_signal_status(lane):
    r = lane.shell("kill -TERM $$")
    assert (r.status, r.stdout, r.stderr) == (128 + 15, b"", b"")


# SigIgn is a mask, bit N-1 for signal N. Signals 1-31 are the standard ones (INT, QUIT,
# TERM, HUP ...); 32 and 33 belong to the C library (thread cancellation, setxid), which
# no program can reset and a sandbox may hand down ignored.
STANDARD_SIGNALS = (1 << 31) - 1


def ignored_standard_signals(sig_ign: bytes) -> int:
    return int(sig_ign, 16) & STANDARD_SIGNALS


def test_commands_start_with_default_signals(lane):
    # No ignored standard signals: ^C and kill -INT work as on a terminal.
    r = lane.shell("grep SigIgn /proc/self/status")
    assert r.stdout.startswith(b"SigIgn:\t"), r
    assert ignored_standard_signals(r.stdout.split()[1]) == 0, r
    with lane.shell_interactive("grep SigIgn /proc/self/status", timeout=30) as p:
        p.expect(rb"SigIgn:\s+(\w+)")
        assert ignored_standard_signals(p.match.group(1)) == 0, p.match.group(1)
        assert p.wait() == 0


def test_binary_stdin_roundtrip(lane):
    data = SELFTEST_DATA.read_bytes() + random.Random(1).randbytes(200_000)
    r = lane.shell("cat; cat >&2 </dev/null", stdin=data)
    assert r.status == 0, r.err
    assert r.stdout == data


def test_large_compressible_roundtrip(lane):
    # Goes gzip'd both ways (the serial line alone would take a minute for this).
    data = b"".join(b"line %d\n" % i for i in range(50_000)) + b"\xf4" * (2 << 20)
    r = lane.shell("cat; cat >&2 </dev/null", stdin=data, timeout=120)
    assert r.status == 0, r.err
    assert r.stdout == data


def test_noise_on_the_lines_is_ignored(lane):
    if lane.name == "nested":
        # A stray protocol look-alike on the console and on the control line itself.
        lane.shell("echo '@@EXIT x 0' >/dev/console; echo '@@END x 0 ok' >/dev/ttyS1")
    assert lane.shell("echo ok").stdout == b"ok\n"


def test_shipped_and_put_files(lane):
    r = lane.shell(f"cat {lane.file(SELFTEST_DATA)}")
    assert r.stdout == SELFTEST_DATA.read_bytes()
    path = lane.put(b"\x00\xff\r\n", "selftest-put")
    assert lane.shell(f"cat {path}").stdout == b"\x00\xff\r\n"


def test_unshipped_file_is_refused(lane):
    if lane.name == "host":
        assert lane.file("Makefile") == str(lanes.REPO_ROOT / "Makefile")
    else:
        with pytest.raises(LaneError, match="not shipped"):
            lane.file("Makefile")


RUNNING_SLEEPS = ("for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline; echo; done 2>/dev/null"
                  " | grep -c '^sleep 4242'")


def test_hung_command_times_out_and_lane_recovers(lane):
    with pytest.raises(LaneTimeout) as e:
        lane.shell("echo before; sleep 4242 & sleep 4242", timeout=2)
    assert e.value.result.stdout == b"before\n"
    # The command's whole session died with it, and the lane still works.
    r = lane.shell(RUNNING_SLEEPS)
    assert r.stdout == b"0\n", r


def test_background_children_are_cleaned_up(lane):
    r = lane.shell("sleep 4242 & echo started")
    assert r.stdout == b"started\n"
    assert lane.shell(RUNNING_SLEEPS).stdout == b"0\n"


def test_interactive_read_and_status(lane):
    with lane.shell_interactive("read x; echo got $x; exit 5", timeout=30) as p:
        p.sendline(b"hello")
        p.expect(rb"got (\w+)")
        assert p.match.group(1) == b"hello"
        assert p.wait() == 5
        assert p.wait() == 5  # again: nothing left to wait for, same answer


def test_commands_run_beside_an_interactive_one(lane):
    with lane.shell_interactive("echo first; read x; echo got $x", timeout=30) as p:
        assert lane.shell("echo beside").stdout == b"beside\n"
        p.expect(b"first\r\n")
        p.sendline(b"more")
        p.expect(b"got more")
        assert p.wait() == 0


def test_interactive_eof_pattern(lane):
    # All output right before the end arrives (a console hangup would drop the tail).
    with lane.shell_interactive("echo one; seq 1 3000", timeout=30) as p:
        assert p.expect([b"three", pexpect.EOF]) == 1
        assert p.before.startswith(b"one\r\n1\r\n")
        assert p.before.endswith(b"\r\n2999\r\n3000\r\n")
        assert p.wait() == 0


def test_interactive_raw_bytes_reach_the_command(lane):
    # ^A must reach the command (the inner VMM's escape key), not QEMU.
    with lane.shell_interactive("stty raw -echo; echo ready; head -c 2 | od -An -tx1; stty sane",
                                timeout=30) as p:
        p.expect(b"ready")
        p.send(b"\x01\x03")
        p.expect(rb"01 03")
        assert p.wait() == 0


def test_interactive_ctrl_c(lane):
    with lane.shell_interactive("echo ready; exec sleep 4242", timeout=30) as p:
        p.expect(b"ready")
        p.sendcontrol("c")
        assert p.wait() == 128 + 2


def test_interactive_timeout_then_recovers(lane):
    p = lane.shell_interactive("exec sleep 4242", timeout=30)
    with pytest.raises(LaneTimeout):
        p.wait(timeout=2)
    with lane.shell_interactive("echo again", timeout=30) as p:
        p.expect(b"again")
        assert p.wait() == 0
    assert lane.shell(RUNNING_SLEEPS).stdout == b"0\n"


@pytest.mark.lanes("nested")
def test_wedged_l1_is_rebooted(lane, monkeypatch):
    boots = lane.boots
    monkeypatch.setattr(lane, "reply_grace", 3.0)
    # Stop the command loop itself: L1 answers nothing any more.
    with pytest.raises(LaneError):
        lane.shell("kill -STOP $PPID", timeout=2)
    assert lane.shell("echo alive").stdout == b"alive\n"
    assert lane.boots == boots + 1


def _needs_vmm(lane):
    vmm = lanes.BUILD / "mini-kvm"
    if not vmm.exists():
        pytest.skip(f"{vmm.relative_to(lanes.REPO_ROOT)} not built")
    if lane.name == "nested" and not lane.has_vmm:
        pytest.skip("mini-kvm was built after L1's initramfs")


def test_mini_kvm_version(lane):
    _needs_vmm(lane)
    r = lane.run(["version"])
    assert r.status == 0, r
    assert r.stdout.strip(), r


def test_mini_kvm_check_parses(lane):
    _needs_vmm(lane)
    caps = lane.capabilities()
    missing = [name for name in lanes.CAPABILITIES if name not in caps]
    assert not missing, f"`mini-kvm check` does not report {missing}:\n{lane.check_output}"
