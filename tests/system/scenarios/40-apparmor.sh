#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# AppArmor sVirt, proven by trying to break out. Two VMs, A and B, each
# with a disk image: QEMU runs as "vmunit-UUID (enforce)"; from A's QEMU
# (a second QMP monitor added through <qemu:commandline>), blockdev-add of
# B's image and of /etc/shadow fail with "Permission denied" and the kernel
# logs the AppArmor denial, while B opens its own image. An admin edit to
# /etc/apparmor.d/vmunit/vmunit-UUID survives a restart and takes effect;
# vmunit-UUID.files is regenerated; stop and SIGKILL+cleanup unload the
# profile; a disk path that would inject rules is refused with a clear
# error. B boots a kernel from the boot directory (/var/lib/vmunit/boot,
# made by vmunit-setup), which its .files names, and A's does not.
# vmunit-test-timeout: 300
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

IMAGES=/var/lib/vmunit/images
AA_DIR=/etc/apparmor.d/vmunit
UA=4a5c7e10-0000-4000-8000-0000000000aa
UB=4a5c7e10-0000-4000-8000-0000000000bb
PA=vmunit-$UA
PB=vmunit-$UB

# aa_vm_xml NAME UUID IMAGE: the multiboot test guest with one virtio disk
# and a second QMP monitor in its runtime directory, for the test to talk
# to QEMU directly (the supervisor holds the first one).
aa_vm_xml() {
        test_vm_xml "$1" acpi "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$3'/><target dev='vda' bus='virtio'/></disk>" \
                "<uuid>$2</uuid>" | with_test_monitor "$1"
}

profile_loaded() { grep -q "^$1 " /sys/kernel/security/apparmor/profiles; }

# denied PROFILE PATH: the kernel logged an AppArmor denial of PATH for PROFILE.
denied() {
        dmesg | grep 'apparmor="DENIED"' | grep "profile=\"$1\"" | grep -q "name=\"$2\""
}

step "AppArmor is on in the test host"
assert_eq Y "$(cat /sys/module/apparmor/parameters/enabled)" "apparmor enabled"
assert_file "$AA_DIR/TEMPLATE.qemu"
assert_file /etc/apparmor.d/abstractions/vmunit-qemu

step "two VMs with their own images"
mkdir -p "$IMAGES"
truncate -s 16M "$IMAGES/aa-a.img" "$IMAGES/aa-b.img"
echo "not for A" >"$IMAGES/aa-extra.img"
chmod 0644 "$IMAGES/aa-extra.img"
rm -f "$AA_DIR/$PA" "$AA_DIR/$PA.files" "$AA_DIR/$PB" "$AA_DIR/$PB.files"
mkdir -p "$VMUNIT_DOMAINS"
aa_vm_xml aa-a "$UA" "$IMAGES/aa-a.img" >"$VMUNIT_DOMAINS/aa-a.xml"
[ -d /var/lib/vmunit/boot ] || fail "no boot directory /var/lib/vmunit/boot after vmunit-setup"
cp "$VMUNIT_TEST_GUEST" /var/lib/vmunit/boot/aa-guest.elf
aa_vm_xml aa-b "$UB" "$IMAGES/aa-b.img" |
        sed "s|<kernel>.*</kernel>|<kernel>/var/lib/vmunit/boot/aa-guest.elf</kernel>|" >"$VMUNIT_DOMAINS/aa-b.xml"
systemctl daemon-reload
assert_success systemctl start vm@aa-a.service
assert_success systemctl start vm@aa-b.service

step "QEMU runs in its own profile, enforced"
assert_eq "$PA (enforce)" "$(tr -d '\0' </proc/"$(qemu_pid_of aa-a)"/attr/current)" "A's label"
assert_eq "$PB (enforce)" "$(tr -d '\0' </proc/"$(qemu_pid_of aa-b)"/attr/current)" "B's label"
profile_loaded "$PA" || fail "$PA not in the kernel's profile list"
assert_file "$AA_DIR/$PA"
files=$(cat "$AA_DIR/$PA.files")
assert_contains "$files" "\"$IMAGES/aa-a.img\" rwk," "A's .files"
assert_contains "$files" "\"/run/vmunit/aa-a/qemu/\" rw," "A's .files"
assert_not_contains "$files" "\"/run/vmunit/aa-a/\"" "A's .files: the runtime dir itself is the supervisor's"
assert_not_contains "$files" "aa-b.img" "A's .files"
assert_not_contains "$files" "/var/lib/vmunit/boot/" "A's .files"
assert_contains "$(cat "$AA_DIR/$PB.files")" "\"/var/lib/vmunit/boot/aa-guest.elf\" rk," "B's .files"
wait_for 60 sh -c "journalctl -b --no-pager -u vm@aa-b.service | grep -q 'console: VMUNIT-TEST-GUEST: booted'"

step "A's QEMU holds its files as fds from the unconfined supervisor"
# AppArmor revalidates inherited fds at exec only when their opener was
# confined: the supervisor is not, so the console log (root's, 0600, in no
# rule of A's profile) is written through its fd, and QEMU cannot open it
# by path.
qa=$(qemu_pid_of aa-a)
assert_contains "$(ls -l "/proc/$qa/fd")" "$IMAGES/aa-a.img" "A's fds"
assert_contains "$(ls -l "/proc/$qa/fd")" "/run/vmunit/aa-a/console.log" "A's fds"
assert_not_contains "$(tr '\0' ' ' <"/proc/$qa/cmdline")" "aa-a.img" "A's command line"
assert_not_contains "$files" "console.log" "A's .files"
wait_for 60 sh -c "journalctl -b --no-pager -u vm@aa-a.service | grep -q 'console: VMUNIT-TEST-GUEST: booted'"
out=$(blockdev_add aa-a clog /run/vmunit/aa-a/console.log)
assert_contains "$out" "Permission denied" "blockdev-add of A's console log from A"

step "A cannot open B's image; B can"
out=$(blockdev_add aa-a steal "$IMAGES/aa-b.img")
assert_contains "$out" "Permission denied" "blockdev-add of B's image from A"
denied "$PA" "$IMAGES/aa-b.img" || fail "no AppArmor denial of aa-b.img for $PA in the kernel log"
out=$(blockdev_add aa-b own "$IMAGES/aa-b.img" ',"locking":"off"')
assert_eq '{"return": {}}' "$out" "blockdev-add of B's own image from B"

step "A cannot open host files: /etc/shadow, /etc/fstab"
out=$(blockdev_add aa-a shadow /etc/shadow)
assert_contains "$out" "Permission denied" "blockdev-add of /etc/shadow from A"
# /etc/shadow is 0640 root:shadow, so DAC refuses QEMU's user before
# AppArmor is asked; a world-readable host file shows the profile itself.
out=$(blockdev_add aa-a fstab /etc/fstab)
assert_contains "$out" "Permission denied" "blockdev-add of /etc/fstab from A"
denied "$PA" /etc/fstab || fail "no AppArmor denial of /etc/fstab for $PA in the kernel log"

step "an admin's edit survives a restart and takes effect; .files is regenerated"
out=$(blockdev_add aa-a extra "$IMAGES/aa-extra.img")
assert_contains "$out" "Permission denied" "aa-extra.img before the edit"
denied "$PA" "$IMAGES/aa-extra.img" || fail "no AppArmor denial of aa-extra.img for $PA in the kernel log"
sed -i "s|^}\$|  \"$IMAGES/aa-extra.img\" rk,  # admin: test edit\\n}|" "$AA_DIR/$PA"
assert_contains "$(cat "$AA_DIR/$PA")" "admin: test edit" "edited profile"
sed -i "\\|aa-a.img|d" "$AA_DIR/$PA.files"
assert_not_contains "$(cat "$AA_DIR/$PA.files")" "aa-a.img" ".files after deleting the line"
t_restart=$(date +%s)
assert_success systemctl restart vm@aa-a.service
assert_contains "$(cat "$AA_DIR/$PA")" "admin: test edit" "profile after restart"
assert_contains "$(cat "$AA_DIR/$PA.files")" "\"$IMAGES/aa-a.img\" rwk," ".files after restart"
assert_eq "$PA (enforce)" "$(tr -d '\0' </proc/"$(qemu_pid_of aa-a)"/attr/current)" "A's label after restart"
out=$(blockdev_add aa-a extra "$IMAGES/aa-extra.img")
assert_eq '{"return": {}}' "$out" "aa-extra.img after the edit"

step "stopping the unit unloads the profile, keeps the admin's file"
# Let the guest get to its ACPI handler, so the stop is a quick power-off.
wait_for 60 sh -c "journalctl -b --no-pager -u vm@aa-a.service --since=@$t_restart | grep -q 'waiting for ACPI'"
assert_success systemctl stop vm@aa-a.service
profile_loaded "$PA" && fail "$PA still loaded after stop"
assert_file "$AA_DIR/$PA"
assert_contains "$(cat "$AA_DIR/$PA")" "admin: test edit" "profile after stop"
profile_loaded "$PB" || fail "stopping A unloaded B's profile"

step "SIGKILL of the whole unit: ExecStopPost cleanup unloads the profile"
systemctl kill -s KILL vm@aa-b.service
# failed (killed) or inactive, once ExecStopPost= has run
# shellcheck disable=SC2016
wait_for 30 sh -c 'case $(systemctl show -P ActiveState vm@aa-b.service) in failed | inactive) exit 0 ;; esac; exit 1'
wait_for 30 sh -c "! grep -q '^$PB ' /sys/kernel/security/apparmor/profiles"
systemctl reset-failed vm@aa-b.service 2>/dev/null || true

step "a disk path that would inject AppArmor rules is refused"
touch "$IMAGES/aa-{a,b}.img"
aa_vm_xml aa-bad 4a5c7e10-0000-4000-8000-0000000000cc "$IMAGES/aa-{a,b}.img" >"$VMUNIT_DOMAINS/aa-bad.xml"
systemctl daemon-reload
assert_failure systemctl start vm@aa-bad.service
assert_contains "$(journalctl -b --no-pager -u vm@aa-bad.service)" \
        "contains '{', which cannot be written into an AppArmor rule" "journal of aa-bad"
profile_loaded vmunit-4a5c7e10-0000-4000-8000-0000000000cc && fail "aa-bad's profile was loaded"

step "AppArmor on but its policy not loadable: the start fails instead of running QEMU unconfined"
aa_vm_xml aa-noload 4a5c7e10-0000-4000-8000-0000000000dd "$IMAGES/aa-a.img" >"$VMUNIT_DOMAINS/aa-noload.xml"
touch "$IMAGES/aa-a.img"
mkdir -p /run/systemd/system/vm@aa-noload.service.d
printf '[Service]\nInaccessiblePaths=/sys/kernel/security/apparmor\n' \
        >/run/systemd/system/vm@aa-noload.service.d/90-test-noload.conf
systemctl daemon-reload
assert_failure systemctl start vm@aa-noload.service
assert_contains "$(journalctl -b --no-pager -u vm@aa-noload.service)" \
        "apparmor is enabled but cannot be used here" "journal of aa-noload"
[ -z "$(pgrep -f 'guest=aa-noload' || true)" ] || fail "a QEMU for aa-noload runs"
rm -rf /run/systemd/system/vm@aa-noload.service.d

step "clean up"
systemctl reset-failed vm@aa-bad.service vm@aa-noload.service 2>/dev/null || true
rm -f "$VMUNIT_DOMAINS/aa-a.xml" "$VMUNIT_DOMAINS/aa-b.xml" "$VMUNIT_DOMAINS/aa-bad.xml" "$VMUNIT_DOMAINS/aa-noload.xml" \
        "$IMAGES/aa-a.img" "$IMAGES/aa-b.img" "$IMAGES/aa-extra.img" "$IMAGES/aa-{a,b}.img" \
        /var/lib/vmunit/boot/aa-guest.elf
systemctl daemon-reload
echo ok
