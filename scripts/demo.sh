#!/usr/bin/env bash
# make demo: flowlane switching real traffic between network namespaces.
#
#   ns1 10.77.0.1 --veth-- p1 (afpacket) [          ] t1 (tap) -- 10.77.0.100
#   ns2 10.77.0.2 --veth-- p2 (afpacket) [ flowlane ]    (the kernel of the
#                                                         switch's namespace)
#
# The daemon starts, flowctl adds the ports and one NORMAL flow (MAC
# learning), then ping and iperf3 (TCP and UDP) run through it, and flowctl
# shows what happened: ports, flows, caches, a trace. Everything lives in
# namespaces made for the demo and is removed at the end, also on Ctrl-C.
# Without root (namespaces need it) only the last part runs: the one-shot
# `flowlane run` on a generated capture.
#   scripts/demo.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
flowlane=$build/tools/flowlane
flowctl=$build/tools/flowctl

step() { printf '\n\033[1m== %s\033[0m\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | fold -s -w 100; }
cmd() { printf '\033[2m$ %s\033[0m\n' "$*"; }

live=1 why=''
if [ "$(id -u)" -ne 0 ]; then
	live=0 why="not root"
elif ! [ -x "$flowctl" ]; then
	live=0 why="no flowctl in $build"
else
	for c in ip ping iperf3 ethtool; do
		command -v "$c" >/dev/null || { live=0 why="'$c' is missing (scripts/deps.sh installs it)"; }
	done
fi

if [ "$live" = 1 ]; then
	# shellcheck disable=SC2034 # read by lib.sh
	E2E_PREFIX=fle2ed$(($$ % 100000)) E2E_SWNS=1
	# shellcheck source=../tests/e2e/lib.sh
	. "$here/../tests/e2e/lib.sh"
	e2e_init "$build"
	fail() { echo "demo: $*" >&2; e2e_dump_log >&2; exit 1; }
	tap=${E2E_PREFIX}t
	fl() { cmd "flowctl $*"; fctl "$@"; }

	step "1. Two network namespaces, each joined by a veth pair to the switch's namespace" \
		"ns1 and ns2 play two hosts (eth0 = 10.77.0.1 and .2); the other veth ends, r1 and r2, are where flowlane attaches."
	e2e_topo 2
	for i in 1 2; do
		printf 'ns%d (%s): ' "$i" "${NS[i]}"
		ip -n "${NS[i]}" -br addr show eth0
	done

	step "2. Start the flowlane daemon" \
		"It listens on a control socket and keeps its configuration in a state file; flowctl talks to it."
	cmd "flowlane --socket $SOCK --state $STATE &"
	fl_start
	fl add-port p1@1 "afpacket:${RIF[1]}"
	fl add-port p2@2 "afpacket:${RIF[2]}"
	fl add-port t1@3 "tap:$tap"
	fl add-flow 'actions=NORMAL'
	echo "(t1 is a TAP device flowlane created; its kernel side gets 10.77.0.100 and plays a third host)"
	swx ip link set "$tap" address 02:77:00:00:00:64 up
	swx ip addr add 10.77.0.100/24 dev "$tap"
	wait_until 15 port_up p1 && wait_until 5 port_up p2 || fail "ports did not come up"

	step "3. flowctl show: ports (type, link, queues, the worker polling each), workers, tables"
	fl show

	step "4. ping through the switch: ns1 -> ns2 and ns1 -> the TAP side" \
		"The first packets are flooded (ARP) and teach the switch where each MAC lives; then it forwards to one port."
	wait_ping 1 2 15 || fail "no ping ns1 -> ns2"
	cmd "ip netns exec ns1 ping -c 5 -i 0.2 10.77.0.2"
	nsx 1 ping -c 5 -i 0.2 "${IP[2]}" | tail -n 2
	cmd "ip netns exec ns1 ping -c 5 -i 0.2 10.77.0.100"
	nsx 1 ping -c 5 -i 0.2 10.77.0.100 | tail -n 2

	udp_rcvbuf_errors() { # I: UDP datagrams namespace I dropped for a full socket buffer
		nsx "$1" awk '/^Udp:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i }
			else { print $c; exit } }' /proc/net/snmp
	}
	iperf() { # WHAT SERVER-NS SERVER-IP CLIENT-ARGS...
		local what=$1 sns=$2 sip=$3 srv out
		shift 3
		nsbg "$sns" timeout 30 iperf3 -s -1 -B "$sip" -p 5201 >/dev/null 2>&1
		srv=$BG_PID
		wait_listen "$sns" 5201 || true # iperf3 then says what is wrong
		cmd "ip netns exec ns1 iperf3 -c $sip $*"
		out=$(nsx 1 timeout 30 iperf3 -c "$sip" -p 5201 --connect-timeout 3000 -J "$@" 2>&1) || true
		bg_wait "$srv"
		"$PY" -c '
import json, sys
try:
    e = json.loads(sys.stdin.read())["end"]
except Exception as x:
    sys.exit("  iperf3 failed: %s" % x)
if "sum" in e and "lost_percent" in e["sum"]:
    s = e["sum"]
    print("  %s: %.2f Gbit/s, %d of %d datagrams lost (%.2f%%), jitter %.3f ms" % (sys.argv[1],
          s["bits_per_second"] / 1e9, s["lost_packets"], s["packets"], s["lost_percent"], s["jitter_ms"]))
else:
    print("  %s: %.2f Gbit/s received, %d retransmits" % (sys.argv[1],
          e["sum_received"]["bits_per_second"] / 1e9, e["sum_sent"].get("retransmits", 0)))' "$what" <<<"$out"
	}
	step "5. iperf3 through the switch, 3 s each" \
		"The veths keep their offloads on: the kernel hands flowlane 64 KB TCP segments with partial checksums, and flowlane passes them on with virtio-net headers (or segments them) instead of asking the kernel to stop."
	iperf "TCP ns1 -> ns2" 2 "${IP[2]}" -t 3
	rcvbuf0=$(udp_rcvbuf_errors 2)
	iperf "UDP ns1 -> ns2 at 500 Mbit/s offered, 1400-byte datagrams" 2 "${IP[2]}" -u -b 500M -l 1400 -t 3
	echo "  ($(($(udp_rcvbuf_errors 2) - rcvbuf0)) datagrams were dropped by ns2's kernel because the iperf3" \
		"server's socket buffer was full (RcvbufErrors); the switch's drops, if any, are in dump-ports)"
	iperf "TCP ns1 -> the TAP side" sw 10.77.0.100 -t 3

	step "6. flowctl dump-ports: what each port received and sent, and drops by reason"
	fl dump-ports

	step "7. flowctl dump-flows: the NORMAL rule and its counters"
	fl dump-flows

	step "8. flowctl dump-caches" \
		"Per worker: hits in the exact-match cache (EMC) and the megaflow cache, upcalls to the flow tables, and the megaflows installed, each with the bits it matches on."
	fl dump-caches

	step "9. flowctl trace: why a packet from ns1 to ns2 goes where it goes"
	fl trace "in_port=1,icmp,dl_src=${MAC[1]},dl_dst=${MAC[2]},nw_src=${IP[1]},nw_dst=${IP[2]}"

	step "10. Idle: with nothing to do the workers sleep in epoll instead of spinning"
	t0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$FL_PID/stat")
	sleep 3
	t1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$FL_PID/stat")
	awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN {printf "flowlane used %.1f%% of a core over 3 s idle (utime+stime)\n", (b - a) / hz / 3 * 100}'
	e2e_teardown
	echo "(namespaces, veths and the daemon removed)"
else
	echo "demo: $why: skipping the part with network namespaces (run 'sudo make demo' for it)"
	t=$(mktemp -d)
	trap 'rm -rf "$t"' EXIT
fi

t=${E2E_TMP:-$t}
step "$([ "$live" = 1 ] && echo 11 || echo 1). Offline: the one-shot 'flowlane run' splits a generated capture with an ACL" \
	"The same switch without a daemon: ports are files and generators, handy for testing flows."
cmd "flowlane run -q -p gen=gen:flows=100,size=64-1500,proto=mix,count=2000 -p cap=pcap:tx=demo.pcap -m gen=cap"
"$flowlane" run -q -p gen=gen:flows=100,size=64-1500,proto=mix,count=2000 -p cap=pcap:tx="$t/demo.pcap" -m gen=cap
cat >"$t/demo.flows" <<'FLOWS'
# TCP to port 2 with a rewritten destination MAC; the rest through table 1
priority=100,in_port=1,tcp actions=mod_dl_dst:02:00:00:00:00:aa,output:2
priority=50,in_port=1 actions=goto_table:1
table=1,priority=10,icmp actions=drop
table=1,priority=5,udp actions=dec_ttl,output:3
FLOWS
sed 's/^/    /' "$t/demo.flows"
cmd "flowlane run -p in=pcap:demo.pcap -p tcp=pcap:tx=tcp.pcap -p other=pcap:tx=other.pcap --flows demo.flows"
"$flowlane" run -p in=pcap:"$t/demo.pcap" -p tcp=pcap:tx="$t/tcp.pcap" -p other=pcap:tx="$t/other.pcap" \
	--flows "$t/demo.flows"
cmd "flowlane run ... --flows demo.flows --trace 'in_port=1,udp,nw_src=10.0.0.1,nw_dst=172.16.0.1,nw_ttl=64,tp_dst=53'"
"$flowlane" run -q -p in=pcap:"$t/demo.pcap" -p tcp=null: -p other=null: --flows "$t/demo.flows" \
	--trace 'in_port=1,udp,nw_src=10.0.0.1,nw_dst=172.16.0.1,nw_ttl=64,tp_dst=53'

printf '\nDone. More: flowlane --help, flowctl --help, README.md; tests: make test.\n'
