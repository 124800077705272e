# SPDX-License-Identifier: MIT
"""The host's end of the nested lane's control protocol; L1's end is l1/loop beside this
file, which documents the requests and replies. Lines over L1's second serial line
(ttyS1), every read with a deadline; payloads as base64 lines, gzip'd when that pays,
checked by size and MD5."""

from __future__ import annotations

import base64
import gzip
import hashlib
import select
import socket
import time
import uuid
from typing import Callable

from .api import LaneError

# A base64 line of the control protocol (what busybox `base64` also writes).
B64_LINE = 76
# Payloads above this size are gzip'd first, if that saves much.
GZIP_ABOVE = 4096
# How fast a transfer must go for its deadline: the serial line moves ~75 KB/s, so
# base64 of data that does not compress carries ~55 KB/s; 20 KB/s is generous.
TRANSFER_BYTES_PER_S = 20e3


class Expired(Exception):
    """A deadline on the control line passed: L1 stopped answering (or reading)."""


def new_nonce() -> str:
    """A request's unique id, echoed in every reply to it."""
    return uuid.uuid4().hex[:16]


class ControlChannel:
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
                raise Expired("L1 stopped reading the control line")
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
                raise Expired("no reply on the control line")
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


def encode(data: bytes) -> tuple[str, bytes]:
    """A payload as it goes over the wire: gzip'd when that saves much (the serial line
    moves ~75 KB/s), as L1's send_file does."""
    if len(data) > GZIP_ABOVE:
        packed = gzip.compress(data, compresslevel=6)
        if len(packed) < len(data) * 0.9:
            return "gz", packed
    return "b64", data


def b64_lines(data: bytes) -> list[bytes]:
    text = base64.b64encode(data)
    return [text[i:i + B64_LINE] for i in range(0, len(text), B64_LINE)]


class Control:
    """The requests of l1/loop, over a ControlChannel. Every method raises Expired when
    L1 misses a deadline and LaneError when a reply is malformed or corrupt; the caller
    decides what that means for L1. `grace` returns the slack, in seconds, that L1 gets
    beyond a transfer's own time (read at each use, so that a test can shorten it)."""

    def __init__(self, channel: ControlChannel, grace: Callable[[], float]):
        self.ch = channel
        self.grace = grace

    def transfer_deadline(self, size: int) -> float:
        """When `size` bytes should be across (TRANSFER_BYTES_PER_S), plus the grace."""
        return time.monotonic() + self.grace() + size / TRANSFER_BYTES_PER_S

    # -- replies -----------------------------------------------------------------------

    def reply_line(self, prefix: bytes, deadline: float) -> bytes:
        """The next control line starting with prefix; others are logged noise."""
        while True:
            line = self.ch.readline(deadline)
            if line.startswith(prefix):
                return line

    def reply(self, nonce: str, deadline: float) -> list[str]:
        """The fields of the next reply that carries this nonce."""
        while True:
            fields = self.ch.readline(deadline).decode("ascii", "replace").split()
            if len(fields) >= 2 and fields[0].startswith("@@") and fields[1] == nonce:
                return fields

    def recv_blob(self, tag: str, nonce: str, deadline: float) -> bytes:
        """One @@OUT/@@ERR blob; its header must come by `deadline`, its body in time for
        its size."""
        fields = self.reply(nonce, deadline)
        if fields[0] != f"@@{tag}" or len(fields) != 5 or fields[4] not in ("b64", "gz"):
            raise LaneError(f"expected @@{tag}, got {' '.join(fields)}")
        size, md5, enc = int(fields[2]), fields[3], fields[4]
        deadline = self.transfer_deadline(size)
        lines = []
        while True:
            line = self.ch.readline(deadline)
            if line.startswith(b"@@"):
                self.ch.unread(line)
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

    # -- requests ----------------------------------------------------------------------

    def send_payload(self, nonce: str, lines: list[bytes], deadline: float) -> None:
        """Send base64 lines in the chunks L1 asks for with @@GO."""
        sent = 0
        while sent < len(lines):
            fields = self.reply(nonce, deadline)
            if fields[0] != "@@GO":
                raise LaneError(f"expected @@GO, got {' '.join(fields)}")
            n = int(fields[2])
            self.ch.send(b"".join(line + b"\n" for line in lines[sent:sent + n]), deadline)
            sent += n

    def request(self, verb: str, nonce: str, fields: list[str], payloads: list[bytes],
                deadline: float) -> None:
        """Send one request line (payloads announced as LINES MD5 ENC), then the payloads."""
        encoded = []
        for p in payloads:
            enc, wire = encode(p)
            encoded.append(b64_lines(wire))
            fields = [*fields, str(len(encoded[-1])), hashlib.md5(p).hexdigest(), enc]
        self.ch.send((" ".join([verb, nonce, *fields]) + "\n").encode(), deadline)
        for lines in encoded:
            self.send_payload(nonce, lines, deadline)

    def wait_ready(self, deadline: float) -> None:
        """L1's loop announces itself with @@READY once it serves the line."""
        self.reply_line(b"@@READY", deadline)

    def ping(self, deadline: float) -> None:
        """@@PING: a round trip, proving the line works both ways."""
        nonce = new_nonce()
        self.ch.send(f"@@PING {nonce}\n".encode(), deadline)
        self.reply(nonce, deadline)

    def run(self, script: bytes, stdin: bytes, l1_timeout: int) -> tuple[int, bytes, bytes, bool]:
        """@@RUN: the shell script with stdin in L1, killed after l1_timeout seconds
        there. Returns (status, stdout, stderr, timed out)."""
        nonce = new_nonce()
        deadline = self.transfer_deadline(len(script) + len(stdin))
        self.request("@@RUN", nonce, [str(l1_timeout)], [script, stdin], deadline)
        fields = self.reply(nonce, deadline)
        if fields[0] != "@@BEGIN":
            raise LaneError(f"L1 refused the command: {' '.join(fields)}")
        out = self.recv_blob("OUT", nonce, time.monotonic() + l1_timeout + self.grace())
        err = self.recv_blob("ERR", nonce, self.transfer_deadline(0))
        fields = self.reply(nonce, self.transfer_deadline(0))
        if fields[0] != "@@END" or len(fields) != 4:
            raise LaneError(f"expected @@END, got {' '.join(fields)}")
        return int(fields[2]), out, err, fields[3] == "timeout"

    def tty(self, nonce: str, script: bytes) -> list[str]:
        """@@TTY: start the shell script on L1's console; the reply's fields (@@STARTED
        NONCE PID when it started). Its end shows on the console as @@EXIT NONCE STATUS."""
        deadline = self.transfer_deadline(len(script))
        self.request("@@TTY", nonce, [], [script], deadline)
        return self.reply(nonce, deadline)

    def reap(self, nonce: str, kill: bool, deadline: float) -> list[str]:
        """@@REAP (wait) or @@KILL (kill, then wait) a TTY job; the @@REAPED reply's
        fields (its third is the job's exit status)."""
        verb = "@@KILL" if kill else "@@REAP"
        self.ch.send(f"{verb} {nonce}\n".encode(), deadline)
        fields = self.reply(nonce, deadline)
        if fields[0] != "@@REAPED":
            raise LaneError(" ".join(fields))
        return fields
