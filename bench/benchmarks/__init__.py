# SPDX-License-Identifier: MIT
"""The benchmarks of make bench, one module each, listed in BENCHMARKS in the order they
run and appear in RESULTS.md. Each module has:

  l1_payload() -> [(path here, path in L1)]  what it needs in the nested1 L1
  measure(ctx, runs, quick) -> data          the runs: raw numbers, nothing judged yet
  check(data)                                the sanity checks on those numbers; raises
                                             benchlib.BenchFailure, which fails make bench
  report(data) -> [line]                     its section of RESULTS.md (Markdown lines)
  plot(data, png)                            optional: its figure, written as NAME.png
                                             beside RESULTS.md (gnuplot)

ctx is benchlib.Context: ctx.nested() is the nested1 lane, booted on first use."""

from . import boot, disk, exits, matmul, net, pcboot, restore, smp, tiny

BENCHMARKS = {"exits": exits, "matmul": matmul, "boot": boot, "restore": restore, "smp": smp,
              "disk": disk, "net": net, "pcboot": pcboot, "tiny": tiny}
