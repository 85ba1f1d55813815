#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vmctl reboot, vmctl save NAME FILE and vmctl restore FILE on the real
# system: the supervisor (root, confined QEMU) writes the file itself, the
# unit stops with exit 0; restore starts the unit through systemd and the
# test guest's `ticks` counter carries on where it was instead of starting
# again from 1. Bad input gives one line and a non-zero exit.
# vmunit-test-timeout: 240
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

VM=sr
UNIT=vm@sr.service
SAVES=/var/lib/vmunit-test-saves
MEMBER=vmunit-saver # in group vmunit: may save, but only where it may write
FILE=$SAVES/$MEMBER/sr.save

# one_line_failure CMD...: non-zero exit and exactly one line of output.
one_line_failure() {
        local out rc=0
        out=$("$@" 2>&1) || rc=$?
        [ "$rc" != 0 ] || fail "\`$*\` succeeded; output: $out"
        [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "\`$*\`: want one line, got: $out"
        echo "$out"
}

mkdir -p "$SAVES"
rm -rf "${SAVES:?}"/*
id "$MEMBER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash --groups vmunit "$MEMBER"
install -d -o "$MEMBER" -m 0700 "$SAVES/$MEMBER"
define_test_vm "$VM" "acpi ticks" "" "<uuid>6b1d7a3e-0c55-4f0e-9d7a-2f3c4b5a6d7e</uuid>"
systemctl daemon-reload
c0=$(journal_cursor)
assert_success vmctl start "$VM"
wait_guest_acpi "$VM"

step "vmctl reboot: the guest powers off and comes back in the same unit"
pid=$(unit_property "$UNIT" MainPID)
assert_success vmctl reboot "$VM"
wait_for 60 sh -c "journalctl --no-pager -u $UNIT --after-cursor='$c0' | grep -q 'guest rebooted'"
wait_for 60 sh -c "[ \$(journalctl --no-pager -u $UNIT --after-cursor='$c0' | grep -c 'booted mode=acpi') -ge 2 ]"
assert_unit_state "$UNIT" active
assert_eq "$pid" "$(unit_property "$UNIT" MainPID)" "supervisor pid after reboot"

step "bad save requests: one line, non-zero, nothing written"
out=$(one_line_failure vmctl save "$VM" /tmp/x.save)
assert_contains "$out" "private" "save to /tmp"
touch "$SAVES/exists.save"
out=$(one_line_failure vmctl save "$VM" "$SAVES/exists.save")
assert_contains "$out" "already exists" "save over an existing file"
[ ! -s "$SAVES/exists.save" ] || fail "existing file written to"
out=$(one_line_failure vmctl save nosuchvm "$FILE")
assert_contains "$out" "not running" "save of a stopped domain"
assert_unit_state "$UNIT" active

step "a member of group vmunit writes and reads files only as itself"
out=$(one_line_failure runuser -u "$MEMBER" -- vmctl save "$VM" "$SAVES/by-member.save")
assert_contains "$out" "Permission denied" "member's save into a root-owned directory"
[ ! -e "$SAVES/by-member.save" ] || fail "the supervisor created a file where the member may not"
install -m 0644 /dev/null "$SAVES/root-only.img" # readable: vmctl itself looks at it
truncate -s 1M "$SAVES/root-only.img"
out=$(one_line_failure runuser -u "$MEMBER" -- vmctl attach-disk "$VM" "$SAVES/root-only.img" vdb)
assert_contains "$out" "may not read and write" "member's attach of an image it may not write"
assert_eq "0:0" "$(stat -c %u:%g "$SAVES/root-only.img")" "owner of the refused image"
assert_unit_state "$UNIT" active

step "vmctl save (by the member, into its own directory): file 0600, its own, with our header; exit 0"
wait_for 60 unit_ticks_reach "$UNIT" "$c0" 3
before=$(unit_last_tick "$UNIT" "$c0")
assert_success runuser -u "$MEMBER" -- vmctl save "$VM" "$FILE"
wait_for_unit_state "$UNIT" inactive 60
assert_eq 0 "$(exit_status_of "$UNIT")" "exit status after save"
assert_eq 600 "$(stat -c %a "$FILE")" "mode of the save file"
assert_eq "$MEMBER" "$(stat -c %U "$FILE")" "owner of the member's save file"
assert_eq "VMUNIT-SAVE 1" "$(head -n1 "$FILE")" "header"
assert_contains "$(journalctl -b --no-pager -u "$UNIT" --after-cursor="$c0")" "saved the guest's state to $FILE" "journal"

step "vmctl restore: the unit runs again and the guest's ticks carry on"
c1=$(journal_cursor)
assert_success vmctl restore "$FILE"
wait_for_unit_state "$UNIT" active 60
assert_eq running "$(unit_property "$UNIT" StatusText)" "StatusText after restore"
wait_for 60 unit_ticks_reach "$UNIT" "$c1" $((before + 2))
first=$(unit_first_tick "$UNIT" "$c1")
[ "$first" -ge "$before" ] || fail "ticks restarted at $first after restore (were at $before)"
assert_contains "$(journalctl --no-pager -u "$UNIT" --after-cursor="$c1")" "restored the guest's state from $FILE" "journal"
[ ! -e /var/lib/vmunit/$VM/restore ] || fail "restore request left behind"
note "ticks: $before before save, first after restore $first"

step "bad restore requests: one line, non-zero"
echo hello >"$SAVES/foreign.save"
out=$(one_line_failure vmctl restore "$SAVES/foreign.save")
assert_contains "$out" "not a vmunit save file" "restore of a foreign file"
out=$(one_line_failure vmctl restore "$FILE")
assert_contains "$out" "is running" "restore of a running domain"

assert_success vmctl destroy "$VM"
rm -rf "$VMUNIT_DOMAINS/$VM.xml" "${SAVES:?}"/*
userdel "$MEMBER" 2>/dev/null || true
systemctl daemon-reload
echo ok
