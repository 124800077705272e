# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# scripts/lib/initramfs.sh: build busybox initramfs images without root: stage a tree in
# a directory, then pack it as a gzip'd newc cpio owned by 0:0.
# Needs common.sh and debian.sh sourced first. Typical use:
#   stage=$(initramfs_stage_new)
#   initramfs_add_busybox "$stage"
#   initramfs_add "$stage" build/mini-kvm-static /bin/mini-kvm
#   initramfs_add "$stage" scripts/lanes/l1/init /init
#   initramfs_pack "$stage" build/l1.cpio.gz

# initramfs_stage_new: a fresh, empty staging directory (removed by initramfs_pack).
initramfs_stage_new() {
	mkdir -p "$CACHE_DIR"
	mktemp -d "$CACHE_DIR/.stage.XXXXXX"
}

# initramfs_add_busybox STAGE: a static busybox with a link per applet, and the
# directories a busybox system mounts things on. (/dev/console comes from the kernel's
# built-in initramfs; device nodes need root to create.)
initramfs_add_busybox() {
	local stage=$1 bb applet
	bb=$(busybox_ensure)
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
	cp "$bb" "$stage/bin/busybox"
	for applet in $("$bb" --list-full); do
		[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
	done
}

# initramfs_add STAGE SRC DEST: copy SRC to DEST inside the image (symlinks followed).
# A directory SRC copies its contents into DEST; a DEST ending in "/" keeps SRC's name.
initramfs_add() {
	local stage=$1 src=$2 dest=$3
	[ -e "$src" ] || die "cannot add $src to the initramfs: no such file"
	case $dest in
	/*) ;;
	*) die "initramfs destination must be absolute: $dest" ;;
	esac
	case $dest in */) dest=$dest${src##*/} ;; esac
	if [ -d "$src" ]; then
		mkdir -p "$stage$dest"
		cp -RL "$src/." "$stage$dest/"
	else
		mkdir -p "$(dirname "$stage$dest")"
		cp -L "$src" "$stage$dest"
	fi
}

# initramfs_add_module STAGE FILE DEST: a kernel module, decompressed if the package
# ships it compressed (busybox insmod in the image then needs no decompressor).
initramfs_add_module() {
	local stage=$1 file=$2 dest=$3 bb
	mkdir -p "$(dirname "$stage$dest")"
	bb=$(busybox_ensure)
	case $file in
	*.ko) cp "$file" "$stage$dest" ;;
	*.ko.xz) "$bb" xz -dc "$file" >"$stage$dest" ;;
	*.ko.gz) "$bb" gzip -dc "$file" >"$stage$dest" ;;
	*.ko.zst)
		need_cmd zstd zstd
		zstd -qdc "$file" >"$stage$dest"
		;;
	*) die "unknown module compression: $file" ;;
	esac
}

# initramfs_pack STAGE OUT: pack STAGE into OUT (gzip'd newc cpio, files owned by root,
# sorted for a stable layout), atomically, then remove STAGE.
initramfs_pack() {
	local stage=$1 out=$2
	need_cmd cpio cpio
	need_cmd gzip gzip
	mkdir -p "$(dirname "$out")"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner=0:0) | gzip -6 >"$out.tmp"
	mv -f "$out.tmp" "$out"
	rm -rf "$stage"
}
