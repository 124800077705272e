# SPDX-License-Identifier: MIT
"""Every bundled guest, booted under KVM in each lane: its exact output and exit status."""

import re

import pytest

import lanes

MULTIPLICATION = "".join(f"{a} x {b} = {a * b}\n" for a in range(2, 10) for b in range(1, 10))

HCTEST_LINES = [
    "putchar: ok",
    "putnum: 0 65535",
    "puts: hello from HC_PUTS [18] ok",
    "puts max 5: hello [5] ok",
    None,  # the getchar line depends on stdin
    "clock: ok",
    "memsize: 128 MiB ok",  # HC_MEMSIZE, with the default -m
    "enosys: ok",
    "preserve: ok",
    "hctest: ok",
]

PMODE = """\
pmode: hello from 32-bit protected mode
pmode: segments reloaded, far jump and far return through CS=0x8
pmode: CS=0x8 DS=0x10 ES=0x10 SS=0x10 ok
pmode: GDT at 0x500 ok
pmode: memory at 0x100000 ok
pmode: puts outside RAM: efault ok
pmode: ok
"""


def hctest_expected(getchar_line: str) -> str:
    return "".join((line or getchar_line) + "\n" for line in HCTEST_LINES)


@pytest.mark.needs("real")
@pytest.mark.parametrize("guest, expected", [
    ("minimal.bin", ""),
    ("hello.bin", "Hello, KVM!\n"),
    ("counter.bin", "".join(f"{i}\n" for i in range(10))),
    ("multiplication.bin", MULTIPLICATION),
])
def test_real_mode_guest(lane, guest, expected):
    r = lane.run(["run", lane.guest(guest)])
    assert (r.status, r.out) == (0, expected), r
    assert r.err == "", r


@pytest.mark.needs("real")
def test_multiplication_has_72_lines(lane):
    r = lane.run(["run", lane.guest("multiplication.bin")])
    lines = r.out.splitlines()
    assert len(lines) == 72
    assert (lines[0], lines[-1]) == ("2 x 1 = 2", "9 x 9 = 81")


@pytest.mark.needs("real")
def test_multiplication_stats_count_one_exit_per_hypercall(lane):
    """10 hypercalls per line, 72 lines, then HLT: 721 VM exits, all on port 0x500."""
    r = lane.run(["run", "--stats=json", lane.guest("multiplication.bin")])
    assert r.status == 0, r
    total = lanes.stats_of(lanes.parse_stats(r.err))["total"]
    assert total["exits"] == 721, total
    assert lanes.reason_count(total, "IO") == 720, total
    assert lanes.reason_count(total, "HLT") == 1, total
    out = lanes.io_entry(total, "out", 0x500)
    assert out and out["count"] == 720 and out["device"] == "hypercall", total


@pytest.mark.needs("real")
def test_hctest_with_piped_input(lane):
    r = lane.run(["run", lane.guest("hctest.bin")], stdin=b"abc\n")
    assert (r.status, r.out) == (0, hctest_expected('getchar: "abc\\n" [4] ok')), r


@pytest.mark.needs("real")
def test_hctest_with_empty_input(lane):
    r = lane.run(["run", lane.guest("hctest.bin")], stdin=b"")
    assert (r.status, r.out) == (0, hctest_expected('getchar: "" [0] ok')), r


@pytest.mark.needs("real")
def test_echo_returns_input_byte_for_byte(lane):
    data = b"first line\nsecond\x00line with \xff bytes\n\nno newline at the end"
    r = lane.run(["run", lane.guest("echo.bin")], stdin=data)
    assert (r.status, r.stdout) == (0, data), r


@pytest.mark.needs("real")
def test_echo_input_larger_than_the_vmm_buffer(lane):
    """Input beyond the console's 4 KiB buffer arrives whole (back-pressure, no loss)."""
    data = b"".join(b"line %05d of the long input\n" % i for i in range(1000))
    r = lane.run(["run", lane.guest("echo.bin")], stdin=data, timeout=180)
    assert (r.status, r.stdout) == (0, data), (r.status, len(r.stdout))


@pytest.mark.needs("protected")
def test_pmode(lane):
    r = lane.run(["run", "--mode", "protected", lane.guest("pmode.bin")])
    assert (r.status, r.out) == (0, PMODE), r


@pytest.mark.needs("paging")
def test_paging_higher_half_kernel(lane):
    r = lane.run(["run", lane.guest("paging.elf")])
    assert r.status == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "paging: hello from a higher-half kernel"
    assert re.match(r"paging: text virt 0x80001000-0x8000[0-9a-f]{4} phys 0x1000-0x[0-9a-f]+$",
                    lines[1]), lines[1]
    for check in ("CR0.PE CR0.PG CR4.PSE set, CR4.PAE clear ok",
                  "higher half -> identity: wrote at", "identity -> higher half: wrote at"):
        assert any(check in line and line.endswith("ok") for line in lines), (check, r.out)
    assert lines[-1] == "paging: ok"


@pytest.mark.needs("long")
def test_long_mode_c_guest(lane):
    r = lane.run(["run", lane.guest("long.elf")])
    assert r.status == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "long: hello from 64-bit mode"
    assert "long: EFER.LME EFER.LMA CR0.PE CR0.PG CR4.PAE set ok" in lines
    assert "long: 20! = 2432902008176640000 = 0x21c3677c82b40000 ok" in lines
    assert lines[-1] == "long: ok"


@pytest.mark.needs("long")
def test_elf_mode_can_be_overridden_only_sensibly(lane):
    r = lane.run(["run", "--mode", "real", lane.guest("long.elf")])
    assert r.status == 1, r
    assert "an ELF64 image runs in long mode, not real mode" in r.err
