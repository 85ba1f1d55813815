#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Power loss with a VM running (issue 9): VM pl-a boots from a kernel only
# root may read, so it carries an ACL entry for vmunit-qemu and a holder
# record with this boot's id. The test host is reset (sysrq 'b': no unit
# stopped, no ExecStopPost, /run and the label journal gone). After the
# boot the record is stale (another boot's id): VM pl-b boots from the
# same kernel (it takes the record over, its holders dropped) and at its
# stop the original mode and ACL are back exactly; pl-a starts and stops
# again: still exact.
# vmunit-test-timeout: 180
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"
# shellcheck source=tests/system/lib-labels.sh
. "$VMUNIT_TEST_DIR/lib-labels.sh"

IMG=/var/lib/vmunit/images/power-loss
A=pl-a
B=pl-b
UUID_A=90e21055-0000-4000-8000-0000000000a3
UUID_B=90e21055-0000-4000-8000-0000000000b3
KERNEL=$IMG/guest.elf

define() { # NAME UUID
        test_vm_xml "$1" acpi "" "<uuid>$2</uuid>" | sed "s|<kernel>.*</kernel>|<kernel>$KERNEL</kernel>|" >"$VMUNIT_DOMAINS/$1.xml"
}
record() { lc_file_state "$KERNEL" | sed -n 's/.*xattr trusted.vmunit.dac="\(.*\)"$/\1/p'; }
qemu_reads() { runuser -u vmunit-qemu -- test -r "$KERNEL"; }

case "$1" in
start)
        step "$A runs from a kernel only root may read"
        mkdir -p "$IMG" "$VMUNIT_DOMAINS"
        install -m 0600 -o root -g root "$VMUNIT_TEST_GUEST" "$KERNEL"
        define $A $UUID_A
        define $B $UUID_B
        systemctl daemon-reload
        lc_file_state "$KERNEL"
        state_save original "$(lc_file_state "$KERNEL")"
        lc_start $A
        lc_file_state "$KERNEL"
        rec=$(record)
        echo "holder record: $rec"
        assert_eq "$(boot_id) 0600:none $UUID_A" "$rec" "the kernel's holder record"
        qemu_reads || fail "vmunit-qemu cannot read the kernel while $A runs"
        state_save running "$(lc_file_state "$KERNEL")"
        state_save boot "$(boot_id)"
        # What a VM that ran a while has on disk: its labels written back.
        sync
        testhost_crash_then after-crash
        ;;
after-crash)
        trap 'systemctl stop "$(vm_unit $A)" "$(vm_unit $B)" >/dev/null 2>&1 || true; rm -rf "$IMG" "$VMUNIT_DOMAINS/$A.xml" "$VMUNIT_DOMAINS/$B.xml"; systemctl daemon-reload' EXIT
        ORIGINAL=$(state_load original)
        OLD_BOOT=$(state_load boot)
        step "after the power loss: $A is down, its labels and stale record still on the kernel"
        assert_ne "$OLD_BOOT" "$(boot_id)" "boot id"
        assert_eq inactive "$(unit_state "$(vm_unit $A)")" "$A after the reset"
        [ ! -e "/run/vmunit/labels/$A.journal" ] || fail "the label journal survived the power loss (it lives in /run)"
        lc_file_state "$KERNEL"
        assert_eq "$(state_load running)" "$(lc_file_state "$KERNEL")" "the kernel as the reset left it"
        assert_eq "$OLD_BOOT 0600:none $UUID_A" "$(record)" "the stale holder record"
        if grep -q '^vmunit-' /sys/kernel/security/apparmor/profiles; then fail "a vmunit profile is loaded after boot"; fi

        step "$B boots from the same kernel: the stale record is taken over, $A's hold dropped"
        lc_start $B
        lc_file_state "$KERNEL"
        assert_eq "$(boot_id) 0600:none $UUID_B" "$(record)" "the kernel's holder record with $B running"
        qemu_reads || fail "vmunit-qemu cannot read the kernel while $B runs"
        assert_success systemctl stop "$(vm_unit $B)"
        assert_eq "$ORIGINAL" "$(lc_file_state "$KERNEL")" "the kernel after $B stopped"
        ! qemu_reads || fail "vmunit-qemu can still read the kernel"

        step "$A starts and stops again: still exact"
        lc_start $A
        assert_eq "$(boot_id) 0600:none $UUID_A" "$(record)" "the kernel's holder record with $A running again"
        assert_success systemctl stop "$(vm_unit $A)"
        assert_eq "$ORIGINAL" "$(lc_file_state "$KERNEL")" "the kernel after $A stopped"
        left=$(find /etc/apparmor.d/vmunit -name '*.files')
        assert_eq "" "$left" "generated AppArmor .files left"
        echo ok
        ;;
*) fail "unknown stage '$1'" ;;
esac
