#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""insncmp.py OBJDUMP_OUT INSNCHECK_OUT LABEL - compare instruction
lengths: objdump -d (the oracle) vs rund-prepatch's decoder, on the
addresses both sweeps reach.  Instructions objdump cannot decode
("(bad)") and the sweep after them are resynchronised by address.
objdump shows FWAIT (9b) merged with the x87 instruction after it
(e.g. "finit"); the kernel decoder, like ours, sees FWAIT alone: skipped."""
import re
import sys

ob = {}
cur = None
for line in open(sys.argv[1]):
    m = re.match(r'^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$', line)
    if m:
        a, nbytes, text = int(m.group(1), 16), len(m.group(2).split()), m.group(3)
        if text.strip() == '':          # continuation line of a long insn
            if cur is not None:
                ob[cur] += nbytes
            continue
        cur = a
        first = m.group(2).split()[0]
        ob[a] = nbytes if '(bad)' not in text and first != '9b' else None
        continue
    m = re.match(r'^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*$', line)
    if m and cur is not None:
        ob[cur] += len(m.group(2).split())
if ob:                                  # cut by --stop-address
    end = max(ob)
    ob = {a: n for a, n in ob.items() if a < end - 16}
mine = {}
for line in open(sys.argv[2]):
    a, n = line.split()
    mine[int(a, 16)] = None if n == 'bad' else int(n)
both = [a for a in mine if a in ob and ob[a] is not None]
diff = [a for a in both if mine[a] != ob[a]]
good = len(both) > 0 and not diff
print('%s - decoder vs objdump on %s: %d instructions agree%s' % (
    'ok' if good else 'not ok', sys.argv[3], len(both) - len(diff),
    '' if good else ', %d differ, first at %x (objdump %s, ours %s)' % (
        len(diff), diff[0], ob[diff[0]], mine[diff[0]]) if diff else ''))
sys.exit(0 if good else 1)
