#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""(Re)write the seed corpora in tests/fuzz/corpus/TARGET/ and the XML
dictionary tests/fuzz/domain-xml.dict.

Seeds named data-* are derived from tests/data (and the shipped AppArmor
template and example domain); seed-* are hand-made here. Both are
rewritten on every run, so edit this script, not the files. regress-*
files are inputs that once found a bug: they are kept as they are.

    tests/fuzz/seed-corpus.py
"""
import glob, hashlib, os, re, textwrap

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
corpus = os.path.join(root, "tests/fuzz/corpus")
data = os.path.join(root, "tests/data")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(target, name, content):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(content)


def clear(target):
    for p in glob.glob(os.path.join(corpus, target, "data-*")) + glob.glob(os.path.join(corpus, target, "seed-*")):
        os.unlink(p)


def domain_xmls():
    """(seed name, bytes) of every domain XML in tests/data and examples."""
    for sub in ["", "parse", "generator", "errors"]:
        for p in sorted(glob.glob(os.path.join(data, sub, "*.xml"))):
            yield "data-" + (sub + "-" if sub else "") + os.path.basename(p)[:-4], read(p)
    yield "data-example-demo", read(os.path.join(root, "examples/demo.xml"))


TARGETS = ["domain-xml", "disk-xml", "config", "qmp", "unit-name", "apparmor-rules", "generator-render"]
for t in TARGETS:
    clear(t)

# ---- domain-xml: every domain in tests/data, valid or not ----
for name, xml in domain_xmls():
    write("domain-xml", name, xml)

# ---- disk-xml: each <disk> of those domains alone, as hotplug sends it ----
seen = set()
for name, xml in domain_xmls():
    for i, m in enumerate(re.finditer(rb"^([ \t]*)<disk\b.*?</disk>", xml, re.S | re.M)):
        disk = textwrap.dedent(m.group(0).decode()) + "\n"
        digest = hashlib.sha1(disk.encode()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            write("disk-xml", f"{name}-{i + 1}", disk)
write("disk-xml", "seed-cdrom-empty", "<disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><readonly/></disk>\n")
write("disk-xml", "seed-escaped", "<disk type='file'><source file='/img/a&amp;b &#39;c&#39;.raw'/><target dev='vdz'/>"
      "<serial>S 1.2+3</serial><boot order='3'/><shareable/></disk>\n")

# ---- config: vmunit.conf as documented (DESIGN.md, README) ----
write("config", "seed-all-keys", """# every key
user = "qemu"
group = kvm   # trailing comment
dynamic_ownership = 0
remember_owner = no
security_driver = "apparmor"
security_default_confined = off
seccomp_sandbox = 1
cgroup_device_acl = [ "/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm" ]
shutdown_timeout = 120
on_host_shutdown = save
emulator = /usr/bin/qemu-system-x86_64
""")
write("config", "seed-plain-list", "cgroup_device_acl = /dev/null, /dev/kvm,/dev/net/tun\nsecurity_driver=none\n")
write("config", "seed-errors", "\n\nuser\n")
write("config", "seed-unknown", "shutdown_timout = 5\n")
write("config", "seed-bad-value", "shutdown_timeout = 86401\n")
write("config", "seed-quotes", "user = 'vm user'\ngroup = \"\"\n")

# ---- qmp: byte 0 = commands queued (bits 0-3) and which handler frees
# the client (bits 4-6); byte 1 = piece size (0: all at once) ----
GREETING = b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n'
def ret(i, body=b"{}"):
    return b'{"return": ' + body + b', "id": ' + str(i).encode() + b"}\r\n"
EVENTS = (b'{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "STOP"}\r\n'
          b'{"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}, "timestamp": {"seconds": 1, "microseconds": 2}}\r\n')
write("qmp", "seed-handshake", b"\x00\x00" + GREETING + ret(1))
write("qmp", "seed-all-commands", b"\x0f\x00" + GREETING + ret(5) + ret(1, b'{"status": "running", "running": true}')
      + ret(2, b'{"name": "web"}') + ret(3) + ret(4) + EVENTS)
write("qmp", "seed-odd-pieces", b"\x03\x07" + GREETING + ret(3) + EVENTS
      + b'{"error": {"class": "CommandNotFound", "desc": "The command x has not been found"}, "id": 1}\r\n'
      + b'{"error": {"class": "GenericError", "desc": "no"}, "id": 2}\r\n')
write("qmp", "seed-free-on-ready", b"\x11\x01" + GREETING + ret(2) + ret(1))
write("qmp", "seed-free-on-event", b"\x20\x00" + GREETING + ret(1) + EVENTS + ret(7))
write("qmp", "seed-free-on-reply", b"\x33\x05" + GREETING + ret(3) + ret(2) + ret(1))
write("qmp", "seed-garbage", b"\x47\x00" + GREETING + ret(4) + b'{"event": "X"}\n}}not json\n')
write("qmp", "seed-capabilities-refused", b"\x01\x00" + GREETING + b'{"error": {"class": "GenericError", "desc": "no"}, "id": 2}\n')
# bit 7: the first line is a caller's command (MonitorCommand), its own id kept
write("qmp", "seed-caller-command", b"\x80\x00"
      + b'{"execute": "human-monitor-command", "arguments": {"command-line": "info\\nstatus"}, "id": {"a": [1, "x"]}}\n'
      + GREETING + ret(2) + ret(1, b'"VM status: paused\\r\\n"'))
write("qmp", "seed-caller-command-no-id", b"\x81\x09" + b'{"execute": "query-kvm"}\n' + GREETING + ret(3)
      + b'{"error": {"class": "GenericError", "desc": "x"}, "id": 2}\n' + ret(1))
write("qmp", "seed-caller-command-refused", b"\x80\x00" + b'{"execute": 5}\n' + GREETING + ret(1))
write("qmp", "seed-nested", b"\x01\x03" + GREETING + ret(2)
      + ret(1, b'{"a": [1, 2.5, -3, null, true, "\\u00e9\\"}", {"b": [[[[]]]]}]}'))

# ---- unit-name: domain names and unit instances ----
for i, name in enumerate([b"web-1", b"db.prod", b"my vm", b".hidden", b"a\\x2db", b"my\\x20vm", b"\\x2ehidden",
                          b"caf\xc3\xa9", b"a/b", b"123abc", b"a_b:c", b"\\x00", b"\\xZZ", b"x" * 200]):
    write("unit-name", f"seed-{i + 1}", name)

# ---- apparmor-rules: byte 0 = kind of the first path; NUL-separated
# strings; the first one also serves as the profile template ----
template = read(os.path.join(root, "apparmor/TEMPLATE.qemu"))
paths = [b"/var/lib/vmunit/images/a.img", b"/run/vmunit/web/", b"/usr/bin/qemu-system-x86_64",
         b"6f1b0b7e-3c8e-4a43-9d54-0d2f1d1c5a10", b"/srv/iso/debian 12.iso", b"/dev/disk/by-id/ata-X:1",
         b"/var/lib/vmunit/images/a.img"]
write("apparmor-rules", "data-template", b"\x00" + template + b"\0" + b"\0".join(paths))
write("apparmor-rules", "seed-paths", b"\x07" + b"\0".join(paths))
write("apparmor-rules", "seed-refused", b"\x02" + b"\0".join([b"/img\", / rwk, \"", b"/a/../b", b"rel.img",
                                                              b"/a//b", b"/x/", b"/@{HOME}", b"/usr/local/bin/qemu"]))

# ---- generator-render: byte 0 even = domain XML, odd = fields ----
for name, xml in domain_xmls():
    if "-errors-" not in name:
        write("generator-render", name, b"\x00" + xml)
fields = [b"/etc/vmunit/domains/web 1.xml", b"web 1", b"  Web 100% \"front\"  ", b"f/srv/images/a b.qcow2",
          b"f/srv/it's.img", b"b/dev/vg0/data", b"B/dev/disk/by-id/x", b"c/dev/sr0", b"k/boot/vmlinuz",
          b"i/boot/initrd.img", b"l/usr/share/OVMF/OVMF_CODE.fd", b"n/var/lib/vmunit/web/VARS.fd",
          b"t/usr/share/OVMF/OVMF_VARS.fd", b"s/var/log/vm/%n.log", b"u/run/vm/sock\\et", b"p0-3,^2,8",
          b"S2048", b"h3145728", b"o1048576"]
write("generator-render", "seed-fields", b"\x01" + b"\0".join(fields))
write("generator-render", "seed-fields-minimal", b"\x01/etc/vmunit/domains/a.xml\0a\0\0a")

# ---- the dictionary of the XML targets: what the parser's tables name ----
src = "".join(read(os.path.join(root, "src/domain", f)).decode()
              for f in ["domain-xml-parse.c", "domain-xml-devices.c", "domain-xml-tables.c", "xml-util.c"])
elements = set(re.findall(r'\{ "([A-Za-z_]+)", [a-z_]+, [A-Z_ |0]+ \}', src)) | {"domain"}
attributes = set(re.findall(r'xml_attr_\w+\(c, (?:n|root), "(\w+)"', src))
for m in re.finditer(r'\(const char \*const\[\]\)\{([^}]*)\}', src):
    attributes |= set(re.findall(r'"(\w+)"', m.group(1)))
values = set(re.findall(r'\{ "([^"]+)", (?:DOMAIN_\w+|true|false|\d)[^}]*\}', src))
lines = ["# SPDX-License-Identifier: LGPL-2.1-or-later",
         "# libFuzzer dictionary of the XML harnesses: the element and attribute",
         "# names and values the domain parser's tables accept. Written by",
         "# tests/fuzz/seed-corpus.py from src/domain/domain-xml-*.c; do not edit."]
lines += [f'"<{e}>"' for e in sorted(elements)] + [f'"</{e}>"' for e in sorted(elements)]
lines += [f'"<qemu:{e}"' for e in ["commandline", "arg", "env"]]
lines += [f'" {a}=\'"' for a in sorted(attributes)]
lines += [f'"\'{v}\'"' for v in sorted(values)]
lines += ['"xmlns:qemu=\'http://libvirt.org/schemas/domain/qemu/1.0\'"', '"hvm"', '"KiB"', '"GiB"', '"MB"', '"bytes"',
          '"&amp;"', '"&lt;"', '"&apos;"', '"&#10;"', '"&#13;"', '"&#9;"', '"<![CDATA["', '"]]>"', '"<!--"', '"-->"',
          '"<?xml version=\'1.0\'?>"', '"4096"', '"262144"', '"18446744073709551615"', '"52:54:00:12:34:56"',
          '"6c1b9d4e-0a52-4d0e-9a7c-000000000001"', '"system_u:system_r:svirt_t:s0:c1,c2"', '"/dev/"', '"-1"', '"5900"']
with open(os.path.join(root, "tests/fuzz/domain-xml.dict"), "w") as f:
    f.write("\n".join(lines) + "\n")
