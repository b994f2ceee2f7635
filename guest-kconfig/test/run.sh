#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Functional test of the rund-guest kernel (issue 8): prints TAP on stdout.
#
#   guest-kconfig/test/run.sh [--kernel-dir DIR] [--out OUT] [--machines "microvm q35"]
#                             [--timeout S]
#
# DIR (default build/guest-kernel, from `make guest-kernel`) holds vmlinux and bzImage.
# Boots, under qemu TCG:
#   microvm  vmlinux through the PVH entry, virtio-mmio devices, cgroup v2
#   q35      bzImage, virtio-pci devices, cgroup v1 (co-mounted controllers)
# each with: a read-only virtio-blk ext4 image (the container root, overlay lower dir), a
# writable virtio-blk ext4 disk (overlay upper dir), virtio-net (user backend), a virtio
# console, and vhost-vsock when the host has /dev/vhost-vsock. The guest side is
# guest-kconfig/test/guest.plan run by scripts/vm/init. virtiofsd is not packaged in Debian
# bookworm, so the lower dir is virtio-blk (the virtio-fs driver is checked for presence).
# The microvm's upper disk is a sandbox's writable layer as rund gives it (issue 19):
# helper/rund-layer reflinks a formatted template on an XFS with reflink=1 (a loop-mounted
# image) into an unnamed file (O_TMPFILE) and runs qemu with it as fd 3 (-add-fd,
# /dev/fdset). The guest writes 16 MiB through the overlay; meanwhile the XFS must hold
# no named file but the template and have less free space, and once qemu exits the space
# must come back. Where the XFS cannot be mounted (no root, loop or XFS), those two checks
# are skipped and the upper disk is a plain image file.
# Console logs: OUT/<machine>.log (default build/guest-test). Exit 1 when any test fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=$PATH:/usr/sbin:/sbin # mkfs.ext4
kdir=$top/build/guest-kernel
out=$top/build/guest-test
machines="microvm q35"
timeout=300
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel-dir) kdir=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--machines) machines=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	*) echo "run.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
	esac
done
die() {
	echo "run.sh: error: $*" >&2
	echo "Bail out! $*"
	exit 1
}
[ -r "$kdir/vmlinux" ] && [ -r "$kdir/bzImage" ] ||
	die "no vmlinux/bzImage in $kdir: run 'make guest-kernel' first"
for t in qemu-system-x86_64 mkfs.ext4 gcc cpio; do
	command -v "$t" >/dev/null || die "$t not found (make deps)"
done

mkdir -p "$out"
work=$(mktemp -d)
trap 'umount "$work/xfs" 2>/dev/null; rm -rf "$work"' EXIT

# guest helper, static so it also runs in the container root
mkdir -p "$work/payload/bin"
gcc -static -O2 -Wall -Wextra -Werror -o "$work/payload/bin/rund-gcheck" \
	"$top/guest-kconfig/test/rund-gcheck.c" || die "building rund-gcheck failed"

# lower: a minimal container root (static busybox + the helper) on a read-only ext4 image
root=$work/lower
mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/busybox"
for a in sh cat echo hostname ip ls grep mount sleep; do ln -s busybox "$root/bin/$a"; done
cp "$work/payload/bin/rund-gcheck" "$root/bin/"
echo "rund lower file" >"$root/etc/lower.txt"
mkfs.ext4 -q -F -L rund-lower -d "$root" "$work/lower.img" 16M >/dev/null || die "mkfs lower"
mkinitramfs_args=(--plan "$top/guest-kconfig/test/guest.plan" --payload "$work/payload")
"$top/scripts/vm/mkinitramfs" "${mkinitramfs_args[@]}" -o "$work/initrd.gz" || die "mkinitramfs"

vsock=0
[ -w /dev/vhost-vsock ] && vsock=1

# the writable layer's XFS and template: $xfs set when it could be mounted, else $noxfs
layer=$top/build/helper/rund-layer
xfs='' noxfs=''
if [ ! -x "$layer" ]; then
	noxfs="no $layer (make)"
elif ! command -v mkfs.xfs >/dev/null; then
	noxfs="no mkfs.xfs (make deps: xfsprogs)"
elif { truncate -s 320M "$work/xfs.img" && mkfs.xfs -q -m reflink=1 "$work/xfs.img" &&
	mkdir -p "$work/xfs" && mount -o loop "$work/xfs.img" "$work/xfs"; } >"$work/mount.err" 2>&1; then
	xfs=$work/xfs
	mkfs.ext4 -q -F -L rund-upper "$xfs/upper.img" 32M >/dev/null || die "mkfs template"
	sync -f "$xfs"
else
	noxfs="cannot loop-mount an XFS here: $(head -c 200 "$work/mount.err" | tr '\n' ' ')"
fi
# free blocks of the XFS, deferred inode inactivation flushed first
xfs_free() { sync -f "$xfs"; stat -f -c %a "$xfs"; }

# layer_checks: the microvm boot's writable layer, from free0/free1/layer_names
layer_checks() {
	local what1="writable layer (rund-layer, XFS reflink): the guest's 16 MiB land in it, no named file on the host"
	local what2="writable layer: its space comes back when qemu exits"
	local free2
	if [ -z "$xfs" ]; then
		n=$((n + 1)); echo "ok $n - $m: $what1 # SKIP $noxfs"
		n=$((n + 1)); echo "ok $n - $m: $what2 # SKIP $noxfs"
		return
	fi
	n=$((n + 1))
	echo "# layer: XFS free blocks $free0 before, ${free1:-?} with the guest's writes; names: ${layer_names:-?}"
	if [ -n "$free1" ] && [ "$layer_names" = "upper.img " ] && [ $((free0 - free1)) -ge 2048 ]; then
		echo "ok $n - $m: $what1"
	else
		echo "not ok $n - $m: $what1"; fails=$((fails + 1))
	fi
	# XFS inactivates an unlinked inode in the background: give it a few seconds
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		free2=$(xfs_free)
		[ $((free0 - free2)) -gt 256 ] || break
		sleep 1
	done
	n=$((n + 1))
	echo "# layer: XFS free blocks $free2 after qemu exited (4 KiB blocks)"
	if [ $((free0 - free2)) -le 256 ]; then
		echo "ok $n - $m: $what2"
	else
		echo "not ok $n - $m: $what2"; fails=$((fails + 1))
	fi
}

n=0
fails=0
for m in $machines; do
	rm -f "$work/upper.img"
	mkfs.ext4 -q -F -L rund-upper "$work/upper.img" 32M >/dev/null || die "mkfs upper"
	log=$out/$m.log
	case "$m" in
	microvm)
		kernel=$kdir/vmlinux bus=device cgmode=v2
		mopts=(-M "microvm,rtc=on")
		;;
	q35)
		kernel=$kdir/bzImage bus=pci cgmode=v1-co
		mopts=(-M q35)
		;;
	*) die "unknown machine '$m' (want microvm or q35)" ;;
	esac
	# microvm with the XFS: the upper disk is rund-layer's fd 3
	upper=(-drive "file=$work/upper.img,format=raw,if=none,id=upper")
	wrap=()
	if [ "$m" = microvm ] && [ -n "$xfs" ]; then
		# qemu also opens the image read-only (its fd set must hold an fd of each access
		# mode it asks for): fd 4 is fd 3 reopened read-only
		upper=(-add-fd "fd=3,set=1" -add-fd "fd=4,set=1"
			-drive "file=/dev/fdset/1,format=raw,if=none,id=upper")
		wrap=("$layer" "$xfs/upper.img" -- bash -c 'exec 4</proc/self/fd/3 && exec "$@"' layer)
	fi
	devs=(-drive "file=$work/lower.img,format=raw,if=none,id=lower,readonly=on"
		-device "virtio-blk-$bus,drive=lower"
		"${upper[@]}"
		-device "virtio-blk-$bus,drive=upper"
		-netdev "user,id=n0" -device "virtio-net-$bus,netdev=n0"
		-chardev "file,id=hvc,path=$out/$m.hvc0" -device "virtio-serial-$bus"
		-device "virtconsole,chardev=hvc")
	# tsc_early_khz: TCG's guest TSC runs at the host rate; without it microvm (no HPET/PM
	# timer) cannot calibrate the TSC on a loaded host, and boots hang (bench/guest-boot/run)
	tsc=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	append="console=ttyS0 reboot=t panic=-1 nokaslr tsc_early_khz=${tsc:-2000000} rund.cgmode=$cgmode"
	[ ${#wrap[@]} = 0 ] || append+=" rund.layer=1"
	if [ $vsock = 1 ]; then
		devs+=(-device "vhost-vsock-$bus,guest-cid=3")
		append+=" rund.vsock=host"
		# a host-side echo server for the guest's vsock-host check would go here (socat
		# VSOCK-LISTEN:1234); this machine has no /dev/vhost-vsock, so it is not exercised
	fi
	echo "# $m: $(basename "$kernel"), cgroup $cgmode, log $log"
	start=$(date +%s)
	rc=0
	[ ${#wrap[@]} = 0 ] || free0=$(xfs_free)
	: >"$log"
	"${wrap[@]}" timeout --kill-after=10 "$timeout" qemu-system-x86_64 "${mopts[@]}" \
		-accel tcg,thread=multi -cpu max -smp 2 -m 256 -nodefaults -no-user-config \
		-nographic -no-reboot -serial "file:$log" -kernel "$kernel" -initrd "$work/initrd.gz" \
		-append "$append" "${devs[@]}" </dev/null >"$work/qemu.out" 2>&1 &
	qemu=$!
	# the layer while the guest has written into it: no named file, less free space
	layer_names='' free1=''
	while [ ${#wrap[@]} != 0 ] && kill -0 $qemu 2>/dev/null; do
		if grep -aq '^rund-layer: written' "$log"; then
			layer_names=$(ls -A "$xfs" | tr '\n' ' ')
			free1=$(xfs_free)
			break
		fi
		sleep 0.2
	done
	wait $qemu || rc=$?
	echo "# $m: guest ran $(($(date +%s) - start)) s, qemu exit $rc"
	n=$((n + 1))
	if [ $rc -ne 0 ]; then
		echo "not ok $n - $m: qemu ran to completion # exit $rc: $(head -c 300 "$work/qemu.out" | tr '\n' ' ')"
		fails=$((fails + 1))
	elif ! "$top/scripts/vm/check-log" "$log" 2>"$work/check.err"; then
		echo "not ok $n - $m: clean boot, plan ran to its end"
		sed 's/^/# /' "$work/check.err"
		fails=$((fails + 1))
	else
		echo "ok $n - $m: clean boot, plan ran to its end"
	fi
	while IFS= read -r line; do
		line=${line%$'\r'}
		n=$((n + 1))
		res=${line#rund-tap: }
		case "$res" in
		"not ok - "*) echo "not ok $n - $m: ${res#not ok - }"; fails=$((fails + 1)) ;;
		"ok - "*) echo "ok $n - $m: ${res#ok - }" ;;
		esac
	done < <(grep -a '^rund-tap: ' "$log" || true)
	grep -q 'hello from hvc0' "$out/$m.hvc0" 2>/dev/null ||
		{ n=$((n + 1)); echo "not ok $n - $m: host did not read the guest's virtio console line"; fails=$((fails + 1)); }
	if [ "$m" = microvm ]; then
		layer_checks
	fi
	if [ $fails -gt 0 ]; then
		grep -a -B2 -A12 '^rund-tap: not ok' "$log" | sed 's/^/# /' || true
	fi
done
echo "1..$n"
[ $fails -eq 0 ]
