# SPDX-License-Identifier: MIT
"""matmul: an N x N double-precision multiply (N = 64 .. 512), one C kernel compiled once
(bench/matmul/) and run natively, as a bare ring-3 guest of mini-kvm, as the same guest
on QEMU's PC machine under KVM (if this host's KVM runs it) and under TCG, and natively
inside Linux under TCG; the checksums of C must agree bit for bit, or the benchmark
fails."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchlib import (BENCH_BUILD, BENCH_DIR, PLOT_SIZE, QEMU_BIN, BenchFailure, fmt_time,
                      gnuplot, lanes, progress, summary)

# Matrix sizes, and those of --quick (a smoke check: the smallest only).
SIZES = (64, 128, 256, 512)
QUICK_SIZES = (64,)
NATIVE = BENCH_BUILD / "matmul-native"
KVM_GUEST = BENCH_BUILD / "matmul-kvm.elf"
PC_GUEST = BENCH_BUILD / "matmul-pc.elf"
STATIC = BENCH_BUILD / "matmul-native-static"
BATCH = BENCH_DIR / "matmul" / "linux-batch"
INITRD = BENCH_BUILD / "matmul-linux.cpio.gz"
# QEMU for the bare PC build: its default machine (SeaBIOS loads the Multiboot image),
# serial on stdout, and isa-debug-exit at platform_pc.c's port. The guest writes 0 there
# on success: QEMU then exits with (0 << 1) | 1.
QEMU_BARE = [str(QEMU_BIN), "-m", "128", "-nodefaults", "-no-user-config", "-display", "none",
             "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
QEMU_DEBUG_EXIT_OK = 1
# Linux under TCG: the lanes' Debian kernel, one vCPU; the guest's /init runs
# bench/matmul/linux-batch and powers off (-no-reboot makes QEMU exit then).
QEMU_LINUX = [str(QEMU_BIN), "-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults",
              "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot"]
LINUX_PARAMS = "console=ttyS0 quiet panic=-1 mkvm.batch"
LINUX = "Linux in QEMU TCG"
# Seconds one bare run may take (TCG, N=512: ~2 s here), and a Linux boot with all sizes.
TIMEOUT = 120
LINUX_TIMEOUT = 600
# Every runner is pinned to this CPU: the two vCPUs of this project's machines differ
# (N=64 took 105 us on CPU 0 and 210 us on CPU 1, in every one of 6 alternating runs),
# and a runner must not win by the CPU it happened to land on.
CPU = 0

_LINE = re.compile(r"matmul n=(\d+) reps=(\d+) run=(\d+) ns=(\d+) checksum=([0-9a-f]{16})")


@dataclass
class Matmul:
    """What the runners reported: seconds per multiply by runner and N, and every
    (runner, checksum) seen for each N."""
    sizes: tuple[int, ...]
    runs: int
    times: dict[str, dict[int, list[float]]]
    checksums: dict[int, set[tuple[str, str]]]
    kvm_missing: str | None  # why QEMU-KVM did not run, or None


def l1_payload() -> list[tuple[Path, str]]:
    return []  # everything runs on this host (Linux in QEMU TCG, not in L1)


# --- measuring --------------------------------------------------------------------------


def samples(out: str) -> list[tuple[int, float, str]]:
    """(N, seconds per multiply, checksum) of each result line in a runner's output."""
    return [(int(m[1]), int(m[4]) / 1e9, m[5]) for m in _LINE.finditer(out)]


def run_one(name: str, argv: list[str], stdin: str = "", ok_status: int = 0,
            timeout: float = TIMEOUT) -> list[tuple[int, float, str]]:
    """Run one matmul runner; its samples. Raises BenchFailure if it fails."""
    try:
        p = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                           timeout=timeout,
                           preexec_fn=lambda: os.sched_setaffinity(0, {CPU}))
    except subprocess.TimeoutExpired:
        raise BenchFailure(f"matmul: {name} timed out after {timeout} s: "
                           f"{' '.join(argv)}") from None
    got = samples(p.stdout)
    if p.returncode != ok_status or not got:
        raise BenchFailure(f"matmul: {name} failed (status {p.returncode}, expected "
                           f"{ok_status}): {' '.join(argv)}\n{p.stdout[-800:]}"
                           f"{p.stderr[-800:]}")
    return got


def runners(probe_kvm: bool) -> tuple[dict, str | None]:
    """The bare runners: name -> function(N) -> samples of one run. QEMU-KVM joins
    when a probe run works on this host (else the second value says why not)."""
    def native(n):
        return run_one("native", [str(NATIVE), f"n={n}", "runs=1"])

    def mini_kvm(n):
        return run_one("mini-kvm", [str(lanes.BUILD / "mini-kvm"), "run", str(KVM_GUEST)],
                       stdin=f"n={n} runs=1\n")

    def qemu(accel):
        def run(n):
            return run_one(f"QEMU {accel}", QEMU_BARE + [
                "-accel", accel, "-kernel", str(PC_GUEST), "-append",
                f"n={n} runs=1"], ok_status=QEMU_DEBUG_EXIT_OK)
        return run

    found = {"native": native, "mini-kvm": mini_kvm}
    why_not = None
    if probe_kvm:
        try:
            qemu("kvm")(QUICK_SIZES[0])
            found["QEMU-KVM"] = qemu("kvm")
        except BenchFailure as e:
            why_not = str(e).strip().splitlines()[-1]
    found["QEMU TCG"] = qemu("tcg")
    return found, why_not


def linux(sizes: tuple[int, ...], runs: int) -> dict[int, list[tuple[float, str]]]:
    """Boot Linux under QEMU TCG once; it runs matmul-native-static for every size."""
    subprocess.run([str(lanes.ASSETS), "guest-initramfs", str(INITRD), str(BATCH),
                    f"{STATIC}=/bin/matmul"], check=True, stdout=subprocess.DEVNULL)
    kernel, _ = lanes.linux_assets()
    params = (f"{LINUX_PARAMS} matmul.sizes={','.join(map(str, sizes))} "
              f"matmul.runs={runs}")
    got_samples = run_one(LINUX, QEMU_LINUX + [
        "-kernel", str(kernel), "-initrd", str(INITRD), "-append", params],
        timeout=LINUX_TIMEOUT)
    got: dict[int, list[tuple[float, str]]] = {n: [] for n in sizes}
    for n, seconds, checksum in got_samples:
        got[n].append((seconds, checksum))
    return got


def measure(ctx, runs: int, quick: bool) -> Matmul:
    """Every bare runner at every N, alternately, run after run; then Linux, in one boot."""
    del ctx  # no nested lane: everything runs on this host
    sizes = QUICK_SIZES if quick else SIZES
    bare, kvm_missing = runners(probe_kvm=True)
    data = Matmul(sizes, runs, {}, {n: set() for n in sizes}, kvm_missing)

    def record(name: str, n: int, seconds: float, checksum: str) -> None:
        data.times.setdefault(name, {}).setdefault(n, []).append(seconds)
        data.checksums[n].add((name, checksum))

    for i in range(runs):
        for n in sizes:
            for name, run in bare.items():
                progress(f"matmul: {name}, N={n}, run {i + 1} of {runs}")
                for got_n, seconds, checksum in run(n):
                    record(name, got_n, seconds, checksum)
    progress(f"matmul: {LINUX}, every N, {runs} run(s) each, in one boot")
    for n, rows in linux(sizes, runs).items():
        for seconds, checksum in rows:
            record(LINUX, n, seconds, checksum)
    return data


# --- checking ---------------------------------------------------------------------------


def check(data: Matmul) -> None:
    """Every runner computed the same C, bit for bit, and gave a sample per run and N."""
    for n, seen in data.checksums.items():
        if len({checksum for _, checksum in seen}) != 1:
            raise BenchFailure(f"matmul: N={n}: the runners disagree on the checksum: "
                               + ", ".join(f"{name} {c}" for name, c in sorted(seen)))
    for name, by_n in data.times.items():
        missing = [n for n in data.sizes if len(by_n.get(n, [])) != data.runs]
        if missing:
            raise BenchFailure(f"matmul: {name} gave no or too few samples for N={missing}")


# --- reporting --------------------------------------------------------------------------


def report(data: Matmul) -> list[str]:
    sizes, times, checksums = data.sizes, data.times, data.checksums
    med = {name: {n: statistics.median(v) for n, v in by_n.items()}
           for name, by_n in times.items()}
    lines = [
        "## Matmul: N x N double-precision matrix multiply (host lane, and QEMU TCG)",
        "",
        "One C kernel (bench/matmul/matmul.c: C = A B, i-k-j loop order, -O2 "
        "-ffp-contract=off, SSE2) and its driver (bench/matmul/driver.c), compiled once "
        "and linked into every runner: native, a Linux program timed with "
        "clock_gettime(CLOCK_MONOTONIC); mini-kvm, a bare 64-bit guest "
        "(build/bench/matmul-kvm.elf) that drops to ring 3 at once, since kvm_pvm "
        "emulates ring-0 code but runs ring 3 natively, and reads the host's clock with "
        "HC_CLOCK; QEMU-KVM and QEMU TCG, the same code as a Multiboot image "
        "(build/bench/matmul-pc.elf: a 32-bit stub turns long mode on) on QEMU's PC "
        "machine, timed with the TSC, whose rate the guest measures against the PIT "
        "(50 ms, at start), printing on COM1; Linux in QEMU TCG, the static native "
        "program in the Debian kernel's busybox initramfs (scripts/assets.sh guest-initramfs), "
        "booted once for all its samples (bench/matmul/linux-batch), timed inside with "
        f"clock_gettime. Every runner is pinned to CPU {CPU} (this machine's two vCPUs "
        "differ by up to 2x at N=64). Each process runs one timed sample after an untimed "
        "initialisation; N < 256 repeat the multiply (256/N)^3 times in a sample so that "
        "the clock read is negligible. Times are per multiply. Every sample's checksum "
        "(the sum of C, as the double's bits) must be the same in every runner, or "
        "make bench fails: here they agree: "
        + ", ".join(f"N={n} `{next(iter(checksums[n]))[1]}`" for n in sizes) + ".",
        "",
        "![matmul time against N](matmul.png)",
        "",
        "| runner | N | runs | min | median | max |",
        "|---|---|---|---|---|---|",
    ]
    for name, by_n in times.items():
        for n in sizes:
            lo, mid, hi = summary(by_n[n])
            lines.append(f"| {name} | {n} | {len(by_n[n])} | {fmt_time(lo)} | "
                         f"{fmt_time(mid)} | {fmt_time(hi)} |")
    kvm_rows = [("mini-kvm / native", "mini-kvm", "native"),
                ("QEMU TCG / mini-kvm", "QEMU TCG", "mini-kvm"),
                ("Linux in TCG / QEMU TCG", LINUX, "QEMU TCG")]
    if "QEMU-KVM" in med:
        kvm_rows.insert(1, ("QEMU-KVM / native", "QEMU-KVM", "native"))
    lines += ["", "Ratios of medians (above 1: the first is slower):", "",
              "| ratio | " + " | ".join(f"N={n}" for n in sizes) + " |",
              "|---|" + "---|" * len(sizes)]
    for label, a, b in kvm_rows:
        lines.append(f"| {label} | "
                     + " | ".join(f"{med[a][n] / med[b][n]:.2f}" for n in sizes) + " |")
    lines.append("")
    if data.kvm_missing:
        lines += [f"QEMU-KVM: not available on this host: {data.kvm_missing}", ""]
    else:
        lines += ["QEMU-KVM runs the bare PC image under this host's KVM too: SeaBIOS and "
                  "the 32-bit stub are emulated by kvm_pvm (about 2 s of each run, before "
                  "the timed part), the ring-3 multiply runs natively.", ""]
    return lines


def plot(data: Matmul, png: Path) -> None:
    """Time per multiply against N, one line per runner (median, min-max bars)."""
    times = data.times
    blocks, plots = [], []
    sizes = sorted({n for by_n in times.values() for n in by_n})
    low = min(min(v) for by_n in times.values() for v in by_n.values())
    high = max(max(v) for by_n in times.values() for v in by_n.values())
    for i, (name, by_n) in enumerate(times.items()):
        rows = "\n".join(f"{n} {statistics.median(v)} {min(v)} {max(v)}"
                         for n, v in sorted(by_n.items()))
        blocks.append(f"$d{i} << EOD\n{rows}\nEOD")
        plots.append(f"$d{i} using 1:2:3:4 with yerrorlines lw 2 title '{name}'")
    gnuplot("\n".join([
        f"set terminal pngcairo size {PLOT_SIZE}", f"set output '{png}'",
        *blocks,
        "set title 'matmul: N x N double-precision multiply (median, min-max)'",
        "set xlabel 'N'", "set ylabel 'seconds per multiply'",
        "set logscale x 2", "set logscale y 10", "set format y '10^{%T}'",
        f"set xrange [{sizes[0] / 1.4}:{sizes[-1] * 1.4}]",
        f"set yrange [{low / 2}:{high * 2}]",
        "set xtics (" + ", ".join(f"'{n}' {n}" for n in sizes) + ")",
        "set key top left", "set grid",
        "plot " + ", ".join(plots),
    ]))
