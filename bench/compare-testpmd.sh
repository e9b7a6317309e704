#!/usr/bin/env bash
# compare-testpmd.sh: flowlane's forward rate against DPDK testpmd's, same pcap, same run.
#
# What it measures, on this machine and in one go:
#   testpmd   dpdk-testpmd in io forward mode on one forwarding lcore: rx from a pcap
#             vdev replaying FILE from memory forever, tx into a null vdev. io mode does
#             not look at the packets: it is rx burst -> tx burst, the ceiling of a
#             poll-mode forwarder on this core.
#   flowlane  flowlane-bench forward --pcap FILE: the same frames through flowlane's
#             datapath on one core: each replayed frame copied into a fresh buffer
#             (as testpmd's pcap vdev does with mbufs), parsed, forwarded, freed by
#             a null port.
# Both use the same 64-byte single-flow Ethernet/IPv4/UDP pcap. The runs alternate
# (testpmd, flowlane, testpmd, ...) so that load from other users of the machine
# hits both alike; each side reports the median of its runs and the min..max.
# flowlane parses every packet and testpmd does not, so parity is not expected:
# the target is flowlane >= 0.5 x testpmd.
#
# testpmd's rate comes from its --stats-period output: packets forwarded over at
# least S seconds after one stats period of warm-up (start-up is excluded).
# Hugepages are used if they can be reserved (the old nr_hugepages is restored
# and hugetlbfs is mounted in a private mount namespace only for testpmd);
# otherwise, or with --no-huge, testpmd runs with --no-huge -m 1024 (slower).
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--runs N] [--seconds S] [--pcap FILE] [--core C] [--no-huge] [--json]
  --runs N      runs per side, median reported (default 5)
  --seconds S   measured seconds per run (default 3)
  --pcap FILE   use FILE instead of a generated 64 B single-flow UDP pcap
  --core C      forwarding core for both (default 1; testpmd's main lcore is another)
  --no-huge     run testpmd without hugepages even if they could be reserved
  --json        print one JSON object instead of the table
Needs root (hugepages, /var/run/dpdk), dpdk-testpmd and a release build of flowlane
(FLOWLANE_BUILD overrides the build directory, default build/release).
EOF
}

die() { echo "compare-testpmd: $*" >&2; exit 1; }
note() { echo "compare-testpmd: $*" >&2; }

runs=5 secs=3 pcap_in='' json=0 huge=auto core=1
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:?--runs needs a value}; shift 2 ;;
	--seconds) secs=${2:?--seconds needs a value}; shift 2 ;;
	--pcap) pcap_in=${2:?--pcap needs a file}; shift 2 ;;
	--core) core=${2:?--core needs a value}; shift 2 ;;
	--no-huge) huge=no; shift ;;
	--json) json=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "--runs: 1 to 99"
[[ $secs =~ ^[1-9][0-9]?$ ]] || die "--seconds: 1 to 99 (whole seconds)"
main_core=0
[ "$core" != 0 ] || main_core=1
for c in "$core" "$main_core"; do
	if ! [[ $c =~ ^[0-9]+$ ]] || ! taskset -c "$c" true 2>/dev/null; then die "--core: CPU $c is not usable"; fi
done
# The script itself (polling, awk) stays off the forwarding core; testpmd pins its
# lcores itself and flowlane-bench is started with taskset.
taskset -pc "$main_core" $$ >/dev/null

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLOWLANE_BUILD:-$root/build/release}
bench=$build/bench/flowlane-bench
pkgs="dpdk-dev librte-net-pcap23 librte-net-null23 librte-mempool-ring23"

# --- prerequisites --------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "needs root (hugepages, /var/run/dpdk)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found: apt-get install $pkgs"
libs=$(ldconfig -p) # not piped into grep -q: with pipefail, SIGPIPE would fail it
for lib in librte_net_pcap librte_net_null librte_mempool_ring; do
	[[ $libs == *"$lib.so"* ]] || die "DPDK driver $lib missing: apt-get install $pkgs"
done
[ -x "$bench" ] || die "flowlane is not built ($bench missing): cd $root &&" \
	"meson setup build/release --buildtype=release && ninja -C build/release"
[ -r "${pcap_in:-/dev/null}" ] || die "cannot read $pcap_in"

read -r load _ </proc/loadavg
if awk -v l="$load" 'BEGIN {exit !(l > 0.7)}'; then
	note "load average $load: other work shares these cores, expect noisy figures"
fi

# --- state and cleanup ------------------------------------------------------------
tmp=$(mktemp -d /tmp/compare-testpmd.XXXXXX)
prefix=cmptpmd$$
tpmd_pid='' old_nr=''
# SIGTERM makes testpmd stop forwarding, print its totals and exit; SIGKILL after 10 s.
stop_testpmd() {
	local i
	[ -n "$tpmd_pid" ] || return 0
	kill -TERM "$tpmd_pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$tpmd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$tpmd_pid" 2>/dev/null || true
	wait "$tpmd_pid" 2>/dev/null || true
	tpmd_pid=
}
cleanup() {
	stop_testpmd
	[ -z "$old_nr" ] || echo "$old_nr" >/proc/sys/vm/nr_hugepages
	rm -rf "$tmp" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the pcap: flowlane's gen port, a python3 writer as fallback -------------------
pcap=$tmp/in.pcap # a path without commas, safe inside --vdev arguments
if [ -n "$pcap_in" ]; then
	cp "$pcap_in" "$pcap"
else
	# 24 B file header + 64 x (16 B record header + 64 B frame)
	want=$((24 + 64 * 80))
	timeout 20 "$build/tools/flowlane" run -q -p g=gen:flows=1,size=64,count=64 \
		-p o=pcap:tx="$pcap" -m g=o >/dev/null 2>&1 || true
	if [ "$(stat -c %s "$pcap" 2>/dev/null || echo 0)" -ne "$want" ]; then
		note "flowlane could not write the pcap, using python3"
		command -v python3 >/dev/null || die "neither flowlane nor python3 can write the pcap"
		python3 - "$pcap" <<'EOF'
import struct, sys
payload = bytes(64 - 14 - 20 - 8)
ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28 + len(payload), 0, 0, 64, 17, 0,
                           bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
s = sum(struct.unpack('!10H', ip))
s = (s & 0xffff) + (s >> 16)
ip[10:12] = struct.pack('!H', ~((s & 0xffff) + (s >> 16)) & 0xffff)
frame = (bytes.fromhex('020000000002020000000001') + b'\x08\x00' + bytes(ip) +
         struct.pack('!HHHH', 1024, 1024, 8 + len(payload), 0) + payload)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(64):
        f.write(struct.pack('<IIII', 0, i, len(frame), len(frame)) + frame)
EOF
	fi
fi

# --- hugepages: 300 x 2 MB for -m 512 (testpmd's default mbuf pool is ~340 MB) ----
need=300
if [ "$huge" = auto ]; then
	huge=no
	if grep -q '^Hugepagesize: *2048 kB' /proc/meminfo; then
		free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
		if [ "$free" -lt "$need" ]; then
			old_nr=$(cat /proc/sys/vm/nr_hugepages)
			echo $((old_nr + need - free)) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
			free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
		fi
		if [ "$free" -ge "$need" ]; then
			huge=yes
		else
			note "cannot reserve $need hugepages, using --no-huge"
			[ -z "$old_nr" ] || echo "$old_nr" >/proc/sys/vm/nr_hugepages
			old_nr=''
		fi
	fi
fi

# --- one testpmd run: sets rate to its pps over >= $secs s after warm-up -------------
# (The run functions set a global instead of printing: a $(...) subshell would
# hide tpmd_pid from the cleanup trap.)
testpmd_run() {
	local log=$tmp/testpmd.log t0=$SECONDS measured
	rate=''
	local -a mem cmd=(dpdk-testpmd)
	if [ "$huge" = yes ]; then
		mkdir -p "$tmp/huge"
		mem=(--huge-dir "$tmp/huge" -m 512)
		# shellcheck disable=SC2016 # $0 and $@ are for the inner sh
		cmd=(unshare -m --propagation private sh -c
			'mount -t hugetlbfs -o pagesize=2M nodev "$0" && exec "$@"' "$tmp/huge" dpdk-testpmd)
	else
		mem=(--no-huge -m 1024)
	fi
	"${cmd[@]}" -l "$main_core,$core" --main-lcore "$main_core" --no-pci "${mem[@]}" --file-prefix "$prefix" \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--forward-mode=io --nb-cores=1 --auto-start --stats-period=1 >"$log" 2>&1 &
	tpmd_pid=$!
	# Poll until $secs seconds past the warm-up period are in the log; bounded in time.
	until [ -n "$rate" ]; do
		sleep 0.2
		read -r measured rate < <(tx_window "$log")
		awk -v d="$measured" -v s="$secs" 'BEGIN {exit !(d >= s - 0.05)}' || rate=''
		if [ -z "$rate" ] && { ! kill -0 "$tpmd_pid" 2>/dev/null || [ $((SECONDS - t0)) -gt $((secs + 60)) ]; }; then
			tail -n 20 "$log" >&2
			die "testpmd did not forward for ${secs} s (drivers missing? apt-get install $pkgs)"
		fi
	done
	stop_testpmd
	rm -rf "/var/run/dpdk/$prefix"
}

# "seconds pps" measured so far in a testpmd log. Each --stats-period print holds,
# per port, the TX-packets counter and the Tx-pps since the previous print (from
# the TSC). Print 1 comes at start, print 2 ends the warm-up period; the window is
# prints 3..n: packets / sum(packets_i / pps_i). A print counts once complete (both
# ports' lines are out). The pcap port transmits nothing, so summing ports is safe.
# The period is not exactly 1 s: testpmd compares TSC deltas against its estimate of
# the TSC rate; when that is rounded up (2.096 GHz taken as 2.1 GHz on the machine
# this was written on), 1 s of TSC never reaches it and a print comes every 2 s.
tx_window() {
	awk '/^Port statistics/ {n++} /TX-packets:.*TX-errors:/ {tx[n] += $2}
		/Tx-pps:/ {pps[n] += $2; k[n]++}
		END { for (i = 3; i <= n && k[i] == 2; i++)
			if (pps[i] > 0) { d = tx[i] - tx[i - 1]; p += d; t += d / pps[i] }
		      printf "%.3f %.0f\n", t, (t > 0 ? p / t : 0) }' "$1"
}

# One flowlane-bench run of about $secs seconds, pinned to the core testpmd forwards on.
time_opt=()
bench_help=$("$bench" --help 2>&1 || true)
[[ $bench_help != *--time* ]] || time_opt=(--time "$secs")
flowlane_run() {
	local out
	out=$(timeout $((secs * 4 + 60)) taskset -c "$core" "$bench" forward --pcap "$pcap" --json \
		--runs 1 "${time_opt[@]}") || die "flowlane-bench forward failed"
	rate=$(grep -o '"pps":[0-9.eE+]*' <<<"$out" | head -n 1 | cut -d: -f2 || true)
	[ -n "$rate" ] || die "no \"pps\" in flowlane-bench output: $out"
}

tp=() fl=() rate=
for ((r = 1; r <= runs; r++)); do
	testpmd_run
	tp+=("$rate")
	flowlane_run
	fl+=("$rate")
	note "run $r/$runs: testpmd $(awk -v p="${tp[-1]}" 'BEGIN {printf "%.2f", p / 1e6}') Mpps," \
		"flowlane $(awk -v p="${fl[-1]}" 'BEGIN {printf "%.2f", p / 1e6}') Mpps"
done

# "median min max" of the arguments, in pps
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
	END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	      printf "%.0f %.0f %.0f\n", m, v[1], v[NR] }'; }
read -r tp_med tp_min tp_max < <(stats "${tp[@]}")
read -r fl_med fl_min fl_max < <(stats "${fl[@]}")
ratio=$(awk -v f="$fl_med" -v t="$tp_med" 'BEGIN {printf "%.3f", (t > 0 ? f / t : 0)}')
memdesc=no-huge
[ "$huge" = no ] || memdesc=hugepages

if [ "$json" = 1 ]; then
	name=${pcap_in:-generated 64B 1-flow UDP}
	name=${name//\\/\\\\}
	printf '{"pcap":"%s","runs":%d,"seconds":%d,"core":%d,"testpmd_mem":"%s",' \
		"${name//\"/\\\"}" "$runs" "$secs" "$core" "$memdesc"
	printf '"testpmd":{"pps":%s,"pps_min":%s,"pps_max":%s},' "$tp_med" "$tp_min" "$tp_max"
	printf '"flowlane":{"pps":%s,"pps_min":%s,"pps_max":%s},"ratio":%s}\n' \
		"$fl_med" "$fl_min" "$fl_max" "$ratio"
else
	echo "pcap: ${pcap_in:-generated, 64 B Ethernet/IPv4/UDP, 1 flow}; $runs runs x ${secs} s;" \
		"testpmd with $memdesc"
	awk -v a="$tp_med $tp_min $tp_max" -v b="$fl_med $fl_min $fl_max" -v r="$ratio" 'BEGIN {
		printf "%-26s %12s %18s\n", "", "median Mpps", "min..max Mpps"
		split(a, x); printf "%-26s %12.2f %8.2f..%-8.2f\n", "testpmd io (1 lcore)", x[1]/1e6, x[2]/1e6, x[3]/1e6
		split(b, y); printf "%-26s %12.2f %8.2f..%-8.2f\n", "flowlane forward (1 core)", y[1]/1e6, y[2]/1e6, y[3]/1e6
		printf "ratio flowlane/testpmd: %.3f (target >= 0.5: %s)\n", r, (r >= 0.5 ? "met" : "not met") }'
fi
