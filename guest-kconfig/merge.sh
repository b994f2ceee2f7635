#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build a microVM guest kernel from a pristine tree (6.1, or 6.12).
#
#   guest-kconfig/merge.sh [rund|rund-6.12|kata|kata-6.12] [build|config]
#
#   rund   (default) tinyconfig + guest-kconfig/rund-guest.config on the pristine tree
#          + patches/guest/                                      -> build/guest-kernel
#   rund-6.12  the same on Debian's linux-source-6.12, + rund-guest-6.12.config, with
#          patches/guest/6.12/                                   -> build/guest-kernel-6.12
#   kata   a Kata-like kernel for bench/guest-boot: allnoconfig + Kata Containers' guest
#          fragments, selected as Kata's tools/packaging/kernel/build-kernel.sh does
#          (common/*.conf without a "!x86_64" tag, then x86_64/*.conf), from
#          $KATA_FRAGMENTS (a Kata checkout's tools/packaging/kernel/configs/fragments;
#          not vendored here)                                   -> build/guest-kernel-kata
#   kata-6.12  the same on linux-source-6.12 with patches/guest/6.12/ and
#          RUND_PREPATCH (kata-6.12.config): Kata's image, pre-patchable
#                                                               -> build/guest-kernel-kata-6.12
#   build  (default) configure and build vmlinux + bzImage; print the object dir
#   config only write and check .config; print its path
#
# Cached like scripts/kernel/build.sh, under $RUND_CACHE/guest-kernel/<variant>-<key>, where
# <key> hashes the source package version, the base, the fragments, the patches and the
# recipe version; an unchanged input set is never rebuilt. The source is a worktree of the
# pristine tree next to the objects (<dir>/src: rund = pristine + patches/guest/, kata =
# pristine), made fresh for every build. build/guest-kernel/{vmlinux,bzImage,config} link
# to the result.
#
# Builds run niced (JOBS, default nproc) with ccache, as the host kernel builds do.
set -euo pipefail

variant=${1:-rund}
what=${2:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RUND_CACHE:-$HOME/.cache/rund}
jobs=${JOBS:-$(nproc)}

# shellcheck source=../scripts/kernel/lib.sh
. "$top/scripts/kernel/lib.sh"
log() { printf 'guest-kernel[%s]: %s\n' "$variant" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

case "$variant" in
rund)
	base=tinyconfig
	fragments=("$top/guest-kconfig/rund-guest.config")
	name=guest-kernel
	# the guest patches: pre-patched boots (rund-prepatch), entry text without 2M padding
	mapfile -t patches < <(find "$top/patches/guest" -maxdepth 1 -name '*.patch' | sort)
	;;
rund-6.12)
	# the same guest on Linux 6.12 (issue 20): rund-guest-6.12.config carries what 6.12
	# renamed or made optional; patches/guest/6.12 is the guest series ported to 6.12
	base=tinyconfig
	series=6.12
	fragments=("$top/guest-kconfig/rund-guest.config" "$top/guest-kconfig/rund-guest-6.12.config")
	name=guest-kernel-6.12
	mapfile -t patches < <(find "$top/patches/guest/6.12" -maxdepth 1 -name '*.patch' | sort)
	;;
kata | kata-6.12)
	base=allnoconfig+KCONFIG_ALLCONFIG
	patches=()	# a baseline: Kata's config on the pristine tree
	kf=${KATA_FRAGMENTS:-}
	[ -n "$kf" ] && [ -d "$kf/common" ] && [ -d "$kf/x86_64" ] ||
		die "set KATA_FRAGMENTS to a Kata checkout's tools/packaging/kernel/configs/fragments"
	# grep -L exits 1 when no file has the tag: that must not end the list (set -e)
	mapfile -t fragments < <({ grep -L -e '!x86_64' "$kf"/common/*.conf || true; } | sort
		ls "$kf"/x86_64/*.conf)
	[ ${#fragments[@]} -gt "$(find "$kf/x86_64" -maxdepth 1 -name '*.conf' | wc -l)" ] ||
		die "no common fragments found in $kf/common"
	fragments+=("$top/guest-kconfig/kata-renames.config")
	name=guest-kernel-kata
	if [ "$variant" = kata-6.12 ]; then
		# Kata's current kernel is newer than 6.1: its image on 6.12, with the
		# guest series so that it can be pre-patched (issue 20)
		series=6.12
		mapfile -t patches < <(find "$top/patches/guest/6.12" -maxdepth 1 -name '*.patch' | sort)
		fragments+=("$top/guest-kconfig/kata-6.12.config")
		name=guest-kernel-kata-6.12
	fi
	;;
*) die "unknown variant '$variant' (want rund, rund-6.12, kata or kata-6.12)" ;;
esac
case "$what" in build | config) ;; *) die "unknown action '$what' (want build or config)" ;; esac

# The pristine tree (extracted once by build.sh; it takes its own lock to do so).
pristine=$("$top/scripts/kernel/build.sh" source "${series:-6.1}") || die "no pristine source tree"
srcver=$(basename "$pristine")
srcver=${srcver#linux-}

# Bump when the recipe below changes what gets built (not for comments or logging).
recipe=1
key=$( {
	echo "$srcver guest recipe $recipe base $base"
	cat "${fragments[@]}"
	[ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"
} | sha256sum | cut -c1-16)
dir=$cache/guest-kernel/$variant-$key
obj=$dir/obj

# One lock per input set: a build of another variant (or key) does not block this one.
mkdir -p "$cache/guest-kernel"
exec 9>"$dir.lock"
flock 9

link_result() {
	local out=$top/build/$name
	mkdir -p "$out"
	ln -sfn "$obj/vmlinux" "$out/vmlinux"
	ln -sfn "$obj/arch/x86/boot/bzImage" "$out/bzImage"
	ln -sfn "$obj/.config" "$out/config"
	echo "$key" >"$out/key"
	echo "$obj"
}

if [ "$what" = build ] && [ -e "$dir/.done" ]; then
	log "cached: $dir (key $key)"
	link_result
	exit 0
fi

src=$dir/src
# rund-guest compresses bzImage with LZ4 (KERNEL_LZ4), which runs the lz4 tool
command -v lz4 >/dev/null || die "lz4 not found: run 'make deps' (Debian package lz4)"

export CCACHE_BASEDIR=$cache CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP="rund" KBUILD_BUILD_USER=rund KBUILD_BUILD_HOST=rund
kmake() { nice -n 15 make -s -C "$src" O="$obj" CC="ccache gcc" -j"$jobs" "$@"; }

rm -rf "$dir/.done" "$obj"
kworktree "$pristine" "$src" "${patches[@]}"
mkdir -p "$obj"
log "configuring ($base + ${fragments[*]##*/})"
if [[ $variant == kata* ]]; then
	# as Kata's build-kernel.sh does (merge_config.sh -n): allnoconfig with the merged
	# fragments as KCONFIG_ALLCONFIG, so their choices (SPARSEMEM over FLATMEM, ...) and
	# values (NR_CPUS) are resolved by Kconfig, not kept from a finished allnoconfig
	# and with ARCH=x86_64 as Kata passes it: allnoconfig under the host's SUBARCH x86
	# would make a 32-bit kernel (rund-guest.config sets 64BIT=y itself)
	(cd "$src" && ARCH=x86_64 nice -n 15 scripts/kconfig/merge_config.sh -n -O "$obj" \
		"${fragments[@]}") >/dev/null
else
	kmake "$base" >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${fragments[@]}" >/dev/null
fi
kmake olddefconfig
if [[ $variant != kata* ]]; then
	"$top/scripts/kernel/check-config.sh" "$obj/.config" "${fragments[@]}" ||
		die "config fragment not honoured (see above)"
else
	# Kata's fragments name symbols that do not exist on every kernel version (its own
	# build tolerates them too); report, do not fail.
	"$top/scripts/kernel/check-config.sh" "$obj/.config" "${fragments[@]}" 2>"$dir/dropped.txt" ||
		log "$(wc -l <"$dir/dropped.txt") Kata symbol(s) not honoured on ${series:-6.1}: $dir/dropped.txt"
	# ours must hold, though
	[ "$variant" = kata ] || grep -qx CONFIG_RUND_PREPATCH=y "$obj/.config" ||
		die "CONFIG_RUND_PREPATCH=y missing: is patches/guest/6.12 applied?"
fi
if [ "$what" = config ]; then
	echo "$obj/.config"
	exit 0
fi

kbuild_run "$dir" "$key" vmlinux bzImage
link_result
