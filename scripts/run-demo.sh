#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make run`: boot the Debian kernel to a shell when this host's KVM can run Linux,
# else run the bare-guest demo (four guests at once). Decided by `mini-kvm check`.
set -euo pipefail
cd "$(dirname "$0")/.."

vmm=${BUILD:-build}/mini-kvm
guests=${BUILD:-build}/guests
demo=("$guests/hello.bin" "$guests/counter.bin" "$guests/multiplication.bin" "$guests/long.elf")

# Linux needs syscall from ring 3 to land in ring 0 (see src/check.c, check_linux_host).
# It boots from an ext4 root on a virtio disk, a copy of scripts/assets.sh rootfs kept in
# the build folder, so that what the guest writes is there the next time (delete the
# file to start afresh).
if "$vmm" check | grep -Eq '^\s*syscall\s+yes'; then
	kernel=$(scripts/assets.sh kernel | tail -n 1)
	initrd=$(scripts/assets.sh disk-initramfs | tail -n 1)
	root=${BUILD:-build}/linux-root.ext4
	[ -f "$root" ] || cp "$(scripts/assets.sh rootfs | tail -n 1)" "$root"
	echo "mini-kvm: booting $kernel from $root (Ctrl-A x quits; 'exit' in the guest's" \
		"shell powers off cleanly)" >&2
	exec "$vmm" run -m 256 -k "$kernel" -i "$initrd" --disk "$root" --rng \
		-p "console=ttyS0 root=/dev/vda"
fi
echo "mini-kvm: this host's KVM cannot run Linux ('mini-kvm check' says syscall no):" \
	"running the bare-guest demo" >&2
exec "$vmm" run "${demo[@]}"
