#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qboot.py VMLINUX INITRD CPU LOG DUMPDIR - boot VMLINUX (PVH, -kernel)
under qemu TCG q35 with -cpu CPU and nokaslr, wait for the initramfs to
print RUND-PREPATCH-READY, then save every PT_LOAD segment's file-backed
bytes from guest physical memory with the QEMU monitor's pmemsave
(DUMPDIR/seg<N>.bin) and stop the guest.  Exit 0 on success."""
import os
import socket
import struct
import subprocess
import sys
import time

TIMEOUT = int(os.environ.get('PREPATCH_BOOT_TIMEOUT', '900'))


def segments(path):
    f = open(path, 'rb').read(1 << 16)
    phoff, = struct.unpack_from('<Q', f, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', f, 0x36)
    out = []
    for i in range(phnum):
        ty, fl, off, va, pa, fsz, msz, al = struct.unpack_from('<IIQQQQQQ', f, phoff + i * phentsize)
        if ty == 1 and fsz:
            out.append((i, off, va, pa, fsz))
    return out


def until_prompt(s):
    buf = b''
    while not buf.endswith(b'(qemu) '):
        chunk = s.recv(4096)
        if not chunk:           # qemu closed the monitor (quit)
            break
        buf += chunk
    return buf


def monitor(sock, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(300)
    until_prompt(s)
    s.sendall(cmd.encode() + b'\n')
    buf = until_prompt(s)
    s.close()
    return buf.decode(errors='replace')


def main():
    vmlinux, initrd, cpu, log, dumpdir = sys.argv[1:6]
    os.makedirs(dumpdir, exist_ok=True)
    sock = os.path.join(dumpdir, 'mon.sock')
    if os.path.exists(sock):
        os.unlink(sock)
    open(log, 'w').close()
    q = subprocess.Popen([
        'qemu-system-x86_64', '-M', 'q35', '-accel', 'tcg,thread=multi', '-cpu', cpu,
        '-smp', '2', '-m', '512', '-kernel', vmlinux, '-initrd', initrd,
        '-append', 'console=ttyS0 nokaslr panic=-1 clocksource=hpet',
        '-display', 'none', '-serial', 'file:' + log, '-no-reboot',
        '-monitor', 'unix:%s,server,nowait' % sock])
    t0 = time.time()
    try:
        while True:
            if q.poll() is not None:
                print('qboot: qemu exited %d before READY' % q.returncode, file=sys.stderr)
                return 1
            if b'RUND-PREPATCH-READY' in open(log, 'rb').read():
                break
            if time.time() - t0 > TIMEOUT:
                print('qboot: no READY after %d s' % TIMEOUT, file=sys.stderr)
                return 1
            time.sleep(2)
        monitor(sock, 'stop')
        for i, off, va, pa, fsz in segments(vmlinux):
            r = monitor(sock, 'pmemsave 0x%x 0x%x "%s"' % (pa, fsz, os.path.join(dumpdir, 'seg%d.bin' % i)))
            if not os.path.exists(os.path.join(dumpdir, 'seg%d.bin' % i)):
                print('qboot: pmemsave failed: %s' % r.strip(), file=sys.stderr)
                return 1
        monitor(sock, 'quit')
        q.wait(60)
        print('qboot: %s on %s booted in %.0f s' % (os.path.basename(vmlinux), cpu, time.time() - t0))
        return 0
    finally:
        if q.poll() is None:
            q.kill()


sys.exit(main())
