#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/containerd/report.py OUTDIR KERNEL=LOG...: the table, CSVs and plot of
bench/containerd/run.

Each LOG is one boot's console: tests named e2e-MODE-REP (helper/tests/containerd-e2e.sh
N MODE) print "e2e-run: MODE BACKEND I SECONDS RC" per container, one "e2e: N containers
at once (...): total T s, ..." line, and TAP lines. Writes OUTDIR/containerd.csv (one row
per container start), containerd-summary.csv (per kernel and mode: rounds, median total,
p50/p99 of one start over every round, failed checks) and containerd.png (gnuplot, when
installed). Exit status 1 when a check or a round failed (its END exit status), or a
kernel lacks a round of either mode.
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from guestlog import guest_env, pct  # noqa: E402

MODES = ["plain", "pool"]


def parse(kernel, path):
    env, runs, totals, failed, test, ended = "", [], {}, [], None, set()
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip("\r\n")
            g = guest_env(line)
            if g:
                env = f"{g[0]}, {g[1]} vCPUs, {g[2]} MB, {g[3]}"
            m = re.match(r"# rund-test: BEGIN e2e-(\w+)-(\d+)$", line)
            if m:
                test = (m[1], int(m[2]))
                continue
            m = re.match(r"# rund-test: END e2e-(\w+)-(\d+) exit=(\d+)", line)
            if m:
                ended.add((m[1], int(m[2])))
                if m[3] != "0":
                    failed.append(f"{kernel} {m[1]} round {m[2]}: exit {m[3]}")
            if test is None:
                continue
            m = re.match(r"e2e-run: (\w+) (\S+) (\d+) ([\d.]+) (\d+)$", line)
            if m:
                runs.append(dict(kernel=kernel, mode=m[1], backend=m[2], rep=test[1],
                                 i=int(m[3]), seconds=float(m[4]), rc=int(m[5])))
            m = re.match(r"e2e: (\d+) containers at once \(.*\): total ([\d.]+) s", line)
            if m:
                totals[test] = float(m[2])
            if line.startswith("not ok"):
                failed.append(f"{kernel} {test[0]} round {test[1]}: {line}")
    if test and test not in ended:
        failed.append(f"{kernel} {test[0]} round {test[1]}: never ended (guest stopped)")
    rounds = {m: sum(1 for t in ended if t[0] == m) for m in MODES}
    if not all(rounds.values()) or len(set(rounds.values())) > 1:
        failed.append(f"{kernel}: rounds per mode {rounds}")
    return env, runs, totals, failed



def summarise(kernel, runs, totals, failed):
    rows = []
    for mode in MODES:
        rr = [r for r in runs if r["kernel"] == kernel and r["mode"] == mode]
        tt = [t for (m, _), t in totals.items() if m == mode]
        if not rr:
            continue
        secs = [r["seconds"] for r in rr]
        rows.append(dict(kernel=kernel, mode=mode, backend=rr[0]["backend"], rounds=len(tt),
                         n=len(rr) // max(1, len(tt)),
                         total_s=round(statistics.median(tt), 2) if tt else "",
                         p50_s=round(pct(secs, 50), 2), p99_s=round(pct(secs, 99), 2),
                         failed_starts=sum(1 for r in rr if r["rc"]),
                         failed_checks=sum(1 for f in failed if f" {mode} " in f)))
    return rows


def plot(rows, outdir):
    if not shutil.which("gnuplot"):
        print("(no gnuplot: no plot)")
        return
    dat = os.path.join(outdir, "containerd.dat")
    with open(dat, "w") as f:
        for r in rows:
            f.write(f"\"{r['kernel']}\\n{r['mode']}\" {r['total_s']} {r['p50_s']} {r['p99_s']}\n")
    png = os.path.join(outdir, "containerd.png")
    script = f"""
set terminal pngcairo size 1000,500
set output '{png}'
set title 'containerd + runc: {rows[0]["n"]} containers at once (TCG guest)'
set ylabel 'seconds'
set yrange [0:*]
set bmargin 4
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
plot '{dat}' using 2:xtic(1) title 'total', '' using 3 title 'p50 of one ctr run', \\
     '' using 4 title 'p99'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    print(f"plot: {png}")


def main():
    outdir, boots = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
    runs, rows, failed, envs = [], [], [], []
    for kernel, path in boots:
        if not os.path.exists(path):
            failed.append(f"{kernel}: no log {path}")
            continue
        env, r, totals, f = parse(kernel, path)
        envs.append(f"{kernel}: {env}")
        runs += r
        failed += f
        rows += summarise(kernel, r, totals, f)
    with open(os.path.join(outdir, "containerd.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, ["kernel", "mode", "backend", "rep", "i", "seconds", "rc"])
        w.writeheader()
        w.writerows(runs)
    cols = ["kernel", "mode", "backend", "rounds", "n", "total_s", "p50_s", "p99_s",
            "failed_starts", "failed_checks"]
    with open(os.path.join(outdir, "containerd-summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)
    print("\ncontainerd + runc, containers started at once; " + "; ".join(envs))
    print("total: median over rounds; p50/p99: one `ctr run`, over every round\n")
    print("| kernel | cgroups by | rounds | n | total s | p50 s | p99 s | total vs plain |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        plain = next((p for p in rows if p["kernel"] == r["kernel"] and p["mode"] == "plain"),
                     None)
        ratio = f"{r['total_s'] / plain['total_s']:.2f}x" if plain and plain["total_s"] else "-"
        how = "runc mkdir(2)" if r["mode"] == "plain" else \
            ("pool: served mkdir(2)" if r["backend"] == "fast" else "pool: rund-oci")
        print(f"| {r['kernel']} | {how} | {r['rounds']} | {r['n']} | {r['total_s']} | "
              f"{r['p50_s']} | {r['p99_s']} | {ratio} |")
    if rows:
        plot(rows, outdir)
    for f in failed[:10]:
        print(f"failed: {f}")
    if failed or not rows:
        print("bench[containerd]: " + ("checks failed" if failed else "no rounds"))
        sys.exit(1)


main()
