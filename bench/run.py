"""make bench: measure mini-kvm side by side with its reference points and write
bench/RESULTS.md. Run by /usr/bin/python3 (Debian's pexpect, through the test lanes).

  python3 bench/run.py [--quick] [--only NAME ...] [--out FILE]

Benchmarks (each runs its cases alternately, so that a slow phase of the machine hits
every case alike, and reports min / median / max):
  boot   the Debian kernel to its init's ready line and to power-off, mini-kvm against
         QEMU's microvm machine, both under the same L1 kvm_amd (the nested1 lane), with
         the peak RSS of each VMM process;
  smp    the same work (N shell busy loops in the guest) on 1 vCPU and on N vCPUs,
         timed inside the guest; the ratio is the parallel speed-up;
  exits  the cost of a VM exit on this host's KVM: a guest making EXITLOOP_COUNT port
         reads under mini-kvm (hypercall port, out to user space), under kvm-floor (a
         bare KVM_RUN loop, the least any VMM can do) and, for comparison, reads of a
         port KVM answers in the kernel (the in-kernel PIT).

--quick (make bench QUICK=1) runs each case once: a smoke check that every benchmark
still runs, not a measurement.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
import lanes  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "RESULTS.md"
TIMEBOOT = REPO_ROOT / "bench" / "l1-timeboot.sh"
QEMU_BIN = Path("/usr/bin/qemu-system-x86_64")
# What QEMU's microvm machine reads from /usr/share/qemu to boot a kernel.
QEMU_FIRMWARE = ("bios-microvm.bin", "qboot.rom", "linuxboot_dma.bin", "kvmvapic.bin",
                 "pvh.bin")

MEM_MIB = 256
READY = lanes.guest_markers()["MKVM_READY"]
# Both VMMs get the same guest: the same kernel, initramfs, RAM and command line. The
# guest's batch mode powers off after printing its report; pci=off because neither
# VMM has a PCI bus here (microvm has none either).
GUEST_PARAMS = "console=ttyS0 pci=off quiet mkvm.batch"
# The guest's vCPUs in the boot benchmark. Two, not one: in the nested1 lane (an L1 with
# one vCPU) 2-vCPU guests of both VMMs booted every time, while 1-vCPU guests in the
# nested lane stall now and then, QEMU's most of the time (measured: 3 of 3, 4 of 4).
BOOT_CPUS = 2
# A boot that takes longer than this is a stall: QEMU 7.2's emulated SVM now and then
# stalls the inner guest of either VMM (tests/integration/lanes.py NESTED_LANES); such a
# boot is tried again, up to STALL_RETRIES times, and counted.
BOOT_LIMIT = 60
STALL_RETRIES = 3

# The smp benchmark: loops (one per vCPU of the wide guest) and iterations per loop.
SMP_CPUS = 2
SMP_ITERS = 20000


def progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def summary(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def fmt_row(name: str, values: list[float], unit: str = "s", digits: int = 2) -> str:
    lo, med, hi = summary(values)
    return (f"| {name} | {len(values)} | {lo:.{digits}f} | {med:.{digits}f} | "
            f"{hi:.{digits}f} | {unit} |")


# --- the machine ----------------------------------------------------------------------


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    check = subprocess.run([str(lanes.BUILD / "mini-kvm"), "check"], capture_output=True,
                           text=True).stdout.splitlines()
    qemu = subprocess.run([str(QEMU_BIN), "--version"], capture_output=True,
                          text=True).stdout.splitlines()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores",
        f"- host kernel: {platform.release()}; {check[0] if check else 'no mini-kvm check'}",
        f"- QEMU: {qemu[0] if qemu else 'not found'}",
        "- nested lane: the Debian kernel on QEMU TCG (`-cpu max`, emulated SVM) with "
        f"kvm_amd loaded (L1); the VMMs under test run inside it. L1 kernel "
        f"{lanes.kernel_version()}",
    ]


# --- nested lanes with QEMU inside ----------------------------------------------------


def qemu_payload() -> list[tuple[Path, str]]:
    """QEMU, the shared libraries it links and microvm's firmware, for L1."""
    items = [(QEMU_BIN, str(QEMU_BIN))]
    ldd = subprocess.run(["ldd", str(QEMU_BIN)], capture_output=True, text=True,
                         check=True).stdout
    for line in ldd.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            items.append((Path(m[1]).resolve(), m[1]))
    for name in QEMU_FIRMWARE:
        path = Path("/usr/share/qemu") / name
        if path.exists():
            items.append((path.resolve(), str(path)))
    return items


def nested_lane(name: str, with_qemu: bool):
    payload = lanes.default_payload() + [(TIMEBOOT, "/bin/timeboot")]
    if with_qemu:
        payload += qemu_payload()
    initrd = lanes.BUILD / f"bench-{name}-l1.cpio.gz"
    kernel = lanes.build_nested_assets(initrd, payload)
    lane = lanes.NestedLane(kernel, initrd, payload, smp=lanes.NESTED_LANES[name],
                            name=f"bench-{name}")
    started = time.monotonic()
    lane.boot()
    progress(f"L1 ({name}, -smp {lane.smp}) ready in {time.monotonic() - started:.1f} s")
    return lane


# --- boot -----------------------------------------------------------------------------

_TIMEBOOT = re.compile(r"timeboot ready=(\S+) end=(\S+) status=(\S+) maxrss_kib=(\S+)")


def boot_commands(lane) -> dict[str, str]:
    kernel, initrd = lane.linux_kernel(), lane.linux_initrd()
    return {
        "mini-kvm": f"mini-kvm run -c {BOOT_CPUS} -m {MEM_MIB} -k {kernel} -i {initrd} "
                    f"-p '{GUEST_PARAMS}'",
        "QEMU microvm": f"{QEMU_BIN} -M microvm -accel kvm -cpu host -m {MEM_MIB} "
                        f"-smp {BOOT_CPUS} "
                        "-nodefaults -no-user-config -nographic -no-reboot "
                        f"-serial stdio -kernel {kernel} -initrd {initrd} "
                        f"-append '{GUEST_PARAMS}'",
    }


def time_boot(lane, command: str) -> tuple[float, float, int] | None:
    """(seconds to READY, seconds to exit, peak RSS KiB) of one boot; None if it
    stalled or failed."""
    try:
        r = lane.shell(f"timeboot {BOOT_LIMIT} '{READY}' {command}", timeout=BOOT_LIMIT + 30)
    except lanes.LaneTimeout:
        return None
    m = _TIMEBOOT.search(r.out)
    if not m or m[1] == "-" or m[3] != "0":
        progress(f"  a boot stalled or failed: {r.out.strip()[-300:]}")
        return None
    return float(m[1]), float(m[2]), int(m[4]) if m[4] != "-" else 0


def bench_boot(ctx, runs: int) -> list[str]:
    lane = ctx.nested()
    cases = boot_commands(lane)
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
    stalls = {name: 0 for name in cases}
    for i in range(runs):
        for name, command in cases.items():
            progress(f"boot: {name}, run {i + 1} of {runs}")
            got = time_boot(lane, command)
            while got is None and stalls[name] < STALL_RETRIES * runs:
                stalls[name] += 1
                got = time_boot(lane, command)
            if got is not None:
                results[name].append(got)

    lines = [
        "## Boot: the Debian kernel to its init and to power-off (nested1 lane)",
        "",
        f"Both VMMs boot the same bzImage and busybox initramfs with {MEM_MIB} MiB, "
        f"{BOOT_CPUS} vCPUs and the command line `{GUEST_PARAMS}`; the guest prints `{READY}` once "
        "its /init runs, reports, and powers off. Seconds from the VMM's start "
        "(/proc/uptime in L1, 10 ms steps); peak RSS of the VMM process (its touched "
        "guest RAM included) from busybox `time -v`.",
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    medians = {}
    for name, rows in results.items():
        if not rows:
            lines.append(f"| {name}: no boot completed | 0 | - | - | - | s |")
            continue
        lines.append(fmt_row(f"{name}: to init ready", [r[0] for r in rows]))
        lines.append(fmt_row(f"{name}: to exit", [r[1] for r in rows]))
        lines.append(fmt_row(f"{name}: peak RSS", [r[2] / 1024 for r in rows], "MiB", 1))
        medians[name] = (statistics.median(r[0] for r in rows),
                         statistics.median(r[1] for r in rows),
                         statistics.median(r[2] for r in rows) / 1024)
    lines.append("")
    if len(medians) == 2:
        (a_ready, a_end, a_rss), (b_ready, b_end, b_rss) = medians.values()
        lines.append(f"Ratio mini-kvm / QEMU microvm (medians): to init ready "
                     f"{a_ready / b_ready:.2f}, to exit {a_end / b_end:.2f}, peak RSS "
                     f"{a_rss / b_rss:.2f}.")
    lines.append("Boots that stalled (no exit within "
                 f"{BOOT_LIMIT} s) and were tried again: "
                 + ", ".join(f"{name} {n}" for name, n in stalls.items())
                 + ". A stall is QEMU's emulated SVM at fault, not a VMM's "
                 "(tests/integration/lanes.py NESTED_LANES).")
    lines.append("")
    return lines


# --- smp ------------------------------------------------------------------------------

_WORK = re.compile(r"work: (\d+) loops of (\d+) iterations in ([\d.]+) s")


def time_work(lane, cpus: int) -> float | None:
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


def bench_smp(ctx, runs: int) -> list[str]:
    lane = ctx.nested()
    results: dict[int, list[float]] = {1: [], SMP_CPUS: []}
    for i in range(runs):
        for cpus in results:
            progress(f"smp: {SMP_CPUS} loops on {cpus} vCPU(s), run {i + 1} of {runs}")
            got = time_work(lane, cpus)
            if got is not None:
                results[cpus].append(got)
    lines = [
        f"## SMP: {SMP_CPUS} busy loops on 1 and on {SMP_CPUS} vCPUs (nested1 lane)",
        "",
        f"The guest runs {SMP_CPUS} shell loops of {SMP_ITERS} iterations in parallel "
        "and times them itself (/proc/uptime), on 1 vCPU and on 2. The L1 of this lane "
        "has one vCPU (a 2-vCPU L1 stalls SMP guests: tests/integration/lanes.py "
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


# --- exits ----------------------------------------------------------------------------

BENCH_BUILD = lanes.BUILD / "bench"
# Port reads per run of bench/guests/exitloop.S: EXITLOOP_COUNT in bench/bench.mk.
_EXITLOOP_COUNT = re.compile(r"^EXITLOOP_COUNT := (\d+)$", re.M)
_FLOOR = re.compile(r"user_exits (\d+) ns (\d+)")
_STATS = re.compile(r"stats: (\d+) exits in ([\d.]+) ms")


def exitloop_count() -> int:
    m = _EXITLOOP_COUNT.search((REPO_ROOT / "bench" / "bench.mk").read_text())
    assert m, "EXITLOOP_COUNT not found in bench/bench.mk"
    return int(m[1])


def time_exits(case: str) -> float:
    """Nanoseconds per exit of one run of a case (host lane)."""
    count = exitloop_count()
    if case == "mini-kvm":
        p = subprocess.run([str(lanes.BUILD / "mini-kvm"), "run", "--stats",
                            str(BENCH_BUILD / "exitloop-hc.bin")], capture_output=True,
                           text=True, check=True)
        m = _STATS.search(p.stderr)
        assert m and int(m[1]) == count + 1, p.stderr  # the loop's exits and HC_EXIT
        return float(m[2]) * 1e6 / count
    pit = case == "in-kernel PIT port"
    guest = BENCH_BUILD / ("exitloop-pit.bin" if pit else "exitloop-hc.bin")
    p = subprocess.run([str(BENCH_BUILD / "kvm-floor"), *(["--pit"] if pit else []),
                        str(guest)], capture_output=True, text=True, check=True)
    m = _FLOOR.search(p.stdout)
    assert m and int(m[1]) == (1 if pit else count + 1), p.stdout
    return int(m[2]) / count


def bench_exits(ctx, runs: int) -> list[str]:
    cases = ("mini-kvm", "kvm-floor", "in-kernel PIT port")
    results: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(runs):
        for name in cases:
            progress(f"exits: {name}, run {i + 1} of {runs}")
            results[name].append(time_exits(name))
    lines = [
        "## Exits: the cost of a port-I/O VM exit (host lane)",
        "",
        f"A real-mode guest reads a port {exitloop_count()} times "
        "(bench/guests/exitloop.S). mini-kvm: the hypercall port, each read a PIO exit "
        "to user space and back through mini-kvm's exit dispatch (its --stats run "
        "time). kvm-floor: the same guest under a bare KVM_RUN loop that only answers "
        "the read (bench/kvm_floor.c). In-kernel: kvm-floor with KVM's PIT, the guest "
        "reading port 0x61, which KVM answers without leaving the kernel.",
        "",
        "| case | runs | min | median | max | unit |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in results.items():
        lines.append(fmt_row(f"{name}: per exit", values, "ns", 0))
    med = {name: statistics.median(v) for name, v in results.items()}
    lines += [
        "",
        f"Exits per second (medians): mini-kvm {1e9 / med['mini-kvm']:,.0f}, kvm-floor "
        f"{1e9 / med['kvm-floor']:,.0f}, in-kernel {1e9 / med['in-kernel PIT port']:,.0f}. "
        f"mini-kvm / floor {med['mini-kvm'] / med['kvm-floor']:.2f}; an exit to user "
        f"space costs {med['kvm-floor'] / med['in-kernel PIT port']:.1f}x one handled in "
        "the kernel.",
        "",
    ]
    return lines


# --- main -----------------------------------------------------------------------------


class Context:
    """What the benchmarks share: one nested1 L1 (with QEMU inside), booted on first
    use and closed at the end."""

    def __init__(self):
        self._lane = None

    def nested(self):
        if self._lane is None:
            self._lane = nested_lane("nested1", with_qemu=True)
        return self._lane

    def close(self):
        if self._lane is not None:
            self._lane.close()


BENCHMARKS = {"exits": bench_exits, "boot": bench_boot, "smp": bench_smp}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one run per case (smoke check)")
    ap.add_argument("--only", nargs="*", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    ap.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    opts = ap.parse_args(argv)
    runs = 1 if opts.quick else opts.runs

    started = time.monotonic()
    body: list[str] = []
    ctx = Context()
    try:
        for name in opts.only:
            progress(f"{name}: starting ({runs} run(s) per case)")
            body += BENCHMARKS[name](ctx, runs)
    finally:
        ctx.close()
    head = [
        "# mini-kvm benchmarks",
        "",
        f"Written by `make bench{' QUICK=1' if opts.quick else ''}` on "
        f"{datetime.date.today().isoformat()} in {time.monotonic() - started:.0f} s.",
        "",
        *machine(),
        "",
    ]
    if opts.quick:
        head += ["**Quick mode: one run per case, a smoke check, not a measurement.**", ""]
    opts.out.write_text("\n".join(head + body))
    progress(f"wrote {opts.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
