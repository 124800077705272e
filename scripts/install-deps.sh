#!/usr/bin/env bash
# Install what mini-kvm needs to build and test on Debian 12, from Debian's archive only.
set -euo pipefail

packages=(
	build-essential		# gcc, make, binutils (as, ld, objcopy): the VMM and the guests
	libcmocka-dev		# unit tests
	zlib1g-dev		# the CRC-32 of snapshot files (crc32(); libz.a for the static twin)
	python3-pytest		# integration tests (run by /usr/bin/python3)
	python3-pexpect		# interactive console tests
	qemu-system-x86		# the nested lane: QEMU TCG with emulated SVM
	cpio			# packing the nested lane's initramfs
	gzip
	clang-format		# make format
	gnuplot-nox		# make bench: the plots of bench/RESULTS.md
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
