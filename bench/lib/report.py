#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: bench/provision and bench/density guest logs -> CSV, table, gnuplot PNGs.

  report.py --bench provision|density --csv OUT.csv --plot PREFIX [--mem MB] [--strict]
            [--before LABEL] [--combined] [--flat] KERNEL=LOG:CONFIGHASH ...

Reads the "bench: ", "bench-absent: " and "# bench-fail: " lines bench/guest/provision.sh
prints. Repetition 0 is the warm-up and is left out of medians. The "before" mode is
v1-sep/mkdir (--before: another label); ratios compare medians within one kernel boot.
--combined (provision): one plot, PREFIX.png, with every kernel's modes side by side instead
of one per kernel. --flat (bench/run flat): the markdown table is each layout's p50 with a
large node (LAYOUT/*-flat4096) against a small one (LAYOUT/*-flat64). --strict: exit 1 when
a mode failed, a guest did not finish, or nothing ran.
"""
import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict

BEFORE = "v1-sep/mkdir"
FIELDS = ["label", "bg", "threads", "n", "rep", "total_ms", "p50_us", "p99_us", "max_us",
          "self_cpu_ms", "sys_cpu_ms", "cycle_cpu_ms", "children_cpu_ms", "fallbacks"]


def parse_log(path):
    env = {"kernel_version": "?", "vcpus": "?", "clocksource": "?"}
    rows, absent, failed, finished = [], [], [], False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = re.match(r"# rund-guest: kernel (\S+) cpus (\d+) .*clocksource (\S+)", line)
            if m:
                env.update(kernel_version=m[1], vcpus=m[2], clocksource=m[3])
            elif line.startswith("bench: "):
                v = line[len("bench: "):].split(",")
                if len(v) == len(FIELDS):
                    rows.append(dict(zip(FIELDS, v)))
            elif line.startswith("bench-absent: "):
                label, _, why = line[len("bench-absent: "):].partition(",")
                absent.append((label, why.strip()))
            elif line.startswith("# bench-fail: "):
                failed.append(line[len("# bench-fail: "):])
            elif re.match(r"# rund-test: END bench-\S+ exit=0", line):
                finished = True
    return env, rows, absent, failed, finished


# per-sandbox columns of cglat's report (tools/cglat), in the order of the table
CGLAT = [("cgroup_mutex_wait_us", "mutex wait"), ("cgroup_mutex_hold_us", "mutex hold"),
         ("threadgroup_rwsem_wait_us", "tg wait"), ("threadgroup_rwsem_hold_us", "tg hold"),
         ("kernfs_rwsem_hold_us", "kernfs hold"), ("css_set_lock_wait_us", "css_set wait"),
         ("css_set_lock_hold_us", "css_set hold"),
         ("cfs_bandwidth_count", "bw walks"), ("sched_domains_rebuild_count", "rebuilds"),
         ("rcu_grace_periods", "GPs"), ("serial_us", "serial"), ("cpu_us", "cpu")]


# a kernel message the console printed into the middle of a guest's line: the line goes on
# after it, on the console's next line ("...,"o[  608.705634] rund_cgpool: unloaded")
KMSG_SPLIT = re.compile(r"\[\s*\d+\.\d{6}\] [^\[\]]*$")


def parse_cglat(path):
    """The "bench-cglat: LABEL,THREADS,JSON" and "bench-cglat-absent: LABEL,WHY" lines.
    A report line cut by a kernel message (rmmod's, printed while the 6 KB line was still
    going out on the serial console) is joined with its rest from the next line."""
    runs, absent = [], []
    with open(path, errors="replace") as f:
        lines = [line.rstrip("\r\n") for line in f]
    for i, line in enumerate(lines):
        if line.startswith("bench-cglat: "):
            label, thr, rep = line[len("bench-cglat: "):].split(",", 2)
            cut = KMSG_SPLIT.search(rep)
            if cut and i + 1 < len(lines):
                rep = rep[:cut.start()] + lines[i + 1]
            try:
                runs.append((label, int(thr), json.loads(rep)))
            except ValueError:
                absent.append((label, "cglat printed no report"))
        elif line.startswith("bench-cglat-absent: "):
            absent.append(tuple(line[len("bench-cglat-absent: "):].split(",", 1)))
    return runs, absent


# cglat operations a sandbox start runs (mkdir served or not, ACQUIRE's claim and attach,
# the one-write configuration, clone3 into the cgroup); the rest of the serial time is
# teardown (rmdir, RELEASE) or work off the start path ("other": the pool's refills and
# recycling in the module's worker, outside any traced operation)
START_OPS = {"mkdir", "rename", "attach", "rund.config", "ACQUIRE", "publish",
             "clone3-into-cgroup"}


def start_serial_us(rep):
    """Serial time (cglat's "serial" pseudo-lock: at least one global lock held) inside
    the start-path operations, per sandbox."""
    n = rep.get("sandboxes") or 1
    return sum(lk["hold_us"] for op in rep.get("ops", []) if op["op"] in START_OPS
               for lk in op.get("locks", []) if lk["lock"] == "serial") / n


def report_cglat(kernels, logs, absents, csv_path):
    """Per mode, per sandbox: lock wait/hold, RCU grace periods, serial time and the
    modelled ceilings of cglat's traced run (one run of N sandboxes per mode). A mode
    absent on a kernel has no row: its traced run did nothing."""
    rows = []
    for k, _ in kernels:
        runs, absent = parse_cglat(logs[k])
        gone = {label for label, _ in absents[k]}
        for label, thr, rep in runs:
            if label in gone:
                continue
            per, model = rep.get("per_sandbox", {}), rep.get("model", {})
            r = dict(kernel=k, label=label, threads=thr, sandboxes=rep.get("sandboxes", 0))
            # null: not traced on that kernel (cglat: css_set_lock hold), not 0
            r.update({f: None if per.get(f, 0.0) is None else round(per.get(f, 0.0), 2)
                      for f, _ in CGLAT})
            r["start_serial_us"] = round(start_serial_us(rep), 2)
            r["ceiling_start_per_s"] = round(1e6 / r["start_serial_us"]) if r["start_serial_us"] else ""
            r["ceiling_serial_per_s"] = round(model.get("ceiling_serial_per_s", 0.0))
            r["ceiling_cores_per_s"] = round(model.get("ceiling_cores_per_s", 0.0))
            r["cores"] = model.get("cores", "")
            rows.append(r)
        rows += [dict(kernel=k, label=lab, status="absent: " + why) for lab, why in absent]
    if not rows:
        return
    cols = ["kernel", "label", "status", "threads", "sandboxes"] + [f for f, _ in CGLAT] + \
        ["start_serial_us", "ceiling_start_per_s", "ceiling_serial_per_s", "ceiling_cores_per_s",
         "cores"]
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, cols, restval="")
        w.writeheader()
        w.writerows(rows)
    print("\nWhere the time goes (cglat, one traced run of N sandboxes per mode; us per sandbox"
          " start + teardown + the pool's work off the start path; \"start\": the serial time"
          " of the start path alone; model = 1/serial, 1/start and min(cores/cpu, 1/serial),"
          " not measured):\n")
    print("| kernel | mode | thr | " + " | ".join(h for _, h in CGLAT) +
          " | start | 1/serial per s | 1/start per s | model per s |")
    print("|---|---|---:|" + "---:|" * (len(CGLAT) + 4))
    for r in rows:
        if "status" in r:
            print(f"| {r['kernel']} | {r['label']} | | {r['status'][:100]} |")
            continue
        print(f"| {r['kernel']} | {r['label']} | {r['threads']} | " +
              " | ".join("n/a" if r[f] is None else
                         f"{r[f]:.2f}" if f in ("rcu_grace_periods", "cfs_bandwidth_count",
                                                "sched_domains_rebuild_count") else f"{r[f]:.0f}"
                         for f, _ in CGLAT) +
              f" | {r['start_serial_us']:.0f} | {r['ceiling_serial_per_s']} |"
              f" {r['ceiling_start_per_s']} | {r['ceiling_cores_per_s']} ({r['cores']} cores) |")
    print(f"\ncglat CSV: {csv_path}")


def report_profile(kernels, logs, csv_path):
    """The "bench-profile: LABEL,N,FUNC,HITS,TOTAL_US" lines (bench/guest/provision.sh
    profiled()): per kernel, a table of the functions that took most time per sandbox
    start in any mode (graph time: callees and sleep included, so rows nest)."""
    rows = []
    for k, _ in kernels:
        with open(logs[k], errors="replace") as f:
            for line in f:
                if not line.startswith("bench-profile: "):
                    continue
                v = line[len("bench-profile: "):].rstrip("\r\n").split(",")
                if len(v) != 5:
                    continue
                n = int(v[1])
                rows.append(dict(kernel=k, label=v[0], sandboxes=n, function=v[2],
                                 hits=int(v[3]), total_us=float(v[4]),
                                 us_per_sandbox=round(float(v[4]) / n, 1)))
    if not rows:
        return
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    for k, _ in kernels:
        mine = [r for r in rows if r["kernel"] == k]
        labels = list(dict.fromkeys(r["label"] for r in mine))
        cell = {(r["function"], r["label"]): r["us_per_sandbox"] for r in mine}
        top = sorted({r["function"] for r in mine},
                     key=lambda fn: -max(cell.get((fn, lb), 0) for lb in labels))[:25]
        if not top:
            continue
        print(f"\nWhere the start path goes, {k} (ftrace function profiler, one profiled run"
              " per mode; us per sandbox start, graph time: a function includes its callees)"
              ":\n")
        print("| function | " + " | ".join(labels) + " |")
        print("|---|" + "---:|" * len(labels))
        for fn in top:
            print(f"| {fn} | " + " | ".join(f"{cell[(fn, lb)]:.0f}" if (fn, lb) in cell else ""
                                            for lb in labels) + " |")
    print(f"\nprofile CSV: {csv_path}")


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    global BEFORE
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--plot", required=True)
    ap.add_argument("--mem", default="?")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--before", default=BEFORE)
    ap.add_argument("--combined", action="store_true")
    ap.add_argument("--flat", action="store_true")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    BEFORE = a.before

    kernels, data, absents, problems = [], {}, {}, []
    out, logs = [], {}
    for spec in a.logs:
        k, _, rest = spec.partition("=")
        log, _, chash = rest.rpartition(":")
        env, rows, absent, failed, finished = parse_log(log)
        date = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(os.path.getmtime(log)))
        env.update(config_hash=chash, date=date)
        kernels.append((k, env))
        logs[k] = log
        data[k] = rows
        absents[k] = absent
        problems += [f"{k}: mode failed: {x}" for x in failed]
        if not finished:
            problems.append(f"{k}: the guest did not finish the benchmark (see {log})")
        for r in rows:
            mode = r["label"].split("/", 1)
            out.append(dict(bench=a.bench, kernel=k, kernel_version=env["kernel_version"],
                            layout=mode[0], mode=mode[-1], status="ok", **r,
                            vcpus=env["vcpus"], mem_mb=a.mem, clocksource=env["clocksource"],
                            config_hash=chash, date=date))
        for label, why in absent:
            mode = label.split("/", 1)
            out.append(dict(bench=a.bench, kernel=k, kernel_version=env["kernel_version"],
                            label=label, layout=mode[0], mode=mode[-1],
                            status="absent: " + why, vcpus=env["vcpus"], mem_mb=a.mem,
                            clocksource=env["clocksource"], config_hash=chash, date=date))
    cols = ["bench", "kernel", "kernel_version", "label", "layout", "mode", "status"] + \
        FIELDS[1:] + ["vcpus", "mem_mb", "clocksource", "config_hash", "date"]
    with open(a.csv, "w", newline="") as f:
        w = csv.DictWriter(f, cols, restval="")
        w.writeheader()
        w.writerows(out)

    print(f"{a.bench}: q35 TCG guests, {a.mem} MB; medians of the repetitions after the "
          "warm-up, [min-max] spread.")
    print("Shared 2-core host (kernel builds, other guests): absolute times are noisy, "
          "ratios within one boot are what count.")
    for k, env in kernels:
        print(f"\n== {k}: kernel {env['kernel_version']}, {env['vcpus']} vCPUs, clocksource "
              f"{env['clocksource']}, config {env['config_hash']}, {env['date']}")
        if a.bench == "provision":
            table_provision(data[k])
        else:
            table_density(data[k])
        for label, why in absents[k]:
            print(f"  {label:24} absent: {why}")
        if not a.combined:
            plot(a.bench, k, env, data[k], f"{a.plot}-{k}")
    if a.combined:
        # rows relabelled "KERNEL LABEL": the kernels' bars side by side, one boot each
        rows = [dict(r, label=f"{k} {r['label']}") for k, _ in kernels for r in data[k]]
        versions = ", ".join(f"{k} {env['kernel_version']}" for k, env in kernels)
        plot(a.bench, "all", dict(kernels[0][1], kernel_version=versions), rows, a.plot,
             title=f"{a.bench}: {versions}; {kernels[0][1]['vcpus']} vCPU TCG, one boot each")
    if a.bench == "provision":
        if a.flat:
            markdown_flat(kernels, data)
        else:
            markdown_provision(kernels, data, absents)
        report_cglat(kernels, logs, absents, re.sub(r"\.csv$", "", a.csv) + "-cglat.csv")
        report_profile(kernels, logs, re.sub(r"\.csv$", "", a.csv) + "-profile.csv")
    else:
        markdown_density(kernels, data)
    print(f"\nCSV: {a.csv}")
    for p in problems:
        print("PROBLEM: " + p)
    if a.strict and (problems or not any(data.values())):
        sys.exit(1)


def group(rows):
    g = defaultdict(list)
    order = []
    for r in rows:
        key = (r["label"], int(r["bg"]), int(r["n"]), int(r["threads"]))
        if key not in g:
            order.append(key)
        if int(r["rep"]) > 0:
            g[key].append(r)
        else:
            g.setdefault(key, [])
    return g, order


def col(rs, f):
    return [float(r[f]) for r in rs]


def table_provision(rows):
    g, order = group(rows)
    print(f"  {'mode':24} {'thr':>4} {'n':>5} {'total ms [min-max]':>24} {'p50 us':>7} "
          f"{'p99 us':>8} {'max us':>8} {'cpu ms':>7} {'cycle':>7} {'reps':>4}  speedup")
    for key in order:
        label, bg, n, thr = key
        rs = g[key]
        if not rs:
            continue
        t = col(rs, "total_ms")
        base = g.get((BEFORE, bg, n, thr))
        ratio = ""
        if base and label != BEFORE:
            ratio = f"{med(col(base, 'total_ms')) / med(t):6.2f}x"
        fb = [int(r["fallbacks"]) for r in rs if int(r["fallbacks"]) > 0]
        print(f"  {label:24} {thr:4} {n:5} {med(t):9.0f} [{min(t):6.0f}-{max(t):6.0f}] "
              f"{med(col(rs, 'p50_us')):7.0f} {med(col(rs, 'p99_us')):8.0f} "
              f"{med(col(rs, 'max_us')):8.0f} {med(col(rs, 'sys_cpu_ms')):7.0f} "
              f"{med(col(rs, 'cycle_cpu_ms')):7.0f} {len(rs):4}  {ratio}"
              + (f" ({max(fb)} pool fallbacks)" if fb else ""))


def table_density(rows):
    g, order = group(rows)
    print(f"  {'mode':24} {'n':>4} {'background':>10} {'total ms [min-max]':>24} "
          f"{'p99 us':>8} {'delta vs empty':>16}")
    labels = list(dict.fromkeys(key[0] for key in order))
    for key in sorted(order, key=lambda k: (labels.index(k[0]), k[2], k[1])):
        label, bg, n, thr = key
        rs = g[key]
        if not rs:
            continue
        t = col(rs, "total_ms")
        base = g.get((label, 0, n, thr))
        delta = ""
        if base and bg:
            b = med(col(base, "total_ms"))
            delta = f"{med(t) - b:+8.0f} ms {100 * (med(t) - b) / b:+5.0f}%"
        print(f"  {label:24} {n:4} {bg:10} {med(t):9.0f} [{min(t):6.0f}-{max(t):6.0f}] "
              f"{med(col(rs, 'p99_us')):8.0f} {delta:>16}")


def markdown_provision(kernels, data, absents):
    """README table: per mode, per kernel: median total ms at each thread count / p99 ms
    at the highest, and the speedup over v1-sep/mkdir at the highest thread count."""
    print("\nMarkdown (total ms per thread count; p99 ms and speedup vs "
          f"{BEFORE} at the most threads):\n")
    labels, thrs, n = [], set(), 0
    gs, bgs = {}, {}
    for k, _ in kernels:
        g, order = group(data[k])
        gs[k] = g
        # a mode run beside background sandboxes is keyed by that count
        bgs[k] = {key[0]: key[1] for key in order}
        for key in order:
            if g[key]:
                labels.append(key[0])
                thrs.add(key[3])
                n = max(n, key[2])
        labels += [lab for lab, _ in absents[k]]
    labels = list(dict.fromkeys(labels))
    thrs = sorted(thrs)
    hdr = "| mode |"
    for k, _ in kernels:
        hdr += f" {k}: total ms at {'/'.join(map(str, thrs))} thr | p99 ms | speedup |"
    print(hdr)
    print("|---|" + "---:|---:|---:|" * len(kernels))
    for label in labels:
        line = f"| {label} |"
        for k, _ in kernels:
            g = gs[k]
            tot = [g.get((label, bgs[k].get(label, 0), n, t)) for t in thrs]
            if not any(tot):
                why = dict(absents[k]).get(label)
                line += f" absent{' (' + why[:100] + ')' if why else ''} | | |"
                continue
            line += " " + " / ".join(f"{med(col(rs, 'total_ms')):.0f}" if rs else "-"
                                     for rs in tot) + " |"
            last, base = tot[-1], g.get((BEFORE, 0, n, thrs[-1]))
            line += f" {med(col(last, 'p99_us')) / 1e3:.1f} |" if last else " - |"
            line += (f" {med(col(base, 'total_ms')) / med(col(last, 'total_ms')):.2f}x |"
                     if last and base else " - |")
        print(line)


def markdown_flat(kernels, data):
    """README table of bench/run flat: per kernel and layout, the median p50 of a start with
    a large node (label ending -flat4096) against a small one (-flat64)."""
    print("\nMarkdown (p50 us of one start, median of the repetitions; large node vs small):\n")
    print("| kernel | layout | small node p50 us | large node p50 us | large / small |")
    print("|---|---|---:|---:|---:|")
    for k, _ in kernels:
        g, order = group(data[k])
        p50 = {key[0]: med(col(g[key], "p50_us")) for key in order if g[key]}
        for small in (lab for lab in p50 if lab.endswith("-flat64")):
            large = small[:-len("64")] + "4096"
            if large not in p50:
                print(f"| {k} | {small.split('/')[0]} | {p50[small]:.0f} | absent | |")
                continue
            print(f"| {k} | {small.split('/')[0]} | {p50[small]:.0f} | {p50[large]:.0f} | "
                  f"{p50[large] / p50[small]:.2f}x |")


def markdown_density(kernels, data):
    print("\nMarkdown (median total ms to start n more sandboxes; delta vs the empty node):\n")
    for k, _ in kernels:
        g, order = group(data[k])
        bgs = sorted({key[1] for key in order})
        print(f"| {k}: mode | n | " + " | ".join(f"{b} running" for b in bgs) + " |")
        print("|---|---:|" + "---:|" * len(bgs))
        labels = list(dict.fromkeys(key[0] for key in order))
        for label in labels:
            for n in sorted({key[2] for key in order if key[0] == label}):
                cells = []
                base = None
                for b in bgs:
                    rs = [r for key, v in g.items() if key[:3] == (label, b, n) for r in v]
                    if not rs:
                        cells.append("-")
                        continue
                    m = med(col(rs, "total_ms"))
                    if b == bgs[0]:
                        base = m
                        cells.append(f"{m:.0f}")
                    else:
                        cells.append(f"{m:.0f} ({100 * (m - base) / base:+.0f}%)" if base
                                     else f"{m:.0f}")
                print(f"| {label} | {n} | " + " | ".join(cells) + " |")
        print()


def plot(bench, k, env, rows, prefix, title=None):
    """PNG with gnuplot: provision = total ms per mode at each thread count (log scale);
    density = total ms vs background sandboxes per mode and n."""
    if not rows or not shutil.which("gnuplot"):
        if rows:
            print("  (no gnuplot: no plot; make deps installs gnuplot-nox)")
        return
    g, order = group(rows)
    dat = prefix + ".dat"
    title = title or \
        f"{bench}: {k} kernel {env['kernel_version']}, {env['vcpus']} vCPU TCG, {env['date']}"
    if bench == "provision":
        labels = list(dict.fromkeys(key[0] for key in order if g[key]))
        thrs = sorted({key[3] for key in order if g[key]})
        n = max(key[2] for key in order)
        with open(dat, "w") as f:
            f.write("mode " + " ".join(f"threads={t}" for t in thrs) + "\n")
            for label in labels:
                vals = []
                for t in thrs:
                    rs = g.get((label, 0, n, t))
                    vals.append(f"{med(col(rs, 'total_ms')):.1f}" if rs else "NaN")
                f.write(f"\"{label}\" " + " ".join(vals) + "\n")
        script = f"""
set terminal pngcairo size 1200,600 noenhanced
set output '{prefix}.png'
set title "{title}\\nN={n} sandboxes, median total ms (log scale, lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid border -1
set logscale y
set ylabel 'total ms'
set xtics rotate by -30
set rmargin 12
set key top right
plot for [i=2:{len(thrs) + 1}] '{dat}' using i:xtic(1) title columnhead(i)
"""
    else:
        keys = sorted({(key[0], key[2]) for key in order if g[key]})
        bgs = sorted({key[1] for key in order})
        with open(dat, "w") as f:
            for label, n in keys:
                f.write(f"\"{label} n={n}\"\n")
                for bg in bgs:
                    rs = [r for key, v in g.items() if key[0] == label and key[1] == bg
                          and key[2] == n for r in v]
                    if rs:
                        f.write(f"{bg} {med(col(rs, 'total_ms')):.1f}\n")
                f.write("\n\n")
        script = f"""
set terminal pngcairo size 1200,600 noenhanced
set output '{prefix}.png'
set title "{title}\\nstart n sandboxes next to background ones, median total ms (log scale)"
set logscale y
set xlabel 'background sandboxes'
set ylabel 'total ms'
set key outside right
plot for [i=0:{len(keys) - 1}] '{dat}' index i using 1:2 with linespoints title columnheader(1)
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print(f"  (gnuplot failed: {r.stderr.strip()[:300]})")
    else:
        print(f"  plot: {prefix}.png")


if __name__ == "__main__":
    main()
