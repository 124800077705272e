# SPDX-License-Identifier: MIT
"""The nested lane: QEMU TCG emulates AMD SVM and boots the stock Debian kernel ("L1")
with an initramfs (l1/init, built by scripts/assets.sh l1) that loads kvm_amd and runs
build/mini-kvm (with its shared libraries) as /bin/mini-kvm. Commands go over L1's second serial line with
the control protocol (control.py here, l1/loop in L1); the first serial line, the
console, carries the kernel log and interactive commands."""

from __future__ import annotations

import ctypes
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pexpect
import pexpect.fdpexpect

from .api import Lane, LaneError, LaneTimeout, LaneUnavailable, Result, expect_timeout, \
    scratch_name
from .assets import (LINUX_DISK_INITRD_DEST, LINUX_INITRD_DEST, LINUX_KERNEL_DEST,
                     LINUX_ROOTFS_DEST, LINUX_VMLINUX_DEST, linux_left_out)
from .control import Control, ControlChannel, Expired, new_nonce
from .paths import BUILD, DATA_DIR, REPO_ROOT

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


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when pytest dies, so no QEMU outlives it."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# mini-kvm --gdb's port inside L1 (gdb_job()), and how long (0.1 s a try) the relay
# waits for it.
L1_GDB_PORT = 1234
L1_GDB_WAIT_TRIES = 600
L1_GDB_RELAY_READY = "MINI-KVM-GDB-RELAY-READY"
L1_GDB_RELAY_PID = "/tmp/gdb-relay.pid"


def _free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 now (for QEMU's end of ttyS2)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NestedLane(Lane):
    """mini-kvm inside an L1 Debian kernel with kvm_amd, under QEMU TCG."""

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
        self._ctl: Control | None = None
        self._job: NestedInteractive | None = None
        self.reply_grace = REPLY_GRACE
        self.gdb_port = 0  # QEMU's end of ttyS2 (gdb_job()), chosen at each boot

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
        self.gdb_port = _free_loopback_port()
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
            # ttyS2: gdb's line to a mini-kvm --gdb in L1 (gdb_job()), on a port of this
            # machine's loopback that gdb here connects to.
            "-chardev", f"socket,id=gdb,host=127.0.0.1,port={self.gdb_port},server=on,wait=off",
            "-serial", "chardev:gdb",
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
            self._ctl = Control(ControlChannel(self._ctl_sock, self.control_log),
                                grace=lambda: self.reply_grace)
            i = self._con.expect([rb"MINI-KVM-L1-READY", pexpect.EOF, pexpect.TIMEOUT],
                                 timeout=max(0.0, deadline - time.monotonic()))
            if i != 0:
                raise LaneError("no ready marker")
            m = re.search(rb"MINI-KVM-L1: ((?:/dev/kvm ok|no /dev/kvm)[^\r\n]*)",
                          self._con.before)
            self.kvm_line = m.group(1).decode(errors="replace") if m else "?"
            if not self.kvm_line.startswith("/dev/kvm ok"):
                raise LaneError(f"L1 has no usable KVM: {self.kvm_line}")
            self._ctl.wait_ready(deadline)
            self.boot_seconds = time.monotonic() - started
            self._ctl.ping(deadline)
        except (LaneError, Expired, OSError) as e:
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

    # -- commands (the requests of control.py) -----------------------------------------

    def shell(self, cmd, stdin=b"", timeout=60):
        self._ensure_up()
        if self._job is None:  # else the console's output is the job's, for its reader
            self._drain_console()
        l1_timeout = max(1, math.ceil(timeout))
        try:
            status, out, err, timed_out = self._ctl.run(cmd.encode() + b"\n", stdin, l1_timeout)
        except Expired as e:
            raise self._broken(f"{e} for {cmd!r} (timeout {timeout} s)", timeout=True) from None
        except LaneError as e:
            raise self._broken(f"{e} for {cmd!r}") from None
        result = Result(status, out, err)
        if timed_out:
            raise LaneTimeout(f"nested: {cmd!r} timed out after {l1_timeout} s", result)
        return result

    def _vmm_command(self, args: list[str]) -> str:
        if not self.has_vmm:
            raise LaneError("the nested lane has no mini-kvm: build/mini-kvm was "
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
        nonce = new_nonce()
        try:
            fields = self._ctl.tty(nonce, cmd.encode() + b"\n")
        except Expired as e:
            raise self._broken(f"{e} starting {cmd!r}") from None
        if fields[0] != "@@STARTED":
            raise self._broken(f"L1 did not start {cmd!r}: {' '.join(fields)}")
        self._job = NestedInteractive(self, nonce, cmd, timeout)
        return self._job

    def gdb_job(self, args, timeout=60):
        if not self.has_vmm:
            self._vmm_command(args)  # raises the reason
        port = L1_GDB_PORT
        vmm = shlex.join([self.vmm_binary(), "run", "--gdb", f"127.0.0.1:{port}", *args])
        # The relay, in a session of its own (killed whole when mini-kvm ends): once
        # mini-kvm listens, ttyS2 (raw) <-> its port. It connects only when gdb on the
        # host sends its first byte (an ack, '+', which it drops): a gdb client that
        # connects stops the VM, so the relay must not connect before gdb does.
        relay = (f"i=0; while ! netstat -ltn 2>/dev/null | grep -q '127.0.0.1:{port} ' "
                 f"&& [ $i -lt {L1_GDB_WAIT_TRIES} ]; do i=$((i+1)); sleep 0.1; done; "
                 f"stty raw -echo; echo {L1_GDB_RELAY_READY} >&3; "
                 f"dd bs=1 count=1 of=/dev/null 2>/dev/null; exec nc 127.0.0.1 {port}")
        # A relay left by a job that was killed (its session outlives the job) would
        # take bytes from this one: it goes first.
        script = (f"[ -f {L1_GDB_RELAY_PID} ] && kill -- -$(cat {L1_GDB_RELAY_PID}) 2>/dev/null\n"
                  f"setsid sh -c {shlex.quote(relay)} 3>&1 </dev/ttyS2 >/dev/ttyS2 2>/dev/null &\n"
                  f"relay=$!\n"
                  f"echo $relay > {L1_GDB_RELAY_PID}\n"
                  f"{vmm}\n"
                  f"status=$?\n"
                  f"kill -- -$relay 2>/dev/null\n"
                  f"exit $status")
        job = self.shell_interactive(script, timeout)
        job.expect(re.escape(L1_GDB_RELAY_READY.encode()))
        return job, f"127.0.0.1:{self.gdb_port}"

    def _reap(self, job: NestedInteractive, kill: bool) -> None:
        """Wait for (or kill) a TTY job in L1, and read the console up to its @@EXIT, so
        that nothing of it is left for the next job. Shuts L1 down if that fails."""
        deadline = time.monotonic() + self.reply_grace
        try:
            fields = self._ctl.reap(job.nonce, kill, deadline)
            if job.status is None:
                self._con.expect(job.exit_re, timeout=max(0.0, deadline - time.monotonic()))
                job.status = int(fields[2])
        except (Expired, LaneError, pexpect.TIMEOUT, pexpect.EOF):
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
            why = (linux_left_out()
                   or "not in this lane's payload (default_payload(linux=True))")
            raise LaneError(f"the nested lane has no {dest}: {why}")
        return dest

    def linux_kernel(self):
        return self._shipped(LINUX_KERNEL_DEST)

    def linux_initrd(self):
        return self._shipped(LINUX_INITRD_DEST)

    def linux_vmlinux(self):
        return self._shipped(LINUX_VMLINUX_DEST)

    def linux_disk_initrd(self):
        return self._shipped(LINUX_DISK_INITRD_DEST)

    def linux_root_copy(self, name):
        path = f"/tmp/put/{scratch_name(name)}"
        r = self.shell(f"mkdir -p /tmp/put && cp {self._shipped(LINUX_ROOTFS_DEST)} {path}")
        if r.status != 0:
            raise LaneError(f"linux_root_copy({name!r}) failed: {r}")
        return path

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
        path = f"/tmp/put/{scratch_name(name)}"
        r = self.shell(f"mkdir -p /tmp/put && cat > {path}", stdin=data)
        if r.status != 0:
            raise LaneError(f"put({name!r}) failed: {r}")
        return path

    def sparse_file(self, name, size):
        path = f"/tmp/put/{scratch_name(name)}"
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
            i = self.con.expect(translated, timeout=expect_timeout(timeout, self.timeout))
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
