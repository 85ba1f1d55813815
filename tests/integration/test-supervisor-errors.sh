#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input and missing host resources: one clear line, the documented exit
# code, and nothing left behind (no QEMU, no runtime directory).
source "$(dirname "$0")/lib.sh"

# expect_failure ROOT NAME CODE PATTERN: run the supervisor to completion.
expect_failure() {
        local root=$1 name=$2 want=$3 pattern=$4 rc=0
        "$VMUNIT_SUPERVISOR" --root "$root" "$name" 2>"$root/stderr" || rc=$?
        if [ "$rc" != "$want" ]; then
                t_fail "exit $rc, want $want; stderr: $(cat "$root/stderr")"
        elif ! grep -q -- "$pattern" "$root/stderr"; then
                t_fail "stderr does not match '$pattern': $(cat "$root/stderr")"
        elif [ -e "$root/run/$name" ]; then
                t_fail "runtime dir left behind"
        else
                t_pass
        fi
}

t_begin "broken XML -> exit 1 with FILE:LINE:"
root=$(new_root)
printf '<domain type="qemu">\n  <name>broken</name>\n  <memory>1024\n</domain>\n' > "$root/etc/domains/broken.xml"
expect_failure "$root" broken 1 "broken.xml:[0-9]*:"

t_begin "unknown element -> exit 1 naming it and its line"
root=$(new_root)
guest_xml odd acpi "<frobnicator/>" > "$root/etc/domains/odd.xml"
line=$(grep -n frobnicator "$root/etc/domains/odd.xml" | cut -d: -f1)
expect_failure "$root" odd 1 "odd.xml:$line:.*frobnicator"

t_begin "no such domain -> exit 1"
root=$(new_root)
expect_failure "$root" ghost 1 "no such domain"

t_begin "name in file differs from NAME -> exit 1"
root=$(new_root)
guest_xml other acpi > "$root/etc/domains/this.xml"
expect_failure "$root" this 1 "named 'other'"

t_begin "missing disk -> exit 2 naming the path"
root=$(new_root)
define_guest "$root" nodisk acpi "<disk type='file' device='disk'><source file='$root/missing.img'/><target dev='vda' bus='virtio'/></disk>"
expect_failure "$root" nodisk 2 "$root/missing.img"

t_begin "missing emulator -> exit 2"
root=$(new_root)
guest_xml noemu acpi "<emulator>/nonexistent/qemu-system-x86_64</emulator>" > "$root/etc/domains/noemu.xml"
expect_failure "$root" noemu 2 "/nonexistent/qemu-system-x86_64"

t_begin "missing kernel -> exit 2"
root=$(new_root)
guest_xml nokernel acpi | sed "s|<kernel>.*</kernel>|<kernel>$root/nokernel</kernel>|" > "$root/etc/domains/nokernel.xml"
expect_failure "$root" nokernel 2 "kernel $root/nokernel"

t_begin "over-long root -> exit 2 naming the 107-byte limit"
root=$(new_root)
long="$root/$(printf 'x%.0s' $(seq 1 90))"
mkdir -p "$long/etc/domains"
define_guest "$long" longname acpi
expect_failure "$long" longname 2 "107-byte limit"

t_begin "invalid configuration -> exit 1 naming file and line"
root=$(new_root)
printf '# settings\nshutdown_timeout = soon\n' > "$root/etc/vmunit.conf"
define_guest "$root" badconf acpi
expect_failure "$root" badconf 1 "vmunit.conf:2: shutdown_timeout"

t_begin "type='kvm' without a usable /dev/kvm -> exit 2, no fallback"
root=$(new_root)
guest_xml nokvm acpi | sed "s/type='qemu'/type='kvm'/" > "$root/etc/domains/nokvm.xml"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
        # Hide the real /dev/kvm behind /dev/null in a private mount namespace.
        rc=0
        unshare -m sh -c "mount --bind /dev/null /dev/kvm 2>/dev/null || { touch /tmp/.vmunit-nokvm; mount --bind /tmp/.vmunit-nokvm /dev/kvm; }; exec '$VMUNIT_SUPERVISOR' --root '$root' nokvm" 2>"$root/stderr" || rc=$?
        if [ "$rc" != 2 ]; then t_fail "exit $rc, want 2: $(cat "$root/stderr")"
        elif ! grep -q "/dev/kvm" "$root/stderr"; then t_fail "message does not name /dev/kvm: $(cat "$root/stderr")"
        else t_pass; fi
else
        t_fail "needs root and unshare to hide /dev/kvm (the suite runs as root)"
fi

t_begin "invalid domain name on the command line -> exit 1"
root=$(new_root)
expect_failure "$root" "../etc" 1 "invalid domain name"

t_end
