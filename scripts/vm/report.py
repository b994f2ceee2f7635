#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a `make check` run: host TAP files and guest console logs -> one verdict.

    report.py [--known FILE] RESULTS_DIR

RESULTS_DIR holds, per step, either NAME.tap (host-side TAP written by scripts/check) or
NAME.log + NAME.status (a guest console log and run-guest's exit code, 0 = kernel log clean
and plan completed). Inside a guest log, each test's output sits between
"# rund-test: BEGIN name" and "# rund-test: END name exit=N" (scripts/vm/init).

Counting: every TAP result line a test prints is one result ("ok"/"not ok", "# SKIP"); a test
that printed none counts once by its exit code (0 pass, 4 skip as in kselftest, else fail);
a test whose exit code is non-zero although all its results passed gets one extra failure;
a test with BEGIN but no END (the guest died) fails; and each guest adds one result for its
kernel log (no splat, plan finished).

Known failures (--known): "SUITE-GLOB TEST RESULT-GLOB -- reason" lines. A failure they
match is listed with its reason and counted as skipped, never hidden; a known failure that
passed is reported as XPASS so the list gets pruned.
"""
import argparse
import fnmatch
import os
import re
import sys

TAP_RE = re.compile(r"^(not ok|ok)\s+\d+(?:\s+-)?\s*(.*?)\s*(?:#\s*(SKIP|TODO|XFAIL)\b(.*))?$", re.I)
BEGIN_RE = re.compile(r"^# rund-test: BEGIN (\S+)")
END_RE = re.compile(r"^# rund-test: END (\S+) exit=(\d+)")
KSFT_SKIP = 4


class Tally:
    def __init__(self, known):
        self.known = known
        self.passed = self.failed = self.skipped = 0
        self.lines = []

    def _known_reason(self, suite, test, result):
        for sglob, tname, rglob, reason in self.known:
            if fnmatch.fnmatch(suite, sglob) and tname == test and fnmatch.fnmatch(result, rglob):
                return reason
        return None

    def add(self, suite, test, result, verdict, detail=""):
        """verdict: pass, fail or skip."""
        reason = self._known_reason(suite, test, result)
        name = f"{suite}: {test}" + (f": {result}" if result else "")
        if verdict == "fail" and reason:
            self.skipped += 1
            self.lines.append(f"XFAIL {name} -- known: {reason}")
        elif verdict == "fail":
            self.failed += 1
            self.lines.append(f"FAIL  {name}" + (f" -- {detail}" if detail else ""))
        elif verdict == "skip":
            self.skipped += 1
            self.lines.append(f"SKIP  {name}" + (f" -- {detail}" if detail else ""))
        else:
            self.passed += 1
            if reason:
                self.lines.append(f"XPASS {name} -- listed as known failure ({reason})")


def load_known(path):
    known = []
    if not path:
        return known
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            spec, _, reason = line.partition(" -- ")
            parts = spec.split()
            if len(parts) != 3 or not reason:
                sys.exit(f"report.py: {path}: malformed line '{line}'")
            known.append((parts[0], parts[1], parts[2], reason.strip()))
    return known


def tap_results(lines):
    """Yield (verdict, name, detail) for the TAP result lines among @lines."""
    for line in lines:
        m = TAP_RE.match(line.rstrip("\r\n"))
        if not m:
            continue
        ok, name, directive, rest = m.group(1), m.group(2).strip(), m.group(3), m.group(4)
        if not name and rest:  # ksft_test_result_skip() prints "ok N # SKIP name"
            name, rest = rest.strip(), ""
        if directive and directive.upper() == "SKIP":
            yield "skip", name, (rest or "").strip()
        elif ok.lower() == "ok" or (directive and directive.upper() in ("TODO", "XFAIL")):
            yield "pass", name, ""
        else:
            yield "fail", name, ""


def add_test(tally, suite, test, body, code):
    results = list(tap_results(body))
    for verdict, name, detail in results:
        tally.add(suite, test, name, verdict, detail)
    if not results:
        verdict = "pass" if code == 0 else "skip" if code == KSFT_SKIP else "fail"
        tally.add(suite, test, "", verdict, f"exit {code}" if code else "")
    elif code not in (0, KSFT_SKIP) and all(v != "fail" for v, _, _ in results):
        tally.add(suite, test, "exit status", "fail", f"exit {code} with no failing result")


def parse_guest(tally, suite, log, status):
    test, body = None, []
    with open(log, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = BEGIN_RE.match(line)
            if m:
                test, body = m.group(1), []
                continue
            m = END_RE.match(line)
            if m and test == m.group(1):
                add_test(tally, suite, test, body, int(m.group(2)))
                test = None
                continue
            if test is not None:
                body.append(line)
    if test is not None:
        tally.add(suite, test, "", "fail", "guest stopped while it ran (see log)")
    tally.add(suite, "kernel-log", "", "pass" if status == 0 else "fail",
              f"run-guest exit {status}: splat, timeout or unfinished plan ({log})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--known")
    ap.add_argument("results")
    args = ap.parse_args()
    tally = Tally(load_known(args.known))

    for entry in sorted(os.listdir(args.results)):
        path = os.path.join(args.results, entry)
        name, ext = os.path.splitext(entry)
        if ext == ".tap":
            with open(path) as f:
                add_test(tally, "host", name, f.readlines(), 0)
        elif ext == ".log" and os.path.exists(os.path.join(args.results, name + ".status")):
            with open(os.path.join(args.results, name + ".status")) as f:
                status = int(f.read().split()[0])
            parse_guest(tally, name, path, status)

    for line in tally.lines:
        print(line)
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 1 if tally.failed or tally.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
