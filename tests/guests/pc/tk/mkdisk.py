#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tk's disk images.

  mkdisk.py boot BOOT.bin KERNEL.elf OUT   disk 0: the boot sector, then the kernel ELF
                                           from sector 1, padded to whole sectors
  mkdisk.py fs OUT FILE...                 disk 1: tk's file system (TKFS): sector 0 holds
                                           "TKFS", the file count and up to 15 entries
                                           (name[20], first sector, size, 0); each file's
                                           bytes start on a sector of their own
"""

import os
import struct
import sys

SECTOR = 512
MAX_FILES = 15


def pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % SECTOR)


def boot_disk(boot: str, kernel: str, out: str) -> None:
    sector = open(boot, "rb").read()
    if len(sector) != SECTOR or sector[510:] != b"\x55\xaa":
        sys.exit(f"{boot}: not a 512-byte boot sector with 55 AA")
    with open(out, "wb") as f:
        f.write(sector + pad(open(kernel, "rb").read()))


def fs_disk(out: str, files: list[str]) -> None:
    if len(files) > MAX_FILES:
        sys.exit(f"at most {MAX_FILES} files")
    entries, data, next_sector = b"", b"", 1
    for path in files:
        body = open(path, "rb").read()
        name = os.path.basename(path).encode()
        if len(name) >= 20:
            sys.exit(f"{path}: name longer than 19 bytes")
        entries += struct.pack("<20sIII", name, next_sector, len(body), 0)
        data += pad(body)
        next_sector += len(pad(body)) // SECTOR
    super_block = pad(b"TKFS" + struct.pack("<I", len(files)) + entries)
    with open(out, "wb") as f:
        f.write(super_block + data + b"\0" * (8 * SECTOR))  # room to spare


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "boot":
        boot_disk(*sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "fs":
        fs_disk(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
