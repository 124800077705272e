#!/usr/bin/env bash
# `make run`: boot the Debian kernel to a shell when this host's KVM can run Linux,
# else run the bare-guest demo (four guests at once). Decided by `mini-kvm check`.
set -euo pipefail
cd "$(dirname "$0")/.."

vmm=${BUILD:-build}/mini-kvm
guests=${BUILD:-build}/guests
demo=("$guests/hello.bin" "$guests/counter.bin" "$guests/multiplication.bin" "$guests/long.elf")

# Linux needs syscall from ring 3 to land in ring 0 (see src/check.c, check_linux_host).
if "$vmm" check | grep -Eq '^\s*syscall\s+yes'; then
	kernel=$(scripts/assets.sh kernel | tail -n 1)
	initrd=$(scripts/assets.sh guest-initramfs | tail -n 1)
	echo "mini-kvm: booting $kernel (Ctrl-A x quits; 'poweroff' in the guest ends it)" >&2
	exec "$vmm" run -m 256 -k "$kernel" -i "$initrd" -p "console=ttyS0"
fi
echo "mini-kvm: this host's KVM cannot run Linux ('mini-kvm check' says syscall no):" \
	"running the bare-guest demo" >&2
exec "$vmm" run "${demo[@]}"
