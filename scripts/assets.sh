#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/assets.sh: fetch and cache the test assets of the nested lane (Debian kernel,
# static busybox) under .cache/, and build its L1 initramfs, the Linux guest's
# initramfs, and the disk boot's initramfs and ext4 root image. No root, no internet beyond Debian's package archive. Run with no arguments
# for the usage text.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=lib/debian.sh
. "$here/lib/debian.sh"
# shellcheck source=lib/initramfs.sh
. "$here/lib/initramfs.sh"

usage() {
	cat <<EOF
usage: ${0##*/} COMMAND [ARGS]

Fetches test assets into ${CACHE_DIR#"$REPO_ROOT"/}/ once and prints where they are.

commands:
  kernel                print the path of the Debian kernel (vmlinuz) the lanes boot
  kernel-version        print its version, e.g. 6.1.0-56-amd64
  vmlinux               print the path of its uncompressed vmlinux (an ELF with a PVH
                        entry), extracted from the vmlinuz once (scripts/extract-vmlinux)
  modules               print its modules directory (lib/modules/VERSION)
  busybox               print the path of a static busybox
  l1 OUT [SRC=DEST...]  build the nested lane's L1 initramfs OUT (gzip'd cpio) if it
                        is missing or older than any input, and print OUT. SRC is a
                        file or directory on this machine, DEST its absolute path in
                        the image; a DEST ending in / keeps SRC's name, a directory
                        SRC copies its contents. Example:
                          ${0##*/} l1 build/l1.cpio.gz \\
                              build/mini-kvm-static=/bin/mini-kvm build/guests=/guests
  guest-initramfs [OUT [BATCH [SRC=DEST...]]]
                        build the Linux guest's initramfs OUT (gzip'd cpio, default
                        ${GUEST_INITRAMFS#"$REPO_ROOT"/}) if it is missing or
                        older than any input, and print OUT. Its /init
                        (scripts/initramfs/guest-init) prints the ready marker of
                        scripts/initramfs/guest-markers, runs a shell on the console
                        or, with mkvm.batch on the kernel command line, the script
                        BATCH (default scripts/initramfs/guest-batch), then powers
                        off. SRC=DEST adds files as for l1 (make bench adds its
                        static matmul program this way)
  disk-initramfs [OUT]  build the initramfs that boots Linux from a disk (default
                        ${DISK_INITRAMFS#"$REPO_ROOT"/}): the kernel package's
                        virtio_mmio, virtio_blk, virtio_rng, virtio_net and ext4 modules with their
                        dependencies (modules.dep), loaded in order by its /init
                        (scripts/initramfs/disk-init), which mounts root= (default
                        /dev/vda) and switch_roots to init= (default /sbin/init)
  rootfs [OUT [BATCH [SRC=DEST...]]]
                        build an ext4 root file system image (default
                        ${ROOTFS#"$REPO_ROOT"/}, $ROOTFS_SIZE) without root
                        privileges (mke2fs -d): a busybox tree whose /sbin/init is
                        scripts/initramfs/guest-init (the same markers, shell and batch
                        mode as guest-initramfs; the root is left clean at power-off);
                        SRC=DEST adds files as for l1 (make bench adds its I/O program)
  refresh               forget the remembered kernel version: the next command
                        resolves linux-image-amd64 again (and fetches it if new)
  help                  this text

The kernel version is what linux-image-amd64 depends on the first time, then
remembered in ${KERNEL_CURRENT#"$REPO_ROOT"/}; MINI_KVM_KERNEL_VERSION overrides it.
MINI_KVM_CACHE moves the cache (default: .cache at the repository root).
Needs: apt (apt-get download), dpkg-deb, cpio, gzip; rootfs: mke2fs, debugfs (e2fsprogs).
EOF
}

# The Linux guest's initramfs, unless the caller names another OUT.
GUEST_INITRAMFS=$CACHE_DIR/linux-guest/initramfs.cpio.gz
# The disk boot: its initramfs and the ext4 root image, unless the caller names others.
DISK_INITRAMFS=$CACHE_DIR/linux-guest/initramfs-disk.cpio.gz
ROOTFS=$CACHE_DIR/linux-guest/rootfs.ext4
ROOTFS_SIZE=32M
# What the disk initramfs loads (with their dependencies): the virtio-mmio transport,
# the disk and entropy drivers, ext4, and the crc32c that ext4's checksums ask the crypto
# API for (no modprobe in the image to load it on demand).
DISK_MODULES=(virtio_mmio virtio_blk virtio_rng virtio_net crc32c_generic ext4)
# What the guest initramfs loads (with their dependencies): the transport and the NIC
# (virtio_net needs net_failover and failover). Its disks are the disk initramfs's.
GUEST_MODULES=(virtio_mmio virtio_net)

# up_to_date OUT MANIFEST INPUT...: true when OUT exists, was built from the same
# MANIFEST (what the image holds, file by file: a file added or removed, or a new
# destination, forces a rebuild even when no input is newer than OUT) and no INPUT is
# newer than it.
up_to_date() {
	local out=$1 manifest=$2
	shift 2
	[ -f "$out" ] && [ "$(cat "$out.manifest" 2>/dev/null)" = "$manifest" ] &&
		! newer_than_any "$out" "$@"
}

# pack STAGE OUT MANIFEST: pack the staged image into OUT, remember the MANIFEST it was
# built from (for up_to_date) and print OUT.
pack() {
	initramfs_pack "$1" "$2"
	printf '%s\n' "$3" >"$2.manifest"
	printf '%s\n' "$2"
}

# L1's /init and its command loop: the L1 end of the lanes' control protocol, beside
# its host end (scripts/lanes/control.py).
L1_DIR=$here/lanes/l1

# The kernel modules the L1 /init loads, in load order (see scripts/lanes/l1/init).
L1_MODULES=(irqbypass kvm ccp kvm-amd tun)

# cmd_l1 OUT [SRC=DEST...]
# check_spec COMMAND SPEC: die unless SPEC is SRC=/DEST with an existing SRC.
check_spec() {
	case $2 in
	?*=/*) ;;
	*) die "$1: expected SRC=/DEST, got '$2'" ;;
	esac
	[ -e "${2%%=*}" ] || die "$1: ${2%%=*} does not exist"
}

# specs_manifest COMMAND SPEC...: check every SPEC (as check_spec) and print, for
# up_to_date's MANIFEST, each SPEC and the files it brings, one line before each.
# Called as $(...) in an assignment, whose status set -e checks: a bad SPEC's die
# ends the script there too.
specs_manifest() {
	local cmd=$1 spec
	shift
	for spec in "$@"; do
		check_spec "$cmd" "$spec"
		printf '\n%s\n%s' "$spec" "$(find -L "${spec%%=*}" -type f | LC_ALL=C sort)"
	done
}

# add_specs STAGE SPEC...: copy each SPEC's SRC to its DEST in the staged image.
add_specs() {
	local stage=$1 spec
	shift
	for spec in "$@"; do
		initramfs_add "$stage" "${spec%%=*}" "${spec#*=}"
	done
}

cmd_l1() {
	[ $# -ge 1 ] || die "l1: missing OUT (see '${0##*/} help')"
	local out=$1 ver bb spec mod manifest inputs=()
	shift
	ver=$(kernel_ensure)
	bb=$(busybox_ensure)
	inputs+=("$bb" "$L1_DIR/init" "$L1_DIR/loop" "$here/lib/initramfs.sh")
	for mod in "${L1_MODULES[@]}"; do
		inputs+=("$(kernel_module "$ver" "$mod")")
	done

	manifest="kernel $ver"$'\n'"busybox $bb"$(specs_manifest l1 "$@")
	inputs+=("${@%%=*}")

	if up_to_date "$out" "$manifest" "${inputs[@]}"; then
		printf '%s\n' "$out"
		return
	fi

	log "building $out"
	local stage
	stage=$(initramfs_stage_new)
	initramfs_add_busybox "$stage"
	for mod in "${L1_MODULES[@]}"; do
		initramfs_add_module "$stage" "$(kernel_module "$ver" "$mod")" "/lib/modules/l1/$mod.ko"
	done
	initramfs_add "$stage" "$L1_DIR/init" /init
	initramfs_add "$stage" "$L1_DIR/loop" /etc/l1-loop
	chmod 755 "$stage/init"
	add_specs "$stage" "$@"
	pack "$stage" "$out" "$manifest"
}

# cmd_guest_initramfs [OUT [BATCH [SRC=DEST...]]]
cmd_guest_initramfs() {
	local out=${1:-$GUEST_INITRAMFS} batch=${2:-$here/initramfs/guest-batch} bb manifest
	local ver modules mod
	shift $(($# < 2 ? $# : 2))
	[ -f "$batch" ] || die "guest-initramfs: $batch is not a file"
	batch=$(cd "$(dirname "$batch")" && pwd)/${batch##*/}
	bb=$(busybox_ensure)
	ver=$(kernel_ensure)
	modules=$(kernel_module_order "$ver" "${GUEST_MODULES[@]}")
	manifest="busybox $bb"$'\n'"batch $batch"$'\n'"kernel $ver"$'\n'"modules $modules"
	manifest+=$(specs_manifest guest-initramfs "$@")
	if up_to_date "$out" "$manifest" "$bb" "$batch" "$here/initramfs/guest-init" \
		"$here/initramfs/guest-markers" "$here/initramfs/udhcpc-script" \
		"$here/lib/initramfs.sh" "${@%%=*}"; then
		printf '%s\n' "$out"
		return
	fi

	log "building $out"
	local stage
	stage=$(initramfs_stage_new)
	initramfs_add_busybox "$stage"
	initramfs_add "$stage" "$here/initramfs/guest-init" /init
	initramfs_add "$stage" "$here/initramfs/guest-markers" /etc/mini-kvm/markers
	initramfs_add "$stage" "$here/initramfs/udhcpc-script" /etc/mini-kvm/udhcpc.script
	initramfs_add "$stage" "$batch" /etc/mini-kvm/batch
	for mod in $modules; do
		initramfs_add_module "$stage" "$(kernel_dir "$ver")/lib/modules/$ver/$mod" \
			"/lib/modules/${mod%.ko*}.ko"
	done
	printf '%s\n' $modules | sed 's/\.ko.*$/.ko/' >"$stage/etc/mini-kvm/modules"
	chmod 755 "$stage/init" "$stage/etc/mini-kvm/udhcpc.script"
	add_specs "$stage" "$@"
	pack "$stage" "$out" "$manifest"
}

# cmd_disk_initramfs [OUT]
cmd_disk_initramfs() {
	local out=${1:-$DISK_INITRAMFS} ver bb manifest modules mod
	ver=$(kernel_ensure)
	bb=$(busybox_ensure)
	modules=$(kernel_module_order "$ver" "${DISK_MODULES[@]}")
	manifest="kernel $ver"$'\n'"busybox $bb"$'\n'"modules $modules"
	if up_to_date "$out" "$manifest" "$bb" "$here/initramfs/disk-init" \
		"$here/lib/initramfs.sh" "$here/lib/debian.sh"; then
		printf '%s\n' "$out"
		return
	fi

	log "building $out"
	local stage
	stage=$(initramfs_stage_new)
	initramfs_add_busybox "$stage"
	for mod in $modules; do
		initramfs_add_module "$stage" "$(kernel_dir "$ver")/lib/modules/$ver/$mod" \
			"/lib/modules/${mod%.ko*}.ko"
	done
	printf '%s\n' $modules | sed 's/\.ko.*$/.ko/' >"$stage/etc/mini-kvm-modules"
	mkdir -p "$stage/etc/mini-kvm"
	mv "$stage/etc/mini-kvm-modules" "$stage/etc/mini-kvm/modules"
	initramfs_add "$stage" "$here/initramfs/disk-init" /init
	chmod 755 "$stage/init"
	pack "$stage" "$out" "$manifest"
}

# cmd_rootfs [OUT [BATCH [SRC=DEST...]]]: mke2fs -d copies a staged busybox tree into a fresh ext4
# image, no root needed; the files then belong to whoever ran this, so unless that was
# root, debugfs hands every inode to root (uid and gid 0), as a distribution image has.
cmd_rootfs() {
	local out=${1:-$ROOTFS} batch=${2:-$here/initramfs/guest-batch} bb manifest
	shift $(($# < 2 ? $# : 2))
	[ -f "$batch" ] || die "rootfs: $batch is not a file"
	batch=$(cd "$(dirname "$batch")" && pwd)/${batch##*/}
	need_cmd mke2fs e2fsprogs
	need_cmd debugfs e2fsprogs
	bb=$(busybox_ensure)
	manifest="busybox $bb"$'\n'"batch $batch"$'\n'"size $ROOTFS_SIZE"$(specs_manifest rootfs "$@")
	if up_to_date "$out" "$manifest" "$bb" "$batch" "$here/initramfs/guest-init" \
		"$here/initramfs/guest-markers" "$here/initramfs/udhcpc-script" \
		"$here/lib/initramfs.sh" "${@%%=*}"; then
		printf '%s\n' "$out"
		return
	fi

	log "building $out"
	local stage
	stage=$(initramfs_stage_new)
	initramfs_add_busybox "$stage"
	# /sbin/init is busybox's link: replace the link, never write through it.
	rm -f "$stage/sbin/init"
	initramfs_add "$stage" "$here/initramfs/guest-init" /sbin/init
	initramfs_add "$stage" "$here/initramfs/guest-markers" /etc/mini-kvm/markers
	initramfs_add "$stage" "$here/initramfs/udhcpc-script" /etc/mini-kvm/udhcpc.script
	initramfs_add "$stage" "$batch" /etc/mini-kvm/batch
	chmod 755 "$stage/sbin/init"
	add_specs "$stage" "$@"
	mkdir -p "$stage/mnt" "$stage/var" "$stage/home"
	mkdir -p "$(dirname "$out")"
	rm -f "$out.tmp"
	# -E root_owner: the root directory is root's; -m 0: no blocks kept for root (a
	# test disk); -L: the label a user sees in blkid. Quiet: errors still show.
	mke2fs -q -F -t ext4 -L mini-kvm-root -m 0 -E root_owner=0:0 -d "$stage" "$out.tmp" \
		"$ROOTFS_SIZE" >&2 || { rm -rf "$stage" "$out.tmp"; die "mke2fs failed"; }
	if [ "$(id -u)" != 0 ]; then
		(cd "$stage" && find . -mindepth 1 | sed 's|^\.||' |
			while IFS= read -r path; do
				printf 'sif "%s" uid 0\nsif "%s" gid 0\n' "$path" "$path"
			done) | debugfs -w -f - "$out.tmp" >/dev/null 2>&1 ||
			{ rm -rf "$stage" "$out.tmp"; die "debugfs (owners) failed"; }
	fi
	rm -rf "$stage"
	mv -f "$out.tmp" "$out"
	printf '%s\n' "$manifest" >"$out.manifest"
	printf '%s\n' "$out"
}

main() {
	local cmd=${1:-help}
	[ $# -gt 0 ] && shift
	case $cmd in
	help | -h | --help)
		usage
		return
		;;
	esac

	mkdir -p "$CACHE_DIR"
	# One asset command at a time per cache: two test runs must not unpack into the
	# same directory at once. (flock is in util-linux, which every Debian has.)
	exec 9>"$CACHE_DIR/.lock"
	flock 9

	local ver
	case $cmd in
	kernel)
		ver=$(kernel_ensure)
		printf '%s\n' "$(kernel_dir "$ver")/boot/vmlinuz-$ver"
		;;
	kernel-version) kernel_ensure ;;
	vmlinux)
		ver=$(kernel_ensure)
		local vmlinux
		vmlinux="$(kernel_dir "$ver")/vmlinux-$ver"
		if [ ! -f "$vmlinux" ]; then
			"$here/extract-vmlinux" -q "$(kernel_dir "$ver")/boot/vmlinuz-$ver" \
				"$vmlinux.tmp" && mv "$vmlinux.tmp" "$vmlinux"
		fi
		printf '%s\n' "$vmlinux"
		;;
	modules)
		ver=$(kernel_ensure)
		printf '%s\n' "$(kernel_dir "$ver")/lib/modules/$ver"
		;;
	busybox) busybox_ensure ;;
	l1) cmd_l1 "$@" ;;
	guest-initramfs) cmd_guest_initramfs "$@" ;;
	disk-initramfs) cmd_disk_initramfs "$@" ;;
	rootfs) cmd_rootfs "$@" ;;
	refresh) rm -f "$KERNEL_CURRENT" ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
