# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# scripts/lib/common.sh: logging, errors and the cache location shared by the asset scripts.
# Source it from bash with `set -euo pipefail` in force; it defines functions and paths only.

# The repository root: scripts/lib/ is two levels below it.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Downloaded and derived test assets live here (git-ignored). MINI_KVM_CACHE moves it.
# shellcheck disable=SC2034 # used by the scripts that source this one
CACHE_DIR=${MINI_KVM_CACHE:-$REPO_ROOT/.cache}

# Diagnostics go to stderr, so that stdout carries only the paths a subcommand prints.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need_cmd CMD PACKAGE: fail with the Debian package to install when CMD is missing.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found: apt-get install -y $2"
}

# newer_than_any OUT PATH...: true when any file under the PATHs is newer than OUT.
newer_than_any() {
	local out=$1; shift
	[ -n "$(find -L "$@" -newer "$out" -print -quit 2>/dev/null)" ]
}
