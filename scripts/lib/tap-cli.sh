# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the command-line tests (helper/tests, tools/cglat/tests): run $bin with
# arguments and check its exit code and what it says. TAP on stdout; $failed is 1 after
# any failure, for the caller's `exit $failed`.
n=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

# expect RC PATTERN DESC -- ARGS...: exit code RC and PATTERN (grep -E) in stdout+stderr
expect() {
	rc=$1 pat=$2 desc=$3
	shift 4
	"$bin" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" = "$rc" ] && grep -Eq -- "$pat" "$out"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		echo "#   rc $got (want $rc), output:"
		sed 's/^/#   /' "$out"
	fi
}
