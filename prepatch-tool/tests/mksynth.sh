#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mksynth.sh SRC.S OUT - assemble and link the synthetic vmlinux (an
# ET_EXEC at the x86-64 kernel address, like vmlinux) with gcc and ld.
set -e
obj=$(mktemp /tmp/rund-synth.XXXXXX.o)
trap 'rm -f "$obj"' EXIT
${CC:-cc} -c -o "$obj" "$1"
ld -m elf_x86_64 -static -nostdlib -z noexecstack -z max-page-size=4096 \
	-Ttext=0xffffffff81000000 -e 0 -o "$2" "$obj"
