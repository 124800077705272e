# SPDX-License-Identifier: MIT
"""make bench: measure mini-kvm side by side with its reference points and write
bench/RESULTS.md and its plots (bench/matmul.png, bench/exits.png, by gnuplot). Run by
/usr/bin/python3 (Debian's pexpect, through the test lanes of scripts/lanes/).

  python3 bench/run.py [--quick] [--only NAME ...] [--runs N] [--out FILE]

Benchmarks (bench/benchmarks/NAME.py; each runs its cases alternately, so that a slow
phase of the machine hits every case alike, and reports min / median / max):
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
          QEMU's microvm machine, both under the same L1 kvm_amd (the nested1 lane), each
          booting the bzImage and the vmlinux through its PVH entry, with the peak RSS of
          each VMM process;
  restore a Linux guest restored from a snapshot taken at its shell prompt, to the
          output of its first command, against mini-kvm's cold boot to that prompt
          (the nested1 lane), with what saving the snapshot cost;
  smp     the same work (N shell busy loops in the guest) on 1 vCPU and on N vCPUs,
          timed inside the guest; the ratio is the parallel speed-up;
  disk    virtio-blk: the guest booted from an ext4 root on a virtio disk runs O_DIRECT
          sequential write and read and 4 KiB random reads on a second disk, mini-kvm
          against QEMU microvm in the nested1 lane, with the boot to the root's shell and
          mini-kvm's exits per request;
  net     virtio-net TCP throughput guest -> host and host -> guest (busybox nc pipes of a
          fixed size, timed at the receiving end), over slirp and over a tap in a network
          namespace of L1, mini-kvm against QEMU microvm with the same backend (nested1).

Each benchmark is measured, then checked, as it comes; once all have passed, each
reports its section (and plot). --quick (make bench QUICK=1) runs each case once, and
matmul at its smallest N only: a smoke check that every benchmark still runs (about 75 s
here), not a measurement. A failed case (a runner that crashes, disagreeing checksums)
makes the exit status 1 and leaves RESULTS.md as it was. Shared helpers (statistics,
tables, gnuplot, the nested1 L1): bench/benchlib.py.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import time
from pathlib import Path

from benchlib import GNUPLOT, RESULTS, BenchFailure, Context, machine, progress
from benchmarks import BENCHMARKS


def measure_and_check(names: list[str], runs: int, quick: bool) -> dict[str, object]:
    """Measure each benchmark and check its numbers; {name: data}. Raises BenchFailure.
    The nested1 L1 holds every benchmark's payload, whichever run."""
    ctx = Context([item for bench in BENCHMARKS.values() for item in bench.l1_payload()])
    measured = {}
    try:
        for name in names:
            progress(f"{name}: starting ({runs} run(s) per case)")
            data = BENCHMARKS[name].measure(ctx, runs, quick)
            BENCHMARKS[name].check(data)
            measured[name] = data
    finally:
        ctx.close()
    return measured


def write_results(measured: dict[str, object], out: Path, quick: bool,
                  started: float) -> None:
    """The plots beside `out`, then `out` itself: the machine, then each section."""
    for name, data in measured.items():
        plot = getattr(BENCHMARKS[name], "plot", None)
        if plot is not None:
            png = out.parent / f"{name}.png"
            plot(data, png)
            progress(f"wrote {png}")
    body: list[str] = []
    for name, data in measured.items():
        body += BENCHMARKS[name].report(data)
    head = [
        "# mini-kvm benchmarks",
        "",
        f"Written by `make bench{' QUICK=1' if quick else ''}` on "
        f"{datetime.date.today().isoformat()} in {time.monotonic() - started:.0f} s.",
        "",
        *machine(),
        "",
    ]
    if quick:
        head += ["**Quick mode: one run per case, a smoke check, not a measurement.**", ""]
    out.write_text("\n".join(head + body))
    progress(f"wrote {out}")


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
    try:
        measured = measure_and_check(opts.only, runs, opts.quick)
    except BenchFailure as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 1
    write_results(measured, opts.out, opts.quick, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
