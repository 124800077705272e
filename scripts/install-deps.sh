#!/usr/bin/env bash
# Install what mini-kvm needs to build and test on Debian 12, from Debian's archive only.
set -euo pipefail

packages=(
	build-essential		# gcc, make, binutils (as, ld, objcopy): the VMM and the guests
	libcmocka-dev		# unit tests
	libseccomp-dev		# the seccomp sandboxes (src/sandbox.c); its libseccomp.a for mini-kvm-static
	python3-pytest		# integration tests (run by /usr/bin/python3)
	python3-pexpect		# interactive console tests
	gdb			# tests/integration/test_gdb.py: Debian's gdb against mini-kvm --gdb
	qemu-system-x86		# the nested lane: QEMU TCG with emulated SVM
	cpio			# packing the nested lane's initramfs
	e2fsprogs		# mke2fs -d, debugfs: the Linux guest's ext4 root image and its tests
	gzip
	clang-format		# make format
	clang			# make fuzz: Debian 12's clang is clang-14
	libclang-rt-14-dev	# its fuzzer, ASan and UBSan runtimes (only recommended by clang-14)
	libfuzzer-14-dev	# libFuzzer for clang-14
	gnuplot-nox		# make bench: the plots of bench/RESULTS.md
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
