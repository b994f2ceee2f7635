#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bootcmp.py OUT DUMPDIR LABEL - rund-prepatch's output against a real
boot: DUMPDIR holds the guest memory (bench/prepatch/qboot.py: segN.bin per
PT_LOAD of the same vmlinux, booted with nokaslr on the CPU the CAPS came
from).  For every site of every kind the kernel patched at boot, the
bytes in OUT must equal the bytes in guest memory.  Sites overlapping a
static_call or jump_label site (rewritten later at boot) are not compared.
Prints ok/not ok lines."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import Elf  # noqa: E402


def main():
    out, dumpdir, label = sys.argv[1:4]
    o = Elf(out)
    f = o.f
    phoff, = struct.unpack_from('<Q', f, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', f, 0x36)
    mem = []
    for i in range(phnum):
        ty, fl, off, va, pa, fsz, msz, al = struct.unpack_from('<IIQQQQQQ', f, phoff + i * phentsize)
        if ty == 1 and fsz:
            mem.append((va, open('%s/seg%d.bin' % (dumpdir, i), 'rb').read()))

    def m(va, n):
        for a, b in mem:
            if a <= va and va + n <= a + len(b):
                return b[va - a:va - a + n]
        raise KeyError(hex(va))

    later = set()
    for start, stop, esz, n in (('__start___jump_table', '__stop___jump_table', 16, 5),
                                ('__start_static_call_sites', '__stop_static_call_sites', 8, 5)):
        if start in o.sym:
            a = o.sym[start]
            for i in range((o.sym[stop] - a) // esz):
                d, = struct.unpack('<i', o.get(a + i * esz, 4))
                later.update(range(a + i * esz + d, a + i * esz + d + n))
    ib, ie = o.sym['__init_begin'], o.sym['__init_end']
    alt = o.alt_format()
    sites = {'alternatives': []}
    for va, e in o.table('.altinstructions', struct.calcsize(alt)):
        io, ro, ft, ln, rl = struct.unpack(alt, e)
        sites['alternatives'].append((va + io, ln))
    if o.table('.parainstructions', 16):   # 6.1; 6.12 patches paravirt as alternatives
        sites['paravirt'] = []
        for va, e in o.table('.parainstructions', 16):
            a, t, ln = struct.unpack_from('<QBB', e)
            sites['paravirt'].append((a, ln))
    bad = 0
    for kind, lst in sites.items():
        same = skipped = differ = 0
        first = None
        for a, ln in lst:
            if ib <= a < ie or any(x in later for x in range(a, a + ln)):
                skipped += 1       # freed after boot, or rewritten later
                continue
            if o.get(a, ln) == m(a, ln):
                same += 1
                continue
            differ += 1
            if first is None:
                first = '%x: out %s, boot %s' % (a, o.get(a, ln).hex(), m(a, ln).hex())
        good = first is None and same > 0
        bad += not good
        print('%s - %s: %s sites equal the memory of a real boot (%d of %d compared, %d skipped)%s' % (
            'ok' if good else 'not ok', label, kind, same, same + differ, skipped,
            '' if good else '; first difference ' + first))
    return 1 if bad else 0


sys.exit(main())
