#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/layer/report.py LOG OUTDIR [NAME]: the table, CSVs and plot of bench/layer/run.

LOG holds bench/layer/guest.sh's lines "layer: LABEL,WAY,WALL_US,TOOL_US" (one per run;
TOOL_US -1 when the command printed no time) and "layer-fail: ..." for failed runs.
Writes OUTDIR/NAME.csv (the runs; NAME: layer, or layer-host for --host), NAME-summary.csv
(per label and way: runs, failures, p50/p99 of tool and wall time) and NAME.png (gnuplot,
when installed). Exit status 1 when
a run failed or the guest did not say "bench-layer: done".
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

ORDER = ["reflink-tmpfile", "reflink-tmpfile-x8", "reflink-unlink", "qcow2-overlay",
         "full-copy"]


def parse(path):
    env, runs, fails, done = "", [], [], False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip("\r\n")
            g = guest_env(line)
            if g:
                env = f"kernel {g[0]}, {g[1]} vCPUs, {g[2]} MB, {g[3]}"
            m = re.search(r"bench-layer: host: kernel (\S+) cpus (\d+) mem (\d+)kB", line)
            if m:
                env = f"host (no VM), kernel {m[1]}, {m[2]} CPUs, {int(m[3]) // 1024} MB"
            if line.startswith("layer: "):
                label, way, wall, tool = line[len("layer: "):].split(",")
                runs.append((label, int(way), float(wall), float(tool)))
            elif line.startswith("layer-fail: "):
                fails.append(line[len("layer-fail: "):])
            elif line.startswith("bench-layer: "):
                print(line)
                done |= line == "bench-layer: done"
    return env, runs, fails, done



def summarise(runs, fails):
    rows = []
    failed = {tuple(f.split(",")[:2]) for f in fails}
    keys = sorted({(r[0], r[1]) for r in runs} | {(l, int(w)) for l, w in failed},
                  key=lambda k: (k[1], ORDER.index(k[0]) if k[0] in ORDER else 99, k[0]))
    for label, way in keys:
        wall = [r[2] for r in runs if r[0] == label and r[1] == way]
        tool = [r[3] for r in runs if r[0] == label and r[1] == way and r[3] >= 0]
        nfail = sum(1 for f in fails if f.startswith(f"{label},{way},"))
        rows.append(dict(label=label, way=way, runs=len(wall), failed=nfail,
                         tool_p50_us=round(pct(tool, 50), 1) if tool else "",
                         tool_p99_us=round(pct(tool, 99), 1) if tool else "",
                         wall_p50_us=round(pct(wall, 50), 1) if wall else "",
                         wall_p99_us=round(pct(wall, 99), 1) if wall else "",
                         wall_mean_us=round(statistics.mean(wall), 1) if wall else ""))
    return rows


def plot(rows, outdir, name, env):
    if not shutil.which("gnuplot"):
        print("(no gnuplot: no plot)")
        return
    dat = os.path.join(outdir, f"{name}.dat")
    with open(dat, "w") as f:
        for r in rows:
            if r["wall_p50_us"] == "":
                continue    # every run failed: nothing to draw
            p50 = r["tool_p50_us"] if r["tool_p50_us"] != "" else r["wall_p50_us"]
            p99 = r["tool_p99_us"] if r["tool_p99_us"] != "" else r["wall_p99_us"]
            f.write(f"\"{r['label']}\\n{r['way']}-way\" {p50} {p99}\n")
    png = os.path.join(outdir, f"{name}.png")
    script = f"""
set terminal pngcairo size 1100,500
set output '{png}'
set title "Making a writable layer: tool time (qcow2-overlay: qemu-img's wall time)\\n{env}"
set ylabel 'microseconds (log)'
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics font ',8'
set key top left
plot '{dat}' using 2:xtic(1) title 'p50', '' using 3 title 'p99'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    print(f"plot: {png}")


def main():
    log, outdir = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "layer"
    env, runs, fails, done = parse(log)
    with open(os.path.join(outdir, f"{name}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", "way", "wall_us", "tool_us"])
        w.writerows(runs)
    rows = summarise(runs, fails)
    cols = ["label", "way", "runs", "failed", "tool_p50_us", "tool_p99_us", "wall_p50_us",
            "wall_p99_us", "wall_mean_us"]
    with open(os.path.join(outdir, f"{name}-summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)
    print(f"\nWritable layer, {env}; 'tool' = rund-layer's own time to make the layer, "
          "'wall' = fork to exit; µs\n")
    print("| method | way | runs | tool p50 | tool p99 | wall p50 | wall p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['label']} | {r['way']} | {r['runs']}{' (' + str(r['failed']) + ' failed)' if r['failed'] else ''} "
              f"| {r['tool_p50_us'] or '-'} | {r['tool_p99_us'] or '-'} | {r['wall_p50_us']} | {r['wall_p99_us']} |")
    plot(rows, outdir, name, env)
    for f in fails[:10]:
        print(f"failed: {f}")
    if fails or not done:
        print("bench[layer]: " + ("runs failed" if fails else "the guest did not finish"))
        sys.exit(1)


main()
