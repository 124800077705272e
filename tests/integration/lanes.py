r"""Run mini-kvm the same way in the two test lanes.

* host lane: build/mini-kvm on this machine's /dev/kvm (here kvm_pvm: see
  shared/HOST-KVM.md for what it cannot run).
* nested lane: QEMU TCG emulates AMD SVM; it boots the stock Debian kernel ("L1") with
  an initramfs (scripts/assets.sh l1) that loads kvm_amd and runs build/mini-kvm-static
  as /bin/mini-kvm. Commands travel over a second serial line ("control", ttyS1) with a
  framed, checksummed protocol (scripts/initramfs/l1-loop); the first serial line
  ("console", ttyS0) carries the kernel log and interactive commands.

Both lanes offer the same interface:

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

Run this file directly to try a lane by hand:
    python3 tests/integration/lanes.py nested -- version
    python3 tests/integration/lanes.py nested --shell 'dmesg | tail'
"""

from __future__ import annotations

import base64
import ctypes
import fcntl
import gzip
import hashlib
import math
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pexpect.fdpexpect

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "build"
ASSETS = REPO_ROOT / "scripts" / "assets.sh"
# Test inputs that every lane can reach: shipped to the nested lane as /data.
DATA_DIR = Path(__file__).resolve().parent / "data"

# The capabilities `mini-kvm check` reports, one a line: "NAME yes|no DETAIL" (the
# probes of src/probes/probes.mk).
CAPABILITIES = ("real", "protected", "paging", "long", "ring3", "syscall", "int-gate",
                "irq-ring3", "ring0-sse")
_CAPABILITY_LINE = re.compile(r"^\s*(\S+)\s+(yes|no)\b\s*(.*)$")

# Interactive commands see a terminal of this size and type in both lanes.
TERM = "vt100"
TERM_ROWS, TERM_COLS = 24, 80

# KVM_GET_API_VERSION = _IO(KVMIO, 0x00); every KVM since 2.6.22 answers 12.
_KVM_GET_API_VERSION = 0xAE00
_KVM_API_VERSION = 12


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
    """`mini-kvm check` output -> {name: (available, detail)}; other lines are headers."""
    caps = {}
    for line in text.splitlines():
        m = _CAPABILITY_LINE.match(line)
        if m:
            caps[m.group(1)] = (m.group(2) == "yes", m.group(3).strip())
    return caps


def _status(returncode: int) -> int:
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


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when pytest dies, so no QEMU outlives it."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Lane:
    """What the two lanes share; see the module docstring for the interface."""

    name = "?"

    def __init__(self):
        self._capabilities: dict[str, tuple[bool, str]] | None = None
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

    def test_guest(self, name: str) -> str:
        """The path in this lane of a guest only the tests use (build/test-guests/NAME)."""
        raise NotImplementedError

    def file(self, host_path: str | os.PathLike) -> str:
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
        """`mini-kvm check`, parsed (once per lane). {} when it could not run."""
        if self._capabilities is None:
            try:
                r = self.run(["check"], timeout=120)
            except LaneError as e:
                self.check_output = f"mini-kvm check could not run: {e}"
                self._capabilities = {}
            else:
                self.check_output = r.out + r.err
                self._capabilities = parse_capabilities(r.out)
        return self._capabilities

    def capability(self, name: str) -> tuple[bool, str] | None:
        """(available, detail) for one capability, or None when check did not say."""
        return self.capabilities().get(name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


# --- host lane --------------------------------------------------------------------------


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


class HostLane(Lane):
    """build/mini-kvm run directly on this machine."""

    name = "host"

    def __init__(self, vmm: Path = BUILD / "mini-kvm"):
        super().__init__()
        self.vmm = Path(vmm)
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
            result = Result(_status(proc.returncode), fout.read(), ferr.read())
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

    def file(self, host_path):
        return str((REPO_ROOT / host_path).resolve())

    def put(self, data, name):
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="mini-kvm-host-")
        path = os.path.join(self._scratch, _scratch_name(name))
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


def _scratch_name(name: str) -> str:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"put(): a plain file name, not {name!r}")
    return name


def _expect_timeout(timeout: float | None, default: float) -> float:
    """pexpect's -1 means the session's default, and so does None here: every wait in
    the lanes has a timeout (pexpect would wait forever)."""
    return default if timeout is None or timeout == -1 else timeout


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
        return self.child.expect(pattern, timeout=_expect_timeout(timeout, self.timeout))

    def expect_exact(self, pattern, timeout=-1):
        return self.child.expect_exact(pattern, timeout=_expect_timeout(timeout, self.timeout))

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


# --- assets: scripts/assets.sh ---------------------------------------------------------


def assets(*args: str) -> str:
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


# The lines the guest initramfs prints, in one place: its /init sources the same file.
GUEST_MARKERS = REPO_ROOT / "scripts" / "initramfs" / "guest-markers"
_MARKER_LINE = re.compile(r"^(\w+)='([^']*)'$")

_linux_assets: tuple[Path, Path] | None = None


def linux_assets() -> tuple[Path, Path]:
    """(vmlinuz, guest initramfs) on this machine, fetched or built once a session
    (scripts/assets.sh kernel, guest-initramfs). Raises LaneUnavailable."""
    global _linux_assets
    if _linux_assets is None:
        _linux_assets = Path(assets("kernel")), Path(assets("guest-initramfs"))
    return _linux_assets


def kernel_version() -> str:
    """That kernel's version, e.g. 6.1.0-56-amd64: what `uname -r` says in the guest."""
    return assets("kernel-version")


def guest_markers() -> dict[str, str]:
    """The guest initramfs's markers: MKVM_READY (its /init is up), MKVM_PROMPT (the
    shell's prompt), MKVM_DONE (begins the line "MKVM_DONE status N" after a batch)."""
    markers = {}
    for line in GUEST_MARKERS.read_text().splitlines():
        m = _MARKER_LINE.match(line)
        if m:
            markers[m.group(1)] = m.group(2)
    return markers


# --- nested lane ------------------------------------------------------------------------

QEMU = os.environ.get("MINI_KVM_QEMU", "qemu-system-x86_64")
# How long L1 may take from QEMU's start to its ready marker (measured: ~7 s).
BOOT_TIMEOUT = float(os.environ.get("MINI_KVM_L1_BOOT_TIMEOUT", "180"))
# QEMU 7.2's multi-threaded TCG (the default for -smp 2) wedges all of L1 now and then
# while kvm_amd runs a guest: `mini-kvm check` hung L1 in 5 of 40 runs, never in 120
# with one TCG thread for both vCPUs (nor with -smp 1). The cost: ~20 ms per command.
L1_ACCEL = os.environ.get("MINI_KVM_L1_ACCEL", "tcg,thread=single")
# The nested lanes: name -> L1's vCPUs (-smp). A Linux guest with several vCPUs stalls
# in a 2-vCPU L1 (2 of 3 boots with -c 2, measured): an interrupt reaches the inner
# kernel while its IF is clear and it deadlocks on a lock it holds, QEMU 7.2's emulated
# SVM at fault (QEMU's own microvm as the inner VMM stalls the same way). In a 1-vCPU L1
# the same guests booted 8 times of 8; a 1-vCPU guest, though, stalls there now and
# then too (1 in 6) and takes all of L1 with it, so it stays in "nested".
NESTED_LANES = {"nested": 2, "nested1": 1}
# Slack beyond a command's own timeout for L1 to report on it; past that L1 is wedged.
REPLY_GRACE = 30.0
# A base64 line of the control protocol (what busybox `base64` also writes).
_B64_LINE = 76
# Payloads above this size are gzip'd first, if that saves much.
_GZIP_ABOVE = 4096


# Where the nested lane puts the Linux guest in L1.
LINUX_KERNEL_DEST = "/linux/vmlinuz"
LINUX_INITRD_DEST = "/linux/initramfs.cpio.gz"
# Why default_payload() left the Linux guest out, if it did.
_linux_left_out: str | None = None


def default_payload(linux: bool = True) -> list[tuple[Path, str]]:
    """What the nested lane ships into L1: (path here, path in L1), those that exist.
    With `linux`, also the Linux guest's kernel and initramfs (9 MB more), unless
    scripts/assets.sh cannot provide them (linux_kernel() then says why)."""
    global _linux_left_out
    items = [
        (BUILD / "mini-kvm-static", "/bin/mini-kvm"),
        (BUILD / "guests", "/guests"),
        (BUILD / "test-guests", "/test-guests"),
        (DATA_DIR, "/data"),
    ]
    if linux:
        try:
            kernel, initrd = linux_assets()
            items += [(kernel, LINUX_KERNEL_DEST), (initrd, LINUX_INITRD_DEST)]
        except LaneUnavailable as e:
            _linux_left_out = str(e)
    return [(src, dest) for src, dest in items if src.exists()]


def build_nested_assets(initrd: Path, payload: list[tuple[Path, str]]) -> Path:
    """Fetch the kernel and build the L1 initramfs (scripts/assets.sh); returns vmlinuz."""
    kernel = assets("kernel")
    assets("l1", str(initrd), *(f"{src}={dest}" for src, dest in payload))
    return Path(kernel)


class _Expired(Exception):
    pass


class _ControlChannel:
    """The L1 control line: lines in, lines out, every read with a deadline."""

    def __init__(self, sock: socket.socket, log):
        self.sock = sock
        self.sock.setblocking(False)
        self.log = log
        self.buf = bytearray()
        self.pos = 0
        self.pushed: list[bytes] = []

    def send(self, data: bytes, deadline: float) -> None:
        self.log.write(b">> " + data if data.startswith(b"@@") else
                       f">> ({len(data)} bytes of payload)\n".encode())
        view = memoryview(data)
        while view:
            remaining = max(0.0, deadline - time.monotonic())
            _, writable, _ = select.select([], [self.sock], [], remaining)
            if not writable:
                raise _Expired("L1 stopped reading the control line")
            try:
                view = view[self.sock.send(view):]
            except BlockingIOError:
                continue

    def readline(self, deadline: float) -> bytes:
        if self.pushed:
            return self.pushed.pop()
        while True:
            end = self.buf.find(b"\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos:end]).rstrip(b"\r")
                self.pos = end + 1
                if self.pos > 1 << 16:  # compact now and then, not per line
                    del self.buf[:self.pos]
                    self.pos = 0
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Expired("no reply on the control line")
            readable, _, _ = select.select([self.sock], [], [], remaining)
            if readable:
                try:
                    data = self.sock.recv(1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    raise LaneError("L1's control line closed (QEMU exited?)")
                self.buf += data
                self.log.write(data)

    def unread(self, line: bytes) -> None:
        self.pushed.append(line)


def _encode(data: bytes) -> tuple[str, bytes]:
    """A payload as it goes over the wire: gzip'd when that saves much (the serial line
    moves ~75 KB/s), as L1's send_file does."""
    if len(data) > _GZIP_ABOVE:
        packed = gzip.compress(data, compresslevel=6)
        if len(packed) < len(data) * 0.9:
            return "gz", packed
    return "b64", data


def _b64_lines(data: bytes) -> list[bytes]:
    text = base64.b64encode(data)
    return [text[i:i + _B64_LINE] for i in range(0, len(text), _B64_LINE)]


class NestedLane(Lane):
    """mini-kvm-static inside an L1 Debian kernel with kvm_amd, under QEMU TCG."""

    name = "nested"

    def __init__(self, kernel: Path, initrd: Path, payload: list[tuple[Path, str]],
                 log_dir: Path = BUILD, qemu: str = QEMU, smp: int = 2,
                 name: str = "nested"):
        super().__init__()
        self.name = name  # also the stem of its log files: build/NAME-console.log ...
        self.kernel, self.initrd, self.qemu, self.smp = Path(kernel), Path(initrd), qemu, smp
        self.payload = [(Path(src).resolve(), dest) for src, dest in payload]
        self.has_vmm = any(dest == "/bin/mini-kvm" for _, dest in payload)
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.console_log = open(self.log_dir / f"{name}-console.log", "wb", buffering=0)
        self.control_log = open(self.log_dir / f"{name}-control.log", "wb", buffering=0)
        self.qemu_log_path = self.log_dir / f"{name}-qemu.log"
        self.boots = 0
        self.boot_seconds: float | None = None
        self.boot_error: str | None = None
        self.kvm_line = ""
        self._proc: subprocess.Popen | None = None
        self._sockdir: str | None = None
        self._con_sock = self._ctl_sock = None
        self._con: pexpect.fdpexpect.fdspawn | None = None
        self._ctl: _ControlChannel | None = None
        self._job: NestedInteractive | None = None
        self.reply_grace = REPLY_GRACE

    # -- L1's life ---------------------------------------------------------------------

    def boot(self) -> None:
        """Start QEMU and wait for L1's ready marker (BOOT_TIMEOUT)."""
        if not shutil.which(self.qemu):
            raise LaneUnavailable(f"{self.qemu} not found: apt-get install -y qemu-system-x86")
        if self.boot_error is not None:
            raise LaneError(f"L1 failed to boot before; not trying again: {self.boot_error}")
        self.shutdown()
        self.boots += 1
        started = time.monotonic()
        deadline = started + BOOT_TIMEOUT
        self._sockdir = tempfile.mkdtemp(prefix="mini-kvm-l1-")
        con_path = os.path.join(self._sockdir, "console")
        ctl_path = os.path.join(self._sockdir, "control")
        argv = [
            self.qemu, "-accel", L1_ACCEL, "-cpu", "max", "-smp", str(self.smp), "-m", "2048",
            "-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot",
            # Unix sockets, not stdio: no terminal in between that would eat ^A or ^C,
            # and with wait=on QEMU starts the CPU only once both lines are connected.
            "-chardev", f"socket,id=con,path={con_path},server=on,wait=on",
            "-chardev", f"socket,id=ctl,path={ctl_path},server=on,wait=on",
            "-serial", "chardev:con", "-serial", "chardev:ctl",
            "-kernel", str(self.kernel), "-initrd", str(self.initrd),
            "-append", "console=ttyS0 quiet panic=-1",
        ]
        note = f"=== boot {self.boots}: {shlex.join(argv)}\n".encode()
        self.console_log.write(note)
        self.control_log.write(note)
        with open(self.qemu_log_path, "ab") as qemu_log:
            qemu_log.write(note)
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qemu_log,
                                          stderr=qemu_log, preexec_fn=_die_with_parent)
        try:
            self._con_sock = self._connect(con_path, deadline)
            self._ctl_sock = self._connect(ctl_path, deadline)
            self._con = pexpect.fdpexpect.fdspawn(self._con_sock.fileno(), timeout=30,
                                                  maxread=1 << 16, logfile=None)
            self._con.logfile_read = self.console_log
            self._ctl = _ControlChannel(self._ctl_sock, self.control_log)
            i = self._con.expect([rb"MINI-KVM-L1-READY", pexpect.EOF, pexpect.TIMEOUT],
                                 timeout=max(0.0, deadline - time.monotonic()))
            if i != 0:
                raise LaneError("no ready marker")
            m = re.search(rb"MINI-KVM-L1: ((?:/dev/kvm ok|no /dev/kvm)[^\r\n]*)",
                          self._con.before)
            self.kvm_line = m.group(1).decode(errors="replace") if m else "?"
            if not self.kvm_line.startswith("/dev/kvm ok"):
                raise LaneError(f"L1 has no usable KVM: {self.kvm_line}")
            self._reply_line(b"@@READY", deadline)
            self.boot_seconds = time.monotonic() - started
            self._ping(deadline)
        except (LaneError, _Expired, OSError) as e:
            tail = self.console_tail()
            self.shutdown()
            # One failed boot is a broken lane: each retry would cost up to BOOT_TIMEOUT.
            self.boot_error = (f"L1 did not boot ({e}) after {time.monotonic() - started:.1f} s;"
                               f" console ({self.console_log.name}) ends with:\n{tail}")
            raise LaneError(self.boot_error) from None

    def _connect(self, path: str, deadline: float) -> socket.socket:
        while True:
            if self._proc.poll() is not None:
                raise LaneError(f"QEMU exited with {self._proc.returncode}: "
                                f"see {self.qemu_log_path}")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return sock
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
            if time.monotonic() > deadline:
                raise LaneError(f"QEMU never listened on {path}")
            time.sleep(0.05)

    def is_up(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._ctl is not None

    def _ensure_up(self) -> None:
        if not self.is_up():
            self.boot()

    def shutdown(self) -> None:
        """Kill QEMU (L1 has nothing to save) and forget the connection."""
        self._job = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None
        for sock in (self._con_sock, self._ctl_sock):
            if sock is not None:
                sock.close()
        self._con_sock = self._ctl_sock = self._con = self._ctl = None
        if self._sockdir is not None:
            shutil.rmtree(self._sockdir, ignore_errors=True)
            self._sockdir = None

    def close(self) -> None:
        self.shutdown()
        self.console_log.close()
        self.control_log.close()

    def console_tail(self, lines: int = 30) -> str:
        try:
            with open(self.console_log.name, "rb") as f:
                f.seek(max(0, os.path.getsize(self.console_log.name) - 8192))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no console log)"
        return "\n".join(text.splitlines()[-lines:])

    def _broken(self, what: str, timeout: bool = False) -> LaneError:
        """L1 stopped answering: kill it (the next request boots a fresh one)."""
        if self._con is not None:
            self._drain_console()  # into the log: L1's last words
        self.shutdown()
        cls = LaneTimeout if timeout else LaneError
        return cls(f"nested: {what}; L1 was killed and will boot again. "
                   f"Console ({self.console_log.name}) ends with:\n{self.console_tail()}")

    # -- the control protocol (scripts/initramfs/l1-loop) ------------------------------

    def _reply_line(self, prefix: bytes, deadline: float) -> bytes:
        """The next control line starting with prefix; others are logged noise."""
        while True:
            line = self._ctl.readline(deadline)
            if line.startswith(prefix):
                return line

    def _reply(self, nonce: str, deadline: float) -> list[str]:
        """The fields of the next reply that carries this nonce."""
        while True:
            fields = self._ctl.readline(deadline).decode("ascii", "replace").split()
            if len(fields) >= 2 and fields[0].startswith("@@") and fields[1] == nonce:
                return fields

    def _ping(self, deadline: float) -> None:
        nonce = uuid.uuid4().hex[:16]
        self._ctl.send(f"@@PING {nonce}\n".encode(), deadline)
        self._reply(nonce, deadline)

    def _send_payload(self, nonce: str, lines: list[bytes], deadline: float) -> None:
        """Send base64 lines in the chunks L1 asks for with @@GO."""
        sent = 0
        while sent < len(lines):
            fields = self._reply(nonce, deadline)
            if fields[0] != "@@GO":
                raise LaneError(f"expected @@GO, got {' '.join(fields)}")
            n = int(fields[2])
            self._ctl.send(b"".join(line + b"\n" for line in lines[sent:sent + n]), deadline)
            sent += n

    def _request(self, verb: str, nonce: str, fields: list[str], payloads: list[bytes],
                 deadline: float) -> None:
        """Send one request line (payloads announced as LINES MD5 ENC), then the payloads."""
        encoded = []
        for p in payloads:
            enc, wire = _encode(p)
            encoded.append(_b64_lines(wire))
            fields = [*fields, str(len(encoded[-1])), hashlib.md5(p).hexdigest(), enc]
        self._ctl.send((" ".join([verb, nonce, *fields]) + "\n").encode(), deadline)
        for lines in encoded:
            self._send_payload(nonce, lines, deadline)

    def _recv_blob(self, tag: str, nonce: str, deadline: float) -> bytes:
        """One @@OUT/@@ERR blob; its header must come by `deadline`, its body in time for
        its size."""
        fields = self._reply(nonce, deadline)
        if fields[0] != f"@@{tag}" or len(fields) != 5 or fields[4] not in ("b64", "gz"):
            raise LaneError(f"expected @@{tag}, got {' '.join(fields)}")
        size, md5, enc = int(fields[2]), fields[3], fields[4]
        deadline = self._transfer_deadline(size)
        lines = []
        while True:
            line = self._ctl.readline(deadline)
            if line.startswith(b"@@"):
                self._ctl.unread(line)
                break
            lines.append(line.strip())
        try:
            data = base64.b64decode(b"".join(lines), validate=True)
            if enc == "gz":
                data = gzip.decompress(data)
        except (ValueError, OSError, EOFError) as e:
            raise LaneError(f"corrupt {tag} from L1: {e}") from None
        if len(data) != size or hashlib.md5(data).hexdigest() != md5:
            raise LaneError(f"corrupt {tag} from L1: {len(data)} bytes, expected {size}")
        return data

    def _transfer_deadline(self, size: int) -> float:
        """When `size` bytes should be across: the serial line moves ~75 KB/s, so base64
        of data that does not compress carries ~55 KB/s; 20 KB/s is generous."""
        return time.monotonic() + self.reply_grace + size / 20e3

    def shell(self, cmd, stdin=b"", timeout=60):
        self._ensure_up()
        if self._job is None:  # else the console's output is the job's, for its reader
            self._drain_console()
        nonce = uuid.uuid4().hex[:16]
        script = cmd.encode() + b"\n"
        l1_timeout = max(1, math.ceil(timeout))
        try:
            deadline = self._transfer_deadline(len(script) + len(stdin))
            self._request("@@RUN", nonce, [str(l1_timeout)], [script, stdin], deadline)
            fields = self._reply(nonce, deadline)
            if fields[0] != "@@BEGIN":
                raise LaneError(f"L1 refused the command: {' '.join(fields)}")
            out = self._recv_blob("OUT", nonce, time.monotonic() + l1_timeout + self.reply_grace)
            err = self._recv_blob("ERR", nonce, self._transfer_deadline(0))
            fields = self._reply(nonce, self._transfer_deadline(0))
        except _Expired as e:
            raise self._broken(f"{e} for {cmd!r} (timeout {timeout} s)", timeout=True) from None
        except LaneError as e:
            raise self._broken(f"{e} for {cmd!r}") from None
        if fields[0] != "@@END" or len(fields) != 4:
            raise self._broken(f"expected @@END, got {' '.join(fields)}")
        result = Result(int(fields[2]), out, err)
        if fields[3] == "timeout":
            raise LaneTimeout(f"nested: {cmd!r} timed out after {l1_timeout} s", result)
        return result

    def _vmm_command(self, args: list[str]) -> str:
        if not self.has_vmm:
            raise LaneError("the nested lane has no mini-kvm: build/mini-kvm-static was "
                            "missing when L1's initramfs was built (make, then rerun)")
        return shlex.join(["exec", self.vmm_binary(), *args])

    def vmm_binary(self):
        return "/bin/mini-kvm"

    def run(self, args, stdin=b"", timeout=60):
        return self.shell(self._vmm_command(args), stdin, timeout)

    def interactive(self, args, timeout=60):
        return self.shell_interactive(self._vmm_command(args), timeout)

    def shell_interactive(self, cmd, timeout=60):
        self._ensure_up()
        if self._job is not None:
            self._job.close()
        self._drain_console()
        nonce = uuid.uuid4().hex[:16]
        script = cmd.encode() + b"\n"
        try:
            deadline = self._transfer_deadline(len(script))
            self._request("@@TTY", nonce, [], [script], deadline)
            fields = self._reply(nonce, deadline)
        except _Expired as e:
            raise self._broken(f"{e} starting {cmd!r}") from None
        if fields[0] != "@@STARTED":
            raise self._broken(f"L1 did not start {cmd!r}: {' '.join(fields)}")
        self._job = NestedInteractive(self, nonce, cmd, timeout)
        return self._job

    def _reap(self, job: NestedInteractive, kill: bool) -> None:
        """Wait for (or kill) a TTY job in L1, and read the console up to its @@EXIT, so
        that nothing of it is left for the next job. Shuts L1 down if that fails."""
        verb = "@@KILL" if kill else "@@REAP"
        deadline = time.monotonic() + self.reply_grace
        try:
            self._ctl.send(f"{verb} {job.nonce}\n".encode(), deadline)
            fields = self._reply(job.nonce, deadline)
            if fields[0] != "@@REAPED":
                raise LaneError(" ".join(fields))
            if job.status is None:
                self._con.expect(job.exit_re, timeout=max(0.0, deadline - time.monotonic()))
                job.status = int(fields[2])
        except (_Expired, LaneError, pexpect.TIMEOUT, pexpect.EOF):
            self.shutdown()
        finally:
            if self._job is job:
                self._job = None

    def _drain_console(self) -> None:
        """Consume (into the log) whatever L1 printed on its console since the last look,
        so that the next interactive command sees only its own output."""
        everything = re.compile(rb"(?s).+")
        while self._con.expect([everything, pexpect.TIMEOUT, pexpect.EOF], timeout=0) == 0:
            pass

    # -- files -------------------------------------------------------------------------

    def guest(self, name):
        return f"/guests/{name}"

    def test_guest(self, name):
        return f"/test-guests/{name}"

    def _shipped(self, dest: str) -> str:
        if not any(d == dest for _, d in self.payload):
            why = _linux_left_out or "not in this lane's payload (default_payload(linux=True))"
            raise LaneError(f"the nested lane has no {dest}: {why}")
        return dest

    def linux_kernel(self):
        return self._shipped(LINUX_KERNEL_DEST)

    def linux_initrd(self):
        return self._shipped(LINUX_INITRD_DEST)

    def file(self, host_path):
        path = (REPO_ROOT / host_path).resolve()
        for src, dest in self.payload:
            if path == src:
                return dest + path.name if dest.endswith("/") else dest
            if src.is_dir() and src in path.parents:
                return f"{dest.rstrip('/')}/{path.relative_to(src)}"
        raise LaneError(f"{path} is not shipped to the nested lane: put test inputs "
                        f"under {DATA_DIR.relative_to(REPO_ROOT)}/ (or use lane.put())")

    def put(self, data, name):
        path = f"/tmp/put/{_scratch_name(name)}"
        r = self.shell(f"mkdir -p /tmp/put && cat > {path}", stdin=data)
        if r.status != 0:
            raise LaneError(f"put({name!r}) failed: {r}")
        return path

    def sparse_file(self, name, size):
        path = f"/tmp/put/{_scratch_name(name)}"
        r = self.shell(f"mkdir -p /tmp/put && rm -f {path} && truncate -s {int(size)} {path}")
        if r.status != 0:
            raise LaneError(f"sparse_file({name!r}) failed: {r}")
        return path


class NestedInteractive:
    """A command on L1's console, behaving like HostInteractive's pexpect session.

    pexpect.EOF in a pattern matches the command's end (L1 prints "@@EXIT NONCE STATUS"
    on the console when it ends; that marker never shows up in `before`)."""

    def __init__(self, lane: NestedLane, nonce: str, cmd: str, timeout: float):
        self.lane, self.nonce, self.cmd, self.timeout = lane, nonce, cmd, timeout
        self.con = lane._con
        self.boot = lane.boots  # the L1 this command runs in
        self.exit_re = re.compile(rb"@@EXIT " + nonce.encode() + rb" (\d+)\r?\n")
        self.status: int | None = None
        self.before = self.after = self.match = None

    def _check_l1(self) -> None:
        if self.lane.boots != self.boot or not self.lane.is_up():
            raise LaneError(f"nested: L1 went down under {self.cmd!r}")

    def _expect(self, patterns, timeout, exact: bool) -> int:
        if not isinstance(patterns, list):
            patterns = [patterns]
        if self.status is not None:
            if pexpect.EOF in patterns:
                self.before, self.after, self.match = b"", pexpect.EOF, pexpect.EOF
                return patterns.index(pexpect.EOF)
            raise pexpect.EOF(f"nested: {self.cmd!r} has exited")
        if exact:
            patterns = [re.compile(re.escape(p.encode() if isinstance(p, str) else p))
                        if isinstance(p, (str, bytes)) else p for p in patterns]
        self._check_l1()
        translated = [self.exit_re if p is pexpect.EOF else p for p in patterns]
        translated.append(self.exit_re)  # the end, even when the caller did not ask for it
        try:
            i = self.con.expect(translated, timeout=_expect_timeout(timeout, self.timeout))
        except pexpect.EOF:
            raise self.lane._broken("L1's console closed (QEMU exited?)") from None
        self.before, self.after, self.match = self.con.before, self.con.after, self.con.match
        if translated[i] is self.exit_re:
            self.status = int(self.con.match.group(1))
            self.after = self.match = pexpect.EOF
            if i == len(patterns):
                raise pexpect.EOF(f"nested: {self.cmd!r} exited with {self.status}")
        return i

    def expect(self, pattern, timeout=-1):
        return self._expect(pattern, timeout, exact=False)

    def expect_exact(self, pattern, timeout=-1):
        return self._expect(pattern, timeout, exact=True)

    def seen(self) -> bytes:
        """The output since the last match; after a TIMEOUT or EOF, all that did not
        match (for the message of a failed test)."""
        before = self.con.before
        return before if isinstance(before, bytes) else b""

    def send(self, data) -> int:
        self._check_l1()
        if isinstance(data, str):
            data = data.encode()
        return self.con.send(data)

    def sendline(self, data=b"") -> int:
        if isinstance(data, str):
            data = data.encode()
        return self.send(data + b"\n")

    def sendcontrol(self, char: str) -> int:
        return self.send(bytes([ord(char.lower()) & 0x1F]))

    def wait(self, timeout: float | None = None) -> int:
        """Exit status (128+N for signal N); the rest of the output is discarded."""
        timeout = self.timeout if timeout is None else timeout
        if self.status is None:
            try:
                self._expect([pexpect.EOF], timeout, exact=False)
            except pexpect.TIMEOUT:
                self.close()
                raise LaneTimeout(f"nested: {self.cmd!r} still running after {timeout} s") \
                    from None
        self.close()
        return self.status

    def close(self) -> None:
        """Reap the command in L1, killing it if it still runs (the console stays)."""
        if self.lane._job is self:
            self.lane._reap(self, kill=self.status is None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- by hand ----------------------------------------------------------------------------


def _main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Run mini-kvm (or a shell command) in a lane.")
    ap.add_argument("lane", choices=["host", *NESTED_LANES])
    ap.add_argument("--shell", help="run this shell command instead of mini-kvm")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("args", nargs="*", help="mini-kvm's arguments")
    opts = ap.parse_args(argv)
    if opts.lane == "host":
        lane: Lane = HostLane()
    else:
        initrd = BUILD / "nested-l1.cpio.gz"
        payload = default_payload()
        lane = NestedLane(build_nested_assets(initrd, payload), initrd, payload,
                          smp=NESTED_LANES[opts.lane], name=opts.lane)
    try:
        if opts.shell is not None:
            r = lane.shell(opts.shell, timeout=opts.timeout)
        else:
            r = lane.run(opts.args, timeout=opts.timeout)
        os.write(1, r.stdout)
        os.write(2, r.stderr)
        return r.status
    finally:
        lane.close()


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
