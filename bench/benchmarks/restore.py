# SPDX-License-Identifier: MIT
"""restore: a Linux guest restored from a snapshot taken at its shell prompt, to the
output of a first command, against mini-kvm's own cold boot of the same guest to that
prompt (the nested1 lane), with the peak RSS of each; and what taking the snapshot cost."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from benchlib import (BOOT_LIMIT, MEM_MIB, STALL_RETRIES, BenchFailure, fmt_row, lanes,
                      progress)
from benchmarks.boot import BOOT_CPUS

PROMPT = lanes.guest_markers()["MKVM_PROMPT"]
# The interactive guest: the same kernel, initramfs and RAM as the boot benchmark, with
# a shell on the console instead of the batch.
SHELL_PARAMS = "console=ttyS0 pci=off quiet"
SNAPSHOT = "/tmp/bench-restore.snap"
# What a restored guest is typed at once: a command whose output is not its echo (the
# shell's tty echoes the line as typed, "mark-$((6*7))"), then the end.
MARK = "mark-42"
INPUT = r"echo mark-$((6*7))\npoweroff -f\n"
# Issue 17's target: a restore to a usable shell at least this many times faster.
TARGET_SPEEDUP = 20

_TIMEBOOT = re.compile(r"timeboot ready=(\S+) end=(\S+) status=(\S+) maxrss_kib=(\S+)")
_SAVED = re.compile(r"snapshot saved to \S+ \(([\d.]+) MiB of RAM in (\d+) extents; the guest "
                    r"paused ([\d.]+) ms, ([\d.]+) ms in all\)")


@dataclass
class Restores:
    """(seconds to the marker, seconds to exit, peak RSS KiB) per run of each case;
    the snapshot's size and cost; stalled boots tried again."""
    cold: list[tuple[float, float, int]] = field(default_factory=list)
    restore: list[tuple[float, float, int]] = field(default_factory=list)
    saved: tuple[float, int, float, float] | None = None  # MiB, extents, paused, total ms
    file_kib: tuple[int, int] = (0, 0)  # apparent size, disk use
    stalls: int = 0


def l1_payload() -> list:
    return []  # the boot benchmark ships timeboot


def timed(lane, marker: str, command: str, stdin: str = "") -> tuple[float, float, int] | None:
    """timeboot's (seconds to marker, to exit, peak RSS KiB), or None if it failed."""
    env = f"TIMEBOOT_INPUT='{stdin}' " if stdin else ""
    try:
        r = lane.shell(f"{env}timeboot {BOOT_LIMIT} '{marker}' {command}",
                       timeout=BOOT_LIMIT + 30)
    except lanes.LaneTimeout:
        return None
    m = _TIMEBOOT.search(r.out)
    if not m or m[1] == "-" or m[3] != "0":
        progress(f"  a run stalled or failed: {r.out.strip()[-300:]}")
        return None
    return float(m[1]), float(m[2]), int(m[4]) if m[4] != "-" else 0


def boot_command(lane) -> str:
    return (f"mini-kvm run -c {BOOT_CPUS} -m {MEM_MIB} -k {lane.linux_kernel()} "
            f"-i {lane.linux_initrd()} -p '{SHELL_PARAMS}'")


def take_snapshot(lane, data: Restores) -> None:
    """Boot to the prompt and save it (--snapshot-and-exit), keeping what it cost."""
    for _ in range(STALL_RETRIES + 1):
        r = lane.shell(f"rm -f {SNAPSHOT}; timeout {BOOT_LIMIT} {boot_command(lane)} "
                       f"--snapshot-at '{PROMPT}' --snapshot-and-exit --snapshot {SNAPSHOT} "
                       "</dev/null >/dev/null", timeout=BOOT_LIMIT + 30)
        m = _SAVED.search(r.err)
        if r.status == 0 and m:
            data.saved = (float(m[1]), int(m[2]), float(m[3]), float(m[4]))
            du = lane.shell(f"stat -c '%s %b %B' {SNAPSHOT}").out.split()
            data.file_kib = (int(du[0]) // 1024, int(du[1]) * int(du[2]) // 1024)
            return
        data.stalls += 1
        progress(f"  the snapshot's boot stalled or failed: {r.err.strip()[-300:]}")
    raise BenchFailure(f"restore: no snapshot after {STALL_RETRIES + 1} boots")


def measure(ctx, runs: int, quick: bool) -> Restores:
    """A snapshot at the prompt; then cold boots (to the prompt: the least a cold boot
    needs before a command can run) and restores (to the first command's output), run
    after run."""
    del quick
    lane = ctx.nested()
    data = Restores()
    take_snapshot(lane, data)
    cold = (f"{boot_command(lane)} --snapshot-at '{PROMPT}' --snapshot-and-exit "
            "--snapshot /tmp/bench-cold.snap")
    for i in range(runs):
        progress(f"restore: cold boot and restore, run {i + 1} of {runs}")
        got = timed(lane, PROMPT, cold)
        while got is None and data.stalls < STALL_RETRIES * runs:
            data.stalls += 1
            got = timed(lane, PROMPT, cold)
        if got is not None:
            data.cold.append(got)
        got = timed(lane, MARK, f"mini-kvm restore {SNAPSHOT}", INPUT)
        if got is not None:
            data.restore.append(got)
    return data


def check(data: Restores) -> None:
    """A restore that never reaches its command's output is mini-kvm's failure."""
    if not data.restore:
        raise BenchFailure("restore: no restored guest ran its command")


def report(data: Restores) -> list[str]:
    lines = [
        "## Restore: a Linux shell from a snapshot, against a cold boot (nested1 lane)",
        "",
        f"The guest of the boot benchmark ({MEM_MIB} MiB, {BOOT_CPUS} vCPUs, bzImage) with a "
        f"shell instead of the batch (`{SHELL_PARAMS}`). A snapshot is taken at its first "
        f"prompt (`--snapshot-at '{PROMPT}' --snapshot-and-exit`). Cold boot: seconds from "
        "mini-kvm's start to the prompt. Restore: seconds from `mini-kvm restore`'s start "
        f"to the output of the first command typed (`echo mark-$((6*7))`, printing "
        f"`{MARK}`), so the restore's figure includes running a command and the cold "
        "boot's does not. Then each powers off; peak RSS as in the boot benchmark.",
        "",
    ]
    if data.saved:
        mib, extents, paused, total = data.saved
        lines += [
            f"The snapshot: {mib:.1f} MiB of RAM (of {MEM_MIB}) in {extents} extents, a file of "
            f"{data.file_kib[0] / 1024:.1f} MiB ({data.file_kib[1] / 1024:.1f} MiB on disk: "
            f"zero pages are holes); saving it took {total:.0f} ms (the guest was paused "
            f"{paused:.0f} ms).",
            "",
        ]
    lines += ["| case | runs | min | median | max | unit |", "|---|---|---|---|---|---|"]
    if data.cold:
        lines.append(fmt_row("cold boot: to the prompt", [r[0] for r in data.cold]))
        lines.append(fmt_row("cold boot: peak RSS", [r[2] / 1024 for r in data.cold],
                             "MiB", 1))
    if data.restore:
        lines.append(fmt_row("restore: to the first command's output",
                             [r[0] for r in data.restore]))
        lines.append(fmt_row("restore: to exit (poweroff)", [r[1] for r in data.restore]))
        lines.append(fmt_row("restore: peak RSS", [r[2] / 1024 for r in data.restore],
                             "MiB", 1))
    lines.append("")
    if data.cold and data.restore:
        cold = statistics.median(r[0] for r in data.cold)
        restore = statistics.median(r[0] for r in data.restore)
        speedup = cold / restore if restore else float("inf")
        lines.append(f"Restore to a usable shell is {speedup:.1f}x faster than a cold boot "
                     f"to the prompt (medians; issue 17's target: at least "
                     f"{TARGET_SPEEDUP}x, {'met' if speedup >= TARGET_SPEEDUP else 'not met'}). "
                     "/proc/uptime counts in 10 ms steps: a restore's figure is that "
                     "coarse.")
    lines.append(f"Boots that stalled and were tried again: {data.stalls}.")
    lines.append("")
    return lines
