# SPDX-License-Identifier: MIT
"""The host lane: build/mini-kvm run directly on this machine's /dev/kvm."""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pexpect

from .api import (GDB_LISTENING, TERM, TERM_COLS, TERM_ROWS, Lane, LaneError, LaneTimeout, Result,
                  default_signals, expect_timeout, scratch_name, shell_status)
from .assets import disk_assets, linux_assets, linux_vmlinux
from .paths import BUILD, REPO_ROOT

# KVM_GET_API_VERSION = _IO(KVMIO, 0x00); every KVM since 2.6.22 answers 12.
_KVM_GET_API_VERSION = 0xAE00
_KVM_API_VERSION = 12


def host_kvm_problem(dev: str = "/dev/kvm") -> str | None:
    """Why the host lane cannot run here, or None when /dev/kvm answers like a KVM."""
    try:
        fd = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return f"cannot open {dev}: {e.strerror}"
    try:
        version = fcntl.ioctl(fd, _KVM_GET_API_VERSION)
    except OSError as e:
        return f"{dev}: KVM_GET_API_VERSION failed: {e.strerror}"
    finally:
        os.close(fd)
    if version != _KVM_API_VERSION:
        return f"{dev}: KVM API version {version}, expected {_KVM_API_VERSION}"
    return None


def default_vmm() -> Path:
    """The VMM the host lane runs: $MINI_KVM_VMM (relative to the repository root, e.g.
    build-asan/mini-kvm for make check-asan), else build/mini-kvm."""
    vmm = os.environ.get("MINI_KVM_VMM")
    return REPO_ROOT / vmm if vmm else BUILD / "mini-kvm"


class HostLane(Lane):
    """build/mini-kvm (or $MINI_KVM_VMM) run directly on this machine."""

    name = "host"

    def __init__(self, vmm: Path | None = None):
        super().__init__()
        self.vmm = Path(vmm) if vmm is not None else default_vmm()
        self._scratch: str | None = None

    def _vmm(self) -> str:
        if not self.vmm.exists():
            raise LaneError(f"{self.vmm} does not exist: build it first (make)")
        return str(self.vmm)

    def _spawn(self, argv: list[str], stdin: bytes, timeout: float) -> Result:
        """Like L1's loop: stdin, stdout and stderr are files, the command has its own
        session, and its end (or its timeout) kills whatever it left running."""
        with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
                tempfile.TemporaryFile() as ferr:
            fin.write(stdin)
            fin.seek(0)
            proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, cwd=REPO_ROOT,
                                    start_new_session=True, preexec_fn=default_signals)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            timed_out = proc.returncode is None
            proc.wait()
            fout.seek(0)
            ferr.seek(0)
            result = Result(shell_status(proc.returncode), fout.read(), ferr.read())
        if timed_out:
            raise LaneTimeout(f"host: {shlex.join(argv)} timed out after {timeout} s", result)
        return result

    def run(self, args, stdin=b"", timeout=60):
        return self._spawn([self._vmm(), *args], stdin, timeout)

    def shell(self, cmd, stdin=b"", timeout=60):
        return self._spawn(["/bin/sh", "-c", cmd], stdin, timeout)

    def interactive(self, args, timeout=60):
        return HostInteractive([self._vmm(), *args], timeout)

    def shell_interactive(self, cmd, timeout=60):
        return HostInteractive(["/bin/sh", "-c", cmd], timeout)

    def gdb_job(self, args, timeout=60):
        job = self.interactive(["run", "--gdb", "127.0.0.1:0", *args], timeout)
        job.expect(GDB_LISTENING)
        return job, f"127.0.0.1:{int(job.match.group(1))}"

    def guest(self, name):
        return str(BUILD / "guests" / name)

    def vmm_binary(self):
        return str(Path(self._vmm()).resolve())

    def test_guest(self, name):
        return str(BUILD / "test-guests" / name)

    def linux_kernel(self):
        return str(linux_assets()[0])

    def linux_initrd(self):
        return str(linux_assets()[1])

    def linux_vmlinux(self):
        return str(linux_vmlinux())

    def linux_disk_initrd(self):
        return str(disk_assets()[0])

    def linux_root_copy(self, name):
        path = self.put(b"", name)
        shutil.copyfile(disk_assets()[1], path)
        return path

    def file(self, host_path):
        return str((REPO_ROOT / host_path).resolve())

    def put(self, data, name):
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="mini-kvm-host-")
        path = os.path.join(self._scratch, scratch_name(name))
        with open(path, "wb") as f:
            f.write(data)
        return path

    def sparse_file(self, name, size):
        path = self.put(b"", name)
        os.truncate(path, size)
        return path

    def close(self):
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


class HostInteractive:
    """A pexpect session with mini-kvm on a pty; wait() has a timeout."""

    def __init__(self, argv: list[str], timeout: float):
        self.argv = argv
        self.child = pexpect.spawn(argv[0], argv[1:], timeout=timeout, cwd=str(REPO_ROOT),
                                   env=dict(os.environ, TERM=TERM),
                                   dimensions=(TERM_ROWS, TERM_COLS),
                                   preexec_fn=default_signals)
        self.timeout = timeout

    def expect(self, pattern, timeout=-1):
        return self.child.expect(pattern, timeout=expect_timeout(timeout, self.timeout))

    def expect_exact(self, pattern, timeout=-1):
        return self.child.expect_exact(pattern, timeout=expect_timeout(timeout, self.timeout))

    def send(self, data) -> int:
        return self.child.send(data)

    def sendline(self, data=b"") -> int:
        return self.child.sendline(data)

    def sendcontrol(self, char: str) -> int:
        return self.child.sendcontrol(char)

    @property
    def before(self):
        return self.child.before

    @property
    def after(self):
        return self.child.after

    @property
    def match(self):
        return self.child.match

    def seen(self) -> bytes:
        """The output since the last match; after a TIMEOUT or EOF, all that did not
        match (for the message of a failed test)."""
        before = self.child.before
        return before if isinstance(before, bytes) else b""

    def wait(self, timeout: float | None = None) -> int:
        """Exit status (128+N for signal N), after reading the rest of the output."""
        timeout = self.timeout if timeout is None else timeout
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.close()
            raise LaneTimeout(f"host: {shlex.join(self.argv)} still running after {timeout} s") \
                from None
        self.child.wait()
        status = self.child.exitstatus
        return 128 + self.child.signalstatus if status is None else status

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
