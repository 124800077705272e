"""make bench: measure mini-kvm side by side with its reference points and write
bench/RESULTS.md and its plots (bench/matmul.png, bench/exits.png, by gnuplot). Run by
/usr/bin/python3 (Debian's pexpect, through the test lanes).

  python3 bench/run.py [--quick] [--only NAME ...] [--runs N] [--out FILE]

Benchmarks (each runs its cases alternately, so that a slow phase of the machine hits
every case alike, and reports min / median / max):
  exits   the cost of a VM exit: a guest making EXITLOOP_COUNT port reads under mini-kvm
          (hypercall port, out to user space), under kvm-floor (a bare KVM_RUN loop,
          the least any VMM can do) and, for comparison, reads of a port KVM answers in
          the kernel (the in-kernel PIT); on this host's KVM, and for the record in the
          nested1 lane (EXITLOOP_COUNT_NESTED there: an exit costs ~8x more);
  matmul  an N x N double-precision multiply (N = 64 .. 512), one C kernel compiled once
          (bench/matmul/) and run natively, as a bare ring-3 guest of mini-kvm, as the
          same guest on QEMU's PC machine under KVM (if this host's KVM runs it) and
          under TCG, and natively inside Linux under TCG; the checksums of C must agree
          bit for bit, or the benchmark fails;
  boot    the Debian kernel to its init's ready line and to power-off, mini-kvm against
          QEMU's microvm machine, both under the same L1 kvm_amd (the nested1 lane), with
          the peak RSS of each VMM process;
  smp     the same work (N shell busy loops in the guest) on 1 vCPU and on N vCPUs,
          timed inside the guest; the ratio is the parallel speed-up.

--quick (make bench QUICK=1) runs each case once, and matmul at its smallest N only: a
smoke check that every benchmark still runs (about 75 s here), not a measurement. A
failed case (a runner that crashes, disagreeing checksums) makes the exit status 1 and
leaves RESULTS.md as it was.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "scripts"))
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
# stalls the inner guest of either VMM (scripts/lanes/nested.py NESTED_LANES); such a
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
    cpu, virtual = "unknown", False
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name") and cpu == "unknown":
            cpu = line.split(":", 1)[1].strip()
        if line.startswith("flags"):
            virtual = "hypervisor" in line.split()
    check = subprocess.run([str(lanes.BUILD / "mini-kvm"), "check"], capture_output=True,
                           text=True).stdout.splitlines()
    qemu = subprocess.run([str(QEMU_BIN), "--version"], capture_output=True,
                          text=True).stdout.splitlines()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores"
        + ("; this machine is itself a virtual machine (CPUID hypervisor bit), so its "
           "KVM is nested under another hypervisor" if virtual else ""),
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
    payload = lanes.default_payload() + [(TIMEBOOT, "/bin/timeboot")] + bench_payload()
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


def bench_boot(ctx, runs: int, quick: bool) -> list[str]:
    del quick  # one boot per case is quick enough
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
                 "(scripts/lanes/nested.py NESTED_LANES).")
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


def bench_smp(ctx, runs: int, quick: bool) -> list[str]:
    del quick
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


# --- exits ----------------------------------------------------------------------------

BENCH_BUILD = lanes.BUILD / "bench"
# Where the nested lane's L1 has the exits benchmark's programs (nested_lane()).
L1_BENCH = "/bench"
# Port reads per run of bench/guests/exitloop.S: EXITLOOP_COUNT in bench/bench.mk, and
# EXITLOOP_COUNT_NESTED for the nested lane's exitloop-nested-*.bin.
_EXITLOOP_COUNT = re.compile(r"^(EXITLOOP_COUNT(?:_NESTED)?) := (\d+)$", re.M)
_FLOOR = re.compile(r"user_exits (\d+) ns (\d+)")
_STATS = re.compile(r"stats: (\d+) exits in ([\d.]+) ms")
EXIT_CASES = ("mini-kvm", "kvm-floor", "in-kernel PIT port")
# Seconds a nested run may take (measured: ~1 s for 20000 exits).
EXITS_NESTED_TIMEOUT = 120


def exitloop_count(nested: bool = False) -> int:
    counts = dict(_EXITLOOP_COUNT.findall((REPO_ROOT / "bench" / "bench.mk").read_text()))
    name = "EXITLOOP_COUNT_NESTED" if nested else "EXITLOOP_COUNT"
    assert name in counts, f"{name} not found in bench/bench.mk"
    return int(counts[name])


def bench_payload() -> list[tuple[Path, str]]:
    """The exits benchmark's programs, for L1 (kvm-floor static: L1 has no libc)."""
    return [(BENCH_BUILD / "kvm-floor-static", f"{L1_BENCH}/kvm-floor"),
            (BENCH_BUILD / "exitloop-nested-hc.bin", f"{L1_BENCH}/exitloop-hc.bin"),
            (BENCH_BUILD / "exitloop-nested-pit.bin", f"{L1_BENCH}/exitloop-pit.bin")]


def run_exits(lane, argv: list[str]) -> tuple[str, str]:
    """stdout and stderr of one command, on this host (lane None) or in L1."""
    if lane is None:
        p = subprocess.run(argv, capture_output=True, text=True, check=True)
        return p.stdout, p.stderr
    r = lane.shell(shlex.join(argv), timeout=EXITS_NESTED_TIMEOUT)
    if r.status != 0:
        raise BenchFailure(f"exits: {argv} failed in L1: {r}")
    return r.out, r.err


def time_exits(case: str, lane=None) -> float:
    """Nanoseconds per exit of one run of a case, on this host or in L1 (lane)."""
    count = exitloop_count(nested=lane is not None)
    if lane is None:
        vmm, floor, bins = str(lanes.BUILD / "mini-kvm"), str(BENCH_BUILD / "kvm-floor"), \
            str(BENCH_BUILD)
    else:
        vmm, floor, bins = "/bin/mini-kvm", f"{L1_BENCH}/kvm-floor", L1_BENCH
    if case == "mini-kvm":
        _, err = run_exits(lane, [vmm, "run", "--stats", f"{bins}/exitloop-hc.bin"])
        m = _STATS.search(err)
        assert m and int(m[1]) == count + 1, err  # the loop's exits and HC_EXIT
        return float(m[2]) * 1e6 / count
    pit = case == "in-kernel PIT port"
    guest = f"{bins}/exitloop-pit.bin" if pit else f"{bins}/exitloop-hc.bin"
    out, _ = run_exits(lane, [floor, *(["--pit"] if pit else []), guest])
    m = _FLOOR.search(out)
    assert m and int(m[1]) == (1 if pit else count + 1), out
    return int(m[2]) / count


def exits_table(results: dict[str, list[float]]) -> list[str]:
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


def bench_exits(ctx, runs: int, quick: bool) -> list[str]:
    del quick  # one run per case is already quick
    results = {where: {name: [] for name in EXIT_CASES} for where in ("host", "nested1")}
    for where in results:
        lane = ctx.nested() if where == "nested1" else None  # L1 boots after the host runs
        for i in range(runs):
            for name in EXIT_CASES:
                progress(f"exits: {name} ({where}), run {i + 1} of {runs}")
                results[where][name].append(time_exits(name, lane))
    ctx.plots["exits"] = results
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
        *exits_table(results["host"]),
        "### Nested1 lane (kvm_amd in L1 on QEMU TCG's emulated SVM)",
        "",
        "The same programs (mini-kvm-static, kvm-floor built -static) inside L1: every "
        "exit of the inner guest is an exit of QEMU's emulated SVM, so these figures "
        "measure QEMU's TCG more than any VMM. For the record, not for comparison with "
        "hardware.",
        "",
        *exits_table(results["nested1"]),
    ]


# --- matmul ---------------------------------------------------------------------------

# Matrix sizes, and those of --quick (a smoke check: the smallest only).
MATMUL_SIZES = (64, 128, 256, 512)
MATMUL_QUICK_SIZES = (64,)
MATMUL_NATIVE = BENCH_BUILD / "matmul-native"
MATMUL_KVM_GUEST = BENCH_BUILD / "matmul-kvm.elf"
MATMUL_PC_GUEST = BENCH_BUILD / "matmul-pc.elf"
MATMUL_STATIC = BENCH_BUILD / "matmul-native-static"
MATMUL_BATCH = REPO_ROOT / "bench" / "matmul" / "linux-batch"
MATMUL_INITRD = BENCH_BUILD / "matmul-linux.cpio.gz"
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
MATMUL_LINUX_PARAMS = "console=ttyS0 quiet panic=-1 mkvm.batch"
# Seconds one bare run may take (TCG, N=512: ~2 s here), and a Linux boot with all sizes.
MATMUL_TIMEOUT = 120
MATMUL_LINUX_TIMEOUT = 600
# Every runner is pinned to this CPU: the two vCPUs of this project's machines differ
# (N=64 took 105 us on CPU 0 and 210 us on CPU 1, in every one of 6 alternating runs),
# and a runner must not win by the CPU it happened to land on.
MATMUL_CPU = 0

_MATMUL_LINE = re.compile(
    r"matmul n=(\d+) reps=(\d+) run=(\d+) ns=(\d+) checksum=([0-9a-f]{16})")


class BenchFailure(Exception):
    """A benchmark that cannot give a valid result: make bench must fail."""


def matmul_samples(out: str) -> list[tuple[int, float, str]]:
    """(N, seconds per multiply, checksum) of each result line in a runner's output."""
    return [(int(m[1]), int(m[4]) / 1e9, m[5]) for m in _MATMUL_LINE.finditer(out)]


def run_matmul(name: str, argv: list[str], stdin: str = "", ok_status: int = 0,
               timeout: float = MATMUL_TIMEOUT) -> list[tuple[int, float, str]]:
    """Run one matmul runner; its samples. Raises BenchFailure if it fails."""
    try:
        p = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                           timeout=timeout,
                           preexec_fn=lambda: os.sched_setaffinity(0, {MATMUL_CPU}))
    except subprocess.TimeoutExpired:
        raise BenchFailure(f"matmul: {name} timed out after {timeout} s: "
                           f"{' '.join(argv)}") from None
    samples = matmul_samples(p.stdout)
    if p.returncode != ok_status or not samples:
        raise BenchFailure(f"matmul: {name} failed (status {p.returncode}, expected "
                           f"{ok_status}): {' '.join(argv)}\n{p.stdout[-800:]}"
                           f"{p.stderr[-800:]}")
    return samples


def matmul_runners(probe_kvm: bool) -> tuple[dict, str | None]:
    """The bare runners: name -> function(N) -> samples of one run. QEMU-KVM joins
    when a probe run works on this host (else the second value says why not)."""
    def native(n):
        return run_matmul("native", [str(MATMUL_NATIVE), f"n={n}", "runs=1"])

    def mini_kvm(n):
        return run_matmul("mini-kvm", [str(lanes.BUILD / "mini-kvm"), "run",
                                       str(MATMUL_KVM_GUEST)], stdin=f"n={n} runs=1\n")

    def qemu(accel):
        def run(n):
            return run_matmul(f"QEMU {accel}", QEMU_BARE + [
                "-accel", accel, "-kernel", str(MATMUL_PC_GUEST), "-append",
                f"n={n} runs=1"], ok_status=QEMU_DEBUG_EXIT_OK)
        return run

    runners = {"native": native, "mini-kvm": mini_kvm}
    why_not = None
    if probe_kvm:
        try:
            qemu("kvm")(MATMUL_QUICK_SIZES[0])
            runners["QEMU-KVM"] = qemu("kvm")
        except BenchFailure as e:
            why_not = str(e).strip().splitlines()[-1]
    runners["QEMU TCG"] = qemu("tcg")
    return runners, why_not


def matmul_linux(sizes: tuple[int, ...], runs: int) -> dict[int, list[tuple[float, str]]]:
    """Boot Linux under QEMU TCG once; it runs matmul-native-static for every size."""
    subprocess.run([str(lanes.ASSETS), "guest-initramfs", str(MATMUL_INITRD), str(MATMUL_BATCH),
                    f"{MATMUL_STATIC}=/bin/matmul"], check=True, stdout=subprocess.DEVNULL)
    kernel, _ = lanes.linux_assets()
    params = (f"{MATMUL_LINUX_PARAMS} matmul.sizes={','.join(map(str, sizes))} "
              f"matmul.runs={runs}")
    samples = run_matmul("Linux in QEMU TCG", QEMU_LINUX + [
        "-kernel", str(kernel), "-initrd", str(MATMUL_INITRD), "-append", params],
        timeout=MATMUL_LINUX_TIMEOUT)
    got: dict[int, list[tuple[float, str]]] = {n: [] for n in sizes}
    for n, seconds, checksum in samples:
        got[n].append((seconds, checksum))
    return got


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def bench_matmul(ctx, runs: int, quick: bool) -> list[str]:
    sizes = MATMUL_QUICK_SIZES if quick else MATMUL_SIZES
    runners, kvm_missing = matmul_runners(probe_kvm=True)
    times: dict[str, dict[int, list[float]]] = {}
    checksums: dict[int, set[tuple[str, str]]] = {n: set() for n in sizes}

    def record(name: str, n: int, seconds: float, checksum: str) -> None:
        times.setdefault(name, {}).setdefault(n, []).append(seconds)
        checksums[n].add((name, checksum))

    for i in range(runs):
        for n in sizes:
            for name, run in runners.items():
                progress(f"matmul: {name}, N={n}, run {i + 1} of {runs}")
                for got_n, seconds, checksum in run(n):
                    record(name, got_n, seconds, checksum)
    linux = "Linux in QEMU TCG"
    progress(f"matmul: {linux}, every N, {runs} run(s) each, in one boot")
    for n, rows in matmul_linux(sizes, runs).items():
        for seconds, checksum in rows:
            record(linux, n, seconds, checksum)

    for n, seen in checksums.items():
        if len({checksum for _, checksum in seen}) != 1:
            raise BenchFailure(f"matmul: N={n}: the runners disagree on the checksum: "
                               + ", ".join(f"{name} {c}" for name, c in sorted(seen)))
    for name, by_n in times.items():
        missing = [n for n in sizes if len(by_n.get(n, [])) != runs]
        if missing:
            raise BenchFailure(f"matmul: {name} gave no or too few samples for N={missing}")
    ctx.plots["matmul"] = times

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
        f"clock_gettime. Every runner is pinned to CPU {MATMUL_CPU} (this machine's two vCPUs "
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
                ("Linux in TCG / QEMU TCG", linux, "QEMU TCG")]
    if "QEMU-KVM" in med:
        kvm_rows.insert(1, ("QEMU-KVM / native", "QEMU-KVM", "native"))
    lines += ["", "Ratios of medians (above 1: the first is slower):", "",
              "| ratio | " + " | ".join(f"N={n}" for n in sizes) + " |",
              "|---|" + "---|" * len(sizes)]
    for label, a, b in kvm_rows:
        lines.append(f"| {label} | "
                     + " | ".join(f"{med[a][n] / med[b][n]:.2f}" for n in sizes) + " |")
    lines.append("")
    if kvm_missing:
        lines += [f"QEMU-KVM: not available on this host: {kvm_missing}", ""]
    else:
        lines += ["QEMU-KVM runs the bare PC image under this host's KVM too: SeaBIOS and "
                  "the 32-bit stub are emulated by kvm_pvm (about 2 s of each run, before "
                  "the timed part), the ring-3 multiply runs natively.", ""]
    return lines


# --- plots ----------------------------------------------------------------------------

GNUPLOT = "gnuplot"
PLOT_SIZE = "900,560"


def gnuplot(script: str) -> None:
    subprocess.run([GNUPLOT], input=script, text=True, check=True)


def plot_matmul(times: dict[str, dict[int, list[float]]], png: Path) -> None:
    """Time per multiply against N, one line per runner (median, min-max bars)."""
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


def plot_exits(results: dict[str, dict[str, list[float]]], png: Path) -> None:
    """Median cost of one exit per case, a bar chart per lane (their scales differ)."""
    lines = [f"set terminal pngcairo size {PLOT_SIZE}", f"set output '{png}'",
             "set multiplot layout 1,%d title 'cost of one port-I/O exit (median)'"
             % len(results),
             "set style fill solid 0.6 border -1", "set boxwidth 0.6",
             "set ylabel 'ns per exit'", "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0",
             f"set xrange [-0.6:{len(EXIT_CASES) - 0.4}]", "set grid ytics", "unset key"]
    for where, cases in results.items():
        rows = "\n".join(f'"{EXIT_LABELS.get(name, name)}" {statistics.median(v):.0f}'
                         for name, v in cases.items())
        lines += [f"$e_{where} << EOD\n{rows}\nEOD", f"set title '{where} lane'",
                  f"plot $e_{where} using 0:2:xtic(1) with boxes linecolor rgb '#4477aa', "
                  f"'' using 0:2:2 with labels offset 0,0.8"]
    gnuplot("\n".join(lines + ["unset multiplot"]))


PLOTS = {"matmul": plot_matmul, "exits": plot_exits}
# Shorter x labels for the exits chart, where the case names would overlap.
EXIT_LABELS = {"in-kernel PIT port": "in-kernel"}


# --- main -----------------------------------------------------------------------------


class Context:
    """What the benchmarks share: one nested1 L1 (with QEMU inside), booted on first
    use and closed at the end, and the figures to plot (PLOTS: name -> data)."""

    def __init__(self):
        self._lane = None
        self.plots: dict[str, dict] = {}

    def nested(self):
        if self._lane is None:
            self._lane = nested_lane("nested1", with_qemu=True)
        return self._lane

    def close(self):
        if self._lane is not None:
            self._lane.close()


BENCHMARKS = {"exits": bench_exits, "matmul": bench_matmul, "boot": bench_boot,
              "smp": bench_smp}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one run per case (smoke check)")
    ap.add_argument("--only", nargs="*", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    ap.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    opts = ap.parse_args(argv)
    runs = 1 if opts.quick else opts.runs

    if not shutil.which(GNUPLOT):
        print("bench: gnuplot not found (apt-get install -y gnuplot-nox)", file=sys.stderr)
        return 1
    started = time.monotonic()
    body: list[str] = []
    ctx = Context()
    try:
        for name in opts.only:
            progress(f"{name}: starting ({runs} run(s) per case)")
            body += BENCHMARKS[name](ctx, runs, opts.quick)
    except BenchFailure as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    for name, data in ctx.plots.items():
        png = opts.out.parent / f"{name}.png"
        PLOTS[name](data, png)
        progress(f"wrote {png}")
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
