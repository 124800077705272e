# SPDX-License-Identifier: MIT
"""Classic PC guests end to end (docs/usage.md, "Classic PC kernels"): boot sectors
from an ATA disk with no BIOS, the no-BIOS diagnosis, Multiboot kernels, a two-CPU bare
kernel started through the MP table and INIT/SIPI, the debug console, isa-debug-exit,
--vga-text; and, where 32-bit paging runs (the nested lane), tk: a classic 32-bit SMP
teaching kernel (tests/guests/pc/tk/) that boots from its boot sector or by Multiboot,
reads its file system from the IDE slave disk and runs to its shell on 2 vCPUs.

The guests exit through isa-debug-exit at 0xf4 with value 0x10: status 0x21."""

import pytest

DEBUG_EXIT = ["--debug-exit", "0xf4"]
EXIT_OK = 0x21  # (0x10 << 1) | 1
GUEST_DIED = 3
SECTOR = 512


def boot_sector(code: bytes) -> bytes:
    """A 512-byte boot sector holding real-mode code at 0x7c00, signature last."""
    assert len(code) <= 510
    return code.ljust(510, b"\0") + b"\x55\xaa"


def out_lines(r) -> list[str]:
    return r.out.replace("\r", "").splitlines()


# Real-mode machine code for the boot sectors built here (Intel SDM 2, opcode map).
MOV_AL = b"\xb0"          # mov $imm8, %al
OUT_AL = b"\xe6"          # out %al, $imm8
HLT = b"\xf4"


def out_byte(port: int, value: int) -> bytes:
    return MOV_AL + bytes([value]) + OUT_AL + bytes([port])


EXIT_CODE = out_byte(0xf4, 0x10) + HLT


@pytest.mark.needs("real")
def test_boot_sector_reads_its_second_stage_over_ata(lane):
    r = lane.run(["run", "--ata", lane.test_guest("bs-ata.img"), "--boot-disk", *DEBUG_EXIT],
                 timeout=60)
    assert r.status == EXIT_OK, r
    assert out_lines(r) == ["boot: stage 1", "boot: stage 2 read over ATA"], r


@pytest.mark.needs("real")
def test_a_guest_misusing_the_ata_drive_gets_its_error_bits(lane):
    r = lane.run(["run", "--ata", lane.test_guest("bs-ata-err.img") + ",ro", "--boot-disk",
                  *DEBUG_EXIT], timeout=60)
    assert r.status == EXIT_OK, r
    # status DRDY|DSC|ERR, then the error register (ATA/ATAPI-6 7.9, 7.15).
    assert out_lines(r) == [
        "51 10",  # READ SECTORS beyond the disk: IDNF
        "51 04",  # an unknown command: ABRT
        "51 04",  # WRITE SECTORS to a read-only disk: ABRT
        "51 04",  # the data port with no command: ignored, nothing changes
    ], r


@pytest.mark.needs("real")
def test_boot_sector_calling_the_bios_is_diagnosed(lane):
    disk = lane.put(boot_sector(b"\xb4\x02\xcd\x13" + HLT), "int13.img")  # mov $2, %ah; int $0x13
    r = lane.run(["run", "--ata", disk, "--boot-disk"], timeout=60)
    assert r.status == GUEST_DIED, r
    assert "INT 13h called at 0000:7C02, but there is no BIOS" in r.err, r.err
    assert "disk: use ATA PIO ports 0x1F0-0x1F7" in r.err and "AH was 02h" in r.err, r.err
    assert "vCPU 0 registers (real mode" in r.err, r.err  # the dump follows


@pytest.mark.needs("real")
def test_debug_console_and_debug_exit(lane):
    code = b"".join(out_byte(0xe9, c) for c in b"e9\n") + out_byte(0xf4, 0x2a) + HLT
    r = lane.run(["run", "--ata", lane.put(boot_sector(code), "e9.img"), "--boot-disk",
                  *DEBUG_EXIT], timeout=60)
    assert r.status == (0x2a << 1 | 1) & 0xff, r
    assert r.out == "e9\n", r


@pytest.mark.needs("real")
def test_vga_text_renders_the_screen_of_a_guest_without_serial_output(lane):
    # mov $0xb800, %ax; mov %ax, %ds; movw $0x0748, 0; movw $0x0769, 2: "Hi" on the screen
    code = (b"\xb8\x00\xb8\x8e\xd8" + b"\xc7\x06\x00\x00\x48\x07" + b"\xc7\x06\x02\x00\x69\x07"
            + EXIT_CODE)
    r = lane.run(["run", "--irqchip", "--vga-text", "--ata", lane.put(boot_sector(code), "vga.img"),
                  "--boot-disk", *DEBUG_EXIT], timeout=60)
    assert r.status == EXIT_OK, r
    assert r.out == "Hi\n", r


@pytest.mark.needs("protected")
def test_multiboot_kernel_gets_its_memory_map_command_line_and_module(lane):
    module = lane.put(b"module-data\n", "module.txt")
    r = lane.run(["run", "-k", lane.test_guest("mb-info.elf"), "-p", "console=ttyS0 tk=1",
                  "-i", module, "-m", "64", *DEBUG_EXIT], timeout=60)
    assert r.status == EXIT_OK, r
    assert out_lines(r) == [
        "multiboot: magic ok",
        "mem: lower 639 KiB, upper 64512 KiB",
        "mmap: 0x00000000-0x0009fbff type 1",
        "mmap: 0x0009fc00-0x0009ffff type 2",
        "mmap: 0x000e0000-0x000fffff type 2",
        "mmap: 0x00100000-0x03ffffff type 1",
        "cmdline: 'console=ttyS0 tk=1'",
        "loader: mini-kvm",
        f"module 0: 12 bytes, '{module}', starts 'module-data'",
    ], r


@pytest.mark.needs("protected")
def test_a_guest_with_a_multiboot_header_boots_by_it(lane):
    r = lane.run(["run", "-m", "64", *DEBUG_EXIT, lane.test_guest("mb-info.elf")], timeout=60)
    assert r.status == EXIT_OK, r
    assert "cmdline: ''" in out_lines(r) and "multiboot: magic ok" in out_lines(r), r


@pytest.mark.needs("protected")
def test_two_cpu_bare_kernel_starts_its_ap_through_the_mp_table(lane):
    r = lane.run(["run", "--irqchip", "-c", "2", *DEBUG_EXIT, lane.test_guest("smp.elf")],
                 timeout=60)
    assert r.status == EXIT_OK, r
    assert out_lines(r) == [
        "smp: MP table at 0xf0000: 2 cpus, BSP APIC 0, I/O APIC 2 at 0xfec00000",
        "smp: BSP is APIC 0",
        "smp: AP 1 is up (CPUID APIC ID 1)",
        "smp: 2 of 2 cpus running",
    ], r


@pytest.mark.needs("protected")
def test_a_death_before_any_exit_gets_a_hint(lane):
    """Issue 16's kernel died "with no output and no hint of why": a bare guest whose first
    VM exit is its triple fault is told what that usually is."""
    r = lane.run(["run", "--mode", "protected", lane.put(b"\x0f\x0b", "ud2.bin")], timeout=60)
    assert r.status == GUEST_DIED, r
    assert "died before its first port or device access" in r.err, r.err
    assert "this host's KVM" not in r.err, r.err


# --- 32-bit paging: the nested lane ------------------------------------------------------


@pytest.mark.needs("paging")
def test_boot_sector_turns_on_pse_paging_itself(lane):
    r = lane.run(["run", "--ata", lane.test_guest("bs-pse.img"), "--boot-disk", *DEBUG_EXIT],
                 timeout=60)
    assert r.status == EXIT_OK, r
    assert out_lines(r) == ["pse: paging on, alias ok"], r


TK_INPUT = b"ls\ncat hello.txt\ncpus\nmem\nhalt\n"
TK_SHELL = [
    "$ ls", "hello.txt 30", "numbers.txt 1800",
    "$ cat hello.txt", "hello from the IDE slave disk",
    "$ cpus", "2 cpus running",
    "$ mem", "256 MiB",
    "$ halt", "tk: bye",
]


def tk_transcript(r) -> list[str]:
    assert r.status == EXIT_OK, r
    return out_lines(r)


def run_tk(lane, *how):
    return lane.run(["run", "--irqchip", "-c", "2", "-m", "256", *DEBUG_EXIT,
                     "--ata", lane.test_guest("tk-disk0.img"),
                     "--ata", lane.test_guest("tk-fs.img") + ",ro", *how],
                    stdin=TK_INPUT, timeout=120)


# tk runs on 2 vCPUs: like Linux SMP guests, in the nested1 lane, whose L1 has one vCPU
# (QEMU 7.2's emulated SVM stalls SMP guests in a 2-vCPU L1, lanes.NESTED_LANES).
@pytest.mark.lanes("host", "nested1")
@pytest.mark.needs("paging")
@pytest.mark.slow
def test_teaching_kernel_boots_from_its_boot_sector_to_its_shell(lane):
    lines = tk_transcript(run_tk(lane, "--boot-disk"))
    assert lines[:4] == ["tk: booting", "ide: disk 1: 14 sectors",
                         "tk: 2 of 2 cpus started, I/O APIC 2", "tk: fs: 2 files"], lines
    assert lines[4:] == TK_SHELL, lines


@pytest.mark.lanes("host", "nested1")
@pytest.mark.needs("paging")
@pytest.mark.slow
def test_teaching_kernel_by_multiboot_gives_the_same_result(lane):
    by_sector = tk_transcript(run_tk(lane, "--boot-disk"))
    by_multiboot = tk_transcript(run_tk(lane, "-k", lane.test_guest("tk.elf")))
    assert by_multiboot == by_sector


@pytest.mark.lanes("host", "nested1")
@pytest.mark.needs("paging")
def test_elf_kernel_with_its_own_pse_paging_in_protected_mode(lane):
    """The reported bug: a 32-bit ELF kernel that turns on its own 4 MiB-page paging,
    loaded with --mode protected --irqchip -m 256, triple-faulted before its first port
    access (docs/usage.md, "Classic PC kernels")."""
    lines = tk_transcript(run_tk(lane, "--mode", "protected", lane.test_guest("tk.elf")))
    assert lines[4:] == TK_SHELL, lines
