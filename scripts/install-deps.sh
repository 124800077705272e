#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what mini-kvm needs on Debian 12, from Debian's archive only: the runtime set
# (build and run it) or the test set (also make check and make bench); see usage().
set -euo pipefail

usage() {
	cat <<'EOF'
usage: scripts/install-deps.sh [--runtime | --test] [--list]
  --runtime   what `make`, `make install`, `mini-kvm run` and `make run` need: a C
              toolchain, and cpio and gzip for make run's Linux initramfs
  --test      the runtime set and what `make check` and `make bench` need: cmocka,
              pytest, pexpect, QEMU, man-db, bash-completion, gnuplot, clang-format
              (the default; CI uses it)
  --list      print the packages of the chosen set, one a line, and install nothing
Run as root (sudo) to install.
EOF
}

runtime=(
	build-essential		# gcc, make, binutils (as, ld, objcopy), libc6-dev (the static twin)
	cpio			# make run: the Linux guest's initramfs (scripts/assets.sh)
	gzip
)
test_only=(
	libcmocka-dev		# unit tests
	libseccomp-dev		# compiles the seccomp filters at build time (src/sandbox/compile.c)
	zlib1g-dev		# the CRC-32 of snapshot files (crc32(); its libz.a is linked in)
	libslirp-dev		# --net user (its header; build/mini-kvm dlopen()s libslirp0 when used)
	pkg-config		# finds libslirp's headers
	python3-pytest		# integration tests (run by /usr/bin/python3)
	python3-pexpect		# interactive console tests
	gdb			# tests/integration/test_gdb.py: Debian's gdb against mini-kvm --gdb
	qemu-system-x86		# the nested lane: QEMU TCG with emulated SVM
	cpio			# packing the nested lane's initramfs
	e2fsprogs		# mke2fs -d, debugfs: the Linux guest's ext4 root image and its tests
	gzip
	man-db			# the man page test (man -l)
	bash-completion		# the completion test, as a user's shell has it
	clang-format		# make format
	clang			# make fuzz: Debian 12's clang is clang-14
	libclang-rt-14-dev	# its fuzzer, ASan and UBSan runtimes (only recommended by clang-14)
	libfuzzer-14-dev	# libFuzzer for clang-14
	gnuplot-nox		# make bench: the plots of bench/RESULTS.md
	time			# make bench: peak RSS (GNU time %M, "tiny")
)

set_name=test
list=false
for arg in "$@"; do
	case "$arg" in
	--runtime) set_name=runtime ;;
	--test) set_name=test ;;
	--list) list=true ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "install-deps.sh: unknown argument '$arg'" >&2
		usage >&2
		exit 2
		;;
	esac
done

packages=("${runtime[@]}")
if [ "$set_name" = test ]; then
	packages+=("${test_only[@]}")
fi

if $list; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (sudo $0 $*)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
