#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-config.sh CONFIG FRAGMENT...
# Fail when a symbol a fragment sets (=y/=m/=value or "is not set") did not survive
# olddefconfig: a typo or an unmet dependency would otherwise silently build the wrong kernel.
# Later fragments override earlier ones, as merge_config.sh does.
set -euo pipefail

config=$1
shift
declare -A want=()
for frag in "$@"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) want[${line%%=*}]=${line#*=} ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			want[${sym%% *}]=n
			;;
		esac
	done <"$frag"
done

bad=0
for sym in "${!want[@]}"; do
	have=$(grep -E "^$sym=" "$config" | head -1 | cut -d= -f2- || true)
	[ -n "$have" ] || have=n
	if [ "$have" != "${want[$sym]}" ]; then
		echo "check-config: $sym wanted ${want[$sym]}, got $have" >&2
		bad=1
	fi
done
exit $bad
