# SPDX-License-Identifier: MIT
"""Bad input never crashes the VMM: a one-line error naming the input and the cause, status 1 or 2."""

import struct

import pytest

import lanes

EM_AARCH64 = 183
E_MACHINE_OFFSET = 18  # Elf64_Ehdr.e_machine


def assert_one_line_error(r, status: int, *fragments: str):
    assert r.status == status, r
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("mini-kvm: "), r.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert r.out == ""


def test_missing_file(lane):
    r = lane.run(["run", "/nonexistent/guest.bin"])
    assert_one_line_error(r, 1, "'/nonexistent/guest.bin'", "No such file or directory")


def test_empty_file(lane):
    path = lane.put(b"", "empty.bin")
    assert_one_line_error(lane.run(["run", path]), 1, f"'{path}'", "empty file")


def test_directory_as_guest(lane):
    assert_one_line_error(lane.run(["run", "/"]), 1, "'/'", "not a regular file")


@pytest.mark.parametrize("cut, cause", [
    (10, "truncated in e_ident (10 bytes)"),
    (40, "truncated: 40 bytes, the ELF header needs 64"),
    (100, "truncated: program headers"),
    (300, "truncated: segment"),
])
def test_truncated_elf(lane, cut, cause):
    elf = (lanes.BUILD / "guests" / "long.elf").read_bytes()
    path = lane.put(elf[:cut], f"truncated-{cut}.elf")
    assert_one_line_error(lane.run(["run", path]), 1, f"ELF '{path}'", cause)


def test_elf_for_the_wrong_machine(lane):
    elf = bytearray((lanes.BUILD / "guests" / "long.elf").read_bytes())
    struct.pack_into("<H", elf, E_MACHINE_OFFSET, EM_AARCH64)
    path = lane.put(bytes(elf), "aarch64.elf")
    assert_one_line_error(lane.run(["run", path]), 1, f"ELF '{path}'",
                          "e_machine 183 is not EM_X86_64")


def test_guest_larger_than_ram(lane):
    path = lane.put(b"\xf4" * (2 << 20), "two-mib.bin")
    assert_one_line_error(lane.run(["run", "-m", "1", path]), 1, f"'{path}'",
                          "do not fit in 1024 KiB of guest RAM")


def test_guest_over_the_boot_page_tables(lane):
    path = lane.put(b"\xf4" * 4096, "low.bin")
    assert_one_line_error(lane.run(["run", "--mode", "long", "--load", "0x90000", path]), 1,
                          f"'{path}'", "overlaps the boot page tables")


@pytest.mark.parametrize("args, cause", [
    (["run", "--mode", "banana", "x.bin"], "unknown mode 'banana'"),
    (["run", "-m", "12Q", "x.bin"], "--mem '12Q': not a size"),
    (["run", "--cpus", "0", "x.bin"], "--cpus '0'"),
    (["run", "--frobnicate", "x.bin"], "unknown option '--frobnicate'"),
    (["run", "--mode"], "needs an argument"),
    (["run"], "nothing to run"),
    (["launch", "x.bin"], "unknown command 'launch'"),
])
def test_bad_usage(lane, args, cause):
    assert_one_line_error(lane.run(args), 2, cause, "mini-kvm help")
