# SPDX-License-Identifier: MIT
"""What the benchmarks share: paths, the failure they raise, statistics and table rows,
gnuplot, the machine's description, and the nested1 L1 the Linux benchmarks run in.

Each benchmark (bench/benchmarks/NAME.py) imports this; bench/run.py drives them."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import lanes  # noqa: E402  (scripts/lanes/, the test lanes)

BENCH_DIR = REPO_ROOT / "bench"
RESULTS = BENCH_DIR / "RESULTS.md"
BENCH_BUILD = lanes.BUILD / "bench"
QEMU_BIN = Path("/usr/bin/qemu-system-x86_64")

# --- the Linux guest of the boot and smp benchmarks -------------------------------------

MEM_MIB = 256
READY = lanes.guest_markers()["MKVM_READY"]
# Both VMMs get the same guest: the same kernel, initramfs, RAM and command line. The
# guest's batch mode powers off after printing its report; pci=off because neither
# VMM has a PCI bus here (microvm has none either).
GUEST_PARAMS = "console=ttyS0 pci=off quiet mkvm.batch"
# A boot that takes longer than this is a stall: QEMU 7.2's emulated SVM now and then
# stalls the inner guest of either VMM (scripts/lanes/nested.py NESTED_LANES); such a
# boot is tried again, up to STALL_RETRIES times, and counted.
BOOT_LIMIT = 60
STALL_RETRIES = 3


class BenchFailure(Exception):
    """A benchmark that cannot give a valid result: make bench must fail."""


def progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# --- statistics and tables --------------------------------------------------------------


def summary(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def fmt_row(name: str, values: list[float], unit: str = "s", digits: int = 2) -> str:
    """A row of the "| case | runs | min | median | max | unit |" tables."""
    lo, med, hi = summary(values)
    return (f"| {name} | {len(values)} | {lo:.{digits}f} | {med:.{digits}f} | "
            f"{hi:.{digits}f} | {unit} |")


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


# --- plots ------------------------------------------------------------------------------

GNUPLOT = "gnuplot"
PLOT_SIZE = "900,560"


def gnuplot(script: str) -> None:
    subprocess.run([GNUPLOT], input=script, text=True, check=True)


# --- the machine ------------------------------------------------------------------------


def machine() -> list[str]:
    """RESULTS.md's description of this machine, its KVM, QEMU and L1, as list items."""
    cpu, virtual = "unknown", False
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name") and cpu == "unknown":
            cpu = line.split(":", 1)[1].strip()
        if line.startswith("flags"):
            virtual = "hypervisor" in line.split()
    try:
        found = lanes.parse_check_json(subprocess.run(
            [str(lanes.BUILD / "mini-kvm"), "check", "--json"], capture_output=True,
            text=True).stdout)
        kvm = (f"host KVM {found['module']} (API {found['api_version']}, up to "
               f"{found['max_vcpus']} vCPUs; Linux guests: "
               f"{'yes' if found['linux'] else 'no'})")
    except ValueError:
        kvm = "no mini-kvm check"
    qemu = subprocess.run([str(QEMU_BIN), "--version"], capture_output=True,
                          text=True).stdout.splitlines()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores"
        + ("; this machine is itself a virtual machine (CPUID hypervisor bit), so its "
           "KVM is nested under another hypervisor" if virtual else ""),
        f"- host kernel: {platform.release()}; {kvm}",
        f"- QEMU: {qemu[0] if qemu else 'not found'}",
        "- nested lane: the Debian kernel on QEMU TCG (`-cpu max`, emulated SVM) with "
        f"kvm_amd loaded (L1); the VMMs under test run inside it. L1 kernel "
        f"{lanes.kernel_version()}",
    ]


# --- the nested1 L1 ---------------------------------------------------------------------


def nested_lane(name: str, payload: list[tuple[Path, str]]):
    """A nested lane (lanes.NESTED_LANES) whose L1 also holds `payload`, booted."""
    payload = lanes.default_payload() + payload
    initrd = lanes.BUILD / f"bench-{name}-l1.cpio.gz"
    kernel = lanes.build_nested_assets(initrd, payload)
    lane = lanes.NestedLane(kernel, initrd, payload, smp=lanes.NESTED_LANES[name],
                            name=f"bench-{name}")
    started = time.monotonic()
    lane.boot()
    progress(f"L1 ({name}, -smp {lane.smp}) ready in {time.monotonic() - started:.1f} s")
    return lane


class Context:
    """What the benchmarks share while they measure: one nested1 L1 holding every
    benchmark's programs (l1_payload), booted on first use and closed at the end."""

    def __init__(self, l1_payload: list[tuple[Path, str]]):
        self.l1_payload = l1_payload
        self._lane = None

    def nested(self):
        if self._lane is None:
            self._lane = nested_lane("nested1", self.l1_payload)
        return self._lane

    def close(self):
        if self._lane is not None:
            self._lane.close()
