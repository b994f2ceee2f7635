#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/run.sh BIN: cglat's argument handling and its named errors, on the build host
# without loading anything (argument errors come first; --check --btf reads a file). The
# tracing itself is tested in the guest (selftests/cglat_test.c). TAP on stdout.
bin=$1
bpfo=$(dirname "$bin")/cglat.bpf.o
. "$(dirname "$0")/../../../scripts/lib/tap-cli.sh"

echo "TAP version 13"
echo "1..8"
expect 1 "--interval '0': want a whole number" "interval 0 named" -- --interval=0
expect 1 "--duration 'x': want a whole number" "bad duration named" -- --duration=x
expect 1 "--cores '0': want a whole number" "cores 0 named" -- --cores=0
expect 64 "--btf is for --check" "--btf without --check refused" -- --btf="$bpfo"
expect 64 "unexpected argument 'foo'" "stray argument named" -- foo
expect 1 "--cgroup '/tmp': not a directory of a cgroup file system" "non-cgroup dir named" -- \
	--cgroup=/tmp
expect 1 "no kernel BTF at /nonexistent" "missing BTF file named" -- --check --btf=/nonexistent
expect 1 "lacks tracepoint lock:contention_begin" "BTF without the lock tracepoints named" -- \
	--check --btf="$bpfo"
exit $failed
