# SPDX-License-Identifier: GPL-2.0
"""What the bench reports (bench/layer, bench/containerd) read alike from a guest log."""
import re

GUEST_RE = re.compile(r"rund-guest: kernel (\S+) cpus (\d+) mem (\d+)kB clocksource (\S+)")


def guest_env(line):
    """(kernel, vCPUs, MB, clocksource) of scripts/vm/init's banner line, or None"""
    m = GUEST_RE.search(line)
    return (m[1], int(m[2]), int(m[3]) // 1024, m[4]) if m else None


def pct(xs, p):
    """nearest-rank percentile"""
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))] if xs else float("nan")
