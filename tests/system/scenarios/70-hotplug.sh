#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Disk hotplug on the real host: `vmctl attach-disk` gives a running VM a
# new virtio disk — the test guest sees a new PCI device, the image is
# owned by QEMU's user, the VM's AppArmor .files lists it (and QEMU,
# confined, could open it) — and `vmctl detach-disk` takes it away: the
# guest ejects it, .files no longer lists it, and the image's owner and
# label are what they were. A loop device goes the same way through the
# cgroup device ACL. Errors are one line with a non-zero exit.
# vmunit-test-timeout: 240
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

IMAGES=/var/lib/vmunit/images
UUID=4a5c7e10-0000-4000-8000-000000000070
FILES=/etc/apparmor.d/vmunit/vmunit-$UUID.files
NAME=hotplug
UNIT=vm@$NAME.service

owner() { stat -c '%U:%G %a' "$1"; }
label() { stat -c %C "$1" 2>/dev/null || echo none; }
guest_says() { journalctl -b --no-pager -u "$UNIT" | grep -c "VMUNIT-TEST-GUEST: $1" || true; }
aa_on() { [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /etc/apparmor.d/vmunit ]; }

step "a running VM whose guest watches PCI bus 0"
mkdir -p "$IMAGES" "$VMUNIT_DOMAINS"
truncate -s 1M "$IMAGES/hot.img"
chown daemon:daemon "$IMAGES/hot.img"
chmod 0640 "$IMAGES/hot.img"
before_owner=$(owner "$IMAGES/hot.img")
before_label=$(label "$IMAGES/hot.img")
test_vm_xml "$NAME" "acpi pci" | sed "s|<name>$NAME</name>|&<uuid>$UUID</uuid>|" >"$VMUNIT_DOMAINS/$NAME.xml"
systemctl daemon-reload
assert_success systemctl start "$UNIT"
wait_for 60 sh -c "journalctl -b --no-pager -u '$UNIT' | grep -q 'VMUNIT-TEST-GUEST: pci watching'"

step "vmctl attach-disk: the guest sees the disk, QEMU owns the image, .files lists it"
adds=$(guest_says "pci add")
assert_success vmctl attach-disk "$NAME" "$IMAGES/hot.img" vdb
wait_for 30 sh -c "[ \$(journalctl -b --no-pager -u '$UNIT' | grep -c 'VMUNIT-TEST-GUEST: pci add .* 1af4:1001') -gt $adds ]"
assert_eq vmunit-qemu "$(stat -c %U "$IMAGES/hot.img")" "image owner while attached"
assert_contains "$(vmctl dumpxml "$NAME")" "<source file='$IMAGES/hot.img'/>" "live XML"
if aa_on; then
        assert_contains "$(cat "$FILES")" "$IMAGES/hot.img" "$FILES while attached"
else
        note "AppArmor not enabled in this test host: .files not checked"
fi

step "errors: one line, non-zero exit, nothing attached"
rc=0
out=$(vmctl attach-disk "$NAME" "$IMAGES/missing.img" vdc 2>&1) || rc=$?
assert_ne 0 "$rc" "exit of attach-disk with a missing image"
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of: $out"
rc=0
out=$(vmctl attach-disk "$NAME" "$IMAGES/hot.img" vdb 2>&1) || rc=$?
assert_ne 0 "$rc" "exit of attach-disk to a target in use"
assert_contains "$out" "already" "attach-disk to a target in use"
rc=0
out=$(vmctl detach-disk "$NAME" vdq 2>&1) || rc=$?
assert_ne 0 "$rc" "exit of detach-disk of an unknown target"
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of: $out"

step "vmctl detach-disk: the guest ejects it, .files forgets it, owner and label restored"
dels=$(guest_says "pci del")
assert_success vmctl detach-disk "$NAME" vdb
wait_for 30 sh -c "[ \$(journalctl -b --no-pager -u '$UNIT' | grep -c 'VMUNIT-TEST-GUEST: pci del') -gt $dels ]"
assert_not_contains "$(vmctl dumpxml "$NAME")" "hot.img" "live XML after detach"
assert_eq "$before_owner" "$(owner "$IMAGES/hot.img")" "image owner after detach"
assert_eq "$before_label" "$(label "$IMAGES/hot.img")" "image label after detach"
if aa_on; then
        assert_not_contains "$(cat "$FILES")" "$IMAGES/hot.img" "$FILES after detach"
fi

step "a block device: attached through the device ACL, given back at detach"
if loop=$(losetup --find --show "$IMAGES/hot.img" 2>/dev/null); then
        loop_owner=$(owner "$loop")
        assert_success vmctl attach-disk "$NAME" "$loop" vdc
        assert_contains "$(vmctl dumpxml "$NAME")" "<source dev='$loop'/>" "live XML with the loop device"
        assert_eq vmunit-qemu "$(stat -c %U "$loop")" "loop device owner while attached"
        aa_on && assert_contains "$(cat "$FILES")" "$loop" "$FILES with the loop device"
        assert_success vmctl detach-disk "$NAME" vdc
        assert_eq "$loop_owner" "$(owner "$loop")" "loop device owner after detach"
        aa_on && assert_not_contains "$(cat "$FILES")" "$loop" "$FILES after the loop device went"
        losetup -d "$loop"
else
        note "no loop device in this test host: block device case not run"
fi

step "stop: exit clean"
assert_success systemctl stop "$UNIT"
assert_eq 0 "$(exit_status_of "$UNIT")" "exit status"
assert_eq "$before_owner" "$(owner "$IMAGES/hot.img")" "image owner after stop"

rm -f "$VMUNIT_DOMAINS/$NAME.xml" "$IMAGES/hot.img"
systemctl daemon-reload
echo ok
