#!/usr/bin/env bash
# Golden tests of the pipeline as `flowlane run --trace` shows it: for every
# traces/NAME.flows, flowlane runs with four null ports (p1..p4, numbered
# 1..4), loads NAME.flows, traces the packet in NAME.trace, and its output
# must equal NAME.out.
#
#   golden_traces.sh FLOWLANE_BINARY [--update] [DIR]
#
# NAME.trace: the PACKET argument of --trace, on its first line that is not a
#             '#' comment (flow syntax, or hex with --trace-hex in NAME.args)
# NAME.args:  (optional) extra flowlane arguments, one a line
# NAME.out:   '#' comment lines (who reviewed it), then the expected lines.
#             All lines are compared, the first one ("trace: KEY", the full
#             key of the traced packet) included: it is deterministic and
#             shows how the trace text was read.
# --update rewrites every NAME.out from flowlane's output, keeping its
# comment lines (a new file gets a header saying it is NOT reviewed yet).
# Review every changed line before committing: the expected output came from
# flowlane, so only the review makes it a test.
set -euo pipefail
flowlane=$1
shift
update=0
if [[ ${1:-} == --update ]]; then update=1; shift; fi
dir=${1:-$(cd "$(dirname "$0")" && pwd)/traces}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

pass=0 fail=0
for flows in "$dir"/*.flows; do
	name=$(basename "$flows" .flows)
	packet=$(grep -v '^#' "$dir/$name.trace" | grep -m1 -v '^[[:space:]]*$' || true)
	if [[ -z $packet ]]; then
		echo "FAIL $name: $name.trace has no packet line"
		fail=$((fail + 1))
		continue
	fi
	args=()
	if [[ -f $dir/$name.args ]]; then
		while read -r a; do [[ -n $a && $a != \#* ]] && args+=("$a"); done <"$dir/$name.args"
	fi
	if ! timeout 30 "$flowlane" run -q -p p1=null: -p p2=null: -p p3=null: -p p4=null: \
		--flows "$flows" "${args[@]}" --trace "$packet" >"$t/got" 2>"$t/err"; then
		echo "FAIL $name: flowlane failed: $(cat "$t/err")"
		fail=$((fail + 1))
		continue
	fi
	if ((update)); then
		if [[ -f $dir/$name.out ]] && grep -q '^#' "$dir/$name.out"; then
			grep '^#' "$dir/$name.out" >"$t/new"
		else
			echo "# NOT REVIEWED: written by golden_traces.sh --update; check every line, then say so here" >"$t/new"
		fi
		cat "$t/got" >>"$t/new"
		cp "$t/new" "$dir/$name.out"
		echo "updated $name.out"
		continue
	fi
	if [[ ! -f $dir/$name.out ]]; then
		echo "FAIL $name: no $name.out (run with --update, then review it)"
		fail=$((fail + 1))
		continue
	fi
	grep -v '^#' "$dir/$name.out" >"$t/want" || true
	if diff -u --label "$name.out (want)" --label "flowlane run --trace (got)" "$t/want" "$t/got" >"$t/diff"; then
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' "$t/diff"
		fail=$((fail + 1))
	fi
done
echo "golden_traces: $pass passed, $fail failed"
((fail == 0))
