#!/usr/bin/env bash
# End to end: the flowlane daemon and flowctl, with ports that need no
# privileges and no network namespaces (gen, null, ring), on a private
# socket and state file in a temporary directory.
#
#   control.sh BUILD_DIR|PATH/TO/tools/flowlane
#
# Checks: flowctl's exit codes (0 done, 1 refused, 2 usage, 3 no daemon);
# ports added and deleted; flows added, modified and deleted; counters that
# grow; bad input refused with nothing changed (dumps compared before and
# after); --json output of every command parses; capture writes a pcap;
# SIGKILL then restart restores ports, flows and settings; a corrupt state
# file or a second daemon on the same socket is refused at start; --detach.
# Every wait has a deadline and the daemon is killed at exit (tests/e2e/lib.sh).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init "${1:?usage: control.sh BUILD_DIR}"
[ -x "$FLOWCTL" ] || fail "no flowctl at $FLOWCTL"
cd "$E2E_TMP" || fail "no temp dir"

# expect CODE CMD...: run CMD, require exit status CODE (output kept in $out).
expect() {
	local want=$1 rc
	shift
	out=$("$@" 2>"$E2E_TMP/stderr") && rc=0 || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want: $(cat "$E2E_TMP/stderr") $out"
}

# Flows without the fields that move on their own.
flows() { fctl dump-flows | sed -E 's/duration=[^,]*, //; s/n_packets=[0-9]*, n_bytes=[0-9]*, //; s/idle_age=[0-9]*, //'; }
# Ports as configured (name, number, spec), from show --json.
ports() { fctl_json '"\n".join("%s %s %s" % (p["name"], p["port_no"], p["spec"]) for p in r["ports"])' show; }
settings() { fctl_json '" ".join("%s=%s" % (s["name"], s["value"]) for s in r["settings"]) + " " + json.dumps(r["table_miss"], sort_keys=True)' get; }

say "no daemon: exit 3 and a clear message"
expect 3 "$FLOWCTL" --socket "$SOCK" show
grep -q "cannot reach flowlane at $SOCK" "$E2E_TMP/stderr" || fail "message: $(cat "$E2E_TMP/stderr")"
grep -q "is the daemon running" "$E2E_TMP/stderr" || fail "message: $(cat "$E2E_TMP/stderr")"
expect 2 "$FLOWCTL" --socket "$SOCK" no-such-command
expect 2 "$FLOWCTL" --socket "$SOCK" add-port onlyname
expect 0 "$FLOWCTL" --help
for c in add-port del-port show add-flow add-flows mod-flows del-flows dump-flows dump-ports \
	dump-caches trace capture set get list; do
	grep -q "^  $c" <<<"$out" || fail "flowctl --help does not list $c"
done

say "start, ports"
fl_start --workers 1 --buffers 4096
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK"), want 660"
expect 0 fctl add-port sink@2 null:
expect 0 fctl add-port gen@1 gen:flows=8,size=100,rate=2000
expect 0 fctl add-port spare ring:ctl_e2e
before=$(ports)
expect 1 fctl add-port sink null:
grep -q "port sink exists" "$E2E_TMP/stderr" || fail "duplicate port: $(cat "$E2E_TMP/stderr")"
expect 1 fctl add-port other@2 null:
expect 1 fctl add-port other nosuchtype:x
expect 1 fctl add-port other pcap:/nonexistent/dir/x.pcap
expect 1 fctl del-port nosuch
[ "$(ports)" = "$before" ] || fail "a refused port command changed the ports: $(ports)"
grep -q "spare 3 ring:ctl_e2e" <<<"$before" || fail "spare is not port 3: $before"

say "flows: add, refuse bad ones, counters grow"
expect 0 fctl add-flow 'priority=10,in_port=gen,udp actions=output:sink'
expect 0 fctl add-flow 'priority=5,in_port=gen actions=drop'
before=$(flows)
expect 1 fctl add-flow 'priority=10,in_port=gen,udpp actions=output:sink'
grep -q "unknown keyword 'udpp' at column" "$E2E_TMP/stderr" || fail "message: $(cat "$E2E_TMP/stderr")"
expect 1 fctl add-flow 'in_port=nosuchport actions=drop'
expect 1 fctl add-flow 'nw_dst=10.0.0.1 actions=drop'
printf 'priority=1 actions=drop\n# a comment\ntable=1,tcp,tp_dst=80 actions=output:sink\nbad line\n' >bad.flows
expect 1 fctl add-flows bad.flows
grep -q "bad.flows: line 4" "$E2E_TMP/stderr" || fail "add-flows message: $(cat "$E2E_TMP/stderr")"
expect 1 fctl mod-flows 'in_port=gen actions=goto_table:0'
[ "$(flows)" = "$before" ] || fail "a refused flow command changed the flows"
n_packets() { fctl_json 'r["flows"][0]["n_packets"]' dump-flows; }
grown() { [ "$(n_packets)" -gt "$((n1 + 200))" ]; }
n1=$(n_packets)
wait_until 10 grown || fail "n_packets does not grow (was $n1, now $(n_packets))"
fctl dump-flows | grep -q '^ cookie=0x0, duration=[0-9.]*s, table=0, n_packets=[1-9][0-9]*, n_bytes=[1-9][0-9]*, idle_age=[0-9]*, priority=10,in_port=1,udp actions=output:2$' ||
	fail "dump-flows line format: $(fctl dump-flows)"
[ "$(port_stat sink tx_packets)" -gt 0 ] || fail "sink sent nothing"

say "add-flows from stdin, mod-flows, del-flows"
printf 'table=1,priority=7,tcp actions=output:sink\ntable=1,priority=6 actions=drop\n' |
	expect 0 fctl add-flows -
[ "$(fctl_json 'r["count"]' dump-flows table=1)" = 2 ] || fail "add-flows - did not add 2 flows"
expect 0 fctl mod-flows 'table=1,tcp actions=drop'
fctl dump-flows table=1 | grep -q 'priority=7,tcp actions=drop' || fail "mod-flows: $(fctl dump-flows table=1)"
expect 0 fctl del-flows --strict 'table=1,priority=7'
[ "$(fctl_json 'r["count"]' dump-flows table=1)" = 2 ] || fail "del-flows --strict deleted a rule it does not name"
expect 0 fctl del-flows --strict 'table=1,priority=6'
[ "$(fctl_json 'r["count"]' dump-flows table=1)" = 1 ] || fail "del-flows --strict did not delete"
expect 0 fctl del-flows 'table=1'
[ "$(fctl_json 'r["count"]' dump-flows table=1)" = 0 ] || fail "del-flows table=1 left flows"

say "timeouts expire, and the state file (or its journal) follows"
expect 0 fctl add-flow 'hard_timeout=1,priority=99,in_port=spare actions=drop'
# a flow change is appended to the journal; the state file holds the rest
grep -q '^+.*hard_timeout=1' "$STATE.journal" ||
	fail "the flow with a timeout is not in the state journal: $(cat "$STATE.journal")"
expired() { [ "$(fctl_json 'r["count"]' dump-flows in_port=spare)" = 0 ]; }
wait_until 6 expired ||
	fail "hard_timeout=1 did not expire: $(fctl dump-flows)"
wait_until 4 grep -q '^-table=0,priority=99,in_port=3$' "$STATE.journal" ||
	fail "the expired flow's removal is not in the state journal: $(cat "$STATE.journal")"

say "settings"
expect 0 fctl set emc-entries 4096
expect 0 fctl set table-miss 3=continue
expect 1 fctl set emc-entries 1000
expect 1 fctl set nosuch 1
expect 1 fctl set table-miss 0=flood
[ "$(fctl_json '[s["effective"] for s in r["settings"]][0]' get emc-entries)" = 4096 ] ||
	fail "emc-entries not in effect"

say "--json output of every command parses"
for args in show dump-flows "dump-flows table=0" dump-ports "dump-ports gen" dump-caches \
	"trace in_port=1,udp,nw_dst=10.0.0.1" "trace --hex ffffffffffff020000000001080045" get \
	"get workers" list version "add-port tmp null:" "del-port tmp" "add-flow table=9,actions=drop" \
	"mod-flows table=9,actions=drop" "del-flows table=9" "set idle-spins 512"; do
	# shellcheck disable=SC2086
	fctl --json $args >json.out || fail "flowctl --json $args failed"
	"$PY" -m json.tool json.out >/dev/null || fail "flowctl --json $args: not JSON: $(cat json.out)"
done
# --json (and --help) after the command as well
fctl show --json >json.out && fctl --json show >json2.out &&
	"$PY" -c 'import json, sys; a, b = (json.load(open(f))["ports"] for f in sys.argv[1:]); assert a == b' \
		json.out json2.out || fail "flowctl show --json: $(cat json.out)"
fctl dump-flows table=0 --json | "$PY" -m json.tool >/dev/null || fail "dump-flows FILTER --json"
fctl show --help | grep -q '^usage: flowctl' || fail "flowctl show --help"
expect 1 fctl --json add-port sink null:
"$PY" -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["ok"] is False and "exists" in r["error"]' "$out" ||
	fail "--json error output: $out"
fctl dump-caches | grep -q '^worker 0: ' || fail "dump-caches: $(fctl dump-caches)"
fctl trace 'in_port=gen,udp,nw_dst=10.0.0.1' | grep -q 'datapath actions: output:2' ||
	fail "trace: $(fctl trace 'in_port=gen,udp,nw_dst=10.0.0.1')"

say "the socket: split and pipelined requests, bad lines, a stalled client"
"$PY" - "$SOCK" "$FLOWCTL" <<'EOF' || fail "socket protocol"
import json, socket, subprocess, sys, time
path, flowctl = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s
def lines(s, n):
    buf = b""
    while buf.count(b"\n") < n:
        d = s.recv(65536)
        assert d, "connection closed"
        buf += d
    return [json.loads(l) for l in buf.split(b"\n")[:n]]
stalled = conn()
stalled.send(b'{"cmd":"sh')                      # never finished
s = conn()
for part in (b'{"cmd":', b'"version"', b'}\n'):   # one request in three writes
    s.send(part)
    time.sleep(0.05)
assert lines(s, 1)[0]["ok"] is True
s.send(b'{"cmd":"version"}\nnot json\n{"cmd":"nope"}\n{"cmd":"show"}\n')  # pipelined
r = lines(s, 4)
assert [x["ok"] for x in r] == [True, False, False, True], r
assert r[1]["error"].startswith("request: json: ") and "at offset 0" in r[1]["error"], r[1]
assert "unknown command 'nope'" in r[2]["error"], r[2]
# the stalled client holds nobody up
out = subprocess.run([flowctl, "--socket", path, "--timeout", "5", "version"], capture_output=True)
assert out.returncode == 0, out
# a request whose writer closes its side still gets its answer (no newline needed)
t = conn()
t.send(b'{"cmd":"version"}')
t.shutdown(socket.SHUT_WR)
assert lines(t, 1)[0]["ok"] is True
EOF

say "capture (what gen receives, then what sink sends)"
fctl dump-flows | grep -q 'output:2' || fail "a flow gen -> sink is needed for the tx capture"
for what in "gen -c 5 -f udp -w cap.pcap" "sink --dir tx -c 5 -f udp -w cap.pcap"; do
# shellcheck disable=SC2086
expect 0 fctl capture $what
"$PY" - cap.pcap <<'EOF' || fail "capture file ($what)"
import struct, sys
d = open(sys.argv[1], "rb").read()
magic, = struct.unpack("<I", d[:4])
assert magic == 0xa1b2c3d4, hex(magic)
off, n = 24, 0
while off < len(d):
    ts, us, incl, orig = struct.unpack("<IIII", d[off:off + 16])
    assert incl == orig == 100, (incl, orig)
    assert ts > 1500000000, ts
    off += 16 + incl
    n += 1
assert off == len(d) and n == 5, (off, len(d), n)
EOF
done
expect 1 fctl capture nosuch -w x.pcap

say "kill -9, restart: ports, flows and settings come back"
want_ports=$(ports) want_flows=$(flows) want_settings=$(settings)
fl_kill9
expect 3 "$FLOWCTL" --socket "$SOCK" show # really gone: nobody answers
[ -e "$SOCK" ] || fail "socket vanished on kill -9?"
fl_start
[ "$(ports)" = "$want_ports" ] || fail "ports after restart: $(ports), want $want_ports"
[ "$(flows)" = "$want_flows" ] || fail "flows after restart: $(flows), want $want_flows"
[ "$(settings)" = "$want_settings" ] || fail "settings after restart: $(settings), want $want_settings"
[ "$(fctl_json 'len(r["workers"])' show)" = 1 ] || fail "worker count not restored"
[ "$(fctl_json 'sorted(k for k in r["workers"][0] if k in ("sleeps", "polls_cut_short"))' show)" = \
	"['polls_cut_short', 'sleeps']" ] || fail "show --json: worker idle counters missing"

say "clean stop saves; deleted port stays deleted"
expect 0 fctl del-port spare
fl_stop || fail "daemon exit status $? on SIGTERM"
[ ! -e "$SOCK" ] || fail "socket left after a clean stop"
grep -q '"spare"' "$STATE" && fail "deleted port still in the state file"
fl_start
grep -q spare <<<"$(ports)" && fail "deleted port came back"

say "a second daemon on the same socket is refused"
expect 1 timeout 10 "$FLOWLANE" --socket "$SOCK" --state "$E2E_TMP/other.json"
grep -q "another flowlane (pid [0-9]*) is running on socket $SOCK" "$E2E_TMP/stderr" ||
	fail "second daemon: $(cat "$E2E_TMP/stderr")"
fl_stop

say "a corrupt or truncated state file stops the start"
cp "$STATE" good.json
printf '{"flowlane_state": 1, "ports": [{"name": "x", "port_no": 1}]}' >"$STATE"
expect 1 timeout 10 "$FLOWLANE" --socket "$SOCK" --state "$STATE"
grep -q "state file $STATE: ports\[0\].spec: missing" "$E2E_TMP/stderr" ||
	fail "corrupt state message: $(cat "$E2E_TMP/stderr")"
head -c 200 good.json >"$STATE"
expect 1 timeout 10 "$FLOWLANE" --socket "$SOCK" --state "$STATE"
grep -q "unexpected end of input" "$E2E_TMP/stderr" || fail "truncated: $(cat "$E2E_TMP/stderr")"
cmp -s <(head -c 200 good.json) "$STATE" || fail "a refused start rewrote the state file"
expect 2 timeout 10 "$FLOWLANE" --port p=null:
grep -q "flowlane run" "$E2E_TMP/stderr" || fail "old syntax hint: $(cat "$E2E_TMP/stderr")"

say "--detach"
cp good.json "$STATE"
expect 0 timeout 20 "$FLOWLANE" --detach --socket "$SOCK" --state "$STATE" --pidfile "$E2E_TMP/fl.pid"
pid=$(cat "$E2E_TMP/fl.pid")
E2E_PIDS+=("$pid")
[ "$(ports)" = "$(grep -v spare <<<"$want_ports")" ] || fail "detached daemon ports: $(ports)"
kill -TERM "$pid"
wait_until 10 test ! -e "$SOCK" || fail "detached daemon did not stop"
wait_until 5 test ! -e "$E2E_TMP/fl.pid" || fail "pidfile left"
expect 2 timeout 20 "$FLOWLANE" --detach --socket "$SOCK" --state "$STATE" --workers 999
grep -q -- "--workers" "$E2E_TMP/stderr" || fail "detach usage error: $(cat "$E2E_TMP/stderr")"
printf '{' >"$STATE"
expect 1 timeout 20 "$FLOWLANE" --detach --socket "$SOCK" --state "$STATE"
grep -q "state file" "$E2E_TMP/stderr" || fail "detach start error: $(cat "$E2E_TMP/stderr")"

say "PASS"
