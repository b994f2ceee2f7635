#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KDIR OUTDIR: build rund_cgpool.ko against KDIR in a private copy of the
# sources (OUTDIR), so modules for several kernels can coexist; prints the .ko path and
# writes OUTDIR/expect-backend (fast when KDIR's kernel has CONFIG_CGROUP_RUND, else compat).
# RUND_FAULT_INJECT=y in the environment builds the test variant (module/fault.h: the
# "fault", "attach_delay_ms", "busy_delay_ms" and "idle_delay_ms" parameters), as make
# check does.
set -euo pipefail

kdir=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
[ -e "$kdir/.config" ] || [ -e "$kdir/include/config/auto.conf" ] ||
	{ echo "build-module: '$kdir' is not a configured kernel build dir" >&2; exit 1; }

rsync -a --delete --exclude '*.o' --exclude '*.ko' "$top/Kbuild" "$top/module" "$out/"
[ -d "$top/include" ] && rsync -a --delete "$top/include" "$out/"
make -s -C "$kdir" M="$out" ${RUND_FAULT_INJECT:+RUND_FAULT_INJECT=$RUND_FAULT_INJECT} modules >&2
if grep -qs '^CONFIG_CGROUP_RUND=y' "$kdir/.config" "$kdir/include/config/auto.conf"; then
	echo fast >"$out/expect-backend"
else
	echo compat >"$out/expect-backend"
fi
echo "$out/module/rund_cgpool.ko"
