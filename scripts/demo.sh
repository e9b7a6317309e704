#!/usr/bin/env bash
# make demo: run the switch on generated traffic and on a capture, and show
# what it did. (When the daemon and kernel ports land, this becomes real
# traffic between network namespaces.)
#   scripts/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
flowlane=$build/tools/flowlane
bench=$build/bench/flowlane-bench
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "1. Generated traffic: 5 million frames over 1000 flows (UDP, TCP, ICMP; 20% IPv6) into a sink" \
	"flowlane -p gen=gen:flows=1000,proto=mix,ipv6=20,count=5000000 -p sink=null: -m gen=sink"
"$flowlane" run -p gen=gen:flows=1000,proto=mix,ipv6=20,count=5000000 -p sink=null: -m gen=sink

step "2. Write a capture: 2000 frames of 64..1500 bytes, some VLAN-tagged, from the generator" \
	"flowlane -q -p gen=gen:flows=100,size=64-1500,proto=mix,vlan=10,count=2000 -p cap=pcap:tx=demo.pcap -m gen=cap"
"$flowlane" run -q -p gen=gen:flows=100,size=64-1500,proto=mix,vlan=10,count=2000 \
	-p cap=pcap:tx="$t/demo.pcap" -m gen=cap
ls -l "$t/demo.pcap" | awk '{print $5 " bytes"}'

step "3. Forward the capture through the switch to a port with MTU 1000 and keep what it sends" \
	"flowlane -p in=pcap:demo.pcap -p out=pcap:tx=out.pcap,mtu=1000 -m in=out"
"$flowlane" run -p in=pcap:"$t/demo.pcap" -p out=pcap:tx="$t/out.pcap",mtu=1000 -m in=out

step "4. Flow tables: an ACL in ovs-ofctl syntax splits the capture over two ports" \
	"flowlane -p in=pcap:demo.pcap -p tcp=pcap:tx=tcp.pcap -p other=pcap:tx=other.pcap --flows demo.flows"
cat >"$t/demo.flows" <<'FLOWS'
# TCP to port 2 with a rewritten destination MAC; the rest through table 1
priority=100,in_port=1,tcp actions=mod_dl_dst:02:00:00:00:00:aa,output:2
priority=50,in_port=1 actions=goto_table:1
table=1,priority=10,icmp actions=drop
table=1,priority=5,udp actions=dec_ttl,output:3
FLOWS
sed 's/^/    /' "$t/demo.flows"
"$flowlane" run -p in=pcap:"$t/demo.pcap" -p tcp=pcap:tx="$t/tcp.pcap" -p other=pcap:tx="$t/other.pcap" \
	--flows "$t/demo.flows"

step "5. Why did a packet go where it went? A trace through the caches and tables" \
	"flowlane ... --flows demo.flows --trace 'in_port=1,udp,nw_src=10.0.0.1,nw_dst=172.16.0.1,nw_ttl=64,tp_dst=53'"
"$flowlane" run -q -p in=pcap:"$t/demo.pcap" -p tcp=null: -p other=null: --flows "$t/demo.flows" \
	--trace 'in_port=1,udp,nw_src=10.0.0.1,nw_dst=172.16.0.1,nw_ttl=64,tp_dst=53'

step "6. The same run, counters as JSON for scripts" \
	"flowlane --json -p in=pcap:demo.pcap -p out=null: -m in=out"
"$flowlane" run --json -p in=pcap:"$t/demo.pcap" -p out=null: -m in=out

step "7. How fast, on one core: a capture replayed from memory -> parse -> forward -> null" \
	"flowlane-bench forward --pcap demo.pcap --runs 3; flowlane-bench forward parse-ipv4-udp --runs 3"
echo "-- the demo capture (64..1500 byte frames):"
"$bench" forward --pcap "$t/demo.pcap" --runs 3
echo "-- 64-byte frames of one flow, and the parser alone on 64-byte IPv4/UDP:"
"$bench" forward parse-ipv4-udp --runs 3 | tail -n +2

printf '\nDone. See README.md for more (flowlane --help, flowlane-bench --list).\n'
