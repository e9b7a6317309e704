#!/usr/bin/env python3
"""Golden tests of `flowlane replay`, run in one process.

  replay_cases.py FLOWLANE [cases/NAME | bad/NAME ...]

Every cases/NAME/ directory is a capture (built by replaytool.py from its
`in`), a flows file and the frames each port must send; replaytool.py's own
pcap reader compares what flowlane wrote byte for byte. A case may also have
`args` (extra replay options, one a line), `checks` (values of the JSON
summary: 'drops.tx.too_big = 1') and `trace` (lines that the --trace output
must contain; the traced run must write the same files).

Every bad/NAME/ directory is an input that must be refused: `in` (and
`frames`), `flows`, optional `args`, `error`, lines stderr must contain, and
`file_size_limit` (bytes a file may grow to: a full disk).
The replay must exit with status 1, and the output directory, which holds an
old port-1.pcap before the run, must be exactly as it was.
"""
import contextlib
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

import replaytool

HERE = os.path.dirname(os.path.abspath(__file__))


def case_lines(path):
    return [line for _, line in replaytool.lines(path)] if os.path.exists(path) else []


def replay(flowlane, case, capture, out, extra):
    args = [flowlane, "replay", "--flows", os.path.join(case, "flows"), "--in", capture,
            "--out", out] + extra + case_lines(os.path.join(case, "args"))
    limit = case_lines(os.path.join(case, "file_size_limit"))

    def full_disk():
        # writes past the limit fail with EFBIG (SIGXFSZ ignored), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit[0]), int(limit[0])))

    return subprocess.run(args, capture_output=True, text=True, timeout=60,
                          preexec_fn=full_disk if limit else None)


def build(case, work):
    with contextlib.redirect_stdout(io.StringIO()) as path:
        replaytool.build(case, work)
    return path.getvalue().strip()


def run_good(flowlane, case, work):
    capture = build(case, work)
    out = os.path.join(work, "out")
    r = replay(flowlane, case, capture, out, ["--json"])
    if r.returncode != 0:
        print(f"flowlane replay failed ({r.returncode}): {r.stderr.strip()}")
        return 1
    with open(os.path.join(work, "summary.json"), "w") as f:
        f.write(r.stdout)
    if replaytool.check(case, work, out):
        return 1
    checks = os.path.join(case, "checks")
    if os.path.exists(checks) and replaytool.summary(os.path.join(work, "summary.json"), checks):
        return 1
    want = case_lines(os.path.join(case, "trace"))
    if want:
        # the same run traced: the same files, and the trace says what it should
        out = os.path.join(work, "out-traced")
        r = replay(flowlane, case, capture, out, ["--trace"])
        if r.returncode != 0:
            print(f"flowlane replay --trace failed ({r.returncode}): {r.stderr.strip()}")
            return 1
        if replaytool.check(case, work, out):
            return 1
        for line in want:
            if line not in r.stdout:
                print(f"the trace lacks {line!r}")
                return 1
    return 0


def snapshot(d):
    files = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            files[name] = f.read()
    return files


def run_bad(flowlane, case, work):
    capture = build(case, work)
    out = os.path.join(work, "out")
    os.makedirs(out)
    with open(os.path.join(out, "port-1.pcap"), "w") as f:
        f.write("an earlier run\n")
    before = snapshot(out)
    r = replay(flowlane, case, capture, out, [])
    if r.returncode != 1:
        print(f"exit status {r.returncode}, want 1; stderr: {r.stderr.strip()}")
        return 1
    for line in case_lines(os.path.join(case, "error")):
        if line not in r.stderr:
            print(f"stderr lacks {line!r}; it says: {r.stderr.strip()}")
            return 1
    if snapshot(out) != before:
        print(f"the output directory changed: {sorted(os.listdir(out))}")
        return 1
    return 0


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    flowlane, names = os.path.abspath(argv[1]), argv[2:]
    if not names:
        for kind in ("cases", "bad"):
            names += [f"{kind}/{n}" for n in sorted(os.listdir(os.path.join(HERE, kind)))]
    tmp = tempfile.mkdtemp(prefix="replay_cases.")
    passed = failed = 0
    try:
        for name in names:
            case, work = os.path.join(HERE, name), os.path.join(tmp, name.replace("/", "_"))
            log = io.StringIO()
            try:
                with contextlib.redirect_stdout(log):
                    if not os.path.exists(os.path.join(case, "flows")):
                        print("no such case")
                        bad = 1
                    else:
                        bad = (run_bad if name.startswith("bad/") else run_good)(
                            flowlane, case, work)
            except (Exception, SystemExit) as e:  # a broken case fails, the run goes on
                print(f"{type(e).__name__}: {e}", file=log)
                bad = 1
            if bad:
                failed += 1
                print(f"FAIL {name}")
                for line in log.getvalue().splitlines():
                    print(f"      {line}")
            else:
                passed += 1
                print(f"ok   {name}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"replay_cases: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
