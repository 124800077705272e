# SPDX-License-Identifier: MIT
"""virtio for Linux guests end to end: the Debian kernel boots from an ext4 root on a
virtio-blk disk (scripts/assets.sh disk-initramfs and rootfs), keeps a file across two
boots and leaves it where debugfs finds it in the image; a ",ro" disk refuses writes
and stays as it was; --rng gives the guest a /dev/hwrng; a guest that resets a disk in
the middle of a request does not hurt mini-kvm. Bad --disk files are refused before
anything runs.

The Linux tests need what `mini-kvm check` calls syscall, int-gate and irq-ring3 (see
test_linux.py): on this project's kvm_pvm host they skip with the probe's reason and run
in the nested lane. Several checks share one boot, since each boot costs ~15 s there.
"""

import contextlib
import hashlib
import re
import secrets

import pexpect
import pytest

import lanes
from test_bad_input import assert_one_line_error
from test_linux import (LINUX_NEEDS, PROMPT, READY, RETRIES_AFTER_STALL, StepTimeout, ends,
                        retry_after_stall, shell_command, stalled, tail)

MEM = "256"
# A disk boot takes a few seconds more than the RAM-disk one (modules, the mount): on a
# loaded machine the nested lane's boots took up to 60 s, which test_linux's stall limit
# would take for a stall. Past DISK_STALL_TIMEOUT a boot is tried again.
DISK_STALL_TIMEOUT = 75
DISK_BOOT_TIMEOUT = 150
# Slots, in --disk order, then --rng (layout.h: window 0xd0000000 + n * 0x200).
ROOT, DATA, SCRATCH = "/dev/vda", "/dev/vdb", "/dev/vdc"
SCRATCH_SLOT = 2
VIRTIO_MMIO_BASE, VIRTIO_MMIO_SIZE, VIRTIO_MMIO_STATUS = 0xD0000000, 0x200, 0x70
DATA_SIZE = 64 * 1024
SCRATCH_SIZE = 64 << 20
FILE = "/persist.txt"
# iomem=relaxed: /dev/mem may reach MMIO a driver holds (the Debian kernel has
# CONFIG_IO_STRICT_DEVMEM), so that the guest can poke the transport behind its driver.
PARAMS = f"console=ttyS0 root={ROOT} quiet iomem=relaxed"


def disk_args(lane, root: str, data: str, scratch: str) -> list[str]:
    return ["run", "-k", lane.linux_kernel(), "-i", lane.linux_disk_initrd(), "-m", MEM,
            "-p", PARAMS, "--disk", root, "--disk", f"{data},ro", "--disk", scratch, "--rng"]


@contextlib.contextmanager
def disk_session(lane, args: list[str]):
    """mini-kvm booting Linux from the root disk on a terminal, at the first prompt of
    the root's init; a boot that stalls in the nested lane is tried again (test_linux)."""
    attempt = 0
    while True:
        p = lane.interactive(args, timeout=DISK_BOOT_TIMEOUT)
        retry = attempt < RETRIES_AFTER_STALL.get(lane.name, 0)
        what = f"'{READY}'"
        try:
            p.expect(re.escape(READY.encode()),
                     timeout=DISK_STALL_TIMEOUT if retry else DISK_BOOT_TIMEOUT)
            what = f"shell prompt '{PROMPT}'"
            p.expect(re.escape(PROMPT.encode()), timeout=30)
            break
        except pexpect.TIMEOUT:
            seen = tail(p.seen())
            p.close()
            if not stalled(lane, attempt, f"no {what} in time", seen):
                pytest.fail(f"no {what} in time; the console showed:\n{seen}", pytrace=False)
        except pexpect.EOF:
            seen = tail(p.seen())
            pytest.fail(f"mini-kvm ended with status {p.wait()} before {what}; the console "
                        f"showed:\n{seen}", pytrace=False)
        attempt += 1
    with p:
        yield p


def md5(lane, path: str) -> str:
    r = lane.shell(f"md5sum < {path}")
    assert r.status == 0, r
    return r.out.split()[0]


@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_root_on_virtio_blk_keeps_a_file_across_boots(lane):
    retry_after_stall(lane, lambda: root_keeps_a_file(lane))


def root_keeps_a_file(lane):
    token = f"kept-{secrets.token_hex(4)}"
    root = lane.linux_root_copy("root.ext4")
    data = lane.put(bytes(range(256)) * (DATA_SIZE // 256), "data.img")
    scratch = lane.sparse_file("scratch.img", SCRATCH_SIZE)
    data_md5 = md5(lane, data)
    args = disk_args(lane, root, data, scratch)

    # Boot 1: / is the ext4 image, read-write; a file goes on it; vdb refuses writes;
    # the entropy device feeds /dev/hwrng. `exit` leaves init, which syncs, remounts /
    # read-only (the journal checkpointed) and powers off.
    with disk_session(lane, args) as p:
        shell_command(p, "grep ' / ' /proc/mounts | cut -d ' ' -f 1-3",
                      re.escape(f"{ROOT} / ext4".encode()), "the root on vda, ext4")
        shell_command(p, f"echo {token} > {FILE} && sync && cat {FILE}",
                      re.escape(token.encode()), "the file written")
        shell_command(p, f"cat /sys/block/{DATA[5:]}/ro", rb"1", "vdb read-only")
        shell_command(p, f"dd if=/dev/zero of={DATA} bs=512 count=1 2>/dev/null;"
                         " echo write=$?", rb"write=1", "a write to vdb failing")
        shell_command(p, f"cmp {DATA} /dev/zero 2>&1 | head -c 40 | wc -c",
                      rb"[1-9]\d*", "vdb still holding its bytes")
        shell_command(p, "cat /sys/devices/virtual/misc/hw_random/rng_current",
                      rb"virtio_rng\.\d+", "virtio-rng as the current hw_random")
        shell_command(p, "dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c", rb"64",
                      "64 bytes from /dev/hwrng")
        p.sendline(b"exit")
        assert ends(p, "exit from the root's shell") == 0, tail(p.seen())

    # The host (or L1) reads the file from the image itself: it is on the disk, and
    # the file system is clean.
    r = lane.shell(f"debugfs -R 'cat {FILE}' {root} 2>/dev/null")
    assert r.status == 0 and r.out.strip() == token, r
    assert md5(lane, data) == data_md5, "the read-only disk changed"

    # Boot 2: the file is still there. Then the guest resets vdc's transport (status 0)
    # behind its driver while a read is in flight: the request never completes in the
    # guest, but mini-kvm serves the other devices and powers off as usual.
    status = VIRTIO_MMIO_BASE + SCRATCH_SLOT * VIRTIO_MMIO_SIZE + VIRTIO_MMIO_STATUS
    with disk_session(lane, args) as p:
        shell_command(p, f"cat {FILE}", re.escape(token.encode()), "the file kept")
        shell_command(p, f"dd if={SCRATCH} of=/dev/null bs=1M iflag=direct 2>/dev/null &"
                         f" sleep 0.5; devmem {status:#x} 32 0; echo reset=$?",
                      rb"reset=0", "vdc reset by the guest")
        shell_command(p, f"devmem {status:#x} 32", rb"0x0+", "vdc's status 0 after reset")
        shell_command(p, "dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c", rb"16",
                      "virtio-rng still served")
        shell_command(p, f"dd if={ROOT} bs=4096 count=1 iflag=direct 2>/dev/null | wc -c",
                      rb"4096", "vda still served")
        p.sendline(b"exit")
        assert ends(p, "exit after the reset") == 0, tail(p.seen())
    r = lane.shell(f"debugfs -R 'cat {FILE}' {root} 2>/dev/null")
    assert r.out.strip() == token, r


@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_linux_on_virtio_disks_restored(lane):
    """Linux booted from its virtio root, with a read-only data disk and virtio-rng,
    snapshotted at its prompt (the disks' virtqueues in the snapshot) and restored: the
    root takes a file that reaches the image, the data disk reads back its bytes, the
    entropy device serves; a restore whose disk has another size is refused."""
    retry_after_stall(lane, lambda: disks_restored(lane))


def disks_restored(lane):
    token = f"restored-{secrets.token_hex(4)}"
    root = lane.linux_root_copy("root.ext4")
    # Block n holds n in each byte: a read of block 3 is told from any other.
    data = lane.put(b"".join(bytes([n]) * 512 for n in range(DATA_SIZE // 512)), "data.img")
    scratch = lane.sparse_file("scratch.img", SCRATCH_SIZE)
    snap = lane.put(b"", "disks.snap")
    args = disk_args(lane, root, data, scratch)
    r = lane.run([*args, "--timeout", str(DISK_BOOT_TIMEOUT), "--snapshot-at", PROMPT,
                  "--snapshot-and-exit", "--snapshot", snap], timeout=DISK_BOOT_TIMEOUT + 30)
    if r.status == 124:
        raise StepTimeout(f"no prompt to snapshot at:\n{tail(r.stdout)}\n{tail(r.stderr, 25)}",
                          pytrace=False)
    assert r.status == 0 and "snapshot saved to" in r.err, r

    # `exit` leaves init, which syncs, remounts / read-only and powers off.
    typed = (f"echo {token} > {FILE} && sync && cat {FILE}\n"
             f"dd if={DATA} bs=512 skip=3 count=1 2>/dev/null | md5sum\n"
             "dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c\n"
             "exit\n")
    r = lane.run(["restore", "--timeout", str(DISK_STALL_TIMEOUT), snap],
                 stdin=typed.encode(), timeout=DISK_STALL_TIMEOUT + 30)
    if r.status == 124:
        raise StepTimeout(f"the restored guest did not end:\n{tail(r.stdout)}\n"
                          f"{tail(r.stderr, 25)}", pytrace=False)
    assert r.status == 0, r
    assert re.search(rf"(?m)^{token}\r?$", r.out), r
    assert re.search(rf"(?m)^{hashlib.md5(bytes([3]) * 512).hexdigest()}  -\r?$", r.out), r
    assert re.search(r"(?m)^16\r?$", r.out), r
    r = lane.shell(f"debugfs -R 'cat {FILE}' {root} 2>/dev/null")
    assert r.status == 0 and r.out.strip() == token, r

    small = lane.put(bytes(4096), "small.img")
    r = lane.run(["restore", "--disk", root, "--disk", f"{small},ro", snap])
    assert_one_line_error(r, 1, f"virtio disk '{small}' is 4096 bytes",
                          f"the snapshot's VM had {DATA_SIZE}")


# --- bad disks: refused before the VM exists, in every lane -------------------------


def test_missing_virtio_disk_refused(lane):
    r = lane.run(["run", "-k", lane.linux_kernel(), "--disk", "/nonexistent/root.ext4"])
    assert_one_line_error(r, 1, "disk '/nonexistent/root.ext4'",
                          "cannot open it read-write: No such file or directory")


def test_writable_disk_given_twice_refused(lane):
    disk = lane.put(b"\0" * 4096, "twice.img")
    r = lane.run(["run", "-k", lane.linux_kernel(), "--disk", disk, "--disk", f"{disk},ro"])
    assert_one_line_error(r, 1, f"disk '{disk}'",
                          "a file given twice must be read-only (,ro) both times")


def test_virtio_usage_errors(lane):
    r = lane.run(["run", "--rng", lane.guest("hello.bin")])
    assert_one_line_error(r, 2, "--rng", "a virtio entropy device is for -k (Linux)")
    disks = [arg for i in range(9) for arg in ("--disk", f"d{i}.img")]
    r = lane.run(["run", "-k", lane.linux_kernel(), *disks])
    assert_one_line_error(r, 2, "--disk 'd8.img'", "more than 8 disks")


def test_lanes_ship_the_disk_boot():
    """The pristine root image is ext4 with the guest init as /sbin/init (host side)."""
    _, rootfs = lanes.disk_assets()
    with open(rootfs, "rb") as f:
        f.seek(1024 + 0x38)  # the superblock's s_magic
        assert f.read(2) == b"\x53\xef"
