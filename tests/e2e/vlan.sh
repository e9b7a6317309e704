#!/usr/bin/env bash
# e2e: push and pop VLAN tags with real traffic (afpacket ports).
#   ns1 eth0 (untagged) -- p1 [ switch ] p2 -- eth0 ns2 (VLAN 100)
# Flows: from p1 push VLAN 100 and output to p2; from p2 with VLAN 100 pop
# and output to p1; nothing else passes.
#   - push: UDP from ns1 arrives at ns2 tagged 100 (a packet socket on ns2's
#     eth0 sees the tag, which the kernel moves into the packet's metadata);
#   - pop: tagged UDP frames sent raw from ns2 reach a UDP socket in ns1
#     untagged (the kernel would not deliver them otherwise), and ns1's
#     packet socket sees no tag;
#   - untagged frames from ns2 match no flow and are dropped;
#   - with 8021q in the kernel, also ping between ns1 and ns2's VLAN 100
#     subinterface eth0.100 (ARP included). This machine's kernel may lack
#     8021q; the checks above need no VLAN device.
#   vlan.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_topo 2
# no ARP needed for the checks with UDP (ARP frames would be tagged too)
ip -n "${NS[1]}" neigh replace "${IP[2]}" lladdr "${MAC[2]}" dev eth0 nud permanent
fl_start
fl_add_ports 2
cat >"$E2E_TMP/vlan.flows" <<'EOF'
priority=10,in_port=1 actions=push_vlan:0x8100,mod_vlan_vid:100,output:2
priority=10,in_port=2,dl_vlan=100 actions=pop_vlan,output:1
EOF
fctl add-flows "$E2E_TMP/vlan.flows" >/dev/null || fail "add-flows"
wait_until 15 port_up p1 && wait_until 5 port_up p2 || fail "ports not up within 15 s"

say "push: UDP from ns1 arrives at ns2 tagged 100"
sniff_start 2 "$E2E_TMP/s2"
s2=$BG_PID
udp_send 1 "${IP[2]}" 7100 10 push
sniff_stop "$s2"
n=$(grep -c "vlan=100 type=0x0800 ip ${IP[1]} > ${IP[2]} proto 17 sport [0-9]* dport 7100" "$E2E_TMP/s2" || true)
[ "$n" -eq 10 ] || fail "ns2 saw $n of 10 datagrams tagged 100: $(head -n 5 "$E2E_TMP/s2")"
! grep -q "vlan=- .*dport 7100" "$E2E_TMP/s2" || fail "ns2 got untagged datagrams from ns1"

say "pop: tagged frames from ns2 reach ns1's UDP socket untagged"
udp_listen 1 7200 10 "$E2E_TMP/r1" 10
r1=$BG_PID
sniff_start 1 "$E2E_TMP/s1"
s1=$BG_PID
nsx 2 "${PKT[@]}" raw eth0 "${MAC[1]}" "${MAC[2]}" 10 --vlan 100 --src "${IP[2]}" --dst "${IP[1]}" \
	--dport 7200 --payload popped
bg_wait "$r1"
sniff_stop "$s1"
n=$(grep -c "to ${IP[1]} payload popped" "$E2E_TMP/r1" || true)
[ "$n" -eq 10 ] || fail "ns1's socket received $n of 10 popped datagrams"
! grep -q 'vlan=100' "$E2E_TMP/s1" || fail "ns1 got tagged frames: $(grep 'vlan=100' "$E2E_TMP/s1" | head -n 2)"

say "untagged and wrongly tagged frames from ns2 are dropped"
udp_listen 1 7300 2 "$E2E_TMP/r1b"
r1=$BG_PID
nsx 2 "${PKT[@]}" raw eth0 "${MAC[1]}" "${MAC[2]}" 5 --src "${IP[2]}" --dst "${IP[1]}" --dport 7300 --payload untagged
nsx 2 "${PKT[@]}" raw eth0 "${MAC[1]}" "${MAC[2]}" 5 --vlan 200 --src "${IP[2]}" --dst "${IP[1]}" --dport 7300 \
	--payload vlan200
bg_wait "$r1"
[ ! -s "$E2E_TMP/r1b" ] || fail "frames that match no flow got through: $(head -n 2 "$E2E_TMP/r1b")"

if ip -n "${NS[2]}" link add link eth0 name eth0.100 type vlan id 100 2>/dev/null; then
	say "ping untagged ns1 -> ns2's eth0.100 through push_vlan/pop_vlan"
	ip -n "${NS[1]}" addr add 10.77.100.1/24 dev eth0
	ip -n "${NS[2]}" addr add 10.77.100.2/24 dev eth0.100
	ip -n "${NS[2]}" link set eth0.100 up
	wait_until 10 nsx 1 ping -c 1 -W 1 10.77.100.2 || fail "no ping 10.77.100.1 -> 10.77.100.2"
	nsx 2 ping -c 3 -i 0.2 -W 1 10.77.100.1 >/dev/null || fail "ping 10.77.100.2 -> 10.77.100.1"
else
	say "no VLAN subinterfaces in this kernel (8021q): ping over eth0.100 not tried"
fi
fl_alive || fail "the daemon died"
echo "PASS: vlan"
