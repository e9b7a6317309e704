#!/usr/bin/env bash
# e2e: L2 learning and flooding with NORMAL across three namespaces joined to
# the daemon by veth pairs (afpacket ports).
#   - ping works between every pair (ARP is flooded, replies are learned);
#   - once the MACs are learned, unicast UDP from ns1 to ns2 reaches ns2 and
#     never ns3 (a sniffer on ns3 and port 3's tx counter say so);
#   - a frame to an unknown MAC and an ARP broadcast reach both ns2 and ns3.
#   l2_learning.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_topo 3
fl_start
fl_add_ports 3
fctl add-flow "actions=NORMAL" >/dev/null || fail "add-flow actions=NORMAL"

say "ping between every pair through NORMAL"
wait_ping 1 2 15 || fail "no ping ns1 -> ns2 within 15 s"
ping_ok 1 3 || fail "ping ns1 -> ns3"
ping_ok 2 3 || fail "ping ns2 -> ns3"
macs=$(fctl_json 'r["pipeline"]["mac_entries"]' show)
[ "$macs" -ge 3 ] || fail "the switch learned $macs MACs, want at least 3"

say "known unicast: 200 datagrams ns1 -> ns2, none flooded to ns3"
ping_ok 1 2 || fail "ping ns1 -> ns2 (refresh)"
tx3=$(port_stat p3 tx_packets)
sniff_start 3 "$E2E_TMP/sniff3"
s3=$BG_PID
udp_listen 2 5001 15 "$E2E_TMP/recv2" 200
r2=$BG_PID
udp_send 1 "${IP[2]}" 5001 200 unicast
bg_wait "$r2"
sniff_stop "$s3"
got=$(grep -c 'payload unicast' "$E2E_TMP/recv2" || true)
[ "$got" -eq 200 ] || fail "ns2 received $got of 200 datagrams"
leaked=$(grep -c 'dport 5001' "$E2E_TMP/sniff3" || true)
[ "$leaked" -eq 0 ] || fail "$leaked unicast datagrams for ns2 were flooded to ns3"
tx3b=$(port_stat p3 tx_packets)
# a few ARP refreshes may be broadcast meanwhile; 200 flooded frames may not
[ $((tx3b - tx3)) -lt 10 ] || fail "port p3 sent $((tx3b - tx3)) frames while ns1 talked to ns2"

say "unknown unicast and broadcast are flooded to both other ports"
sniff_start 2 "$E2E_TMP/flood2"
f2=$BG_PID
sniff_start 3 "$E2E_TMP/flood3"
f3=$BG_PID
nsx 1 "${PKT[@]}" raw eth0 02:77:00:00:00:99 "${MAC[1]}" 5
nsx 1 ping -c 1 -W 1 10.77.0.77 >/dev/null 2>&1 || true # ARP who-has, broadcast
sniff_stop "$f2" "$f3"
for i in 2 3; do
	n=$(grep -c 'dst=02:77:00:00:00:99' "$E2E_TMP/flood$i" || true)
	[ "$n" -eq 5 ] || fail "ns$i saw $n of 5 frames to an unknown MAC"
	grep -q 'dst=ff:ff:ff:ff:ff:ff.*arp op 1 10.77.0.1 > 10.77.0.77' "$E2E_TMP/flood$i" ||
		fail "ns$i did not see ns1's ARP broadcast"
done
fl_alive || fail "the daemon died"
echo "PASS: l2_learning"
