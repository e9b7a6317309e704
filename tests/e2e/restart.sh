#!/usr/bin/env bash
# e2e: the daemon killed with SIGKILL and started again comes back with its
# ports and flows, and traffic works again (afpacket ports).
#   - ports p1, p2 and flows (NORMAL, a drop rule, a cookie, a second table)
#     are set up with flowctl; ping works, the drop rule drops;
#   - kill -9: no shutdown code runs; ns1 can no longer reach ns2;
#   - the daemon starts on the same state file: the same ports and flows
#     (dump-flows without counters, show), ping works, the drop rule still
#     drops and the rule in table 1 still forwards;
#   - a clean SIGTERM stop and start gives the same again.
#   restart.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_topo 2
fl_start
fl_add_ports 2
cat >"$E2E_TMP/restart.flows" <<'EOF'
priority=0 actions=NORMAL
cookie=0x2a,priority=100,udp,tp_dst=8001 actions=drop
priority=100,in_port=1,udp,tp_dst=8002 actions=goto_table:1
table=1,priority=5,udp actions=output:2
EOF
fctl add-flows "$E2E_TMP/restart.flows" >/dev/null || fail "add-flows"

# check_traffic WHEN: ping, 8001 dropped, 8002 forwarded through table 1
check_traffic() {
	local n
	wait_ping 1 2 15 || fail "$1: no ping ns1 -> ns2 within 15 s"
	udp_listen 2 8001 2 "$E2E_TMP/r8001"
	n=$BG_PID
	udp_send 1 "${IP[2]}" 8001 5 drop
	bg_wait "$n"
	[ ! -s "$E2E_TMP/r8001" ] || fail "$1: the drop rule let datagrams through"
	udp_listen 2 8002 5 "$E2E_TMP/r8002" 5
	n=$BG_PID
	udp_send 1 "${IP[2]}" 8002 5 t1
	bg_wait "$n"
	n=$(grep -c 'payload t1' "$E2E_TMP/r8002" || true)
	[ "$n" -eq 5 ] || fail "$1: $n of 5 datagrams through table 1"
}

say "before: traffic as the flows say"
check_traffic "before"
flows0=$(flows_snapshot)
ports0=$(ports_snapshot)
grep -q 'cookie=0x2a' <<<"$flows0" || fail "dump-flows lacks the cookie: $flows0"

say "kill -9"
fl_kill9
ping_fails 1 2 || fail "ping ns1 -> ns2 works with the daemon dead"

say "restart on the same state file: ports and flows restored"
fl_start
[ "$(ports_snapshot)" = "$ports0" ] || fail "ports after kill -9 + restart differ: $(diff <(echo "$ports0") <(ports_snapshot))"
[ "$(flows_snapshot)" = "$flows0" ] || fail "flows after kill -9 + restart differ: $(diff <(echo "$flows0") <(flows_snapshot))"
check_traffic "after kill -9 and restart"

say "clean stop (SIGTERM) and start"
fl_stop || fail "the daemon exited non-zero on SIGTERM"
[ ! -e "$SOCK" ] || fail "the control socket is still there after a clean stop"
fl_start
[ "$(ports_snapshot)" = "$ports0" ] || fail "ports after SIGTERM + restart differ"
[ "$(flows_snapshot)" = "$flows0" ] || fail "flows after SIGTERM + restart differ"
check_traffic "after SIGTERM and restart"
fl_alive || fail "the daemon died"
echo "PASS: restart"
