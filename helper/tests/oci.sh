#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/oci.sh BIN WORKDIR: rund-oci against a stand-in runtime that logs its command line
# and the bundle's linux.cgroupsPath, with RUND_OCI_DRY_RUN=1 (no module: the ACQUIRE and
# RELEASE it would send are printed). TAP on stdout. The end-to-end test with containerd
# and runc runs in a guest.
bin=$1
work=$2
. "$(dirname "$0")/../../scripts/lib/tap-cli.sh"

rt=$work/fake-runtime
log=$work/runtime.log
cat >"$rt" <<'SH'
#!/bin/sh
# stand-in runtime: its arguments and, with a bundle, the cgroupsPath it was given
b=.
prev=
for a in "$@"; do
	case $prev in --bundle|-b) b=$a ;; esac
	prev=$a
done
p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["linux"].get("cgroupsPath","-"))' \
	"$b/config.json" 2>/dev/null)
echo "runtime: $* | cgroupsPath=${p:--}" >>"$FAKE_LOG"
exit "${FAKE_RC:-0}"
SH
chmod +x "$rt"
export RUND_OCI_RUNTIME=$rt FAKE_LOG=$log RUND_OCI_DRY_RUN=1

bundle=$work/bundle
mkbundle() {
	rm -rf "$bundle"
	mkdir -p "$bundle"
	printf '%s' '{"ociVersion":"1.0.2","process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{"cgroupsPath":"/default/c1","resources":{"memory":{"limit":268435456},"devices":[{"allow":false,"access":"rwm"}]}}}' \
		>"$bundle/config.json"
}
# the rest of config.json must survive the rewrite
same_but_path() {
	python3 - "$bundle/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
ok = c["linux"]["cgroupsPath"] == sys.argv[2] and c["ociVersion"] == "1.0.2" and \
    c["linux"]["resources"]["memory"]["limit"] == 268435456 and \
    c["linux"]["resources"]["devices"][0]["access"] == "rwm" and c["process"]["args"] == ["sh"]
sys.exit(0 if ok else 1)
PY
}
# a cgroup mount of this machine: the pool's path inside it is what cgroupsPath holds
# quiet RC DESC -- ARGS: exit code RC and no ACQUIRE or RELEASE sent
quiet() {
	rc=$1 desc=$2
	shift 3
	"$bin" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" = "$rc" ] && ! grep -Eq "ACQUIRE|RELEASE" "$out"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		echo "#   rc $got (want $rc), output:"
		sed 's/^/#   /' "$out"
	fi
}
# refuse RC PATTERN DESC -- ARGS: exit code RC, PATTERN said, and no ACQUIRE sent
refuse() {
	rc=$1 pat=$2 desc=$3
	shift 4
	"$bin" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" = "$rc" ] && grep -Eq -- "$pat" "$out" && ! grep -q ACQUIRE "$out"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		echo "#   rc $got (want $rc), output:"
		sed 's/^/#   /' "$out"
	fi
}
mnt=$(awk '$0 ~ / - cgroup2? / { print $5; exit }' /proc/self/mountinfo)
long=$(printf 'c%.0s' $(seq 300))

echo "TAP version 13"
echo "1..23"
mkbundle
: >"$log"
RUND_OCI_POOL= quiet 0 "no RUND_OCI_POOL: nothing ACQUIREd" -- create --bundle "$bundle" c1
grep -q "^runtime: create --bundle $bundle c1 | cgroupsPath=/default/c1$" "$log"
ok $? "no RUND_OCI_POOL: the runtime gets the call untouched"
if [ -z "$mnt" ]; then
	for t in $(seq 3 23); do echo "ok $t # SKIP no cgroup filesystem mounted here"; done
	exit 0
fi
pool=$mnt/pool-oci
export RUND_OCI_POOL=$pool
chmod 600 "$bundle/config.json"
: >"$log"
expect 0 "dry run: ACQUIRE c1" "create ACQUIREs the container id" -- \
	--root /run/x --log /dev/null create --bundle "$bundle" --pid-file /dev/null c1
grep -q "^runtime: --root /run/x --log /dev/null create --bundle $bundle --pid-file /dev/null c1 | cgroupsPath=/pool-oci/c1$" "$log"
ok $? "the runtime runs with the same arguments and cgroupsPath the pooled cgroup"
same_but_path /pool-oci/c1
ok $? "config.json: only cgroupsPath changed"
ok $([ "$(stat -c %a "$bundle/config.json")" = 600 ] && echo 0 || echo 1) \
	"config.json keeps its mode (0600: process.env may hold secrets)"
ok $([ ! -e "$bundle/.config.json.rund-oci" ] && echo 0 || echo 1) "no temporary file left"
FAKE_RC=3 expect 3 "dry run: RELEASE c2" \
	"create: a failed runtime's cgroup is released, its status kept" -- \
	create -b "$bundle" c2
expect 0 "dry run: RELEASE c1" "delete: the runtime's delete, then RELEASE" -- delete --force c1
FAKE_RC=1 quiet 1 "delete the runtime refused: no RELEASE, its status kept" -- delete c1
mkbundle
: >"$log"
quiet 0 "other commands pass through" -- start c1
grep -q "^runtime: start c1 " "$log"
ok $? "start reached the runtime as it was"
printf 'not json' >"$bundle/config.json"
refuse 1 "$bundle/config.json: .*" "bad config.json named, nothing ACQUIREd" -- \
	create -b "$bundle" c3
printf '{"ociVersion":"1.0.2"}' >"$bundle/config.json"
refuse 1 "no \"linux\" object" "config.json without linux refused" -- create -b "$bundle" c3
mkbundle
refuse 1 "container id 'c+' is longer than a pool name" "over-long id named" -- \
	create -b "$bundle" "$long"
RUND_OCI_POOL=/tmp/pool refuse 1 "RUND_OCI_POOL /tmp/pool: not in a cgroup filesystem" \
	"a pool dir outside cgroupfs named" -- create -b "$bundle" c4
# the systemd driver, however it is asked for, and systemd paths: the runtime's
quiet 0 "crun --cgroup-manager=systemd passes through" -- \
	--cgroup-manager=systemd create -b "$bundle" c5
quiet 0 "crun --cgroup-manager systemd passes through" -- \
	--cgroup-manager systemd create -b "$bundle" c5
quiet 0 "runc --systemd-cgroup passes through" -- --systemd-cgroup create -b "$bundle" c5
sed -i 's|"/default/c1"|"system.slice:crun:c5"|' "$bundle/config.json"
quiet 0 "a systemd cgroupsPath passes through" -- create -b "$bundle" c5
grep -q '"system.slice:crun:c5"' "$bundle/config.json"
ok $? "... and stays as it was"
mkbundle
expect 0 "dry run: ACQUIRE c6" "valued global flags before create (--log-level X)" -- \
	--log-level debug --cgroup-manager cgroupfs create -b "$bundle" c6
quiet 0 "a valued flag with no value last: passed through, no crash" -- --root
rm -rf "$bundle" "$rt" "$log"
exit $failed
