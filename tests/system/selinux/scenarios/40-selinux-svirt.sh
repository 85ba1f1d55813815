#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# SELinux sVirt in the SELinux test-host variant (tests/system/selinux/):
# two VMs' QEMUs run as svirt_t with different category pairs, each VM's
# exclusive disk carries its pair, the shared disk the shared image
# context and the read-only one the content context; after a clean stop,
# and after `systemctl kill -s KILL` of the whole unit, every label is the
# original again and no pair stays reserved. Enforcing unless
# VMUNIT_SELINUX_PERMISSIVE=1 (the outcome line says which).
# vmunit-test-timeout: 300
. "$VMUNIT_TEST_LIB"

IMG=/var/lib/vmunit/images/se-test
MODE=enforcing
cleanup() {
        systemctl stop vm@se-a.service vm@se-b.service >/dev/null 2>&1 || true
        setenforce 0 2>/dev/null || true
        rm -rf "$IMG" "$VMUNIT_DOMAINS/se-a.xml" "$VMUNIT_DOMAINS/se-b.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

label_of() { stat -c %C "$1"; }
proc_label() { tr -d '\0' <"/proc/$1/attr/current"; }

step "SELinux is on, with the vmunit policy module"
[ -e /sys/fs/selinux/enforce ] || fail "SELinux is not enabled (boot the selinux test-host variant)"
assert_file /usr/share/selinux/packages/vmunit.pp
assert_success semodule -i /usr/share/selinux/packages/vmunit.pp
mkdir -p /run/vmunit /var/lib/vmunit/images
restorecon -RF /usr/libexec/vmunit /etc/vmunit /run/vmunit /var/lib/vmunit
assert_contains "$(label_of /usr/libexec/vmunit/vmunit-supervisor)" vmunit_supervisor_exec_t "supervisor label"
# TCG (no KVM in the test host) writes and runs translated code.
assert_success setsebool virt_use_execmem on
if [ "${VMUNIT_SELINUX_PERMISSIVE:-0}" = 1 ]; then
        MODE=permissive
else
        assert_success setenforce 1
fi
note "SELinux $MODE ($(getenforce))"

step "two VMs: an exclusive disk each, one shared, one read-only"
mkdir -p "$IMG"
truncate -s 1M "$IMG/a.img" "$IMG/b.img" "$IMG/shared.img" "$IMG/ro.img"
restorecon -RF "$IMG"
declare -A BEFORE
for f in a.img b.img shared.img ro.img; do BEFORE[$f]=$(label_of "$IMG/$f"); done
BEFORE[guest]=$(label_of "$VMUNIT_TEST_GUEST")
disks() {
        cat <<XML
<disk type='file' device='disk'><source file='$IMG/$1'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='$IMG/shared.img'/><target dev='vdb' bus='virtio'/><shareable/></disk>
    <disk type='file' device='disk'><source file='$IMG/ro.img'/><target dev='vdc' bus='virtio'/><readonly/></disk>
XML
}
define_test_vm se-a acpi "$(disks a.img)"
define_test_vm se-b acpi "$(disks b.img)"
systemctl daemon-reload
assert_success systemctl start vm@se-a.service vm@se-b.service
assert_unit_state vm@se-a.service active
assert_unit_state vm@se-b.service active

step "QEMUs run as svirt_t with distinct pairs; images carry them"
LA=$(proc_label "$(qemu_pid_of se-a)")
LB=$(proc_label "$(qemu_pid_of se-b)")
echo "se-a: $LA"
echo "se-b: $LB"
PA=$(sed -n 's/^system_u:system_r:svirt_t:s0:\(c[0-9]*,c[0-9]*\)$/\1/p' <<<"$LA")
PB=$(sed -n 's/^system_u:system_r:svirt_t:s0:\(c[0-9]*,c[0-9]*\)$/\1/p' <<<"$LB")
[ -n "$PA" ] || fail "se-a's QEMU is not svirt_t with a pair: $LA"
[ -n "$PB" ] || fail "se-b's QEMU is not svirt_t with a pair: $LB"
assert_ne "$PA" "$PB" "the two VMs' category pairs"
assert_eq "system_u:object_r:svirt_image_t:s0:$PA" "$(label_of "$IMG/a.img")" "se-a's disk"
assert_eq "system_u:object_r:svirt_image_t:s0:$PB" "$(label_of "$IMG/b.img")" "se-b's disk"
assert_eq system_u:object_r:svirt_image_t:s0 "$(label_of "$IMG/shared.img")" "shared disk"
assert_eq system_u:object_r:virt_content_t:s0 "$(label_of "$IMG/ro.img")" "read-only disk"
assert_file "/run/vmunit/labels/mcs/$PA"
assert_file "/run/vmunit/labels/mcs/$PB"

step "MCS keeps se-a's domain away from se-b's disk"
if [ "$MODE" = enforcing ]; then
        # A process in se-a's exact context may read its own disk, not B's.
        assert_success runcon "$LA" -- dd if="$IMG/a.img" of=/dev/null bs=4k count=1 status=none
        assert_failure runcon "$LA" -- dd if="$IMG/b.img" of=/dev/null bs=4k count=1 status=none
else
        note "permissive: access checks not meaningful"
fi

step "clean stop of se-a: its labels back, the shared disk stays for se-b"
assert_success systemctl stop vm@se-a.service
assert_eq "${BEFORE[a.img]}" "$(label_of "$IMG/a.img")" "se-a's disk after stop"
assert_eq system_u:object_r:svirt_image_t:s0 "$(label_of "$IMG/shared.img")" "shared disk while se-b runs"
[ ! -e "/run/vmunit/labels/mcs/$PA" ] || fail "pair $PA still reserved"

step "systemctl kill -s KILL of se-b: ExecStopPost restores everything"
assert_success systemctl kill -s KILL vm@se-b.service
# inactive or failed (Restart= may differ): either way ExecStopPost has run.
stopped() { case $(unit_state vm@se-b.service) in inactive | failed) return 0 ;; *) return 1 ;; esac; }
wait_for 60 stopped
for f in a.img b.img shared.img ro.img; do
        assert_eq "${BEFORE[$f]}" "$(label_of "$IMG/$f")" "$f after the kill"
done
assert_eq "${BEFORE[guest]}" "$(label_of "$VMUNIT_TEST_GUEST")" "the guest kernel after the kill"
assert_eq "" "$(ls /run/vmunit/labels/mcs 2>/dev/null)" "reserved pairs"

step "AVC denials of svirt_t / virtd_t in this boot (for the policy)"
journalctl -b --no-pager -k -g 'avc: +denied' 2>/dev/null | grep -E 'svirt_t|virtd_t' | tail -n 40 || true
note "SELinux sVirt checked in $MODE mode"
