#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package rund needs to build, test and benchmark. Idempotent: it
# only calls apt-get when something is missing.
set -euo pipefail

pkgs=(
	# kernel build
	linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev dwarves cpio
	xz-utils kmod rsync ccache python3 git
	# stock test kernel + headers for out-of-tree module builds
	linux-image-amd64 linux-headers-amd64
	# Linux 6.12 (issue 20): Debian's kernel and headers for the stock-6.12 tier (module on
	# the compat backend), its source for upstream's 6.12 cgroup selftests
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	# guests
	qemu-system-x86 busybox-static file
	# rund-guest kernel (KERNEL_LZ4) and its functional test's ext4 images (guest-kconfig/)
	lz4 e2fsprogs
	# rund-layer's guest test: an XFS image with reflink=1 (helper/, scripts/check)
	xfsprogs
	# userspace libraries (helper, prepatch-tool)
	pkg-config libjson-c-dev
	# cglat (tools/cglat): BPF object, skeleton, loader
	bpftool libbpf-dev
	# the containerd end-to-end test and bench (helper/tests/containerd-e2e.sh, run in
	# guests): Debian's containerd (ctr, the runc shim) and runc
	containerd runc
	# benchmark plots (bench/run); bench/layer's qcow2-overlay row
	gnuplot-nox qemu-utils
	# rund-prepatch's libFuzzer smoke (make -C prepatch-tool check)
	clang
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
