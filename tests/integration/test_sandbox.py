# SPDX-License-Identifier: MIT
"""The seccomp sandboxes (src/sandbox.c): every thread runs under its filter, a forbidden
system call ends the process (kill or trap), --seccomp/--no-seccomp/MINI_KVM_SECCOMP choose,
and guest RAM stays out of core dumps.

The rest of the suite runs with the filters on (the default): that it passes is the proof
that the allow-lists hold what mini-kvm needs. Here, a test build of the VMM
(build/mini-kvm-sandbox-test, host lane) makes a forbidden call on request to show that
they bite.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import lanes

SIGSYS_STATUS = 128 + signal.SIGSYS  # SANDBOX_EXIT_STATUS
KINDS = ["main", "guest", "vcpu", "stdin", "signals"]
TEST_VMM = lanes.BUILD / "mini-kvm-sandbox-test"
GUEST_RAM_MIB = 64


def _trap_message(kind: str) -> str:
    return (f"mini-kvm: seccomp: the {kind} thread made system call socket (41), which its "
            f"allow-list (src/sandbox/rules.h) forbids; --no-seccomp runs without the filters\n")


def _run_test_vmm(lane, kind: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MINI_KVM_SANDBOX_TEST=kind)
    env.pop("MINI_KVM_SECCOMP", None)
    return subprocess.run([str(TEST_VMM), "run", *args, lane.guest("hello.bin")],
                          stdin=subprocess.PIPE, capture_output=True, timeout=30, env=env,
                          preexec_fn=lanes.default_signals)


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
@pytest.mark.parametrize("kind", KINDS)
def test_a_forbidden_call_kills_the_process(lane, kind):
    p = _run_test_vmm(lane, kind)
    assert p.returncode == -signal.SIGSYS, p
    assert b"seccomp" not in p.stderr, p


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
@pytest.mark.parametrize("kind", KINDS)
def test_trap_mode_names_the_call_and_the_thread(lane, kind):
    p = _run_test_vmm(lane, kind, "--seccomp=trap")
    assert p.returncode == SIGSYS_STATUS, p
    assert p.stderr.decode() == _trap_message(kind), p


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
@pytest.mark.parametrize("off", [["--no-seccomp"], ["--seccomp", "off"]])
def test_no_seccomp_lets_the_call_through(lane, off):
    p = _run_test_vmm(lane, "vcpu", *off)
    assert p.returncode == 0, p
    assert p.stdout == b"Hello, KVM!\n", p


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_a_sandboxed_thread_frees_a_large_heap(lane):
    """glibc opens /proc/sys/vm/overcommit_memory the first time it shrinks a thread's
    heap: a vCPU thread freeing 4 MiB of 64 KiB chunks must not get there (as --net tap's
    frames did, killing mini-kvm under load)."""
    env = dict(os.environ, MINI_KVM_SANDBOX_TEST_HEAP="vcpu")
    env.pop("MINI_KVM_SECCOMP", None)
    p = subprocess.run([str(TEST_VMM), "run", "--seccomp=trap", lane.guest("hello.bin")],
                       stdin=subprocess.PIPE, capture_output=True, timeout=30, env=env,
                       preexec_fn=lanes.default_signals)
    assert p.returncode == 0, p
    assert p.stdout == b"Hello, KVM!\n", p


def _threads(pid: int) -> dict[str, list[tuple[int, int]]]:
    """Each thread's name -> [(Seccomp mode, Seccomp_filters)], kernel workers left out."""
    threads: dict[str, list[tuple[int, int]]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            status = (task / "status").read_text()
        except OSError:
            continue  # it ended meanwhile
        if name.startswith("kvm-"):
            continue  # KVM's own workers (NX huge page recovery) live in the process too
        mode = int(re.search(r"^Seccomp:\s+(\d+)", status, re.M).group(1))
        filters = int(re.search(r"^Seccomp_filters:\s+(\d+)", status, re.M).group(1))
        threads.setdefault(name, []).append((mode, filters))
    return threads


def _spinning(lane, *args: str) -> subprocess.Popen:
    spin = lane.test_guest("spin.bin")
    return subprocess.Popen([lane.vmm_binary(), "run", *args, "--timeout", "20", "-m",
                             str(GUEST_RAM_MIB), spin, spin],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=lanes.default_signals)


def _wait_for_vcpus(pid: int, count: int) -> dict[str, list[tuple[int, int]]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        threads = _threads(pid)
        if len(threads.get("vcpu", [])) == count and "stdin" in threads:
            return threads
        time.sleep(0.1)
    raise AssertionError(f"no {count} vCPU threads: {_threads(pid)}")


SECCOMP_MODE_FILTER = 2  # /proc/PID/status, "Seccomp:"


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_every_thread_runs_in_its_sandbox(lane):
    p = _spinning(lane)
    try:
        threads = _wait_for_vcpus(p.pid, 2)
        main = Path(lane.vmm_binary()).name[:15]
        # One filter each; a vCPU's adds to its guest thread's, which it inherits.
        expected = {main: [(SECCOMP_MODE_FILTER, 1)], "signals": [(SECCOMP_MODE_FILTER, 1)],
                    "stdin": [(SECCOMP_MODE_FILTER, 1)],
                    "guest": [(SECCOMP_MODE_FILTER, 1)] * 2,
                    "vcpu": [(SECCOMP_MODE_FILTER, 2)] * 2}
        assert threads == expected
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 128 + signal.SIGTERM, (out, err)


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_no_seccomp_installs_no_filter(lane):
    p = _spinning(lane, "--no-seccomp")
    try:
        threads = _wait_for_vcpus(p.pid, 2)
        assert {state for states in threads.values() for state in states} == {(0, 0)}, threads
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_guest_ram_stays_out_of_core_dumps(lane):
    p = _spinning(lane)
    try:
        _wait_for_vcpus(p.pid, 2)
        smaps = Path(f"/proc/{p.pid}/smaps").read_text()
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    # Each mapping: its header line, "Size:" and later "VmFlags:" (dd: do not dump). The
    # kernel may merge the two guests' RAM into one mapping: count the bytes.
    undumped = 0
    for mapping in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", smaps):
        size = re.search(r"^Size:\s+(\d+) kB$", mapping, re.M)
        flags = re.search(r"^VmFlags:(.*)$", mapping, re.M)
        if size and flags and "dd" in flags.group(1).split():
            undumped += int(size.group(1))
    assert undumped >= 2 * GUEST_RAM_MIB * 1024, smaps  # one guest each


def test_seccomp_modes_run_guests_alike(lane):
    outs = set()
    for mode in (["--seccomp", "kill"], ["--seccomp=trap"], ["--no-seccomp"], []):
        r = lane.run(["run", *mode, lane.guest("hctest.bin")], timeout=60)
        assert r.status == 0, r
        outs.add(r.stdout)
    assert len(outs) == 1, outs


def test_a_bad_seccomp_mode_is_refused(lane):
    r = lane.run(["run", "--seccomp", "strict", lane.guest("hello.bin")])
    assert r.status == 2, r
    assert r.err == ("mini-kvm: --seccomp 'strict': not kill, trap or off "
                     "(see 'mini-kvm help')\n"), r
    r = lane.shell(f"MINI_KVM_SECCOMP=on {lane.vmm_binary()} run {lane.guest('hello.bin')}")
    assert r.status == 1, r
    assert r.err == "mini-kvm: MINI_KVM_SECCOMP: seccomp mode 'on': not kill, trap or off\n", r
    r = lane.shell(f"MINI_KVM_SECCOMP=off {lane.vmm_binary()} run {lane.guest('hello.bin')}")
    assert (r.status, r.out) == (0, "Hello, KVM!\n"), r
