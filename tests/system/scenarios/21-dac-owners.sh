#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# DAC: an image's owner before start equals its owner after stop, also
# after `systemctl kill -s KILL` of the whole unit (the ExecStopPost
# cleanup restores from the label journal); a read-only image shared by two
# VMs keeps QEMU's owner until the last of them stops.
# vmunit-test-timeout: 200
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

IMAGES=/var/lib/vmunit/images
mkdir -p "$IMAGES"
owner() { stat -c '%U:%G %a' "$1"; }

# disk_xml FILE [readonly]: a virtio disk element.
disk_xml() {
        echo "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$1'/><target dev='vda' bus='virtio'/>${2:+<readonly/>}</disk>"
}

step "an exclusive image: chowned to QEMU while running, given back at stop"
truncate -s 1M "$IMAGES/own.img"
chown daemon:daemon "$IMAGES/own.img"
chmod 0640 "$IMAGES/own.img"
before=$(owner "$IMAGES/own.img")
define_test_vm owner1 acpi "$(disk_xml "$IMAGES/own.img")"
systemctl daemon-reload
assert_success systemctl start vm@owner1.service
assert_eq vmunit-qemu "$(stat -c %U "$IMAGES/own.img")" "owner while running"
wait_guest_acpi owner1
assert_success systemctl stop vm@owner1.service
assert_eq "$before" "$(owner "$IMAGES/own.img")" "owner after stop"

step "systemctl kill -s KILL of the whole unit: the cleanup step restores the owner"
assert_success systemctl start vm@owner1.service
systemctl kill -s KILL vm@owner1.service
wait_for_unit_state vm@owner1.service failed 30
assert_eq "$before" "$(owner "$IMAGES/own.img")" "owner after SIGKILL + ExecStopPost"
[ ! -e /run/vmunit/labels/owner1.journal ] || fail "label journal left behind"
systemctl reset-failed vm@owner1.service

step "a read-only image shared by two VMs: restored only when the last stops"
truncate -s 1M "$IMAGES/shared.img"
chown daemon:daemon "$IMAGES/shared.img"
shared_before=$(owner "$IMAGES/shared.img")
define_test_vm ro1 acpi "$(disk_xml "$IMAGES/shared.img" ro)"
define_test_vm ro2 acpi "$(disk_xml "$IMAGES/shared.img" ro)"
systemctl daemon-reload
assert_success systemctl start vm@ro1.service vm@ro2.service
assert_eq vmunit-qemu "$(stat -c %U "$IMAGES/shared.img")" "shared image owner with two VMs"
wait_guest_acpi ro1
wait_guest_acpi ro2
assert_success systemctl stop vm@ro1.service
assert_eq vmunit-qemu "$(stat -c %U "$IMAGES/shared.img")" "shared image owner while ro2 still runs"
assert_success systemctl stop vm@ro2.service
assert_eq "$shared_before" "$(owner "$IMAGES/shared.img")" "shared image owner after both stopped"

rm -f "$VMUNIT_DOMAINS"/{owner1,ro1,ro2}.xml "$IMAGES"/{own,shared}.img
systemctl daemon-reload
echo ok
