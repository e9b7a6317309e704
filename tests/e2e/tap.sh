#!/usr/bin/env bash
# e2e: a TAP port next to an afpacket port.
#   ns1 eth0 -- veth -- p1 (afpacket) [ switch ] t1 (tap) -- the kernel of
#   the switch's namespace (10.77.0.100 on the TAP device)
# The daemon runs in a namespace of its own here, so the TAP device it
# creates, and the address the test puts on it, stay out of the host.
#   - the daemon creates the TAP device (up), it goes away with the port;
#   - ping ns1 <-> the TAP side works through NORMAL;
#   - TCP both ways (iperf3, 20 MiB each, veth offloads on: the kernel hands
#     the switch large segments on both sides) arrives complete;
#   - del-port t1 removes the device.
#   tap.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout iperf3
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_have_port_type tap || skip "this flowlane has no tap: ports"
# shellcheck disable=SC2034 # read by lib.sh
E2E_SWNS=1
e2e_topo 1
tap=${E2E_PREFIX}t
fl_start
fl_add_ports 1
fctl add-port "t1@2" "tap:$tap" >/dev/null || fail "add-port t1 tap:$tap"
fctl add-flow "actions=NORMAL" >/dev/null || fail "add-flow actions=NORMAL"
swx ip link show "$tap" >/dev/null 2>&1 || fail "the daemon did not create $tap"
swx ip link set "$tap" address 02:77:00:00:00:64 up
swx ip addr add 10.77.0.100/24 dev "$tap"

say "ping ns1 <-> the TAP side"
wait_until 15 nsx 1 ping -c 1 -W 1 10.77.0.100 || fail "no ping ns1 -> 10.77.0.100 (tap) within 15 s"
swx ping -c 3 -i 0.2 -W 1 "${IP[1]}" >/dev/null || fail "ping tap side -> ns1"

say "TCP both ways through the TAP port (20 MiB each)"
for dir in "" -R; do
	what="ns1 -> tap"
	[ -z "$dir" ] || what="tap -> ns1"
	nsbg sw timeout 40 iperf3 -s -1 -B 10.77.0.100 -p 5201 >/dev/null 2>&1
	srv=$BG_PID
	wait_listen sw 5201 || fail "iperf3 server in the switch namespace did not start"
	out=$(nsx 1 timeout 30 iperf3 -c 10.77.0.100 -p 5201 -n 20M $dir --connect-timeout 3000 -J 2>&1) ||
		fail "iperf3 $what failed: $(tail -n 5 <<<"$out")"
	bg_wait "$srv"
	# TCP delivered what was sent once iperf3 ends without error (its
	# receiver total stops at its last report interval, so it is not used)
	got=$("$PY" -c 'import json, sys; r = json.load(sys.stdin); print(int(r["end"]["sum_sent"]["bytes"]) if "error" not in r else -1)' <<<"$out")
	[ "$got" -ge 20971520 ] || fail "iperf3 $what: sent $got bytes of 20 MiB"
	say "  $what: $("$PY" -c 'import json, sys; r = json.load(sys.stdin); print("%.2f Gbit/s" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$out")"
done

say "del-port t1 removes the TAP device"
fctl del-port t1 >/dev/null || fail "del-port t1"
wait_until 5 eval "! swx ip link show $tap" || fail "$tap still exists after del-port"
ping_ok 1 1 10.77.0.100 && fail "ping to the TAP side works after del-port"
fl_alive || fail "the daemon died"
echo "PASS: tap"
