# shellcheck shell=bash
# tests/e2e/lib.sh: what the end-to-end tests, the demo and the veth benchmark
# share: network namespaces joined to the switch by veth pairs, the flowlane
# daemon and flowctl, traffic helpers, and a cleanup that runs on every exit.
#
#   . tests/e2e/lib.sh
#   e2e_init BUILD_DIR         find the binaries, make a temp dir, set the trap
#   e2e_need_root; e2e_need_cmd ip ping ...   (exit 77 with the reason)
#   e2e_topo 3                 namespaces ${NS[1..3]}, each with eth0 =
#                              ${IP[i]} (10.77.0.i/24), ${MAC[i]}, whose peer
#                              ${RIF[i]} is in the root namespace (or in the
#                              switch namespace, E2E_SWNS=1), up
#   fl_start [ARGS]            the daemon on a private socket and state file
#   fctl ARGS                  flowctl against it (bounded by a timeout)
#   nsx I CMD...               run CMD in namespace I (bounded)
#   cleanup                    automatic at exit: daemon and every process we
#                              started killed, namespaces and links deleted
#
# Names: every namespace and link carries E2E_PREFIX (default fle2e<pid>), so
# parallel runs never meet, and cleanup touches nothing else. Interface names
# must stay within 15 characters: the prefix is at most 12.
#
# Everything is bounded: commands run under `timeout`, waits poll with a
# deadline, and the trap removes what was made even when a check failed.

E2E_PREFIX=${E2E_PREFIX:-fle2e$$}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3 first: a pyenv shim in PATH takes about 2 s to start.
PY=$(command -v /usr/bin/python3 || command -v python3 || echo python3)
PKT=("$PY" "$E2E_DIR/pkt.py")
NS=() RIF=() IP=() MAC=()
E2E_PIDS=() E2E_LINKS=() E2E_NETNS=()
FL_PID='' SWNS=''
FL_WRAP=() # a prefix for the daemon's command line, e.g. (taskset -c 1)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; [ -z "${E2E_TMP:-}" ] || e2e_dump_log >&2; exit 1; }
say() { echo "-- $*"; }

e2e_need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, veth, packet sockets)"
	ip netns add "${E2E_PREFIX}probe" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "${E2E_PREFIX}probe"
	ip link add "${E2E_PREFIX}pa" type veth peer name "${E2E_PREFIX}pb" 2>/dev/null ||
		skip "cannot create veth pairs here (no veth module?)"
	ip link del "${E2E_PREFIX}pa"
}

e2e_need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed (scripts/deps.sh installs it)"
	done
}

# BUILD_DIR (or the path of tools/flowlane in it): sets FLOWLANE, FLOWCTL,
# E2E_TMP, SOCK, STATE and the exit trap.
e2e_init() {
	local b=${1:?e2e_init: build dir}
	[ -d "$b" ] || b=$(dirname "$(dirname "$b")")
	FLOWLANE=$(cd "$b" && pwd)/tools/flowlane
	FLOWCTL=$(cd "$b" && pwd)/tools/flowctl
	[ -x "$FLOWLANE" ] || fail "no flowlane binary at $FLOWLANE"
	E2E_TMP=$(mktemp -d "/tmp/${E2E_PREFIX}.XXXXXX")
	SOCK=$E2E_TMP/flowlane.sock STATE=$E2E_TMP/state.json FL_LOG=$E2E_TMP/daemon.log
	trap cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
}

# The daemon mode and flowctl land together; tests that need them skip
# (saying so) on a tree that has neither yet.
e2e_need_daemon() {
	[ -x "$FLOWCTL" ] || skip "flowctl is not built ($FLOWCTL): the daemon and flowctl are not in this tree yet"
	"$FLOWLANE" --help 2>&1 | grep -q -- '--socket' ||
		skip "$FLOWLANE has no daemon mode (--socket) yet"
}

# Is port type TYPE ("afpacket", "tap", "afxdp") compiled in? Asks the
# daemon's help text, which lists the port types.
e2e_have_port_type() {
	"$FLOWLANE" --help 2>&1 | grep -q "$1:" || "$FLOWLANE" run --help 2>&1 | grep -q "$1:"
}

# Run a command in the switch's namespace (E2E_SWNS=1) or the root one. swx
# is a function (so `swx CMD &` would leave a subshell's pid in $!); where
# the pid matters, "${SWX[@]}" CMD & is the command itself.
swx() { "${SWX[@]}" "$@"; }
SWX=()

# N namespaces, each with eth0 whose peer is the switch side RIF[i].
e2e_topo() {
	local n=$1 i
	[ ${#E2E_PREFIX} -le 12 ] || fail "E2E_PREFIX '$E2E_PREFIX' is longer than 12 characters"
	if [ "${E2E_SWNS:-0}" = 1 ] && [ -z "$SWNS" ]; then
		SWNS=${E2E_PREFIX}sw SWX=(ip netns exec "$SWNS")
		ip netns add "$SWNS"
		E2E_NETNS+=("$SWNS")
		ip netns exec "$SWNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "$SWNS" link set lo up
	fi
	for ((i = 1; i <= n; i++)); do e2e_add_ns "$i"; done
}

# Namespace I with eth0 (10.77.0.I, 02:77:00:00:00:II) and the switch-side
# veth RIF[I]. Also used to recreate an interface deleted under the switch.
e2e_add_ns() {
	local i=$1
	NS[i]=${E2E_PREFIX}n$i RIF[i]=${E2E_PREFIX}r$i
	IP[i]=10.77.0.$i MAC[i]=$(printf '02:77:00:00:00:%02x' "$i")
	if ! ip netns list | grep -qw "${NS[i]}"; then
		ip netns add "${NS[i]}"
		E2E_NETNS+=("${NS[i]}")
		# No IPv6: its router and neighbour solicitations and MLD reports would
		# be traffic the tests did not send (they count frames).
		ip netns exec "${NS[i]}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "${NS[i]}" link set lo up
	fi
	swx ip link add "${RIF[i]}" address "$(printf '02:77:ff:00:00:%02x' "$i")" type veth \
		peer name eth0 address "${MAC[i]}" netns "${NS[i]}"
	[ -n "$SWNS" ] || E2E_LINKS+=("${RIF[i]}")
	swx sysctl -qw "net.ipv6.conf.${RIF[i]}.disable_ipv6=1"
	swx ip link set "${RIF[i]}" up
	ip -n "${NS[i]}" addr add "${IP[i]}/24" dev eth0
	ip -n "${NS[i]}" link set eth0 up
}

# Delete the veth pair of namespace I under the switch (both ends go).
e2e_del_link() {
	swx ip link del "${RIF[$1]}"
}

nsx() { # I CMD...: in namespace I, at most 60 s
	local i=$1
	shift
	timeout 60 ip netns exec "${NS[i]}" "$@"
}

# Start CMD in namespace I (or the switch's, I = sw) in the background; its
# pid is remembered for cleanup and left in BG_PID. Output goes where the
# caller redirects it.
nsbg() {
	local i=$1
	shift
	if [ "$i" = sw ]; then "${SWX[@]}" "$@" & else ip netns exec "${NS[i]}" "$@" & fi
	BG_PID=$!
	E2E_PIDS+=("$BG_PID")
}

# Wait (at most SECONDS) until CMD succeeds.
wait_until() {
	local secs=$1 end
	shift
	end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# Wait for FILE to exist (a helper's --ready file).
wait_file() { wait_until "${2:-10}" test -e "$1"; }

# A TCP listener on PORT in namespace I (or the switch's, I = sw)?
listening() { # I PORT
	if [ "$1" = sw ]; then
		"${SWX[@]}" ss -Hltn "sport = :$2"
	else
		ip netns exec "${NS[$1]}" ss -Hltn "sport = :$2"
	fi | grep -q .
}
# Wait (at most 10 s) for a server to listen: a busy machine may take longer
# than any fixed pause to start one.
wait_listen() { wait_until 10 listening "$1" "$2"; }

# --- the daemon -----------------------------------------------------------------

# fl_start [ARGS]: the daemon in the foreground of a background job (in the
# switch namespace if there is one), private socket and state file; returns
# once flowctl gets an answer (at most 15 s).
fl_start() {
	"${SWX[@]}" "${FL_WRAP[@]}" "$FLOWLANE" --socket "$SOCK" --state "$STATE" "$@" >>"$FL_LOG" 2>&1 &
	FL_PID=$!
	local end=$((SECONDS + 15))
	until fctl show >/dev/null 2>&1; do
		kill -0 "$FL_PID" 2>/dev/null || { FL_PID=''; fail "the daemon exited at start"; }
		[ $SECONDS -lt $end ] || fail "the daemon did not answer on $SOCK within 15 s"
		sleep 0.1
	done
}

# SIGKILL: no shutdown code runs, nothing is saved at exit.
fl_kill9() {
	[ -n "$FL_PID" ] || return 0
	kill -KILL "$FL_PID" 2>/dev/null || true
	wait "$FL_PID" 2>/dev/null || true
	FL_PID=''
}

# SIGTERM, SIGKILL after 10 s. Returns the daemon's exit status.
fl_stop() {
	local i rc=0
	[ -n "$FL_PID" ] || return 0
	kill -TERM "$FL_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do kill -0 "$FL_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$FL_PID" 2>/dev/null || true
	wait "$FL_PID" 2>/dev/null || rc=$?
	FL_PID=''
	return $rc
}

fl_alive() { [ -n "$FL_PID" ] && kill -0 "$FL_PID" 2>/dev/null; }

fctl() { timeout 20 "$FLOWCTL" --socket "$SOCK" "$@"; }

# Ports p1..pN on RIF[1..N], port numbers 1..N, of TYPE (default afpacket).
fl_add_ports() {
	local n=$1 type=${2:-afpacket} i
	for ((i = 1; i <= n; i++)); do
		fctl add-port "p$i@$i" "$type:${RIF[i]}" >/dev/null || fail "add-port p$i $type:${RIF[i]} failed"
	done
}

# The flow table as dump-flows prints it, without what changes with time and
# traffic (duration, counters, ages), sorted: equal before and after a
# rejected command or a restart.
flows_snapshot() {
	fctl dump-flows | sed -E 's/(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*, ?//g; s/^ +//' | sort
}

# Ports as "name port_no spec" lines, sorted.
ports_snapshot() {
	fctl --json show | "$PY" -c '
import json, sys
for p in sorted(json.load(sys.stdin)["ports"], key=lambda p: p["port_no"]):
    print(p["name"], p["port_no"], p.get("spec", ""))'
}

# JSON of `flowctl --json CMD` -> python expression EXPR on it (r = the JSON).
fctl_json() { # EXPR CMD...
	local expr=$1
	shift
	fctl --json "$@" | "$PY" -c "import json, sys; r = json.load(sys.stdin); print($expr)"
}

# A port's counter from dump-ports --json, e.g. port_stat p3 tx_packets.
port_stat() {
	fctl --json dump-ports | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
ports = r.get("ports", r) if isinstance(r, dict) else r
for p in ports:
    if p.get("name") == sys.argv[1]:
        v = p
        for k in sys.argv[2].split("."):
            v = v[k]
        print(v)
        break
else:
    sys.exit("no port " + sys.argv[1])' "$1" "$2"
}

# Is port NAME up, as `flowctl show --json` says?
port_up() {
	fctl --json show | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
ports = r.get("ports", []) if isinstance(r, dict) else r
for p in ports:
    if p.get("name") == sys.argv[1]:
        sys.exit(0 if p.get("up", p.get("link") in ("up", True)) else 1)
sys.exit(2)' "$1"
}

# --- traffic ----------------------------------------------------------------------

# One ping from I to J succeeds (3 tries, 1 s each).
ping_ok() { nsx "$1" ping -c 1 -W 1 "${3:-${IP[$2]}}" >/dev/null 2>&1 || nsx "$1" ping -c 2 -i 0.3 -W 1 "${3:-${IP[$2]}}" >/dev/null 2>&1; }
# No reply to 2 pings from I to J (the ARP entry may be stale: fine).
ping_fails() { ! nsx "$1" ping -c 2 -i 0.3 -W 1 "${3:-${IP[$2]}}" >/dev/null 2>&1; }
# Ping from I to J until it works, at most SECONDS (default 10).
wait_ping() { wait_until "${3:-10}" nsx "$1" ping -c 1 -W 1 "${IP[$2]}"; }

# An interface counter of eth0 in namespace I (rx_packets, tx_packets, ...).
ifstat() { nsx "$1" cat "/sys/class/net/eth0/statistics/$2"; }

# Start a UDP listener in namespace I on PORT for SECONDS (or until it got
# COUNT datagrams); lines go to FILE.
udp_listen() { # I PORT SECONDS FILE [COUNT]
	rm -f "$4.ready"
	nsbg "$1" "${PKT[@]}" recv "$2" "$3" --count "${5:-1000000}" --ready "$4.ready" >"$4"
	wait_file "$4.ready" || fail "UDP listener in ${NS[$1]} did not start"
}

# Sniff eth0 of namespace I into FILE until sniff_stop (at most SECONDS,
# default 20). Each frame is a line in FILE as soon as it is seen.
sniff_start() { # I FILE [SECONDS]
	rm -f "$2.ready"
	nsbg "$1" "${PKT[@]}" sniff eth0 "${3:-20}" --ready "$2.ready" >"$2"
	wait_file "$2.ready" || fail "sniffer in ${NS[$1]} did not start"
}
# Stop sniffers (PIDs) once what was sent had time to arrive (0.5 s).
sniff_stop() {
	local p
	sleep 0.5
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# COUNT UDP datagrams from namespace I to DST:PORT.
udp_send() { nsx "$1" "${PKT[@]}" send "$2" "$3" "$4" --payload "${5:-e2e}"; }

# Wait for background job PID (a listener or sniffer that stops by itself).
bg_wait() { wait "$1" 2>/dev/null || true; }

e2e_dump_log() {
	if [ -s "${FL_LOG:-}" ]; then
		echo "--- daemon log (last 30 lines) ---"
		tail -n 30 "$FL_LOG"
	fi
}

# --- cleanup ----------------------------------------------------------------------

# Stop the daemon and every process we started, delete our namespaces and
# links. The benchmark calls it between switches; cleanup calls it at exit.
# Quiet: bash reports each killed job on stderr, which says nothing here.
e2e_teardown() { e2e_teardown_ 2>/dev/null; }
e2e_teardown_() {
	local p n l
	if [ -n "$FL_PID" ]; then
		kill -TERM "$FL_PID" 2>/dev/null || true
		for ((p = 0; p < 50; p++)); do kill -0 "$FL_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$FL_PID" 2>/dev/null || true
		wait "$FL_PID" 2>/dev/null || true
		FL_PID=''
	fi
	for p in "${E2E_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for n in "${E2E_NETNS[@]}"; do
		# processes still inside keep the namespace (and its veths) alive
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	done
	for p in "${E2E_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for l in "${E2E_LINKS[@]}"; do ip link del "$l" 2>/dev/null || true; done
	for n in "${E2E_NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	E2E_PIDS=() E2E_LINKS=() E2E_NETNS=() NS=() RIF=() IP=() MAC=() SWNS='' SWX=()
}

cleanup() {
	local rc=$?
	trap - EXIT
	e2e_teardown
	# a sanitizer build of the daemon reports into its log (at the latest
	# when it stops): that fails the test even if the traffic was right
	if [ "$rc" -eq 0 ] && [ -s "${FL_LOG:-}" ] &&
		grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$FL_LOG"; then
		echo "FAIL: the daemon's log has a sanitizer report:" >&2
		grep -E -A 30 'Sanitizer|runtime error:' "$FL_LOG" | head -n 60 >&2
		rc=1
	fi
	[ -z "${E2E_TMP:-}" ] || rm -rf "$E2E_TMP"
	exit $rc
}
