# SPDX-License-Identifier: MIT
"""Installing mini-kvm as a Debian tool: make install into a DESTDIR (binary, man page,
bash completion) and make uninstall; the man page and the completion name every option
of `mini-kvm help`; plain `make` needs no test dependency; the -Werror policy; the
version string; install-deps.sh's sets. No KVM needed: these run once, in no lane."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import lanes

REPO = lanes.REPO_ROOT
MAN_PAGE = REPO / "man" / "mini-kvm.1"
COMPLETION = REPO / "completion" / "mini-kvm.bash"
PREFIX = "/usr/local"
INSTALLED = {
    "bin/mini-kvm": 0o755,
    "share/man/man1/mini-kvm.1": 0o644,
    "share/bash-completion/completions/mini-kvm": 0o644,
}


def make(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """make in the tree with the flags build/ was built with, so nothing is rebuilt."""
    stamp = lanes.BUILD / "flags"
    werror = "1" if stamp.exists() and "-Werror" in stamp.read_text() else "0"
    return subprocess.run(["make", "-s", f"WERROR={werror}", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def usage_options() -> set[str]:
    """Every option `mini-kvm help` names: --long ones and -x short ones."""
    text = subprocess.run([str(lanes.BUILD / "mini-kvm"), "help"], capture_output=True,
                          text=True, check=True).stdout
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])", text))
    options |= set(re.findall(r"^\s+(-[a-zA-Z]), --", text, re.M))
    assert {"--kernel", "--stats", "--trace-json", "-k", "-q", "--json"} <= options, options
    return options


def test_install_into_destdir_then_uninstall(tmp_path):
    dest = tmp_path / "root"
    r = make("install", f"DESTDIR={dest}", f"PREFIX={PREFIX}")
    assert r.returncode == 0, r
    root = dest / PREFIX.lstrip("/")
    found = {str(p.relative_to(root)): p.stat().st_mode & 0o777
             for p in root.rglob("*") if p.is_file()}
    assert found == INSTALLED, found

    version = subprocess.run([str(root / "bin/mini-kvm"), "version"], capture_output=True,
                             text=True)
    assert version.returncode == 0 and version.stdout.startswith("mini-kvm "), version

    man = subprocess.run(["man", "--warnings", "-l", str(root / "share/man/man1/mini-kvm.1")],
                         capture_output=True, text=True, env={"MANWIDTH": "80", "PATH":
                                                              "/usr/bin:/bin"})
    assert man.returncode == 0 and man.stderr == "", man
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "OPTIONS", "KEYS", "HYPERCALLS",
                    "EXIT STATUS", "EXAMPLES"):
        assert re.search(rf"^{section}$", man.stdout, re.M), section

    comp = root / "share/bash-completion/completions/mini-kvm"
    sourced = subprocess.run(["bash", "-c", f"source '{comp}'; complete -p mini-kvm"],
                             capture_output=True, text=True)
    assert (sourced.returncode, sourced.stdout.strip()) == (0, "complete -F _mini_kvm mini-kvm"), \
        sourced

    r = make("uninstall", f"DESTDIR={dest}", f"PREFIX={PREFIX}")
    assert r.returncode == 0, r
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_man_page_names_every_option_and_command():
    """A new option in the usage text fails this until the man page has it too."""
    roff = MAN_PAGE.read_text()
    text = roff.replace("\\-", "-")
    missing = sorted(o for o in usage_options() if not re.search(rf"(?<![\w-]){o}(?![\w-])",
                                                                   text))
    assert missing == [], f"options of `mini-kvm help` missing from {MAN_PAGE}: {missing}"
    for command in ("run", "check", "version", "help"):
        assert re.search(rf"^\.BI? \"?{command}\b", roff, re.M), command


def test_readme_names_every_option():
    readme = (REPO / "README.md").read_text()
    missing = sorted(o for o in usage_options()
                     if not re.search(rf"(?<![\w-]){o}(?![\w-])", readme))
    assert missing == [], f"options of `mini-kvm help` missing from README.md: {missing}"


def test_man_page_renders_without_groff_warnings():
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(MAN_PAGE)],
                       capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (0, ""), r


def test_completion_names_every_option():
    script = COMPLETION.read_text()
    missing = sorted(o for o in usage_options() - {"--json"}
                     if not re.search(rf"(?<![\w-]){o}(?![\w-])", script))
    assert missing == [], f"options of `mini-kvm help` missing from {COMPLETION}: {missing}"


@pytest.mark.parametrize("words, cword, want", [
    (["mini-kvm", "ch"], 1, ["check"]),
    (["mini-kvm", "help", "v"], 2, ["version"]),
    (["mini-kvm", "check", "--j"], 2, ["--json"]),
    (["mini-kvm", "run", "--trace-j"], 2, ["--trace-json"]),
    (["mini-kvm", "run", "--mode", "p"], 3, ["protected", "paging"]),
    (["mini-kvm", "run", "--serial", "u"], 3, ["unix:"]),
    (["mini-kvm", "run", "--stats", "=", "j"], 4, ["json"]),
    (["mini-kvm", "run", "--trace", "=", "io,m"], 4, ["io,mmio"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_completion_completes(words, cword, want):
    """As bash calls it (without bash-completion, "=" is a word of its own)."""
    script = (f"source '{COMPLETION}'; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
              f"COMP_CWORD={cword}; _mini_kvm; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.split() == want, r


def test_plain_make_needs_only_a_c_toolchain():
    """`make` (all) builds nothing that needs cmocka, pytest, QEMU or gnuplot: the unit
    tests and bench programs belong to make check and make bench."""
    r = make("-n", "-B", "all")
    assert r.returncode == 0, r
    assert "cmocka" not in r.stdout and "build/unit/" not in r.stdout, r.stdout[-2000:]
    assert "build/bench/" not in r.stdout
    assert "build/mini-kvm-static" in r.stdout and "build/guests/" in r.stdout


@pytest.mark.parametrize("args, env, werror", [
    ([], {}, False),
    (["WERROR=1"], {}, True),
    ([], {"CI": "true"}, True),
    (["WERROR=0"], {"CI": "true"}, False),
    (["unit-build"], {}, True),
])
def test_werror_policy(args, env, werror):
    """-Werror in CI, on the development goals and with WERROR=1; never in a user's
    plain make (docs/install.md, "Warnings")."""
    r = subprocess.run(["make", "-n", "-B", *args, "build/obj/src/bus.o"], cwd=REPO,
                       capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env})
    assert r.returncode == 0, r
    line = next(line for line in r.stdout.splitlines() if "-c src/bus.c" in line)
    assert ("-Werror" in line.split()) is werror, line


def test_version_from_git_describe_or_the_fallback(tmp_path):
    built = (lanes.BUILD / "version").read_text().strip()
    r = subprocess.run([str(lanes.BUILD / "mini-kvm"), "version"], capture_output=True,
                       text=True)
    assert r.stdout == f"mini-kvm {built}\n", r
    if (REPO / ".git").exists() and shutil.which("git"):
        assert re.fullmatch(r"[\w.+-]*?(g?[0-9a-f]{7,})?(-dirty)?", built), built
    # A tree without .git (a release tarball) gets the fixed fallback.
    tree = tmp_path / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True)
    if archive.returncode != 0:
        pytest.skip("no git to make a tarball with")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    r = subprocess.run(["make", "-s", "build/version"], cwd=tree, capture_output=True, text=True)
    assert r.returncode == 0, r
    fallback = re.search(r"^VERSION_FALLBACK := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert (tree / "build" / "version").read_text().strip() == fallback[1]


def test_install_deps_sets():
    def packages(*args: str) -> list[str]:
        r = subprocess.run([str(REPO / "scripts" / "install-deps.sh"), "--list", *args],
                           capture_output=True, text=True)
        assert r.returncode == 0, r
        return r.stdout.split()

    runtime, test = packages("--runtime"), packages("--test")
    assert runtime == ["build-essential", "cpio", "gzip"], runtime
    assert set(runtime) < set(test) and packages() == test
    for needed in ("libcmocka-dev", "python3-pytest", "python3-pexpect", "qemu-system-x86",
                   "man-db", "gnuplot-nox"):
        assert needed in test, test
    bad = subprocess.run([str(REPO / "scripts" / "install-deps.sh"), "--bogus"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown argument '--bogus'" in bad.stderr, bad
