#!/usr/bin/env bash
# e2e: AF_XDP ports on veths (native XDP, copy mode: veth has no zero-copy).
#   - two afxdp ports, NORMAL: ping works both ways;
#   - 500 UDP datagrams ns1 -> ns2 all arrive;
#   - TCP (iperf3, 10 MiB): an AF_XDP frame must fit one buffer, so the
#     veths' tx offloads are switched off first, as for OVS (the port's
#     usage string says so);
#   - del-port detaches: ping stops.
# Skipped, with the reason, when flowlane was built without libxdp or the
# kernel refuses AF_XDP here.
#   afxdp.sh BUILD_DIR|FLOWLANE
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_cmd ip ping timeout ethtool iperf3
e2e_init "${1:?usage: $0 BUILD_DIR}"
e2e_need_daemon
e2e_have_port_type afxdp || skip "this flowlane has no afxdp: ports"
e2e_topo 2
for i in 1 2; do
	nsx "$i" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 || true
	ethtool -K "${RIF[i]}" tx off tso off gso off >/dev/null 2>&1 || true
done
fl_start
for i in 1 2; do
	if ! fctl add-port "p$i@$i" "afxdp:${RIF[i]}" >/dev/null 2>"$E2E_TMP/err"; then
		grep -qiE 'not built|not supported|not permitted' "$E2E_TMP/err" &&
			skip "AF_XDP is not available here: $(head -n 1 "$E2E_TMP/err")"
		fail "add-port p$i afxdp:${RIF[i]}: $(cat "$E2E_TMP/err")"
	fi
done
fctl add-flow "actions=NORMAL" >/dev/null || fail "add-flow actions=NORMAL"

say "ping through two AF_XDP ports"
wait_ping 1 2 15 || fail "no ping ns1 -> ns2 within 15 s"
ping_ok 2 1 || fail "ping ns2 -> ns1"

say "500 UDP datagrams ns1 -> ns2"
udp_listen 2 5001 15 "$E2E_TMP/r2" 500
r2=$BG_PID
nsx 1 "${PKT[@]}" send "${IP[2]}" 5001 500 --interval 0.001 --payload xdp
bg_wait "$r2"
n=$(grep -c 'payload xdp' "$E2E_TMP/r2" || true)
[ "$n" -eq 500 ] || fail "ns2 received $n of 500 datagrams"
rx=$(port_stat p1 rx_packets)
[ "$rx" -ge 500 ] || fail "port p1 counted $rx rx packets, want at least 500"

say "TCP ns1 -> ns2 (iperf3, 10 MiB)"
nsbg 2 timeout 40 iperf3 -s -1 -B "${IP[2]}" -p 5201 >/dev/null 2>&1
srv=$BG_PID
wait_listen 2 5201 || fail "iperf3 server in ns2 did not start"
out=$(nsx 1 timeout 30 iperf3 -c "${IP[2]}" -p 5201 -n 10M --connect-timeout 3000 -J 2>&1) ||
	fail "iperf3 through AF_XDP ports failed: $(tail -n 5 <<<"$out")"
bg_wait "$srv"
say "  $("$PY" -c 'import json, sys; r = json.load(sys.stdin); print("%.2f Gbit/s" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$out")"

say "del-port detaches"
fctl del-port p2 >/dev/null || fail "del-port p2"
ping_fails 1 2 || fail "ping ns1 -> ns2 works after del-port p2"
fl_alive || fail "the daemon died"
echo "PASS: afxdp"
