#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/run.sh BUILD - TAP tests of rund-prepatch (run by `make check`).
#
# 1. unit tests on synthetic bytes (tests/unit.c);
# 1b. `apply` on a synthetic vmlinux with every site kind (tests/synth.S):
#    each site against the bytes the 6.1 algorithm gives (tests/expect.py);
#    static call sites the tool must refuse;
# 2. `scan` of the real vmlinux files (build/linux, build/linux-debug; SKIP
#    when absent), with counts checked against readelf and an independent
#    Python decoder of the tables; `apply` checked against an independent
#    Python implementation of static_call_init()/apply_paravirt()/apply_alternatives()
#    (tests/oracle.py) and the instruction decoder against objdump;
# 3. bad inputs: each must exit 2 with one message on stderr naming the
#    file and the problem, and nothing on stdout; apply must not write OUT.
#
# 2b. the same on a 6.12 vmlinux (build/linux-6.12-debug, tier 2): layout 6.12,
#    table sizes, the decoder against objdump, apply, and the refusals that
#    only 6.12 has.  Byte-exactness on 6.12 is shown by real boots
#    (bench/prepatch), as there is no independent 6.12 oracle here.
#
# RUND_VMLINUX / RUND_VMLINUX_DEBUG / RUND_VMLINUX_612 override the vmlinux paths.
set -u

BUILD=${1:?usage: tests/run.sh BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/rund-prepatch
MKELF=$BUILD/tests/mkelf
UNIT=$BUILD/tests/unit
INSNCHECK=$BUILD/tests/insncheck
VMLINUX=${RUND_VMLINUX:-$HERE/../../build/linux/vmlinux}
VMLINUX_DEBUG=${RUND_VMLINUX_DEBUG:-$HERE/../../build/linux-debug/vmlinux}
VMLINUX_612=${RUND_VMLINUX_612:-$HERE/../../build/linux-6.12-debug/vmlinux}

T=$(mktemp -d /tmp/rund-prepatch-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

# scan ARGS...: run the tool, leave $rc, $T/out, $T/err
scan() {
	"$BIN" scan "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# --- section helpers (readelf is the oracle for sizes and offsets) -------
# secfield FILE NAME FIELD: FIELD is addr|off|size, printed in decimal.
secfield() {
	local col
	case $3 in addr) col=3 ;; off) col=4 ;; size) col=5 ;; esac
	local hex
	hex=$(readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] *//p' |
		awk -v n="$2" -v c="$col" '$1 == n { print $c; exit }')
	[ -n "$hex" ] && echo $((16#$hex))
}

# poke FILE OFFSET NBYTES VALUE: write VALUE little-endian in place.
poke() {
	local i v=$4
	for ((i = 0; i < $3; i++)); do
		printf "\\$(printf %03o $(((v >> (8 * i)) & 255)))"
	done | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# column KIND FIELD: a field of KIND's row in $T/out (entries|sites|oor)
column() {
	awk -v k="$1" -v f="$2" '$1 == k {
		if (f == "entries") print $3; else if (f == "sites") print $4;
		else print $5 }' "$T/out"
}

# expect_bad DESC FILE PATTERN: exit 2, empty stdout, one stderr line
# "rund-prepatch: FILE: ..." containing PATTERN.
expect_bad() {
	local desc=$1 file=$2 pat=$3
	scan "$file"
	local lines
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && [ "$lines" -eq 1 ] &&
	   grep -qF "rund-prepatch: $file: " "$T/err" &&
	   grep -qF -- "$pat" "$T/err"; then
		pass "$desc: exit 2, \"$(cat "$T/err")\""
	else
		fail "$desc: want exit 2 and '$pat', got exit $rc"
		diag <"$T/err"
		diag <"$T/out"
	fi
	expect_apply_bad "$desc" "$file" "$ANYCAPS" "$file" "$pat"
}

# expect_apply_bad DESC VMLINUX CAPS NAMED PATTERN: apply exits 2, one
# stderr line "rund-prepatch: NAMED: ...PATTERN...", OUT (pre-existing)
# untouched and no temporary file left next to it.
expect_apply_bad() {
	local desc=$1 file=$2 caps=$3 named=$4 pat=$5
	rm -rf "$T/o" && mkdir "$T/o" && echo keep >"$T/o/out"
	"$BIN" apply --caps "$caps" -o "$T/o/out" "$file" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	   grep -qF "rund-prepatch: $named: " "$T/err" && grep -qF -- "$pat" "$T/err" &&
	   [ "$(cat "$T/o/out")" = keep ] && [ "$(ls "$T/o")" = out ]; then
		pass "apply $desc: exit 2, OUT untouched, \"$(cat "$T/err")\""
	else
		fail "apply $desc: want exit 2, '$pat' about $named, OUT untouched; got exit $rc"
		diag <"$T/err"
		ls "$T/o" | diag
	fi
}

# --- 1. unit tests ---------------------------------------------------------
"$UNIT" >"$T/unit" 2>&1
urc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "unit: ${line#ok - }" ;;
	"not ok - "*) fail "unit: ${line#not ok - }" ;;
	*) echo "# $line" ;;
	esac
done <"$T/unit"
[ $urc -eq 0 ] && pass "unit test binary exits 0" || fail "unit test binary exits $urc"

# Any syntactically valid CAPS: bad-input tests fail before it matters.
ANYCAPS=$T/any.caps
grep -v '^kernel' "$HERE/synth1.caps" >"$ANYCAPS"

# --- 1b. apply on the synthetic vmlinux -------------------------------------
if ! "$HERE/mksynth.sh" "$HERE/synth.S" "$T/synth" 2>"$T/err"; then
	skip "synthetic vmlinux" "cannot assemble/link tests/synth.S: $(head -1 "$T/err")"
else
	for v in 1 2; do
		"$BIN" apply --caps "$HERE/synth$v.caps" -o "$T/synth$v.out" "$T/synth" \
			>"$T/out" 2>"$T/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			fail "synth caps$v: apply exits $rc"; diag <"$T/err"; continue
		fi
		pass "synth caps$v: apply exits 0"
		diag <"$T/out"
		# 7 sites: a NULL tail call (the boot's) and a right one not written
		grep -qE '^static_calls +7 +5 +0$' "$T/out" &&
			pass "synth caps$v: static_calls row: 7 sites, 5 written" ||
			fail "synth caps$v: static_calls row: $(grep '^static_calls' "$T/out")"
		python3 "$HERE/expect.py" $v "$T/synth" "$T/synth$v.out" >"$T/exp" 2>&1
		while IFS= read -r line; do
			case $line in
			"ok - "*) pass "${line#ok - }" ;;
			"not ok - "*) fail "${line#not ok - }" ;;
			*) echo "# $line" ;;
			esac
		done <"$T/exp"
	done
	# calibrate: a console line as the guest patch prints it -> CAPS that
	# yields the same output as synth1.caps
	text=$((16#$(nm "$T/synth" | awk '$3 == "_text" { print $1 }')))
	off() { printf %x $((16#$(nm "$T/synth" | awk -v s="$1" '$3 == s { print $1 }') - text)); }
	{
		echo "[    0.1] random line"
		printf '[    0.2] rund-prepatch: calibrate v1 text=%x up=0 caps=' $text
		printf '00000020,00000100'; for i in $(seq 3 24); do printf ',00000000'; done
		printf ' pv=1:%s,2:%s,3:null\r\n' "$(off pv_target)" "$(off _paravirt_nop)"
	} >"$T/console.log"
	"$BIN" calibrate -o "$T/cal.caps" "$T/synth" "$T/console.log" 2>"$T/err" &&
	"$BIN" apply --caps "$T/cal.caps" -o "$T/cal.out" "$T/synth" >/dev/null 2>>"$T/err" &&
	grep -qx 'pv 1 pv_target' "$T/cal.caps" && grep -qx 'pv 3 null' "$T/cal.caps" &&
	grep -qx 'kernel 6.1.0-synth' "$T/cal.caps" &&
	cmp -s <(objcopy -O binary -j .text "$T/cal.out" /dev/stdout) \
	       <(objcopy -O binary -j .text "$T/synth1.out" /dev/stdout) &&
		pass "calibrate: console line -> CAPS naming pv targets by symbol; same text as synth1.caps" ||
		{ fail "calibrate: console line -> CAPS"; diag <"$T/err"; diag <"$T/cal.caps"; }
	echo "no calibration here" >"$T/console.log"
	"$BIN" calibrate "$T/synth" "$T/console.log" >"$T/out" 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] && grep -qF "rund-prepatch: $T/console.log: no \"rund-prepatch: calibrate v1\" line" "$T/err" &&
		pass "calibrate: log without the line exits 2 naming the log" ||
		{ fail "calibrate: log without the line: exit $rc"; diag <"$T/err"; }

	# static call sites: an opcode __static_call_validate() BUG()s on,
	# and a key outside data
	symva() { echo $((16#$(nm "$T/synth" | awk -v s="$1" '$3 == s { print $1 }'))); }
	fileoff() {	# VA SECTION
		echo $(($1 - $(secfield "$T/synth" "$2" addr) + $(secfield "$T/synth" "$2" off)))
	}
	cp "$T/synth" "$T/scop"
	poke "$T/scop" "$(fileoff "$(symva sc_null)" .text)" 1 $((0x90))
	expect_apply_bad "of a static call site that is no CALL" "$T/scop" \
		"$HERE/synth1.caps" "$T/scop" \
		"static call site 1 at 0x$(printf %x "$(symva sc_null)"): unexpected opcode 0x90 for a call site"
	cp "$T/synth" "$T/sckey"
	sc=$(symva __start_static_call_sites)
	poke "$T/sckey" $(($(fileoff "$sc" .data) + 4)) 4 $(($(symva sc_call) - (sc + 4)))
	expect_bad "static call key in text" "$T/sckey" \
		"entry out of range: .static_call_sites entry 0 (at 0x$(printf %x "$sc")): static_call_key not inside a data section"
	rm -f "$T/scop" "$T/sckey"

	expect_apply_bad "of an already pre-patched image" "$T/synth1.out" \
		"$HERE/synth1.caps" "$T/synth1.out" "already pre-patched"
	# CAPS problems are reported against the CAPS file.
	capsbad() {	# DESC SED-EXPR PATTERN
		sed -e "$2" "$HERE/synth1.caps" >"$T/bad.caps"
		expect_apply_bad "CAPS $1" "$T/synth" "$T/bad.caps" "$T/bad.caps" "$3"
	}
	capsbad "without cap 7" '/^cap 7 /d' "cap word 7 missing"
	capsbad "with a bad hex word" 's/^cap 3 0$/cap 3 0xzz/' "line 7: cap word 3: '0xzz' is not a 32-bit hex number"
	capsbad "with word index 22" 's/^cap 21 0$/cap 22 0/' "cap word index '22' not in 0..21"
	capsbad "with cap 0 twice" 's/^cap 1 00000100$/cap 0 1/' "cap word 0 given twice"
	capsbad "with an unknown directive" '$a frobnicate 1' "unknown directive 'frobnicate'"
	capsbad "without header" '/^rund-prepatch-caps/d' "not a CAPS file"
	capsbad "of version 2" 's/^rund-prepatch-caps 1/rund-prepatch-caps 2/' "unsupported CAPS version"
	capsbad "lacking pv 3" '/^pv 3 /d' "no 'pv 3' line, but the vmlinux uses pv_ops slot 3"
	capsbad "naming a missing symbol" 's/^pv 1 pv_target/pv 1 no_such_fn/' "pv 1: the vmlinux has no symbol no_such_fn"
	capsbad "for another kernel" 's/^kernel .*/kernel 6.1.99/' "CAPS is for kernel 6.1.99, vmlinux is 6.1.0-synth"
	capsbad "with lock maybe" 's/^lock smp/lock maybe/' "lock must be 'smp' or 'up'"
	expect_apply_bad "with a missing CAPS file" "$T/synth" "$T/nonexistent.caps" \
		"$T/nonexistent.caps" "cannot open CAPS"
fi

# --- 2. real vmlinux -------------------------------------------------------
# Independent decoder: reads the ELF section headers with struct.unpack and
# counts alternatives / paravirt / smp_locks sites whose target lies in an
# SHF_ALLOC|SHF_EXECINSTR PROGBITS section.  Prints "kind entries sites in_text".
oracle() {
	python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb').read()
shoff, = struct.unpack_from('<Q', f, 0x28)
shnum, shstrndx = struct.unpack_from('<HH', f, 0x3c)
secs = []
for i in range(shnum):
    nm, ty, fl, ad, off, sz = struct.unpack_from('<IIQQQQ', f, shoff + 64 * i)
    secs.append([nm, ty, fl, ad, off, sz])
stro = secs[shstrndx][4]
def name(s):
    return f[stro + s[0]:f.index(b'\0', stro + s[0])].decode()
by = {name(s): s for s in secs}
text = [(s[3], s[3] + s[5]) for s in secs if s[1] == 1 and s[2] & 6 == 6]
def intext(a, n=1):
    return any(lo <= a and a + max(n, 1) <= hi for lo, hi in text)
def table(sec, esz, dec):
    if sec not in by:
        return
    _, _, _, ad, off, sz = by[sec]
    n = sz // esz; sites = ok = 0
    for i in range(n):
        r = dec(ad + i * esz, off + i * esz)
        if r is None:
            continue
        sites += 1; ok += intext(*r)
    print(sec, n, sites, ok)
def alt(va, o):
    io, = struct.unpack_from('<i', f, o)
    return (va + io, f[o + 10])
def para(va, o):
    p, = struct.unpack_from('<Q', f, o)
    return (p, f[o + 9])
def lock(va, o):
    x, = struct.unpack_from('<i', f, o)
    return None if x == 0 else (va + x, 1)
table('.altinstructions', 12, alt)
table('.parainstructions', 16, para)
table('.smp_locks', 4, lock)
PY
}

# static_calls: a table inside .data, bounded by symbols; nm is the oracle.
static_call_count() {
	local label=$1 v=$2 lo hi
	lo=$(nm "$v" | awk '$3 == "__start_static_call_sites" { print $1 }')
	hi=$(nm "$v" | awk '$3 == "__stop_static_call_sites" { print $1 }')
	if [ -z "$lo" ] || [ -z "$hi" ]; then
		[ "$(column static_calls entries)" = - ] &&
			pass "$label: no __start_static_call_sites, static_calls shown as -" ||
			fail "$label: static_calls row without __start_static_call_sites"
		return
	fi
	local cnt=$(((16#$hi - 16#$lo) / 8))	# not n: pass() counts in n
	[ "$(column static_calls entries)" = $cnt ] && [ "$(column static_calls sites)" = $cnt ] &&
	   [ "$(column static_calls oor)" = 0 ] &&
		pass "$label: static_calls = (__stop - __start_static_call_sites) / 8 = $cnt, all in range" ||
		fail "$label: static_calls $(column static_calls entries) != $cnt"
}

real_tests() {
	local label=$1 v=$2
	if [ ! -f "$v" ]; then
		skip "$label: scan real vmlinux" "$v not built (make kernel)"
		return
	fi
	scan "$v"
	if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ]; then
		pass "$label: scan exits 0 with no stderr"
	else
		fail "$label: scan exits $rc"; diag <"$T/err"; return
	fi
	diag <"$T/out"
	grep -qE '^kernel: +6\.1\.[0-9]+' "$T/out" &&
		pass "$label: kernel release 6.1.x read from linux_banner" ||
		fail "$label: no 6.1.x kernel line"

	local asz psz lsz
	asz=$(secfield "$v" .altinstructions size)
	psz=$(secfield "$v" .parainstructions size)
	lsz=$(secfield "$v" .smp_locks size)
	[ -n "$asz" ] && [ "$(column alternatives entries)" = $((asz / 12)) ] &&
	   [ "$(column alternatives sites)" = $((asz / 12)) ] && [ $((asz % 12)) -eq 0 ] &&
		pass "$label: alternatives = .altinstructions size $asz / 12 = $((asz / 12))" ||
		fail "$label: alternatives $(column alternatives entries) != $asz / 12"
	[ -n "$psz" ] && [ "$(column paravirt entries)" = $((psz / 16)) ] &&
	   [ "$(column paravirt sites)" = $((psz / 16)) ] &&
		pass "$label: paravirt = .parainstructions size $psz / 16 = $((psz / 16))" ||
		fail "$label: paravirt $(column paravirt entries) != $psz / 16"
	[ -n "$lsz" ] && [ "$(column smp_locks entries)" = $((lsz / 4)) ] &&
		pass "$label: smp_locks entries = .smp_locks size $lsz / 4" ||
		fail "$label: smp_locks entries $(column smp_locks entries) != $lsz / 4"

	static_call_count "$label" "$v"

	local k bad=0
	for k in paravirt retpolines returns alternatives ibt_endbr smp_locks; do
		local o sec
		o=$(column $k oor)
		sec=$(awk -v k=$k '$1 == k { print $2 }' "$T/out")
		if [ -n "$(secfield "$v" "$sec" size)" ]; then
			[ "$o" = 0 ] || bad=1
		else
			[ "$o" = - ] || bad=1	# absent section shown as "-"
		fi
	done
	[ $bad -eq 0 ] && pass "$label: every site target in range; absent tables shown as -" ||
		fail "$label: out_of_range column wrong"

	if ! command -v python3 >/dev/null; then
		skip "$label: independent decoder" "python3 missing"
	else
		oracle "$v" >"$T/oracle" 2>&1
		local sec e s i good=1
		while read -r sec e s i; do
			local kind
			case $sec in
			.altinstructions) kind=alternatives ;;
			.parainstructions) kind=paravirt ;;
			.smp_locks) kind=smp_locks ;;
			*) good=0; continue ;;
			esac
			[ "$e" = "$(column $kind entries)" ] && [ "$s" = "$(column $kind sites)" ] &&
			   [ "$s" = "$i" ] || good=0
		done <"$T/oracle"
		[ $good -eq 1 ] && [ "$(wc -l <"$T/oracle")" -eq 3 ] &&
			pass "$label: independent decoder agrees (entries, sites, all targets in text)" ||
			{ fail "$label: independent decoder disagrees"; diag <"$T/oracle"; }
	fi

	scan --json "$v"
	if [ "$rc" -eq 0 ] && command -v python3 >/dev/null; then
		python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
a = [s for s in j["sites"] if s["kind"] == "alternatives"][0]
assert j["kernel"]["release"].startswith("6.1."), j["kernel"]
assert a["entries"] == a["section_size"] // 12 == int(sys.argv[2]) // 12, a
assert all(s["out_of_range"] == 0 for s in j["sites"])
' "$T/out" "$asz" 2>"$T/err" &&
			pass "$label: --json output parses and matches" ||
			{ fail "$label: --json output"; diag <"$T/err"; }
	else
		[ "$rc" -eq 0 ] && skip "$label: --json" "python3 missing" ||
			fail "$label: --json exits $rc"
	fi
}

# The decoder against objdump over instructions in sections with sites.
decoder_tests() {
	local label=$1 v=$2 sec addr
	for sec in .altinstr_replacement .altinstr_aux .init.text .text; do
		addr=$(secfield "$v" "$sec" addr)
		[ -n "$addr" ] || continue
		objdump -d -j "$sec" --stop-address=$((addr + 3000000)) "$v" >"$T/od" 2>/dev/null
		"$INSNCHECK" "$v" "$sec" 3000000 >"$T/ic"
		python3 "$HERE/insncmp.py" "$T/od" "$T/ic" "$label $sec" >"$T/cmp" 2>&1
		case $(cat "$T/cmp") in
		"ok - "*) pass "$(sed 's/^ok - //' "$T/cmp")" ;;
		*) fail "$(sed 's/^not ok - //' "$T/cmp")" ;;
		esac
	done
}

# apply with CAPS from the image's own pv_ops and all-zero / all-one words,
# checked by tests/oracle.py; the output scans clean.
apply_real_tests() {
	local label=$1 v=$2 w
	if [ ! -f "$v" ]; then
		skip "$label: apply on real vmlinux" "$v not built (make kernel)"
		return
	fi
	if ! command -v python3 >/dev/null || ! command -v objdump >/dev/null; then
		skip "$label: apply on real vmlinux" "python3 or objdump missing"
		return
	fi
	decoder_tests "$label" "$v"
	for w in 00000000 ffffffff; do
		python3 "$HERE/oracle.py" caps "$v" $w >"$T/r$w.caps"
		"$BIN" apply --caps "$T/r$w.caps" -o "$T/r$w.out" "$v" >"$T/out" 2>"$T/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			fail "$label: apply words=$w exits $rc"; diag <"$T/err"; continue
		fi
		pass "$label: apply words=$w exits 0"
		diag <"$T/out"
		python3 "$HERE/oracle.py" check "$v" "$T/r$w.caps" "$T/r$w.out" >"$T/exp" 2>&1
		while IFS= read -r line; do
			case $line in
			"ok - "*) pass "$label: ${line#ok - }" ;;
			"not ok - "*) fail "$label: ${line#not ok - }" ;;
			*) echo "# $line" ;;
			esac
		done <"$T/exp"
		scan "$T/r$w.out"
		[ "$rc" -eq 0 ] && pass "$label: words=$w output scans clean" ||
			{ fail "$label: words=$w output scan exits $rc"; diag <"$T/err"; }
		rm -f "$T/r$w.out"
	done
}

# apply against the memory of real boots (bench/prepatch/run.sh keeps the
# stock boots' dumps, the CAPS it calibrated and the vmlinux it used).
boot_tests() {
	local w=$1 d cpu v
	if [ ! -s "$w/vmlinux.path" ] || ! ls -d "$w"/stock-*/ >/dev/null 2>&1; then
		skip "apply vs memory of a real boot ($(basename "$w"))" \
			"no boot dumps in $w (run bench/prepatch/run.sh)"
		return
	fi
	v=$(cat "$w/vmlinux.path")
	for d in "$w"/stock-*/; do
		cpu=$(basename "$d"); cpu=${cpu#stock-}
		if [ ! -f "$v" ] || [ ! -s "$w/$cpu.caps" ]; then
			skip "apply vs real boot on $cpu" "$v or $w/$cpu.caps missing"
			continue
		fi
		"$BIN" apply --caps "$w/$cpu.caps" -o "$T/boot.out" "$v" >/dev/null 2>"$T/err" ||
			{ fail "apply for $cpu exits non-zero"; diag <"$T/err"; continue; }
		python3 "$HERE/bootcmp.py" "$T/boot.out" "$d" "boot on -cpu $cpu" >"$T/exp" 2>&1
		while IFS= read -r line; do
			case $line in
			"ok - "*) pass "${line#ok - }" ;;
			"not ok - "*) fail "${line#not ok - }" ;;
			*) echo "# $line" ;;
			esac
		done <"$T/exp"
		rm -f "$T/boot.out"
	done
}

# The 6.12 layout on a real 6.12 vmlinux.
real612_tests() {
	local label=$1 v=$2 asz csz w
	if [ ! -f "$v" ]; then
		skip "$label: scan real 6.12 vmlinux" "$v not built (scripts/kernel/build.sh debug 6.12)"
		return
	fi
	scan "$v"
	if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && grep -qE '^kernel: +6\.12\.[0-9]+' "$T/out" &&
	   grep -qE '^layout: +6\.12$' "$T/out"; then
		pass "$label: scan exits 0, release 6.12.x, layout 6.12"
	else
		fail "$label: scan exits $rc"; diag <"$T/err"; diag <"$T/out"; return
	fi
	diag <"$T/out"
	asz=$(secfield "$v" .altinstructions size)
	csz=$(secfield "$v" .call_sites size)
	[ -n "$asz" ] && [ $((asz % 14)) -eq 0 ] && [ "$(column alternatives entries)" = $((asz / 14)) ] &&
		pass "$label: alternatives = .altinstructions size $asz / 14 = $((asz / 14))" ||
		fail "$label: alternatives $(column alternatives entries) != $asz / 14"
	[ -z "$(column paravirt entries)" ] && [ -z "$(secfield "$v" .parainstructions size)" ] &&
		pass "$label: no .parainstructions, no paravirt row" ||
		fail "$label: paravirt row or .parainstructions on 6.12"
	if [ -n "$csz" ]; then
		[ "$(column callthunks entries)" = $((csz / 4)) ] &&
			pass "$label: callthunks = .call_sites size $csz / 4" ||
			fail "$label: callthunks $(column callthunks entries) != $csz / 4"
	else
		[ "$(column callthunks entries)" = - ] &&
			pass "$label: no .call_sites, callthunks shown as -" ||
			fail "$label: callthunks row wrong without .call_sites"
	fi
	static_call_count "$label" "$v"
	command -v objdump >/dev/null && decoder_tests "$label" "$v"
	for w in 00000000 ffffffff; do
		python3 "$HERE/oracle.py" caps "$v" $w >"$T/r$w.caps"
		"$BIN" apply --caps "$T/r$w.caps" -o "$T/r$w.out" "$v" >"$T/out" 2>"$T/err"
		rc=$?
		if [ $w = ffffffff ] && [ -n "$csz" ]; then
			# X86_FEATURE_CALL_DEPTH is set: refused, one message, nothing written
			[ $rc -eq 2 ] && [ ! -e "$T/r$w.out" ] && grep -q "X86_FEATURE_CALL_DEPTH" "$T/err" &&
				pass "$label: words=$w (CALL_DEPTH set) refused: $(cat "$T/err")" ||
				{ fail "$label: words=$w with .call_sites: exit $rc"; diag <"$T/err"; }
			continue
		fi
		if [ $rc -ne 0 ]; then
			fail "$label: apply words=$w exits $rc"; diag <"$T/err"; continue
		fi
		diag <"$T/out"
		cp "$T/out" "$T/apply.out"
		grep -qE '^alternatives +[0-9]+ +[0-9]+ +0$' "$T/out" &&
		   ! grep -q '^paravirt' "$T/out" &&
			pass "$label: apply words=$w: 6.12 passes, alternatives without warnings" ||
			fail "$label: apply words=$w pass table"
		scan "$T/r$w.out"
		[ "$rc" -eq 0 ] && pass "$label: words=$w output scans clean" ||
			{ fail "$label: words=$w output scan exits $rc"; diag <"$T/err"; }
		[ $w = 00000000 ] && user_ptr_max_tests "$label" "$v" "$T/r$w.caps" "$T/r$w.out"
		rm -f "$T/r$w.out"
	done
}

# upm_values OUT: the distinct 8-byte immediates of OUT's runtime_const_ptr(USER_PTR_MAX) sites
upm_values() {
	python3 - "$HERE" "$1" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
from oracle import Elf
e = Elf(sys.argv[2])
ad, off, sz, _, _ = e.secs['runtime_ptr_USER_PTR_MAX']
vals = set()
for i in range(sz // 4):
    o, = struct.unpack_from('<i', e.f, off + 4 * i)
    vals.add('%016x' % struct.unpack('<Q', e.get(ad + 4 * i + o, 8))[0])
print(' '.join(sorted(vals)))
PY
}

# USER_PTR_MAX: TASK_SIZE_MAX of the CAPS' CPU in every site, 47-bit
# without LA57, 56-bit with it (the image has CONFIG_X86_5LEVEL); a site
# without the placeholder is refused.
user_ptr_max_tests() {
	local label=$1 v=$2 caps=$3 out=$4 usz l5
	usz=$(secfield "$v" runtime_ptr_USER_PTR_MAX size)
	if [ -z "$usz" ]; then
		skip "$label: USER_PTR_MAX pre-applied" "no runtime_ptr_USER_PTR_MAX in $v"
		return
	fi
	grep -qE "^user_ptr_max +$((usz / 4)) +$((usz / 4)) +0$" "$T/apply.out" &&
	[ "$(upm_values "$out")" = 00007ffffffff000 ] &&
		pass "$label: USER_PTR_MAX = (1 << 47) - 4096 in all $((usz / 4)) sites (no LA57)" ||
		fail "$label: USER_PTR_MAX without LA57: $(upm_values "$out")"
	l5=$(nm "$v" | awk '$3 == "__pgtable_l5_enabled"' | wc -l)
	sed 's/^cap 16 .*/cap 16 00010000/' "$caps" >"$T/la57.caps"
	if "$BIN" apply --caps "$T/la57.caps" -o "$T/la57.out" "$v" >/dev/null 2>"$T/err"; then
		local want=00007ffffffff000
		[ "$l5" -eq 1 ] && want=00fffffffffff000
		[ "$(upm_values "$T/la57.out")" = $want ] &&
			pass "$label: USER_PTR_MAX = $want with LA57 (CONFIG_X86_5LEVEL: $l5)" ||
			fail "$label: USER_PTR_MAX with LA57: $(upm_values "$T/la57.out"), want $want"
	else
		fail "$label: apply with LA57 exits non-zero"; diag <"$T/err"
	fi
	rm -f "$T/la57.out"
	# the first site's immediate is not the placeholder
	local uoff uaddr o
	uoff=$(secfield "$v" runtime_ptr_USER_PTR_MAX off)
	uaddr=$(secfield "$v" runtime_ptr_USER_PTR_MAX addr)
	o=$(od -An -td4 -j "$uoff" -N4 "$v" | tr -d ' ')
	cp "$v" "$T/upm"
	python3 - "$HERE" "$T/upm" $((uaddr + o)) <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
from oracle import Elf
e = Elf(sys.argv[2])
o = e.off(int(sys.argv[3]) % 2**64, 8)	# bash prints kernel addresses negative
with open(sys.argv[2], 'r+b') as f:
    f.seek(o)
    f.write(struct.pack('<Q', 0x1000))
PY
	expect_apply_bad "of a USER_PTR_MAX site without the placeholder" "$T/upm" "$caps" "$T/upm" \
		"runtime_ptr_USER_PTR_MAX entry 0: 0x$(printf %x $((uaddr + o))) holds no runtime_const_ptr() placeholder"
	rm -f "$T/upm"
}

real_tests "vmlinux" "$VMLINUX"
apply_real_tests "vmlinux" "$VMLINUX"
boot_tests "${RUND_PREPATCH_BENCH:-$HERE/../../build/prepatch-bench}"
# the 6.12 rund-guest kernel's boots (scripts/check suite prepatch-6.12, tier 3)
boot_tests "${RUND_PREPATCH_BENCH_612:-$HERE/../../build/prepatch-bench-6.12}"
real_tests "vmlinux-debug" "$VMLINUX_DEBUG"
real612_tests "vmlinux-6.12" "$VMLINUX_612"

# --- 3. bad input ----------------------------------------------------------
"$BIN" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "usage: no arguments exits 1" || fail "usage: no arguments exits $rc"
"$BIN" scan >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "usage: scan without file exits 1" || fail "usage: scan without file exits $rc"
"$BIN" frobnicate x >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && pass "usage: unknown command exits 1" || fail "usage: unknown command exits $rc"

printf 'hello, this is not a kernel\n' >"$T/text"
expect_bad "text file" "$T/text" "not an ELF file"
: >"$T/empty"
expect_bad "empty file" "$T/empty" "not an ELF file"
expect_bad "missing file" "$T/nonexistent" "cannot open: No such file or directory"
expect_bad "directory" "$T" "not a regular file"
"$MKELF" elf32 "$T/elf32" &&
	expect_bad "32-bit ELF" "$T/elf32" "not a 64-bit ELF file (class ELFCLASS32)"
"$MKELF" bigend "$T/bigend" &&
	expect_bad "big-endian ELF64" "$T/bigend" "not a little-endian ELF file"
"$MKELF" arm64 "$T/arm64" &&
	expect_bad "aarch64 ELF64" "$T/arm64" "not an x86-64 ELF file (e_machine 183)"
"$MKELF" dyn "$T/dyn" &&
	expect_bad "x86-64 ET_DYN" "$T/dyn" "ELF type is ET_DYN"
printf 'int f(void) { return 1; }\n' >"$T/obj.c"
if cc -c -o "$T/obj.o" "$T/obj.c" 2>/dev/null; then
	expect_bad "x86-64 object file (ET_REL)" "$T/obj.o" "need ET_EXEC (vmlinux)"
else
	skip "x86-64 object file (ET_REL)" "cc -c failed"
fi

if [ ! -f "$VMLINUX" ]; then
	for t in truncated-4k truncated-tail section-past-eof no-altinstructions \
		 odd-altinstructions stripped alt-out-of-range alt-repl-out-of-range \
		 para-out-of-range \
		 version-6.2 version-6.12-relabelled; do
		skip "$t" "$VMLINUX not built (make kernel)"
	done
else
	head -c 4096 "$VMLINUX" >"$T/trunc4k"
	expect_bad "first 4 KiB of vmlinux" "$T/trunc4k" \
		"truncated: section header table ends at byte"
	sz=$(stat -c %s "$VMLINUX")
	head -c $((sz - 100)) "$VMLINUX" >"$T/trunctail"
	expect_bad "vmlinux missing its last 100 bytes" "$T/trunctail" \
		"truncated: section header table ends at byte $sz, file has $((sz - 100)) bytes"

	# Section header of .altinstructions claims more bytes than the file has.
	cp "$VMLINUX" "$T/bigsec"
	shoff=$(readelf -hW "$VMLINUX" | awk -F: '/Start of section headers/ { print $2 + 0 }')
	idx=$(readelf -SW "$VMLINUX" | sed -n 's/^ *\[ *\([0-9]*\)\] *\.altinstructions .*/\1/p')
	poke "$T/bigsec" $((shoff + 64 * idx + 32)) 8 $((sz))
	expect_bad "section extends past end of file" "$T/bigsec" \
		"truncated section .altinstructions: bytes"
	rm -f "$T/bigsec"

	objcopy --remove-section .altinstructions "$VMLINUX" "$T/noalt" &&
		expect_bad "vmlinux without .altinstructions" "$T/noalt" \
			"missing section .altinstructions"
	rm -f "$T/noalt"
	head -c 18 /dev/zero >"$T/18"
	objcopy --update-section .altinstructions="$T/18" "$VMLINUX" "$T/odd" &&
		expect_bad ".altinstructions of 18 bytes" "$T/odd" \
			"truncated section .altinstructions: size 18 is not a multiple of the 12-byte entry"
	rm -f "$T/odd"
	objcopy --strip-all "$VMLINUX" "$T/stripped" &&
		expect_bad "stripped vmlinux" "$T/stripped" "no symbol table (.symtab)"
	rm -f "$T/stripped"

	# alt_instr #5: instr_offset pointing 2 GiB away.
	cp "$VMLINUX" "$T/altoor"
	aoff=$(secfield "$VMLINUX" .altinstructions off)
	aaddr=$(secfield "$VMLINUX" .altinstructions addr)
	poke "$T/altoor" $((aoff + 5 * 12)) 4 $((0x7fffff00))
	expect_bad "alt_instr with target outside text" "$T/altoor" \
		"entry out of range: .altinstructions entry 5 (at 0x$(printf %x $((aaddr + 60))))"
	# first alt_instr with a replacement: replacement moved into .rodata
	cp "$VMLINUX" "$T/altrepl"
	rodata=$(secfield "$VMLINUX" .rodata addr)
	r=0
	while [ "$(od -An -tu1 -j $((aoff + r * 12 + 11)) -N1 "$VMLINUX" | tr -d ' ')" = 0 ]; do
		r=$((r + 1))
	done
	poke "$T/altrepl" $((aoff + r * 12 + 4)) 4 $((rodata - (aaddr + r * 12 + 4)))
	expect_bad "alt_instr with replacement outside text" "$T/altrepl" \
		"entry $r (at 0x$(printf %x $((aaddr + r * 12)))): replacement not inside an executable section"
	rm -f "$T/altoor" "$T/altrepl"

	# paravirt_patch_site #3: instr = .rodata start
	cp "$VMLINUX" "$T/paraoor"
	poff=$(secfield "$VMLINUX" .parainstructions off)
	poke "$T/paraoor" $((poff + 3 * 16)) 8 "$rodata"
	expect_bad "paravirt site pointing into .rodata" "$T/paraoor" \
		"entry out of range: .parainstructions entry 3"
	rm -f "$T/paraoor"

	# linux_banner "Linux version 6.1." -> "Linux version 6.2."
	cp "$VMLINUX" "$T/v62"
	bva=$((16#$(readelf -sW "$VMLINUX" | awk '$8 == "linux_banner" { print $2; exit }')))
	roff=$(secfield "$VMLINUX" .rodata off)
	boff=$((bva - rodata + roff))
	if [ "$(dd if="$VMLINUX" bs=1 skip=$boff count=18 status=none)" = "Linux version 6.1." ]; then
		printf '2' | dd of="$T/v62" bs=1 seek=$((boff + 16)) conv=notrunc status=none
		expect_bad "kernel version 6.2" "$T/v62" \
			"kernel version 6.2.$(dd if="$VMLINUX" bs=1 skip=$((boff + 18)) count=3 status=none)"
		# "6.1.1xx" -> "6.12.xx": a 6.1 image that says it is 6.12
		cp "$VMLINUX" "$T/v612"
		printf '2.' | dd of="$T/v612" bs=1 seek=$((boff + 17)) conv=notrunc status=none
		expect_bad "6.1 image with a 6.12 banner" "$T/v612" \
			"unknown boot-patching layout: a 6.12 kernel with .parainstructions"
	else
		fail "linux_banner not found at file offset $boff"
	fi
	rm -f "$T/v62" "$T/v612"
fi

echo "1..$n"
[ $fails -eq 0 ] || echo "# $fails of $n tests failed"
[ $fails -eq 0 ]
