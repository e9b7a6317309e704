#!/usr/bin/env bash
# Integration tests of the flow tables: for every case directory under
# cases/, frames built from a text description go into flowlane through pcap
# ports, and what each port sends must equal the expected frames, also built
# from a text description by pcaptool.py (full checksums, independent of
# flowlane's code: expected outputs are never produced by running flowlane).
#
#   pipeline_cases.sh FLOWLANE_BINARY [CASE ...]
#
# A case directory holds:
#   flows       the flow table (ovs-ofctl syntax); comments say what it checks
#   ports       port names, one a line, numbered 1, 2, ... in that order
#   frames      (optional) named frames the .in/.out files refer to as =NAME
#   NAME.in     frames received on port NAME (see pcaptool.py for the syntax)
#   NAME.out    frames port NAME must send, in order; a port without a .out
#               file must send nothing
#   args        (optional) extra flowlane arguments, one a line
#   ordered     (optional) compare each port's frames in order; without it a
#               port's frames are compared as a multiset, because flowlane
#               (like OVS's userspace datapath) executes a batch grouped by
#               megaflow, so frames of different flows may leave a port in
#               another order than they arrived (frames of one flow keep
#               their order)
#   xfail       (optional) a known flowlane bug: the case is run and must
#               fail; the file's text is printed. If it passes, the runner
#               fails so the marker gets removed.
#
# flowlane polls its ports in turn, one burst from each per pass, so a case
# whose result depends on the order of frames across input ports feeds them
# all through one port (and uses resubmit(PORT,TABLE) to stand for others).
set -euo pipefail
flowlane=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
tool=(python3 "$here/pcaptool.py")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

if (($#)); then cases=("$@"); else
	cases=()
	for d in "$here"/cases/*/; do cases+=("$(basename "$d")"); done
fi

# run_case NAME: 0 if every port sent what it should; prints what differed
run_case() {
	local name=$1 dir=$here/cases/$1 w=$t/$1 p args=() defs=() specs=() bad=0 order=(--unordered)
	[[ -f $dir/ordered ]] && order=()
	mkdir -p "$w"
	[[ -f $dir/frames ]] && defs=(--frames "$dir/frames")
	while read -r p; do
		[[ -z $p || $p == \#* ]] && continue
		if [[ -f $dir/$p.in ]]; then
			specs+=("$dir/$p.in" "$w/$p.in.pcap")
			args+=(-p "$p=pcap:$w/$p.in.pcap,tx=$w/$p.got.pcap")
		else
			args+=(-p "$p=pcap:tx=$w/$p.got.pcap")
		fi
	done <"$dir/ports"
	# inputs and expected outputs, built in one go (a port without a .out sends nothing)
	while read -r p; do
		[[ -z $p || $p == \#* ]] && continue
		if [[ -f $dir/$p.out ]]; then specs+=("$dir/$p.out" "$w/$p.want.pcap"); else specs+=(/dev/null "$w/$p.want.pcap"); fi
	done <"$dir/ports"
	"${tool[@]}" build "${specs[@]}" "${defs[@]}" || return 1
	if [[ -f $dir/args ]]; then
		while read -r p; do [[ -n $p && $p != \#* ]] && args+=("$p"); done <"$dir/args"
	fi
	if ! timeout 60 "$flowlane" run -q "${args[@]}" --flows "$dir/flows" >"$w/stdout" 2>"$w/stderr"; then
		echo "$name: flowlane failed: $(cat "$w/stderr")"
		return 1
	fi
	while read -r p; do
		[[ -z $p || $p == \#* ]] && continue
		"${tool[@]}" diff "$w/$p.want.pcap" "$w/$p.got.pcap" --label "$name: port $p" "${order[@]}" || bad=1
	done <"$dir/ports"
	return $bad
}

pass=0 xfail=0 fail=0
for c in "${cases[@]}"; do
	[[ -f $here/cases/$c/ports ]] || { echo "FAIL $c: no such case"; fail=$((fail + 1)); continue; }
	if run_case "$c" >"$t/$c.log" 2>&1; then
		if [[ -f $here/cases/$c/xfail ]]; then
			echo "FAIL $c: marked xfail but passes now; remove cases/$c/xfail"
			fail=$((fail + 1))
		else
			echo "ok   $c"
			pass=$((pass + 1))
		fi
	elif [[ -f $here/cases/$c/xfail ]]; then
		echo "XFAIL $c (known flowlane bug): $(grep -v '^$' "$here/cases/$c/xfail" | head -1)"
		sed 's/^/      /' "$t/$c.log"
		xfail=$((xfail + 1))
	else
		echo "FAIL $c"
		sed 's/^/      /' "$t/$c.log"
		fail=$((fail + 1))
	fi
done
echo "pipeline_cases: $pass passed, $xfail expected failures, $fail failed"
((fail == 0))
