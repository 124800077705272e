# SPDX-License-Identifier: MIT
"""`make bench QUICK=1` as a smoke test: every benchmark still runs, its runners agree on
their checksums, and RESULTS.md and the plots get written (to a temporary folder: the
committed bench/RESULTS.md is a full run's). Timings are not checked: one run per case
on a loaded CI machine measures nothing."""

import subprocess
import sys

import pytest

import lanes

BENCH = lanes.REPO_ROOT / "bench" / "run.py"
QUICK_LIMIT = 600  # seconds: a guard against a hang; the quick mode took 3-5 min in CI
SECTIONS = ("## Exits", "## Matmul", "## Boot", "## Restore", "## SMP", "## Disk", "## Net",
            "## PC boot", "## Tiny")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.lanes("host")
def test_quick_bench_runs_every_benchmark(lane, tmp_path):
    out = tmp_path / "RESULTS.md"
    r = subprocess.run([sys.executable, str(BENCH), "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=QUICK_LIMIT, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    text = out.read_text()
    for section in SECTIONS:
        assert section in text, (section, text[:2000])
    assert "Quick mode" in text
    assert "here they agree" in text  # the checksums of every matmul runner
    for plot in ("matmul.png", "exits.png"):
        assert (tmp_path / plot).read_bytes().startswith(PNG_MAGIC), plot
