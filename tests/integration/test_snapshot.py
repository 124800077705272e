# SPDX-License-Identifier: MIT
"""Snapshots (docs/snapshot.md): a bare guest snapshotted mid-loop resumes its count with
no gap, by --snapshot-at and by SIGUSR2; the teaching OS snapshotted with Ctrl-A s after
writing a file still has it when restored, twice at once as two independent VMs; Linux
snapshotted at its shell prompt restores twice at once, each running a command; a
restored VM finds its disk where it was (or where --disk says); hostile snapshot files
and states KVM refuses end in one line on stderr, before anything runs.

Lanes: the bare guest and the teaching OS run in both (the OS's kernel is emulated on
kvm_pvm, which is slow, not wrong); Linux only where `mini-kvm check` says it can run
(the nested lane here).
"""

import re
import struct
import warnings
import zlib

import pexpect
import pytest

import lanes
from test_bad_input import assert_one_line_error
from test_linux import LINUX_NEEDS, MARKERS, PARAMS, expect, run_linux, stalled, tail
from test_pc import EXIT_OK
from test_os import KERNEL, PROMPT as OS_PROMPT, command, disk_image, os_args

COUNT = "count.bin"        # tests/guests/count.S
COUNT_END = 300            # the numbers it prints: 0 .. COUNT_END - 1
COUNT_AT = "20"            # --snapshot-at: the line "20"
STEP_TIMEOUT = 60
SAVED = re.compile(r"snapshot saved to (\S+) \(")
LINUX_PROMPT = MARKERS["MKVM_PROMPT"]

# The file format (src/snapshot/format.h), enough to damage a file on purpose.
HEADER = struct.Struct("<8sIIIIIIQQIIQ")
SECTION = struct.Struct("<IIQQII")
EXTENT = struct.Struct("<QQQII")
MACHINE_MEM = struct.Struct("<Q")
SEC_MACHINE, SEC_EXTENTS, SEC_RAM, SEC_SREGS = 1, 2, 3, 34
SREGS_CR0 = 8 * 24 + 2 * 16  # struct kvm_sregs: eight kvm_segments, two kvm_dtables, cr0
CR0_PG = 1 << 31    # paging without protection: a state the CPU cannot be in


def numbers(text: str) -> list[int]:
    return [int(line) for line in text.split() if line.isdigit()]


def scratch(lane, name: str) -> str:
    """A path in the lane for mini-kvm to write (the scratch file is replaced)."""
    return lane.put(b"", name)


class SnapshotFile:
    """A snapshot's bytes, with its table, for tests that damage one on purpose."""

    def __init__(self, data: bytes):
        self.data = bytearray(data)
        fields = HEADER.unpack_from(self.data, 0)
        self.nsections, self.table = fields[5], fields[7]

    def sections(self):
        for i in range(self.nsections):
            yield i, SECTION.unpack_from(self.data, self.table + i * SECTION.size)

    def section(self, wanted: int, wanted_id: int = 0) -> tuple[int, int, int]:
        """(table index, offset, length) of a section."""
        for i, (kind, ident, offset, length, _, _) in self.sections():
            if kind == wanted and ident == wanted_id:
                return i, offset, length
        raise KeyError(wanted)

    def reseal(self) -> bytes:
        """The bytes with every CRC (sections but RAM, table, header) made right."""
        for i, (kind, ident, offset, length, _, flags) in self.sections():
            crc = 0 if kind == SEC_RAM else zlib.crc32(self.data[offset:offset + length])
            SECTION.pack_into(self.data, self.table + i * SECTION.size, kind, ident, offset,
                              length, crc, flags)
        fields = list(HEADER.unpack_from(self.data, 0))
        fields[9] = zlib.crc32(self.data[self.table:self.table + self.nsections * SECTION.size])
        fields[10] = 0
        HEADER.pack_into(self.data, 0, *fields)
        fields[10] = zlib.crc32(self.data[:HEADER.size])
        HEADER.pack_into(self.data, 0, *fields)
        return bytes(self.data)


def header_only(version: int = 1, file_size: int | None = None, magic=b"MKVMSNAP") -> bytes:
    """A snapshot header (with a right CRC) and nothing else."""
    size = HEADER.size if file_size is None else file_size
    fields = [magic, version, 0, HEADER.size, SECTION.size, 1, 4096, HEADER.size, size, 0, 0, 0]
    fields[10] = zlib.crc32(HEADER.pack(*fields))
    return HEADER.pack(*fields)


# --- a bare guest: the count goes on ----------------------------------------------------


@pytest.mark.needs("real")
def test_count_resumes_without_a_gap(lane):
    """--snapshot-at stops the guest at a console line (--snapshot-and-exit: status 0,
    and it prints nothing after its snapshot); the restored one prints the next number."""
    snap = scratch(lane, "count.snap")
    r = lane.run(["run", "--snapshot-at", COUNT_AT, "--snapshot-and-exit", "--snapshot", snap,
                  lane.test_guest(COUNT)], timeout=STEP_TIMEOUT)
    assert r.status == 0, r
    assert SAVED.search(r.err) and SAVED.search(r.err).group(1) == snap, r
    before = numbers(r.out)
    assert before[:21] == list(range(21)) and before[-1] < COUNT_END - 1, r

    after = lane.run(["restore", snap], timeout=STEP_TIMEOUT)
    assert after.status == 0, after
    assert after.err == "", after
    assert before + numbers(after.out) == list(range(COUNT_END)), (r, after)


@pytest.mark.needs("real")
def test_refused_snapshot_at_lets_the_guest_run_on(lane):
    """--snapshot-at parks the vCPUs at the line; a VM whose snapshot is refused (a gdb
    stub's state is not saved) says why and runs on to its end, no number missing."""
    snap = scratch(lane, "refused.snap")
    r = lane.run(["run", "--gdb", "127.0.0.1:0", "--snapshot-at", COUNT_AT, "--snapshot", snap,
                  lane.test_guest(COUNT)], timeout=STEP_TIMEOUT)
    assert r.status == 0, r
    assert "cannot snapshot a VM with a gdb stub" in r.err, r
    assert numbers(r.out) == list(range(COUNT_END)), r


@pytest.mark.needs("real")
def test_sigusr2_snapshots_and_the_vm_runs_on(lane):
    """SIGUSR2 is the snapshot signal: the VM saves and runs to its end (status 0), and its
    snapshot, restored, finishes the count from where the signal found it."""
    snap = scratch(lane, "usr2.snap")
    out = scratch(lane, "usr2.out")
    vmm = lane.vmm_binary()
    r = lane.shell(f"{vmm} run --snapshot {snap} {lane.test_guest(COUNT)} > {out} & pid=$!; "
                   f"sleep 1; kill -USR2 $pid; wait $pid; echo status=$?; cat {out}",
                   timeout=STEP_TIMEOUT)
    assert "status=0" in r.out, r
    assert SAVED.search(r.err), r
    assert numbers(r.out) == list(range(COUNT_END)), r

    after = lane.run(["restore", snap], timeout=STEP_TIMEOUT)
    assert after.status == 0, after
    resumed = numbers(after.out)
    assert 0 < resumed[0] and resumed == list(range(resumed[0], COUNT_END)), after


# --- the teaching OS -----------------------------------------------------------------


@pytest.mark.needs("long", "irq-ring3")
def test_os_file_survives_a_snapshot(lane):
    """Ctrl-A s at the OS's prompt after `write`: the VM runs on (a file written after the
    snapshot is not in it); the restored shell `cat`s the file."""
    snap = scratch(lane, "os.snap")
    with lane.interactive(os_args(lane, None, "--snapshot", snap), timeout=STEP_TIMEOUT) as p:
        expect(p, rb"(?m)^" + re.escape(OS_PROMPT), "the first prompt", STEP_TIMEOUT)
        command(p, "write note.txt kept by a snapshot", rb"wrote 19 bytes to note\.txt")
        p.sendcontrol("a")
        p.send(b"s")
        expect(p, rb"snapshot saved to " + re.escape(snap.encode()), "the snapshot's line")
        command(p, "write later.txt too late", rb"wrote 9 bytes to later\.txt")
        p.sendline(b"exit")
        expect(p, rb"stopping the VM", "the VM's end")
        assert p.wait(STEP_TIMEOUT) == 0

    with lane.interactive(["restore", snap], timeout=STEP_TIMEOUT) as p:
        # The prompt came before the snapshot: the restored shell waits for a line.
        command(p, "cat note.txt", rb"kept by a snapshot")
        command(p, "cat later.txt", rb"cat: later\.txt: no such file or program")
        p.sendline(b"exit")
        expect(p, rb"stopping the VM", "the restored VM's end")
        assert p.wait(STEP_TIMEOUT) == 0


@pytest.mark.needs("long", "irq-ring3")
def test_os_restored_twice_at_once(lane):
    """Two restores of one snapshot run at the same time as two VMs: what one writes, the
    other never sees (RAM is mapped copy-on-write, privately)."""
    snap = scratch(lane, "twice.snap")
    r = lane.run(os_args(lane, None, "--snapshot-at", "wrote 5 bytes", "--snapshot-and-exit",
                         "--snapshot", snap),
                 stdin=b"write base.txt base\n", timeout=STEP_TIMEOUT)
    assert r.status == 0 and SAVED.search(r.err), r
    vmm, a, b = lane.vmm_binary(), scratch(lane, "a.out"), scratch(lane, "b.out")
    r = lane.shell(f"printf 'write only-a.txt from a\\nls\\nexit\\n' | {vmm} restore {snap} "
                   f"> {a} 2>&1 & pa=$!; "
                   f"printf 'ls\\nexit\\n' | {vmm} restore {snap} > {b} 2>&1 & pb=$!; "
                   f"wait $pa; echo a=$?; wait $pb; echo b=$?; "
                   f"echo '--- a'; cat {a}; echo '--- b'; cat {b}", timeout=2 * STEP_TIMEOUT)
    assert "a=0" in r.out and "b=0" in r.out, r
    out_a, out_b = r.out.split("--- a", 1)[1].split("--- b", 1)
    assert "only-a.txt 7" in out_a and "base.txt 5" in out_a, r
    assert "base.txt 5" in out_b and "only-a.txt" not in out_b, r


@pytest.mark.needs("long", "irq-ring3")
def test_os_disk_follows_the_snapshot(lane):
    """A snapshot holds the disk's path, not its contents: restore opens that path
    (--disk names another of the same size); a disk of another size is refused."""
    disk = lane.put(disk_image(), "snap-disk.tar")
    snap = scratch(lane, "disk.snap")
    r = lane.run(os_args(lane, disk, "--snapshot-at", "wrote 4 bytes", "--snapshot-and-exit",
                         "--snapshot", snap),
                 stdin=b"write one.txt one\n", timeout=STEP_TIMEOUT)
    assert r.status == 0 and SAVED.search(r.err), r

    r = lane.run(["restore", snap], stdin=b"write two.txt two\nexit\n", timeout=STEP_TIMEOUT)
    assert r.status == 0, r
    listing = lane.shell(f"tar -tf {disk}")
    assert listing.out.split() == ["readme.txt", "one.txt", "two.txt"], listing

    other = lane.put(disk_image(), "other-disk.tar")
    r = lane.run(["restore", "--disk", other, snap], stdin=b"write three.txt 3\nexit\n",
                 timeout=STEP_TIMEOUT)
    assert r.status == 0, r
    assert lane.shell(f"tar -tf {other}").out.split() == ["readme.txt", "one.txt",
                                                          "three.txt"]

    small = lane.put(disk_image()[:4096], "small-disk.tar")
    assert_one_line_error(lane.run(["restore", "--disk", small, snap]), 1,
                          f"disk '{small}' is 4096 bytes; the snapshot's VM had 65536")


@pytest.mark.needs("real")
def test_boot_sector_resumes_on_its_ata_disk(lane):
    """A boot sector snapshotted after its first line reads its second stage over ATA
    once restored: the snapshot names the --ata disk (and its ,ro), restore opens it
    again, or the one --ata names; a disk of another size is refused."""
    image = lane.test_guest("bs-ata.img")
    disk = lane.put(b"", "bs-ata-copy.img")
    assert lane.shell(f"cp {image} {disk}").status == 0
    snap = scratch(lane, "ata.snap")
    debug_exit = ["--debug-exit", "0xf4"]
    r = lane.run(["run", "--ata", disk + ",ro", "--boot-disk", *debug_exit,
                  "--snapshot-at", "boot: stage 1", "--snapshot-and-exit", "--snapshot", snap],
                 timeout=STEP_TIMEOUT)
    assert r.status == 0 and SAVED.search(r.err), r
    assert "stage 2" not in r.out, r

    r = lane.run(["restore", *debug_exit, snap], timeout=STEP_TIMEOUT)
    assert r.status == EXIT_OK, r
    # The restored guest prints the rest of the line it was snapshotted in, then stage 2.
    assert r.out.strip() == "boot: stage 2 read over ATA", r

    other = lane.put(b"", "bs-ata-other.img")
    lane.shell(f"cp {image} {other}")
    r = lane.run(["restore", *debug_exit, "--ata", other, snap], timeout=STEP_TIMEOUT)
    assert r.status == EXIT_OK and "stage 2 read over ATA" in r.out, r

    small = lane.put(b"\0" * 512, "bs-ata-small.img")
    assert_one_line_error(lane.run(["restore", "--ata", small, snap]), 1,
                          f"ATA disk '{small}' is 512 bytes; the snapshot's VM had")
    lane.shell(f"rm -f {disk}")
    assert_one_line_error(lane.run(["restore", snap]), 1, "the snapshot's ATA disk 0")


# --- Linux -----------------------------------------------------------------------------


@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.parametrize("boot", ["bzimage", "pvh"])
@pytest.mark.slow
def test_linux_restored_twice_at_once(lane, boot):
    """Linux (booted compressed or through its PVH entry) snapshotted at its shell prompt,
    then restored twice at the same time: each VM runs a command, and a file one of them
    makes is not in the other."""
    snap = scratch(lane, f"linux-{boot}.snap")
    r = run_linux(lane, PARAMS + " quiet", "--snapshot-at", LINUX_PROMPT,
                  "--snapshot-and-exit", "--snapshot", snap,
                  kernel=lane.linux_vmlinux() if boot == "pvh" else None)
    assert r.status == 0, r
    assert SAVED.search(r.err), r
    assert LINUX_PROMPT in r.out, r

    vmm, a, b = lane.vmm_binary(), scratch(lane, "la.out"), scratch(lane, "lb.out")
    restore = f"{vmm} restore --timeout {STEP_TIMEOUT} {snap}"
    attempt = 0
    while True:
        r = lane.shell(
            f"printf 'touch /only-a; echo one-$((40+2))\\npoweroff -f\\n' | {restore} > {a} "
            f"2>&1 & pa=$!; "
            f"printf 'sleep 2; test -e /only-a && echo shared || echo two-$((40+3))\\n"
            f"poweroff -f\\n' | {restore} > {b} 2>&1 & pb=$!; "
            f"wait $pa; echo a=$?; wait $pb; echo b=$?; echo '--- a'; cat {a}; echo '--- b'; "
            f"cat {b}", timeout=3 * STEP_TIMEOUT)
        # A restored guest that ran out of --timeout met the nested lane's stall (two
        # VMs copying pages of one snapshot on write): both are restored once more.
        if not ("a=124" in r.out or "b=124" in r.out) or \
                not stalled(lane, attempt, "a restored guest ran out of --timeout",
                             tail(r.stdout, 30)):
            break
        attempt += 1
    assert "a=0" in r.out and "b=0" in r.out, r
    out_a, out_b = r.out.split("--- a", 1)[1].split("--- b", 1)
    assert re.search(r"(?m)^one-42\r?$", out_a), r
    assert re.search(r"(?m)^two-43\r?$", out_b), r
    # The typed command echoes "shared" too: only a line of its own is the answer.
    assert not re.search(r"(?m)^shared\r?$", out_b), r


@pytest.mark.lanes("host", "nested1")
@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_linux_two_vcpus_restored(lane):
    """A guest with two vCPUs (the second one idle in its own halt, with its own local
    APIC timer) comes back with both online and its timers running: `sleep` returns."""
    def snapshot_and_restore():
        snap = scratch(lane, "smp.snap")
        r = run_linux(lane, PARAMS + " quiet", "-c", "2", "--snapshot-at", LINUX_PROMPT,
                      "--snapshot-and-exit", "--snapshot", snap)
        assert r.status == 0 and SAVED.search(r.err), r
        return lane.run(["restore", "--timeout", str(STEP_TIMEOUT), snap],
                        stdin=b"cat /sys/devices/system/cpu/online\n"
                              b"sleep 1; echo slept-$((1+1))\npoweroff -f\n",
                        timeout=2 * STEP_TIMEOUT)

    # QEMU's emulated SVM sometimes wedges the whole L1 (its control line goes silent:
    # scripts/lanes/nested.py); the lane reboots L1, which loses the snapshot: both again.
    try:
        r = snapshot_and_restore()
    except lanes.LaneTimeout as e:
        warnings.warn(f"{lane.name} lane: L1 stopped answering ({e}); snapshot and restore "
                      "once more")
        r = snapshot_and_restore()
    assert r.status == 0, r
    assert re.search(r"(?m)^0-1\r?$", r.out), r
    assert re.search(r"(?m)^slept-2\r?$", r.out), r


# --- hostile files ---------------------------------------------------------------------


@pytest.mark.parametrize("data, cause", [
    (b"", "0 bytes: too short for its 64-byte header"),
    (b"#!/bin/sh\n" + bytes(100), "not a mini-kvm snapshot"),
    (header_only(version=2), "format version 2; this mini-kvm reads version 1"),
    (header_only(file_size=1 << 20), "64 bytes, but its header says 1048576: truncated"),
    (header_only() + b"x", "something was appended"),
    (header_only()[:-1] + b"\x01", "header's CRC does not match"),
], ids=["empty", "not-a-snapshot", "version-2", "truncated", "appended", "damaged"])
def test_hostile_snapshot_files(lane, data, cause):
    path = lane.put(data, "hostile.snap")
    assert_one_line_error(lane.run(["restore", path]), 1, f"snapshot '{path}'", cause)


def test_missing_snapshot(lane):
    assert_one_line_error(lane.run(["restore", "/nonexistent.snap"]), 1,
                          "snapshot '/nonexistent.snap'", "No such file or directory")


@pytest.fixture
def count_snapshot(lane):
    """The count guest's snapshot (at its line 20), as bytes from the lane."""
    snap = scratch(lane, "base.snap")
    r = lane.run(["run", "--snapshot-at", COUNT_AT, "--snapshot-and-exit", "--snapshot", snap,
                  lane.test_guest(COUNT)], timeout=STEP_TIMEOUT)
    assert r.status == 0, r
    return lane.shell(f"cat {snap}").stdout


@pytest.mark.needs("real")
def test_snapshot_ram_beyond_the_machine(lane, count_snapshot):
    """A RAM extent above the machine's RAM size is refused before anything runs."""
    f = SnapshotFile(count_snapshot)
    _, offset, _ = f.section(SEC_MACHINE)
    MACHINE_MEM.pack_into(f.data, offset, 1 << 20)  # 1 MiB ...
    _, offset, _ = f.section(SEC_EXTENTS)
    gpa, size, at, crc, flags = EXTENT.unpack_from(f.data, offset)
    EXTENT.pack_into(f.data, offset, 1 << 20, size, at, crc, flags)  # ... and RAM at 1 MiB
    path = lane.put(f.reseal(), "beyond.snap")
    assert_one_line_error(lane.run(["restore", path]), 1,
                          "RAM extent 0 (GPA 0x100000, 0x1000 bytes) is not inside the "
                          "machine's 1 MiB of RAM")


@pytest.mark.needs("real")
def test_snapshot_state_kvm_refuses(lane, count_snapshot):
    """Well-formed, but a CPU state KVM refuses (paging without protected mode): one line
    naming the ioctl, status 1."""
    f = SnapshotFile(count_snapshot)
    _, offset, _ = f.section(SEC_SREGS)
    struct.pack_into("<Q", f.data, offset + SREGS_CR0, CR0_PG)
    path = lane.put(f.reseal(), "refused.snap")
    assert_one_line_error(lane.run(["restore", path]), 1, f"snapshot '{path}'",
                          "KVM_SET_SREGS on vCPU 0 refused the snapshot's state")


@pytest.mark.needs("real")
def test_snapshot_verify_finds_damaged_ram(lane, count_snapshot):
    """RAM is not read at restore (it is mapped); --verify reads it and checks its CRCs."""
    f = SnapshotFile(count_snapshot)
    _, offset, _ = f.section(SEC_RAM)
    f.data[offset + 7] ^= 0xff
    path = lane.put(bytes(f.data), "damaged-ram.snap")
    assert_one_line_error(lane.run(["restore", "--verify", path]), 1,
                          "RAM extent 0 (GPA 0x0, 4 KiB) does not match its CRC: damaged")
    good = lane.put(count_snapshot, "good.snap")
    r = lane.run(["restore", "--verify", good], timeout=STEP_TIMEOUT)
    assert r.status == 0, r
