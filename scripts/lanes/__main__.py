# SPDX-License-Identifier: MIT
"""A lane by hand: `python3 -m lanes LANE [--shell CMD] [--timeout S] [-- ARGS...]` from
scripts/ (or scripts/lane from anywhere) runs mini-kvm ARGS, or the shell command CMD,
in the host lane or a nested one, and exits with its status."""

from __future__ import annotations

import argparse
import os
import sys

from .api import Lane
from .assets import build_nested_assets, default_payload
from .host import HostLane
from .nested import NESTED_LANES, NestedLane
from .paths import BUILD


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="lanes",
                                 description="Run mini-kvm (or a shell command) in a lane.")
    ap.add_argument("lane", choices=["host", *NESTED_LANES])
    ap.add_argument("--shell", help="run this shell command instead of mini-kvm")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("args", nargs="*", help="mini-kvm's arguments")
    opts = ap.parse_args(argv)
    if opts.lane == "host":
        lane: Lane = HostLane()
    else:
        initrd = BUILD / "nested-l1.cpio.gz"
        payload = default_payload()
        lane = NestedLane(build_nested_assets(initrd, payload), initrd, payload,
                          smp=NESTED_LANES[opts.lane], name=opts.lane)
    try:
        if opts.shell is not None:
            r = lane.shell(opts.shell, timeout=opts.timeout)
        else:
            r = lane.run(opts.args, timeout=opts.timeout)
        os.write(1, r.stdout)
        os.write(2, r.stderr)
        return r.status
    finally:
        lane.close()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
