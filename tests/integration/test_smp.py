# SPDX-License-Identifier: MIT
"""SMP Linux guests: `-c N` boots the Debian kernel on N vCPUs, every one of them
online (the guest's /proc/cpuinfo and /sys/devices/system/cpu/online), with --stats per
vCPU and in total; a vCPU count beyond mini-kvm's tables or the host's KVM is refused.

Guests with several vCPUs run in the "nested1" lane (an L1 with one vCPU) and not in
"nested": QEMU 7.2's emulated SVM stalls them in a 2-vCPU L1 (see lanes.NESTED_LANES).
Nothing here times the guest: the parallel speed-up is `make bench`'s.
"""

import re

import pytest

import lanes

from test_bad_input import assert_one_line_error
from test_linux import DONE, LINUX_NEEDS, PARAMS, linux_args, run_linux


def batch_report(r) -> dict[str, str]:
    """The guest batch's "name: value" lines (scripts/initramfs/guest-batch)."""
    out = r.out.replace("\r", "")
    assert f"\n{DONE} status 0\n" in out, r
    return dict(re.findall(r"^(kernel|cpus|processors|online): (.*)$", out, re.M))


def boots_with_cpus(lane, cpus: int):
    r = run_linux(lane, PARAMS + " quiet mkvm.batch", "-c", str(cpus), "--stats=json")
    assert r.status == 0, r
    report = batch_report(r)
    online = "0" if cpus == 1 else f"0-{cpus - 1}"
    assert report.get("cpus") == str(cpus), (report, r)
    assert report.get("processors") == str(cpus), (report, r)
    assert report.get("online") == online, (report, r)
    return r


@pytest.mark.lanes("host", "nested")
@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_linux_one_vcpu(lane):
    r = boots_with_cpus(lane, 1)
    stats = lanes.stats_of(lanes.parse_stats(r.err))
    assert len(stats["vcpus"]) == 1 and stats["vcpus"][0]["exits"] == stats["total"]["exits"]


@pytest.mark.lanes("host", "nested1")
@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.parametrize("cpus", [2, 4])
@pytest.mark.slow
def test_linux_vcpus_all_online(lane, cpus):
    r = boots_with_cpus(lane, cpus)
    # --stats: the total, then each vCPU, whose exits add up to the total.
    stats = lanes.stats_of(lanes.parse_stats(r.err))
    per_vcpu = [v["exits"] for v in stats["vcpus"]]
    assert len(per_vcpu) == cpus, stats
    assert all(n > 0 for n in per_vcpu), stats  # each AP ran (and exited) at least once
    assert sum(per_vcpu) == stats["total"]["exits"], stats


@pytest.mark.parametrize("cpus", ["255", "1000"])
def test_linux_refuses_more_vcpus_than_its_tables_take(lane, cpus):
    # 8-bit xAPIC IDs in the MP table and MADT, the I/O APIC taking the last: 254 vCPUs.
    # The command line knows that limit, so asking for more is bad usage (status 2).
    r = lane.run(linux_args(lane, PARAMS, "-c", cpus), timeout=30)
    assert_one_line_error(r, 2, f"--cpus '{cpus}'", "1 to 254", "8-bit xAPIC ID")
