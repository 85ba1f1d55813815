#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Crash idempotence of the labels, with the real supervisor under systemd
# (issue 9; the library-level twin is tests/integration/test-label-crash.sh).
# VM lc-b runs throughout. VM lc-a boots from the same kernel, 0600 and
# root's (so both VMs hold an ACL entry for vmunit-qemu on it, and a
# holder record), has an initrd of its own (0600 too), shares a read-only
# disk with lc-b and has a writable one. One clean run of lc-a traces every journalled step of labelling
# and restoring (-Dtest_hooks=true); then, at each of them in turn,
# lc-a's supervisor stops itself and the unit is SIGKILLed. Its
# ExecStopPost --cleanup, and a second --cleanup by hand, must each leave
# every owner, mode, ACL, xattr, label journal, runtime directory and
# loaded AppArmor profile exactly as before, with lc-b still running and
# its labels intact. One more kill comes while lc-a runs (its profile
# loaded).
# vmunit-test-timeout: 480
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"
# shellcheck source=tests/system/lib-labels.sh
. "$VMUNIT_TEST_DIR/lib-labels.sh"

IMG=/var/lib/vmunit/images/label-crash
A=lc-a
B=lc-b
UUID_A=1abe1c4a-0000-4000-8000-0000000000a2
UUID_B=1abe1c4a-0000-4000-8000-0000000000b2

cleanup() {
        systemctl stop "$(vm_unit $A)" "$(vm_unit $B)" >/dev/null 2>&1 || true
        lc_teardown $A $B
        rm -rf "$IMG" "$VMUNIT_DOMAINS/$A.xml" "$VMUNIT_DOMAINS/$B.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

FILES=("$IMG/guest.elf" "$IMG/a-initrd" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img" "/run/vmunit/$B/qemu")
snapshot() {
        lc_snapshot "${FILES[@]}"
        # Cheap, from /proc: this runs three times per kill point.
        echo "$B: supervisor ${B_PID:-?} $(cat "/proc/${B_PID:-0}/comm" 2>&1), qemu $(qemu_pid_of $B) $(cat "/proc/$(qemu_pid_of $B)/comm" 2>&1)"
}

step "files: a kernel only root may read, a shared read-only disk, one writable disk each"
lc_make_files
chown daemon:daemon "$IMG/ro.img"
chmod 0644 "$IMG/ro.img"
lc_file_state "$IMG/guest.elf" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img"
ORIGINAL=$(lc_file_state "$IMG/guest.elf" "$IMG/a-initrd" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img")
mkdir -p "$VMUNIT_DOMAINS"
lc_vm_xml $A $UUID_A acpi a.img a-initrd >"$VMUNIT_DOMAINS/$A.xml"
lc_vm_xml $B $UUID_B "acpi ticks" b.img >"$VMUNIT_DOMAINS/$B.xml"
lc_setup $A $B

step "$B starts and stays up"
B_CURSOR=$(journal_cursor)
lc_start $B
B_PID=$(unit_property "$(vm_unit $B)" MainPID)
B_QEMU=$(qemu_pid_of $B)
lc_file_state "$IMG/guest.elf"
assert_contains "$(lc_file_state "$IMG/guest.elf")" "trusted.vmunit.dac=" "the kernel's holder record with $B running"

step "one clean run of $A, traced: the steps to kill at"
FIRST=$(snapshot)
lc_trace $A
printf '  kill point: %s\n' "${LC_KILL_POINTS[@]}"
# DAC's every step: the kernel is shared (so A's undo only leaves the
# holders), its initrd and runtime qemu/ directory are A's alone (the
# last holder restores).
lc_assert_traced dac-journalled dac-holder-added dac-acl-set \
        restore-dac-holder-removed restore-dac-acl-restored restore-dac-record-removed
LC_BEFORE=$(snapshot)
# The first start of a VM installs its AppArmor profile file, the admin's
# to keep (apparmor.c); nothing else may differ.
lc_compare "a clean run of $A (its profile file aside)" \
        "$(grep -v "^apparmor file: vmunit-$UUID_A\$" <<<"$FIRST")" \
        "$(grep -v "^apparmor file: vmunit-$UUID_A\$" <<<"$LC_BEFORE")" || fail "a clean start and stop of $A changed something"
echo "the state to come back to:"
echo "$LC_BEFORE"

step "SIGKILL at every step, ExecStopPost's --cleanup, --cleanup again: as before"
t0=$SECONDS
lc_kill_at_every_point $A

step "SIGKILL of the whole unit while $A runs (profile loaded, QEMU up)"
lc_start $A
grep -q "^vmunit-$UUID_A " /sys/kernel/security/apparmor/profiles || fail "$A's profile is not loaded while it runs"
lc_kill_whole_unit $A
LC_KILLS=$((LC_KILLS + 1))
note "$LC_KILLS kill points in $((SECONDS - t0))s"

step "$B ran through all of it"
lc_assert_survivor $B "$B_PID" "$B_QEMU" "$B_CURSOR"

if [ "${#LC_FAILED[@]}" -gt 0 ]; then
        printf 'differs: %s\n' "${LC_FAILED[@]}"
        fail "${#LC_FAILED[@]} of the comparisons found a difference (see MISMATCH above)"
fi

step "$B stops: every file exactly as it was before either VM"
assert_success systemctl stop "$(vm_unit $B)"
assert_eq "$ORIGINAL" "$(lc_file_state "$IMG/guest.elf" "$IMG/a-initrd" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img")" "the files after both VMs"
echo ok
