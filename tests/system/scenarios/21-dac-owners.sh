#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# DAC: no file's owner ever changes. Disk images reach QEMU as fds and are
# left exactly as they are (owner, mode, no ACL), also when shared
# read-only by two VMs; a kernel only root may read gets an ACL entry for
# vmunit-qemu while the VM runs (so QEMU can reopen it), given back
# exactly at stop, after `systemctl kill -s KILL` of the whole unit (the
# ExecStopPost cleanup restores from the label journal), and only when
# the last of two VMs using it stops.
# vmunit-test-timeout: 240
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

IMAGES=/var/lib/vmunit/images
mkdir -p "$IMAGES"
# owner, mode and whether an ACL is on it (ls shows a "+" after the mode).
state() {
        local acl=noacl
        [ "$(ls -ld "$1" | cut -c11)" != + ] || acl=acl
        echo "$(stat -c '%U:%G %a' "$1") $acl"
}
qemu_reads() { runuser -u vmunit-qemu -- test -r "$1"; }

# disk_xml FILE [readonly]: a virtio disk element.
disk_xml() {
        echo "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$1'/><target dev='vda' bus='virtio'/>${2:+<readonly/>}</disk>"
}

step "a kernel only root may read: an ACL entry for QEMU while running, restored exactly"
install -m 0600 -o root -g root "$VMUNIT_TEST_GUEST" "$IMAGES/private-guest.elf"
kernel_before=$(state "$IMAGES/private-guest.elf")
assert_eq "root:root 600 noacl" "$kernel_before" "private kernel before"
for vm in k1 k2; do
        define_test_vm "$vm" acpi
        sed -i "s|<kernel>.*</kernel>|<kernel>$IMAGES/private-guest.elf</kernel>|" "$VMUNIT_DOMAINS/$vm.xml"
done
systemctl daemon-reload
assert_success systemctl start vm@k1.service vm@k2.service
wait_guest_acpi k1
wait_guest_acpi k2
assert_eq "root:root 640 acl" "$(state "$IMAGES/private-guest.elf")" "kernel while running (owner kept, ACL entry, mask r)"
qemu_reads "$IMAGES/private-guest.elf" || fail "vmunit-qemu cannot read the kernel while the VMs run"
assert_success systemctl stop vm@k1.service
qemu_reads "$IMAGES/private-guest.elf" || fail "the first VM to stop took the kernel from the second"
assert_success systemctl stop vm@k2.service
assert_eq "$kernel_before" "$(state "$IMAGES/private-guest.elf")" "kernel after the last VM stopped"
! qemu_reads "$IMAGES/private-guest.elf" || fail "vmunit-qemu can still read the kernel"

step "systemctl kill -s KILL of the whole unit: the cleanup step restores the ACL"
assert_success systemctl start vm@k1.service
wait_guest_acpi k1
systemctl kill -s KILL vm@k1.service
wait_for_unit_state vm@k1.service failed 30
assert_eq "$kernel_before" "$(state "$IMAGES/private-guest.elf")" "kernel after SIGKILL + ExecStopPost"
[ ! -e /run/vmunit/labels/k1.journal ] || fail "label journal left behind"
systemctl reset-failed vm@k1.service

# The disk steps need QEMU to receive its disks as fds (the qemufd work):
# until then QEMU opens them by path, as vmunit-qemu, which may not.
step "an exclusive image: untouched while running and after stop"
truncate -s 1M "$IMAGES/own.img"
chown daemon:daemon "$IMAGES/own.img"
chmod 0640 "$IMAGES/own.img"
before=$(state "$IMAGES/own.img")
define_test_vm owner1 acpi "$(disk_xml "$IMAGES/own.img")"
systemctl daemon-reload
assert_success systemctl start vm@owner1.service
assert_eq "$before" "$(state "$IMAGES/own.img")" "image while running (QEMU has it as an fd)"
wait_guest_acpi owner1
assert_success systemctl stop vm@owner1.service
assert_eq "$before" "$(state "$IMAGES/own.img")" "image after stop"

step "a read-only image shared by two VMs: never chowned, never given an ACL"
truncate -s 1M "$IMAGES/shared.img"
chown daemon:daemon "$IMAGES/shared.img"
chmod 0644 "$IMAGES/shared.img"
shared_before=$(state "$IMAGES/shared.img")
define_test_vm ro1 acpi "$(disk_xml "$IMAGES/shared.img" ro)"
define_test_vm ro2 acpi "$(disk_xml "$IMAGES/shared.img" ro)"
systemctl daemon-reload
assert_success systemctl start vm@ro1.service vm@ro2.service
assert_eq "$shared_before" "$(state "$IMAGES/shared.img")" "shared image with two VMs"
wait_guest_acpi ro1
wait_guest_acpi ro2
assert_success systemctl stop vm@ro1.service vm@ro2.service
assert_eq "$shared_before" "$(state "$IMAGES/shared.img")" "shared image after both stopped"

rm -f "$VMUNIT_DOMAINS"/{owner1,ro1,ro2,k1,k2}.xml "$IMAGES"/{own,shared}.img "$IMAGES/private-guest.elf"
systemctl daemon-reload
echo ok
