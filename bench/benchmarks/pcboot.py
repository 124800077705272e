# SPDX-License-Identifier: MIT
"""pcboot: a classic PC guest from its boot sector to a line it prints, mini-kvm (no
firmware: the sector is loaded and entered directly) against QEMU's `-M pc` (SeaBIOS
POSTs, finds the disk and loads the sector), on the same disk images, both under the
same L1 kvm_amd (the nested1 lane). Two guests (tests/guests/pc/):

  bs-ata  a real-mode boot sector that reads its second stage over ATA PIO, prints
          "boot: stage 2 read over ATA" and exits (isa-debug-exit)
  tk      the tk teaching kernel: its boot sector loads the kernel over ATA, which turns
          on 4 MiB paging, starts its second CPU through the MP table and INIT/SIPI,
          reads its file system from the IDE slave and prints "tk: fs: 2 files"; then
          its shell reads "halt" and it exits

Timed in L1 by bench/l1-timeboot.sh: seconds from the VMM's start to the marker line
and to its exit. The target (issue 16): mini-kvm at most 0.3x QEMU's time to the
marker."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from benchlib import BOOT_LIMIT, QEMU_BIN, fmt_row, lanes, progress

from . import boot

# What QEMU's pc machine reads to boot a disk: SeaBIOS, and the firmware boot.py ships.
SEABIOS = Path("/usr/share/seabios")
SEABIOS_FILES = ("bios-256k.bin",)
MEM_MIB = 256
CPUS = 2
TARGET_RATIO = 0.3
HALT_INPUT = "/tmp/pcboot-halt"
# Each guest: its disks, the marker it prints, whether its shell needs "halt" to end.
GUESTS = {
    "bs-ata": {"disks": ["bs-ata.img"], "marker": "boot: stage 2 read over ATA"},
    "tk": {"disks": ["tk-disk0.img", "tk-fs.img"], "marker": "tk: fs: 2 files"},
}


@dataclass
class PcBoots:
    """Per (guest, VMM): [(seconds to the marker, seconds to exit)] of each run that
    completed, and how many failed."""
    results: dict[tuple[str, str], list[tuple[float, float]]]
    failures: dict[tuple[str, str], int]


def l1_payload() -> list[tuple[Path, str]]:
    """SeaBIOS. QEMU, its libraries and timeboot are boot.py's (every L1 holds every
    benchmark's payload); the disk images are test guests, in every nested lane."""
    items = []
    for name in SEABIOS_FILES:
        path = SEABIOS / name
        if path.exists():
            items.append((path.resolve(), str(path)))
    return items


def commands(lane, guest: str) -> dict[str, str]:
    disks = [lane.test_guest(d) for d in GUESTS[guest]["disks"]]
    ata = " ".join(f"--ata {d}" + (",ro" if i else "") for i, d in enumerate(disks))
    # No readonly=on: QEMU refuses read-only IDE hard disks (the guests write nothing).
    drives = " ".join(f"-drive file={d},format=raw,if=ide,index={i}"
                      for i, d in enumerate(disks))
    return {
        "mini-kvm": f"mini-kvm run --irqchip -c {CPUS} -m {MEM_MIB} --debug-exit 0xf4 {ata} "
                    "--boot-disk",
        "QEMU pc": f"{QEMU_BIN} -M pc -accel kvm -cpu host -m {MEM_MIB} -smp {CPUS} "
                   "-nodefaults -no-user-config -display none -no-reboot -serial stdio "
                   f"-L {SEABIOS} {drives} -device isa-debug-exit,iobase=0xf4",
    }


def time_one(lane, guest: str, command: str) -> tuple[float, float] | None:
    marker = GUESTS[guest]["marker"]
    try:
        r = lane.shell(f"TIMEBOOT_STDIN={HALT_INPUT} timeboot {BOOT_LIMIT} '{marker}' {command}",
                       timeout=BOOT_LIMIT + 30)
    except lanes.LaneTimeout:
        return None
    m = boot._TIMEBOOT.search(r.out)
    # isa-debug-exit's 0x10 is status 0x21 under both VMMs.
    if not m or m[1] == "-" or m[3] != "33":
        progress(f"  a run failed: {r.out.strip()[-300:]}")
        return None
    return float(m[1]), float(m[2])


def measure(ctx, runs: int, quick: bool) -> PcBoots:
    del quick  # a run takes about a second
    lane = ctx.nested()
    lane.shell(f"printf 'halt\\n' > {HALT_INPUT}")
    data = PcBoots({}, {})
    for i in range(runs):
        for guest in GUESTS:
            for vmm, command in commands(lane, guest).items():
                key = (guest, vmm)
                progress(f"pcboot: {guest} under {vmm}, run {i + 1} of {runs}")
                got = time_one(lane, guest, command)
                data.results.setdefault(key, [])
                data.failures.setdefault(key, 0)
                if got is None:
                    data.failures[key] += 1
                else:
                    data.results[key].append(got)
    return data


def check(data: PcBoots) -> None:
    """Nothing fails the benchmark: failed runs are counted in the report (QEMU's emulated
    SVM stalls a guest now and then, scripts/lanes/nested.py NESTED_LANES)."""
    del data


def report(data: PcBoots) -> list[str]:
    lines = [
        "## PC boot: a boot sector to a guest-printed marker (nested1 lane)",
        "",
        f"The same disk images under mini-kvm (`--boot-disk`: no firmware) and QEMU `-M pc` "
        f"(SeaBIOS), {MEM_MIB} MiB, {CPUS} vCPUs, in the same L1. `bs-ata`: a boot sector "
        "reading its second stage over ATA PIO; `tk`: the tk teaching kernel from its boot "
        "sector (4 MiB paging, 2 CPUs through the MP table, its file system on the IDE "
        "slave). Seconds from the VMM's start (/proc/uptime in L1, 10 ms steps) to the "
        "marker line and to the guest's exit.",
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    medians: dict[tuple[str, str], float] = {}
    for (guest, vmm), rows in data.results.items():
        if not rows:
            lines.append(f"| {guest}, {vmm}: no run completed | 0 | - | - | - | s |")
            continue
        lines.append(fmt_row(f"{guest}, {vmm}: to marker", [r[0] for r in rows]))
        lines.append(fmt_row(f"{guest}, {vmm}: to exit", [r[1] for r in rows]))
        medians[(guest, vmm)] = statistics.median(r[0] for r in rows)
    lines.append("")
    for guest in GUESTS:
        ours, theirs = medians.get((guest, "mini-kvm")), medians.get((guest, "QEMU pc"))
        if ours is not None and theirs:
            verdict = "meets" if ours <= TARGET_RATIO * theirs else "misses"
            lines.append(f"- {guest}: mini-kvm / QEMU pc to the marker (medians) "
                         f"**{ours / theirs:.2f}** ({verdict} the {TARGET_RATIO}x target).")
    failed = {k: n for k, n in data.failures.items() if n}
    lines.append("- Runs that failed or stalled: "
                 + (", ".join(f"{g} {v} {n}" for (g, v), n in failed.items()) or "none") + ".")
    lines.append("")
    return lines
