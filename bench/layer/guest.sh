#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench/layer/guest.sh (in the guest, /rund/bin): how long a sandbox's writable layer takes
# to make, one at a time and 200 at once. XFS with reflink=1 on /dev/ram1 (the payload's
# image), the template a TEMPLATE_MB ext2 image formatted there (mke2fs: sparse, metadata
# extents only, as a pre-formatted rootfs image is). Rows (layer-bench labels):
#   reflink-tmpfile      rund-layer: FICLONE into O_TMPFILE, one template
#   reflink-tmpfile-x8   the same, --spread 8 (8 reflinked copies of the template)
#   reflink-unlink       rund-layer --no-tmpfile: FICLONE into a created + unlinked file
#   full-copy            rund-layer --copy on ext2 (/scratch, no reflink): every byte
#   qcow2-overlay        qemu-img create -f qcow2 -b TEMPLATE (a named file, removed after;
#                        its wall time includes the sh that names it)
# Each at 1-way (COUNT1 runs) and at WAY-way (WAVES waves of WAY processes; the qcow2
# overlay one wave), except the full copy (1-way, COPIES runs). Lines
# "layer: LABEL,WAY,WALL_US,TOOL_US" (layer-bench).
# On the host (bench/layer/run --host): LAYER_BIN holds the tools, LAYER_XFS is a mounted
# XFS with reflink=1 and LAYER_COPY a directory on another filesystem, both made by run.
set -u
B=${LAYER_BIN:-/rund/bin}
X=${LAYER_XFS:-/mnt/xfs}
S=${LAYER_COPY:-/scratch}
TEMPLATE_MB=${TEMPLATE_MB:-256}
COUNT1=${COUNT1:-100}
WAY=${WAY:-200}
WAVES=${WAVES:-3}
COPIES=${COPIES:-5}

say() { echo "bench-layer: $*"; }

if [ -z "${LAYER_XFS:-}" ]; then
	mkdir -p $X
	zcat /rund/xfs.img.gz >/dev/ram1 && mount -t xfs /dev/ram1 $X ||
		{ say "no XFS on /dev/ram1"; exit 1; }
fi
t=$X/template
truncate -s "${TEMPLATE_MB}M" $t && mke2fs -q -F $t >/dev/null ||
	{ say "mke2fs of the template failed"; exit 1; }
$B/rund-layer spread $t 8 >/dev/null || { say "spread failed"; exit 1; }
say "template ${TEMPLATE_MB} MiB ext2 image on XFS (reflink=1), 8 copies"

# run LABEL WAY COUNT -- CMD...
run() {
	local label=$1 way=$2 count=$3
	shift 4
	$B/layer-bench --label "$label" --way "$way" --count "$count" -- "$@" ||
		say "failures in $label"
}

for w in 1 "$WAY"; do
	c=$COUNT1
	[ "$w" = 1 ] || c=$((WAY * WAVES))
	run reflink-tmpfile "$w" "$c" -- $B/rund-layer --time $t -- true
	run reflink-tmpfile-x8 "$w" "$c" -- $B/rund-layer --spread 8 --time $t -- true
	run reflink-unlink "$w" "$c" -- $B/rund-layer --no-tmpfile --time $t -- true
	if [ -x $B/qemu-img ]; then
		[ "$w" = 1 ] || c=$WAY
		run qcow2-overlay "$w" "$c" -- sh -c \
			"$B/qemu-img create -q -f qcow2 -b $t -F raw $X/ov.\$\$ && rm $X/ov.\$\$"
	else
		say "no qemu-img in the payload: no qcow2-overlay row"
	fi
done

# the baseline without reflink: a full copy on ext2 (same medium), one at a time
c=$S/template
if cp $t $c 2>/dev/null; then
	run full-copy 1 "$COPIES" -- $B/rund-layer --copy --time $c -- true
	rm -f $c
else
	say "no room for the full-copy template on $S: no full-copy row"
fi
say "done"
