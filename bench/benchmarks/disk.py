# SPDX-License-Identifier: MIT
"""disk: virtio-blk in the Debian guest booted from its ext4 root on a virtio disk,
mini-kvm against QEMU's microvm machine (virtio-mmio, ACPI) on the same files, both under
the same L1 kvm_amd (the nested1 lane): sequential O_DIRECT write, rewrite and read (1
MiB blocks), 4 KiB random reads at queue depth 1, the boot to the root's shell, and for
mini-kvm the VM exits to user space per request."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (BENCH_BUILD, BENCH_DIR, BOOT_LIMIT, MEM_MIB, QEMU_BIN, READY,
                      STALL_RETRIES, BenchFailure, fmt_row, lanes, progress)

from .boot import BOOT_CPUS

DISKIO = BENCH_BUILD / "diskio-static"
BATCH = BENCH_DIR / "disk-batch"
ROOTFS = BENCH_BUILD / "disk-rootfs.ext4"
ROOTFS_L1 = "/bench/disk-rootfs.ext4"
# In L1, for each run: a fresh copy of the root image and a fresh data disk.
ROOT_COPY, DATA_DISK = "/tmp/bench-root.ext4", "/tmp/bench-data.img"
TIMEBOOT_KEEP = "/tmp/bench-disk"
# The I/O: MiB written then read in 1 MiB blocks, then seconds of random 4 KiB reads.
MIB, SECONDS = 64, 3
QUICK_MIB, QUICK_SECONDS = 16, 1
IO_MARKER = "bench: io start"
# The root by its label (scripts/assets.sh rootfs): whichever order a VMM gives the disks.
PARAMS = "console=ttyS0 pci=off quiet root=LABEL=mini-kvm-root mkvm.batch"
# mini-kvm's data disk is its second --disk: slot 1, window 0xd0000200 (layout.h).
DATA_WINDOW = (0xD0000200, 0xD0000400)
# The registers a request touches there: QueueNotify (when not an ioeventfd),
# InterruptStatus and InterruptACK (virtio_mmio.h).
REQUEST_REGISTERS = {0x050, 0x060, 0x064}

_DISKIO = re.compile(r"diskio: mib=(\d+) write_mbps=([\d.]+) rewrite_mbps=([\d.]+) "
                     r"read_mbps=([\d.]+) rand_iops=([\d.]+) rand_reads=(\d+)")
_STAT = re.compile(r"bench: stat +(\d+) +\d+ +\d+ +\d+ +(\d+)")
_INTERRUPTS = re.compile(r"bench: interrupts (\d+)")
_TIMEBOOT = re.compile(r"timeboot ready=(\S+) end=(\S+) status=(\S+)")
_IO_ROW = re.compile(r"^\s+mmio (?:read|write) 0x([0-9a-f]+)\s+(\d+)\s", re.M)
_MARKER_ROW = re.compile(r"^\s+marker\s+[\d.]+\s+\d+\s+[\d.]+\s+\d+\s*$", re.M)
_END_ROW = re.compile(r"^\s+end\s+[\d.]+\s+\d+\s+[\d.]+\s+(\d+)\s*$", re.M)


@dataclass
class Run:
    ready: float          # seconds from the VMM's start to the root's init ready line
    write_mbps: float     # into the fresh sparse disk file: L1 allocates its pages
    rewrite_mbps: float   # the same blocks again: the file has its pages
    read_mbps: float
    iops: float
    requests: int         # the data disk's completed reads + writes (the guest's count)
    interrupts: int = 0   # the interrupts the data disk's device took (the guest's count)
    request_exits: int | None = None  # mini-kvm: exits at the data disk's request registers
    by_register: dict[int, int] = field(default_factory=dict)  # mini-kvm: offset -> exits
    phase_exits: int | None = None    # mini-kvm: every user-space exit from IO_MARKER to the end


@dataclass
class Disks:
    runs: dict[str, list[Run]] = field(default_factory=dict)
    stalls: dict[str, int] = field(default_factory=dict)
    mib: int = MIB
    seconds: float = SECONDS
    quick: bool = False


def build_rootfs() -> Path:
    """The bench's root image: scripts/assets.sh rootfs with diskio and its batch."""
    if not DISKIO.exists():
        raise BenchFailure(f"{DISKIO} is missing: run make first")
    return Path(lanes.run_assets_sh("rootfs", str(ROOTFS), str(BATCH),
                                    f"{DISKIO}=/bin/diskio"))


def l1_payload() -> list[tuple[Path, str]]:
    """The root image with diskio. The kernel and the disk initramfs come with every
    nested lane; QEMU and timeboot with the boot benchmark, whose payload every L1 of
    make bench holds."""
    return [(build_rootfs(), ROOTFS_L1)]


# --- measuring --------------------------------------------------------------------------


def commands(lane, params: str) -> dict[str, str]:
    kernel, initrd = lane.linux_kernel(), lane.linux_disk_initrd()
    return {
        "mini-kvm": f"mini-kvm run -c {BOOT_CPUS} -m {MEM_MIB} -k {kernel} -i {initrd} "
                    f"--disk {ROOT_COPY} --disk {DATA_DISK} --stats "
                    f"--boot-marker '{IO_MARKER}' -p '{params}'",
        "QEMU microvm": f"{QEMU_BIN} -M microvm,acpi=on -accel kvm -cpu host -m {MEM_MIB} "
                        f"-smp {BOOT_CPUS} -nodefaults -no-user-config -nographic -no-reboot "
                        f"-serial stdio -kernel {kernel} -initrd {initrd} "
                        f"-drive id=root,file={ROOT_COPY},format=raw,if=none "
                        "-device virtio-blk-device,drive=root "
                        f"-drive id=data,file={DATA_DISK},format=raw,if=none "
                        "-device virtio-blk-device,drive=data "
                        f"-append '{params}'",
    }


def total_table(stats: str) -> str:
    """The first table of --stats, the VM's totals: with several vCPUs each one's table
    follows it, each under a heading of its own ("[1:linux] vCPU 0: ...")."""
    start = stats.find(" stats: ")
    if start < 0:
        return ""
    end = stats.find("\n[", start)
    return stats[start:end if end >= 0 else len(stats)]


def request_exits(stats: str) -> dict[int, int]:
    """Exits at each of the data disk's request registers in --stats' totals table."""
    found = {offset: 0 for offset in sorted(REQUEST_REGISTERS)}
    for addr, count in _IO_ROW.findall(total_table(stats)):
        a = int(addr, 16)
        if DATA_WINDOW[0] <= a < DATA_WINDOW[1] and a - DATA_WINDOW[0] in REQUEST_REGISTERS:
            found[a - DATA_WINDOW[0]] += int(count)
    return found


def one_run(lane, name: str, command: str, limit: int) -> Run | None:
    """Boot, I/O and power-off once, on fresh disks; None if it stalled or failed."""
    setup = (f"cp {ROOTFS_L1} {ROOT_COPY} && rm -f {DATA_DISK} && "
             f"truncate -s {MIB}M {DATA_DISK}")
    try:
        r = lane.shell(f"{setup} && TIMEBOOT_KEEP={TIMEBOOT_KEEP} timeboot {limit} '{READY}' "
                       f"{command}; cat {TIMEBOOT_KEEP}.out; echo; cat {TIMEBOOT_KEEP}.err",
                       timeout=limit + 60)
    except lanes.LaneTimeout:
        return None
    t, io, stat = _TIMEBOOT.search(r.out), _DISKIO.search(r.out), _STAT.search(r.out)
    if not t or t[1] == "-" or t[3] != "0" or not io or not stat:
        progress(f"  {name}: a run stalled or failed: {r.out.strip()[-600:]}")
        return None
    irqs = _INTERRUPTS.search(r.out)
    run = Run(float(t[1]), float(io[2]), float(io[3]), float(io[4]), float(io[5]),
              int(stat[1]) + int(stat[2]), int(irqs[1]) if irqs else 0)
    if name == "mini-kvm":
        end = _END_ROW.search(r.out)
        run.by_register = request_exits(r.out)
        run.request_exits = sum(run.by_register.values())
        run.phase_exits = int(end[1]) if end and _MARKER_ROW.search(r.out) else None
    return run


def measure(ctx, runs: int, quick: bool) -> Disks:
    """Both VMMs alternately, run after run, each round in the other order, after one
    warm-up run of each that is not counted (quick: mini-kvm once, less I/O, no warm-up);
    a stalled boot is tried again.

    The warm-up: the first Linux guest after L1's boot runs on a cold L1 (QEMU TCG has
    not translated L1's KVM and block paths yet, L1's free pages were never touched);
    its writes measured about half of what later runs of the same VMM did, and it was
    always mini-kvm's. The alternation: each VMM also inherits L1's page allocator
    from the other's run (the data disk's pages are allocated by the writes)."""
    lane = ctx.nested()
    mib, seconds = (QUICK_MIB, QUICK_SECONDS) if quick else (MIB, SECONDS)
    params = f"{PARAMS} mkvm.mib={mib} mkvm.seconds={seconds}"
    cases = commands(lane, params)
    if quick:
        cases = {"mini-kvm": cases["mini-kvm"]}
    data = Disks({name: [] for name in cases}, {name: 0 for name in cases}, mib, seconds, quick)
    limit = BOOT_LIMIT * 2 + 30  # a disk boot, then the I/O
    if not quick:
        for name, command in cases.items():
            progress(f"disk: {name}, warm-up run (not counted)")
            one_run(lane, name, command, limit)
    for i in range(runs):
        order = list(cases.items())
        if i % 2:
            order.reverse()
        for name, command in order:
            progress(f"disk: {name}, run {i + 1} of {runs}")
            got = one_run(lane, name, command, limit)
            while got is None and data.stalls[name] < STALL_RETRIES * runs:
                data.stalls[name] += 1
                got = one_run(lane, name, command, limit)
            if got is not None:
                data.runs[name].append(got)
    return data


# --- checking ---------------------------------------------------------------------------


def check(data: Disks) -> None:
    """mini-kvm must have completed a run (its disks are what is measured); numbers that
    make no sense (nothing transferred) fail the benchmark."""
    if not data.runs.get("mini-kvm"):
        raise BenchFailure("disk: no mini-kvm run completed")
    for name, runs in data.runs.items():
        for run in runs:
            if (min(run.write_mbps, run.rewrite_mbps, run.read_mbps, run.iops) <= 0
                    or run.requests <= 0):
                raise BenchFailure(f"disk: {name} measured nothing: {run}")


# --- reporting --------------------------------------------------------------------------


def report(data: Disks) -> list[str]:
    lines = [
        "## Disk: virtio-blk, and the boot from an ext4 root on it (nested1 lane)",
        "",
        f"Both VMMs boot the same bzImage with the disk initramfs (scripts/assets.sh "
        f"disk-initramfs), {MEM_MIB} MiB and {BOOT_CPUS} vCPUs, from a fresh copy of the "
        "same ext4 root image (scripts/assets.sh rootfs with bench/diskio.c and "
        "bench/disk-batch), with a second, empty disk for the I/O: mini-kvm's --disk, "
        "QEMU microvm's virtio-blk-device (virtio-mmio, described in ACPI; its default "
        "cache=writeback, aio=threads: like mini-kvm, the host's page cache). The "
        f"files live in L1's RAM. In the guest, diskio writes {data.mib} MiB in 1 MiB "
        "blocks with O_DIRECT (then fdatasync), writes them again (the rewrite: the file "
        "has its pages by then, so this times the VMM's path, where the first write "
        "mostly times L1 allocating the sparse file's pages), reads them back, and reads "
        f"random 4 KiB blocks one at a time for {data.seconds} s. Boot: seconds from the "
        "VMM's start to the ready line of the root's init (after switch_root), from "
        "bench/l1-timeboot.sh. MB/s are MiB/s."
        + ("" if data.quick else " Each VMM has a warm-up run first that is not counted, "
           "and the rounds alternate which VMM goes first."),
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    medians = {}
    for name, runs in data.runs.items():
        if not runs:
            lines.append(f"| {name}: no run completed | 0 | - | - | - | - |")
            continue
        lines.append(fmt_row(f"{name}: boot to the root's shell", [r.ready for r in runs]))
        lines.append(fmt_row(f"{name}: sequential write", [r.write_mbps for r in runs],
                             "MB/s", 1))
        lines.append(fmt_row(f"{name}: sequential rewrite", [r.rewrite_mbps for r in runs],
                             "MB/s", 1))
        lines.append(fmt_row(f"{name}: sequential read", [r.read_mbps for r in runs],
                             "MB/s", 1))
        lines.append(fmt_row(f"{name}: 4 KiB random read", [r.iops for r in runs], "IOPS", 0))
        medians[name] = {k: statistics.median(getattr(r, k) for r in runs)
                         for k in ("ready", "write_mbps", "rewrite_mbps", "read_mbps", "iops")}
    lines.append("")
    mk = data.runs.get("mini-kvm", [])
    with_exits = [r for r in mk if r.request_exits is not None and r.requests]
    if with_exits:
        per_request = [r.request_exits / r.requests for r in with_exits]
        names = {0x050: "QueueNotify", 0x060: "InterruptStatus", 0x064: "InterruptACK"}
        split = ", ".join(
            f"{names[o]} {statistics.median(r.by_register.get(o, 0) / r.requests for r in with_exits):.2f}"
            for o in sorted(names))
        lines.append(
            "mini-kvm, VM exits to user space per request of the data disk (median over "
            f"runs): {statistics.median(per_request):.2f} ({split}), counted by --stats at "
            "the disk's request registers over the disk's completed requests "
            "(/sys/block/vdb/stat). QueueNotify is a KVM_IOEVENTFD and the interrupt a "
            "KVM_IRQFD, so neither exits; what is left is virtio-mmio's interrupt "
            "handshake, an InterruptStatus read and an InterruptACK write per interrupt. "
            "Every user-space exit of the I/O phase and power-off (the boot timeline's "
            "last phase): "
            + ", ".join(str(r.phase_exits) for r in mk if r.phase_exits is not None) + ".")
        lines.append("")
    irq_rows = [f"{name} {statistics.median(r.interrupts / r.requests for r in runs):.2f}"
                for name, runs in data.runs.items() if runs]
    if irq_rows:
        lines.append("Interrupts of the data disk per request, as the guest counts them "
                     "(/proc/interrupts; medians): " + ", ".join(irq_rows) + ".")
        lines.append("")
    if len(medians) == 2:
        a, b = medians["mini-kvm"], medians["QEMU microvm"]
        lines.append(
            "Ratios mini-kvm / QEMU microvm (medians; targets: throughput and IOPS >= 1, "
            f"boot <= 0.8): sequential write {a['write_mbps'] / b['write_mbps']:.2f}, "
            f"sequential rewrite {a['rewrite_mbps'] / b['rewrite_mbps']:.2f}, "
            f"sequential read {a['read_mbps'] / b['read_mbps']:.2f}, random read IOPS "
            f"{a['iops'] / b['iops']:.2f}, boot to the root's shell "
            f"{a['ready'] / b['ready']:.2f}.")
    elif data.quick:
        lines.append("Quick mode: mini-kvm alone, less I/O.")
    lines.append("Runs that stalled or failed and were tried again: "
                 + ", ".join(f"{name} {n}" for name, n in data.stalls.items()) + ".")
    lines.append("")
    return lines
