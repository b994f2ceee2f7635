#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/gc.sh ROOT (in a guest, /rund/helper/tests; ROOT: the cgroup hierarchy with the sandbox
# controllers): rund-oci killed at each step of a container's life, then `rund-cgpool gc`.
# A stand-in runtime plays runc (a sleep in the container's cgroup, state in a dir) and
# kills rund-oci, its parent, at the step under test. gc must release exactly what no
# container can use and keep the rest: a container the runtime knows, a cgroup with a
# process, a create that is still under way. Binaries from /rund/bin; TAP on stdout.
set -u
ROOT=$1
B=/rund/bin
POOL=$ROOT/gc-pool
W=/tmp/gc-test
export PATH=$B:$PATH
. "$(dirname "$0")/../../scripts/lib/tap-cli.sh"
# check DESC CMD...: CMD's exit status is the verdict
check() {
	d=$1
	shift
	"$@"
	ok $? "$d"
}

rm -rf $W
mkdir -p $W/state $W/bundle
export FAKE_ROOT=$W/state FAKE_DIR=$W CGROOT=$ROOT
# the stand-in runtime: list, state, create, delete (and every other command: nothing)
cat >$W/runtime <<'SH'
#!/bin/sh
root=$FAKE_ROOT
while [ $# -gt 0 ]; do
	case $1 in --root) root=$2; shift 2 ;; -*) shift ;; *) break ;; esac
done
cmd=$1
shift
id= b=.
while [ $# -gt 0 ]; do
	case $1 in --bundle|-b) b=$2; shift 2 ;; -*) shift ;; *) id=$1; shift ;; esac
done
case $cmd in
list) ls "$root" ;;
state) [ -d "$root/$id" ] || { echo "container $id does not exist" >&2; exit 1; } ;;
create)
	cg=$CGROOT$(sed -n 's/.*"cgroupsPath":"\([^"]*\)".*/\1/p' "$b/config.json")
	case ${FAKE_MODE:-} in
	killed-early) kill -9 $PPID; exit 1 ;;
	slow) touch "$FAKE_DIR/creating"; while [ ! -e "$FAKE_DIR/go" ]; do sleep 0.1; done ;;
	# rund-oci killed (a shim's parent-death signal) while this create goes on
	outlives)
		kill -9 $PPID
		touch "$FAKE_DIR/creating"
		while [ ! -e "$FAKE_DIR/go" ]; do sleep 0.1; done
		;;
	esac
	# the container's process does not inherit rund-oci's create lock (runc init does not)
	for f in /proc/$$/fd/*; do
		[ "$(readlink "$f")" != "$RUND_OCI_POOL" ] || eval "exec ${f##*/}<&-"
	done
	# v1 cpuset starts empty: runc fills it from the parent's, as here
	for f in cpuset.cpus cpuset.mems; do
		[ ! -f "$cg/$f" ] || [ -n "$(cat "$cg/$f")" ] || cat "${cg%/*}/$f" >"$cg/$f"
	done
	sleep 1000 </dev/null >/dev/null 2>&1 &
	echo $! >"$cg/cgroup.procs" || exit 1
	[ "${FAKE_MODE:-}" = unregistered ] && { kill -9 $PPID; exit 1; }
	mkdir "$root/$id" && echo $! >"$root/$id/pid" && echo "$cg" >"$root/$id/cg"
	[ "${FAKE_MODE:-}" = killed-late ] && kill -9 $PPID
	exit 0
	;;
delete)
	[ -d "$root/$id" ] || { echo "container $id does not exist" >&2; exit 1; }
	cg=$(cat "$root/$id/cg")
	kill -9 "$(cat "$root/$id/pid")" 2>/dev/null
	while [ -n "$(cat "$cg/cgroup.procs")" ]; do sleep 0.05; done
	rmdir "$cg" && rm -r "${root:?}/$id" || exit 1
	[ "${FAKE_MODE:-}" = killed-after-delete ] && kill -9 $PPID
	exit 0
	;;
esac
exit 0
SH
chmod +x $W/runtime
printf '%s' '{"ociVersion":"1.0.2","process":{"args":["sleep"]},"root":{"path":"rootfs"},"linux":{"cgroupsPath":"/default/x"}}' \
	>$W/config.json
export RUND_OCI_RUNTIME=$W/runtime RUND_OCI_POOL=$POOL

# oci MODE CMD ID: rund-oci CMD ID with the stand-in runtime in MODE; its exit status
oci() {
	cp $W/config.json $W/bundle/config.json
	FAKE_MODE=$1 rund-oci "$2" --bundle $W/bundle "$3" >>$W/oci.log 2>&1
}
# gc [ARGS]: `rund-cgpool gc POOL ARGS` into $W/gc.out; its exit status
gc() {
	rund-cgpool gc $POOL "$@" >$W/gc.out 2>&1
	r=$?
	sed 's/^/#   gc: /' $W/gc.out
	return $r
}
said() { grep -qx "$1" $W/gc.out; }
# killed RC: RC is rund-oci's status when SIGKILL ended it
killed() { [ "$1" = 137 ]; }
listed() { rund-cgpool list | grep -q "^$1 "; }
# path ID: ID's cgroup, relative to the pool dir (on v2 without rename: an idle name)
path() { rund-cgpool lookup "$1" | sed -n 's/^path //p'; }
# gone ID PATH: ID is released and its cgroup PATH removed
gone() { ! listed "$1" && [ -n "$2" ] && [ ! -e "$POOL/$2" ]; }
# drained PATH: no process left in the cgroup PATH (cgroupfs files have size 0: read them)
drained() { while [ -n "$(cat "$POOL/$1/cgroup.procs")" ]; do sleep 0.05; done; }
# in_pool ID: the stand-in's process for ID sits in the cgroup the pool holds for ID
in_pool() {
	p=$(rund-cgpool lookup "$1" | sed -n 's/^path //p')
	[ -n "$p" ] && grep -qx "$(cat $W/state/"$1"/pid)" "$POOL/$p/cgroup.procs"
}

echo "TAP version 13"
echo "1..27"
[ -e /dev/rund_cgpool ] || insmod /rund/modules/rund_cgpool.ko
mkdir -p $POOL
# v1: the pool dir's cpuset from the root's, for the stand-in to copy (as runc's parents;
# v2 has no cpuset files in the root)
for f in cpuset.cpus cpuset.mems; do
	[ ! -f $ROOT/$f ] || [ ! -f $POOL/$f ] || cat $ROOT/$f >$POOL/$f
done
check "pool at $POOL" rund-cgpool setup $POOL --size 4 --low 2

# a container's whole life, nothing killed: gc keeps it while it lives
oci "" create c-ok && in_pool c-ok
ok $? "create: the container's process is in its pooled cgroup"
gc --runtime $W/runtime && said "kept c-ok: it has processes"
ok $? "gc keeps a running container"
# another directory: every sandbox would look removed there
rund-cgpool gc $ROOT >$W/gc.out 2>&1
[ $? = 1 ] && grep -q "holds none of the pool's cgroups: not the pool dir? nothing released" \
	$W/gc.out && listed c-ok
ok $? "gc of a directory that is not the pool's releases nothing"
# stopped: no process left, but the runtime still has it until its delete
kill -9 "$(cat $W/state/c-ok/pid)"
p=$(path c-ok)
drained "$p"
gc --runtime $W/runtime && said "kept c-ok: the runtime knows it"
ok $? "gc keeps a stopped container the runtime knows"
oci "" delete c-ok && gone c-ok "$p"
ok $? "delete: released, its cgroup gone"

# killed after its ACQUIRE, before the runtime made anything
oci killed-early create c-early
killed $? && listed c-early && p=$(path c-early)
ok $? "killed before the runtime's create: c-early stays acquired"
gc && said "kept c-early: its cgroup is there (no --runtime to ask)"
ok $? "gc without --runtime keeps a sandbox whose cgroup is there"
gc --runtime $W/runtime && said "released c-early: no process, and the runtime does not know it" &&
	gone c-early "$p"
ok $? "gc --runtime releases it"

# killed once the runtime made the container: it is the runtime's, delete still works
oci killed-late create c-late
killed $? && in_pool c-late
ok $? "killed after the runtime's create: c-late runs in its cgroup"
gc --runtime $W/runtime && said "kept c-late: it has processes"
ok $? "gc keeps it"
p=$(path c-late)
oci "" delete c-late && gone c-late "$p"
ok $? "its delete releases it"

# killed between the runtime's delete (cgroup removed) and the RELEASE
oci "" create c-del && oci killed-after-delete delete c-del
killed $? && listed c-del
ok $? "killed after the runtime's delete: c-del stays acquired"
gc && said "released c-del: its cgroup was removed" && ! listed c-del
ok $? "gc releases a sandbox whose cgroup was removed, --runtime or not"

# a process in the cgroup that the runtime never registered, beside a container it runs
oci "" create c-keep && oci unregistered create c-orphan
killed $? && listed c-orphan
ok $? "killed with a process in the cgroup the runtime does not know"
gc --runtime $W/runtime && said "kept c-orphan: it has processes" && said "kept c-keep: it has processes"
ok $? "gc keeps a cgroup with a process"
# asked in the wrong place, the runtime knows none of them: gc must not believe it
mkdir -p $W/other-root
gc --runtime $W/runtime --runtime-root $W/other-root
[ $? = 1 ] && grep -q "knows none of the 2 sandboxes though some have processes" $W/gc.out &&
	listed c-keep && listed c-orphan
ok $? "gc refuses a runtime root that knows none of the running sandboxes"
p=$(path c-orphan)
# shellcheck disable=SC2046 # one pid per word
kill -9 $(cat "$POOL/$p/cgroup.procs")
drained "$p"
gc --runtime $W/runtime && said "released c-orphan: no process, and the runtime does not know it"
ok $? "gc releases it once the process is gone"
p=$(path c-keep)
oci "" delete c-keep && gone c-keep "$p"
ok $? "the other container's delete releases it"

# the runtime's create outlives a killed rund-oci: it inherited the lock, gc waits for it
rm -f $W/creating $W/go
oci outlives create c-out
killed $? && listed c-out
ok $? "rund-oci killed while the runtime's create goes on"
while [ ! -e $W/creating ]; do sleep 0.1; done
gc --runtime $W/runtime && said "kept c-out: a rund-oci create is under way"
ok $? "gc keeps it: the runtime holds the create lock"
touch $W/go
i=0
while [ ! -s $W/state/c-out/pid ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
p=$(path c-out)
in_pool c-out && oci "" delete c-out && gone c-out "$p"
ok $? "that create ends in the pooled cgroup; its delete releases it"

# a create under way: the sandbox is empty and unknown to the runtime, and must stay
rm -f $W/creating $W/go
oci slow create c-slow &
bg=$!
while [ ! -e $W/creating ]; do sleep 0.1; done
gc --runtime $W/runtime && said "kept c-slow: a rund-oci create is under way"
ok $? "gc keeps a sandbox whose create is under way (the create lock)"
touch $W/go
wait $bg && in_pool c-slow
ok $? "that create then succeeds"
p=$(path c-slow)
gc --runtime $W/runtime && said "kept c-slow: it has processes" && oci "" delete c-slow &&
	gone c-slow "$p"
ok $? "then gc keeps it, and its delete releases it"

busy=$(rund-cgpool stats --sync | sed -n 's/^busy //p')
others=$(find $POOL -mindepth 1 -maxdepth 1 -type d ! -name '.rund-idle-*' | wc -l)
[ "$busy" = 0 ] && [ "$others" = 0 ]
ok $? "nothing left: busy $busy, $others sandbox dirs"
check "teardown" rund-cgpool teardown
rmdir $POOL
[ $failed = 0 ] || sed 's/^/#   rund-oci: /' $W/oci.log
exit $failed
