# SPDX-License-Identifier: MIT
"""pytest fixtures for the integration tests: every test that takes `lane` runs in the
host lane and in the nested lane (the lanes package: scripts/lanes/; docs/testing.md).

    @pytest.mark.needs("paging")          # skip where `mini-kvm check` says no
    @pytest.mark.lanes("nested")          # only in these lanes (rarely right: prefer needs)
    def test_hello(lane):
        r = lane.run(["run", lane.guest("hello.bin")])
        assert r.status == 0, r

Environment:
  MINI_KVM_LANES=host,nested   the lanes to run (also --lanes); e.g. host while iterating
  MINI_KVM_REQUIRE_KVM=1       a lane that cannot run here fails instead of skipping (CI)
  MINI_KVM_L1_BOOT_TIMEOUT=S   how long L1 may take to boot (default 180 s)
  MINI_KVM_QEMU, MINI_KVM_L1_ACCEL   the QEMU binary and its -accel for L1 (lanes/nested.py)

Test inputs: files under tests/integration/data/ reach every lane (lane.file(path));
data made by the test goes through lane.put(bytes, name), big empty files through
lane.sparse_file(name, size). Linux guests boot lane.linux_kernel() with
lane.linux_initrd() (the Debian kernel and scripts/assets.sh guest-initramfs, shipped
to the nested lane as /linux/); lanes.guest_markers() has the lines its /init prints.
When the nested lane fails,
build/nested-console.log, nested-control.log and nested-qemu.log tell why.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The lanes package lives in scripts/ (bench/run.py imports it too); the test modules
# here `import lanes` once this has run.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import lanes  # noqa: E402

ALL_LANES = ("host", *lanes.NESTED_LANES)
# The lanes of a test without @pytest.mark.lanes: "nested1" runs only tests that ask.
DEFAULT_LANES = ("host", "nested")
REQUIRE_KVM = os.environ.get("MINI_KVM_REQUIRE_KVM") == "1"

# Why a lane did not run, for the loud banner at the end of the session.
_unavailable: dict[str, str] = {}


def pytest_addoption(parser):
    parser.addoption("--lanes", default=os.environ.get("MINI_KVM_LANES", ",".join(ALL_LANES)),
                     help="comma-separated lanes to run: host, nested, nested1 (env MINI_KVM_LANES)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs(*capabilities): run only where `mini-kvm check` reports them "
        f"({', '.join(lanes.CAPABILITIES)})")
    config.addinivalue_line(
        "markers", "lanes(*names): parametrize `lane` over these lanes (host, nested, "
        "nested1) instead of the default ones (host, nested)")
    config.addinivalue_line(
        "markers", "slow: a long Linux boot in a nested lane beyond the one make check "
        "keeps: run by make check-slow (CI's next step), left out of make check")


def selected_lanes(config) -> list[str]:
    chosen = [name.strip() for name in config.getoption("--lanes").split(",") if name.strip()]
    unknown = [name for name in chosen if name not in ALL_LANES]
    if unknown:
        raise pytest.UsageError(f"unknown lane(s) {unknown}; choose from {ALL_LANES}")
    return chosen


def pytest_generate_tests(metafunc):
    if "lane" in metafunc.fixturenames:
        chosen = selected_lanes(metafunc.config)
        only = metafunc.definition.get_closest_marker("lanes")
        wanted = only.args if only is not None else DEFAULT_LANES
        chosen = [name for name in chosen if name in wanted]
        metafunc.parametrize("lane", chosen, ids=chosen, indirect=True)


def lane_unavailable(lane_name: str, reason: str):
    """Skip loudly because this machine cannot run the lane; fail if CI requires it."""
    _unavailable[lane_name] = reason
    if REQUIRE_KVM:
        pytest.fail(f"{lane_name} lane unavailable: {reason} "
                    "(MINI_KVM_REQUIRE_KVM=1 makes this a failure)", pytrace=False)
    pytest.skip(f"{lane_name} lane unavailable: {reason}")


def pytest_terminal_summary(terminalreporter):
    for lane_name, reason in _unavailable.items():
        terminalreporter.write_sep("!", f"{lane_name.upper()} LANE DID NOT RUN", red=True,
                                   bold=True)
        terminalreporter.write_line(reason)


@pytest.fixture(scope="session")
def host_lane():
    problem = lanes.host_kvm_problem()
    if problem:
        lane_unavailable("host", problem)
    lane = lanes.HostLane()
    yield lane
    lane.close()


def nested(name: str):
    """A nested lane (lanes.NESTED_LANES), booted on first use, closed at the end."""
    # Built from what exists now: the harness self-tests need no mini-kvm.
    payload = lanes.default_payload()
    initrd = lanes.BUILD / "nested-l1.cpio.gz"
    try:
        kernel = lanes.build_nested_assets(initrd, payload)
        lane = lanes.NestedLane(kernel, initrd, payload, smp=lanes.NESTED_LANES[name],
                                name=name)
        lane.boot()
    except lanes.LaneUnavailable as e:
        lane_unavailable(name, str(e))
    yield lane
    lane.close()


@pytest.fixture(scope="session")
def nested_lane():
    yield from nested("nested")


@pytest.fixture(scope="session")
def nested1_lane():
    yield from nested("nested1")


def require(lane, capability: str) -> None:
    """Skip unless `mini-kvm check` in this lane reports the capability."""
    found = lane.capability(capability)
    if found is None:
        reason = (f"{lane.name} lane: `mini-kvm check` did not report {capability!r}: "
                  f"{lane.check_output.strip() or '(no output)'}")
        if REQUIRE_KVM:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    available, detail = found
    if not available:
        pytest.skip(f"{lane.name} lane: mini-kvm check: {capability} no ({detail})")


@pytest.fixture
def lane(request):
    lane = request.getfixturevalue(f"{request.param}_lane")
    for marker in request.node.iter_markers("needs"):
        for capability in marker.args:
            require(lane, capability)
    return lane
