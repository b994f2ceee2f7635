#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""oracle.py caps VMLINUX WORD > CAPS
       write a CAPS file: every cap/bug word = WORD (hex), pv_ops slots as
       initialised in the image's pv_ops (the native targets), lock smp;
       the slots .parainstructions uses (6.1), or all of them (6.12).
   oracle.py check VMLINUX CAPS OUT
       independent re-implementation of Linux 6.1 static_call_init(),
       apply_paravirt() and apply_alternatives() (CALL fix-up, recompute_jump(), 0x90 padding)
       in Python; compares with rund-prepatch's OUT.  optimize_nops() needs
       an instruction decoder, so a run of >= 2 0x90 bytes the oracle
       leaves in a site may appear in OUT either unchanged or as the
       add_nops() encoding of the whole run (the decoder itself is checked
       against objdump separately).  Every other byte of every allocated
       section must be equal.  Prints ok/not ok lines."""
import hashlib
import struct
import subprocess
import sys

NOPS = [b'', b'\x90', b'\x66\x90', b'\x0f\x1f\x00', b'\x0f\x1f\x40\x00',
        b'\x0f\x1f\x44\x00\x00', b'\x66\x0f\x1f\x44\x00\x00',
        b'\x0f\x1f\x80\x00\x00\x00\x00', b'\x0f\x1f\x84\x00\x00\x00\x00\x00']


def add_nops(n):
    out = b''
    while n > 0:
        k = min(n, 8)
        out += NOPS[k]
        n -= k
    return out


class Elf:
    def __init__(self, path):
        self.f = bytearray(open(path, 'rb').read())
        shoff, = struct.unpack_from('<Q', self.f, 0x28)
        shnum, shstr = struct.unpack_from('<HH', self.f, 0x3c)
        raw = [struct.unpack_from('<IIQQQQ', self.f, shoff + 64 * i) for i in range(shnum)]
        so = raw[shstr][4]
        self.secs = {}
        self.alloc = []
        for nm, ty, fl, ad, off, sz in raw:
            name = self.f[so + nm:self.f.index(b'\0', so + nm)].decode()
            self.secs[name] = (ad, off, sz, ty, fl)
            if fl & 2 and ty != 8:
                self.alloc.append((ad, off, sz))
        self.sym = {}
        out = subprocess.run(['nm', path], capture_output=True, text=True).stdout
        for line in out.split('\n'):
            p = line.split()
            if len(p) == 3:
                self.sym.setdefault(p[2], int(p[0], 16))
        self.name_at = {}
        for n, a in self.sym.items():
            self.name_at.setdefault(a, n)

    def alt_format(self):
        """struct alt_instr: 12 bytes before 6.3, then 14 (u32 ft_flags)."""
        b = self.get(self.sym['linux_banner'], 64).split(b'\0')[0].decode()
        major, minor = (int(x) for x in b.split()[2].split('.')[:2] if x.isdigit())
        return '<iiHBB' if (major, minor) < (6, 3) else '<iiIBB'

    def off(self, va, n=1):
        for ad, off, sz in self.alloc:
            if ad <= va and va + n <= ad + sz:
                return off + va - ad
        raise KeyError(hex(va))

    def get(self, va, n):
        o = self.off(va, n)
        return bytes(self.f[o:o + n])

    def put(self, va, b):
        o = self.off(va, len(b))
        self.f[o:o + len(b)] = b

    def table(self, name, esz):
        if name not in self.secs:
            return []
        ad, off, sz, _, _ = self.secs[name]
        return [(ad + i * esz, bytes(self.f[off + i * esz:off + (i + 1) * esz]))
                for i in range(sz // esz)]


def cmd_caps(path, word):
    e = Elf(path)
    print('rund-prepatch-caps 1')
    for i in range(22):
        print('cap %d %s' % (i, word))
    for i in range(2):
        print('bug %d %s' % (i, word))
    print('lock smp')
    pv = e.sym['pv_ops']
    if e.table('.parainstructions', 16):
        types = sorted({ent[8] for _, ent in e.table('.parainstructions', 16)})
    else:   # 6.12: paravirt through alternatives; every slot of pv_ops
        out = subprocess.run(['nm', '-S', path], capture_output=True, text=True).stdout
        size = [int(ln.split()[1], 16) for ln in out.split('\n')
                if ln.endswith(' pv_ops') and len(ln.split()) == 4][0]
        types = range(size // 8)
    for t in types:
        target, = struct.unpack('<Q', e.get(pv + 8 * t, 8))
        print('pv %d %s' % (t, e.name_at[target] if target else 'null'))


def read_caps(path):
    words, pv = [0] * 24, {}
    for line in open(path):
        p = line.split('#')[0].split()
        if not p:
            continue
        if p[0] == 'cap':
            words[int(p[1])] = int(p[2], 16)
        elif p[0] == 'bug':
            words[22 + int(p[1])] = int(p[2], 16)
        elif p[0] == 'pv':
            pv[int(p[1])] = p[2]
    return words, pv


def call(site, dest):
    return b'\xe8' + struct.pack('<i', (dest - (site + 5) + 2**31) % 2**32 - 2**31)


def paravirt(e, pv):
    for va, ent in e.table('.parainstructions', 16):
        instr, typ, ln = struct.unpack_from('<QBB', ent)
        tgt = pv[typ]
        if tgt == 'null':
            b = call(instr, e.sym['paravirt_BUG'])
        elif tgt == '_paravirt_nop':
            b = b''
        else:
            b = call(instr, e.sym[tgt])
        e.put(instr, b + add_nops(ln - len(b)))


def alternatives(e, words, runs):
    for va, ent in e.table('.altinstructions', 12):
        io, ro, cpuid, ln, rl = struct.unpack('<iiHBB', ent)
        instr, repl = va + io, va + 4 + ro
        feat = cpuid & 0x7fff
        has = (words[feat // 32] >> (feat % 32)) & 1
        if bool(has) != bool(cpuid & 0x8000):
            b = bytearray(e.get(repl, rl))
            if rl == 5 and b[0] == 0xe8:
                d, = struct.unpack_from('<i', b, 1)
                struct.pack_into('<i', b, 1, (d + repl - instr + 2**31) % 2**32 - 2**31)
            if rl == 5 and b[0] in (0xeb, 0xe9):
                d, = struct.unpack_from('<i', b, 1)
                n = repl + 5 + d - instr
                if n >= 0 and n - 2 <= 127:
                    b = bytearray(b'\xeb' + struct.pack('<b', n - 2) + NOPS[3])
                else:
                    b = bytearray(b'\xe9' + struct.pack('<i', n - 5))
            e.put(instr, bytes(b) + b'\x90' * (ln - rl))
        runs.append((instr, ln))


def static_calls(e):
    """static_call_init(): every site of __start..__stop_static_call_sites
    (s32 site, s32 key | 1 for a tail call) to what key->func says.  A
    NULL tail call is left alone (the boot's RET or return thunk)."""
    lo, hi = e.sym.get('__start_static_call_sites'), e.sym.get('__stop_static_call_sites')
    n = 0
    for va in range(lo or 0, hi or 0, 8):
        a, k = struct.unpack('<ii', e.get(va, 8))
        site, key = va + a, va + 4 + k
        tail = key & 1
        func, = struct.unpack('<Q', e.get(key & ~3, 8))
        if tail and not func:
            continue
        if tail:
            op = e.get(site, 2)
            if op[0] == 0x0f:
                b = op + struct.pack('<i', func - (site + 6))
            else:
                b = b'\xe9' + struct.pack('<i', func - (site + 5))
        elif not func:
            b = NOPS[5]
        elif func == e.sym.get('__static_call_return0'):
            b = b'\x2e\x2e\x2e\x31\xc0'
        else:
            b = call(site, func)
        e.put(site, b)
        n += 1
    return n


def nop_runs(buf):
    i = 0
    while i < len(buf):
        if buf[i] != 0x90:
            i += 1
            continue
        j = i
        while j < len(buf) and buf[j] == 0x90:
            j += 1
        if j - i >= 2:
            yield i, j
        i = j


def cmd_check(vmlinux, caps, out):
    words, pv = read_caps(caps)
    e, o = Elf(vmlinux), Elf(out)
    sites = []
    nsc = static_calls(e)
    paravirt(e, pv)
    alternatives(e, words, sites)
    optimized = unchanged = 0
    for instr, ln in sites:
        mine, theirs = e.get(instr, ln), o.get(instr, ln)
        if mine == theirs:
            continue
        fixed = bytearray(mine)
        for i, j in nop_runs(mine):
            if theirs[i:j] == add_nops(j - i):
                fixed[i:j] = theirs[i:j]
                optimized += 1
            else:
                unchanged += 1
        e.put(instr, bytes(fixed))
    bad = []
    for ad, off, sz in e.alloc:
        if e.f[off:off + sz] != o.f[o.off(ad, sz) if sz else off:(o.off(ad, sz) if sz else off) + sz]:
            a, b = e.f[off:off + sz], o.f[o.off(ad, sz):o.off(ad, sz) + sz]
            first = next(i for i in range(sz) if a[i] != b[i])
            bad.append('%x' % (ad + first))
    # the note section is the only exception: allocated .notes may differ only
    # where the kernel reserved rund_prepatch_note
    bad = [b for b in bad if 'rund_prepatch_note' not in e.sym or
           not (e.sym['rund_prepatch_note'] <= int(b, 16) < e.sym['rund_prepatch_note'] + 700)]
    bad = [b for b in bad if 'rund_prepatch_undo' not in e.sym or
           not (e.sym['rund_prepatch_undo'] <= int(b, 16) < e.sym['rund_prepatch_undo'] + 131072)]
    print('%s - oracle %s: static calls + paravirt + alternatives equal in every '
          'allocated section (%d static calls, %d sites, %d NOP runs optimised)%s' % (
              'not ok' if bad else 'ok', caps.split('/')[-1], nsc, len(sites), optimized,
              ' first difference at ' + bad[0] if bad else ''))
    # note: CAPS words and digest of the input
    ad, off, sz, _, _ = o.secs['.note.rund.prepatch']
    n = o.f[off:off + sz]
    desc = n[28:28 + 668]
    ws = list(struct.unpack_from('<24I', desc, 16))
    dig = hashlib.sha256(open(vmlinux, 'rb').read()).digest()
    good = ws == words and desc[636:668] == dig and n[12:26] == b'rund.prepatch\0'
    print('%s - oracle %s: .note.rund.prepatch holds the CAPS words and the '
          'SHA-256 of the input' % ('ok' if good else 'not ok', caps.split('/')[-1]))
    return 1 if bad or not good else 0


if __name__ == '__main__':
    if sys.argv[1] == 'caps':
        cmd_caps(sys.argv[2], sys.argv[3])
    else:
        sys.exit(cmd_check(sys.argv[2], sys.argv[3], sys.argv[4]))
