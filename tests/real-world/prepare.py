#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rewrite one real-world domain XML so it can run on this host.

    prepare.py SRC OUT SCRATCH --kvm yes|no --machines FILE [--guest KERNEL]

What a file says about the host it came from is made to fit this one,
and nothing else is touched (the text is edited, not re-serialised, so
the parser sees the file as written, quirks included):

- host paths of images, NVRAM, kernels, logs, sockets and shared
  directories move under SCRATCH/host/ (/var/lib/libvirt/images/a.qcow2
  becomes SCRATCH/host/var/lib/libvirt/images/a.qcow2) and are created:
  disk images with the format the disk's <driver type> names (qcow2 or
  16M raw), cdroms and floppies as small raw files, directories for
  <filesystem> sources; firmware, the emulator and /dev nodes of the
  host (urandom, pts, dri) are left alone;
- an <emulator> this host lacks becomes this host's qemu-system-x86_64
  (qemu-system-i386 for i686 guests when present);
- a <loader> or NVRAM template this host lacks becomes the OVMF file of
  the same kind here (secure-boot or not, code or variables);
- a versioned machine type this host's QEMU does not offer becomes its
  alias (pc-q35-9.0 -> q35, pc-i440fx-8.2 / rhel6.0.0 -> pc);
- type='kvm' becomes type='qemu' when /dev/kvm cannot be used;
- a <kernel> becomes the test guest (a multiboot ELF) when given.

Prints one line per rewrite of the last three kinds to stderr.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

KEEP_PREFIXES = ('/usr/', '/dev/urandom', '/dev/random', '/dev/hwrng', '/dev/pts/', '/dev/dri/', '/dev/null',
                 '/proc/', '/sys/')
PATH_ATTRS = ('file', 'dev', 'dir', 'path')
PATH_TEXT = ('nvram', 'kernel', 'initrd', 'dtb')

OVMF_DIRS = ('/usr/share/OVMF', '/usr/share/edk2/ovmf', '/usr/share/edk2/x64', '/usr/share/qemu')


def note(msg):
    print('prepare: ' + msg, file=sys.stderr)


def host_firmware(path):
    """The file on this host that stands for firmware PATH elsewhere."""
    if not any(k in path.lower() for k in ('ovmf', 'edk2')):
        return None
    base = os.path.basename(path).lower()
    code = 'vars' not in base
    secure = any(k in base for k in ('secboot', 'secure', '.ms.', 'ms.fd', '-ms'))
    want = []
    if code:
        want = ['OVMF_CODE_4M.secboot.fd', 'OVMF_CODE_4M.ms.fd', 'OVMF_CODE.secboot.fd'] if secure else \
            ['OVMF_CODE_4M.fd', 'OVMF_CODE.fd']
        if 'ovmf.fd' == base:
            want = ['OVMF.fd'] + want
    else:
        want = ['OVMF_VARS_4M.ms.fd', 'OVMF_VARS.ms.fd'] if secure else ['OVMF_VARS_4M.fd', 'OVMF_VARS.fd']
    for d in OVMF_DIRS:
        for w in want:
            if os.path.exists(os.path.join(d, w)):
                return os.path.join(d, w)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('out')
    ap.add_argument('scratch')
    ap.add_argument('--kvm', default='yes')
    ap.add_argument('--machines', required=True)
    ap.add_argument('--guest', default='')
    ap.add_argument('--cpu-max', action='store_true',
                    help="host CPU modes become mode='maximum' (TCG on a host whose KVM refuses -cpu host)")
    a = ap.parse_args()

    text = open(a.src, encoding='utf-8', errors='surrogateescape').read()
    host = os.path.join(a.scratch, 'host')
    machines = set(open(a.machines).read().split())

    def move(p):
        if not p.startswith('/') or p.startswith(KEEP_PREFIXES) or p.startswith(host):
            return p
        return host + p

    # Attributes naming host paths (source file/dev/dir/path, log file, ...).
    def attr_sub(m):
        return f"{m.group(1)}={m.group(2)}{move(m.group(3))}{m.group(2)}"
    text = re.sub(r"""\b((?:%s))\s*=\s*(['"])(/[^'"]*)\2""" % '|'.join(PATH_ATTRS), attr_sub, text)

    # Element text naming host paths.
    def text_sub(m):
        return f"{m.group(1)}{move(m.group(2).strip())}{m.group(3)}"
    for tag in PATH_TEXT:
        text = re.sub(r'(<%s\b[^>]*>)\s*([^<]*?)\s*(</%s>)' % (tag, tag), text_sub, text)
    # <console tty='/dev/pts/N'> stays: a pty is the host's, not a file to make.

    # The emulator.
    def emu_sub(m):
        p = m.group(2).strip()
        if os.access(p, os.X_OK):
            return m.group(0)
        arch_i686 = re.search(r"""arch\s*=\s*['"]i686['"]""", text)
        new = (shutil.which('qemu-system-i386') if arch_i686 else None) or shutil.which('qemu-system-x86_64')
        if not new:
            return m.group(0)
        note(f'emulator {p} -> {new}')
        return f'{m.group(1)}{new}{m.group(3)}'
    text = re.sub(r'(<emulator>)([^<]*)(</emulator>)', emu_sub, text)

    # Firmware: loader text, nvram template attribute.
    def fw_sub(m):
        p = m.group(2).strip()
        if not p or os.path.exists(p):
            return m.group(0)
        new = host_firmware(p)
        if not new:
            return m.group(0)
        note(f'firmware {p} -> {new}')
        return f'{m.group(1)}{new}{m.group(3)}'
    text = re.sub(r'(<loader\b[^>]*>)([^<]*)(</loader>)', fw_sub, text)
    text = re.sub(r"""(\btemplate\s*=\s*['"])([^'"]*)(['"])""", fw_sub, text)

    # Machine types this QEMU lacks.
    def machine_sub(m):
        mt = m.group(3)
        if mt in machines or not machines:
            return m.group(0)
        new = 'q35' if 'q35' in mt else 'pc'
        note(f'machine {mt} -> {new}')
        return f'{m.group(1)}{m.group(2)}{new}{m.group(2)}'
    text = re.sub(r"""(<type\b[^>]*\bmachine\s*=\s*)(['"])([^'"]+)\2""", machine_sub, text)

    if a.cpu_max:
        text = re.sub(r"""(<cpu\b[^>]*\bmode\s*=\s*)(['"])host-(?:passthrough|model)\2""", r'\1\2maximum\2', text)
        note('cpu host-passthrough/host-model -> maximum')
    if a.kvm != 'yes':
        text = re.sub(r"""(<domain\b[^>]*\btype\s*=\s*)(['"])kvm\2""", r'\1\2qemu\2', text, count=1)
    if a.guest and os.path.exists(a.guest):
        text = re.sub(r'(<kernel>)[^<]*(</kernel>)', r'\g<1>%s\g<2>' % a.guest, text)

    with open(a.out, 'w', encoding='utf-8', errors='surrogateescape') as f:
        f.write(text)

    create(text, host)


def create(text, host):
    """Make what the rewritten XML points at under host/."""
    for p in set(re.findall(re.escape(host) + r"""/[^'"<\s]*""", text)):
        os.makedirs(os.path.dirname(p), exist_ok=True)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        root = None
    made = set()

    def image(path, fmt, size='16M'):
        if not path.startswith(host) or path in made or os.path.exists(path):
            return
        made.add(path)
        if fmt == 'qcow2':
            subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', path, size], check=True)
        else:
            with open(path, 'wb') as f:
                f.truncate({'16M': 16 << 20, '1M': 1 << 20, '1440K': 1440 << 10}[size])

    if root is not None:
        for disk in root.iter('disk'):
            src = disk.find('source')
            drv = disk.find('driver')
            fmt = drv.get('type') if drv is not None else None
            device = disk.get('device', 'disk')
            if src is None:
                continue
            path = src.get('file') or src.get('dev')
            if not path:
                continue
            if fmt is None:
                fmt = 'qcow2' if path.endswith('.qcow2') else 'raw'
            size = '1440K' if device == 'floppy' else ('1M' if device == 'cdrom' else '16M')
            image(path, 'raw' if device in ('cdrom', 'floppy') else fmt, size)
            # A backing chain as virsh dumpxml shows it.
            bs = disk.find('backingStore')
            while bs is not None:
                bsrc = bs.find('source')
                bfmt = bs.find('format')
                if bsrc is not None and bsrc.get('file'):
                    image(bsrc.get('file'), bfmt.get('type') if bfmt is not None else 'raw')
                bs = bs.find('backingStore')
        for fs in root.iter('filesystem'):
            src = fs.find('source')
            if src is not None and src.get('dir', '').startswith(host):
                os.makedirs(src.get('dir'), exist_ok=True)
        os_ = root.find('os')
        if os_ is not None:
            for tag in ('initrd', 'kernel'):
                el = os_.find(tag)
                if el is not None and el.text and el.text.startswith(host):
                    image(el.text, 'raw', '1M')
            nv = os_.find('nvram')
            loader = os_.find('loader')
            if nv is not None and nv.text and nv.text.startswith(host) and not os.path.exists(nv.text):
                tmpl = nv.get('template')
                if not tmpl and loader is not None and loader.text:
                    tmpl = host_firmware(loader.text.replace('CODE', 'VARS').replace('code', 'vars'))
                if tmpl and os.path.exists(tmpl):
                    shutil.copyfile(tmpl, nv.text)
    # Anything else named by a file='...' attribute: an empty raw file.
    for p in set(re.findall(r"""\bfile\s*=\s*['"](%s/[^'"]*)['"]""" % re.escape(host), text)):
        if not os.path.exists(p) and not re.search(r'\.log$', p):
            image(p, 'qcow2' if p.endswith('.qcow2') else 'raw')


if __name__ == '__main__':
    main()
