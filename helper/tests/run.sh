#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/run.sh BIN: rund-cgpool's argument handling, without the module (--dry-run prints
# the request it would send). Checks exit codes, that error messages name the bad input,
# and that parsed values land in the request. TAP on stdout.
bin=$1
. "$(dirname "$0")/../../scripts/lib/tap-cli.sh"

echo "TAP version 13"
echo "1..32"
expect 2 "want a command" "no command" --
expect 2 "unknown command 'frob'" "unknown command named" -- frob
expect 2 "--size N" "setup without --size" -- setup /x --dry-run
expect 2 "--size: 'ten' is not a number" "bad number named" -- setup /x --size ten
expect 2 "--size: '-3' is not a number" "negative number refused" -- setup /x --size -3
expect 2 "--memory-max: 'lots' is not a number or 'max'" "bad memory limit named" -- \
	acquire a --memory-max lots --dry-run
expect 2 "--cpu-max: '50000' is not QUOTA_US/PERIOD_US" "cpu-max needs a period" -- \
	acquire a --cpu-max 50000 --dry-run
expect 2 "release: want a sandbox name or --id ID" "release needs exactly one of name/id" -- \
	release a --id 5 --dry-run
expect 2 "acquire: '(a){20}" "over-long name refused" -- \
	acquire "$(printf 'a%.0s' $(seq 300))" --dry-run
expect 0 '"pool_size":16,"low_watermark":4' "setup request carries sizes" -- \
	setup /sys/fs/cgroup/pool --size 16 --low 4 --json --dry-run
expect 0 '"cpu_quota_us":50000,"cpu_period_us":100000' "cpu-max parsed" -- \
	acquire box --cpu-max 50000/100000 --json --dry-run
expect 0 '"cpu_quota_us":-1' "cpu-max max/PERIOD is unlimited" -- \
	acquire box --cpu-max max/100000 --json --dry-run
expect 0 '"memory_max":18446744073709551615' "memory-max max is RUND_CGPOOL_UNLIMITED" -- \
	acquire box --memory-max max --json --dry-run
expect 0 '"mask":26.*"cpus":"0-1".*"memory_max":1048576.*"pids_max":64' \
	"limits mask and values" -- acquire box --cpus 0-1 --memory-max 1048576 --pids-max 64 \
	--json --dry-run
expect 0 '"id":42' "release by id" -- release --id 42 --json --dry-run
expect 0 "^flags 1$" "stats --sync, text output" -- stats --sync --dry-run
expect 0 '"flags":1,"pidfd_of":4242,' "acquire --pidfd-of sets ACQUIRE_PIDFD and names the pid" -- \
	acquire box --pidfd-of 4242 --json --dry-run
expect 0 '"name":"box","pid":77,"limits"' "acquire --pid still sends the pid" -- \
	acquire box --pid 77 --json --dry-run
expect 2 "--pid and --pidfd-of exclude each other" "acquire --pid with --pidfd-of refused" -- \
	acquire box --pid 5 --pidfd-of 5 --dry-run
expect 2 "--pidfd-of: 'me' is not a number" "bad --pidfd-of named" -- \
	acquire box --pidfd-of me --dry-run
expect 2 "--pidfd-of: '0' is not a process id" "--pidfd-of 0 refused" -- \
	acquire box --pidfd-of 0 --dry-run
expect 0 '"flags":1,"recycle":true,"mkdir":false,"pool_size":4' "setup --recycle sets SETUP_RECYCLE" -- \
	setup /sys/fs/cgroup/pool --size 4 --recycle --json --dry-run
expect 0 '"flags":2,"recycle":false,"mkdir":true' "setup --mkdir sets SETUP_MKDIR" -- \
	setup /sys/fs/cgroup/pool --size 4 --mkdir --json --dry-run
expect 0 '"flags":0,"recycle":false,"mkdir":false' "setup without --recycle: default policy" -- \
	setup /sys/fs/cgroup/pool --size 4 --json --dry-run
expect 0 "--pid PID: DEPRECATED and racy" "help says --pid is deprecated and racy" -- help
expect 1 "pidfd_open\\(2147483647\\)" "acquire --pidfd-of of no process fails before any ioctl" -- \
	acquire box --pidfd-of 2147483647
expect 2 "list: takes no arguments" "list takes no arguments" -- list box
expect 2 "gc: want exactly one pool directory" "gc needs the pool dir" -- gc
expect 2 "gc: --runtime-root without --runtime" "gc --runtime-root alone refused" -- \
	gc /tmp --runtime-root /run/runc
expect 1 "gc: /nonexistent-pool: No such file" "gc names a missing pool dir" -- gc /nonexistent-pool
# a runtime that cannot list its containers: gc must not take every sandbox for a leftover
expect 1 "--runtime false: .list. exited 1: cannot tell its containers, nothing released" \
	"gc refuses a runtime that cannot list" -- gc /tmp --runtime false
expect 0 "gc DIR: release the sandboxes" "help describes gc" -- help
exit $failed
