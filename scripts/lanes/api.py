# SPDX-License-Identifier: MIT
"""The lane interface both lanes implement, its Result, its errors, and the helpers the
two lanes share (capability parsing, exit statuses, signal dispositions)."""

from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import dataclass

# The capabilities `mini-kvm check` reports (the probes of src/probes/probes.mk): as
# `check --json`'s "capabilities" object, which the lanes read, and one a line in the
# text form: "NAME yes|no DETAIL".
CAPABILITIES = ("real", "protected", "paging", "long", "ring3", "syscall", "int-gate",
                "irq-ring3", "ring0-sse",
                # guest debugging (run --gdb), in ring 0 and in ring 3
                "sw-bp", "hw-bp", "watch", "step", "sw-bp-r3", "hw-bp-r3", "watch-r3",
                "step-r3")
# mini-kvm --gdb's line on stderr once it listens (src/gdb/gdb_server.c).
GDB_LISTENING = re.compile(rb"gdb: listening on 127\.0\.0\.1:(\d+)")
_CAPABILITY_LINE = re.compile(r"^\s*(\S+)\s+(yes|no)\b\s*(.*)$")

# Interactive commands see a terminal of this size and type in both lanes.
TERM = "vt100"
TERM_ROWS, TERM_COLS = 24, 80


class LaneError(Exception):
    """The lane itself failed: not mini-kvm's fault, but the test cannot go on."""


class LaneUnavailable(LaneError):
    """The lane cannot run on this machine (no /dev/kvm, no QEMU, no kernel assets)."""


class LaneTimeout(LaneError):
    """A command outran its timeout and was killed. `result` holds what it printed."""

    def __init__(self, message: str, result: Result | None = None):
        super().__init__(message)
        self.result = result


@dataclass
class Result:
    status: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def __str__(self) -> str:
        # Shown by `assert r.status == 0, r`: everything a failed test needs.
        return f"exit status {self.status}\n--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"


def parse_capabilities(text: str) -> dict[str, tuple[bool, str]]:
    """`mini-kvm check` text output -> {name: (available, detail)}; other lines are
    headers. (The lanes read `check --json`: parse_check_json().)"""
    caps = {}
    for line in text.splitlines():
        m = _CAPABILITY_LINE.match(line)
        if m:
            caps[m.group(1)] = (m.group(2) == "yes", m.group(3).strip())
    return caps


def parse_check_json(text: str) -> dict:
    """`mini-kvm check --json` -> its object, with "capabilities" as {name: (available,
    detail)} like parse_capabilities()'s. Raises ValueError if it is not that JSON."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("capabilities"), dict):
        raise ValueError(f"not mini-kvm check --json output: {text[:200]!r}")
    doc["capabilities"] = {name: (bool(c["available"]), c["detail"])
                           for name, c in doc["capabilities"].items()}
    return doc


def parse_stats(stderr: str) -> dict:
    """The --stats=json document in mini-kvm's stderr (its own line, after any error
    messages and register dumps): {"mini_kvm_stats": 1, "guests": [...]}. Raises
    ValueError when there is none."""
    for line in reversed(stderr.splitlines()):
        if line.startswith('{"mini_kvm_stats":'):
            return json.loads(line)
    raise ValueError(f"no --stats=json line in:\n{stderr[-2000:]}")


def stats_of(doc: dict, index: int = 1) -> dict:
    """One guest's object of a --stats=json document, by its 1-based index."""
    for guest in doc["guests"]:
        if guest["index"] == index:
            return guest
    raise KeyError(f"no guest {index} in {doc}")


def reason_count(figures: dict, reason: str) -> int:
    """Exits of one reason ("IO", "HLT" ...) in a "total" or "vcpus" entry; 0 if none."""
    return sum(r["count"] for r in figures["reasons"] if r["reason"] == reason)


def io_entry(figures: dict, access: str, addr: int) -> dict | None:
    """The "io" row of an access ("out", "in", "mmio write", "mmio read") at addr."""
    return next((io for io in figures["io"] if io["access"] == access and io["addr"] == addr),
                None)


def shell_status(returncode: int) -> int:
    """subprocess/pexpect report death by signal N as -N; the shell (and L1) as 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def default_signals() -> None:
    """preexec_fn: every signal back to its default disposition, so commands start as
    from a login shell whatever pytest inherited (Python ignores SIGPIPE and SIGXFSZ;
    a CI runner or a sandbox may ignore others)."""
    for sig in range(1, signal.NSIG):
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass  # signals reserved by the C library


def scratch_name(name: str) -> str:
    """put()'s file name, checked: a plain name, no directory. Raises ValueError."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"put(): a plain file name, not {name!r}")
    return name


def expect_timeout(timeout: float | None, default: float) -> float:
    """pexpect's -1 means the session's default, and so does None here: every wait in
    the lanes has a timeout (pexpect would wait forever)."""
    return default if timeout is None or timeout == -1 else timeout


class Lane:
    """What the two lanes share; see the package docstring (lanes/__init__.py) for the
    interface."""

    name = "?"

    def __init__(self):
        self._capabilities: dict[str, tuple[bool, str]] | None = None
        self._check: dict = {}
        self.check_output = ""

    def run(self, args: list[str], stdin: bytes = b"", timeout: float = 60) -> Result:
        raise NotImplementedError

    def shell(self, cmd: str, stdin: bytes = b"", timeout: float = 60) -> Result:
        """Run a shell command in the lane (busybox sh in L1). For harness self-tests."""
        raise NotImplementedError

    def interactive(self, args: list[str], timeout: float = 60):
        """mini-kvm on a terminal, driven like pexpect: expect/send/sendline/wait."""
        raise NotImplementedError

    def shell_interactive(self, cmd: str, timeout: float = 60):
        """A shell command on a terminal, like interactive(). For harness self-tests."""
        raise NotImplementedError

    def gdb_job(self, args: list[str], timeout: float = 60):
        """`mini-kvm run --gdb 127.0.0.1:0 ARGS` on a terminal, like interactive(), once
        gdb can connect to it. Returns (job, address): `address` is what a gdb on this
        machine gives `target remote`. The nested lane relays mini-kvm's port in L1 over
        L1's third serial line (ttyS2), a TCP port of QEMU's on this machine's loopback;
        its relay becomes mini-kvm's one gdb client when gdb first connects, so one gdb
        session per job there (a second gdb would reach the same session).
        """
        raise NotImplementedError

    def guest(self, name: str) -> str:
        """The path in this lane of a bundled guest (build/guests/NAME)."""
        raise NotImplementedError

    def vmm_binary(self) -> str:
        """The path in this lane of mini-kvm itself, for shell() commands that need
        redirections or pipes around it."""
        raise NotImplementedError

    def linux_kernel(self) -> str:
        """The path in this lane of the Debian kernel (vmlinuz, a bzImage)."""
        raise NotImplementedError

    def linux_initrd(self) -> str:
        """The path in this lane of the Linux guest's initramfs (see guest_markers())."""
        raise NotImplementedError

    def linux_vmlinux(self) -> str:
        """The path in this lane of the same kernel uncompressed (an ELF vmlinux with a
        PVH entry), for -k's PVH boot."""
        raise NotImplementedError

    def linux_disk_initrd(self) -> str:
        """The path in this lane of the initramfs that boots Linux from a disk: it loads
        the virtio and ext4 modules and switch_roots to root= (scripts/assets.sh
        disk-initramfs)."""
        raise NotImplementedError

    def linux_root_copy(self, name: str) -> str:
        """A fresh scratch copy, named `name`, of the ext4 root image (scripts/assets.sh
        rootfs: busybox, and the guest initramfs's /init as /sbin/init); its path."""
        raise NotImplementedError

    def test_guest(self, name: str) -> str:
        """The path in this lane of a guest only the tests use (build/test-guests/NAME)."""
        raise NotImplementedError

    def file(self, host_path: str | os.PathLike) -> str:
        """The path in this lane of a file of the repository, relative to its root or
        absolute. The nested lane has only what it ships (default_payload(): test inputs
        under tests/integration/data/, the built guests); others raise LaneError."""
        raise NotImplementedError

    def put(self, data: bytes, name: str) -> str:
        """Write `data` to a scratch file in the lane; returns its path there."""
        raise NotImplementedError

    def sparse_file(self, name: str, size: int) -> str:
        """A scratch file of `size` zero bytes that takes no space (nor, in the nested
        lane, time on the serial line); returns its path in the lane."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def capabilities(self) -> dict[str, tuple[bool, str]]:
        """`mini-kvm check --json`, parsed (once per lane). {} when it could not run."""
        if self._capabilities is None:
            try:
                r = self.run(["check", "--json"], timeout=120)
                self.check_output = r.out + r.err
                self._check = parse_check_json(r.out)
            except (LaneError, ValueError) as e:
                self.check_output += f"mini-kvm check --json could not run: {e}"
                self._capabilities = {}
            else:
                self._capabilities = self._check["capabilities"]
        return self._capabilities

    def kvm_module(self) -> str:
        """The host KVM module `mini-kvm check` names (kvm_intel, kvm_amd, kvm_pvm), or ""."""
        self.capabilities()
        return self._check.get("module", "")

    def runs_linux(self) -> bool:
        """`mini-kvm check --json`'s summary: Linux guests run in this lane."""
        self.capabilities()
        return bool(self._check.get("linux"))

    def capability(self, name: str) -> tuple[bool, str] | None:
        """(available, detail) for one capability, or None when check did not say."""
        return self.capabilities().get(name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
