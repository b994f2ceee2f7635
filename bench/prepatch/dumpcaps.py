#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""dumpcaps.py VMLINUX DUMPDIR > CAPS - a CAPS file (prepatch-tool/caps.h)
read from the guest memory qboot.py saved after a boot of VMLINUX on the
CPU model to pre-patch for.  For images without patches/guest (a stock
distro or Kata kernel), which print no calibrate line.

Read from memory: boot_cpu_data.x86_capability (offset from the image's BTF
through pahole), every pv_ops slot (named by the image's symbols) and
x86_return_thunk.  These are the values after boot, not at
alternative_instructions(); a bit that changes in between shows up as a
text difference in the proof (bootcmp.py, diff.py), not silently.
lock: smp (qboot.py boots 2 vCPUs)."""
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diff import load  # noqa: E402

NWORDS = 24     # NCAPINTS + NBUGINTS, 6.1 and 6.12
NCAPINTS = 22


def nm(path):
    """name -> (address, size) and a sorted address list for naming."""
    out = subprocess.run(['nm', '-S', path], capture_output=True, text=True,
                         check=True).stdout
    by_name, funcs = {}, []
    for line in out.split('\n'):
        p = line.split()
        if len(p) == 4:
            by_name.setdefault(p[3], (int(p[0], 16), int(p[1], 16)))
            if p[2] in 'tT':
                funcs.append((int(p[0], 16), p[3]))
        elif len(p) == 3:
            by_name.setdefault(p[2], (int(p[0], 16), 0))
            if p[1] in 'tT':
                funcs.append((int(p[0], 16), p[2]))
    funcs.sort()
    return by_name, funcs


def cap_offset(path):
    out = subprocess.run(['pahole', '-C', 'cpuinfo_x86', path], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r'x86_capability\[(\d+)\];\s*/\*\s*(\d+)', out)
    if not m or int(m.group(1)) != NWORDS:
        sys.exit('dumpcaps: %s: no x86_capability[%d] in struct cpuinfo_x86' % (path, NWORDS))
    return int(m.group(2))


def reader(vmlinux, dumpdir):
    f, secs, segs = load(vmlinux)
    mem = [(va, open('%s/seg%d.bin' % (dumpdir, i), 'rb').read()) for i, off, va, fsz in segs]

    def read(va, n):
        for base, m in mem:
            if base <= va and va + n <= base + len(m):
                return m[va - base:va - base + n]
        sys.exit('dumpcaps: 0x%x (+%d) is not in the saved memory' % (va, n))
    return read


def name(funcs, va):
    """SYMBOL or SYMBOL+0xOFF for a function address."""
    lo, hi = 0, len(funcs)
    while lo < hi:
        mid = (lo + hi) // 2
        if funcs[mid][0] <= va:
            lo = mid + 1
        else:
            hi = mid
    if not lo:
        sys.exit('dumpcaps: no function symbol at or below 0x%x' % va)
    a, n = funcs[lo - 1]
    return n if a == va else '%s+0x%x' % (n, va - a)


def main():
    vmlinux, dumpdir = sys.argv[1:3]
    syms, funcs = nm(vmlinux)
    read = reader(vmlinux, dumpdir)
    banner = read(syms['linux_banner'][0], 256).split(b'\0')[0].decode()
    words = struct.unpack('<%dI' % NWORDS,
                          read(syms['boot_cpu_data'][0] + cap_offset(vmlinux), 4 * NWORDS))
    print('rund-prepatch-caps 1')
    print('# from the memory of a boot of %s (dumpcaps.py)' % os.path.basename(vmlinux))
    print('kernel %s' % banner.split()[2])
    for i, w in enumerate(words):
        kind, n = ('cap', i) if i < NCAPINTS else ('bug', i - NCAPINTS)
        print('%s %d %08x' % (kind, n, w))
    print('lock smp')
    pva, psz = syms['pv_ops']
    for slot, v in enumerate(struct.unpack('<%dQ' % (psz // 8), read(pva, psz))):
        print('pv %d %s' % (slot, name(funcs, v) if v else 'null'))
    if 'x86_return_thunk' in syms:
        rt, = struct.unpack('<Q', read(syms['x86_return_thunk'][0], 8))
        print('return_thunk %s' % name(funcs, rt))


if __name__ == '__main__':
    main()
