#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Functional test of the rund-guest kernel (issue 8): prints TAP on stdout.
#
#   guest-kconfig/test/run.sh [--kernel-dir DIR] [--machines "microvm q35"] [--timeout S]
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
# Console logs: build/guest-test/<machine>.log. Exit 1 when any test fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=$PATH:/usr/sbin:/sbin # mkfs.ext4
kdir=$top/build/guest-kernel
machines="microvm q35"
timeout=300
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel-dir) kdir=$2; shift 2 ;;
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

out=$top/build/guest-test
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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
	devs=(-drive "file=$work/lower.img,format=raw,if=none,id=lower,readonly=on"
		-device "virtio-blk-$bus,drive=lower"
		-drive "file=$work/upper.img,format=raw,if=none,id=upper"
		-device "virtio-blk-$bus,drive=upper"
		-netdev "user,id=n0" -device "virtio-net-$bus,netdev=n0"
		-chardev "file,id=hvc,path=$out/$m.hvc0" -device "virtio-serial-$bus"
		-device "virtconsole,chardev=hvc")
	# tsc_early_khz: TCG's guest TSC runs at the host rate; without it microvm (no HPET/PM
	# timer) cannot calibrate the TSC on a loaded host, and boots hang (bench/guest-boot/run)
	tsc=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	append="console=ttyS0 reboot=t panic=-1 nokaslr tsc_early_khz=${tsc:-2000000} rund.cgmode=$cgmode"
	if [ $vsock = 1 ]; then
		devs+=(-device "vhost-vsock-$bus,guest-cid=3")
		append+=" rund.vsock=host"
		# a host-side echo server for the guest's vsock-host check would go here (socat
		# VSOCK-LISTEN:1234); this machine has no /dev/vhost-vsock, so it is not exercised
	fi
	echo "# $m: $(basename "$kernel"), cgroup $cgmode, log $log"
	start=$(date +%s)
	rc=0
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 "${mopts[@]}" -accel tcg,thread=multi \
		-cpu max -smp 2 -m 256 -nodefaults -no-user-config -nographic -no-reboot \
		-serial "file:$log" -kernel "$kernel" -initrd "$work/initrd.gz" -append "$append" \
		"${devs[@]}" </dev/null >"$work/qemu.out" 2>&1 || rc=$?
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
	if [ $fails -gt 0 ]; then
		grep -a -B2 -A12 '^rund-tap: not ok' "$log" | sed 's/^/# /' || true
	fi
done
echo "1..$n"
[ $fails -eq 0 ]
