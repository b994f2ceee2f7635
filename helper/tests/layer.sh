#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/layer.sh BIN DIR [reflink]: rund-layer in directory DIR. TAP on stdout.
#
# Where DIR cannot reflink (the host's ext4, `make -C helper check`): arguments and their named
# errors, the refusal to clone where the filesystem cannot reflink, and --copy's full copy.
# With "reflink" (XFS with reflink=1 in a guest, selftests/plans/layer-xfs.plan): the layer
# is a reflink (making it takes no space), is unnamed (no entry in DIR, link count 0), reads
# as the template, takes the space its writes need and gives all of it back when the
# command exits; the template never changes; spread's copies are reflinks too.
bin=$1
dir=$2
mode=${3:-}
. "$(dirname "$0")/../../scripts/lib/tap-cli.sh"

t=$dir/template
dd if=/dev/urandom of="$t" bs=1M count=16 2>/dev/null
sum=$(cksum <"$t")
entries() { ls -A "$dir" | wc -l; }
# free blocks of DIR's filesystem, after the space of closed unnamed files came back
free_blocks() {
	sync
	stat -f -c %f "$dir"
}
# wait until free_blocks reaches $1 - $2 (XFS frees unlinked inodes in the background)
settled() {
	i=0
	while [ "$(free_blocks)" -lt $(($1 - $2)) ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	free_blocks
}
# no mode given: what DIR's filesystem does (coreutils cp; a host on XFS or btrfs reflinks)
if [ -z "$mode" ] && cp --reflink=always "$t" "$t.probe" 2>/dev/null; then
	mode=reflink
fi
rm -f "$t.probe"
bsize=$(stat -f -c %S "$dir")
mib=$((1048576 / bsize))
n0=$(entries)

echo "TAP version 13"
if [ "$mode" != reflink ]; then
	echo "1..18"
	expect 2 "want a TEMPLATE" "no template" --
	expect 2 "want -- COMMAND after TEMPLATE" "no command" -- "$t"
	expect 2 "--fd: 'x' is not a number" "bad --fd named" -- --fd x "$t" -- true
	expect 2 "--fd: 1 is stdin, stdout or stderr" "--fd below 3 refused" -- --fd 1 "$t" -- true
	expect 2 "--spread: want 1 or more" "--spread 0 refused" -- --spread 0 "$t" -- true
	expect 2 "--send: no COMMAND" "--send with a command refused" -- --send /x "$t" -- true
	expect 2 "unknown option '--frob'" "unknown option named" -- --frob "$t" -- true
	expect 2 "--fd: wants a value" "an option without its value named" -- --fd
	expect 2 "spread N: want 1 or more copies" "spread 0 refused" -- spread "$t" 0
	expect 1 "$dir/absent: No such file" "missing template named" -- "$dir/absent" -- true
	expect 1 "cannot reflink it \(FICLONE: .*\); --copy copies every byte instead" \
		"no reflink: refused, --copy named" -- "$t" -- true
	expect 1 "cannot reflink" "spread refuses too" -- spread "$t" 2
	expect 0 "^$sum 0$" "--copy: reads as the template, unnamed (link count 0)" -- \
		--copy "$t" -- sh -c 'echo "$(cksum </proc/self/fd/3) $(stat -L -c %h /proc/self/fd/3)"'
	expect 0 "^$sum 0$" "--copy --no-tmpfile: the same" -- --copy --no-tmpfile "$t" -- \
		sh -c 'echo "$(cksum </proc/self/fd/3) $(stat -L -c %h /proc/self/fd/3)"'
	expect 0 "layer of $t in [0-9.]+ us \(full copy, O_TMPFILE\)" "--time labels a full copy" -- \
		--copy --time "$t" -- true
	# --send: a listener receives the fd (SCM_RIGHTS) and reads the template's bytes; its
	# socket gets its name only once it listens
	sock=$dir/sock
	python3 - "$sock" "$t" >"$dir/recv.out" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1] + ".new"); s.listen(1)
os.rename(sys.argv[1] + ".new", sys.argv[1])
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1, 1)
same = os.pread(fds[0], 1 << 25, 0) == open(sys.argv[2], "rb").read()
print(f"got {msg!r} same={same} nlink={os.fstat(fds[0]).st_nlink}")
PY
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	listener=$!
	"$bin" --copy --send "$sock" "$t" >"$dir/send.out" 2>&1 || kill "$listener" 2>/dev/null
	wait "$listener"
	grep -q "got b'L' same=True nlink=0" "$dir/recv.out"
	ok $? "--send: the listener gets the fd, reading as the template, unnamed"
	sed 's/^/#   /' "$dir/send.out"
	rm -f "$dir/send.out"
	rm -f "$sock" "$dir/recv.out"
	expect 1 "--send $dir/nosock: No such file" "--send to no listener named" -- \
		--copy --send "$dir/nosock" "$t"
	ok $([ "$(entries)" = "$n0" ] && [ "$(cksum <"$t")" = "$sum" ] && echo 0 || echo 1) \
		"nothing left in $dir, template unchanged"
	rm -f "$t"
	exit $failed
fi

echo "1..9"
expect 0 "layer of $t in [0-9.]+ us \(reflink, O_TMPFILE\)" "a reflink, O_TMPFILE" -- \
	--time "$t" -- true
expect 0 "^$sum 0$" "reads as the template, unnamed (link count 0)" -- \
	"$t" -- sh -c 'echo "$(cksum </proc/self/fd/3) $(stat -L -c %h /proc/self/fd/3)"'
f0=$(settled "$(free_blocks)" 0)
# the command: free blocks with the layer made, then after writing 8 MiB into it
res=$("$bin" "$t" -- sh -c "sync; stat -f -c %f '$dir';
	dd if=/dev/zero of=/proc/self/fd/3 bs=1M count=8 conv=notrunc,fsync 2>/dev/null;
	stat -f -c %f '$dir'")
f1=$(echo "$res" | sed -n 1p)
f2=$(echo "$res" | sed -n 2p)
f3=$(settled "$f0" "$mib")
echo "# free blocks of $bsize bytes: before $f0, layer made $f1, 8 MiB written $f2, after exit $f3"
ok $([ $((f0 - f1)) -lt "$mib" ] && echo 0 || echo 1) "making the layer took < 1 MiB"
ok $([ $((f1 - f2)) -ge $((8 * mib)) ] && echo 0 || echo 1) "8 MiB written took >= 8 MiB"
ok $([ $((f0 - f3)) -lt "$mib" ] && echo 0 || echo 1) "all of it back after the command exits"
ok $([ "$(cksum <"$t")" = "$sum" ] && [ "$(entries)" = "$n0" ] && echo 0 || echo 1) \
	"template unchanged, nothing left in $dir"
expect 0 "4 copies" "spread: 4 copies" -- spread "$t" 4
expect 0 "layer of $t\.[0-3] in [0-9.]+ us \(reflink" "--spread clones one of the copies" -- \
	--spread 4 --time "$t" -- true
f4=$(settled "$f0" 0)
ok $([ "$(cksum <"$t.3")" = "$sum" ] && [ $((f0 - f4)) -lt "$mib" ] && echo 0 || echo 1) \
	"the copies read as the template and take < 1 MiB together"
rm -f "$t" "$t".*
exit $failed
