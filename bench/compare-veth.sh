#!/usr/bin/env bash
# compare-veth.sh: flowlane against the Linux bridge and Open vSwitch's
# userspace datapath on real traffic between two network namespaces:
#
#     ns1 (10.77.0.1) eth0 ==veth== r1 [ switch ] r2 ==veth== eth0 ns2 (10.77.0.2)
#
# The switch side (r1, r2, and the switch itself) lives in a third namespace,
# so nothing the switches create (OVS's ovs-netdev and bridge taps, XDP
# programs) touches the host. Switches, side by side in one run:
#   bridge          Linux bridge (kernel; no process, so no CPU figure)
#   ovs             OVS 3.1 ovs-vswitchd, datapath_type=netdev, ports of type
#                   system (AF_PACKET), NORMAL
#   ovs-afxdp       the same with ports of type afxdp (xdp-mode=native; copy
#                   mode on veth), polled by one PMD thread
#   flowlane        the flowlane daemon, afpacket ports, NORMAL
#   flowlane-afxdp  the flowlane daemon, afxdp ports, NORMAL
# For each, on a fresh topology:
#   Mpps       64-byte UDP frames (60 B + FCS) delivered: trafgen in ns1 on
#              CPU 0 (one process, --no-sock-mem), the switch on CPU 1; the
#              rate is eth0's rx_packets in ns2 over S seconds after 1 s of
#              warm-up ("offered" = eth0's tx_packets in ns1)
#   TCP        iperf3 -t S -O 1 (the first second, slow start, is left out),
#              ns1 -> ns2, Gbit/s received, twice: with the
#              system's congestion control (BBR on the development VM, whose
#              pacing timers are costly there) and with cubic (Debian's
#              default, which does not pace). Offloads (TSO,
#              checksum) stay on for the bridge and flowlane's afpacket
#              ports; OVS cannot pass partial checksums or TSO frames from a
#              veth, so for OVS (and AF_XDP ports, whose frames must fit one
#              buffer) tx offloads are switched off on the four veth ends
#              (`ethtool -K DEV tx off`), the column "offl" says which
#   ping       200 pings, 10 ms apart, ns1 -> ns2: p50 and p99 of the
#              per-packet round trips, in microseconds. Where ping runs
#              matters on a VM: a vCPU that halted between two pings runs
#              the next one's path cold (the bridge's p50 on the development
#              VM: ~60 us, ~12 us with a spinner keeping that vCPU busy), and
#              a userspace switch's worker keeps its own vCPU busy, so ping
#              beside it is fast and ping on the other CPU is not;
#              --ping-cpu pins ping to compare like with like
#   CPU        the switch process's utime+stime (/proc/PID/stat, all its
#              threads) in % of one core: idle (5 s without traffic, after
#              the loads) and under the 64 B load (the same window as Mpps)
# --runs N repeats every measurement N times and reports medians; the runs of
# the switches alternate (each run on a fresh topology), so all of them see
# the same share of whatever else the machine is doing. Nothing is asserted:
# the machine is shared and noisy.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--runs N] [--seconds S] [--only LIST] [--ping-cpu C] [--json]
  --runs N      repeats of each measurement, medians reported (default 1)
  --seconds S   seconds of 64 B load and of iperf3 per run (default 3)
  --ping-cpu C  run ping on CPU C (default: where the scheduler puts it)
  --only LIST   comma-separated subset of: bridge,ovs,ovs-afxdp,flowlane,flowlane-afxdp
  --json        one JSON object instead of the table
Needs root, two CPUs, iproute2, trafgen (netsniff-ng), iperf3, ethtool, and
for OVS Debian's openvswitch-switch (all installed with apt-get if missing).
FLOWLANE_BUILD overrides the build dir (build/release).
EOF
}

die() { echo "compare-veth: $*" >&2; exit 1; }
note() { echo "compare-veth: $*" >&2; }

runs=1 secs=3 only='' json=0 ping_cpu=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:?--runs needs a value}; shift 2 ;;
	--seconds) secs=${2:?--seconds needs a value}; shift 2 ;;
	--only) only=${2:?--only needs a list}; shift 2 ;;
	--ping-cpu) ping_cpu=${2:?--ping-cpu needs a CPU number}; shift 2 ;;
	--json) json=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "--runs: 1 to 99"
[[ $secs =~ ^[1-9][0-9]?$ ]] && [ "$secs" -le 30 ] || die "--seconds: 1 to 30 (whole seconds)"
[ -z "$ping_cpu" ] || { [[ $ping_cpu =~ ^[0-9]+$ ]] && taskset -c "$ping_cpu" true 2>/dev/null; } ||
	die "--ping-cpu: '$ping_cpu' is not a CPU this process may run on"
[ -z "$ping_cpu" ] || ping_cpu=$((10#$ping_cpu)) # "01" is CPU 1, and valid JSON
all="bridge ovs ovs-afxdp flowlane flowlane-afxdp"
wanted=${only//,/ }
wanted=${wanted:-$all}
for w in $wanted; do [[ " $all " == *" $w "* ]] || die "--only: unknown switch '$w' (one of: $all)"; done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cc=$(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null || echo unknown)
build=${FLOWLANE_BUILD:-$root/build/release}
[ "$(id -u)" -eq 0 ] || die "not running as root: namespaces, veths, trafgen and OVS need it"
taskset -c 1 true 2>/dev/null || die "needs two CPUs (the generator on CPU 0, the switch on CPU 1)"

# --- tools --------------------------------------------------------------------------
need_pkgs=()
command -v trafgen >/dev/null || need_pkgs+=(netsniff-ng)
command -v iperf3 >/dev/null || need_pkgs+=(iperf3)
command -v ethtool >/dev/null || need_pkgs+=(ethtool)
if [[ " $wanted " == *" ovs"* ]] && ! command -v ovs-vswitchd >/dev/null; then need_pkgs+=(openvswitch-switch); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
	note "installing ${need_pkgs[*]} with apt-get"
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends \
		"${need_pkgs[@]}" >&2 || die "apt-get install ${need_pkgs[*]} failed"
fi
hz=$(getconf CLK_TCK)

# --- shared state: the topology helpers of the e2e tests ------------------------------
# shellcheck disable=SC2034 # read by lib.sh
E2E_PREFIX=flbench$(($$ % 10000)) E2E_SWNS=1
# shellcheck source=../tests/e2e/lib.sh
. "$root/tests/e2e/lib.sh"
E2E_TMP=$(mktemp -d /tmp/compare-veth.XXXXXX)
# shellcheck disable=SC2034 # read by lib.sh
SOCK=$E2E_TMP/flowlane.sock STATE=$E2E_TMP/state.json FL_LOG=$E2E_TMP/flowlane.log
FLOWLANE=$build/tools/flowlane FLOWCTL=$build/tools/flowctl
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
fail() { die "$*"; }
run=$E2E_TMP/ovs
mkdir -p "$run"

# 64-byte frame (60 B, the NIC adds the FCS): 02:77::01 -> 02:77::02, IPv4 UDP
# 10.77.0.1:9 -> 10.77.0.2:9 (no listener: ns2 drops it after counting it).
cat >"$E2E_TMP/udp64.trafgen" <<'EOF'
{
  0x02, 0x77, 0x00, 0x00, 0x00, 0x02,
  0x02, 0x77, 0x00, 0x00, 0x00, 0x01,
  0x08, 0x00,
  0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, csumip(14, 33),
  10, 77, 0, 1,
  10, 77, 0, 2,
  0x00, 0x09, 0x00, 0x09, 0x00, 0x1a, 0x00, 0x00,
  fill(0x00, 18)
}
EOF

# --- measurements -----------------------------------------------------------------------
cpu_ticks() { # PID: utime+stime of the process (all threads), in clock ticks
	[ -n "$1" ] || { echo 0; return; }
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
cpu_pct() { # TICKS0 TICKS1 SECONDS
	[ -n "$sw_pid" ] || { echo null; return; }
	awk -v a="$1" -v b="$2" -v s="$3" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / s * 100}'
}
now() { date +%s.%N; }

# trafgen forks a worker per CPU and stops only when every process of it
# gets the signal (as ^C does to the process group): signal the workers too.
stop_trafgen() { # PID
	local i k
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
		k=$(pgrep -P "$1" 2>/dev/null || true)
		kill -INT "$1" $k 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" $k 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# 64 B load: sets m_pps m_offered m_cpu_load. trafgen is bounded by its own
# count (2 Mpps for secs + 2 s: it sends at most about 0.8 Mpps here) and by
# timeout, besides being stopped.
measure_pps() {
	local tg t0 t1 rx0 rx1 tx0 tx1 c0 c1
	nsbg 1 timeout -s KILL $((secs * 4 + 20)) taskset -c 0 trafgen --dev eth0 \
		--conf "$E2E_TMP/udp64.trafgen" --cpus 1 --num $(((secs + 2) * 2000000)) \
		--no-sock-mem --notouch-irq --no-cpu-stats >"$E2E_TMP/trafgen.log" 2>&1
	tg=$BG_PID
	sleep 1
	kill -0 "$tg" 2>/dev/null || { cat "$E2E_TMP/trafgen.log" >&2; die "trafgen exited"; }
	t0=$(now) rx0=$(ifstat 2 rx_packets) tx0=$(ifstat 1 tx_packets) c0=$(cpu_ticks "$sw_pid")
	sleep "$secs"
	t1=$(now) rx1=$(ifstat 2 rx_packets) tx1=$(ifstat 1 tx_packets) c1=$(cpu_ticks "$sw_pid")
	stop_trafgen "$(pgrep -P "$tg" -x trafgen || echo "$tg")"
	wait "$tg" 2>/dev/null || true
	read -r m_pps m_offered < <(awk -v a="$rx0" -v b="$rx1" -v c="$tx0" -v d="$tx1" -v s="$t0" \
		-v e="$t1" 'BEGIN {printf "%.0f %.0f\n", (b - a) / (e - s), (d - c) / (e - s)}')
	m_cpu_load=$(cpu_pct "$c0" "$c1" "$(awk -v s="$t0" -v e="$t1" 'BEGIN {print e - s}')")
	sleep 1 # let queues drain before the next measurement
}

# iperf3 TCP ns1 -> ns2 with congestion control $1 (empty: the system's):
# sets m_gbps (null if it failed)
measure_tcp() {
	local srv out
	nsbg 2 timeout $((secs + 20)) iperf3 -s -1 -B "${IP[2]}" -p 5201 >/dev/null 2>&1
	srv=$BG_PID
	wait_listen 2 5201 || true # a failed run is reported as such
	out=$(nsx 1 timeout $((secs + 15)) iperf3 -c "${IP[2]}" -p 5201 -t "$secs" -O 1 --connect-timeout 3000 -J \
		${1:+-C "$1"} 2>/dev/null) || true
	wait "$srv" 2>/dev/null || true
	m_gbps=$("$PY" -c 'import json, sys
try:
    r = json.loads(sys.stdin.read())
    print("%.2f" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("null")' <<<"$out")
}

# 200 pings 10 ms apart: sets m_p50 m_p99 (microseconds, nearest rank) and
# m_loss (%)
measure_ping() {
	local out
	out=$(nsx 1 ${ping_cpu:+taskset -c "$ping_cpu"} ping -c 200 -i 0.01 -W 1 "${IP[2]}" 2>&1) || true
	m_loss=$(grep -o '[0-9.]*% packet loss' <<<"$out" | cut -d% -f1)
	read -r m_p50 m_p99 < <(grep -o 'time=[0-9.]*' <<<"$out" | cut -d= -f2 | sort -g |
		awk '{t[NR] = $1 * 1000} END { if (NR == 0) {print "null null"; exit}
			i = int(0.50 * NR); if (i < 0.50 * NR) i++; j = int(0.99 * NR); if (j < 0.99 * NR) j++
			printf "%.0f %.0f\n", t[i], t[j] }')
	m_loss=${m_loss:-100}
}

# flowlane's workers: "SLEEPS CUT", summed (sleeps in epoll, and poll
# windows cut short because another thread wanted the CPU); empty for the
# other switches. Tells a ping p50 of worker wakeups from one of a slow path.
fl_idle_counts() {
	[[ $1 == flowlane* ]] && [ -n "$sw_pid" ] && [ -x "$FLOWCTL" ] || return 0
	fctl show --json 2>/dev/null | python3 -c 'import json, sys
w = json.load(sys.stdin).get("workers", [])
print(sum(x.get("sleeps", 0) for x in w), sum(x.get("polls_cut_short", 0) for x in w))' \
		2>/dev/null || true
}

# 5 s with no traffic: sets m_cpu_idle
measure_idle() {
	local c0 c1
	sleep 1
	c0=$(cpu_ticks "$sw_pid")
	sleep 5
	c1=$(cpu_ticks "$sw_pid")
	m_cpu_idle=$(cpu_pct "$c0" "$c1" 5)
}

# --- the switches ---------------------------------------------------------------------------
# start_SWITCH: the topology is up; sets sw_pid (empty for the kernel bridge),
# or returns non-zero with a reason in sw_skip.
sw_pid='' sw_skip='' offl=on

start_bridge() {
	swx ip link add "${E2E_PREFIX}br" type bridge
	swx ip link set "${RIF[1]}" master "${E2E_PREFIX}br"
	swx ip link set "${RIF[2]}" master "${E2E_PREFIX}br"
	swx ip link set "${E2E_PREFIX}br" up
}

vsctl() { timeout 60 ovs-vsctl --db="unix:$run/db.sock" --timeout=50 "$@"; }
appctl() { timeout 60 ovs-appctl -t "$run/vswitchd.ctl" -T 50 "$@"; }
start_ovs_common() { # PORT-TYPE-ARGS...: ovsdb-server, ovs-vswitchd on CPU 1, bridge, two ports
	local i
	rm -rf "$run" && mkdir -p "$run"
	export OVS_RUNDIR=$run OVS_LOGDIR=$run OVS_DBDIR=$run OVS_SYSCONFDIR=$run # never /var/run/openvswitch
	ovsdb-tool create "$run/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	nsbg sw ovsdb-server "$run/conf.db" --remote=punix:"$run/db.sock" --unixctl="$run/ovsdb.ctl" \
		--log-file="$run/ovsdb.log" --no-chdir -vconsole:off >/dev/null 2>&1
	for ((i = 0; i < 50; i++)); do [ -S "$run/db.sock" ] && break; sleep 0.1; done
	vsctl --no-wait init
	vsctl --no-wait set Open_vSwitch . other_config:pmd-cpu-mask=0x2
	nsbg sw taskset -c 1 ovs-vswitchd unix:"$run/db.sock" --unixctl="$run/vswitchd.ctl" \
		--log-file="$run/vswitchd.log" --no-chdir -vconsole:off >>"$run/vswitchd.stderr" 2>&1
	sw_pid=$BG_PID
	for ((i = 0; i < 300; i++)); do
		[ -S "$run/vswitchd.ctl" ] && appctl version >/dev/null 2>&1 && break
		kill -0 "$sw_pid" 2>/dev/null || { tail -n 20 "$run/vswitchd.log" >&2; die "ovs-vswitchd exited"; }
		sleep 0.1
	done
	vsctl add-br "${E2E_PREFIX}ovs" -- set bridge "${E2E_PREFIX}ovs" datapath_type=netdev
	for i in 1 2; do
		vsctl add-port "${E2E_PREFIX}ovs" "${RIF[i]}" -- set Interface "${RIF[i]}" ofport_request=$i "$@" ||
			{ sw_skip="ovs-vsctl add-port ${RIF[i]} $* failed"; return 1; }
	done
	sleep 1
	if vsctl get Interface "${RIF[1]}" error 2>/dev/null | grep -qv '^\[\]$'; then
		sw_skip="OVS port error: $(vsctl get Interface "${RIF[1]}" error)"
		return 1
	fi
}
tx_off() { # OVS and AF_XDP ports: no partial checksums, no TSO from the veths
	local i
	offl="tx off"
	for i in 1 2; do
		nsx "$i" ethtool -K eth0 tx off >/dev/null 2>&1
		swx ethtool -K "${RIF[i]}" tx off >/dev/null 2>&1
	done
}
start_ovs() { tx_off; start_ovs_common type=system; }
start_ovs-afxdp() { tx_off; start_ovs_common type=afxdp options:xdp-mode=native; }

start_flowlane_common() { # PORT-TYPE
	local f=$E2E_TMP/normal.flows
	[ -x "$FLOWLANE" ] || { sw_skip="flowlane is not built ($FLOWLANE; make)"; return 1; }
	"$FLOWLANE" --help 2>&1 | grep -q "$1:" || "$FLOWLANE" run --help 2>&1 | grep -q "$1:" ||
		{ sw_skip="this flowlane has no '$1:' ports"; return 1; }
	echo "actions=NORMAL" >"$f"
	rm -f "$STATE" "$FL_LOG" # a fresh daemon, not the last one's ports
	if [ -x "$FLOWCTL" ] && "$FLOWLANE" --help 2>&1 | grep -q -- '--socket'; then
		# shellcheck disable=SC2034 # read by fl_start
		FL_WRAP=(taskset -c 1)
		fl_start
		sw_pid=$FL_PID
		fctl add-port "a@1" "$1:${RIF[1]}" >/dev/null &&
			fctl add-port "b@2" "$1:${RIF[2]}" >/dev/null &&
			fctl add-flows "$f" >/dev/null ||
			{ sw_skip="flowctl could not add the $1 ports or the flow (log: $(tail -n 3 "$FL_LOG"))"; return 1; }
	else
		# no daemon in this tree yet: the one-shot tool runs until killed
		nsbg sw taskset -c 1 "$FLOWLANE" -q -p "a@1=$1:${RIF[1]}" -p "b@2=$1:${RIF[2]}" --flows "$f" \
			>>"$FL_LOG" 2>&1
		sw_pid=$BG_PID
		sleep 1
		kill -0 "$sw_pid" 2>/dev/null || { sw_skip="flowlane exited: $(tail -n 3 "$FL_LOG")"; return 1; }
	fi
}
start_flowlane() { start_flowlane_common afpacket; }
start_flowlane-afxdp() { tx_off; start_flowlane_common afxdp; }

# "median" of the arguments ("null" when none is a number)
med() { printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{v[NR] = $1}
	END { if (NR == 0) {print "null"; exit}
	      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.10g\n", m }'; }

# Runs alternate between the switches (run 1 of each, then run 2 of each...),
# each on a fresh topology: a load that comes and goes on the shared machine
# then falls on all of them alike rather than on whichever ran at the time.
active=()
for w in $all; do [[ " $wanted " == *" $w "* ]] && active+=("$w"); done
declare -A v_pps v_off v_gbps v_gbps_c v_p50 v_p99 v_loss v_idle v_load v_offl v_skip
for ((r = 1; r <= runs; r++)); do
	for w in "${active[@]}"; do
		[ -z "${v_skip[$w]:-}" ] || continue
		note "$w run $r/$runs: setting up"
		sw_pid='' sw_skip='' offl=on
		e2e_topo 2
		if ! "start_$w" || ! wait_ping 1 2 10; then
			[ -n "$sw_skip" ] || sw_skip="no ping through the switch within 10 s"
			note "$w: skipped: $sw_skip"
			v_skip[$w]=$sw_skip
			e2e_teardown
			continue
		fi
		measure_pps
		measure_tcp
		m_gbps_d=$m_gbps
		[ "$cc" = cubic ] || measure_tcp cubic
		m_gbps_c=$m_gbps m_gbps=$m_gbps_d
		idle0=$(fl_idle_counts "$w")
		measure_ping
		idle1=$(fl_idle_counts "$w")
		measure_idle
		v_pps[$w]+=" $m_pps" v_off[$w]+=" $m_offered" v_gbps[$w]+=" $m_gbps" v_gbps_c[$w]+=" $m_gbps_c"
		v_p50[$w]+=" $m_p50" v_p99[$w]+=" $m_p99" v_loss[$w]+=" $m_loss"
		v_idle[$w]+=" $m_cpu_idle" v_load[$w]+=" $m_cpu_load" v_offl[$w]=$offl
		note "$w run $r/$runs: $m_pps pps (offered $m_offered), TCP $m_gbps Gbit/s ($cc), $m_gbps_c (cubic)," \
			"ping $m_p50/$m_p99 us (loss $m_loss%), CPU idle $m_cpu_idle% load $m_cpu_load%"
		if [ -n "$idle0" ] && [ -n "$idle1" ]; then
			read -r s0 c0 <<<"$idle0"
			read -r s1 c1 <<<"$idle1"
			note "$w run $r/$runs: during the pings the worker slept $((s1 - s0)) times" \
				"($((c1 - c0)) poll windows cut short: CPU shared)"
		fi
		[ -z "$sw_pid" ] || kill -0 "$sw_pid" 2>/dev/null || note "$w: the switch process died during the run"
		[[ $w != ovs* ]] || appctl exit --cleanup >/dev/null 2>&1 || true
		e2e_teardown
	done
done

results=() # "name pps offered gbps gbps_cubic p50 p99 loss cpu_idle cpu_load offloads|note"
for w in "${active[@]}"; do
	if [ -n "${v_skip[$w]:-}" ] && [ -z "${v_pps[$w]:-}" ]; then
		results+=("$w null null null null null null null null null skipped: ${v_skip[$w]}")
		continue
	fi
	# shellcheck disable=SC2086 # one value per word
	l="$w $(med ${v_pps[$w]}) $(med ${v_off[$w]}) $(med ${v_gbps[$w]}) $(med ${v_gbps_c[$w]})"
	# shellcheck disable=SC2086
	l+=" $(med ${v_p50[$w]}) $(med ${v_p99[$w]})"
	# shellcheck disable=SC2086
	results+=("$l $(med ${v_loss[$w]}) $(med ${v_idle[$w]}) $(med ${v_load[$w]}) offloads ${v_offl[$w]// /-}")
done

# --- report -------------------------------------------------------------------------------
ovs_v=$(ovs-vswitchd --version 2>/dev/null | awk 'NR == 1 {print $NF}')
if [ "$json" = 1 ]; then
	printf '{"runs":%d,"seconds":%d,"ovs_version":"%s","tcp_cc":"%s","ping_cpu":%s,"switches":[' \
		"$runs" "$secs" "${ovs_v:-none}" "$cc" "${ping_cpu:-null}"
	sep=''
	for l in "${results[@]}"; do
		# shellcheck disable=SC2086 # one field per word
		set -- $l
		printf '%s{"name":"%s",' "$sep" "$1"
		if [ "${11}" = "skipped:" ]; then
			shift 11
			printf '"skipped":"%s"}' "$(sed 's/["\\]/\\&/g' <<<"$*")"
		else
			printf '"pps":%s,"offered_pps":%s,"tcp_gbps":%s,"tcp_cubic_gbps":%s,' "$2" "$3" "$4" "$5"
			printf '"ping_p50_us":%s,"ping_p99_us":%s,"ping_loss_pct":%s,' "$6" "$7" "$8"
			printf '"cpu_idle_pct":%s,"cpu_load_pct":%s,"veth_tx_offloads":"%s"}' "$9" "${10}" "${12//-/ }"
		fi
		sep=,
	done
	printf ']}\n'
else
	echo "ns1 -> veth -> switch -> veth -> ns2; 64 B UDP from trafgen on CPU 0, switch on CPU 1;" \
		"median of $runs run(s), ${secs} s loads; OVS ${ovs_v:-n/a}${ping_cpu:+; ping on CPU $ping_cpu}"
	printf '%-15s %9s %9s %9s %9s %8s %8s %7s %8s %8s  %s\n' switch "Mpps" "offered" "TCP $cc" \
		"TCP cubic" "p50 us" "p99 us" "loss%" "CPU idle" "CPU load" "veth tx offloads"
	for l in "${results[@]}"; do
		# shellcheck disable=SC2086
		set -- $l
		if [ "${11}" = "skipped:" ]; then
			n=$1
			shift 11
			printf '%-15s skipped: %s\n' "$n" "$*"
			continue
		fi
		awk -v n="$1" -v p="$2" -v o="$3" -v g="$4" -v gc="$5" -v a="$6" -v b="$7" -v l="$8" \
			-v ci="$9" -v cl="${10}" -v off="${12//-/ }" \
			'function m(x) {return x == "null" ? "n/a" : sprintf("%.3f", x / 1e6)}
			function v(x, u) {return x == "null" ? "n/a" : x u}
			BEGIN {printf "%-15s %9s %9s %9s %9s %8s %8s %7s %8s %8s  %s\n", n, m(p), m(o), v(g, ""),
				v(gc, ""), v(a, ""), v(b, ""), v(l, ""), v(ci, "%"), v(cl, "%"), off}'
	done
	echo "(CPU: % of one core, utime+stime of the switch process; n/a for the kernel bridge)"
fi
