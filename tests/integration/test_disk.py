# SPDX-License-Identifier: MIT
"""--disk and the HC_BLK_* hypercalls end to end: a guest reads and writes a host file,
its errors come back as values, and its writes are in the file even after it dies."""

import pytest

from test_bad_input import assert_one_line_error

SECTOR = 512
DISK_SECTORS = 4
HOST_TEXT = b"hello from the host disk"
GUEST_TEXT = "written by the guest"
# HC_EINVAL, HC_EFAULT, HC_ENODEV as the guest prints EAX: unsigned 32-bit.
EINVAL, EFAULT, ENODEV = (2**32 - 22, 2**32 - 14, 2**32 - 19)
GUEST_DIED = 3


def disk_image() -> bytes:
    return HOST_TEXT.ljust(DISK_SECTORS * SECTOR, b"\0")


def run_disk_guest(lane, *extra):
    return lane.run(["run", "--mode", "protected", *extra, lane.test_guest("disk.bin")])


def test_guest_reads_and_writes_the_disk(lane):
    disk = lane.put(disk_image(), "disk.img")
    r = run_disk_guest(lane, "--disk", disk)
    # The guest ends in a triple fault on purpose: the write must survive that too.
    assert r.status == GUEST_DIED, r
    assert r.out.splitlines() == [str(DISK_SECTORS), HOST_TEXT.decode(), "0", str(EINVAL),
                                  str(EFAULT)], r
    sector1 = lane.shell(f"dd if={disk} bs={SECTOR} skip=1 count=1 2>/dev/null | tr -d '\\000'")
    assert sector1.out == GUEST_TEXT, sector1
    # Sector 0 and the refused write's target (past the end: the file did not grow).
    size = lane.shell(f"wc -c < {disk}")
    assert int(size.out) == DISK_SECTORS * SECTOR, size


def test_no_disk_is_enodev(lane):
    r = run_disk_guest(lane)
    assert r.status == GUEST_DIED, r
    lines = r.out.splitlines()
    assert lines[0] == str(ENODEV) and lines[-3:] == [str(ENODEV)] * 3, r


@pytest.mark.parametrize("size, cause", [
    (SECTOR + 1, "size 513 bytes is not a whole number of 512-byte sectors"),
])
def test_ragged_disk_refused(lane, size, cause):
    disk = lane.put(b"x" * size, "ragged.img")
    assert_one_line_error(run_disk_guest(lane, "--disk", disk), 1, f"disk '{disk}'", cause)


def test_missing_disk_refused(lane):
    assert_one_line_error(run_disk_guest(lane, "--disk", "/nonexistent/disk.img"), 1,
                          "disk '/nonexistent/disk.img'", "No such file or directory")


def test_directory_disk_refused(lane):
    assert_one_line_error(run_disk_guest(lane, "--disk", "/"), 1, "disk '/'",
                          "Is a directory")
