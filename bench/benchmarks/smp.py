# SPDX-License-Identifier: MIT
"""smp: the same work (SMP_CPUS shell busy loops in the guest) on 1 vCPU and on SMP_CPUS
vCPUs, timed inside the guest, in the nested1 lane; the ratio is the parallel speed-up."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from benchlib import BOOT_LIMIT, GUEST_PARAMS, MEM_MIB, fmt_row, lanes, progress

# Loops (one per vCPU of the wide guest) and iterations per loop.
SMP_CPUS = 2
SMP_ITERS = 20000

_WORK = re.compile(r"work: (\d+) loops of (\d+) iterations in ([\d.]+) s")


def l1_payload() -> list[tuple[Path, str]]:
    return []  # the Linux guest and mini-kvm are in every nested lane


# --- measuring --------------------------------------------------------------------------


def time_work(lane, cpus: int) -> float | None:
    """Seconds the guest's loops took on `cpus` vCPUs, or None if the run failed."""
    params = f"{GUEST_PARAMS} mkvm.work={SMP_CPUS} mkvm.iters={SMP_ITERS}"
    command = (f"mini-kvm run -c {cpus} -m {MEM_MIB} -k {lane.linux_kernel()} "
               f"-i {lane.linux_initrd()} -p '{params}'")
    try:
        r = lane.shell(f"timeout {BOOT_LIMIT * 2} {command}", timeout=BOOT_LIMIT * 2 + 30)
    except lanes.LaneTimeout:
        return None
    m = _WORK.search(r.out)
    if r.status != 0 or not m:
        progress(f"  a run failed: status {r.status}: {r.out.strip()[-300:]}")
        return None
    return float(m[3])


def measure(ctx, runs: int, quick: bool) -> dict[int, list[float]]:
    """{vCPUs: [seconds of each run that completed]}, 1 and SMP_CPUS alternately."""
    del quick
    lane = ctx.nested()
    results: dict[int, list[float]] = {1: [], SMP_CPUS: []}
    for i in range(runs):
        for cpus in results:
            progress(f"smp: {SMP_CPUS} loops on {cpus} vCPU(s), run {i + 1} of {runs}")
            got = time_work(lane, cpus)
            if got is not None:
                results[cpus].append(got)
    return results


# --- checking ---------------------------------------------------------------------------


def check(results: dict[int, list[float]]) -> None:
    """Nothing fails the benchmark: a case without a completed run is reported as such."""
    del results


# --- reporting --------------------------------------------------------------------------


def report(results: dict[int, list[float]]) -> list[str]:
    lines = [
        f"## SMP: {SMP_CPUS} busy loops on 1 and on {SMP_CPUS} vCPUs (nested1 lane)",
        "",
        f"The guest runs {SMP_CPUS} shell loops of {SMP_ITERS} iterations in parallel "
        "and times them itself (/proc/uptime), on 1 vCPU and on 2. The L1 of this lane "
        "has one vCPU (a 2-vCPU L1 stalls SMP guests: scripts/lanes/nested.py "
        "NESTED_LANES), so the guest's vCPU threads take turns on one emulated CPU: "
        "whatever the ratio, it is not two cores working at once. It shows that the "
        "second vCPU comes up and takes work; the speed-up of real parallelism needs a "
        "host with hardware KVM and two free cores.",
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    for cpus, values in results.items():
        if values:
            lines.append(fmt_row(f"-c {cpus}", values))
        else:
            lines.append(f"| -c {cpus}: no run completed | 0 | - | - | - | s |")
    if all(results.values()):
        one, many = (statistics.median(v) for v in results.values())
        lines += ["", f"Speed-up of {SMP_CPUS} vCPUs over 1 (medians): {one / many:.2f}."]
    lines.append("")
    return lines
