#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# provision.sh provision|density: runs inside a bench guest (CGROUP_MODE=none), mounts each
# cgroup layout in turn and runs /rund/bin/provision in every mode the kernel allows.
# Prints provision's "bench: " and "bench-absent: " lines, plus "# bench-env: " facts.
#
# Environment (set by the plan bench/run writes): N (sandboxes, provision), THREADS
# (provision), REPS, WARMUP, BGS (density: background sandboxes), DN (density: new ones),
# RESERVE (mkdir_reserve for the transparent path), DENSITY_ALL=1 (density also on v1-sep
# and v2 favordynmods; by default v1-co, v2 and the module modes, to keep TCG time down),
# MODES (only these labels, space-separated, e.g. "v1-sep/mkdir v2/mkdir v2/module-fast";
# v2/module-fast-recycle is the module's opt-in recycling policy, v2/module-fast-clone3
# the pool with each process made in its cgroup by clone3(CLONE_INTO_CGROUP) into the fd
# ACQUIRE returns (v2 only), v2/module-fast-preset the pool with the sandboxes' common
# limits as its defaults (ACQUIRE writes only cpuset.cpus), v2-light/module-fast the
# pool on a parent with rund.lightweight=1, v2/module-fast-unpaced and
# v2/mkdir+reserve-unpaced the module with its refills unpaced (refill_quiet_ms=0: they
# refill inside a burst, as before pacing), v1-co/module-fast-rebuild the module with
# cpuset_quiet=N (pool cgroups keep sched_load_balance=1: each cpuset.cpus write rebuilds
# the sched domains, as before), v2/module-fast-flat64 and v2/module-fast-flat4096 the
# latency-flat pair (FLAT_N starts at 1 thread with a pool of 64 and nothing else, and with
# a pool of 4096 + the mkdir reserve + FLAT_BG busy sandboxes); a layout none of them
# names is not mounted),
# CGLAT (provision: after each mode's timed runs, one more run of N sandboxes at
# CGLAT_THREADS, default the last of THREADS, traced by /rund/bin/cglat; its JSON report
# as "bench-cglat: LABEL,THREADS,JSON"; CGLAT=0: none), PROFILE (1: one more run like
# cglat's under ftrace's function profiler, see profiled()).
bench=$1
ko=/rund/modules/rund_cgpool.ko
cg=/sys/fs/cgroup
: "${N:=2000}" "${THREADS:=1,50,200}" "${REPS:=5}" "${WARMUP:=1}" "${BGS:=0,500,1000}"
: "${DN:=10,200}" "${RESERVE:=1024}"

env_line() { echo "# bench-env: $*"; }
# the patched kernel's config (tinyconfig-based, BASE_SMALL) starts pid_max at 4096: too
# few for -n 4096 sleeping sandbox processes (fork: EAGAIN); 32768 is its upper limit
echo 32768 >/proc/sys/kernel/pid_max || env_line "cannot raise pid_max"
env_line "cmdline $(cat /proc/cmdline)"
env_line "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
env_line "features $(tr '\n' ' ' </sys/kernel/cgroup/features 2>/dev/null)"
env_line "module $([ -r $ko ] && echo present || echo missing)"
case $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) in
jiffies | refined-jiffies) echo "bench-absent: *,clocksource is jiffies-based: no timing" && exit 1 ;;
esac

# want LABEL: false (and a note) when the run is narrowed to MODES without LABEL
want() {
	[ -n "${MODES:-}" ] || return 0
	echo " $MODES " | grep -qF " $1 " && return 0
	echo "# bench-skip: $1 (not in MODES)"
	return 1
}

# layout PREFIX: false (and a note) when the run is narrowed to MODES and none of them
# starts with PREFIX; the layout is then not mounted at all, so a kernel without v1 memcg
# and cpuset (Debian's 6.12) can run the v2 modes, and no v1 root is left dying in the way
layout() {
	[ -n "${MODES:-}" ] || return 0
	echo " $MODES" | grep -qF " $1" && return 0
	echo "# bench-skip: layout $1 (no mode of it in MODES)"
	return 1
}

# run MODE LABEL DIR...: one provision invocation ($ONE_WRITE: more provision options)
run() {
	mode=$1 label=$2
	shift 2
	hs=${ONE_WRITE:-}
	[ "$mode" = module ] || want "$label" || return 0
	for d in "$@"; do hs="$hs --hier $d"; done
	if [ "$bench" = density ]; then
		case "$label" in v1-sep/* | v2-fdm/*) [ "${DENSITY_ALL:-0}" = 1 ] || return 0 ;; esac
		for bg in $(echo "$BGS" | tr , ' '); do
			# shellcheck disable=SC2086
			/rund/bin/provision --mode "$mode" --label "$label" $hs -n "$DN" -t 0 \
				--background "$bg" --reps "$REPS" --warmup "$WARMUP" || echo "# bench-fail: $label bg=$bg"
		done
	else
		# shellcheck disable=SC2086
		/rund/bin/provision --mode "$mode" --label "$label" $hs -n "$N" -t "$THREADS" \
			--reps "$REPS" --warmup "$WARMUP" ${EXTRA:-} || echo "# bench-fail: $label"
		# cgroups removed but not yet freed (v2 only has cgroup.stat) when the mode ends:
		# provision waits for each repetition's and, before it exits, for those of a
		# module pool's TEARDOWN, so this should read 0 dying; more is what the next
		# mode's warm-up would meet
		[ -r "$1/cgroup.stat" ] && env_line "after $label: $(tr '\n' ' ' <"$1/cgroup.stat")"
		traced "$mode" "$label" "$hs"
		profiled "$mode" "$label" "$hs"
	fi
}

# profiled MODE LABEL HIERS: PROFILE=1: one more run of N sandboxes at CGLAT_THREADS under
# ftrace's function profiler, limited to the functions of profile.funcs, counted from the
# start signal (not SETUP's prefill); prints "bench-profile: LABEL,N,FUNC,HITS,TOTAL_US" per
# function the run called (summed over CPUs; graph time: callees and sleep included)
profiled() {
	[ "$bench" = provision ] && [ "${PROFILE:-0}" = 1 ] || return 0
	t=/sys/kernel/tracing lbl=$(mode_label "$@")
	[ -e $t/function_profile_enabled ] || mount -t tracefs tracefs $t 2>/dev/null
	if [ ! -w $t/function_profile_enabled ]; then
		echo "bench-profile-absent: $lbl,no function profiler (CONFIG_FUNCTION_PROFILER)"
		return 0
	fi
	: >$t/set_ftrace_filter
	missing=$(grep -v -e '^#' -e '^$' /rund/bin/profile.funcs | while read -r f; do
		echo "$f" >>$t/set_ftrace_filter 2>/dev/null || printf ' %s' "$f"
	done)
	[ -z "$missing" ] || echo "# bench-profile: $lbl: not traceable here:$missing"
	# The responder snapshots the counts when provision's timed part begins (SIGUSR1)
	# and ends (SIGUSR2) and answers each; provision's pid from the file its shell wrote.
	# The profiler itself is switched on before provision starts and off after it ended,
	# not at the signals: switching patches the call sites (bench/run boots a profiled
	# guest on single-threaded TCG for that reason).
	pf=$extra_pid
	echo 1 >$t/function_profile_enabled
	sh -c "trap 'cat $t/trace_stat/function[0-9]* >/tmp/profiled.0; kill -USR1 \$(cat $pf)' USR1
		trap 'cat $t/trace_stat/function[0-9]* >/tmp/profiled.1; kill -USR1 \$(cat $pf)' USR2
		while :; do sleep 1 & wait; done" &
	rsp=$!
	sleep 0.5	# the traps are set
	extra_run "$1" "$2" "$3" profiled --start-signal $rsp --stop-signal $rsp
	echo 0 >$t/function_profile_enabled
	kill $rsp
	wait $rsp 2>/dev/null
	# the window's counts: end minus start, summed over the CPUs
	awk -v l="$lbl" -v n="$N" '
		$2 ~ /^[0-9]+$/ && $4 == "us" { s = FILENAME ~ /0$/ ? -1 : 1; hits[$1] += s * $2; us[$1] += s * $3 }
		END { for (f in hits) if (hits[f] > 0)
			printf "bench-profile: %s,%d,%s,%d,%.1f\n", l, n, f, hits[f], us[f] }' \
		/tmp/profiled.0 /tmp/profiled.1
	rm -f /tmp/profiled.0 /tmp/profiled.1
	: >$t/set_ftrace_filter
}

# extra_run MODE LABEL HIERS WHY OPTS...: the one run of N sandboxes at CGLAT_THREADS
# (default the last of THREADS) that traced() and profiled() watch, with provision
# options OPTS; its figures are not the mode's (the "bench: " lines are dropped), a
# failure is "# bench-fail: LABEL (WHY)"; provision's pid is in $extra_pid while it runs
extra_pid=/tmp/extra_run.pid
extra_run() {
	m=$1 l=$2 h=$3 why=$4
	shift 4
	# shellcheck disable=SC2086
	{ sh -c 'echo $$ >'$extra_pid'; exec "$@"' sh /rund/bin/provision --mode "$m" \
		--label "$l" $h -n "$N" -t "${CGLAT_THREADS:-${THREADS##*,}}" --reps 1 --warmup 0 \
		"$@" || echo "# bench-fail: $(mode_label "$m" "$l" "$h") ($why)"; } |
		grep -v -e '^bench: ' -e '^bench-absent: '
}

# mode_label MODE LABEL HIERS: the label provision prints for a run
mode_label() {
	lbl=$2
	if [ "$1" = module ]; then	# provision's own: LAYOUT/module-BACKEND[-recycle][SUFFIX]
		lbl=$lbl-$(cat /sys/module/rund_cgpool/parameters/backend)
		case "$3" in *--recycle*) lbl=$lbl-recycle ;; esac
		case "$3" in *--clone3*) lbl=$lbl-clone3 ;; esac
		case "$3" in *--preset*) lbl=$lbl-preset ;; esac
		case "$3" in *--label-suffix*) sfx=${3##*--label-suffix } lbl=$lbl${sfx%% *} ;; esac
	fi
	echo "$lbl"
}

# traced MODE LABEL HIERS: the cglat run of one mode (timed runs are never traced: the
# tracer's trampolines on mutex_lock and friends cost time of their own)
traced() {
	[ "$bench" = provision ] && [ "${CGLAT:-1}" != 0 ] || return 0
	t=${CGLAT_THREADS:-${THREADS##*,}} lbl=$(mode_label "$@")
	if [ ! -x /rund/bin/cglat ]; then
		echo "bench-cglat-absent: $lbl,no cglat in the payload"
		return 0
	fi
	tmp=$(mktemp -d)
	/rund/bin/cglat --json --sandboxes "$N" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	# attach before the workload: the tracer says so on stderr
	while ! grep -q 'cglat: tracing' "$tmp/err"; do
		if ! kill -0 $pid 2>/dev/null; then
			echo "bench-cglat-absent: $lbl,$(grep -m1 cglat: "$tmp/err")"
			rm -rf "$tmp"
			return 0
		fi
		sleep 0.2
	done
	# cglat starts over when provision's timed part begins: SETUP's prefill is not counted
	extra_run "$1" "$2" "$3" traced --start-signal $pid
	kill -TERM $pid	# not INT: a background job of a script ignores SIGINT
	wait $pid
	echo "bench-cglat: $lbl,$t,$(cat "$tmp/out")"
	rm -rf "$tmp"
}

# modload BACKEND LABEL: load the module; on failure print why every module mode is absent
modload() {
	[ -r $ko ] || {
		echo "bench-absent: $2,no rund_cgpool.ko for this kernel: $(cat /rund/modules/BUILD-FAILED 2>/dev/null)"
		return 1
	}
	params="backend=$1"
	[ "$1" = fast ] && params="$params mkdir_reserve=$RESERVE"
	# shellcheck disable=SC2086
	if ! out=$(insmod $ko $params 2>&1); then
		why=$(dmesg | grep 'rund_cgpool: ' | tail -n 1 | sed 's/^\[[^]]*\] rund_cgpool: //')
		echo "bench-absent: $2,insmod backend=$1 failed: ${why:-$out}"
		return 1
	fi
	env_line "module backend $(cat /sys/module/rund_cgpool/parameters/backend) for $2"
}
modunload() { rmmod rund_cgpool 2>/dev/null || echo "# bench: rmmod rund_cgpool failed"; }

# module_modes LAYOUT DIR: the module's modes on one hierarchy
module_modes() {
	if want "$1/module-compat" && modload compat "$1/module-compat"; then
		run module "$1/module" "$2"
		modunload
	fi
	wf=0 wr=0
	wc=0 wu=0 wru=0 wl=0 wq=0 wk=0 wp=0 ws=0 wb=0
	want "$1/module-fast" && wf=1
	want "$1-light/module-fast" && wl=1
	want "$1/module-fast-recycle" && wc=1
	want "$1/module-fast-unpaced" && wu=1
	want "$1/module-fast-rebuild" && wq=1
	want "$1/module-fast-clone3" && wk=1
	want "$1/module-fast-preset" && wp=1
	want "$1/module-fast-flat64" && ws=1
	want "$1/module-fast-flat4096" && wb=1
	want "$1/mkdir+reserve" && wr=1
	want "$1/mkdir+reserve-unpaced" && wru=1
	[ $wf = 1 ] || [ $wc = 1 ] || [ $wu = 1 ] || [ $wr = 1 ] || [ $wru = 1 ] || [ $wl = 1 ] ||
		[ $wq = 1 ] || [ $wk = 1 ] || [ $wp = 1 ] || [ $ws = 1 ] || [ $wb = 1 ] || return 0
	if modload fast "$1/module-fast"; then
		[ $wf = 0 ] || run module "$1/module" "$2"
		# the process made in the cgroup by clone3(CLONE_INTO_CGROUP) into ACQUIRE's fd
		[ $wk = 0 ] || { ONE_WRITE=--clone3; run module "$1/module" "$2"; ONE_WRITE=; }
		# the sandboxes' common limits as the pool's defaults: ACQUIRE writes what differs
		[ $wp = 0 ] || { ONE_WRITE=--preset; run module "$1/module" "$2"; ONE_WRITE=; }
		# latency flat in the cgroups on the node (bench/run flat): a pool of 64 and nothing
		# else, against a pool of 4096 + the mkdir reserve + 2000 busy sandboxes (their
		# processes wake every 10 s: present, not a CPU load); FLAT_N starts at 1 thread
		if [ $ws = 1 ]; then
			ONE_WRITE="--label-suffix -flat64" EXTRA="--pool-size 64 -n ${FLAT_N:-50} -t 1"
			run module "$1/module" "$2"
		fi
		if [ $wb = 1 ]; then
			ONE_WRITE="--label-suffix -flat4096" EXTRA="--pool-size 4096 --mkdir-reserve
				--background ${FLAT_BG:-2000} --bg-wake-ms 10000 -n ${FLAT_N:-50} -t 1"
			run module "$1/module" "$2"
		fi
		ONE_WRITE='' EXTRA=''
		# the pool on a lightweight parent: its cgroups get only the files a sandbox uses
		if [ $wl = 1 ] && [ -e "$2/rund.lightweight" ]; then
			echo 1 >"$2/rund.lightweight"
			run module "$1-light/module" "$2"
			echo 0 >"$2/rund.lightweight"
		elif [ $wl = 1 ]; then
			echo "bench-absent: $1-light/module-fast,no rund.lightweight (needs the patched kernel)"
		fi
		# v1 pool cgroups that keep sched_load_balance=1 (label "-rebuild")
		if [ $wq = 1 ]; then
			echo N >/sys/module/rund_cgpool/parameters/cpuset_quiet
			ONE_WRITE="--label-suffix -rebuild"
			run module "$1/module" "$2"
			ONE_WRITE=
			echo Y >/sys/module/rund_cgpool/parameters/cpuset_quiet
		fi
		q=/sys/module/rund_cgpool/parameters/refill_quiet_ms
		was=$(cat $q)
		echo 0 >$q
		if [ $wu = 1 ]; then
			ONE_WRITE="--label-suffix -unpaced"
			run module "$1/module" "$2"
			ONE_WRITE=
		fi
		[ $wru = 0 ] || run reserve "$1/mkdir+reserve-unpaced" "$2"
		echo "$was" >$q
		# the opt-in policy: released cgroups scrubbed and reused (label "-recycle")
		[ $wc = 0 ] || { ONE_WRITE=--recycle; run module "$1/module" "$2"; ONE_WRITE=; }
		[ $wr = 0 ] || run reserve "$1/mkdir+reserve" "$2"
		modunload
	else
		echo "bench-absent: $1/mkdir+reserve,needs the module's fast backend (above)"
	fi
}

# light_modes LAYOUT DIR: the patched kernel's aggregated lightweight cgroup: DIR's
# rund.lightweight=1 (its new children get cgroup.procs, rund.config, the files it writes
# and a few statistics instead of every controller's files), mkdir + one rund.config
# write per sandbox, then rund.lightweight=0 again.
light_modes() {
	if [ ! -e "$2/rund.lightweight" ]; then
		echo "bench-absent: $1-light/mkdir+config,no rund.lightweight (needs the patched kernel)"
		return 0
	fi
	echo 1 >"$2/rund.lightweight"
	ONE_WRITE=--one-write
	run mkdir "$1-light/mkdir+config" "$2"
	ONE_WRITE=
	echo 0 >"$2/rund.lightweight"
}

v1ctrls=$(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups | grep -xE 'cpu|cpuacct|cpuset|memory|blkio|freezer|pids' | tr '\n' ' ')
env_line "v1 controllers $v1ctrls"

# mountcg ARGS...: mount, retrying while the previous layout's roots are still going away
mountcg() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		mount "$@" 2>/dev/null && return 0
		sleep 1
	done
	mount "$@"
}

# v1_settle: wait until the v1 hierarchies hold nothing but their roots. Removed cgroups
# stay "dying" (memcg charges, RCU) for a while; a hierarchy unmounted before they are
# gone is never destroyed and keeps its controllers, so the next layout could not mount.
v1_settle() {
	for _ in $(seq 60); do
		awk 'NR > 1 && $2 != 0 && $3 > 1 { busy = 1 } END { exit busy }' /proc/cgroups && return 0
		echo 3 >/proc/sys/vm/drop_caches
		sleep 1
	done
	env_line "v1 cgroups still dying after 60 s: $(awk 'NR > 1 && $3 > 1 { print $1 "=" $3 }' /proc/cgroups | tr '\n' ' ')"
}
mount -t tmpfs -o mode=755 cgroup $cg

# v1, one hierarchy per controller (cpu with cpuacct, as systemd mounts them): the paper's
# "before". Every sandbox makes one cgroup per hierarchy.
if layout v1-sep/; then	# (blocks left unindented: a small diff)
dirs=
for c in $v1ctrls; do
	case $c in cpuacct) continue ;; cpu) c=cpu,cpuacct ;; esac
	mkdir -p "$cg/$c"
	mountcg -t cgroup -o "$c" "$c" "$cg/$c"
	mkdir "$cg/$c/bench"
	dirs="$dirs $cg/$c/bench"
done
cat $cg/cpuset/cpuset.cpus >$cg/cpuset/bench/cpuset.cpus
cat $cg/cpuset/cpuset.mems >$cg/cpuset/bench/cpuset.mems
# shellcheck disable=SC2086
run mkdir v1-sep/mkdir $dirs
if [ "$bench" = provision ]; then
	# shellcheck disable=SC2086
	run rename v1-sep/rename $dirs
fi
for d in $dirs; do rmdir "$d"; done
v1_settle
for d in $dirs; do umount "${d%/bench}"; done
fi

# v1, one co-mounted hierarchy with every sandbox controller
if layout v1-co; then
mkdir -p $cg/rund
v1co_opts=$(echo "$v1ctrls" | tr ' ' ',' | sed 's/,$//')
mountcg -t cgroup -o "$v1co_opts" rund $cg/rund
mkdir $cg/rund/bench
cat $cg/rund/cpuset.cpus >$cg/rund/bench/cpuset.cpus
cat $cg/rund/cpuset.mems >$cg/rund/bench/cpuset.mems
run mkdir v1-co/mkdir $cg/rund/bench
if [ "$bench" = provision ]; then
	run rename v1-co/rename $cg/rund/bench
fi
module_modes v1-co $cg/rund/bench
light_modes v1-co $cg/rund/bench
rmdir $cg/rund/bench
v1_settle
umount $cg/rund
fi

# v2
mkdir -p $cg/v2
opts=nsdelegate
grep -qx allow_rename /sys/kernel/cgroup/features && opts=$opts,allow_rename
mountcg -t cgroup2 -o $opts cgroup2 $cg/v2
for c in cpu cpuset memory pids io; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		echo +$c 2>/dev/null >$cg/v2/cgroup.subtree_control && break
		sleep 1	# the controller is still bound to a dying v1 root
	done
done
mkdir $cg/v2/bench
for c in cpu cpuset memory pids io; do echo +$c >$cg/v2/bench/cgroup.subtree_control; done
env_line "v2 options $opts, controllers $(cat $cg/v2/bench/cgroup.subtree_control | tr ' ' ,)"
# what the mount really got: cgroup_favordynmods=true (6.7+) turns favordynmods on unasked
env_line "v2 mount $(awk -v d=$cg/v2 '$2 == d { print $4 }' /proc/mounts)"
run mkdir v2/mkdir $cg/v2/bench
[ "$bench" = provision ] && run clone3 v2/clone3 $cg/v2/bench
[ "$bench" = provision ] && run rename v2/rename $cg/v2/bench
module_modes v2 $cg/v2/bench
light_modes v2 $cg/v2/bench

# v2 with favordynmods (cheaper task migration: no percpu rwsem for threadgroup changes)
if grep -qx favordynmods /sys/kernel/cgroup/features &&
	mount -o remount,$opts,favordynmods $cg/v2 && grep -q "$cg/v2 .*favordynmods" /proc/mounts; then
	run mkdir v2-fdm/mkdir $cg/v2/bench
	[ "$bench" = provision ] && run clone3 v2-fdm/clone3 $cg/v2/bench
	mount -o remount,$opts $cg/v2
else
	echo "bench-absent: v2-fdm/mkdir,kernel has no favordynmods mount option (/sys/kernel/cgroup/features)"
fi
rmdir $cg/v2/bench
