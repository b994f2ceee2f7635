# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernel/lib.sh: sourced by the kernel build scripts (scripts/kernel/build.sh,
# guest-kconfig/merge.sh). The caller defines log, die and kmake (make with its own -C/O=).

# kbuild_run DIR KEY TARGET...: build TARGETs into DIR/build.log, fail with its tail, then
# mark DIR complete for KEY (the cache marker both scripts test before building).
kbuild_run() {
	local dir=$1 key=$2 start
	shift 2
	log "building $* with $jobs jobs (log $dir/build.log)"
	start=$(date +%s)
	kmake "$@" >"$dir/build.log" 2>&1 || {
		tail -40 "$dir/build.log" >&2
		die "kernel build failed; full log: $dir/build.log"
	}
	log "built in $(($(date +%s) - start)) s"
	echo "$key" >"$dir/.done"
}

# kworktree PRISTINE SRC [PATCH...]: make SRC a fresh worktree of PRISTINE at its tag
# "pristine" with PATCHes applied (git am), for one input set's O= build. Worktree
# bookkeeping lives in PRISTINE's .git, shared by every build: one change at a time.
kworktree() {
	local pristine=$1 src=$2
	shift 2
	(
		flock 7
		rm -rf "$src"
		git -C "$pristine" worktree prune
		mkdir -p "$(dirname "$src")"
		git -C "$pristine" worktree add -q --detach "$src" pristine
	) 7>"$pristine.worktree.lock" || die "cannot add the worktree $src of $pristine"
	[ $# -gt 0 ] || return 0
	log "applying $# patch(es): ${*##*/}"
	git -C "$src" -c user.name=rund -c user.email=rund@localhost am -q "$@" ||
		die "git am failed; see $src"
}
