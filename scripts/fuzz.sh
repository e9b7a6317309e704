#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time from its seed corpus.
#   scripts/fuzz.sh BUILD_DIR TARGET SECONDS
# New inputs go to a scratch corpus under BUILD_DIR so the repository's seed
# corpus only changes when someone chooses to add to it. A crash leaves its
# input in BUILD_DIR/fuzz-artifacts/ and fails the run.
set -euo pipefail
build=$1 target=$2 secs=$3
name=${target#fuzz_}
seeds=tests/fuzz/corpus/$name
work=$build/fuzz-corpus/$name
mkdir -p "$work" "$build/fuzz-artifacts"
echo "fuzz: $target for ${secs}s"
"$build/tests/fuzz/$target" -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$build/fuzz-artifacts/" "$work" "$seeds" 2>"$build/fuzz-$name.log" || {
	tail -40 "$build/fuzz-$name.log" >&2
	echo "fuzz: $target FAILED (log: $build/fuzz-$name.log)" >&2
	exit 1
}
grep -E 'stat::number_of_executed_units|Done' "$build/fuzz-$name.log" | tr '\n' ' '
echo
