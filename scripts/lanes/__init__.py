# SPDX-License-Identifier: MIT
r"""Run mini-kvm the same way in the test lanes; tests/integration and bench/ import this.

* host lane (host.py): build/mini-kvm (or $MINI_KVM_VMM) on this machine's /dev/kvm (here kvm_pvm: see
  docs/testing.md for what it cannot run).
* nested lane (nested.py): QEMU TCG emulates AMD SVM; it boots the stock Debian kernel
  ("L1") with an initramfs (scripts/assets.sh l1; its /init is l1/init) that loads
  kvm_amd and runs build/mini-kvm (with its shared libraries) as /bin/mini-kvm.
  Commands travel over a
  second serial line ("control", ttyS1) with a framed, checksummed protocol (control.py
  on this side, l1/loop in L1); the first serial line ("console", ttyS0) carries the
  kernel log and interactive commands.

The package, by job:
  api.py      the Lane interface, Result, LaneError/LaneUnavailable/LaneTimeout
  paths.py    REPO_ROOT, BUILD, DATA_DIR
  host.py     HostLane, default_vmm(), host_kvm_problem()
  nested.py   NestedLane, NESTED_LANES
  control.py  the control protocol's host end (l1/loop is its L1 end)
  assets.py   scripts/assets.sh: linux_assets(), kernel_version(), guest_markers(),
              default_payload(), build_nested_assets(), run_assets_sh()
  __main__.py a lane by hand (below)

Put scripts/ on sys.path, then `import lanes` (tests/integration/conftest.py and
bench/run.py do). Both lanes offer the same interface:

    r = lane.run(["run", lane.guest("hello.bin")], stdin=b"", timeout=60)
    r = lane.run(["run", lane.test_guest("exit7.bin")])    # build/test-guests/
    r = lane.run(["run", lane.put(b"\xf4", "hlt.bin")])    # a scratch file
    r = lane.run(["run", lane.file("tests/integration/data/x.bin")])  # shipped as /data
    assert r.status == 0, r
    with lane.interactive(["run", lane.guest("echo.bin")], timeout=30) as p:
        p.sendline(b"hi")                 # a terminal: it echoes, and \n comes back \r\n
        p.expect(b"hi\r\nhi\r\n")
        p.sendcontrol("d")                # end of input
        assert p.wait() == 0
    job, address = lane.gdb_job(["--gdb-wait", lane.guest("long.elf")])  # mini-kvm --gdb
    subprocess.run(["gdb", "-batch", "-ex", f"target remote {address}", "-ex", "continue"])

Linux from a disk: lane.linux_disk_initrd() loads the virtio and ext4 modules and mounts
root= (default /dev/vda); lane.linux_root_copy(NAME) is a fresh copy of the ext4 root image
(scripts/assets.sh rootfs) to give as --disk; debugfs runs in every lane (L1 has it).

Linux guests: the Debian kernel and the guest initramfs (scripts/assets.sh guest-initramfs),
whose /init prints the lines of guest_markers() and runs a shell, or with `mkvm.batch` on
the kernel command line a batch script, and then powers off:

    r = lane.run(["run", "-k", lane.linux_kernel(), "-i", lane.linux_initrd(), "-m", "256",
                  "-p", "console=ttyS0 mkvm.batch"], timeout=120)
    assert guest_markers()["MKVM_READY"] in r.out

Exit statuses follow the shell: a command killed by signal N has status 128 + N.
A command that outruns its timeout raises LaneTimeout (its session is killed first);
a lane that breaks (L1 wedged, corrupt framing) raises LaneError, and the nested lane
boots L1 again on its next use. Logs of a nested lane go to build/<lane name>-*.log.

There are two nested lanes (NESTED_LANES): "nested", whose L1 has two vCPUs, runs every
test; "nested1", whose L1 has one, runs only the Linux guests with several vCPUs.

To try a lane by hand (the first two from scripts/):
    python3 -m lanes nested -- version
    python3 -m lanes nested --shell 'dmesg | tail'
    scripts/lane host -- check
"""

from .api import (CAPABILITIES, TERM, TERM_COLS, TERM_ROWS, Lane, LaneError, LaneTimeout,
                  LaneUnavailable, Result, default_signals, io_entry, parse_capabilities,
                  parse_check_json, parse_stats, reason_count, stats_of)
from .assets import (ASSETS, GUEST_MARKERS, L1_HOST_TOOLS, LINUX_DISK_INITRD_DEST,
                     LINUX_INITRD_DEST, LINUX_KERNEL_DEST, LINUX_ROOTFS_DEST,
                     LINUX_VMLINUX_DEST, build_nested_assets, default_payload, disk_assets,
                     guest_markers, host_program_payload, kernel_version, linux_assets,
                     linux_vmlinux, run_assets_sh)
from .host import HostInteractive, HostLane, default_vmm, host_kvm_problem
from .nested import (BOOT_TIMEOUT, L1_ACCEL, NESTED_LANES, QEMU, REPLY_GRACE, NestedInteractive,
                     NestedLane)
from .paths import BUILD, DATA_DIR, L1_DIR, REPO_ROOT

__all__ = [
    "ASSETS", "BOOT_TIMEOUT", "BUILD", "CAPABILITIES", "DATA_DIR", "GUEST_MARKERS", "L1_ACCEL",
    "L1_DIR", "L1_HOST_TOOLS", "LINUX_DISK_INITRD_DEST", "LINUX_INITRD_DEST",
    "LINUX_KERNEL_DEST", "LINUX_ROOTFS_DEST", "LINUX_VMLINUX_DEST", "linux_vmlinux",
    "NESTED_LANES", "QEMU", "REPLY_GRACE",
    "REPO_ROOT", "TERM", "TERM_COLS", "TERM_ROWS", "HostInteractive", "HostLane", "Lane",
    "LaneError", "LaneTimeout", "LaneUnavailable", "NestedInteractive", "NestedLane",
    "Result", "build_nested_assets", "default_payload", "default_signals", "default_vmm",
    "disk_assets", "guest_markers", "host_kvm_problem", "host_program_payload",
    "kernel_version", "linux_assets",
    "io_entry", "parse_capabilities", "parse_check_json", "parse_stats", "reason_count",
    "run_assets_sh", "stats_of",
]
