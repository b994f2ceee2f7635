#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/prepatch/run.sh [--vmlinux V] [--cpus "max Nehalem"] [--csv OUT.csv] [--work DIR]
#
# Proof for rund-prepatch (../shared/BENCH.md, row "prepatch"): V must be a
# guest kernel built with patches/guest (default: build/linux-guest/vmlinux, from
# scripts/kernel/build.sh guest), 6.1 or 6.12 (patches/guest/6.12). Logs, CAPS and dumps
# go to DIR (default build/prepatch-bench).
# Per CPU model (qemu TCG, q35, -cpu MODEL, nokaslr, PVH -kernel vmlinux):
#   1. boot the stock V: calibrate line -> CAPS; memory dump vs file;
#   2. rund-prepatch apply -> V.pre.MODEL; boot it on MODEL: the pass must be
#      skipped; memory dump vs file;
#   3. boot the first model's V.pre on the second model and the second's on the
#      first (mismatch): must boot and say why.
# Reports text/rodata bytes and 4 KiB pages that differ between guest memory
# after boot and the image file, and the guest's text-bytes-written counter.
# CSV: bench/results/prepatch.csv.  Allow-list (bench/prepatch/diff.py):
# jump_label sites and 6.12's runtime constants, which rund-prepatch does not
# pre-apply, and static_call sites, which it sets as static_call_init() does
# but the boot may update later; init text and .smp_locks are freed after
# boot and not compared.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vmlinux=$top/build/linux-guest/vmlinux cpus="max Nehalem" csv=$top/bench/results/prepatch.csv
work=$top/build/prepatch-bench
while [ $# -gt 0 ]; do
	case $1 in
	--vmlinux) vmlinux=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--csv) csv=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
tool=$top/build/prepatch-tool/rund-prepatch
mkdir -p "$work"
[ -x "$tool" ] || make -C "$top/prepatch-tool" >/dev/null
[ -r "$vmlinux" ] || { echo "run.sh: $vmlinux missing (a guest kernel with patches/guest)" >&2; exit 2; }

# initramfs: static busybox; report the counters, then idle.
initrd=$work/initrd.cpio.gz
if [ ! -s "$initrd" ]; then
	r=$(mktemp -d)
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev"
	cp /bin/busybox "$r/bin/busybox"
	cat >"$r/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
for f in status text_bytes_written text_writes; do
	echo "rund-prepatch-sysfs: $f=$(/bin/busybox cat /sys/kernel/rund_prepatch/$f)"
done
echo RUND-PREPATCH-READY
while :; do /bin/busybox sleep 3600; done
INIT
	chmod +x "$r/init"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -9) >"$initrd"
	rm -rf "$r"
fi

ver=$("$tool" scan "$vmlinux" | awk '/^kernel:/ { print $2 }')
cfg=$(sha256sum "$vmlinux" | cut -c1-12)
[ -s "$csv" ] || echo "date,kernel,vmlinux_sha,cpu,image,status,text_bytes,text_pages,rodata_bytes,rodata_pages,other_text_bytes,other_text_pages,boot_text_bytes_written,boot_text_writes" >"$csv"
realpath "$vmlinux" >"$work/vmlinux.path"

# sysfs LOG NAME: value the initramfs printed from /sys/kernel/rund_prepatch/NAME
sysfs() {
	grep -a "rund-prepatch-sysfs: $2=" "$1" | sed 's/^[^=]*=//' | tr -d '\r' || true
}

# boot IMAGE CPU TAG: boot, dump, diff; append a CSV row; leaves $work/TAG.log
boot() {
	local img=$1 cpu=$2 tag=$3 label=$4 d st w n
	d=$work/$tag
	rm -rf "$d"
	python3 "$here/qboot.py" "$img" "$initrd" "$cpu" "$work/$tag.log" "$d" >&2
	st=$(sysfs "$work/$tag.log" status | sed 's/,/;/g')
	w=$(sysfs "$work/$tag.log" text_bytes_written)
	n=$(sysfs "$work/$tag.log" text_writes)
	# diff.py prints the key=value fields below
	local res text_bytes='' text_pages='' rodata_bytes='' rodata_pages='' other_text_bytes='' other_text_pages=''
	res=$(python3 "$here/diff.py" "$img" "$d" 2>"$work/$tag.diff")
	eval "$res"
	printf '%-8s %-22s %8s %6s %8s %6s %8s  %s\n' "$cpu" "$label" "$text_bytes" "$text_pages" \
		"$rodata_bytes" "$rodata_pages" "$w" "$st"
	echo "$(date -u +%FT%TZ),$ver,$cfg,$cpu,$label,$st,$text_bytes,$text_pages,$rodata_bytes,$rodata_pages,$other_text_bytes,$other_text_pages,$w,$n" >>"$csv"
	# stock dumps stay: prepatch-tool/tests/run.sh compares apply with them
	[ "$label" = stock ] || rm -rf "$d"
}

printf '%-8s %-22s %8s %6s %8s %6s %8s  %s\n' cpu image text_B text_pg rodata_B ro_pg written status
echo "(text_B/text_pg: text bytes/pages differing from the file after boot; other_* in the CSV: outside the allow-list)" >&2
set -- $cpus
for cpu in "$@"; do
	boot "$vmlinux" "$cpu" "stock-$cpu" stock
	"$tool" calibrate -o "$work/$cpu.caps" "$vmlinux" "$work/stock-$cpu.log"
	"$tool" apply --caps "$work/$cpu.caps" -o "$work/vmlinux.pre.$cpu" "$vmlinux" >"$work/apply-$cpu.txt"
	boot "$work/vmlinux.pre.$cpu" "$cpu" "pre-$cpu" prepatched
done
# mismatch: image pre-patched for model A booted on model B, and B's on A (B lacking a
# feature A has, and B having one A lacks: both must restore the original text early)
if [ $# -ge 2 ]; then
	boot "$work/vmlinux.pre.$1" "$2" "mismatch-$1-on-$2" "prepatched-for-$1"
	boot "$work/vmlinux.pre.$2" "$1" "mismatch-$2-on-$1" "prepatched-for-$2"
fi
echo "CSV: $csv; logs, CAPS and per-section diffs in $work" >&2
