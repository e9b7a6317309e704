#!/usr/bin/env bash
# Integration: pcap in -> flowlane -> pcap out, checked by an independent
# pcap reader (pcaptool.py) against what is expected.
#   pcap_forward.sh FLOWLANE_BINARY
set -euo pipefail
flowlane=$1
here=$(cd "$(dirname "$0")" && pwd)
tool="python3 $here/pcaptool.py"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. a mixed capture: 600 frames, 50 flows, sizes 60..1500, UDP/TCP/ICMP, v4 and v6
"$flowlane" run -q -p g=gen:flows=50,size=60-1500,proto=mix,ipv6=30,count=600,seed=7 \
	-p cap=pcap:tx="$t/in.pcap" -m g=cap
[[ $($tool count "$t/in.pcap") == 600 ]] || fail "generator wrote $($tool count "$t/in.pcap") frames, want 600"

# 2. forwarded unchanged, in order, counted
"$flowlane" run --json -p in=pcap:"$t/in.pcap" -p out=pcap:tx="$t/out.pcap" -m in=out >"$t/run1.json"
$tool same "$t/in.pcap" "$t/out.pcap" || fail "forwarded capture differs from the input"
python3 - "$t/run1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ports = {p["name"]: p for p in r["ports"]}
assert ports["in"]["rx_packets"] == 600, ports["in"]
assert ports["out"]["tx_packets"] == 600, ports["out"]
assert ports["in"]["rx_bytes"] == ports["out"]["tx_bytes"]
assert r["worker"]["packets"] == 600
assert sum(r["parse_errors"].values()) == 0, r["parse_errors"]
PY

# 3. output MTU 1000: frames over 1000 + 22 bytes are dropped and counted
"$flowlane" run --json -p in=pcap:"$t/in.pcap" -p out=pcap:tx="$t/out2.pcap",mtu=1000 -m in=out >"$t/run2.json"
$tool filter "$t/in.pcap" "$t/want2.pcap" --max-len 1022
$tool same "$t/want2.pcap" "$t/out2.pcap" || fail "MTU filtering differs from the expected capture"
want_drops=$(( 600 - $($tool count "$t/want2.pcap") ))
python3 - "$t/run2.json" "$want_drops" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
out = [p for p in r["ports"] if p["name"] == "out"][0]
assert out["tx_drops"]["too_big"] == int(sys.argv[2]), (out, sys.argv[2])
PY

# 4. two inputs into one output, and an unmapped input that drops everything
"$flowlane" run --json -p a=pcap:"$t/in.pcap" -p b=pcap:"$t/want2.pcap" -p c=pcap:"$t/in.pcap" \
	-p out=pcap:tx="$t/out3.pcap" -m a=out,b=out >"$t/run3.json"
n3=$($tool count "$t/out3.pcap")
want3=$(( 600 + $($tool count "$t/want2.pcap") ))
[[ $n3 == "$want3" ]] || fail "merged output has $n3 frames, want $want3"
python3 - "$t/run3.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = [p for p in r["ports"] if p["name"] == "c"][0]
assert c["rx_packets"] == 600, c
# no flow matches port c: a table miss, dropped by the (empty) actions
assert r["actions"]["dropped"] == 600, r["actions"]
PY

# 5. bad input: a missing file and a file that is not a capture fail clearly
if "$flowlane" run -q -p in=pcap:"$t/missing.pcap" -p o=null: 2>"$t/err1"; then fail "missing file accepted"; fi
grep -q "missing.pcap" "$t/err1" || fail "error does not name the file: $(cat "$t/err1")"
echo "not a capture" >"$t/bad.pcap"
if "$flowlane" run -q -p in=pcap:"$t/bad.pcap" -p o=null: 2>"$t/err2"; then fail "garbage file accepted"; fi
grep -q "bad.pcap" "$t/err2" || fail "error does not name the file: $(cat "$t/err2")"
echo "pcap_forward: 5 checks passed"
