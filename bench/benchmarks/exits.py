# SPDX-License-Identifier: MIT
"""exits: the cost of a port-I/O VM exit. A guest makes EXITLOOP_COUNT port reads under
mini-kvm (the hypercall port: out to user space), under kvm-floor (a bare KVM_RUN loop,
the least any VMM can do) and, for comparison, reads of a port KVM answers in the kernel
(the in-kernel PIT); on this host's KVM, and for the record in the nested1 lane
(EXITLOOP_COUNT_NESTED there: an exit costs ~8x more)."""

from __future__ import annotations

import re
import shlex
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchlib import (BENCH_BUILD, BENCH_DIR, PLOT_SIZE, BenchFailure, fmt_row, gnuplot,
                      lanes, progress)

# Where the nested lane's L1 has the exits benchmark's programs (l1_payload()).
L1_BENCH = "/bench"
# Port reads per run of bench/guests/exitloop.S: EXITLOOP_COUNT in bench/bench.mk, and
# EXITLOOP_COUNT_NESTED for the nested lane's exitloop-nested-*.bin.
_EXITLOOP_COUNT = re.compile(r"^(EXITLOOP_COUNT(?:_NESTED)?) := (\d+)$", re.M)
_FLOOR = re.compile(r"user_exits (\d+) ns (\d+)")
CASES = ("mini-kvm", "kvm-floor", "in-kernel PIT port")
LANES = ("host", "nested1")
# Seconds a nested run may take (measured: ~1 s for 20000 exits).
NESTED_TIMEOUT = 120
# Shorter x labels for the chart, where the case names would overlap.
LABELS = {"in-kernel PIT port": "in-kernel"}


@dataclass
class Run:
    """One run of a case, as its program reported it: the exits it saw leave to user
    space (mini-kvm's --stats, kvm-floor's user_exits) and the time they took."""
    exits: int
    ns: float


def exitloop_count(nested: bool = False) -> int:
    counts = dict(_EXITLOOP_COUNT.findall((BENCH_DIR / "bench.mk").read_text()))
    name = "EXITLOOP_COUNT_NESTED" if nested else "EXITLOOP_COUNT"
    assert name in counts, f"{name} not found in bench/bench.mk"
    return int(counts[name])


def l1_payload() -> list[tuple[Path, str]]:
    """The exits benchmark's programs, for L1 (kvm-floor static: L1 has no libc)."""
    return [(BENCH_BUILD / "kvm-floor-static", f"{L1_BENCH}/kvm-floor"),
            (BENCH_BUILD / "exitloop-nested-hc.bin", f"{L1_BENCH}/exitloop-hc.bin"),
            (BENCH_BUILD / "exitloop-nested-pit.bin", f"{L1_BENCH}/exitloop-pit.bin")]


# --- measuring --------------------------------------------------------------------------


def run_command(lane, argv: list[str]) -> tuple[str, str]:
    """stdout and stderr of one command, on this host (lane None) or in L1."""
    if lane is None:
        p = subprocess.run(argv, capture_output=True, text=True, check=True)
        return p.stdout, p.stderr
    r = lane.shell(shlex.join(argv), timeout=NESTED_TIMEOUT)
    if r.status != 0:
        raise BenchFailure(f"exits: {argv} failed in L1: {r}")
    return r.out, r.err


def time_exits(case: str, lane=None) -> Run:
    """One run of a case, on this host or in L1 (lane)."""
    if lane is None:
        vmm, floor, bins = str(lanes.BUILD / "mini-kvm"), str(BENCH_BUILD / "kvm-floor"), \
            str(BENCH_BUILD)
    else:
        vmm, floor, bins = "/bin/mini-kvm", f"{L1_BENCH}/kvm-floor", L1_BENCH
    if case == "mini-kvm":
        _, err = run_command(lane, [vmm, "run", "--stats=json", f"{bins}/exitloop-hc.bin"])
        try:
            stats = lanes.stats_of(lanes.parse_stats(err))
        except (ValueError, KeyError) as e:
            raise BenchFailure(f"exits: mini-kvm printed no --stats=json: {e}") from e
        return Run(stats["total"]["exits"], float(stats["wall_ns"]))
    pit = case == "in-kernel PIT port"
    guest = f"{bins}/exitloop-pit.bin" if pit else f"{bins}/exitloop-hc.bin"
    out, _ = run_command(lane, [floor, *(["--pit"] if pit else []), guest])
    m = _FLOOR.search(out)
    if not m:
        raise BenchFailure(f"exits: kvm-floor printed no user_exits line: {out[-800:]}")
    return Run(int(m[1]), float(m[2]))


def measure(ctx, runs: int, quick: bool) -> dict[str, dict[str, list[Run]]]:
    """{lane: {case: [Run]}}; the cases alternate, run after run."""
    del quick  # one run per case is already quick
    results = {where: {name: [] for name in CASES} for where in LANES}
    for where in results:
        lane = ctx.nested() if where == "nested1" else None  # L1 boots after the host runs
        for i in range(runs):
            for name in CASES:
                progress(f"exits: {name} ({where}), run {i + 1} of {runs}")
                results[where][name].append(time_exits(name, lane))
    return results


# --- checking ---------------------------------------------------------------------------


def expected_exits(case: str, nested: bool) -> int:
    """The exits to user space a run must report: the loop's reads and HC_EXIT, or for
    the in-kernel port only the final HC_EXIT (kvm-floor counts it too)."""
    if case == "in-kernel PIT port":
        return 1
    return exitloop_count(nested) + 1


def check(results: dict[str, dict[str, list[Run]]]) -> None:
    """Every run saw exactly the exits its guest makes, or its time means nothing."""
    for where, cases in results.items():
        want = {name: expected_exits(name, where != "host") for name in cases}
        for name, rows in cases.items():
            wrong = [r.exits for r in rows if r.exits != want[name]]
            if wrong:
                raise BenchFailure(f"exits: {name} ({where}) reported {wrong} exits, "
                                   f"expected {want[name]}")


# --- reporting --------------------------------------------------------------------------


def per_exit(results: dict[str, dict[str, list[Run]]]) -> dict[str, dict[str, list[float]]]:
    """Nanoseconds per exit of every run: its time over the loop's port reads."""
    return {where: {name: [r.ns / exitloop_count(where != "host") for r in rows]
                    for name, rows in cases.items()}
            for where, cases in results.items()}


def table(results: dict[str, list[float]]) -> list[str]:
    lines = ["| case | runs | min | median | max | unit |", "|---|---|---|---|---|---|"]
    for name, values in results.items():
        lines.append(fmt_row(f"{name}: per exit", values, "ns", 0))
    med = {name: statistics.median(v) for name, v in results.items()}
    low = {name: min(v) for name, v in results.items()}
    return lines + [
        "",
        f"Exits per second (medians): mini-kvm {1e9 / med['mini-kvm']:,.0f}, kvm-floor "
        f"{1e9 / med['kvm-floor']:,.0f}, in-kernel {1e9 / med['in-kernel PIT port']:,.0f}. "
        f"mini-kvm / floor {med['mini-kvm'] / med['kvm-floor']:.2f}; an exit to user "
        f"space costs {med['kvm-floor'] / med['in-kernel PIT port']:.1f}x one handled in "
        f"the kernel. mini-kvm / floor by the fastest runs: {low['mini-kvm'] / low['kvm-floor']:.2f} "
        "(on a shared or virtual machine noise only adds time, so the minima are the "
        "least disturbed measurements; compare the two ratios).",
        "",
    ]


def report(results: dict[str, dict[str, list[Run]]]) -> list[str]:
    ns = per_exit(results)
    return [
        "## Exits: the cost of a port-I/O VM exit (host lane, and nested1 for the record)",
        "",
        f"A real-mode guest reads a port {exitloop_count()} times "
        f"({exitloop_count(nested=True)} in the nested lane; bench/guests/exitloop.S). mini-kvm: the hypercall port, each read a PIO exit "
        "to user space and back through mini-kvm's exit dispatch (its --stats run "
        "time). kvm-floor: the same guest under a bare KVM_RUN loop that only answers "
        "the read (bench/kvm_floor.c). In-kernel: kvm-floor with KVM's PIT, the guest "
        "reading port 0x61, which KVM answers without leaving the kernel.",
        "",
        "![exit cost](exits.png)",
        "",
        "### Host lane (kvm_pvm)",
        "",
        *table(ns["host"]),
        "### Nested1 lane (kvm_amd in L1 on QEMU TCG's emulated SVM)",
        "",
        "The same programs (mini-kvm, kvm-floor built -static) inside L1: every "
        "exit of the inner guest is an exit of QEMU's emulated SVM, so these figures "
        "measure QEMU's TCG more than any VMM. For the record, not for comparison with "
        "hardware.",
        "",
        *table(ns["nested1"]),
    ]


def plot(results: dict[str, dict[str, list[Run]]], png: Path) -> None:
    """Median cost of one exit per case, a bar chart per lane (their scales differ)."""
    ns = per_exit(results)
    lines = [f"set terminal pngcairo size {PLOT_SIZE}", f"set output '{png}'",
             "set multiplot layout 1,%d title 'cost of one port-I/O exit (median)'"
             % len(ns),
             "set style fill solid 0.6 border -1", "set boxwidth 0.6",
             "set ylabel 'ns per exit'", "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0",
             f"set xrange [-0.6:{len(CASES) - 0.4}]", "set grid ytics", "unset key"]
    for where, cases in ns.items():
        rows = "\n".join(f'"{LABELS.get(name, name)}" {statistics.median(v):.0f}'
                         for name, v in cases.items())
        lines += [f"$e_{where} << EOD\n{rows}\nEOD", f"set title '{where} lane'",
                  f"plot $e_{where} using 0:2:xtic(1) with boxes linecolor rgb '#4477aa', "
                  f"'' using 0:2:2 with labels offset 0,0.8"]
    gnuplot("\n".join(lines + ["unset multiplot"]))
