# SPDX-License-Identifier: MIT
"""net: virtio-net TCP throughput, guest -> host and host -> guest, over user-mode
networking (libslirp) and over a tap, mini-kvm against QEMU's microvm machine with the
same backend, both under the same L1 kvm_amd (the nested1 lane): busybox nc pipes of a
fixed size, timed at the receiving end from its first byte to the end of the stream."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (BENCH_BUILD, BENCH_DIR, BOOT_LIMIT, MEM_MIB, QEMU_BIN, READY,
                      STALL_RETRIES, BenchFailure, fmt_row, lanes, progress)

from .boot import BOOT_CPUS
from .disk import _END_ROW, _MARKER_ROW

BATCH = BENCH_DIR / "net-batch"
RECV = BENCH_DIR / "net-recv.sh"
L1_SCRIPT = BENCH_DIR / "l1-netbench.sh"
INITRD = BENCH_BUILD / "net-initramfs.cpio.gz"
INITRD_L1 = "/bench/net-initramfs.cpio.gz"
# MiB sent each way per run (quick mode: mini-kvm over slirp alone, less). Small: in
# the nested1 lane guest -> host runs at ~0.1-0.2 MB/s (the guest's own CPU, emulated
# by TCG through L1's SVM, is the bottleneck), host -> guest at ~1 MB/s.
MIB, QUICK_MIB = 2, 1
MIB_BYTES = 1 << 20
# The guest's listener (bench/net-batch) and, over slirp, the hostfwd that reaches it
# from L1's loopback.
GUEST_PORT, FWD_PORT = 5002, 5012
# Over slirp the guest takes 10.0.2.15 by DHCP and reaches L1's loopback at 10.0.2.2;
# over tap the guest and the tap get addresses of their own, in a namespace of L1.
SLIRP_HOST = "10.0.2.2"
TAP, TAP_HOST, TAP_GUEST = "mkvm0", "10.1.0.1", "10.1.0.2"
PARAMS = "console=ttyS0 pci=off quiet mkvm.batch"
NET_MARKER = "bench: net start"
# A boot, then two transfers of MIB MiB at no less than 0.05 MB/s together.
LIMIT = BOOT_LIMIT + 40 * MIB + 30

MINI, QEMU = "mini-kvm", "QEMU microvm"
BACKENDS = ("slirp", "tap")

_TIMEBOOT = re.compile(r"timeboot ready=(\S+) end=(\S+) status=(\S+)")
_G2H = re.compile(r"netbench g2h bytes=(\d+) seconds=([\d.]+)")
_H2G = re.compile(r"bench: h2g bytes=(\d+) seconds=([\d.]+)")
_H2G_SENDER = re.compile(r"netbench h2g-sender seconds=([\d.]+)")
_VHOST = re.compile(r"netbench vhost-net=(yes|no)")


@dataclass
class Run:
    ready: float              # seconds from the VMM's start to the guest's ready line
    g2h_bytes: int
    g2h_seconds: float        # L1's clock, first byte to end of stream
    h2g_bytes: int
    h2g_seconds: float        # the guest's clock, first byte to end of stream
    h2g_sender: float | None  # L1's clock, the sender from connect to exit: a cross-check
    phase_exits: int | None = None  # mini-kvm: user-space exits from NET_MARKER to the end

    def mbps(self, direction: str) -> float:
        n, s = ((self.g2h_bytes, self.g2h_seconds) if direction == "g2h"
                else (self.h2g_bytes, self.h2g_seconds))
        return n / MIB_BYTES / max(s, 0.01)


@dataclass
class Nets:
    runs: dict[str, list[Run]] = field(default_factory=dict)   # "VMM, backend" -> runs
    stalls: dict[str, int] = field(default_factory=dict)
    mib: int = MIB
    quick: bool = False
    vhost_net: str = "not checked"


def case(vmm: str, backend: str) -> str:
    return f"{vmm}, {backend}"


def build_initrd() -> Path:
    """The guest initramfs with the net batch and netrecv."""
    return Path(lanes.run_assets_sh("guest-initramfs", str(INITRD), str(BATCH),
                                    f"{RECV}=/bin/netrecv"))


def l1_payload() -> list[tuple[Path, str]]:
    """The guest's initramfs and L1's scripts; QEMU and timeboot come with the boot
    benchmark, whose payload every L1 of make bench holds."""
    return [(build_initrd(), INITRD_L1), (L1_SCRIPT, "/bin/netbench"),
            (RECV, "/bin/netrecv")]


# --- measuring --------------------------------------------------------------------------


def commands(lane, backend: str, mib: int) -> dict[str, str]:
    """The VMM commands of one backend, by VMM: the same kernel, initramfs and line."""
    kernel = lane.linux_kernel()
    params = f"{PARAMS} mkvm.mib={mib}"
    if backend == "slirp":
        params += f" mkvm.nethost={SLIRP_HOST}"
        mini_net = f"user,hostfwd=tcp:127.0.0.1:{FWD_PORT}-:{GUEST_PORT}"
        qemu_net = f"user,id=n0,hostfwd=tcp:127.0.0.1:{FWD_PORT}-:{GUEST_PORT}"
    else:
        params += f" mkvm.nethost={TAP_HOST} mkvm.ip={TAP_GUEST}/24"
        mini_net = f"tap,ifname={TAP}"
        qemu_net = f"tap,id=n0,ifname={TAP},script=no,downscript=no,vhost=off"
    return {
        MINI: f"mini-kvm run -c {BOOT_CPUS} -m {MEM_MIB} -k {kernel} -i {INITRD_L1} "
              f"--net {mini_net} --stats --boot-marker '{NET_MARKER}' -p '{params}'",
        QEMU: f"{QEMU_BIN} -M microvm,acpi=on -accel kvm -cpu host -m {MEM_MIB} "
              f"-smp {BOOT_CPUS} -nodefaults -no-user-config -nographic -no-reboot "
              f"-serial stdio -kernel {kernel} -initrd {INITRD_L1} -netdev {qemu_net} "
              f"-device virtio-net-device,netdev=n0 -append '{params}'",
    }


class Namespace:
    """A network namespace of L1 with the tap in it (as tests/integration/test_net.py
    makes one), held by a sleeping process; made again if L1 was booted again."""

    def __init__(self, lane):
        self.lane, self.pid, self.boot = lane, None, None

    def prefix(self) -> str:
        if self.pid is None or self.boot != self.lane.boots:
            r = self.lane.shell(
                "setsid unshare -n sleep 100000 </dev/null >/dev/null 2>&1 & pid=$!; "
                "for i in $(seq 50); do [ \"$(readlink /proc/$pid/ns/net)\" != "
                "\"$(readlink /proc/self/ns/net)\" ] && break; sleep 0.1; done; echo $pid")
            if r.status != 0:
                raise BenchFailure(f"net: no network namespace in L1: {r}")
            pid = r.out.strip()
            r = self.lane.shell(
                f"nsenter -t {pid} -n sh -c 'ip link set lo up && tunctl -t {TAP} >/dev/null "
                f"&& ip addr add {TAP_HOST}/24 dev {TAP} && ip link set {TAP} up'")
            if r.status != 0:
                raise BenchFailure(f"net: no tap in L1's namespace: {r}")
            self.pid, self.boot = pid, self.lane.boots
        return f"nsenter -t {self.pid} -n "

    def close(self) -> None:
        if self.pid is not None and self.boot == self.lane.boots:
            self.lane.shell(f"kill {self.pid}")


def one_run(lane, vmm: str, backend: str, command: str, mib: int, ns: Namespace,
            data: Nets) -> Run | None:
    """Boot, both transfers and power-off once; None if it stalled or failed."""
    if backend == "slirp":
        prefix, addr, port = "", "127.0.0.1", FWD_PORT
    else:
        prefix, addr, port = ns.prefix(), TAP_GUEST, GUEST_PORT
    try:
        r = lane.shell(f"{prefix}netbench {mib} {addr} {port} {LIMIT} '{READY}' {command}",
                       timeout=LIMIT + 60)
    except lanes.LaneTimeout:
        return None
    vhost = _VHOST.search(r.out)
    if vhost:
        data.vhost_net = vhost[1]
    t, g2h, h2g = _TIMEBOOT.search(r.out), _G2H.search(r.out), _H2G.search(r.out)
    if not t or t[1] == "-" or t[3] != "0" or not g2h or not h2g:
        progress(f"  {case(vmm, backend)}: a run stalled or failed: {r.out.strip()[-1500:]}")
        return None
    sender = _H2G_SENDER.search(r.out)
    run = Run(float(t[1]), int(g2h[1]), float(g2h[2]), int(h2g[1]), float(h2g[2]),
              float(sender[1]) if sender else None)
    if vmm == MINI:
        end = _END_ROW.search(r.out)
        run.phase_exits = int(end[1]) if end and _MARKER_ROW.search(r.out) else None
    progress(f"  {run.mbps('g2h'):.1f} MB/s guest->host, {run.mbps('h2g'):.1f} MB/s "
             "host->guest")
    return run


def measure(ctx, runs: int, quick: bool) -> Nets:
    """Every (VMM, backend) alternately, run after run (quick: mini-kvm over slirp once,
    QUICK_MIB); a stalled run is tried again."""
    lane = ctx.nested()
    mib = QUICK_MIB if quick else MIB
    cases = {case(vmm, backend): (vmm, backend, command)
             for backend in BACKENDS
             for vmm, command in commands(lane, backend, mib).items()}
    if quick:
        cases = {k: v for k, v in cases.items() if k == case(MINI, "slirp")}
    data = Nets({name: [] for name in cases}, {name: 0 for name in cases}, mib, quick)
    ns = Namespace(lane)
    try:
        for i in range(runs):
            for name, (vmm, backend, command) in cases.items():
                progress(f"net: {name}, run {i + 1} of {runs}")
                got = one_run(lane, vmm, backend, command, mib, ns, data)
                while got is None and data.stalls[name] < STALL_RETRIES * runs:
                    data.stalls[name] += 1
                    got = one_run(lane, vmm, backend, command, mib, ns, data)
                if got is not None:
                    data.runs[name].append(got)
    finally:
        ns.close()
    return data


# --- checking ---------------------------------------------------------------------------


def check(data: Nets) -> None:
    """mini-kvm must have completed a run on each backend measured; every completed run
    must have moved exactly the bytes sent, each way."""
    for name, runs in data.runs.items():
        if name.startswith(MINI) and not runs:
            raise BenchFailure(f"net: no {name} run completed")
        for run in runs:
            for n in (run.g2h_bytes, run.h2g_bytes):
                if n != data.mib * MIB_BYTES:
                    raise BenchFailure(f"net: {name} moved {n} bytes, not "
                                       f"{data.mib * MIB_BYTES}: {run}")


# --- reporting --------------------------------------------------------------------------


def report(data: Nets) -> list[str]:
    lines = [
        "## Net: virtio-net TCP throughput over slirp and over tap (nested1 lane)",
        "",
        f"Both VMMs boot the same bzImage and busybox initramfs (scripts/assets.sh "
        f"guest-initramfs with bench/net-batch), {MEM_MIB} MiB and {BOOT_CPUS} vCPUs, with "
        "one virtio-net NIC: mini-kvm's --net, QEMU microvm's virtio-net-device "
        "(virtio-mmio, described in ACPI) on the same backend. slirp: mini-kvm's "
        "`--net user` and QEMU's `-netdev user`, both libslirp in the VMM process, the guest "
        f"at 10.0.2.15 by DHCP reaching L1's loopback at {SLIRP_HOST}, L1 reaching the "
        f"guest through a hostfwd on 127.0.0.1:{FWD_PORT}. tap: a tap in a network "
        f"namespace the benchmark makes in L1 ({TAP_HOST}, the guest {TAP_GUEST}), mini-kvm's "
        "`--net tap` and QEMU's `-netdev tap,script=no,downscript=no,vhost=off`: the "
        "virtio rings are served by QEMU's own threads, not by vhost-net (L1 loads no "
        f"vhost_net module; /dev/vhost-net in L1: {data.vhost_net}). Traffic stays on "
        "L1's loopback and in that namespace.",
        "",
        f"Each run boots once and moves {data.mib} MiB of zeros each way through busybox "
        "nc (bench/net-batch in the guest, bench/l1-netbench.sh in L1): guest -> host to "
        "a listener in L1, then host -> guest from L1 to a listener in the guest. busybox "
        "nc has no -q: the sender's nc half-closes at the end of its input and exits when "
        "the receiver closes; the listener reads a FIFO nobody writes, so that it does "
        "not half-close first. The receiving end times the stream (bench/net-recv.sh): "
        "from its first byte to its end, by /proc/uptime (10 ms steps) of the receiver's "
        "kernel, L1's for guest -> host, the guest's for host -> guest, and counts the "
        "bytes (every run must have moved them all). MB/s are MiB/s. L1's sender also "
        "times host -> guest from its connect to its exit, a check on the guest's clock "
        "(below). Everything shares L1's one emulated CPU: the nc processes, the VMM, "
        "the guest. busybox nc moves 1 KiB per read and write, and the guest sends each "
        "write as a segment of its own: guest -> host pays the per-packet costs (the "
        "guest's stack, a virtqueue notification) about once per KiB, while L1 sends the "
        "guest full-size segments.",
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    medians: dict[str, dict[str, float]] = {}
    for name, runs in data.runs.items():
        if not runs:
            lines.append(f"| {name}: no run completed | 0 | - | - | - | - |")
            continue
        lines.append(fmt_row(f"{name}: guest -> host", [r.mbps("g2h") for r in runs],
                             "MB/s", 3))
        lines.append(fmt_row(f"{name}: host -> guest", [r.mbps("h2g") for r in runs],
                             "MB/s", 3))
        medians[name] = {d: statistics.median(r.mbps(d) for r in runs)
                         for d in ("g2h", "h2g")}
    lines.append("")
    pairs = [(case(MINI, b), case(QEMU, b), b) for b in BACKENDS
             if case(MINI, b) in medians and case(QEMU, b) in medians]
    if pairs:
        lines += [
            "| ratio of medians, mini-kvm / QEMU microvm | guest -> host | host -> guest |",
            "|---|---|---|",
        ]
        ratios = []
        for a, b, backend in pairs:
            g, h = (medians[a]["g2h"] / medians[b]["g2h"], medians[a]["h2g"] / medians[b]["h2g"])
            ratios += [g, h]
            lines.append(f"| {backend} | {g:.2f} | {h:.2f} |")
        missing = [b for b in BACKENDS if b not in {p[2] for p in pairs}]
        verdict = ("not met" if min(ratios) < 1 else
                   f"met where measured, not judged over {', '.join(missing)}" if missing
                   else "met")
        lines += ["", "Issue 14's target, mini-kvm's throughput at least QEMU's each way on "
                  f"each backend (every ratio >= 1): {verdict} (lowest {min(ratios):.2f})."]
    elif data.quick:
        lines.append(f"Quick mode: mini-kvm over slirp alone, {data.mib} MiB each way.")
    checks = [f"{name} {statistics.median(r.h2g_seconds / r.h2g_sender for r in runs):.2f}"
              for name, runs in data.runs.items()
              if runs and all(r.h2g_sender for r in runs)]
    if checks:
        lines.append("Host -> guest, the guest's time over L1's sender's (medians; the "
                     "sender's includes the connect and the close): " + ", ".join(checks)
                     + ".")
    phase = [f"{name} {statistics.median(r.phase_exits for r in runs)}"
             for name, runs in data.runs.items()
             if runs and all(r.phase_exits is not None for r in runs)]
    if phase:
        lines.append("mini-kvm, every VM exit to user space from the start of the transfers "
                     "to the end (--stats, the boot timeline's last phase; medians): "
                     + ", ".join(phase) + ".")
    lines.append("Runs that stalled or failed and were tried again: "
                 + ", ".join(f"{name} {n}" for name, n in data.stalls.items()) + ".")
    lines.append("")
    return lines
