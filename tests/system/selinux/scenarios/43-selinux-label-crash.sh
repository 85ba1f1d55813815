#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Crash idempotence of the labels under SELinux, enforcing, with the real
# supervisor under systemd (issue 9; the AppArmor host's twin is
# scenarios/22-label-crash.sh). VM lc-b runs throughout. VM lc-a shares
# its kernel (0600, root's: an ACL entry and a DAC holder record too) and
# a <readonly/> disk with lc-b, both in the content context with a
# holder record, and has an initrd of its own (0600) and an exclusive
# disk that gets its category pair.
# One clean run of lc-a traces every journalled step (-Dtest_hooks=true):
# the MCS reservation, DAC and SELinux labelling, and every restore step;
# then, at each SELinux step (at its first and its last file; DAC's
# steps are 22-label-crash's, the same code on the AppArmor host), lc-a's
# supervisor stops itself and the unit is SIGKILLed. Its ExecStopPost
# --cleanup, and a second --cleanup by hand, must each leave every owner,
# mode, ACL, xattr (holder records, SELinux contexts), MCS reservation and
# label journal exactly as before,
# with lc-b still running, confined with its pair, its labels intact.
# One more kill comes while lc-a runs. (The hook's SIGSTOP to itself
# needs process:sigstop for virtd_t: a test-only module grants it.)
# vmunit-test-timeout: 600
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"
# shellcheck source=tests/system/lib-labels.sh
. "$VMUNIT_TEST_DIR/lib-labels.sh"

IMG=/var/lib/vmunit/images/label-crash
A=lc-a
B=lc-b
UUID_A=1abe1c4a-0000-4000-8000-0000000000a4
UUID_B=1abe1c4a-0000-4000-8000-0000000000b4

cleanup() {
        local rc=$?
        if [ "$rc" != 0 ]; then
                echo "denials since the scenario began:"
                avcs_since_mark
        fi
        systemctl stop "$(vm_unit $A)" "$(vm_unit $B)" >/dev/null 2>&1 || true
        setenforce 0 2>/dev/null || true
        semodule -r vmunit_test_hooks >/dev/null 2>&1 || true
        lc_teardown $A $B
        rm -rf "$IMG" "$VMUNIT_DOMAINS/$A.xml" "$VMUNIT_DOMAINS/$B.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

FILES=("$IMG/guest.elf" "$IMG/a-initrd" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img" "/run/vmunit/$B/qemu")
snapshot() {
        lc_snapshot "${FILES[@]}"
        # Cheap, from /proc: this runs three times per kill point.
        echo "$B: supervisor ${B_PID:-?} $(cat "/proc/${B_PID:-0}/comm" 2>&1), qemu $(qemu_pid_of $B) $(proc_label "$(qemu_pid_of $B)")"
}

step "SELinux is on; install the vmunit policy module, and one for the test hook"
[ -e /sys/fs/selinux/enforce ] || fail "SELinux is not enabled (boot the selinux test-host variant)"
assert_file /usr/share/selinux/packages/vmunit.pp
# The test hook stops the supervisor with SIGSTOP to itself, which the
# policy rightly does not grant virtd_t: a test-only module does, for this
# scenario only (one policy rebuild for both; it goes again at the end).
mkdir -p "$LC_DIR"
echo '(allow virtd_t self (process (sigstop)))' >"$LC_DIR/vmunit_test_hooks.cil"
t=$SECONDS
assert_success semodule -i /usr/share/selinux/packages/vmunit.pp -i "$LC_DIR/vmunit_test_hooks.cil"
note "semodule -i took $((SECONDS - t))s"
mkdir -p /run/vmunit /var/lib/vmunit/images
restorecon -RF /usr/libexec/vmunit /etc/vmunit /run/vmunit /var/lib/vmunit >/dev/null 2>&1
assert_success setsebool virt_use_execmem on
assert_success setenforce 1
note "SELinux $(getenforce)"
mark_avcs

step "files: a kernel only root may read, a shared read-only disk, an exclusive disk each"
lc_make_files
restorecon -RF "$IMG" >/dev/null 2>&1
lc_file_state "$IMG/guest.elf" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img"
ORIGINAL=$(lc_file_state "$IMG/guest.elf" "$IMG/a-initrd" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img")
mkdir -p "$VMUNIT_DOMAINS"
lc_vm_xml $A $UUID_A acpi a.img a-initrd >"$VMUNIT_DOMAINS/$A.xml"
lc_vm_xml $B $UUID_B "acpi ticks" b.img >"$VMUNIT_DOMAINS/$B.xml"
lc_setup $A $B

step "$B starts and stays up, confined with a pair"
B_CURSOR=$(journal_cursor)
lc_start $B
B_PID=$(unit_property "$(vm_unit $B)" MainPID)
B_QEMU=$(qemu_pid_of $B)
echo "$B's QEMU: $(proc_label "$B_QEMU")"
lc_file_state "$IMG/guest.elf" "$IMG/ro.img" "$IMG/b.img"
assert_contains "$(lc_file_state "$IMG/ro.img")" "trusted.vmunit.secontext=" "the read-only disk's holder record with $B running"
ls -l "$LC_MCS"

step "one clean run of $A, traced: the steps to kill at"
LC_BEFORE=$(snapshot)
lc_trace $A
printf '  kill point: %s\n' "${LC_KILL_POINTS[@]}"
# Every step there is: the kernel and the read-only disk are shared (A's
# undo only leaves the holders), its initrd, disk and runtime qemu/
# directory are A's alone (the last holder restores), and its pair is
# released.
lc_assert_traced selinux-mcs-journalled selinux-mcs-reserved \
        dac-journalled dac-holder-added dac-acl-set \
        selinux-journalled selinux-holder-added selinux-context-set \
        restore-dac-holder-removed restore-dac-acl-restored restore-dac-record-removed \
        restore-selinux-holder-removed restore-selinux-context-restored restore-selinux-record-removed \
        restore-selinux-mcs-released
# DAC's steps are the same code on every host: 22-label-crash kills at
# each of them on the AppArmor host. Here: every SELinux step, at its first
# and its last file.
mapfile -t LC_KILL_POINTS < <(printf '%s\n' "${LC_KILL_POINTS[@]}" | grep -v ' \(restore-\)\?dac-')
lc_first_and_last_kill_points
lc_compare "a clean run of $A" "$LC_BEFORE" "$(snapshot)" || fail "a clean start and stop of $A changed something"
echo "the state to come back to:"
echo "$LC_BEFORE"

step "SIGKILL at every step, ExecStopPost's --cleanup, --cleanup again: as before"
t0=$SECONDS
lc_kill_at_every_point $A

step "SIGKILL of the whole unit while $A runs"
lc_start $A
[ -n "$(ls "$LC_MCS")" ] || fail "no pair reserved while $A runs"
lc_kill_whole_unit $A
LC_KILLS=$((LC_KILLS + 1))
note "$LC_KILLS kill points in $((SECONDS - t0))s"

step "$B ran through all of it"
lc_assert_survivor $B "$B_PID" "$B_QEMU" "$B_CURSOR"

step "denials"
out=$(avcs_since_mark)
if [ -n "$out" ]; then
        echo "$out"
        note "$(wc -l <<<"$out") denial line(s), see above"
else
        note "no denials"
fi

if [ "${#LC_FAILED[@]}" -gt 0 ]; then
        printf 'differs: %s\n' "${LC_FAILED[@]}"
        fail "${#LC_FAILED[@]} of the comparisons found a difference (see MISMATCH above)"
fi

step "$B stops: every file exactly as it was before either VM, no pair reserved"
assert_success systemctl stop "$(vm_unit $B)"
assert_eq "$ORIGINAL" "$(lc_file_state "$IMG/guest.elf" "$IMG/a-initrd" "$IMG/ro.img" "$IMG/a.img" "$IMG/b.img")" "the files after both VMs"
assert_eq "" "$(ls "$LC_MCS" 2>/dev/null)" "reserved pairs"
setenforce 0
echo ok
