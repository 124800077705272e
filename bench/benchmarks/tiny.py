# SPDX-License-Identifier: MIT
"""tiny: how lean and how dense mini-kvm is (host lane). A guest that does nothing but
HC_EXIT 0 (bench/guests/tiny.S) timed from exec to the process's exit, with and without
the in-kernel irqchip, against kvm-floor (bench/kvm_floor.c: a bare KVM_RUN program,
the least any VMM can do), with the peak RSS of each; then 1, 64 and 1,000 guests
(guests/hello.S) at once in one mini-kvm process: the wall time, the peak RSS and
whether every guest printed its line."""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from benchlib import BENCH_BUILD, BenchFailure, fmt_row, lanes, progress

# Start-to-exit runs of each case per run of make bench (alternating): one run of a
# few milliseconds is noise on a shared host.
REPEATS = 10
# The cases: (name, the program: mini-kvm, its static twin or kvm-floor, its argv).
# The static twin (build/mini-kvm-static: all but --net user) maps no shared libraries:
# the build for density.
CASES = (
    ("mini-kvm", "mini-kvm", ["run"]),
    ("mini-kvm --irqchip", "mini-kvm", ["run", "--irqchip"]),
    ("mini-kvm-static", "mini-kvm-static", ["run"]),
    ("kvm-floor", "kvm-floor", []),
    ("kvm-floor --pit", "kvm-floor", ["--pit"]),
    ("kvm-floor --pit-no-reinject", "kvm-floor", ["--pit-no-reinject"]),
)
# Each mini-kvm case against the floor it is judged by (the targets).
FLOORS = {"mini-kvm": "kvm-floor", "mini-kvm --irqchip": "kvm-floor --pit-no-reinject",
          "mini-kvm-static": "kvm-floor"}
TARGET_RATIO = 1.5
TARGET_RSS_KIB = 1536
DENSITY = (1, 64, 1000)
DENSITY_LIMIT_KIB = 2 * 1024 * 1024
# Seconds 1,000 guests may take before the run counts as hung (measured: ~2 s).
DENSITY_TIMEOUT = 300
HELLO_LINE = "Hello, KVM!"
# GNU time (Debian's time package): a peak RSS without Python's in it.
TIME = "/usr/bin/time"


@dataclass
class Run:
    """One process: its wall time from exec to exit (ms) and peak RSS (KiB)."""
    ms: float
    rss_kib: int
    status: int
    out: str = ""


def l1_payload() -> list:
    return []


def program(name: str) -> str:
    return str(BENCH_BUILD / name if name == "kvm-floor" else lanes.BUILD / name)


def peak_rss_kib(argv: list[str], timeout: float = 60) -> tuple[int, bytes]:
    """The peak RSS of argv (KiB) and its stdout, by GNU time (%M): a small parent's
    fork and exec. Not wait4 from here: Python spawns with vfork, and exec carries the
    parent's peak into the child's ru_maxrss (Python's ~20 MiB)."""
    with tempfile.NamedTemporaryFile("r") as f:
        p = subprocess.run([TIME, "-f", "%M", "-o", f.name, *argv], capture_output=True,
                           timeout=timeout, check=False)
        text = f.read().strip().splitlines()
    if not text or not text[-1].isdigit():
        raise BenchFailure(f"tiny: {TIME} reported no peak RSS for {argv[:3]}: {text}")
    return int(text[-1]), p.stdout


def run_measured(argv: list[str], timeout: float = 60) -> Run:
    """argv in a fresh child: its wall time from spawn to exit, and its peak RSS from a
    second run (peak_rss_kib())."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    deadline = start + timeout
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            break
        if time.perf_counter() > deadline:
            os.kill(pid, 9)
            os.wait4(pid, 0)
            raise BenchFailure(f"tiny: {argv} did not end in {timeout} s")
        time.sleep(0.0002)
    ms = (time.perf_counter() - start) * 1e3
    del usage
    return Run(ms, peak_rss_kib(argv, timeout)[0], os.waitstatus_to_exitcode(status))


def density_run(n: int) -> dict:
    """n hello guests in one process: wall ms, its peak RSS (wait4), and how many
    guests printed their line."""
    hello = str(lanes.BUILD / "guests" / "hello.bin")
    argv = [program("mini-kvm"), "run", *([hello] * n)]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss_file:
        p = subprocess.Popen([TIME, "-f", "%M", "-o", rss_file.name, *argv],
                             stdout=subprocess.PIPE, stderr=err)
        timer = threading.Timer(DENSITY_TIMEOUT, p.kill)
        timer.start()
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        ms = (time.perf_counter() - start) * 1e3
        err.seek(0)
        err_text = err.read().decode(errors="replace")[-500:]
        rss = rss_file.read().strip().splitlines()
    del usage
    text = out.decode(errors="replace")
    if n == 1:
        good = 1 if text == HELLO_LINE + "\n" else 0
    else:
        seen = set(int(m) for m in re.findall(rf"^\[(\d+):hello\] {re.escape(HELLO_LINE)}$",
                                               text, re.M))
        good = len(seen & set(range(1, n + 1)))
    return {"n": n, "ms": ms, "rss_kib": int(rss[-1]) if rss and rss[-1].isdigit() else 0,
            "good": good,
            "status": p.returncode, "err": err_text,
            "nofile_hard": resource.getrlimit(resource.RLIMIT_NOFILE)[1]}


def measure(ctx, runs: int, quick: bool) -> dict:
    del ctx
    tiny = str(BENCH_BUILD / "tiny.bin")
    repeats = 1 if quick else REPEATS * runs
    data = {"start": {name: [] for name, _, _ in CASES}, "density": []}
    for i in range(repeats):
        progress(f"tiny: start-to-exit, round {i + 1} of {repeats}")
        for name, prog, args in CASES:
            data["start"][name].append(run_measured([program(prog), *args, tiny]))
    for n in DENSITY:
        progress(f"tiny: {n} guests at once")
        data["density"].append(density_run(n))
    return data


def check(data: dict) -> None:
    """Every run ended as its guest says (status 0), and every guest printed its line."""
    for name, rows in data["start"].items():
        bad = [r.status for r in rows if r.status != 0]
        if bad:
            raise BenchFailure(f"tiny: {name} exited {bad}, expected 0")
    for d in data["density"]:
        if d["status"] != 0 or d["good"] != d["n"]:
            raise BenchFailure(f"tiny: {d['n']} guests: status {d['status']}, {d['good']} "
                               f"printed their line: {d['err']}")


def _median(rows: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in rows)


def report(data: dict) -> list[str]:
    start = data["start"]
    lines = [
        "## Tiny: start-to-exit, peak RSS and density (host lane)",
        "",
        "A guest that only makes HC_EXIT 0 (bench/guests/tiny.S), from the VMM's exec to "
        "its exit as the parent sees it (posix_spawn to wait4), alternating the cases; "
        "peak RSS from GNU time's %M in a second run. The density runs' wall time "
        "includes GNU time's fork and exec (~1 ms). kvm-floor is a bare KVM_RUN program (bench/kvm_floor.c): "
        "--pit adds KVM's irqchip and PIT, --pit-no-reinject turns the PIT's tick "
        "reinjection off as mini-kvm does for bare guests. QEMU is not run: it has no "
        "way to start a flat real-mode binary without firmware, whose boot would "
        "dominate (its microvm boots are in \"Boot\"). mini-kvm-static is "
        "build/mini-kvm-static, the same VMM linked statically (all but --net user, whose "
        "libslirp Debian ships shared only): no shared library pages.",
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in start.items():
        lines.append(fmt_row(f"{name}: start to exit", [r.ms for r in rows], "ms", 2))
    for name, rows in start.items():
        lines.append(fmt_row(f"{name}: peak RSS", [r.rss_kib / 1024 for r in rows], "MiB", 2))
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for vmm, floor in FLOORS.items():
        ratio = _median(start[vmm], "ms") / _median(start[floor], "ms")
        lines.append(f"| {vmm} ≤ {TARGET_RATIO}x {floor} (medians) | {ratio:.2f}x | "
                     f"{'yes' if ratio <= TARGET_RATIO else 'no'} |")
    for vmm in FLOORS:
        rss = _median(start[vmm], "rss_kib")
        lines.append(f"| {vmm} peak RSS ≤ {TARGET_RSS_KIB / 1024:.1f} MiB | "
                     f"{rss / 1024:.2f} MiB | {'yes' if rss <= TARGET_RSS_KIB else 'no'} |")
    big = data["density"][-1]
    lines.append(f"| {big['n']} guests in one process within 2 GiB, every output right | "
                 f"{big['rss_kib'] / 1024:.0f} MiB, {big['good']} of {big['n']} | "
                 f"{'yes' if big['rss_kib'] <= DENSITY_LIMIT_KIB and big['good'] == big['n'] else 'no'} |")
    lines += [
        "",
        "Guests at once in one `mini-kvm run` (guests/hello.S, 128 MiB of RAM each, "
        "mapped but untouched but for the page or two each guest uses; two threads and "
        f"two file descriptors per guest; RLIMIT_NOFILE's hard limit here: "
        f"{big['nofile_hard']}):",
        "",
        "| guests | wall | peak RSS | per guest | lines right |",
        "|---|---|---|---|---|",
    ]
    for d in data["density"]:
        lines.append(f"| {d['n']} | {d['ms']:.0f} ms | {d['rss_kib'] / 1024:.1f} MiB | "
                     f"{d['rss_kib'] / d['n']:.0f} KiB | {d['good']} of {d['n']} |")
    lines.append("")
    return lines
