# SPDX-License-Identifier: MIT
"""The VMM around the guests: exit statuses, several guests at once, deaths, hostile
guests, --stats/--trace/--timeout, signals and `mini-kvm check`."""

import os
import re
import signal
import subprocess
import time

import pytest

import lanes

SOLO_OUTPUT = {
    "hello": ["Hello, KVM!"],
    "counter": [str(i) for i in range(10)],
    "multiplication": [f"{a} x {b} = {a * b}" for a in range(2, 10) for b in range(1, 10)],
}
PREFIX = re.compile(r"^\[(\d+):([\w-]+)\] (.*)$")


def split_prefixed(text: str) -> dict[tuple[int, str], list[str]]:
    """Group prefixed output lines by guest; every line must carry a prefix."""
    by_guest: dict[tuple[int, str], list[str]] = {}
    for line in text.splitlines():
        m = PREFIX.match(line)
        assert m, f"unprefixed or broken line: {line!r}"
        by_guest.setdefault((int(m[1]), m[2]), []).append(m[3])
    return by_guest


# --- several guests ---------------------------------------------------------------


@pytest.mark.needs("real", "long")
def test_four_guest_demo_lines_arrive_whole_and_prefixed(lane):
    r = lane.run(["run", lane.guest("hello.bin"), lane.guest("counter.bin"),
                  lane.guest("multiplication.bin"), lane.guest("long.elf")])
    assert r.status == 0, r
    by_guest = split_prefixed(r.out)
    assert set(by_guest) == {(1, "hello"), (2, "counter"), (3, "multiplication"), (4, "long")}
    for (_, name), lines in by_guest.items():
        if name in SOLO_OUTPUT:
            assert lines == SOLO_OUTPUT[name], name
    assert by_guest[(4, "long")][-1] == "long: ok"


@pytest.mark.needs("real")
def test_exit_status_is_the_first_nonzero_guest_status(lane):
    g = lane.test_guest
    r = lane.run(["run", lane.guest("hello.bin"), g("exit9.bin"), g("exit7.bin")])
    assert r.status == 9, r
    assert split_prefixed(r.out) == {(1, "hello"): ["Hello, KVM!"]}
    assert lane.run(["run", g("exit7.bin")]).status == 7


@pytest.mark.needs("real")
def test_stdin_belongs_to_the_first_guest(lane):
    r = lane.run(["run", lane.guest("echo.bin"), lane.guest("hello.bin")], stdin=b"to echo\n")
    assert r.status == 0, r
    assert split_prefixed(r.out) == {(1, "echo"): ["to echo"], (2, "hello"): ["Hello, KVM!"]}


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_guests_run_concurrently(lane):
    """Three guests that each spin until --timeout 1 end together, not one after another."""
    spin = lane.test_guest("spin.bin")
    start = time.monotonic()
    r = lane.run(["run", "--timeout", "1", spin, spin, spin])
    elapsed = time.monotonic() - start
    assert r.status == 124, r
    assert r.err.count("still running after 1.000 s (--timeout)") == 3, r
    assert elapsed < 2.5, f"three 1 s guests took {elapsed:.1f} s: not concurrent"


# --- deaths ------------------------------------------------------------------------


@pytest.mark.needs("long")
def test_triple_fault_ends_with_status_3_and_a_register_dump(lane):
    r = lane.run(["run", "--mode", "long", lane.test_guest("triple_fault.bin")])
    assert r.status == 3, r
    assert "died: triple fault (KVM_EXIT_SHUTDOWN)" in r.err
    assert re.search(r"cr0=0x[0-9a-f]+ cr2=.* efer=0x[0-9a-f]+", r.err), r.err
    assert re.search(r"exception: |exception (injected|pending)", r.err), r.err
    assert "last 1 of 1 exits, oldest first:" in r.err
    assert "SHUTDOWN" in r.err.split("oldest first:")[1]
    if lane.kvm_module() == "kvm_amd":
        # SVM resets the vCPU on a shutdown intercept: the dump must say so, not mislead.
        assert "note: KVM reset this vCPU when it intercepted the triple fault" in r.err, r.err
    else:
        assert "vCPU 0 registers (64-bit long mode, CPL 0)" in r.err
        assert "rax=0x000000001234abcd" in r.err
        assert re.search(r"code at linear 0x[0-9a-f]+ \(GPA 0x[0-9a-f]+\): 0f 0b", r.err), r.err
        assert "efer=0x500" in r.err


@pytest.mark.lanes("host")
def test_death_from_a_host_limitation_says_so(lane):
    paging = lane.capability("paging")
    if paging is None or paging[0]:
        pytest.skip("this host's KVM runs 32-bit paging: nothing to explain")
    r = lane.run(["run", lane.guest("paging.elf")])
    assert r.status == 3, r
    assert re.search(r"this host's KVM \(\w+\) cannot run 32-bit protected mode with 4 MiB-page "
                     r"paging: its 'paging' probe fails too", r.err), r.err


@pytest.mark.needs("long")
def test_death_without_a_host_limitation_blames_no_host(lane):
    r = lane.run(["run", "--mode", "long", lane.test_guest("triple_fault.bin")])
    assert r.status == 3
    assert "this host's KVM" not in r.err


# --- hostile guests ------------------------------------------------------------------


@pytest.mark.needs("real")
def test_wild_ports_read_all_ones_and_string_io_arrives(lane):
    r = lane.run(["run", "--stats=json", lane.test_guest("wild_io.bin")])
    assert (r.status, r.out) == (0, "rep outsb reached COM1\nwild-io: ok\n"), r
    total = lanes.stats_of(lanes.parse_stats(r.err))["total"]
    assert total["unclaimed"] == 5, total
    wild = lanes.io_entry(total, "in", 0x2f8)
    assert wild and wild["count"] == 1 and wild["unclaimed"], total
    # One exit carried the whole rep outsb string: 23 bytes, one access each.
    com1 = lanes.io_entry(total, "out", 0x3f8)
    assert com1 and com1["count"] == 23 and com1["device"] == "serial COM1", total


@pytest.mark.needs("long")
def test_hostile_pointers_and_mmio_leave_the_vmm_in_control(lane):
    r = lane.run(["run", "-m", "2", "--mode", "long", "--stats=json",
                  lane.test_guest("hostile.bin")])
    assert (r.status, r.out) == (0, "AAAA\nhostile: ok\n"), r
    total = lanes.stats_of(lanes.parse_stats(r.err))["total"]
    assert total["unclaimed"] == 2, total
    mmio = lanes.io_entry(total, "mmio read", 0xd0000000)
    assert mmio and mmio["count"] == 1 and mmio["unclaimed"], total
    # Two are few: no warning without --stats.
    assert "warning" not in r.err, r


# --- options ----------------------------------------------------------------------


@pytest.mark.needs("real")
def test_trace_logs_every_exit(lane):
    r = lane.run(["run", "--trace", lane.guest("counter.bin")])
    assert r.status == 0, r
    lines = r.err.splitlines()
    assert len(lines) == 21, r.err
    assert all(line.startswith("[1:counter] vcpu0 ") for line in lines)
    assert sum(" IO rip=" in line and "write 0x500" in line for line in lines) == 20
    assert " HLT rip=" in lines[-1]


@pytest.mark.needs("real")
def test_timeout_stops_a_spinning_guest(lane):
    r = lane.run(["run", "--timeout", "0.5", lane.test_guest("spin.bin")])
    assert r.status == 124, r
    lines = r.err.splitlines()
    assert lines[0] == (f"mini-kvm: guest '{lane.test_guest('spin.bin')}': "
                        "still running after 0.500 s (--timeout)"), r.err
    # Where it was stuck: the spin loop (jmp $, eb fe) at the start of the image.
    assert lines[1] == "vCPU 0 registers (real mode, CPL 0):", r.err
    assert re.search(r"code at linear 0x0 \(GPA 0x0\): eb fe", r.err), r.err


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_guests_in_order(lane, sig):
    spin = lane.test_guest("spin.bin")
    p = subprocess.Popen([lane.vmm_binary(), "run", spin, spin],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lanes.default_signals)
    time.sleep(0.5)
    p.send_signal(sig)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 128 + sig, (p.returncode, err)
    assert err.decode().count(f"stopped by signal {int(sig)}") == 2, err


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_closed_stdout_ends_quietly_as_cat_does(lane):
    """A reader that goes away (EPIPE) ends the guest with status 0 and nothing on
    stderr, as `cat big | head -1` leaves no message; never a crash."""
    p = subprocess.run(f"'{lane.vmm_binary()}' run '{lane.guest('multiplication.bin')}'"
                       " | head -c 1 >/dev/null; echo ${PIPESTATUS[0]}",
                       shell=True, executable="/bin/bash", capture_output=True, timeout=30,
                       preexec_fn=lanes.default_signals)
    assert p.stdout.decode().strip() == "0", p
    assert p.stderr == b"", p


# --- mini-kvm check -------------------------------------------------------------------


def test_check_reports_every_capability_and_the_module(lane):
    r = lane.run(["check"])
    assert r.status == 0, r
    assert re.match(r"mini-kvm check: host KVM is kvm_\w+ \(API 12, up to \d+ vCPUs\)", r.out), r.out
    caps = lanes.parse_capabilities(r.out)
    assert set(caps) == set(lanes.CAPABILITIES), caps
    for name in ("real", "long"):
        assert caps[name][0], (name, caps[name])


@pytest.mark.lanes("nested")
def test_check_nested_lane_has_hardware_semantics(lane):
    r = lane.run(["check"])
    assert "host KVM is kvm_amd" in r.out, r.out
    caps = lanes.parse_capabilities(r.out)
    for name in ("real", "protected", "paging", "long", "ring3", "syscall", "int-gate",
                 "irq-ring3"):
        assert caps[name][0], (name, caps[name])


@pytest.mark.lanes("host")
def test_check_host_module_matches_sysfs(lane):
    module = next((m for m in os.listdir("/sys/module") if m.startswith("kvm_")), None)
    r = lane.run(["check"])
    assert f"host KVM is {module} " in r.out, (module, r.out)
