# SPDX-License-Identifier: MIT
"""The teaching OS (guests/os/): one boot per lane drives its shell on a terminal through
every command, a NULL-dereferencing process that the kernel kills, two CPU-bound
processes that both make progress only through preemption, 1,000 processes created and
reaped without losing a page, and a file written in the guest that GNU tar then finds in
the host's disk image.

Lanes: the kernel takes its system calls with `syscall`. Where that instruction works
(kvm_intel, kvm_amd, the nested lane) it is the ordinary path; on kvm_pvm, whose
`syscall` stays in ring 3 (`mini-kvm check`: "syscall no"), the kernel finishes each call
from the page fault that follows it, so the whole session runs in the host lane too,
only with its kernel code emulated (~2 MIPS): there the leak check starts
STRESS_SLOW_HOST processes instead of 1,000 (13 s for 1,000).
"""

import io
import re
import subprocess
import tarfile
import tempfile

import pytest

import lanes

# The Linux tests' expect(): fails with the console's last lines.
from test_linux import expect

KERNEL = "os/kernel.elf"
PROMPT = b"> "
BOOT_TIMEOUT = 60
STEP_TIMEOUT = 30
# The tar disk: a file from the host, then room for what the guest writes.
DISK_SIZE = 64 << 10
HOST_FILE, HOST_TEXT = "readme.txt", b"Hello from the host's tar archive\n"
GUEST_FILE, GUEST_TEXT = "note.txt", "written in the guest"
LINE_MAX = 127  # the shell's longest command line
STRESS = 1000
STRESS_SLOW_HOST = 100
SPIN_LINES = 5  # guests/os/user/spin.c
OS_PANIC_STATUS = 70  # guests/os/kernel/console.h: a kernel fault or panic


def disk_image() -> bytes:
    """A ustar archive written by Python's tarfile (as GNU tar would), padded with zeros."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(HOST_FILE)
        info.size = len(HOST_TEXT)
        tar.addfile(info, io.BytesIO(HOST_TEXT))
    return buf.getvalue().ljust(DISK_SIZE, b"\0")


def os_args(lane, disk: str | None = None, *extra: str) -> list[str]:
    disk_args = ["--disk", disk] if disk else []
    return ["run", "--irqchip", *disk_args, *extra, lane.guest(KERNEL)]


def command(p, line: str, *outputs: bytes, timeout: float = STEP_TIMEOUT,
            echo: str | None = None) -> bytes:
    """Type a command line, expect its echo (the line, or `echo`), then each output (a
    regex) on a line of its own in turn, then the next prompt. Returns what came between
    the echoed line and the prompt."""
    p.sendline(line.encode())
    echo = line if echo is None else echo
    expect(p, re.escape(echo.encode()) + rb"\r*\n", f"echo of {echo!r}")
    seen = b""
    for output in outputs:
        expect(p, rb"(?m)^" + output + rb"\r*\n", f"{output!r} after {line!r}", timeout)
        seen += p.before + p.after
    expect(p, rb"(?m)^" + re.escape(PROMPT), f"prompt after {line!r}", timeout)
    return seen + p.before


def stress_count(lane) -> int:
    syscall = lane.capability("syscall")
    return STRESS if syscall is None or syscall[0] else STRESS_SLOW_HOST


@pytest.mark.needs("long", "irq-ring3")
def test_os_shell_session(lane, tmp_path):
    disk = lane.put(disk_image(), "os-disk.tar")
    with lane.interactive(os_args(lane, disk), timeout=BOOT_TIMEOUT) as p:
        expect(p, rb"kernel: selftest ok", "the boot self-test", BOOT_TIMEOUT)
        expect(p, rb"fs: 1 files from a tar disk of 128 sectors", "the tar disk read")
        expect(p, rb"kernel: timer at 100 Hz", "the timer (PIT through the PIC)")
        expect(p, rb"(?m)^" + re.escape(PROMPT), "the first prompt")

        command(p, "hello", rb"Hello, world! This is the mini-kvm teaching OS\.")
        command(p, "echo one two  three", rb"one two  three")
        command(p, "ls", re.escape(f"{HOST_FILE} {len(HOST_TEXT)}".encode()))
        command(p, f"cat {HOST_FILE}", re.escape(HOST_TEXT.strip()))
        command(p, "cat nothing.txt", rb"cat: nothing\.txt: no such file or program")
        command(p, f"write {GUEST_FILE} {GUEST_TEXT}",
                re.escape(f"wrote {len(GUEST_TEXT) + 1} bytes to {GUEST_FILE}".encode()))
        command(p, f"cat {GUEST_FILE}", re.escape(GUEST_TEXT.encode()))
        command(p, "ls", re.escape(f"{HOST_FILE} {len(HOST_TEXT)}".encode()),
                re.escape(f"{GUEST_FILE} {len(GUEST_TEXT) + 1}".encode()))
        command(p, "ps", rb"  PID STATE    NAME", rb" +1 runnable shell \(running\)")
        command(p, "frobnicate now", rb"unknown command: frobnicate \(try help\)")

        # A line longer than the shell's buffer: echoed as far as it fits, then refused
        # whole; nothing overflows.
        long_line = "echo " + "x" * 2 * LINE_MAX
        command(p, long_line,
                re.escape(f"error: line too long (at most {LINE_MAX} characters)".encode()),
                echo=long_line[:LINE_MAX])
        command(p, "echo " + "y" * (LINE_MAX - 5), rb"y{%d}" % (LINE_MAX - 5))

        # A NULL dereference in ring 3 kills that process only.
        command(p, "run null",
                rb"exception 14 \(page fault\), error code 0x[0-9a-f]+, RIP 0x4[0-9a-f]+, "
                rb"CR2 0x0: process (\d+) \(null\) killed",
                rb"run: null \(pid \d+\) was killed")
        command(p, "run hello", rb"hello from process \d+")

        # Two processes that never yield: both progress only if the timer preempts them.
        out = command(p, "run spin spin", *[rb"spin \d+: done after \d+ loops"] * 2,
                      timeout=60).decode(errors="replace")
        lines = re.findall(r"spin (\d+): (\d+)\r*\n", out)
        pids = sorted({pid for pid, _ in lines})
        assert len(pids) == 2 and len(lines) == 2 * SPIN_LINES, out
        first_done = [i for i, (_, n) in enumerate(lines) if n == str(SPIN_LINES)][0]
        assert {pid for pid, _ in lines[:first_done]} == set(pids), \
            f"one spin finished before the other printed anything: no preemption?\n{out}"

        n = stress_count(lane)
        command(p, f"stress {n}",
                rb"stress: %d processes, (\d+) free pages before, \1 after: no leak" % n,
                timeout=120)
        command(p, "ps", rb" +1 runnable shell \(running\)")

        p.sendline(b"exit")
        expect(p, rb"kernel: the shell exited \(status 0\), stopping the VM", "the VM's end")
        assert p.wait(STEP_TIMEOUT) == 0

    # The archive the guest wrote back, read by GNU tar on this machine.
    image = lane.shell(f"cat {disk}")
    assert image.status == 0 and len(image.stdout) == DISK_SIZE, image
    local = tmp_path / "disk.tar"
    local.write_bytes(image.stdout)
    listing = subprocess.run(["tar", "-tvf", str(local)], capture_output=True, text=True)
    assert listing.returncode == 0 and listing.stderr == "", listing
    names = [line.split()[-1] for line in listing.stdout.splitlines()]
    assert names == [HOST_FILE, GUEST_FILE], listing.stdout
    for name, text in ((HOST_FILE, HOST_TEXT), (GUEST_FILE, GUEST_TEXT.encode() + b"\n")):
        extracted = subprocess.run(["tar", "-xOf", str(local), name], capture_output=True)
        assert (extracted.returncode, extracted.stdout) == (0, text), extracted


@pytest.mark.needs("long")
def test_os_boots_to_the_prompt_and_exits(lane):
    """Without a disk and with piped input: the shell still runs; --stats counts the VM
    exits of a boot to the prompt and one command (`exit`)."""
    r = lane.run(os_args(lane, None, "--stats=json"), stdin=b"exit\n", timeout=BOOT_TIMEOUT)
    assert r.status == 0, r
    assert "fs: no disk (error -19): files live in memory only" in r.out, r
    assert re.search(r"(?m)^> exit\r?\nbye\r?$", r.out), r
    assert lanes.stats_of(lanes.parse_stats(r.err))["total"]["exits"] > 0, r.err


@pytest.mark.needs("long")
def test_os_kernel_fault_stops_the_vm(lane):
    """`crash` makes the kernel read address 0: a fault in ring 0 is not survivable, so
    the kernel reports it and ends the VM through HC_EXIT with OS_PANIC_STATUS."""
    r = lane.run(os_args(lane), stdin=b"crash\nhello\n", timeout=BOOT_TIMEOUT)
    assert r.status == OS_PANIC_STATUS, r
    assert re.search(r"(?m)^exception 14 \(page fault\), error code 0x0, "
                     r"RIP 0xffffffff[0-9a-f]+, CR2 0x0\r?$", r.out), r
    assert "kernel panic: exception in the kernel" in r.out, r
    assert "Hello, world!" not in r.out, r  # nothing ran after it


@pytest.mark.needs("long")
def test_os_without_irqchip_runs_without_preemption(lane):
    r = lane.run(["run", lane.guest(KERNEL)], stdin=b"hello\nexit\n", timeout=BOOT_TIMEOUT)
    assert r.status == 0, r
    assert "kernel: no timer interrupt (run with --irqchip): no preemption" in r.out, r
    assert "Hello, world!" in r.out, r


@pytest.mark.needs("long")
def test_os_disk_from_gnu_tar_is_read(lane):
    """An archive made by GNU tar itself (not Python's tarfile) reads the same."""
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/{HOST_FILE}", "wb") as f:
            f.write(HOST_TEXT)
        subprocess.run(["tar", "-cf", f"{d}/disk.tar", "-C", d, HOST_FILE], check=True)
        with open(f"{d}/disk.tar", "rb") as f:
            image = f.read().ljust(DISK_SIZE, b"\0")
    disk = lane.put(image, "gnu-disk.tar")
    r = lane.run(os_args(lane, disk), stdin=f"cat {HOST_FILE}\nexit\n".encode(),
                 timeout=BOOT_TIMEOUT)
    assert r.status == 0, r
    assert "fs: 1 files" in r.out and HOST_TEXT.decode().strip() in r.out, r
