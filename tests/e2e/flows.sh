#!/usr/bin/env bash
# e2e: flows that allow, drop and rewrite, with real traffic between three
# namespaces (afpacket ports), changed while traffic flows, and bad flowctl
# input that must change nothing.
#   - allow:   udp:6000 from port 1 -> output:2, all 20 datagrams arrive;
#   - drop:    udp:6001 -> drop, none arrive, the rule counts them;
#   - rewrite: udp:6002 to ns2 -> mod_nw_dst:ns3,mod_dl_dst:ns3,output:3:
#              ns3's socket receives them addressed to 10.77.0.3 (so the
#              checksums were fixed: the kernel drops bad ones), ns2 nothing;
#   - at run time: mod-flows turns drop into output:2 and the very next
#              datagram arrives; add-flow turns it back and the next is dropped;
#   - rejected commands (bad field, bad action, bad file, duplicate or
#              unknown port, bad arguments) exit non-zero and leave flows,
#              ports and traffic exactly as they were.
#   flows.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout ethtool
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_topo 3
fl_start
fl_add_ports 3
cat >"$E2E_TMP/acl.flows" <<EOF
priority=0 actions=NORMAL
priority=100,in_port=1,udp,tp_dst=6000 actions=output:2
priority=100,udp,tp_dst=6001 actions=drop
priority=100,in_port=1,udp,nw_dst=${IP[2]},tp_dst=6002 actions=mod_nw_dst:${IP[3]},mod_dl_dst:${MAC[3]},output:3
EOF
fctl add-flows "$E2E_TMP/acl.flows" >/dev/null || fail "add-flows"
wait_ping 1 2 15 || fail "no ping ns1 -> ns2 within 15 s"
ping_ok 1 3 || fail "ping ns1 -> ns3"

# COUNT datagrams from ns1 to DST:PORT; a listener on ns I counts them.
# Prints how many ns I received. The listener stops once it has them all,
# or after 5 s; when none should arrive (EXPECTED 0), after 2 s.
deliver() { # I DST PORT COUNT [EXPECTED]
	local f=$E2E_TMP/recv.$1.$3 pid
	if [ "${5:-$4}" -eq 0 ]; then udp_listen "$1" "$3" 2 "$f"; else udp_listen "$1" "$3" 5 "$f" "$4"; fi
	pid=$BG_PID
	udp_send 1 "$2" "$3" "$4" "p$3"
	bg_wait "$pid"
	grep -c "payload p$3" "$f" || true
}
# n_packets of the flow whose dump-flows line contains TEXT
flow_packets() {
	fctl dump-flows | grep -F -- "$1" | grep -o 'n_packets=[0-9]*' | head -n 1 | cut -d= -f2
}

say "allow: udp:6000 -> output:2"
n=$(deliver 2 "${IP[2]}" 6000 20)
[ "$n" -eq 20 ] || fail "allow: ns2 received $n of 20"

say "drop: udp:6001 -> drop"
n=$(deliver 2 "${IP[2]}" 6001 20 0)
[ "$n" -eq 0 ] || fail "drop: ns2 received $n datagrams the flow drops"
c=$(flow_packets 'tp_dst=6001')
[ "${c:-0}" -ge 20 ] || fail "drop: the rule counted ${c:-nothing}, want 20"

# Twice: with the veth's checksum offload on (the switch gets partial
# checksums) and off (full checksums it must update for the new address).
for offload in on off; do
	say "rewrite: udp:6002 to ns2 -> mod_nw_dst/mod_dl_dst to ns3 (ns1 tx checksum offload $offload)"
	nsx 1 ethtool -K eth0 tx "$offload" >/dev/null 2>&1 || fail "ethtool -K eth0 tx $offload in ns1"
	udp_listen 2 6002 2 "$E2E_TMP/rw2"
	l2=$BG_PID
	udp_listen 3 6002 5 "$E2E_TMP/rw3" 20
	l3=$BG_PID
	udp_send 1 "${IP[2]}" 6002 20 rw
	bg_wait "$l2"
	bg_wait "$l3"
	n=$(grep -c "to ${IP[3]} payload rw" "$E2E_TMP/rw3" || true)
	[ "$n" -eq 20 ] || fail "rewrite: ns3 received $n of 20 datagrams addressed to ${IP[3]}: $(head -n 3 "$E2E_TMP/rw3")"
	n=$(grep -c "payload rw" "$E2E_TMP/rw2" || true)
	[ "$n" -eq 0 ] || fail "rewrite: ns2 still received $n"
	udp_csum_errors=$(nsx 3 awk '/^Udp:/ {if (h) print $8; h = 1}' /proc/net/snmp)
	[ "$udp_csum_errors" -eq 0 ] || fail "rewrite: ns3 counted $udp_csum_errors UDP checksum errors"
done

say "run time: drop -> output:2 takes effect for the next datagram, and back"
# the megaflow for the dropped 6001 datagrams is warm; the change must win
fctl mod-flows 'priority=100,udp,tp_dst=6001 actions=output:2' >/dev/null || fail "mod-flows"
n=$(deliver 2 "${IP[2]}" 6001 1)
[ "$n" -eq 1 ] || fail "the first datagram after mod-flows was not forwarded"
fctl add-flow 'priority=100,udp,tp_dst=6001 actions=drop' >/dev/null || fail "add-flow (replace)"
n=$(deliver 2 "${IP[2]}" 6001 1 0)
[ "$n" -eq 0 ] || fail "the first datagram after re-adding the drop rule was forwarded"
fctl del-flows --strict 'priority=100,in_port=1,udp,tp_dst=6000' >/dev/null || fail "del-flows --strict"
fctl add-flow 'priority=200,in_port=1,udp,tp_dst=6000 actions=drop' >/dev/null || fail "add-flow 6000 drop"
n=$(deliver 2 "${IP[2]}" 6000 1 0)
[ "$n" -eq 0 ] || fail "the first datagram after adding a higher-priority drop was forwarded"
fctl del-flows 'udp,tp_dst=6000' >/dev/null || fail "del-flows (loose)"
n=$(deliver 2 "${IP[2]}" 6000 5)
[ "$n" -eq 5 ] || fail "after del-flows, NORMAL should deliver 5 datagrams; got $n"

say "bad flowctl input changes nothing"
flows_before=$(flows_snapshot)
ports_before=$(ports_snapshot)
[ -n "$flows_before" ] && [ -n "$ports_before" ] || fail "empty snapshot"
printf 'priority=7,udp,tp_dst=7000 actions=drop\npriority=7,udp,tp_dst=7001 actions=output:\n' >"$E2E_TMP/bad.flows"
expect_rc() { # RC WHAT CMD...: flowctl exits RC and says something
	local want=$1 what=$2 rc=0
	shift 2
	fctl "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$what: flowctl $* exited $rc, want $want ($(cat "$E2E_TMP/err"))"
	[ -s "$E2E_TMP/err" ] || fail "$what: flowctl $* said nothing on stderr"
}
expect_rc 1 "unknown field" add-flow 'priority=5,udp,tp_dstt=1 actions=drop'
grep -q 'tp_dstt' "$E2E_TMP/err" || fail "the error does not name the bad field: $(cat "$E2E_TMP/err")"
expect_rc 1 "unknown action" add-flow 'priority=5,udp actions=frobnicate'
expect_rc 1 "bad value" add-flow 'priority=5,ip,nw_dst=10.77.0.300 actions=drop'
expect_rc 1 "bad line in a file (all or nothing)" add-flows "$E2E_TMP/bad.flows"
expect_rc 1 "bad mod-flows" mod-flows 'udp,tp_dst=6001 actions=mod_nw_dst:1.2.3'
expect_rc 1 "duplicate port name" add-port p1 "afpacket:${RIF[2]}"
expect_rc 1 "duplicate port number" add-port "px@2" "afpacket:${RIF[2]}"
expect_rc 1 "unknown port type" add-port p9 "nosuchtype:x"
expect_rc 1 "unknown port" del-port p9
expect_rc 2 "missing argument" add-flow
expect_rc 2 "unknown command" frobnicate
[ "$(flows_snapshot)" = "$flows_before" ] ||
	fail "rejected commands changed the flows: $(diff <(echo "$flows_before") <(flows_snapshot))"
[ "$(ports_snapshot)" = "$ports_before" ] ||
	fail "rejected commands changed the ports: $(diff <(echo "$ports_before") <(ports_snapshot))"
n=$(deliver 2 "${IP[2]}" 6001 5 0)
[ "$n" -eq 0 ] || fail "after rejected commands, the drop rule let $n through"
n=$(deliver 3 "${IP[2]}" 6002 5)
[ "$n" -eq 5 ] || fail "after rejected commands, the rewrite delivered $n of 5"
ping_ok 1 2 || fail "after rejected commands, ping ns1 -> ns2"
fl_alive || fail "the daemon died"
echo "PASS: flows"
