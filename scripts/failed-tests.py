#!/usr/bin/env python3
"""Print, last, what each failed test of a meson run said.

meson's --print-errorlogs prints a failed test's output in the middle of the
run, and a CI log that keeps only its tail loses it. This prints, after the
summary, every failed test's name, exit code, the lines of its output that
name a failure, and the tail of its stdout and stderr.

usage: scripts/failed-tests.py BUILD_DIR [TAIL_LINES]
"""
import json
import re
import sys

PASSED = {"OK", "SKIP", "EXPECTEDFAIL"}
FAILURE_LINE = re.compile(r"FAIL|ERROR|error:|Assertion|Sanitizer|runtime error|not ok")


def show(text, label, tail):
    lines = (text or "").splitlines()
    if not lines:
        return
    marked = [l for l in lines[:-tail] if FAILURE_LINE.search(l)]
    if marked:
        print(f"  {label}, lines naming a failure before the tail:")
        for l in marked[-20:]:
            print("    " + l)
    print(f"  {label}, last {min(tail, len(lines))} of {len(lines)} lines:")
    for l in lines[-tail:]:
        print("    " + l)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tail = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    path = sys.argv[1] + "/meson-logs/testlog.json"
    try:
        with open(path) as f:
            runs = [json.loads(l) for l in f if l.strip()]
    except OSError as e:
        sys.exit(f"failed-tests: cannot read {path}: {e.strerror}")
    failed = [r for r in runs if r.get("result") not in PASSED]
    for r in failed:
        print(f"==== failed: {r['name']} ({r.get('result')}, exit {r.get('returncode')}, "
              f"{r.get('duration', 0):.2f} s)")
        show(r.get("stdout"), "stdout", tail)
        show(r.get("stderr"), "stderr", tail)
    print(f"failed-tests: {len(failed)} of {len(runs)} tests failed in {sys.argv[1]}")


if __name__ == "__main__":
    main()
