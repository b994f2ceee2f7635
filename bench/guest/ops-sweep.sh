#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ops-sweep.sh LABEL DIR: 2000 mkdirs, 2000 renames, and 2000 renames under mkdir/rmdir
# churn, at 1, 50 and 200 threads, REPS times; prints "bench: " CSV lines (cgroup_ops).
label=$1 dir=$2
for rep in $(seq "${REPS:-3}"); do
	for t in 1 50 200; do
		for args in "--op mkdir" "--op rename" "--op rename --churn"; do
			# shellcheck disable=SC2086
			/rund/bin/cgroup_ops --label "$label" --dir "$dir" $args -n 2000 -t "$t" |
				sed 's/^/bench: /'
		done
	done
done
