# SPDX-License-Identifier: MIT
"""Where things are: the repository, the build tree and the test inputs every lane sees."""

from __future__ import annotations

from pathlib import Path

# scripts/lanes/paths.py -> the repository root, two levels up.
REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "build"
# Test inputs that every lane can reach: shipped to the nested lane as /data.
DATA_DIR = REPO_ROOT / "tests" / "integration" / "data"
# The scripts of L1's initramfs (its /init and the control protocol's L1 end).
L1_DIR = Path(__file__).resolve().parent / "l1"
