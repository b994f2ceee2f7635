#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# module_load.sh: rund_cgpool.ko loads on the guest kernel, reports the backend its build
# chose (the check driver writes the expected one to /rund/expect-backend from the KDIR's
# .config), and unloads cleanly. TAP output, exit 1 on any failure.

ko=/rund/modules/rund_cgpool.ko
want=$(cat /rund/expect-backend 2>/dev/null)
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
	fi
}

echo "TAP version 13"
echo "1..5"
insmod "$ko"
result $? "insmod $(basename "$ko")"
[ -d /sys/module/rund_cgpool ]
result $? "module visible in /sys/module"
have=$(cat /sys/module/rund_cgpool/parameters/backend 2>/dev/null)
echo "# backend: have '$have', want '$want'"
[ -n "$want" ] && [ "$have" = "$want" ]
result $? "backend matches the kernel's config"
rmmod rund_cgpool
result $? "rmmod"
[ ! -d /sys/module/rund_cgpool ] && dmesg | grep -q 'rund_cgpool: unloaded'
result $? "module gone after rmmod"
exit $failed
