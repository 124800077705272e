# SPDX-License-Identifier: MIT
"""What a user meets first (issue 18): diagnoses that name the real mistake, the command
line's suggestions and help, console backends and keys, machine-readable statistics,
check and trace output, and read-only disks. Each diagnosis is fed its case and checked
for its one-line message and exit status."""

import json
import os
import re
import socket
import subprocess
import time

import pexpect
import pytest

import lanes
from test_bad_input import assert_one_line_error

GUEST_DIED, TIMED_OUT = 3, 124
OS_TOO_LITTLE_RAM = 78  # guests/os/kernel/memlayout.h: EX_CONFIG
EROFS = 2**32 - 30  # HC_EROFS as the disk guest prints EAX
SECTOR = 512


# --- diagnoses --------------------------------------------------------------------


@pytest.mark.needs("real", "protected")
def test_protected_mode_demo_without_mode_is_blamed_on_the_mode(lane):
    """pmode.bin is 32-bit code: run as a flat binary's default (real mode) it goes
    wrong within a few instructions, and the last line says to give --mode, not that
    the host lacks ring-0 SSE. An emulating KVM (kvm_pvm) fails on it (status 3); a
    hardware one runs on into zero-filled memory for ever, until --timeout (124)."""
    guest = lane.guest("pmode.bin")
    r = lane.run(["run", "--timeout", "5", guest], timeout=60)
    how = {GUEST_DIED: "died there", TIMED_OUT: "was running through zero-filled memory there"}
    assert r.status in how, r
    last = r.err.splitlines()[-1]
    assert last == (f"mini-kvm: guest '{guest}': it is a flat binary, so it started in 16-bit "
                    f"real mode (the default without --mode), and it {how[r.status]}: if it "
                    "is 32- or 64-bit code, run it with --mode protected, --mode paging or "
                    "--mode long (see 'Guests and boot modes' in docs/usage.md)"), r.err
    assert "SSE" not in r.err and "this host's KVM" not in r.err, r.err


@pytest.mark.needs("real")
def test_a_real_mode_loop_stopped_by_timeout_blames_no_mode(lane):
    r = lane.run(["run", "--timeout", "0.5", lane.test_guest("spin.bin")])
    assert r.status == TIMED_OUT, r
    assert "--mode" not in r.err, r.err


@pytest.mark.needs("long")
def test_a_death_in_the_mode_given_blames_no_mode(lane):
    r = lane.run(["run", "--mode", "long", lane.test_guest("triple_fault.bin")])
    assert r.status == GUEST_DIED, r
    assert "--mode" not in r.err, r.err


@pytest.mark.needs("real")
def test_irqchip_halt_with_interrupts_off_ends_the_vm(lane):
    """minimal.bin is one hlt with IF clear: in KVM's in-kernel irqchip nothing can wake
    it. The halt watch sees it (KVM_GET_MP_STATE halted, RFLAGS.IF clear, no NMI) and
    ends the VM as a halt (status 0) with one line saying why, within a second or so."""
    guest = lane.guest("minimal.bin")
    started = time.monotonic()
    r = lane.run(["run", "--irqchip", "--timeout", "30", guest], timeout=60)
    assert r.status == 0, r
    assert r.err == (f"mini-kvm: guest '{guest}': vCPU 0 halted with interrupts disabled "
                     "(IF=0, RIP 0x1): nothing can wake it, so the VM ends\n"), r
    if lane.name == "host":
        assert time.monotonic() - started < 5


@pytest.mark.needs("real")
def test_irqchip_busy_guest_is_not_taken_for_halted(lane):
    r = lane.run(["run", "--irqchip", "--timeout", "2", lane.test_guest("spin.bin")])
    assert r.status == TIMED_OUT, r
    assert "halted" not in r.err, r.err


@pytest.mark.needs("long")
def test_teaching_os_refuses_too_little_ram(lane):
    r = lane.run(["run", "--irqchip", "-m", "16", lane.guest("os/kernel.elf")], timeout=60)
    assert r.status == OS_TOO_LITTLE_RAM, r
    assert ("kernel: 16384 KiB of RAM, but the kernel needs 32 MiB: run it with -m 32 or "
            "more") in r.out, r


@pytest.mark.needs("protected")
def test_many_unclaimed_mmio_accesses_warn_without_stats(lane):
    guest = lane.test_guest("mmio_flood.bin")
    r = lane.run(["run", "-m", "2", "--mode", "protected", guest])
    assert r.status == 0, r
    assert r.err == (f"mini-kvm: warning: guest '{guest}': 1000 accesses to MMIO addresses no "
                     "device claims (reads saw all ones, writes were dropped): has it too "
                     "little RAM (-m 2 MiB), or a wild pointer? --stats lists the "
                     "addresses\n"), r
    assert lane.run(["run", "-q", "-m", "2", "--mode", "protected", guest]).err == ""


@pytest.mark.parametrize("name, data, what", [
    ("notes.txt", b"# notes\nrun this with mini-kvm\n" * 4, "text, not machine code"),
    ("tool.sh", b"#!/bin/sh\necho hello\n", "a script, not a program for a bare VM"),
    ("initrd.cpio", b"070701" + b"0" * 104,
     "a cpio archive (an initramfs? give it with -i, with -k)"),
    ("data.gz", b"\x1f\x8b\x08\x00" + bytes(60), "gzip-compressed data, not a program"),
], ids=["text", "script", "cpio", "gzip"])
def test_a_guest_that_is_no_program_gets_a_warning(lane, name, data, what):
    path = lane.put(data, name)
    r = lane.run(["run", "--timeout", "1", path], timeout=30)
    first = r.err.splitlines()[0]
    assert first == (f"mini-kvm: warning: guest '{path}' looks like {what}; it runs as a flat "
                     "binary all the same"), r
    assert r.status not in (1, 2), r  # a warning only: it ran


def test_a_bzimage_as_guest_points_to_k(lane):
    kernel = lane.linux_kernel()
    r = lane.run(["run", "-q", "--timeout", "0.2", kernel], timeout=30)
    assert "warning" not in r.err, r  # -q
    r = lane.run(["run", "--timeout", "0.2", kernel], timeout=30)
    assert r.err.splitlines()[0] == (f"mini-kvm: warning: guest '{kernel}' looks like a Linux "
                                     "kernel (bzImage): boot it with -k; it runs as a flat "
                                     "binary all the same"), r


# --- the command line ---------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["chek"], "unknown command 'chek' (did you mean 'check'?)"),
    (["rnu", "x.bin"], "unknown command 'rnu' (did you mean 'run'?)"),
    (["hello.bin"], "unknown command 'hello.bin' (did you mean 'mini-kvm run hello.bin'?)"),
    (["help", "chek"], "unknown command 'chek' (did you mean 'check'?)"),
    (["run", "--irqchp", "x.bin"], "unknown option '--irqchp' (did you mean '--irqchip'?)"),
    (["run", "--stat", "x.bin"], "option '--stat' is ambiguous: --stats, --stats-file"),
    (["run", "-m", "512K", "x.bin"], "--mem '512K': guest RAM is 1 MiB to 1024 GiB"),
    (["run", "-m", "1025K", "x.bin"], "in whole 4 KiB pages"),
    (["run", "-m", "4096G", "x.bin"], "--mem '4096G'"),
    (["run", "-c", "255", "-k", "bz"], "--cpus '255'"),
    (["run", "--timeout", "0", "x.bin"], "--timeout '0'"),
    (["run", "--boot-marker", "ready", "x.bin"], "--boot-marker needs -k"),
    (["run", "--stats=xml", "x.bin"], "--stats=xml: the formats are table and json"),
    (["run", "--trace=io,bogus", "x.bin"], "unknown item 'bogus'"),
    (["run", "--serial", "tcp:1", "x.bin"], "--serial: 'tcp:1': not stdio"),
    (["run", "--serial", "pty", "a.bin", "b.bin"], "only one guest's console"),
    (["check", "--bogus"], "'check' takes --json and --help only"),
])
def test_bad_usage_is_status_2_with_the_likely_fix(lane, args, message):
    assert_one_line_error(lane.run(args), 2, message, "mini-kvm help")


@pytest.mark.parametrize("args, first, has", [
    (["help"], "usage: mini-kvm run [OPTIONS] [GUEST ...]", "usage: mini-kvm check [--json]"),
    (["help", "run"], "usage: mini-kvm run [OPTIONS] [GUEST ...]", "--trace-json FILE"),
    (["run", "--help"], "usage: mini-kvm run [OPTIONS] [GUEST ...]", "--serial WHERE"),
    (["help", "check"], "usage: mini-kvm check [--json]", "\"linux\": true/false"),
    (["check", "--help"], "usage: mini-kvm check [--json]", "--json"),
    (["version", "--help"], "usage: mini-kvm version", "version"),
])
def test_help_for_each_command(lane, args, first, has):
    r = lane.run(args)
    assert (r.status, r.err) == (0, ""), r
    assert r.out.splitlines()[0] == first, r.out
    assert has in r.out, r.out


def test_version_is_one_line(lane):
    r = lane.run(["version"])
    assert r.status == 0 and re.fullmatch(r"mini-kvm \S+\n", r.out), r


@pytest.mark.lanes("host")
def test_params_without_a_console_get_the_serial_one(lane):
    """-p without console= still gets one (console=ttyS0 is added), as -v shows before
    the guest runs (on any host: the command line is made before KVM is asked)."""
    def cmdline(params: str) -> str:
        r = lane.run(["run", "-v", "-k", lane.linux_kernel(), "-p", params, "--timeout", "1"],
                     timeout=30)
        m = re.search(r"command line '([^']*)'", r.err)
        assert m, r
        return m[1]

    assert cmdline("quiet panic=-1") == "pci=off quiet panic=-1 console=ttyS0"
    assert cmdline("console=tty0 quiet") == "pci=off console=tty0 quiet"
    assert cmdline("pci=nomsi quiet") == "pci=nomsi quiet console=ttyS0"


@pytest.mark.needs("long", "syscall", "int-gate", "irq-ring3")
@pytest.mark.slow
def test_linux_params_without_a_console_still_print(lane):
    from test_linux import DONE, run_linux

    r = run_linux(lane, "panic=-1 quiet mkvm.batch")
    assert r.status == 0, r
    assert f"{DONE} status 0" in r.out, r


# --- console -------------------------------------------------------------------------


@pytest.mark.needs("real")
def test_serial_file_and_console_log(lane):
    out = lane.put(b"", "serial.out")
    log = lane.put(b"", "console.log")
    r = lane.run(["run", "--serial", f"file:{out}", "--console-log", log,
                  lane.guest("hello.bin")])
    assert (r.status, r.out, r.err) == (0, "", ""), r
    assert lane.shell(f"cat {out}").out == "Hello, KVM!\n"
    assert lane.shell(f"cat {log}").out == "Hello, KVM!\n"


@pytest.mark.needs("real")
def test_console_log_of_several_guests_is_prefixed_and_unchanged(lane):
    log = lane.put(b"", "console.log")
    esc = lane.put(b"\xb0\x01\xb3\x1b\xba\x00\x05\xee\xb3\x0a\xee\xb0\x00\x66\x31\xdb\xee\xf4",
                   "esc.bin")
    r = lane.run(["run", "--console-log", log, lane.guest("hello.bin"), esc])
    assert r.status == 0, r
    lines = lane.shell(f"cat {log}").stdout.splitlines()
    assert sorted(lines) == [b"[1:hello] Hello, KVM!", b"[2:esc] \x1b"], lines


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_serial_unix_server_for_socat(lane, tmp_path):
    path = str(tmp_path / "console.sock")
    p = subprocess.Popen([str(lanes.BUILD / "mini-kvm"), "run", "--serial", f"unix:{path},server",
                          lane.guest("echo.bin")], stderr=subprocess.PIPE,
                         preexec_fn=lanes.default_signals)
    try:
        line = p.stderr.readline().decode()
        assert line == (f"mini-kvm: serial console: waiting for a connection on {path} "
                        f"(socat -,raw,echo=0 UNIX-CONNECT:{path})\n"), line
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            s.sendall(b"over the socket\n")
            s.shutdown(socket.SHUT_WR)
            got = b""
            while chunk := s.recv(4096):
                got += chunk
        assert got == b"over the socket\n"
        assert p.wait(timeout=10) == 0
        assert not os.path.exists(path)  # its socket file is removed
    finally:
        p.kill()
        p.wait()


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_serial_unix_client(lane, tmp_path):
    path = str(tmp_path / "listener.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen(1)
        p = subprocess.Popen([str(lanes.BUILD / "mini-kvm"), "run", "--serial", f"unix:{path}",
                              lane.guest("hello.bin")], preexec_fn=lanes.default_signals)
        conn, _ = listener.accept()
        with conn:
            got = b""
            while chunk := conn.recv(4096):
                got += chunk
        assert p.wait(timeout=10) == 0
    assert got == b"Hello, KVM!\n"


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_serial_pty_prints_its_name_and_carries_both_ways(lane):
    p = subprocess.Popen([str(lanes.BUILD / "mini-kvm"), "run", "-q", "--serial", "pty",
                          lane.guest("echo.bin")], stderr=subprocess.PIPE,
                         preexec_fn=lanes.default_signals)
    try:
        line = p.stderr.readline().decode()
        m = re.fullmatch(r"mini-kvm: serial console on (/dev/pts/\d+) \(screen \1, or "
                         r"minicom -D \1\)\n", line)
        assert m, line  # printed even with -q: the user needs it
        fd = os.open(m[1], os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, b"through the pty\n")
            got = b""
            deadline = time.monotonic() + 10
            while not got.endswith(b"\n") and time.monotonic() < deadline:
                got += os.read(fd, 100)
            assert got == b"through the pty\n"  # raw: no echo, no \r added
        finally:
            os.close(fd)
        p.send_signal(15)
        assert p.wait(timeout=10) == 128 + 15
    finally:
        p.kill()
        p.wait()


@pytest.mark.needs("real")
def test_ctrl_a_keys_work_for_every_guest_on_a_terminal(lane):
    """echo.bin reads lines on a terminal left cooked (it is no interactive guest):
    the hint says the keys, Ctrl-A h lists them, Ctrl-A x quits with status 0."""
    with lane.interactive(["run", lane.guest("echo.bin")], timeout=30) as p:
        p.expect_exact(b"mini-kvm: Ctrl-A x to quit, Ctrl-A h for help")
        p.sendline(b"hi")
        p.expect(b"hi\r\nhi\r\n")  # the terminal's echo, then the guest's
        p.send(b"\x01h")
        p.expect_exact(b"Ctrl-A x        quit: stop every guest (status 0)")
        p.expect_exact(b"Ctrl-A Ctrl-A   type Ctrl-A")
        p.sendline(b"still")
        p.expect(b"still\r\nstill\r\n")
        p.send(b"\x01x")
        assert p.wait() == 0


@pytest.mark.needs("real")
def test_ctrl_a_x_quits_a_guest_that_never_reads(lane):
    with lane.interactive(["run", lane.test_guest("spin.bin")], timeout=30) as p:
        p.expect_exact(b"Ctrl-A h for help")
        time.sleep(0.5)
        p.send(b"\x01x")
        assert p.wait() == 0


# --- machine-readable output ---------------------------------------------------------


@pytest.mark.needs("real")
def test_stats_json_has_the_table_figures(lane):
    guest = lane.test_guest("wild_io.bin")
    table = lane.run(["run", "--stats", guest])
    doc = lanes.parse_stats(lane.run(["run", "--stats=json", guest]).err)
    assert doc["mini_kvm_stats"] == 1
    g = lanes.stats_of(doc)
    assert (g["index"], g["name"], g["path"]) == (1, "wild_io", guest), g
    total = g["total"]
    m = re.search(r"stats: (\d+) exits in", table.err)
    assert m and int(m[1]) == total["exits"], (table.err, total)
    for reason in total["reasons"]:
        assert re.search(rf"^\s+{re.escape(reason['reason'])}\s+{reason['count']}\s", table.err,
                         re.M), (reason, table.err)
    for io in total["io"]:
        where = f"{io['access']} {io['addr']:#x}"
        device = "(unclaimed)" if io["unclaimed"] else io["device"]
        assert re.search(rf"^\s+{where}\s+{io['count']}\s.*{re.escape(device)}$", table.err,
                         re.M), (io, table.err)
    assert f"unclaimed accesses: {total['unclaimed']} " in table.err
    assert total["exits"] == sum(r["count"] for r in total["reasons"])
    assert total["run_ns"] == sum(r["run_ns"] for r in total["reasons"])
    assert g["vcpus"][0]["exits"] == total["exits"] and g["timeline"] is None


STARTUP_EVENTS = ["options parsed", "KVM opened", "threads started", "VM created", "guest loaded",
                  "first KVM_RUN", "last exit", "VM destroyed", "threads joined", "exit"]


@pytest.mark.needs("real")
def test_stats_has_the_start_up_timeline(lane):
    """--stats ends with the process's start-up timeline (main() to the first KVM_RUN, the
    last exit to exit()), every event once and in order; --stats=json has the same events."""
    table = lane.run(["run", "--stats", lane.guest("hello.bin")])
    assert table.status == 0, table
    text = table.err.split("start-up timeline (from main()):\n", 1)[1]
    rows = [re.match(r"^  (\S.*?)\s+(\d+\.\d{3})\s+(\d+\.\d{3})$", line)
            for line in text.splitlines()[1:]]
    assert all(rows), text
    assert [m[1] for m in rows] == STARTUP_EVENTS, text
    at = [float(m[2]) for m in rows]
    assert at == sorted(at) and at[-1] > 0, text
    doc = lanes.parse_stats(lane.run(["run", "--stats=json", lane.guest("hello.bin")]).err)
    events = doc["startup"]["events"]
    assert [e["event"] for e in events] == STARTUP_EVENTS, doc
    ns = [e["at_ns"] for e in events]
    assert ns == sorted(ns) and all(isinstance(n, int) for n in ns), doc


@pytest.mark.needs("real")
def test_stats_file_for_several_guests(lane):
    path = lane.put(b"", "stats.json")
    r = lane.run(["run", "--stats=json", "--stats-file", path, lane.guest("hello.bin"),
                  lane.guest("counter.bin")])
    assert r.status == 0 and r.err == "", r
    doc = json.loads(lane.shell(f"cat {path}").out)
    assert [g["name"] for g in doc["guests"]] == ["hello", "counter"], doc
    assert lanes.stats_of(doc, 2)["total"]["exits"] == 21  # 20 hypercalls and HLT


def test_check_json_says_what_check_says(lane):
    text = lane.run(["check"])
    r = lane.run(["check", "--json"])
    assert (r.status, r.err) == (0, ""), r
    doc = lanes.parse_check_json(r.out)
    assert set(doc["capabilities"]) == set(lanes.CAPABILITIES)
    text_caps = lanes.parse_capabilities(text.out)  # the text's detail is "what: why"
    assert {n: c[0] for n, c in doc["capabilities"].items()} == \
        {n: c[0] for n, c in text_caps.items()}
    for name, (_, detail) in doc["capabilities"].items():
        assert text_caps[name][1].endswith(detail), (name, detail, text_caps[name])
    assert f"host KVM is {doc['module']} (API {doc['api_version']}, up to {doc['max_vcpus']} " \
           "vCPUs)" in text.out
    caps = doc["capabilities"]
    linux = all(caps[n][0] for n in ("long", "syscall", "int-gate", "irq-ring3"))
    assert doc["linux"] is linux
    assert ("Linux guests (-k) run here" if linux else "Linux guests (-k) do not run here") \
        in text.out.splitlines()[-1]


@pytest.mark.needs("protected")
def test_quiet_and_verbose(lane):
    guest = lane.test_guest("mmio_flood.bin")
    args = ["-m", "2", "--mode", "protected", guest]
    assert lane.run(["run", "-q", *args]).err == ""
    r = lane.run(["run", "-v", *args])
    lines = r.err.splitlines()
    size = int(lane.shell(f"wc -c < {guest}").out)
    assert lines[0] == (f"mini-kvm: [1:mmio_flood] '{guest}': flat binary, protected mode "
                        f"(--mode), 1 segment ({size} bytes) in 0x1000-{0x1000 + size:#x}, entry "
                        "0x1000; 2 MiB of RAM, 1 vCPU"), r
    assert lines[1].startswith(f"mini-kvm: warning: guest '{guest}': 1000 accesses"), r
    assert re.fullmatch(rf"mini-kvm: guest '{re.escape(guest)}': exited \(HC_EXIT\) after "
                        r"[\d.]+ ms and 1001 VM exits", lines[2]), r


@pytest.mark.needs("real")
def test_trace_filters(lane):
    counter = lane.guest("counter.bin")
    other = lane.run(["run", "--trace=other", counter]).err.splitlines()
    assert len(other) == 1 and re.fullmatch(r"\[1:counter\] vcpu0 HLT rip=0x[0-9a-f]+", other[0])
    hello = lane.run(["run", "--trace=mmio,port=0x3f8-0x3ff", lane.guest("hello.bin")])
    lines = hello.err.splitlines()
    assert lines and all(" IO " in line and ("0x3f8 " in line or "0x3fd " in line)
                         for line in lines), hello.err
    assert lane.run(["run", "--trace=mmio", counter]).err == ""


@pytest.mark.needs("real")
def test_trace_file(lane):
    path = lane.put(b"", "trace.log")
    r = lane.run(["run", "--trace-file", path, lane.guest("counter.bin")])
    assert r.status == 0 and r.err == "", r
    lines = lane.shell(f"cat {path}").out.splitlines()
    assert len(lines) == 21 and lines[-1].startswith("[1:counter] vcpu0 HLT"), lines


@pytest.mark.needs("real")
def test_trace_never_splits_a_guest_line(lane):
    """stderr on stdout's file (2>&1): counter.bin prints "N" and "\\n" with a hypercall
    each, so each number's trace line comes while its line is open; it must wait."""
    r = lane.shell(f"{lane.vmm_binary()} run --trace {lane.guest('counter.bin')} 2>&1")
    assert r.status == 0, r
    lines = r.out.splitlines()
    digits = [line for line in lines if not line.startswith("[1:counter] ")]
    assert digits == [str(i) for i in range(10)], lines
    assert len(lines) == 31, lines


@pytest.mark.lanes("host")
@pytest.mark.needs("real")
def test_trace_never_splits_a_guest_line_on_a_terminal(lane):
    with lane.interactive(["run", "--trace=port=0x500", lane.guest("counter.bin")],
                          timeout=30) as p:
        assert p.wait() == 0
        seen = p.seen().decode()
    digits = [line for line in seen.replace("\r", "").splitlines()
              if not line.startswith(("[1:counter] ", "mini-kvm: "))]
    assert digits == [str(i) for i in range(10)], seen


# --- --trace-json --------------------------------------------------------------------

# The Trace Event Format's phases used here, and the keys each event must have.
_EVENT_KEYS = {"X": {"name", "ph", "pid", "tid", "ts", "dur"},
               "i": {"name", "ph", "pid", "tid", "ts", "s"},
               "M": {"name", "ph", "pid", "tid", "args"}}


def validate_trace_events(doc: dict) -> list[dict]:
    """Check doc against the Trace Event Format (the JSON object form): traceEvents, a
    list of events, each with the keys of its phase, numbers where numbers go, complete
    events of one thread in order and not overlapping. Returns the events."""
    assert set(doc) >= {"traceEvents"} and doc.get("displayTimeUnit", "ms") in ("ms", "ns")
    events = doc["traceEvents"]
    assert isinstance(events, list) and events
    last_end: dict[tuple[int, int], float] = {}
    for e in events:
        assert e["ph"] in _EVENT_KEYS, e
        assert _EVENT_KEYS[e["ph"]] <= set(e), e
        assert isinstance(e["name"], str) and isinstance(e["pid"], int) \
            and isinstance(e["tid"], int), e
        if e["ph"] == "M":
            assert e["name"] in ("process_name", "thread_name") and "name" in e["args"], e
            continue
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if e["ph"] == "i":
            assert e["s"] in ("g", "p", "t"), e
            continue
        assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
        key = (e["pid"], e["tid"])
        assert e["ts"] >= last_end.get(key, 0) - 0.0005, ("overlap", e)
        last_end[key] = e["ts"] + e["dur"]
    return events


def ns(us: float) -> int:
    """A trace time (microseconds, to the nanosecond) back in nanoseconds."""
    return round(us * 1000)


@pytest.mark.needs("real")
def test_trace_json_is_a_trace_and_adds_up_to_stats(lane):
    trace = lane.put(b"", "run.json")
    r = lane.run(["run", "--trace-json", trace, "--stats=json", lane.guest("multiplication.bin"),
                  lane.guest("counter.bin")])
    assert r.status == 0, r
    events = validate_trace_events(json.loads(lane.shell(f"cat {trace}").out))
    stats = lanes.parse_stats(r.err)
    for guest in stats["guests"]:
        pid = guest["index"]
        mine = [e for e in events if e["pid"] == pid]
        names = {e["args"]["name"] for e in mine if e["ph"] == "M"}
        assert names == {f"[{pid}:{guest['name']}]", "vCPU 0"}, names
        runs = [e for e in mine if e["ph"] == "X" and e.get("cat") == "run"]
        exits = [e for e in mine if e["ph"] == "X" and e.get("cat") == "exit"]
        total = guest["total"]
        assert len(runs) == len(exits) == total["exits"], (len(runs), total)
        assert sum(ns(e["dur"]) for e in runs) == total["run_ns"]
        assert sum(ns(e["dur"]) for e in exits) == total["vmm_ns"]
        for reason in total["reasons"]:
            mine_r = [e for e in exits if e["args"]["reason"] == reason["reason"]]
            assert len(mine_r) == reason["count"], reason
            assert sum(ns(e["dur"]) for e in mine_r) == reason["vmm_ns"], reason
        for io in total["io"]:
            port = [e for e in exits if e["args"].get("port") == f"{io['addr']:#x}"
                    and e["args"]["access"] == io["access"]]
            assert sum(e["args"]["count"] for e in port) == io["count"], io
        assert exits[0]["name"] == "IO out 0x500" and exits[0]["args"]["device"] == "hypercall"
        instants = {e["name"] for e in mine if e["ph"] == "i"}
        assert {"first KVM_RUN", "end"} <= instants, instants


# --- read-only disks -----------------------------------------------------------------


def test_read_only_disk_refuses_writes_with_erofs(lane):
    disk = lane.put(b"hello from the host disk".ljust(4 * SECTOR, b"\0"), "ro.img")
    assert lane.shell(f"chmod 444 {disk}").status == 0  # mini-kvm may not write it at all
    r = lane.run(["run", "--mode", "protected", "--disk", f"{disk},ro",
                  lane.test_guest("disk.bin")])
    assert r.status == GUEST_DIED, r  # disk.bin ends in a triple fault on purpose
    lines = r.out.splitlines()
    assert lines[:4] == ["4", "hello from the host disk", str(EROFS), str(EROFS)], r
    sector1 = lane.shell(f"dd if={disk} bs={SECTOR} skip=1 count=1 2>/dev/null | tr -d '\\000'")
    assert sector1.out == "", sector1
