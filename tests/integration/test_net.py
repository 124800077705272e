# SPDX-License-Identifier: MIT
"""virtio-net end to end (nested lane: stock Linux boots there). One boot on --net user:
the guest gets 10.0.2.15 by DHCP, fetches a file from an HTTP server on L1's loopback
through the gateway 10.0.2.2 (checksum compared), and L1 reaches a server in the guest
through hostfwd. One boot on --net tap inside a network namespace the test makes: ping
and TCP both ways. Traffic stays on L1's loopback and in that namespace.
"""

import os
import re
import secrets
import shlex
import shutil
import subprocess

import pexpect
import pytest

import lanes
from test_bad_input import assert_one_line_error
from test_linux import (LINUX_NEEDS, PARAMS, PROMPT, READY, RETRIES_AFTER_STALL, STALL_TIMEOUT,
                        BOOT_TIMEOUT, STEP_TIMEOUT, expect, linux_args, retry_after_stall,
                        shell_command, stalled,
                        tail)

PAYLOAD_SIZE = 256 * 1024
L1_HTTP_PORT, GUEST_HTTP_PORT, FWD_PORT = 8081, 8083, 8082
WWW = "/tmp/net-www"
TAP, TAP_HOST, TAP_GUEST = "mkvm0", "10.1.0.1", "10.1.0.2"
# DHCP or the static address takes a moment after the boot: wget retried for this long.
NET_TIMEOUT = 60


def boot(lane, cmd_prefix: list[str], params: str, *extra: str):
    """A Linux boot at its first prompt (a stall retried as test_linux does)."""
    attempt = 0
    while True:
        cmd = shlex.join(["exec", *cmd_prefix, lane.vmm_binary(),
                          *linux_args(lane, params, *extra)])
        p = lane.shell_interactive(cmd, timeout=BOOT_TIMEOUT)
        retry = attempt < RETRIES_AFTER_STALL.get(lane.name, 0)
        try:
            p.expect(re.escape(READY.encode()), timeout=STALL_TIMEOUT if retry else BOOT_TIMEOUT)
            p.expect(re.escape(PROMPT.encode()), timeout=STEP_TIMEOUT)
            return p
        except pexpect.TIMEOUT:
            seen = tail(p.seen())
            p.close()
            if not stalled(lane, attempt, "no prompt in time", seen):
                pytest.fail(f"no prompt in time; the console showed:\n{seen}", pytrace=False)
        except pexpect.EOF:
            pytest.fail(f"mini-kvm ended with status {p.wait()} before the prompt; the "
                        f"console showed:\n{tail(p.seen())}", pytrace=False)
        attempt += 1


def serve_payload(lane) -> str:
    """A random file in WWW served by busybox httpd; returns its md5."""
    data = secrets.token_bytes(PAYLOAD_SIZE)
    src = lane.put(data, "net-payload")
    r = lane.shell(f"mkdir -p {WWW} && cp {src} {WWW}/payload && md5sum < {WWW}/payload")
    assert r.status == 0, r
    return r.out.split()[0]


def guest_serves(p, token: str) -> None:
    shell_command(p, f"mkdir -p /srv && echo {token} > /srv/back && "
                     f"httpd -p {GUEST_HTTP_PORT} -h /srv && echo served", rb"served",
                  "the guest's httpd started")


def guest_fetch_md5(p, url: str, md5: str) -> None:
    shell_command(p, f"for i in $(seq {NET_TIMEOUT}); do wget -q -O /tmp/got {url} && break;"
                     f" sleep 1; done; md5sum < /tmp/got",
                  re.escape(md5.encode()) + rb"\s+-", f"the md5 of {url}")


def poweroff(p) -> None:
    p.sendline(b"exit")
    expect(p, pexpect.EOF, "end of mini-kvm after exit")
    assert p.wait(STEP_TIMEOUT) == 0


@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_net_user_dhcp_download_and_hostfwd(lane):
    if lane.name == "host":
        pytest.skip("the Linux guest runs in the nested lane")
    token = f"back-{secrets.token_hex(4)}"
    assert lane.shell("ip link set lo up").status == 0
    md5 = serve_payload(lane)
    lane.shell(f"httpd -p 127.0.0.1:{L1_HTTP_PORT} -h {WWW}")
    try:
        def session():
            p = boot(lane, [], PARAMS + " quiet", "--net",
                     f"user,hostfwd=tcp::{FWD_PORT}-:{GUEST_HTTP_PORT}")
            with p:
                shell_command(p, "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'",
                              rb"inet 10\.0\.2\.15", "the DHCP address 10.0.2.15")
                shell_command(p, "cat /sys/class/net/eth0/address", rb"02:4d:4b:00:00:01",
                              "the default MAC of guest 1")
                guest_fetch_md5(p, f"http://10.0.2.2:{L1_HTTP_PORT}/payload", md5)
                guest_serves(p, token)
                r = lane.shell(f"wget -q -O - http://127.0.0.1:{FWD_PORT}/back", timeout=30)
                assert r.status == 0 and r.out.strip() == token, r
                poweroff(p)
        retry_after_stall(lane, session)
    finally:
        lane.shell("killall httpd")


@pytest.mark.needs(*LINUX_NEEDS)
@pytest.mark.slow
def test_net_tap_ping_and_tcp_both_ways(lane):
    if lane.name == "host":
        pytest.skip("the Linux guest runs in the nested lane")
    token = f"tap-{secrets.token_hex(4)}"
    md5 = serve_payload(lane)
    # A network namespace of the test's own, held by a sleeping process.
    # setsid: the holder outlives the shell command that starts it.
    r = lane.shell("setsid unshare -n sleep 600 </dev/null >/dev/null 2>&1 & pid=$!; "
                   "for i in $(seq 50); do [ \"$(readlink /proc/$pid/ns/net)\" != "
                   "\"$(readlink /proc/self/ns/net)\" ] && break; sleep 0.1; done; echo $pid")
    assert r.status == 0, r
    pid = r.out.strip()
    ns = ["nsenter", "-t", pid, "-n"]
    nsx = shlex.join(ns)
    try:
        r = lane.shell(f"{nsx} sh -c 'ip link set lo up && tunctl -t {TAP} >/dev/null && "
                       f"ip addr add {TAP_HOST}/24 dev {TAP} && ip link set {TAP} up && "
                       f"httpd -p {TAP_HOST}:{L1_HTTP_PORT} -h {WWW}'")
        assert r.status == 0, r
        def session():
            p = boot(lane, ns, PARAMS + f" quiet mkvm.ip={TAP_GUEST}/24", "--net",
                     f"tap,ifname={TAP}")
            with p:
                shell_command(p, f"ping -c 1 -W 10 {TAP_HOST} | grep -o '1 packets received'",
                              rb"1 packets received", "a ping reply from the tap's host side")
                guest_fetch_md5(p, f"http://{TAP_HOST}:{L1_HTTP_PORT}/payload", md5)
                guest_serves(p, token)
                r = lane.shell(f"{nsx} ping -c 1 -W 10 {TAP_GUEST}", timeout=30)
                assert r.status == 0, r
                r = lane.shell(f"{nsx} wget -q -O - http://{TAP_GUEST}:{GUEST_HTTP_PORT}/back",
                               timeout=30)
                assert r.status == 0 and r.out.strip() == token, r
                poweroff(p)
        retry_after_stall(lane, session)
    finally:
        lane.shell(f"kill {pid}")



# --- refusals: one line each, before the guest runs (host lane: no Linux boot needed) ---

def _host_only(lane):
    if lane.name != "host":
        pytest.skip("a refusal: the host lane shows it")


def test_net_tap_without_cap_net_admin_says_so(lane):
    """Without CAP_NET_ADMIN (capsh drops it), --net tap is one line naming it."""
    _host_only(lane)
    if not shutil.which("capsh") or os.geteuid() != 0:
        pytest.skip("needs root and capsh to drop CAP_NET_ADMIN")
    cmd = shlex.join([str(lanes.BUILD / "mini-kvm"), "run", "-k", lane.linux_kernel(),
                      "-i", lane.linux_initrd(), "--net", "tap"])
    p = subprocess.run(["capsh", "--drop=cap_net_admin", "--", "-c", cmd],
                       capture_output=True, text=True, timeout=60)
    assert_one_line_error(lanes.Result(p.returncode, p.stdout.encode(), p.stderr.encode()),
                          1, "--net tap: creating a tap device needs CAP_NET_ADMIN")


def test_static_twin_has_no_net_user(lane):
    _host_only(lane)
    p = subprocess.run([str(lanes.BUILD / "mini-kvm-static"), "run", "-k",
                        lane.linux_kernel(), "-i", lane.linux_initrd(), "--net", "user"],
                       capture_output=True, text=True, timeout=60)
    assert_one_line_error(lanes.Result(p.returncode, p.stdout.encode(), p.stderr.encode()),
                          1, "--net user: this mini-kvm was built without libslirp")


@pytest.mark.parametrize("arg, message", [
    ("bogus", "the network is 'user' (libslirp) or 'tap'"),
    ("user,mac=01:00:00:00:00:01", "a multicast address"),
    ("user,hostfwd=tcp::99999-:80", "'99999' is not a port number"),
    ("tap,hostfwd=tcp::8080-:80", "unknown option 'hostfwd=tcp::8080-:80'"),
])
def test_bad_net_argument_is_usage(lane, arg, message):
    _host_only(lane)
    r = lane.run(["run", "-k", lane.linux_kernel(), "--net", arg])
    assert_one_line_error(r, 2, message)
