#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The guest's own view of its PCI layout: the demo Linux guest (kernel
# command line vmunit.pci) lists /sys/bus/pci/devices on its serial port.
# Booted twice under the supervisor on q35: without <address> elements
# the NIC and the disk sit behind libvirt's first two pcie-root-ports
# (0000:01:00.0 and 0000:02:00.0, libvirt's layout for the same file), and
# with explicit addresses that move both to slots of pcie.0 the guest
# finds them exactly there, and not behind the ports.
set -euo pipefail

: "${VMUNIT_SUPERVISOR:?VMUNIT_SUPERVISOR must point at the supervisor}"
: "${VMUNIT_SOURCE_ROOT:?}"

guest=$("$VMUNIT_SOURCE_ROOT/scripts/build-demo-guest.sh" 2>/dev/null | tail -n 1)
scratch=$(mktemp -d /var/tmp/vmunit-pci-layout.XXXXXX)
sup_pid=
cleanup() {
        if [[ -n $sup_pid ]]; then kill -9 "$sup_pid" 2>/dev/null || true; fi
        rm -rf "$scratch"
}
trap cleanup EXIT

# domain NAME NIC_ADDRESS DISK_ADDRESS: the XML on stdout.
domain() {
        cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>256</memory>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet vmunit.pci</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$scratch/$1.img'/>
      <target dev='vda' bus='virtio'/>
      $3
    </disk>
    <interface type='user'>
      <mac address='52:54:00:aa:bb:01'/>
      <model type='virtio'/>
      $2
    </interface>
    <serial type='file'>
      <source path='$scratch/$1.serial'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# boot NAME: run the domain until the guest has listed its devices; the
# "pci ADDRESS VENDOR CLASS" lines on stdout.
boot() {
        local name=$1 root=$scratch/root-$1 i=0
        mkdir -p "$root/etc/domains" "$root/run" "$root/lib" "$root/log"
        truncate -s 16M "$scratch/$name.img"
        cp "$scratch/$name.xml" "$root/etc/domains/$name.xml"
        "$VMUNIT_SUPERVISOR" --root "$root" "$name" 2>"$scratch/$name.err" &
        sup_pid=$!
        while ! grep -q "VMUNIT-DEMO-GUEST: hello" "$scratch/$name.serial" 2>/dev/null && ((i++ < 1200)); do
                kill -0 "$sup_pid" 2>/dev/null || break
                sleep 0.1
        done
        cp "$root/run/$name/domain.xml" "$scratch/$name.live.xml" 2>/dev/null || true
        kill -USR1 "$sup_pid" 2>/dev/null || true
        wait "$sup_pid" || true
        sup_pid=
        if ! grep -q "VMUNIT-DEMO-GUEST: hello" "$scratch/$name.serial" 2>/dev/null; then
                echo "FAIL $name: the guest did not boot" >&2
                cat "$scratch/$name.err" "$scratch/$name.serial" >&2 2>/dev/null || true
                return 1
        fi
        sed -n 's/^VMUNIT-DEMO-GUEST: pci //p' "$scratch/$name.serial" | tr -d '\r'
}

failed=0
# expect NAME ADDRESS VENDOR CLASS: the guest saw that device there.
expect() {
        if grep -qx "$2 $3 $4" "$scratch/$1.pci"; then
                echo "ok   $1: $2 $4"
        else
                echo "FAIL $1: no $3 device of class $4 at $2; the guest saw:"
                sed 's/^/    /' "$scratch/$1.pci"
                failed=1
        fi
}
# absent NAME ADDRESS: nothing there.
absent() {
        if grep -q "^$2 " "$scratch/$1.pci"; then
                echo "FAIL $1: a device at $2: $(grep "^$2 " "$scratch/$1.pci")"
                failed=1
        else
                echo "ok   $1: nothing at $2"
        fi
}

virtio=0x1af4 net=0x020000 storage=0x010000
domain placed "" "" >"$scratch/placed.xml"
domain moved "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>" \
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>" >"$scratch/moved.xml"
for name in placed moved; do
        boot "$name" >"$scratch/$name.pci" || { failed=1; continue; }
done
expect placed 0000:01:00.0 $virtio $net
expect placed 0000:02:00.0 $virtio $storage
expect moved 0000:00:05.0 $virtio $net
expect moved 0000:00:06.0 $virtio $storage
absent moved 0000:01:00.0

# The live XML records the layout the guest saw, as libvirt's does.
live() {
        if grep -qF -- "$2" "$scratch/$1.live.xml" 2>/dev/null; then
                echo "ok   $1: live XML has $2"
        else
                echo "FAIL $1: live XML lacks $2:"
                sed 's/^/    /' "$scratch/$1.live.xml" 2>/dev/null || echo "    (none)"
                failed=1
        fi
}
live placed "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"
live placed "<address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>"
live placed "<controller type='pci' index='1' model='pcie-root-port'>"
live moved "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>"
exit "$failed"
