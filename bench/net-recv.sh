#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/net-recv.sh LABEL: the receiving end of the net benchmark (bench/benchmarks/net.py),
# in L1 (guest -> host) and in the guest (host -> guest) alike: read standard input (a
# busybox nc's output) to its end and print, on one line,
#   LABEL bytes=67108864 seconds=3.52
# the bytes read and the seconds from the first byte's arrival to the end of the stream,
# by this kernel's /proc/uptime (10 ms steps: a transfer of seconds). busybox date has no
# %N and busybox dd no timing line, hence uptime.
label=$1
uptime_s() { cut -d ' ' -f 1 /proc/uptime; }
# dd reads exactly one byte (one read(2) of size 1), leaving the rest in the pipe: the
# clock starts when data arrives, not when the listener was started.
first=$(dd bs=1 count=1 2>/dev/null | wc -c)
start=$(uptime_s)
rest=$(wc -c)
end=$(uptime_s)
echo "$label bytes=$((first + rest)) seconds=$(echo "$end $start" | awk '{ printf "%.2f", $1 - $2 }')"
