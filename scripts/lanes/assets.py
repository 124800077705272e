# SPDX-License-Identifier: MIT
"""The lanes' assets (scripts/assets.sh): the Debian kernel, the Linux guest's initramfs
and its markers, L1's initramfs, and what the nested lane ships into L1."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .api import LaneUnavailable
from .paths import BUILD, DATA_DIR, REPO_ROOT

ASSETS = REPO_ROOT / "scripts" / "assets.sh"

# The lines the guest initramfs prints, in one place: its /init sources the same file.
GUEST_MARKERS = REPO_ROOT / "scripts" / "initramfs" / "guest-markers"
_MARKER_LINE = re.compile(r"^(\w+)='([^']*)'$")

# Where the nested lane puts the Linux guest in L1.
LINUX_KERNEL_DEST = "/linux/vmlinuz"
LINUX_INITRD_DEST = "/linux/initramfs.cpio.gz"
LINUX_VMLINUX_DEST = "/linux/vmlinux"
# The disk boot (scripts/assets.sh disk-initramfs, rootfs) in L1.
LINUX_DISK_INITRD_DEST = "/linux/initramfs-disk.cpio.gz"
LINUX_ROOTFS_DEST = "/linux/rootfs.ext4"
# Host programs the tests run in L1 beside mini-kvm, with the libraries they link
# (debugfs reads the guest's ext4 image there). Each is shipped at its own path.
L1_HOST_TOOLS = (Path("/usr/sbin/debugfs"),)
# Where Debian keeps libgcc_s.so.1 (which build/mini-kvm loads at run time, see
# vmm_payload()).
LIBGCC_S = (Path("/lib/x86_64-linux-gnu/libgcc_s.so.1"), Path("/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"))
# mini-kvm dlopen()s libslirp for --net user (src/net/net_user.c): ldd lists neither it
# nor its glib and pcre2.
LIBSLIRP = (Path("/lib/x86_64-linux-gnu/libslirp.so.0"), Path("/usr/lib/x86_64-linux-gnu/libslirp.so.0"))

_linux_assets: tuple[Path, Path] | None = None
_disk_assets: tuple[Path, Path] | None = None
# Why default_payload() left the Linux guest out, if it did.
_linux_left_out: str | None = None


def run_assets_sh(*args: str) -> str:
    """Run scripts/assets.sh; returns the last line it printed (a path, a version).
    Raises LaneUnavailable when it fails."""
    try:
        p = subprocess.run([str(ASSETS), *args], cwd=REPO_ROOT, capture_output=True,
                           text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise LaneUnavailable(f"scripts/assets.sh {args[0]} timed out") from None
    if p.returncode != 0:
        raise LaneUnavailable(f"scripts/assets.sh {args[0]} failed: {p.stderr.strip()}")
    return p.stdout.strip().splitlines()[-1]


def linux_assets() -> tuple[Path, Path]:
    """(vmlinuz, guest initramfs) on this machine, fetched or built once a session
    (scripts/assets.sh kernel, guest-initramfs). Raises LaneUnavailable."""
    global _linux_assets
    if _linux_assets is None:
        _linux_assets = (Path(run_assets_sh("kernel")),
                         Path(run_assets_sh("guest-initramfs")))
    return _linux_assets


def disk_assets() -> tuple[Path, Path]:
    """(disk initramfs, pristine ext4 root image) on this machine, built once a session
    (scripts/assets.sh disk-initramfs, rootfs). Raises LaneUnavailable."""
    global _disk_assets
    if _disk_assets is None:
        _disk_assets = (Path(run_assets_sh("disk-initramfs")), Path(run_assets_sh("rootfs")))
    return _disk_assets


def host_program_payload(program: Path) -> list[tuple[Path, str]]:
    """A dynamically linked host program and the libraries ldd names (its loader
    included), each at its own path, for L1; [] when the program is not here."""
    if not program.exists():
        return []
    items = [(program.resolve(), str(program))]
    ldd = subprocess.run(["ldd", str(program)], capture_output=True, text=True).stdout
    for line in ldd.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            items.append((Path(m[1]).resolve(), m[1]))
    return items


def kernel_version() -> str:
    """That kernel's version, e.g. 6.1.0-56-amd64: what `uname -r` says in the guest."""
    return run_assets_sh("kernel-version")


def guest_markers() -> dict[str, str]:
    """The guest initramfs's markers: MKVM_READY (its /init is up), MKVM_PROMPT (the
    shell's prompt), MKVM_DONE (begins the line "MKVM_DONE status N" after a batch)."""
    markers = {}
    for line in GUEST_MARKERS.read_text().splitlines():
        m = _MARKER_LINE.match(line)
        if m:
            markers[m.group(1)] = m.group(2)
    return markers


def linux_vmlinux() -> Path:
    """The uncompressed kernel (an ELF with a PVH entry) of linux_assets()'s vmlinuz,
    extracted once (scripts/assets.sh vmlinux). Raises LaneUnavailable."""
    return Path(run_assets_sh("vmlinux"))


def vmm_payload() -> list[tuple[Path, str]]:
    """build/mini-kvm as /bin/mini-kvm, with the shared libraries ldd names (libc ... and
    the dynamic loader) and libslirp with its own (glib ...), which it dlopen()s, at
    their own paths: the dynamic build, whose --net user the static twin lacks (Debian
    ships libslirp shared only). [] if unbuilt."""
    vmm = BUILD / "mini-kvm"
    if not vmm.exists():
        return []
    items = [(vmm, "/bin/mini-kvm"), *host_program_payload(vmm)[1:]]
    # glibc dlopen()s libgcc_s for pthread_cancel() (the runner cancels its stdin
    # reader): ldd does not list it.
    for lib in LIBGCC_S:
        if lib.exists():
            items.append((lib.resolve(), str(lib)))
            break
    for lib in LIBSLIRP:
        if lib.exists():
            items += [item for item in host_program_payload(lib) if item not in items]
            break
    return items


def default_payload(linux: bool = True) -> list[tuple[Path, str]]:
    """What the nested lane ships into L1: (path here, path in L1), those that exist.
    With `linux`, also the Linux guest's kernel and initramfs (9 MB more), the disk
    boot's initramfs and ext4 root image, and debugfs with its libraries, unless
    scripts/assets.sh cannot provide them (linux_kernel() then says why)."""
    global _linux_left_out
    items = [
        *vmm_payload(),
        (BUILD / "guests", "/guests"),
        (BUILD / "test-guests", "/test-guests"),
        (DATA_DIR, "/data"),
    ]
    if linux:
        try:
            kernel, initrd = linux_assets()
            items += [(kernel, LINUX_KERNEL_DEST), (initrd, LINUX_INITRD_DEST),
                      (linux_vmlinux(), LINUX_VMLINUX_DEST)]
            disk_initrd, rootfs = disk_assets()
            items += [(disk_initrd, LINUX_DISK_INITRD_DEST), (rootfs, LINUX_ROOTFS_DEST)]
            for tool in L1_HOST_TOOLS:
                items += host_program_payload(tool)
        except LaneUnavailable as e:
            _linux_left_out = str(e)
    return [(src, dest) for src, dest in items if src.exists()]


def linux_left_out() -> str | None:
    """Why the last default_payload() left the Linux guest out, or None."""
    return _linux_left_out


def build_nested_assets(initrd: Path, payload: list[tuple[Path, str]]) -> Path:
    """Fetch the kernel and build the L1 initramfs (scripts/assets.sh); returns vmlinuz."""
    kernel = run_assets_sh("kernel")
    run_assets_sh("l1", str(initrd), *(f"{src}={dest}" for src, dest in payload))
    return Path(kernel)
