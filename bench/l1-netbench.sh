#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/l1-netbench.sh MIB ADDR PORT LIMIT MARKER CMD...: L1's side of the net benchmark
# (bench/benchmarks/net.py; the guest's side is bench/net-batch). CMD is a VMM booting
# that guest, run under timeboot (bench/l1-timeboot.sh: LIMIT seconds, MARKER) while
#   - a busybox nc listens on port 5001 for the guest's MIB MiB (guest -> host), counted
#     and timed by netrecv (bench/net-recv.sh) from the first byte to the end;
#   - a busybox nc listens on port 5003 for the guest's word that its own listener is
#     up, then MIB MiB of zeros go to ADDR:PORT (host -> guest: slirp's hostfwd on
#     127.0.0.1, or the guest's address on the tap), timed here too, from before the
#     connection to the sender's exit (which waits for the guest's close): a check on
#     the guest's own timing of that direction.
# Prints timeboot's line, CMD's standard error and output (TIMEBOOT_KEEP), then
#   netbench g2h bytes=N seconds=S
#   netbench h2g-sender seconds=S
#   netbench vhost-net=yes|no
# and any seccomp kill the kernel logged meanwhile ("netbench seccomp: ...").
# Run it inside the network namespace of the tap for --net tap. Only this namespace's
# addresses are used: loopback, or the tap.
mib=$1 addr=$2 port=$3 limit=$4 marker=$5
shift 5
dir=/tmp/netbench
G2H_PORT=5001 GO_PORT=5003

# Kill the sessions (process groups) of this script's listeners, one ID a line.
end_sessions() {
	[ -f $dir/sessions ] || return 0
	while read -r s; do
		kill -- "-$s" 2>/dev/null
	done <$dir/sessions
	rm -f $dir/sessions
}

# A run that stalled may have left its listeners behind: they go first.
end_sessions
rm -rf $dir
mkdir -p $dir
# A listener's nc must not see its input end (it would half-close the connection and
# the sender would stop): it reads a FIFO that nobody writes.
mkfifo $dir/hold
exec 3<>$dir/hold

# Each side in a session of its own (setsid), to be killed whole if the guest never came.
setsid sh -c "nc -l -p $G2H_PORT <&3 | netrecv 'netbench g2h' >$dir/g2h" &
echo $! >>$dir/sessions
setsid sh -c "nc -l -p $GO_PORT <&3 >/dev/null &&
	start=\$(cut -d ' ' -f 1 /proc/uptime) &&
	dd if=/dev/zero bs=64k count=$((mib * 16)) 2>/dev/null | nc $addr $port >/dev/null &&
	echo \"netbench h2g-sender seconds=\$(echo \"\$(cut -d ' ' -f 1 /proc/uptime) \$start\" |
		awk '{ printf \"%.2f\", \$1 - \$2 }')\" >$dir/h2g" &
echo $! >>$dir/sessions

# A VMM killed by its seccomp filter leaves an audit line (type=1326) in the kernel log.
audits=$(dmesg | grep -c 'type=1326')
TIMEBOOT_KEEP=$dir/vmm timeboot "$limit" "$marker" "$@" 3<&-
dmesg | grep 'type=1326' | tail -n +$((audits + 1)) | sed 's/^/netbench seccomp: /'
cat $dir/vmm.err
cat $dir/vmm.out
# The guest's nc exits once ours has closed: its netrecv has at most a line to write.
sleep 0.2
cat $dir/g2h $dir/h2g 2>/dev/null
echo "netbench vhost-net=$([ -c /dev/vhost-net ] && echo yes || echo no)"
end_sessions
exit 0
