#!/usr/bin/env bash
# compare-ovs.sh: flowlane's pipeline against Open vSwitch's userspace datapath
# (dpif-netdev with DPDK), same frames, same rules, same core, one script.
#
# What it measures, per workload (64-byte Ethernet/IPv4/UDP frames of N flows,
# written by flowlane's gen port, the flows flowlane-bench's gen scenarios use):
#   1flow      1 flow,          rule in_port=1,actions=output:2
#   10kflows   10,000 flows,    the same rule
#   acl-10k    10,000 flows,    flowlane-bench's 1,000-rule ACL (acl_text() in
#                               bench/bench_forward.c, ported to python3 below)
#   acl-100k   100,000 flows,   flowlane-bench's 1,000-rule ACL (acl_text() in
#                               bench/bench_forward.c, ported to python3 below)
#   1mflows    1,000,000 flows, one rule (flowlane only, see below)
#   install    100,000 rules 'priority=N,udp,nw_dst=10.X.Y.Z,actions=output:2'
#   OVS        ovs-vswitchd-dpdk (Debian's openvswitch-switch-dpdk) with its own
#              ovsdb-server in a private run directory; bridge br0 (netdev
#              datapath), port 1 = net_pcap vdev replaying the pcap from memory
#              (infinite_rx), port 2 = net_null vdev (no-rx); one PMD on --core,
#              the main thread and revalidators on the other core. Rate = port
#              1's rx counter (ovs-ofctl dump-ports) over S seconds after a
#              warm-up; cycles/packet from pmd-stats-show over the same window;
#              megaflows = lines of dpctl/dump-flows at the end.
#   flowlane   flowlane-bench pipeline --pcap FILE --flows FILE on --core: the
#              same file through parse, EMC, megaflow cache, upcalls, null port.
# Both rates count packets received and processed (the ACL drops about half).
# Runs alternate (OVS, flowlane, OVS, ...); each side reports its median.
# Between OVS runs the ports are deleted (the PMD then sleeps, so flowlane has
# the core alone) and the rules reset with del-flows + revalidator/purge
# (dpctl/del-flows leaves stale state: REFERENCE.md 11).
# Install rate: wall time of 'ovs-ofctl add-flows br0 FILE' (which waits for
# vswitchd) against, for flowlane, (a) 'flowlane run -q -p a=null: --flows
# FILE' (process start, load, exit: null is at eof) and (b) 'flowctl
# add-flows FILE' into a running flowlane daemon (which also writes its state
# file, fsync'd, before it answers), all on the non-PMD core; plus the growth
# of ovs-vswitchd's RSS per rule (first install of the run).
# Megaflows depend on how long OVS keeps them: its revalidators expire a
# megaflow idle for max-idle (10 s by default) and cap the datapath at a
# dynamic flow limit (starting at 10,000, +1,000 per round while dumps are
# fast). --ovs-max-idle MS and a long --warmup let OVS reach its steady
# state on the ACL workloads, to compare megaflow counts on equal terms.
# 1mflows has no OVS figure: net_pcap with infinite_rx holds the whole file in
# mbufs, OVS's shared mempool has 262,144, so the port fails to come up.
set -euo pipefail

usage() {
	cat <<EOF
Usage: $0 [--runs N] [--seconds S] [--warmup S] [--only LIST] [--core C] [--json] [--keep]
  --runs N      runs per side and workload, median reported (default 3)
  --seconds S   measured seconds per run (default 3)
  --warmup S    seconds of traffic before OVS is measured (default 3)
  --ovs-max-idle MS  OVS's other_config:max-idle (default: OVS's own, 10000)
  --only LIST   comma-separated subset of: 1flow,10kflows,acl-10k,acl-100k,1mflows,install
  --core C      the forwarding core for OVS's PMD and flowlane-bench (default 1)
  --json        one JSON object instead of the table
  --keep        leave OVS running at the end (prints how to reach and stop it)
Needs root; installs openvswitch-switch-dpdk (and the pcap/null DPDK drivers)
with apt-get if missing. FLOWLANE_BUILD overrides the build dir (build/release).
EOF
}

die() { echo "compare-ovs: $*" >&2; exit 1; }
note() { echo "compare-ovs: $*" >&2; }

runs=3 secs=3 warm=3 only='' json=0 keep=0 core=1 max_idle=
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:?--runs needs a value}; shift 2 ;;
	--seconds) secs=${2:?--seconds needs a value}; shift 2 ;;
	--warmup) warm=${2:?--warmup needs a value}; shift 2 ;;
	--only) only=${2:?--only needs a list}; shift 2 ;;
	--core) core=${2:?--core needs a value}; shift 2 ;;
	--ovs-max-idle) max_idle=${2:?--ovs-max-idle needs a value}; shift 2 ;;
	--json) json=1; shift ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]?$ ]] || die "--runs: 1 to 99"
[[ $secs =~ ^[1-9][0-9]?$ ]] || die "--seconds: 1 to 60 (whole seconds)"
[ "$secs" -le 60 ] || die "--seconds: 1 to 60"
[[ $warm =~ ^[0-9]+$ ]] || die "--warmup: whole seconds"
[[ -z $max_idle || $max_idle =~ ^[1-9][0-9]*$ ]] || die "--ovs-max-idle: milliseconds"
all="1flow 10kflows acl-10k acl-100k 1mflows install"
wanted=${only//,/ }
wanted=${wanted:-$all}
for w in $wanted; do [[ " $all " == *" $w "* ]] || die "--only: unknown workload '$w' (one of: $all)"; done
main_core=0
[ "$core" != 0 ] || main_core=1
for c in "$core" "$main_core"; do
	if ! [[ $c =~ ^[0-9]+$ ]] || ! taskset -c "$c" true 2>/dev/null; then die "--core: CPU $c is not usable"; fi
done
taskset -pc "$main_core" $$ >/dev/null # this script, ovsdb and OVS's main thread stay off the PMD core

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLOWLANE_BUILD:-$root/build/release}
bench=$build/bench/flowlane-bench flowlane=$build/tools/flowlane flowctl=$build/tools/flowctl
vswitchd=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
schema=/usr/share/openvswitch/vswitch.ovsschema

# --- prerequisites --------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "not running as root: root is needed for apt-get, hugepages and DPDK; run it with sudo"
[[ -x $bench && -x $flowlane && -x $flowctl ]] || die "flowlane is not built: cd $root &&" \
	"meson setup build/release --buildtype=release && ninja -C build/release"
command -v python3 >/dev/null || die "python3 is needed (it writes the ACL)"
libs=$(ldconfig -p)
if [ ! -x "$vswitchd" ] || [[ $libs != *librte_net_pcap.so* ]] || [[ $libs != *librte_net_null.so* ]]; then
	note "installing openvswitch-switch-dpdk librte-net-pcap23 librte-net-null23 with apt-get"
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q openvswitch-switch-dpdk \
		librte-net-pcap23 librte-net-null23 >&2 || die "apt-get install failed"
fi
read -r load _ </proc/loadavg
if awk -v l="$load" 'BEGIN {exit !(l > 0.7)}'; then note "load average $load: other work shares these cores, expect noisy figures"; fi

# --- state and cleanup ------------------------------------------------------------
tmp=$(mktemp -d /tmp/compare-ovs.XXXXXX)
run=$tmp/run prefix=cmpovs$$ db_pid='' vs_pid='' fl_pid='' old_nr='' dpdk_dir=/var/run/dpdk
[ ! -d $dpdk_dir ] || dpdk_dir='' # vswitchd creates it; remove it at the end only if so
mkdir -p "$run" "$tmp/huge"
# the netdev datapath leaves tap devices for itself and the bridge behind
had_links=" $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | tr '\n' ' ')"
export OVS_RUNDIR=$run OVS_LOGDIR=$run OVS_DBDIR=$run OVS_SYSCONFDIR=$run # never /var/run/openvswitch
vsctl() { timeout 60 ovs-vsctl --db="unix:$run/db.sock" --timeout=50 "$@"; }
ofctl() { timeout 600 ovs-ofctl -O OpenFlow13 "$@"; }
appctl() { timeout 60 ovs-appctl -t "$run/vswitchd.ctl" -T 50 "$@"; }
stop_pid() { # PID: SIGTERM, SIGKILL after 10 s
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cleanup() {
	if [ "$keep" = 1 ] && [ -n "$vs_pid" ]; then
		note "--keep: OVS left running; export OVS_RUNDIR=$run, then e.g." \
			"ovs-appctl -t $run/vswitchd.ctl dpif-netdev/pmd-perf-show; stop it with:" \
			"kill $vs_pid $db_pid; rm -rf $tmp /var/run/dpdk/$prefix; echo ${old_nr:-N} >/proc/sys/vm/nr_hugepages"
		return
	fi
	[ -z "$vs_pid" ] || { appctl exit >/dev/null 2>&1 || true; stop_pid "$vs_pid"; }
	[ -z "$db_pid" ] || stop_pid "$db_pid"
	[ -z "$fl_pid" ] || stop_pid "$fl_pid"
	for l in ovs-netdev br0; do
		[[ $had_links == *" $l "* ]] || ip link del "$l" 2>/dev/null || true
	done
	[ -z "$old_nr" ] || echo "$old_nr" >/proc/sys/vm/nr_hugepages
	rm -rf "$tmp" "/var/run/dpdk/$prefix"
	[ -z "$dpdk_dir" ] || rmdir "$dpdk_dir" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- inputs: pcaps from flowlane's gen port, the ACL, the install rules ----------
pcap_for() { # FLOWS: path of a pcap of max(FLOWS, 64) frames, FLOWS distinct flows
	local f=$tmp/flows$1.pcap n=$(($1 > 64 ? $1 : 64))
	if [ ! -s "$f" ]; then
		timeout 120 "$flowlane" run -q -p g=gen:flows="$1",size=64,proto=udp,count="$n" \
			-p o=pcap:tx="$f" -m g=o >/dev/null || die "flowlane could not write $f"
		[ "$(stat -c %s "$f")" -eq $((24 + n * 80)) ] || die "$f: unexpected size"
	fi
	echo "$f"
}
echo "in_port=1,actions=output:2" >"$tmp/one.flows"
# acl_text() of bench/bench_forward.c, line for line: xorshift64, 100 rules per mask.
python3 - >"$tmp/acl.flows" <<'EOF'
r, M = 0x2545f4914f6cdd1d, (1 << 64) - 1
for i in range(1000):
    r ^= (r << 13) & M
    r ^= r >> 7
    r ^= (r << 17) & M
    a, b = r & 0xffffff, (r >> 24) & 0xfffff
    port, prio, d = 1024 + (r >> 44) % 64512, 100 + (r >> 20) % 900, 16 + (b >> 16)
    m = ["nw_src=10.%d.0.0/16" % (a >> 16),
         "nw_src=10.%d.%d.0/24" % (a >> 16, (a >> 8) & 255),
         "nw_dst=172.%d.%d.0/20" % (d, (b >> 8) & 0xf0),
         "nw_dst=172.%d.%d.0/24" % (d, (b >> 8) & 255),
         "tp_dst=%d" % port,
         "tp_src=%d" % port,
         "nw_src=10.%d.0.0/16,tp_dst=%d" % (a >> 16, port),
         "nw_dst=172.%d.0.0/16,tp_dst=0x%x/0xff00" % (d, port & 0xff00),
         "nw_dst=172.%d.%d.%d/28" % (d, (b >> 8) & 255, b & 0xf0),
         "in_port=1,nw_dst=172.%d.%d.0/24" % (d, (b >> 4) & 255)][i % 10]
    print("priority=%d,udp,%s,actions=%s" % (prio, m, "drop" if (r >> 60) & 1 else "output:2"))
print("priority=0,actions=output:2")
EOF
[ "$(wc -l <"$tmp/acl.flows")" -eq 1001 ] || die "ACL generation failed"
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "priority=%d,udp,nw_dst=10.%d.%d.%d,actions=output:2\n", 1 + i % 60000,
		int(i / 65536), int(i / 256) % 256, i % 256 }' >"$tmp/install.flows"

# --- hugepages and OVS: ovsdb-server, then vswitchd in a private hugetlbfs mount -----
need=1024 # 2 GB: OVS's shared mempool (262,144 mbufs) takes about 760 MB
free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "$free" -lt "$need" ]; then
	old_nr=$(cat /proc/sys/vm/nr_hugepages)
	echo $((old_nr + need - free)) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	[ "$free" -ge "$need" ] || die "cannot reserve $need 2 MB hugepages ($free free)"
fi
ovsdb-tool create "$run/conf.db" "$schema"
ovsdb-server "$run/conf.db" --remote=punix:"$run/db.sock" --unixctl="$run/ovsdb.ctl" \
	--log-file="$run/ovsdb.log" --no-chdir -vconsole:off >/dev/null 2>&1 &
db_pid=$!
for ((i = 0; i < 50; i++)); do [ -S "$run/db.sock" ] && break; sleep 0.1; done
vsctl --no-wait init
vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
	other_config:dpdk-extra="--no-pci --file-prefix=$prefix --huge-dir=$tmp/huge" \
	other_config:pmd-cpu-mask="$(printf '0x%x' $((1 << core)))"
# shellcheck disable=SC2016 # $0 and $@ are for the inner sh
unshare -m --propagation private sh -c 'mount -t hugetlbfs -o pagesize=2M nodev "$0" && exec "$@"' \
	"$tmp/huge" "$vswitchd" unix:"$run/db.sock" --unixctl="$run/vswitchd.ctl" \
	--log-file="$run/vswitchd.log" --no-chdir -vconsole:off >/dev/null 2>&1 &
vs_pid=$!
for ((i = 0; i < 600; i++)); do
	[ -S "$run/vswitchd.ctl" ] && appctl version >/dev/null 2>&1 && break
	kill -0 "$vs_pid" 2>/dev/null || { tail -n 20 "$run/vswitchd.log" >&2; die "ovs-vswitchd exited"; }
	sleep 0.1
done
vsctl add-br br0 -- set bridge br0 datapath_type=netdev
[ -z "$max_idle" ] || vsctl set Open_vSwitch . other_config:max-idle="$max_idle"
alive() { kill -0 "$vs_pid" 2>/dev/null || { tail -n 20 "$run/vswitchd.log" >&2; die "ovs-vswitchd died"; }; }
reset_flows() { ofctl del-flows br0; appctl revalidator/purge >/dev/null; }
port_count() { ofctl dump-ports br0 "$1" | awk -v w="$2" '{for (i = 1; i <= NF; i++) if ($i ~ "^pkts=") {
	if ($1 == w || ($1 == "port" && w == "rx")) {sub("pkts=", "", $i); sub(",", "", $i); print $i; exit}}}'; }
now() { date +%s.%N; }

# --- one OVS run: sets o_pps o_tx o_cyc o_mf (empty o_pps: no figure) ---------------
dev=0
ovs_run() { # PCAP FLOWS
	local t0 t1 rx0 rx1 tx0 tx1
	dev=$((dev + 1)) # fresh vdev names: a detached name is not reused
	reset_flows
	ofctl add-flows br0 "$2"
	vsctl add-port br0 p1 -- set Interface p1 type=dpdk ofport_request=1 \
		options:dpdk-devargs="net_pcap$dev,rx_pcap=$1,infinite_rx=1" \
		-- add-port br0 p2 -- set Interface p2 type=dpdk ofport_request=2 \
		options:dpdk-devargs="net_null$dev,no-rx=1" >/dev/null
	sleep "$warm"
	alive
	appctl dpif-netdev/pmd-stats-clear >/dev/null
	t0=$(now) rx0=$(port_count 1 rx) tx0=$(port_count 2 tx)
	sleep "$secs"
	t1=$(now) rx1=$(port_count 1 rx) tx1=$(port_count 2 tx)
	o_cyc=$(appctl dpif-netdev/pmd-stats-show | awk '/avg processing cycles per packet/ {print $6; exit}')
	o_mf=$(appctl dpctl/dump-flows | grep -c 'actions:' || true)
	read -r o_pps o_tx < <(awk -v a="$rx0" -v b="$rx1" -v c="$tx0" -v d="$tx1" -v s="$t0" -v e="$t1" \
		'BEGIN {printf "%.0f %.0f\n", (b - a) / (e - s), (d - c) / (e - s)}')
	vsctl del-port br0 p1 -- del-port br0 p2
	reset_flows
	alive
}

# --- one flowlane-bench run: sets f_pps f_cyc f_mf -----------------------------------
json_num() { grep -o "\"$1\":[0-9.eE+-]*" <<<"$2" | head -n 1 | cut -d: -f2; }
flowlane_run() { # PCAP FLOWS
	local out
	out=$(timeout $((secs * 4 + 120)) taskset -c "$core" "$bench" pipeline --pcap "$1" --flows "$2" \
		--json --runs 1 --time "$secs") || die "flowlane-bench pipeline failed"
	f_pps=$(json_num pps "$out") f_cyc=$(json_num cycles_per_pkt "$out") f_mf=$(json_num megaflows "$out")
	[ -n "$f_pps" ] || die "no \"pps\" in flowlane-bench output: $out"
}

# "median min max" of the arguments
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
	END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	      printf "%.10g %.10g %.10g\n", m, v[1], v[NR] }'; }
med() { local m _; read -r m _ < <(stats "$@"); echo "$m"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print "null"; else printf "%.3f\n", a / b}'; }
mpps() { awk -v p="$1" 'BEGIN {if (p == "") print "n/a"; else printf (p < 1e6 ? "%.3f" : "%.2f"), p / 1e6}'; }

results=() # "name flows rules ovs_pps ovs_min ovs_max ovs_tx ovs_cyc ovs_mf fl_pps fl_min fl_max fl_cyc fl_mf ratio"
for w in $all; do
	[[ " $wanted " == *" $w "* && $w != install ]] || continue
	case $w in
	1flow) nf=1 flows=$tmp/one.flows rules=1 ;;
	10kflows) nf=10000 flows=$tmp/one.flows rules=1 ;;
	acl-10k) nf=10000 flows=$tmp/acl.flows rules=1001 ;;
	acl-100k) nf=100000 flows=$tmp/acl.flows rules=1001 ;;
	1mflows) nf=1000000 flows=$tmp/one.flows rules=1 ;;
	esac
	pcap=$(pcap_for "$nf")
	op=() ot=() oc=() om=() fp=() fc=() fm=()
	for ((r = 1; r <= runs; r++)); do
		o_pps='' o_mf=n/a
		if [ "$nf" -le 250000 ]; then
			ovs_run "$pcap" "$flows"
			op+=("$o_pps") ot+=("$o_tx") oc+=("$o_cyc") om+=("$o_mf")
		fi
		flowlane_run "$pcap" "$flows"
		fp+=("$f_pps") fc+=("$f_cyc") fm+=("$f_mf")
		note "$w run $r/$runs: OVS $(mpps "$o_pps") Mpps ($o_mf megaflows)," \
			"flowlane $(mpps "$f_pps") Mpps ($f_mf megaflows)"
	done
	if [ ${#op[@]} -gt 0 ]; then
		read -r o_med o_min o_max < <(stats "${op[@]}")
		ovs="$o_med $o_min $o_max $(med "${ot[@]}") $(med "${oc[@]}") $(med "${om[@]}")"
	else
		o_med='' ovs="null null null null null null"
	fi
	read -r f_med f_min f_max < <(stats "${fp[@]}")
	results+=("$w $nf $rules $ovs $f_med $f_min $f_max $(med "${fc[@]}") $(med "${fm[@]}") $(ratio "$f_med" "$o_med")")
done

# --- install rate: 100,000 rules, alternating OVS and flowlane ----------------------
inst=''
if [[ " $wanted " == *" install "* ]]; then
	n=$(wc -l <"$tmp/install.flows")
	vm_rss() { awk '/^VmRSS/ {print $2}' "/proc/$vs_pid/status"; }
	oi=() orss=() fi_=() fd=()
	# the flowlane daemon, with its own socket and state file, on the non-PMD core
	fsock=$tmp/fl.sock
	"$flowlane" -q --socket "$fsock" --state "$tmp/fl-state.json" --workers 1 &
	fl_pid=$!
	for ((i = 0; i < 100; i++)); do [ -S "$fsock" ] && break; sleep 0.1; done
	"$flowctl" --socket "$fsock" add-port a null: >/dev/null || die "flowlane daemon did not start"
	for ((r = 1; r <= runs; r++)); do
		reset_flows
		rss0=$(vm_rss) t0=$(now)
		ofctl add-flows br0 "$tmp/install.flows"
		t1=$(now) rss1=$(vm_rss)
		alive
		oi+=("$(awk -v n="$n" -v s="$t0" -v e="$t1" 'BEGIN {printf "%.0f", n / (e - s)}')")
		orss+=("$(awk -v n="$n" -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%.0f", (b - a) * 1024 / n}')")
		reset_flows
		t0=$(now)
		timeout 600 "$flowlane" run -q -p a=null: --flows "$tmp/install.flows" || die "flowlane could not load the rules"
		t1=$(now)
		fi_+=("$(awk -v n="$n" -v s="$t0" -v e="$t1" 'BEGIN {printf "%.0f", n / (e - s)}')")
		t0=$(now)
		timeout 600 "$flowctl" --socket "$fsock" add-flows "$tmp/install.flows" >/dev/null ||
			die "flowctl add-flows failed"
		t1=$(now)
		fd+=("$(awk -v n="$n" -v s="$t0" -v e="$t1" 'BEGIN {printf "%.0f", n / (e - s)}')")
		"$flowctl" --socket "$fsock" del-flows >/dev/null
		note "install run $r/$runs: OVS ${oi[-1]} rules/s (+${orss[-1]} B RSS/rule)," \
			"flowlane run ${fi_[-1]} rules/s, flowctl add-flows ${fd[-1]} rules/s"
	done
	stop_pid "$fl_pid"
	fl_pid=''
	oi_m=$(med "${oi[@]}") fi_m=$(med "${fi_[@]}") fd_m=$(med "${fd[@]}")
	# RSS: the first install only; later ones reuse the heap freed by del-flows
	inst="$n $oi_m ${orss[0]} $fi_m $(ratio "$fi_m" "$oi_m") $fd_m $(ratio "$fd_m" "$oi_m")"
fi

# --- report -------------------------------------------------------------------------
if [ "$json" = 1 ]; then
	printf '{"runs":%d,"seconds":%d,"warmup":%d,"ovs_max_idle_ms":%s,"core":%d,"ovs_version":"%s","workloads":[' \
		"$runs" "$secs" "$warm" "${max_idle:-null}" "$core" "$("$vswitchd" --version | awk 'NR == 1 {print $NF}')"
	sep=''
	for l in "${results[@]}"; do
		# shellcheck disable=SC2086 # one field per word
		set -- $l
		printf '%s{"name":"%s","flows":%s,"rules":%s,' "$sep" "$1" "$2" "$3"
		if [ "$4" = null ]; then
			printf '"ovs":null,"ovs_note":"net_pcap infinite_rx needs %s mbufs; OVS shared mempool has 262144",' "$2"
		else
			printf '"ovs":{"pps":%s,"pps_min":%s,"pps_max":%s,"tx_pps":%s,"cycles_per_pkt":%s,"megaflows":%s},' \
				"$4" "$5" "$6" "$7" "${8:-null}" "$9"
		fi
		printf '"flowlane":{"pps":%s,"pps_min":%s,"pps_max":%s,"cycles_per_pkt":%s,"megaflows":%s},"ratio":%s}' \
			"${10}" "${11}" "${12}" "${13}" "${14}" "${15}"
		sep=,
	done
	printf ']'
	if [ -n "$inst" ]; then
		read -r n a b c d e f <<<"$inst"
		printf ',"install":{"rules":%s,"ovs":{"rules_per_s":%s,"rss_bytes_per_rule":%s},' "$n" "$a" "$b"
		printf '"flowlane":{"rules_per_s":%s},"ratio":%s,' "$c" "$d"
		printf '"flowlane_daemon":{"rules_per_s":%s},"daemon_ratio":%s}' "$e" "$f"
	fi
	printf '}\n'
else
	echo "64 B UDP frames; OVS $("$vswitchd" --version | awk 'NR == 1 {print $NF}') netdev datapath, 1 PMD;" \
		"flowlane-bench pipeline; both on core $core; median of $runs runs x ${secs} s (OVS after ${warm} s warm-up${max_idle:+, max-idle $max_idle ms})"
	printf '%-9s %7s %5s | %8s %8s %9s | %8s %8s %9s | %8s\n' workload flows rules "OVS Mpps" "cyc/pkt" \
		megaflows "fl Mpps" "cyc/pkt" megaflows "fl/OVS"
	for l in "${results[@]}"; do
		# shellcheck disable=SC2086
		set -- $l
		awk -v n="$1" -v f="$2" -v r="$3" -v op="$4" -v oc="$8" -v om="$9" -v fp="${10}" -v fc="${13}" \
			-v fm="${14}" -v q="${15}" 'function m(p) {return p == "null" ? "n/a" : sprintf(p < 1e6 ? "%.3f" : "%.2f", p / 1e6)}
			function c(x) {return x == "null" || x == "" ? "n/a" : sprintf("%.0f", x)}
			BEGIN {printf "%-9s %7d %5d | %8s %8s %9s | %8s %8s %9s | %8s\n", n, f, r, m(op), c(oc), c(om),
				m(fp), c(fc), c(fm), (q == "null" ? "n/a" : q)}'
	done
	for l in "${results[@]}"; do
		[[ $l != *" null null "* ]] || echo "(${l%% *}: no OVS figure, net_pcap's infinite_rx needs one mbuf per" \
			"frame of the file and OVS's shared mempool has 262,144)"
	done
	if [ -n "$inst" ]; then
		read -r n a b c d e f <<<"$inst"
		printf 'install %d rules: OVS %.0f rules/s (ovs-ofctl add-flows, +%s B RSS/rule),' "$n" "$a" "$b"
		printf ' flowlane %.0f rules/s (flowlane run --flows), flowlane/OVS %s;' "$c" "$d"
		printf ' flowlane daemon %.0f rules/s (flowctl add-flows), flowlane/OVS %s\n' "$e" "$f"
	fi
fi
