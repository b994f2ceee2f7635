#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""expect.py VARIANT IN OUT - check rund-prepatch apply's output for
tests/synth.S against the bytes Linux 6.1's static_call_init() and
alternative_instructions() produce, derived here by hand from the kernel algorithm (not from the
tool).  VARIANT 1 = synth1.caps, 2 = synth2.caps.  Prints "ok - ..." /
"not ok - ..." lines (numbered by run.sh)."""
import struct
import subprocess
import sys


def sections(path):
    f = open(path, 'rb').read()
    shoff, = struct.unpack_from('<Q', f, 0x28)
    shnum, = struct.unpack_from('<H', f, 0x3c)
    out = []
    for i in range(shnum):
        _, ty, fl, ad, off, sz = struct.unpack_from('<IIQQQQ', f, shoff + 64 * i)
        if fl & 2 and ty == 1:
            out.append((ad, off, sz))
    return f, out


def at(img, va, n):
    f, secs = img
    for ad, off, sz in secs:
        if ad <= va and va + n <= ad + sz:
            return f[off + va - ad:off + va - ad + n]
    raise KeyError(hex(va))


def rel32(frm, to):
    return struct.pack('<i', to - frm)


def main():
    variant, inp, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sym = {}
    for line in subprocess.run(['nm', inp], capture_output=True, text=True).stdout.split('\n'):
        p = line.split()
        if len(p) == 3:
            sym[p[2]] = int(p[0], 16)
    old, new = sections(inp), sections(out)
    S = sym
    nop3, nop4, nop6 = b'\x0f\x1f\x00', b'\x0f\x1f\x40\x00', b'\x66\x0f\x1f\x44\x00\x00'
    exp = {
        # CALL in a replacement: displacement re-based to the site
        'alt_call': b'\xe8' + rel32(S['alt_call'] + 5, S['func_b']),
        # unpatched: optimize_nops() turns the 4 x 0x90 padding into NOP4
        'alt_unset': b'\x31\xc0' + nop4,
        # inverted feature, clear -> patched; 2 bytes of 0x90 -> 66 90
        'alt_inv': b'\xb8\x01\x00\x00\x00\x66\x90',
        # recompute_jump(): target near and ahead -> jmp8 + NOP3
        'alt_jshort': b'\xeb' + struct.pack('<b', S['near_tgt'] - S['alt_jshort'] - 2) + nop3,
        'alt_jfar': b'\xe9' + rel32(S['alt_jfar'] + 5, S['far_tgt']),
        # negative displacement: 6.1 keeps the 5-byte form
        'alt_jback': b'\xe9' + rel32(S['alt_jback'] + 5, S['back_tgt']),
        # ALTERNATIVE_2: second entry (xor %eax,%eax) wins, padding -> NOP4
        'alt_two': b'\x31\xc0' + nop4,
        # paravirt_patch(): direct call + 1 NOP; _paravirt_nop -> all NOPs;
        # NULL slot -> call paravirt_BUG
        'pv_call': b'\xe8' + rel32(S['pv_call'] + 5, S['pv_target']) + b'\x90',
        'pv_nop': nop6,
        'pv_null': b'\xe8' + rel32(S['pv_null'] + 5, S['paravirt_BUG']) + b'\x90',
        # apply_ibt_endbr(): ENDBR64 -> osp nopl (%rax)
        'endbr_site': b'\x66\x0f\x1f\x00',
        # static_call_init(): key->func decides, whatever the CPU
        'sc_call': b'\xe8' + rel32(S['sc_call'] + 5, S['func_b']),
        'sc_null': b'\x0f\x1f\x44\x00\x00',
        'sc_ret0': b'\x2e\x2e\x2e\x31\xc0',
        'sc_tail': b'\xe9' + rel32(S['sc_tail'] + 5, S['func_b']),
        'sc_jcc': b'\x0f\x85' + rel32(S['sc_jcc'] + 6, S['func_b']),
        # a NULL tail call: RET or return thunk is the boot's, untouched
        'sc_tailnull': at(old, S['sc_tailnull'], 5),
        'sc_same': b'\xe8' + rel32(S['sc_same'] + 5, S['func_b']),
    }
    if variant == 1:
        exp.update({
            # no RETPOLINE: call *%rbx + 3 x 0x90 -> NOP3 (optimize_nops on the buffer)
            'rp_call': b'\xff\xd3' + nop3,
            # jmp *%r11; int3; nop
            'rp_jmp': b'\x41\xff\xe3\xcc\x90',
            # jne thunk_rax -> je .+4; jmp *%rax; int3; nop
            'rp_jcc': b'\x74\x04\xff\xe0\xcc\x90',
            # no RETHUNK: ret + int3 padding, also via the static_call trampoline path
            'ret_site': b'\xc3\xcc\xcc\xcc\xcc',
            'ret_tramp': b'\xc3\xcc\xcc\xcc\xcc',
            # lock smp: untouched
            'lock_site': b'\xf0\xff\x00',
        })
    else:
        exp.update({
            # RETPOLINE_LFENCE: lfence; call *%rbx fits in 5 bytes
            'rp_call': b'\x0f\xae\xe8\xff\xd3',
            # lfence + jmp *%r11 (6) > 5, lfence + jcc form (7) > 6: left alone
            'rp_jmp': at(old, S['rp_jmp'], 5),
            'rp_jcc': at(old, S['rp_jcc'], 6),
            # RETHUNK with x86_return_thunk = func_a
            'ret_site': b'\xe9' + rel32(S['ret_site'] + 5, S['func_a']),
            'ret_tramp': b'\xe9' + rel32(S['ret_tramp'] + 5, S['func_a']),
            # lock up: LOCK -> DS prefix
            'lock_site': b'\x3e\xff\x00',
        })
    fails = 0
    for name, want in exp.items():
        got = at(new, S[name], len(want))
        good = got == want
        fails += not good
        print('%s - synth caps%d: %s = %s' % ('ok' if good else 'not ok', variant, name,
                                               want.hex(' ')))
        if not good:
            print('# got %s' % got.hex(' '))
    # Nothing outside the sites changed in .text
    covered = set()
    for name, want in exp.items():
        covered.update(range(S[name], S[name] + len(want)))
    lo, hi = S['_text'], S['_etext']
    stray = [hex(a) for a in range(lo, hi) if a not in covered and
             at(old, a, 1) != at(new, a, 1)]
    print('%s - synth caps%d: no byte outside the sites changed%s' % (
        'not ok' if stray else 'ok', variant, (' (%s)' % stray[:5]) if stray else ''))
    return 1 if fails or stray else 0


sys.exit(main())
