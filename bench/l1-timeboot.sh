#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/l1-timeboot.sh LIMIT MARKER CMD...: run CMD (a VMM booting Linux) in L1 for at
# most LIMIT seconds and print, on one line, the seconds from its start to the first
# output line containing MARKER ("-" if none came), to its end, its exit status (124:
# LIMIT ran out) and its peak RSS in KiB:
#   timeboot ready=9.81 end=10.42 status=0 maxrss_kib=301234
# Times come from /proc/uptime (10 ms steps: enough for boots of seconds). With
# TIMEBOOT_KEEP=PREFIX in the environment, CMD's output is also kept in PREFIX.out and its
# stderr (with time -v's report) in PREFIX.err, for the caller to read. CMD's standard
# input is the file TIMEBOOT_STDIN names, or TIMEBOOT_INPUT (printf escapes: a line for
# a restored guest's shell), or empty.
limit=$1 marker=$2 keep=${TIMEBOOT_KEEP:-}
shift 2
out=/tmp/timeboot.$$
printf '%b' "${TIMEBOOT_INPUT-}" >"$out.in"
start=$(cut -d ' ' -f 1 /proc/uptime)
# busybox time -v reports the peak RSS (of the largest process below it: timeout's child),
# but as if ru_maxrss counted pages: busybox 1.35 multiplies the KiB by the page size
# over 1 KiB, which is undone below. timeout kills CMD itself, so that nothing keeps the
# pipe open. The awk stamps the marker as it streams by.
{ time -v timeout "$limit" "$@" 2>"$out.err"; echo "status $?" >"$out.status"; } <"${TIMEBOOT_STDIN:-$out.in}" |
	awk -v m="$marker" -v t0="$start" -v keep="${keep:+$keep.out}" '
		keep != "" { print > keep }
		index($0, m) && !seen {
			getline u < "/proc/uptime"; close("/proc/uptime")
			split(u, f, " "); ready = f[1] - t0; seen = 1
		}
		END { if (seen) printf "%.2f\n", ready; else print "-" }' >"$out.ready"
end=$(cut -d ' ' -f 1 /proc/uptime)
status=$(cut -d ' ' -f 2 "$out.status")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$out.err")
page=$(sed -n 's/.*Page size (bytes): *//p' "$out.err")
[ -n "$rss" ] && [ -n "$page" ] && rss=$((rss / (page / 1024)))
echo "timeboot ready=$(cat "$out.ready") end=$(echo "$end $start" | awk '{ printf "%.2f", $1 - $2 }') status=$status maxrss_kib=${rss:--}"
[ -n "$keep" ] && cp "$out.err" "$keep.err"
rm -f "$out".*
