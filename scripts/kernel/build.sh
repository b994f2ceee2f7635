#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the rund host/test kernel from Debian's linux-source-6.1 with patches/host applied,
# or from linux-source-6.12 with patches/host/6.12 applied.
#
#   scripts/kernel/build.sh [test|debug] [SERIES] build (or reuse) and print the object dir
#   scripts/kernel/build.sh trace [SERIES]        test + scripts/kconfig/trace.config (BTF,
#                                                 ftrace, BPF JIT) for cglat; benchmarks only
#   scripts/kernel/build.sh guest                 the rund-prepatch guest kernel: pristine
#                                                 6.1 + patches/guest/ (no host series)
#   scripts/kernel/build.sh source [SERIES]       extract (or reuse) the pristine tree, print it
#
# SERIES is 6.1 (default) or 6.12: Debian's linux-source-6.12 with the 6.12 port of the host
# series and scripts/kconfig/test-6.12.config (memcg and cpuset v1 on, which Debian's 6.12
# leaves out, so the series' v1 half is built and testable). Object dirs are linked as
# build/linux[-debug|-trace][-unpatched] for 6.1 and build/linux-6.12[-debug|...] for 6.12.
#
# The result is cached under $RUND_CACHE/kernel/<variant>[-6.12]-<key>, where <key> hashes
# the source package version, every patch of the series (patches/guest/ for guest), the
# config fragments and the recipe version below. An unchanged input set is never rebuilt;
# a changed one gets a fresh worktree of the pristine source (a git repo, so `git am`
# leaves a reviewable history) and its own object dir.
#
# The object dir is a valid KDIR for external modules: make -C <obj> M=$PWD/module.
set -euo pipefail

variant=${1:-test}
series=${2:-6.1}
case "$variant" in
test | debug | trace | guest | source) ;;
*)
	echo "build.sh: unknown variant '$variant' (want: test, debug, trace, guest or source)" >&2
	exit 2
	;;
esac
case "$variant:$series" in
*:6.1 | test:6.12 | debug:6.12 | trace:6.12 | source:6.12) ;;
*)
	echo "build.sh: unknown series '$series' for $variant (want: 6.1, or 6.12 but for guest)" >&2
	exit 2
	;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RUND_CACHE:-$HOME/.cache/rund}
jobs=${JOBS:-$(nproc)}
tarball=/usr/src/linux-source-$series.tar.xz

# shellcheck source=lib.sh
. "$top/scripts/kernel/lib.sh"
log() { printf 'kernel[%s]: %s\n' "$variant" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[ -r "$tarball" ] || die "$tarball missing: run 'make deps' (installs linux-source-$series)"
srcver=$(dpkg-query -W -f='${Version}' "linux-source-$series")

# One pristine tree per source package version, committed so every build can be a worktree.
# Caller holds the pristine lock.
ensure_pristine() {
	pristine=$cache/src/linux-$srcver
	[ -e "$pristine/.rund-pristine" ] && return 0
	log "extracting $tarball ($srcver)"
	rm -rf "$pristine" "$pristine.tmp"
	mkdir -p "$pristine.tmp"
	tar -xf "$tarball" -C "$pristine.tmp" --strip-components=1
	(
		cd "$pristine.tmp"
		git init -q
		# Debian's .gitignore ignores the whole top level: force-add the pristine tarball.
		git add -f -A
		git -c user.name=rund -c user.email=rund@localhost commit -qm "linux-source-$series $srcver (pristine)"
		git tag pristine
	)
	mv "$pristine.tmp" "$pristine"
	touch "$pristine/.rund-pristine"
}

mkdir -p "$cache/src" "$cache/kernel"
if [ "$variant" = source ] && [ -e "$cache/src/linux-$srcver/.rund-pristine" ]; then
	echo "$cache/src/linux-$srcver"
	exit 0
fi
# The pristine lock covers the extraction only; each build then takes its own input set's
# lock (below), so a build of one kernel never waits for another's (scripts/check builds
# the next kernels in the background while it boots the first).
exec 8>"$cache/src/.lock"
flock 8
ensure_pristine
exec 8>&-
if [ "$variant" = source ]; then
	echo "$pristine"
	exit 0
fi

fragments=("$top/scripts/kconfig/test.config")
seriesdir=$top/patches/host
if [ "$series" = 6.12 ]; then
	fragments+=("$top/scripts/kconfig/test-6.12.config")
	seriesdir=$top/patches/host/6.12
fi
[ "$variant" = debug ] && fragments+=("$top/scripts/kconfig/debug.config")
[ "$variant" = trace ] && fragments+=("$top/scripts/kconfig/trace.config")
patches=()
# RUND_PATCHES=none builds the same config without patches/host (the baseline the
# benchmarks compare the patched kernel against); it is cached like any other input set.
# The guest variant is the kernel rund-prepatch works on (bench/prepatch, the prepatch
# boots of scripts/check): that same RUND_PATCHES=none config on pristine + patches/guest/
# only, so it shares all but the guest-patched files' ccache entries with
# build/linux-unpatched and does not rebuild when the host series changes.
if [ "$variant" = guest ]; then
	while IFS= read -r p; do patches+=("$p"); done < <(find "$top/patches/guest" -maxdepth 1 -name '*.patch' | sort)
	[ ${#patches[@]} -gt 0 ] || die "no patches in patches/guest"
elif [ "${RUND_PATCHES:-host}" != none ]; then
	while IFS= read -r p; do patches+=("$p"); done < <(find "$seriesdir" -maxdepth 1 -name '*.patch' ! -name '0000-*' | sort)
	[ ${#patches[@]} -gt 0 ] || die "no patches in $seriesdir"
	fragments+=("$top/scripts/kconfig/rund.config")
fi

# Bump when the recipe below changes what gets built (not for comments or logging).
recipe=1
key=$( {
	echo "$srcver recipe $recipe"
	cat "${fragments[@]}"
	[ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"
} | sha256sum | cut -c1-16)
dir=$cache/kernel/$variant-$key
[ "$series" = 6.1 ] || dir=$cache/kernel/$variant-$series-$key
# one lock per input set: a second caller waits for the first's build, then reuses it
exec 9>"$dir.lock"
flock 9

link_result() {
	mkdir -p "$top/build"
	local name=linux
	[ "$variant" = debug ] && name=linux-debug
	[ "$variant" = trace ] && name=linux-trace
	[ "$variant" = guest ] && name=linux-guest
	[ "$series" = 6.1 ] || name=${name/linux/linux-$series}
	[ "$variant" != guest ] && [ "${RUND_PATCHES:-host}" = none ] && name=$name-unpatched
	ln -sfn "$dir/obj" "$top/build/$name"
	echo "$dir/obj"
}

if [ -e "$dir/.done" ]; then
	log "cached: $dir (key $key)"
	link_result
	exit 0
fi

rm -rf "$dir"
kworktree "$pristine" "$dir/src" "${patches[@]}"

# ccache: relativise paths so worktrees with different names share hits.
export CCACHE_BASEDIR=$cache/kernel CCACHE_NOHASHDIR=1
export KBUILD_BUILD_TIMESTAMP="rund" KBUILD_BUILD_USER=rund KBUILD_BUILD_HOST=rund
kmake() { make -s -C "$dir/src" O="$dir/obj" CC="ccache gcc" -j"$jobs" "$@"; }

log "configuring (tinyconfig + ${fragments[*]##*/})"
kmake tinyconfig >/dev/null
"$dir/src/scripts/kconfig/merge_config.sh" -m -O "$dir/obj" "$dir/obj/.config" "${fragments[@]}" >/dev/null
kmake olddefconfig
"$top/scripts/kernel/check-config.sh" "$dir/obj/.config" "${fragments[@]}" ||
	die "config fragment not honoured (see above)"
[ "$variant" != guest ] || grep -qx 'CONFIG_RUND_PREPATCH=y' "$dir/obj/.config" ||
	die "CONFIG_RUND_PREPATCH=y missing after olddefconfig: is patches/guest applied?"

kbuild_run "$dir" "$key" bzImage modules
link_result
