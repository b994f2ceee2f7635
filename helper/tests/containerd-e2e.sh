#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/containerd-e2e.sh [N [MODE]] (in a guest, /rund/helper/tests; cgroup v2):
# containerd + runc start N busybox containers at once (default 50), each asking for a
# 64 MiB memory limit, with their cgroups made by
#   MODE pool (default), through the path each kernel has:
#     patched kernel (fast backend)  runc itself, each container's cgroup under a pool dir
#                                    set up with --mkdir: its mkdir(2) served from the pool
#     stock kernel (compat backend)  rund-oci as the "runc" the shim runs: ACQUIRE, then
#                                    the real runc in that cgroup
#   MODE plain: runc's own mkdir(2) under a plain parent (what the pool is measured against)
# Each container's init must sit in the cgroup it was given, with its limit; after delete
# the node has the cgroups it had before (and the pool holds no busy cgroup). Each `ctr
# run` is timed: "e2e-run: MODE BACKEND I SECONDS" per container and one "e2e: ..." line
# (bench/containerd reads them). Binaries from /rund/bin (containerd, ctr,
# containerd-shim-runc-v2, runc, rund-oci, rund-cgpool), the module from /rund/modules.
# TAP on stdout.
set -u
B=/rund/bin
N=${1:-50}
MODE=${2:-pool}
R=/sys/fs/cgroup
PARENT=e2e-$MODE
W=/scratch/e2e
ROOTFS=$W/rootfs
SOCK=/run/containerd/containerd.sock
export PATH=$B:$PATH
. "$(dirname "$0")/../../scripts/lib/tap-cli.sh"
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
# a generous dial timeout: 50 Go clients starting at once on a TCG guest's 2 vCPUs wait
# longer than ctr's default 10 s for containerd's handshake
CTR="ctr --address $SOCK --connect-timeout 300s"
# shellcheck disable=SC2086
ctr() { command $CTR "$@"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
stat_of() { rund-cgpool stats | sed -n "s/^$1 //p"; }
# cgroups of the node, the pool's idle ones left out (refill may have made more; on v2
# without rename an acquired cgroup keeps its idle name too: count, do not match names)
cgroups() {
	rund-cgpool stats --sync >/dev/null	# no refill under way while counting
	echo $(($(find $R -type d | wc -l) - $(stat_of idle)))
}
# each ID in $N: ID's task PID, and the cgroup its init is in
task_pid() { ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }

case $MODE in pool | plain) ;; *) echo "containerd-e2e: MODE '$MODE': pool or plain" >&2; exit 2 ;; esac
echo "TAP version 13"
echo "1..8"
rm -rf $W
# a busybox rootfs on a real filesystem (runc cannot pivot away from the initramfs)
mkdir -p $ROOTFS/bin $ROOTFS/proc $ROOTFS/dev $ROOTFS/sys $W/path /run/containerd
cp /bin/busybox $ROOTFS/bin/ && ln -s busybox $ROOTFS/bin/sh && ln -s busybox $ROOTFS/bin/sleep
cat >$W/containerd.toml <<EOF
version = 2
root = "$W/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
EOF
[ -e /dev/rund_cgpool ] || insmod /rund/modules/rund_cgpool.ko
backend=$(stat_of backend)
# the backend this kernel must have (scripts/check's payload says): a patched kernel whose
# module fell back to compat would take the wrapper's path unnoticed
want_backend=$(cat /rund/expect-backend 2>/dev/null || echo "$backend")
echo "+cpu +cpuset +memory +pids" >$R/cgroup.subtree_control
mkdir $R/$PARENT
if [ $MODE = plain ]; then
	how="runc's own mkdir(2)"
	skip "plain: no pool, runc makes each cgroup under /$PARENT"
elif [ "$backend" = fast ]; then
	how="runc's mkdir(2) served from the pool"
	# the reserve for served mkdir(2)s: one per container and some
	echo $((N + 8)) >/sys/module/rund_cgpool/parameters/mkdir_reserve
	rund-cgpool setup $R/$PARENT --size 8 --low 4 --mkdir >/dev/null &&
		[ "$backend" = "$want_backend" ]
	ok $? "pool at /$PARENT ($backend backend, $want_backend expected: $how)"
else
	how="rund-oci: ACQUIRE, then runc"
	rund-cgpool setup $R/$PARENT --size $((N + 8)) --low 8 >/dev/null &&
		[ "$backend" = "$want_backend" ]
	ok $? "pool at /$PARENT ($backend backend, $want_backend expected: $how)"
	# the shim runs the "runc" it finds in PATH: rund-oci, which runs the real one (ctr's
	# --runc-binary is lost with --no-pivot, whose task options replace the runtime's)
	ln -s $B/rund-oci $W/path/runc
fi
echo "+cpu +cpuset +memory +pids" >$R/$PARENT/cgroup.subtree_control

# the shims inherit containerd's environment: PATH, and rund-oci's settings
PATH=$W/path:$PATH RUND_OCI_POOL=$R/$PARENT RUND_OCI_RUNTIME=$B/runc \
	containerd --config $W/containerd.toml >$W/containerd.log 2>&1 &
cd_pid=$!
# killed by run_test's timeout: containerd must not outlive the test (a next round in the
# same boot needs its socket)
trap 'kill $cd_pid 2>/dev/null; rm -f "$out"' EXIT
trap 'exit 143' TERM
i=0
while [ ! -S $SOCK ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
[ -S $SOCK ]
ok $? "containerd is up"
before=$(cgroups)
served0=$(stat_of mkdir_served)

# N containers at once, each `ctr run` timed
t0=$(uptime_s)
pids=
i=1
while [ $i -le "$N" ]; do
	(
		s=$(uptime_s)
		# shellcheck disable=SC2086
		timeout 1200 $CTR run -d --rootfs --no-pivot --cgroup /$PARENT/e2e-$i \
			--memory-limit 67108864 $ROOTFS e2e-$i /bin/sleep 1000 >$W/run-$i.log 2>&1
		echo "$? $s $(uptime_s)" >$W/time-$i
	) &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
t1=$(uptime_s)
i=1
while [ $i -le "$N" ]; do
	awk -v m=$MODE -v b="$backend" -v i=$i '{ printf "e2e-run: %s %s %d %.3f %d\n", m, b, i, $3 - $2, $1 }' \
		$W/time-$i
	i=$((i + 1))
done | tee $W/runs | sort -k5,5n | awk -v n="$N" -v t="$(echo "$t0 $t1" | awk '{ print $2 - $1 }')" \
	-v how="$how" '
	{ d[NR] = $5; if ($6) bad++ }
	END {
		printf "e2e: %d containers at once (%s): total %.2f s, p50 %.2f s, p99 %.2f s, %d failed\n",
		       n, how, t, d[int((NR + 1) / 2)], d[int(NR * 0.99 + 0.999)], bad
	}'
grep "^e2e-run:" $W/runs
running=$(ctr task ls 2>/dev/null | grep -c RUNNING)
[ "$running" = "$N" ]
ok $? "$N containers running (saw $running)"
if [ "$running" != "$N" ]; then
	for f in $W/run-*.log; do [ -s "$f" ] && { echo "$f:"; head -5 "$f"; }; done | head -20
	tail -20 $W/containerd.log
fi 2>&1 | sed 's/^/#   /'

# each init in the cgroup it was given, with its limit
bad=0
i=1
while [ $i -le "$N" ]; do
	pid=$(task_pid e2e-$i)
	cg=$(sed -n 's/^0:://p' /proc/"$pid"/cgroup 2>/dev/null)
	want=e2e-$i
	[ $MODE = plain ] || [ "$backend" = fast ] ||
		want=$(rund-cgpool lookup e2e-$i 2>/dev/null | sed -n 's/^path //p')
	if [ "$cg" != "/$PARENT/$want" ] ||
	   [ "$(cat $R"$cg"/memory.max 2>/dev/null)" != 67108864 ]; then
		bad=$((bad + 1))
		[ $bad -le 3 ] && echo "#   e2e-$i: pid $pid in '$cg', want '/$PARENT/$want'"
	fi
	i=$((i + 1))
done
[ $bad = 0 ]
ok $? "every container's init in the cgroup it was given, memory.max 64 MiB ($bad not)"
if [ $MODE = plain ]; then
	skip "plain: no pool"
elif [ "$backend" = fast ]; then
	served=$(($(stat_of mkdir_served) - served0))
	[ "$served" = "$N" ]
	ok $? "the pool served runc's mkdir(2)s ($served for $N containers)"
else
	busy=$(stat_of busy)
	[ "$busy" = "$N" ]
	ok $? "one pooled cgroup acquired per container ($busy for $N)"
fi

# delete, 10 at a time (what is measured is the start; 50 Go clients at once on a TCG
# guest's 2 vCPUs time out in containerd's shim calls instead)
pids=
i=1
while [ $i -le "$N" ]; do
	(ctr task delete -f e2e-$i && ctr container delete e2e-$i) >$W/del-$i.log 2>&1 &
	pids="$pids $!"
	if [ $((i % 10)) = 0 ] || [ $i = "$N" ]; then
		# shellcheck disable=SC2086
		wait $pids
		pids=
	fi
	i=$((i + 1))
done
left=$(ctr container ls -q 2>/dev/null | grep -c e2e-)
[ "$left" = 0 ]
ok $? "all containers deleted ($left left)"
if [ "$left" != 0 ]; then
	for f in $W/del-*.log; do [ -s "$f" ] && { echo "$f:"; head -3 "$f"; }; done | head -12
	tail -10 $W/containerd.log
fi 2>&1 | sed 's/^/#   /'
if [ $MODE = plain ]; then
	skip "plain: no pool"
else
	busy=$(rund-cgpool stats --sync | sed -n 's/^busy //p')
	[ "$busy" = 0 ]
	ok $? "the pool holds no busy cgroup (busy $busy)"
fi
after=$(cgroups)
[ "$after" = "$before" ]
ok $? "the node has the cgroups it had before ($after, before $before)"

kill $cd_pid
wait $cd_pid
trap 'rm -f "$out"' EXIT
[ $MODE = plain ] || rund-cgpool teardown >/dev/null
rmdir $R/$PARENT
exit $failed
