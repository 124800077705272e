#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz_elf, fuzz_bzimage, fuzz_options, fuzz_exit and fuzz_serial.

Usage: fuzz/make-seeds.py   (from anywhere; rewrites fuzz/corpus/{elf,bzimage,options,exit,serial}/)

Each seed is a small, valid-looking input that reaches deep into its parser: the fuzzer
mutates from there. The formats are those the fuzz_*.c files describe in their headers.
"""

import struct
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

# ELF (System V gABI; ELF-64 Object File Format 1.5)
ET_EXEC, EM_386, EM_X86_64, PT_LOAD, PT_NOTE = 2, 3, 62, 1, 4


def elf64(phdrs, entry=0x100000, body=b"\xf4" * 16):
    """An ELF64 executable: header, program headers (type, offset, vaddr, paddr, filesz,
    memsz), then body at offset 0x100."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh = ident + struct.pack("<HHIQQQIHHHHHH", ET_EXEC, EM_X86_64, 1, entry, 64, 0, 0, 64,
                             56, len(phdrs), 64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", t, 5, off, va, pa, fs, ms, 0x1000)
                  for t, off, va, pa, fs, ms in phdrs)
    head = eh + ph
    return head + bytes(0x100 - len(head)) + body


def elf32(phdrs, entry=0x100000, body=b"\xf4" * 16):
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    eh = ident + struct.pack("<HHIIIIIHHHHHH", ET_EXEC, EM_386, 1, entry, 52, 0, 0, 52, 32,
                             len(phdrs), 40, 0, 0)
    ph = b"".join(struct.pack("<IIIIIIII", t, off, va, pa, fs, ms, 5, 0x1000)
                  for t, off, va, pa, fs, ms in phdrs)
    head = eh + ph
    return head + bytes(0x100 - len(head)) + body


def elf_seeds():
    return {
        "elf64-one-load": elf64([(PT_LOAD, 0x100, 0x100000, 0x100000, 16, 0x2000)]),
        "elf64-load-note-bss": elf64([(PT_NOTE, 0x100, 0, 0, 8, 8),
                                      (PT_LOAD, 0x100, 0x200000, 0x200000, 16, 16),
                                      (PT_LOAD, 0x108, 0x300000, 0x300000, 8, 0x10000)]),
        "elf32-higher-half": elf32([(PT_LOAD, 0x100, 0xc0100000, 0x100000, 16, 0x1000)],
                                   entry=0xc0100000),
        "elf32-protected": elf32([(PT_LOAD, 0x100, 0x100000, 0x100000, 16, 16)]),
        "elf64-truncated-segment": elf64([(PT_LOAD, 0x100, 0x100000, 0x100000, 0x1000,
                                           0x1000)]),
    }


# bzImage (Linux boot protocol 2.15, Documentation/arch/x86/boot.rst)
def bzimage(setting=0x02, initrd=0, version=0x020f, relocatable=1, pref=0x100000,
            init_size=0x10000, syssize_bytes=0x400, cmdline_size=0x7ff, initrd_max=0x7fffffff,
            xloadflags=0x3, setup_sects=1):
    setup = bytearray((setup_sects + 1) * 512)
    setup[0] = setting
    setup[1:3] = struct.pack("<H", initrd)
    hdr = struct.pack("<BHIHHHHHIHIHHBBHIIIIHBBIIIBBHIIQIIQQIII",
                      setup_sects, 0, syssize_bytes // 16, 0, 0xffff, 0, 0xaa55,
                      0x6aeb, 0x53726448, version, 0, 0x1000, 0, 0, 0x01, 0x8000,
                      0x100000, 0, 0, 0, 0, 0, 0, 0, initrd_max, 0x200000, relocatable, 21,
                      xloadflags, cmdline_size, 0, 0, 0, 0, 0, pref, init_size, 0, 0)
    setup[0x1f1:0x1f1 + len(hdr)] = hdr
    setup[0x201] = 0x6a  # the jump's byte: the header runs to 0x202 + 0x6a
    return bytes(setup) + b"\x90" * syssize_bytes


def bzimage_seeds():
    return {
        "relocatable-1m": bzimage(),
        "with-initrd-cmdline": bzimage(setting=0x0a, initrd=0x200),
        "fixed-16m-big-ram": bzimage(setting=0x03, relocatable=0, pref=0x1000000,
                                     init_size=0x800000),
        "long-cmdline-small-ram": bzimage(setting=0x0c, cmdline_size=0x10, init_size=0x300000),
        "pref-near-top": bzimage(setting=0x01, pref=0xfffffffffff00000),
    }


# The command line: arguments after "mini-kvm", NUL-separated.
def options_seeds():
    def args(*a):
        return b"\0".join(x.encode() for x in a)
    return {
        "run-guests-modes": args("run", "--mode", "real", "a.bin", "--mode", "long",
                                 "--load", "0x8000", "--entry", "0x8000", "b.bin",
                                 "--mode", "protected"),
        "run-linux": args("run", "-k", "bzImage", "-i", "initrd", "-p", "console=ttyS0",
                          "-m", "512M", "-c", "4", "--stats", "--boot-marker", "Run /init"),
        "run-disk-timeout": args("run", "--disk", "disk.img", "--timeout", "2.5",
                                 "--irqchip", "--trace", "--raw-console", "-m2G", "os.elf"),
        "clusters-and-errors": args("run", "-xc2", "--mem=0", "--", "-guest"),
        "check": args("check"),
    }


# VM exits (struct fuzz_exit in fuzz_exit.c): kind, flags, port, count, length, addr,
# data, rax, rbx, rcx, rdx, rsi, rdi.
KIND_IO, KIND_MMIO, KIND_HLT, KIND_SHUTDOWN = 0, 1, 2, 3
OUT, REAL = 0x01, 0x02
HC_PORT = 0x500


def exit_record(kind=KIND_IO, flags=OUT, port=HC_PORT, count=1, length=0, addr=0, data=0,
                rax=0, rbx=0, rcx=0, rdx=0, rsi=0, rdi=0):
    return struct.pack("<BBHHHQQQQQQQQ", kind, flags, port, count, length, addr, data, rax,
                       rbx, rcx, rdx, rsi, rdi)


def hc(function, **regs):
    return exit_record(data=function, rax=function, **regs)


def exit_seeds():
    return {
        # settings 0: a bare guest; hypercalls: putchar, putnum, newline, puts, clock, exit
        "hypercalls": bytes([0]) + hc(1, rbx=ord("A")) + hc(2, rbx=42) + hc(3)
        + hc(5, rbx=0x1000, rcx=64) + hc(6) + hc(0, rbx=7),
        # a disk: info, write two sectors, read them back, a wrapping sector number
        "disk": bytes([0x02]) + hc(7) + hc(9, rbx=0, rcx=2, rsi=0x1000)
        + hc(8, rbx=0, rcx=2, rsi=0x2000) + hc(8, rbx=0xffffffff, rcx=2, rsi=0x2000),
        # the UART: LCR, THR (string I/O), LSR read, IIR; a Linux guest's console watch
        "serial-linux": bytes([0x05]) + exit_record(port=0x3fb, data=0x03)
        + exit_record(port=0x3f8, count=32, data=0x0a6c696e75782021)
        + exit_record(flags=0, port=0x3fd) + exit_record(flags=0, port=0x3fa)
        + exit_record(kind=KIND_SHUTDOWN),
        # real mode, 16-bit arguments; i8042 reset, ACPI S5, an unclaimed port, MMIO
        "real-mode-and-platform": bytes([0]) + hc(5, flags=OUT | REAL, rbx=0x11000, rcx=0x10020)
        + exit_record(port=0x64, data=0xfe) + exit_record(port=0x600, data=0x34)
        + exit_record(port=0x1234, count=3) + exit_record(kind=KIND_MMIO, flags=OUT,
                                                          addr=0xfee00000, length=4)
        + exit_record(kind=KIND_HLT),
    }


# The UART (fuzz_serial.c): one op byte [7:5 kind][4:3 size][2:0 offset], then a value.
READ, WRITE, BUS_READ, BUS_WRITE, INPUT, TX_FAIL, TX_OK, LSR = range(8)


def op(kind, offset=0, size=0, value=None):
    b = bytes([kind << 5 | size << 3 | offset])
    return b + (bytes([value]) if value is not None else b"")


def serial_seeds():
    linux_init = (op(WRITE, 3, value=0x80) + op(WRITE, 0, value=1) + op(WRITE, 1, value=0)
                  + op(WRITE, 3, value=0x03) + op(WRITE, 2, value=0xc7)
                  + op(WRITE, 4, value=0x0b) + op(WRITE, 1, value=0x0f))
    return {
        "linux-init-and-input": linux_init + op(INPUT, value=20) + op(READ, 2) + op(READ, 5)
        + op(READ, 0) + op(LSR) + op(READ, 6),
        "loopback": op(WRITE, 4, value=0x1f) + op(WRITE, 0, value=0x41) + op(READ, 0)
        + op(READ, 6) + op(WRITE, 4, value=0x00) + op(READ, 6),
        "tx-failure": op(WRITE, 0, value=0x41) + op(TX_FAIL) + op(WRITE, 0, value=0x42)
        + op(TX_OK) + op(BUS_WRITE, 0, 3, value=0x43),
        "overrun-no-fifo": op(WRITE, 1, value=0x05) + op(WRITE, 4, value=0x08)
        + op(INPUT, value=3) + op(BUS_READ, 5, 2) + op(READ, 2),
    }


def main():
    for name, seeds in (("elf", elf_seeds()), ("bzimage", bzimage_seeds()),
                        ("options", options_seeds()), ("exit", exit_seeds()),
                        ("serial", serial_seeds())):
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for seed, data in seeds.items():
            (folder / seed).write_bytes(data)


if __name__ == "__main__":
    main()
