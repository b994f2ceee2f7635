#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""diff.py VMLINUX DUMPDIR - compare the guest memory saved by qboot.py
with the image file.  Prints one line of key=value fields:
text_bytes/text_pages: kernel text (executable sections, outside
__init_begin..__init_end, which is freed after boot) that differs;
rodata_bytes/rodata_pages: read-only data (allocated, not writable, not
executable, outside init; .smp_locks is freed after an SMP boot);
other_text_bytes/other_text_pages: differing text bytes outside the
allow-list of runtime text changes that rund-prepatch cannot make final:
  jump_label    __jump_table sites (static keys flipped during boot)
  static_call   .static_call_sites and __SCT__ trampolines: rund-prepatch
                writes what static_call_init() would, a static_call_update()
                later in the boot rewrites them
  runtime_const runtime_ptr_* / runtime_shift_* sites (6.12: the dentry hash
                table's address and shift, USER_PTR_MAX, known only at boot)
  ftrace        __mcount_loc sites: ftrace_init() turns each "call __fentry__"
                into a NOP unless the build did (FTRACE_MCOUNT_USE_CC, as in
                Debian's kernels); reported apart, never pre-applied, because
                ftrace_init() refuses a site that is not the call it expects
An allow-listed class wins over a patch-site class for the same byte: what
the later writer leaves is what stays.
Per-section and per-class detail follows on stderr.  Pages are 4 KiB
pages of the kernel's virtual address space."""
import struct
import sys


def load(path):
    f = open(path, 'rb').read()
    shoff, = struct.unpack_from('<Q', f, 0x28)
    shnum, shstr = struct.unpack_from('<HH', f, 0x3c)
    raw = [struct.unpack_from('<IIQQQQ', f, shoff + 64 * i) for i in range(shnum)]
    so = raw[shstr][4]
    secs = []
    for nm, ty, fl, ad, off, sz in raw:
        name = f[so + nm:f.index(b'\0', so + nm)].decode()
        if ty == 1 and fl & 2 and sz:
            secs.append((name, fl, ad, off, sz))
    phoff, = struct.unpack_from('<Q', f, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', f, 0x36)
    segs = []
    for i in range(phnum):
        ty, fl, off, va, pa, fsz, msz, al = struct.unpack_from('<IIQQQQQQ', f, phoff + i * phentsize)
        if ty == 1 and fsz:
            segs.append((i, off, va, fsz))
    return f, secs, segs


def symbols(path):
    import subprocess
    out = subprocess.run(['nm', path], capture_output=True, text=True).stdout
    s = {}
    for line in out.split('\n'):
        p = line.split()
        if len(p) == 3:
            s.setdefault(p[2], int(p[0], 16))
    return s


def release(f, secs, sym):
    """(major, minor) from linux_banner."""
    a = sym['linux_banner']
    for n, fl, ad, off, sz in secs:
        if ad <= a < ad + sz:
            b = f[off + a - ad:off + a - ad + 64].split(b'\0')[0].decode()
            major, minor = b.split()[2].split('.')[:2]
            return int(major), int(minor.split('-')[0].split('+')[0])
    return 0, 0


def table(f, secs, name, esz):
    for n, fl, ad, off, sz in secs:
        if n == name:
            return [(ad + i * esz, f[off + i * esz:off + (i + 1) * esz]) for i in range(sz // esz)]
    return []


def range_entries(f, secs, sym, start, stop, esz):
    """Table between two linker symbols (it may sit inside .data/.init.data)."""
    if start not in sym or stop not in sym:
        return []
    a, b = sym[start], sym[stop]
    for n, fl, ad, off, sz in secs:
        if ad <= a and b <= ad + sz:
            o = off + a - ad
            return [(a + i * esz, f[o + i * esz:o + (i + 1) * esz]) for i in range((b - a) // esz)]
    return []


def classes(f, secs, sym):
    """address -> class for every byte boot-time code may legitimately rewrite."""
    cls = {}

    def mark(a, n, c):
        for k in range(n):
            if c in ALLOWED:
                cls[a + k] = c
            else:
                cls.setdefault(a + k, c)
    # struct alt_instr: 12 bytes in 6.1, 14 since 6.3 (u32 ft_flags)
    alt = '<iiHBB' if release(f, secs, sym) < (6, 3) else '<iiIBB'
    for va, e in table(f, secs, '.altinstructions', struct.calcsize(alt)):
        io, ro, ft, ln, rl = struct.unpack(alt, e)
        mark(va + io, ln, 'alternatives')
    for va, e in table(f, secs, '.parainstructions', 16):
        a, t, ln = struct.unpack_from('<QBB', e)
        mark(a, ln, 'paravirt')
    for sec, n, c in (('.retpoline_sites', 6, 'retpolines'), ('.return_sites', 5, 'returns'),
                      ('.ibt_endbr_seal', 4, 'ibt_endbr'), ('.smp_locks', 1, 'smp_locks')):
        for va, e in table(f, secs, sec, 4):
            o, = struct.unpack('<i', e)
            if o:
                mark(va + o, n, c)
    for va, e in range_entries(f, secs, sym, '__start___jump_table', '__stop___jump_table', 16):
        o, = struct.unpack_from('<i', e)
        mark(va + o, 5, 'jump_label')
    for va, e in range_entries(f, secs, sym, '__start_static_call_sites',
                               '__stop_static_call_sites', 8):
        o, = struct.unpack_from('<i', e)
        mark(va + o, 5, 'static_call')
    for n, a in sym.items():
        if n.startswith('__SCT__'):
            mark(a, 8, 'static_call')
    for n, fl, ad, off, sz in secs:
        for prefix, width in (('runtime_ptr_', 8), ('runtime_shift_', 1)):
            if n.startswith(prefix):
                for va, e in table(f, secs, n, 4):
                    o, = struct.unpack('<i', e)
                    mark(va + o, width, 'runtime_const')
    for va, e in range_entries(f, secs, sym, '__start_mcount_loc', '__stop_mcount_loc', 8):
        a, = struct.unpack('<Q', e)
        mark(a, 5, 'ftrace')
    return cls


ALLOWED = ('jump_label', 'static_call', 'runtime_const', 'ftrace')


def main():
    vmlinux, dumpdir = sys.argv[1], sys.argv[2]
    f, secs, segs = load(vmlinux)
    sym = symbols(vmlinux)
    ib, ie = sym['__init_begin'], sym['__init_end']
    mem = {}
    for i, off, va, fsz in segs:
        mem[i] = (va, open('%s/seg%d.bin' % (dumpdir, i), 'rb').read())
    totals = {'text': [0, set()], 'rodata': [0, set()], 'other': [0, set()]}
    cls = classes(f, secs, sym)
    per = {}
    for name, fl, ad, off, sz in secs:
        if ib <= ad < ie or name == '.smp_locks':
            continue
        kind = 'text' if fl & 4 else ('rodata' if not fl & 1 else None)
        if kind is None:
            continue
        seg = [(va, m) for va, m in mem.values() if va <= ad and ad + sz <= va + len(m)]
        if not seg:
            continue
        va, m = seg[0]
        a, b = f[off:off + sz], m[ad - va:ad - va + sz]
        nb, pages = 0, set()
        for k in range(sz):
            if a[k] != b[k]:
                nb += 1
                pages.add((ad + k) >> 12)
                if kind == 'text':
                    c = cls.get(ad + k, 'other')
                    per[c] = per.get(c, 0) + 1
                    if c not in ALLOWED:
                        totals['other'][0] += 1
                        totals['other'][1].add((ad + k) >> 12)
        if nb:
            print('%-28s %-6s %8d bytes %5d pages differ' % (name, kind, nb, len(pages)),
                  file=sys.stderr)
        totals[kind][0] += nb
        totals[kind][1] |= pages
    for c, n in sorted(per.items()):
        print('class %-14s %8d text bytes differ%s' % (
            c, n, ' (allow-listed)' if c in ALLOWED else ''), file=sys.stderr)
    print('text_bytes=%d text_pages=%d rodata_bytes=%d rodata_pages=%d '
          'other_text_bytes=%d other_text_pages=%d' % (
              totals['text'][0], len(totals['text'][1]),
              totals['rodata'][0], len(totals['rodata'][1]),
              totals['other'][0], len(totals['other'][1])))


if __name__ == '__main__':
    main()
