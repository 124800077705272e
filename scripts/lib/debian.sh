# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# scripts/lib/debian.sh: fetch Debian packages into the cache without root, and the two
# the test lanes need: the stock kernel (vmlinuz + modules) and a static busybox.
# Needs common.sh sourced first.

# deb_fetch PACKAGE DIR: `apt-get download` PACKAGE and unpack it into DIR with
# `dpkg-deb -x` (no root needed). DIR/.stamp marks a finished unpack; an existing one
# makes this a no-op, so callers may call it every time.
deb_fetch() {
	local pkg=$1 dir=$2 tmp
	[ -e "$dir/.stamp" ] && return 0
	need_cmd apt-get apt
	need_cmd dpkg-deb dpkg
	tmp=$(mktemp -d "$CACHE_DIR/.fetch.XXXXXX")
	log "downloading $pkg (once; cached in ${dir#"$REPO_ROOT"/})"
	# As root, apt drops to the _apt user, which cannot write into our cache directory;
	# tell it to stay root instead of printing a warning.
	local sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	if ! (cd "$tmp" && apt-get -q "${sandbox[@]}" download "$pkg" >&2); then
		rm -rf "$tmp"
		die "apt-get download $pkg failed (no package lists? run apt-get update)"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$tmp"/*.deb "$dir" || { rm -rf "$tmp" "$dir"; die "dpkg-deb -x $pkg failed"; }
	basename "$tmp"/*.deb >"$dir/.stamp"
	rm -rf "$tmp"
}

# The cache remembers which kernel it resolved, so that repeated calls cost no apt-cache
# run and every run of a checkout tests the same kernel. MINI_KVM_KERNEL_VERSION picks
# one explicitly; `assets.sh refresh` forgets the remembered one.
KERNEL_CURRENT=$CACHE_DIR/kernel/current

# kernel_resolve: the version that linux-image-amd64 depends on now, e.g. 6.1.0-56-amd64.
kernel_resolve() {
	need_cmd apt-cache apt
	local ver
	ver=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n 1)
	[ -n "$ver" ] || die "apt-cache knows no linux-image-amd64 (run apt-get update)"
	printf '%s\n' "$ver"
}

# kernel_version: the kernel version the lanes use (see KERNEL_CURRENT).
kernel_version() {
	if [ -n "${MINI_KVM_KERNEL_VERSION:-}" ]; then
		printf '%s\n' "$MINI_KVM_KERNEL_VERSION"
	elif [ -s "$KERNEL_CURRENT" ]; then
		cat "$KERNEL_CURRENT"
	else
		kernel_resolve
	fi
}

# kernel_dir VERSION: where linux-image-VERSION is unpacked.
kernel_dir() { printf '%s\n' "$CACHE_DIR/kernel/$1"; }

# kernel_ensure: fetch and unpack the kernel package if needed; prints its version.
kernel_ensure() {
	local ver dir
	ver=$(kernel_version)
	dir=$(kernel_dir "$ver")
	deb_fetch "linux-image-$ver" "$dir"
	[ -f "$dir/boot/vmlinuz-$ver" ] || die "no boot/vmlinuz-$ver in linux-image-$ver"
	[ -d "$dir/lib/modules/$ver" ] || die "no lib/modules/$ver in linux-image-$ver"
	[ -n "${MINI_KVM_KERNEL_VERSION:-}" ] || printf '%s\n' "$ver" >"$KERNEL_CURRENT"
	printf '%s\n' "$ver"
}

# kernel_module VERSION NAME: the path of module NAME (e.g. kvm-amd) inside the kernel
# package, whichever compression it was shipped with (.ko, .ko.xz, .ko.gz, .ko.zst).
kernel_module() {
	local found
	found=$(find "$(kernel_dir "$1")/lib/modules/$1/kernel" \
		\( -name "$2.ko" -o -name "$2.ko.*" \) -print -quit)
	[ -n "$found" ] || die "module $2 not found in linux-image-$1"
	printf '%s\n' "$found"
}

# busybox_ensure: prints the path of a static busybox. Prefers busybox-static fetched
# into the cache (works without root on any Debian); falls back to /bin/busybox when
# that one is static and the download is impossible.
busybox_ensure() {
	local dir=$CACHE_DIR/busybox-static
	if [ -e "$dir/.stamp" ] || (deb_fetch busybox-static "$dir"); then
		[ -x "$dir/bin/busybox" ] || die "busybox-static has no bin/busybox"
		printf '%s\n' "$dir/bin/busybox"
	elif [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
		log "using the static /bin/busybox instead"
		printf '%s\n' /bin/busybox
	else
		die "no static busybox: apt-get download busybox-static failed," \
			"and /bin/busybox is missing or dynamic"
	fi
}

# kernel_depmod VERSION: make sure the unpacked kernel package has a modules.dep (Debian
# ships none: dpkg's trigger runs depmod at install). busybox's depmod writes it into the
# cache, once (a few seconds).
kernel_depmod() {
	local dir bb
	dir=$(kernel_dir "$1")
	[ -s "$dir/lib/modules/$1/modules.dep" ] && return 0
	bb=$(busybox_ensure)
	log "writing modules.dep of linux-image-$1 (once)"
	"$bb" depmod -b "$dir" "$1" || die "depmod for linux-image-$1 failed"
}

# kernel_module_order VERSION NAME...: the modules NAME... and everything they depend on,
# per modules.dep, each once and after its dependencies: paths relative to
# lib/modules/VERSION, one a line, in the order insmod must load them. A NAME may spell
# - or _ either way (virtio_rng is virtio-rng.ko).
kernel_module_order() {
	local ver=$1 dep path name want line
	shift
	kernel_depmod "$ver"
	local -A deps=() byname=() seen=()
	local order=()
	while IFS= read -r line; do
		path=${line%%:*}
		deps[$path]=${line#*:}
		name=${path##*/}
		name=${name%%.ko*}
		byname[${name//-/_}]=$path
	done <"$(kernel_dir "$ver")/lib/modules/$ver/modules.dep"
	visit() {
		[ -n "${seen[$1]:-}" ] && return
		seen[$1]=1
		for dep in ${deps[$1]}; do
			visit "$dep"
		done
		order+=("$1")
	}
	for want in "$@"; do
		path=${byname[${want//-/_}]:-}
		[ -n "$path" ] || die "module $want not found in linux-image-$ver (built in?)"
		visit "$path"
	done
	printf '%s\n' "${order[@]}"
}
