#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's setup step (vmunit-setup) on the SELinux test host, and
# what a start says when its work is missing, enforcing:
#  - run again, it changes nothing and says so (the module it would load
#    is loaded already);
#  - a supervisor binary without its file context (as after an install
#    without the setup step's restorecon): the start fails before QEMU
#    runs, exit 2, one line naming the fix;
#  - without the policy module (removed with semodule -r, files relabelled
#    as on a host that never had it): the start fails before anything is
#    reserved or relabelled, exit 2, one line naming `semodule -i` and the
#    setup step; nothing is left behind;
#  - vmunit-setup puts it all back, and a VM starts again;
#  - no denial for QEMU, the supervisor, vmctl or vmunit-setup.
# semodule -r and -i rebuild the policy: a minute or two each under TCG.
# vmunit-test-timeout: 600
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

VM=se-setup
UNIT=vm@$VM.service
SETUP=/usr/libexec/vmunit/vmunit-setup
SUPERVISOR=/usr/libexec/vmunit/vmunit-supervisor
IMG=/var/lib/vmunit/images/$VM
VMUNIT_PATHS=(/usr/libexec/vmunit /etc/vmunit /run/vmunit /var/lib/vmunit)

cleanup() {
        local rc=$?
        systemctl stop "$UNIT" >/dev/null 2>&1 || true
        systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
        # Whatever happened above, leave the host as the setup step makes
        # it for the scenarios after this one.
        if [ "$rc" != 0 ]; then
                semodule -l | grep -qx vmunit || echo "cleanup: loading the module again"
                "$SETUP" >/dev/null 2>&1 || echo "cleanup: vmunit-setup failed"
        fi
        setenforce 0 2>/dev/null || true
        rm -rf "$IMG" "$VMUNIT_DOMAINS/$VM.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

label_of() { stat -c %C "$1"; }
type_of() { stat -c %C "$1" | cut -d: -f3; }

# refused_start WHAT: the start fails with exit 2, having changed nothing;
# prints the unit's journal of this start.
refused_start() {
        local c0 log
        c0=$(journal_cursor)
        assert_failure systemctl start "$UNIT"
        wait_for_unit_state "$UNIT" failed 30
        # The supervisor's stderr reaches the journal on its own stream,
        # possibly after systemd's lines about the exit.
        wait_for 20 sh -c "journalctl --no-pager -u '$UNIT' --after-cursor='$c0' | grep -q 'security: selinux:'"
        log=$(journalctl --no-pager -u "$UNIT" --after-cursor="$c0")
        echo "$log" >&2
        assert_eq 2 "$(exit_status_of "$UNIT")" "$1: exit status"
        assert_eq "$disk_before" "$(label_of "$IMG/disk.img")" "$1: the disk's label"
        assert_eq "" "$(ls /var/lib/vmunit/labels/mcs 2>/dev/null)" "$1: reserved pairs"
        [ ! -e "/run/vmunit/$VM" ] || fail "$1: /run/vmunit/$VM left behind"
        [ ! -e "/run/vmunit/labels/$VM.journal" ] || fail "$1: the label journal left behind"
        systemctl reset-failed "$UNIT"
        printf '%s\n' "$log"
}

step "vmunit-setup again: nothing to do, and it says so"
[ -e /sys/fs/selinux/enforce ] || fail "SELinux is not enabled (boot the selinux test-host variant)"
t=$SECONDS
out=$("$SETUP" 2>&1) || fail "vmunit-setup failed: $out"
echo "$out"
note "vmunit-setup took $((SECONDS - t))s"
assert_contains "$out" "policy module vmunit is loaded from /usr/share/selinux/packages/vmunit.pp already" "vmunit-setup"
assert_not_contains "$out" "semodule -i" "vmunit-setup"

step "a VM with a disk and a kernel in the boot directory"
assert_success setenforce 1
mark_avcs
mkdir -p "$IMG" "$VMUNIT_DOMAINS"
truncate -s 1M "$IMG/disk.img"
restorecon -RF "$IMG" >/dev/null 2>&1
cp "$VMUNIT_TEST_GUEST" "/var/lib/vmunit/boot/$VM.elf"
disk_before=$(label_of "$IMG/disk.img")
test_vm_xml "$VM" acpi "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG/disk.img'/><target dev='vda' bus='virtio'/></disk>" |
        sed "s|<kernel>.*</kernel>|<kernel>/var/lib/vmunit/boot/$VM.elf</kernel>|" >"$VMUNIT_DOMAINS/$VM.xml"
systemctl daemon-reload

step "the supervisor without its file context: refused before QEMU runs, one line naming the fix"
chcon -t bin_t "$SUPERVISOR"
log=$(refused_start "unlabelled supervisor")
assert_contains "$log" ", not virtd_t, so the policy will not let it start QEMU" "the journal"
assert_contains "$log" "$SUPERVISOR lacks its file context (run $SETUP" "the journal"
restorecon "$SUPERVISOR" >/dev/null 2>&1
assert_eq vmunit_supervisor_exec_t "$(type_of "$SUPERVISOR")" "the supervisor's type again"

step "without the policy module: refused before anything changes, one line naming the fix"
t=$SECONDS
assert_success semodule -r vmunit
note "semodule -r took $((SECONDS - t))s"
# What a host that never had the module has: the base policy's labels.
restorecon -RF "${VMUNIT_PATHS[@]}" >/dev/null 2>&1
ls -Zd "$SUPERVISOR" /run/vmunit /var/lib/vmunit/images /var/lib/vmunit/boot
disk_before=$(label_of "$IMG/disk.img")
log=$(refused_start "no module")
line="the SELinux policy module vmunit is not loaded: run $SETUP (semodule -i /usr/share/selinux/packages/vmunit.pp, restorecon; see README)"
assert_contains "$log" "$line" "the journal"
assert_eq 1 "$(grep -c -F "$line" <<<"$log")" "lines naming the fix"

step "vmunit-setup puts the module and the labels back; the VM starts"
t=$SECONDS
out=$("$SETUP" 2>&1) || fail "vmunit-setup failed: $out"
echo "$out"
note "vmunit-setup took $((SECONDS - t))s"
assert_contains "$out" "semodule -i /usr/share/selinux/packages/vmunit.pp" "vmunit-setup"
semodule -l | grep -qx vmunit || fail "the module is not loaded after vmunit-setup"
assert_eq vmunit_supervisor_exec_t "$(type_of "$SUPERVISOR")" "the supervisor's type"
assert_eq virt_content_t "$(type_of /var/lib/vmunit/boot)" "the boot directory's type"
assert_eq virt_image_t "$(type_of /var/lib/vmunit/images)" "the image directory's type"
assert_eq virt_runtime_t "$(type_of /run/vmunit)" "/run/vmunit's type"
if ! systemctl start "$UNIT"; then
        journalctl -b --no-pager -n 30 -u "$UNIT"
        avcs_since_mark
        fail "the VM does not start after vmunit-setup"
fi
echo "QEMU: $(tr -d '\0' <"/proc/$(qemu_pid_of "$VM")/attr/current")"
assert_contains "$(tr -d '\0' <"/proc/$(qemu_pid_of "$VM")/attr/current")" ":svirt_tcg_t:s0:c" "QEMU's label"
wait_guest_acpi "$VM"
assert_success systemctl stop "$UNIT"
rm -f "/var/lib/vmunit/boot/$VM.elf"

step "no denial for QEMU, the supervisor, vmctl or vmunit-setup"
out=$(avcs_since_mark)
[ -z "$out" ] || echo "$out"
bad=$(vmunit_avcs_since_mark)
[ -z "$bad" ] || fail "$(wc -l <<<"$bad") denial(s) for vmunit (listed above)"
setenforce 0
note "the setup step, an unlabelled supervisor and a missing module checked under enforcing"
