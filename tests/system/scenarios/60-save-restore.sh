#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vmctl reboot, vmctl save NAME FILE and vmctl restore FILE on the real
# system, with a real non-root member of group vmunit on the system bus:
# vmctl save opens FILE as the calling user and passes the fd (Save(h));
# the supervisor (root, confined QEMU) writes the state into it with a MAC,
# the unit stops with exit 0; restore (root) makes its request from the fd
# it opened, the supervisor verifies the whole file and the test guest's
# `ticks` counter carries on where it was instead of starting again from 1.
# The review's findings as they would be attacked on a real host:
#   1  a file name with newlines cannot reach sd_notify (MainPID, status)
#   2  a member's failed save while its directory flips to a symlink to
#      root's (renameat2 RENAME_EXCHANGE, thousands of flips): root's file
#      survives every time
#   6  a member's tampered file (XML, stream) is refused by root's
#      restore with one line; a file whose machine differs from the
#      definition is refused; a good one restores
# Bad input gives one line and a non-zero exit.
# vmunit-test-timeout: 420
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

VM=sr
UNIT=vm@sr.service
SAVES=/var/lib/vmunit-test-saves
MEMBER=vmunit-saver # in group vmunit: may save, but only where it may write
MDIR=$SAVES/$MEMBER
FLIP=/usr/local/lib/vmunit-test/flip-dirs
NAME=org.vmunit.vm.sr
OBJ=/org/vmunit/vm

as_member() { runuser -u "$MEMBER" -- "$@"; }
start_vm() {
        c0=$(journal_cursor)
        assert_success vmctl start "$VM"
        wait_guest_acpi "$VM"
}

mkdir -p "$SAVES"
rm -rf "${SAVES:?}"/*
id "$MEMBER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash --groups vmunit "$MEMBER"
install -d -o "$MEMBER" -m 0700 "$MDIR"
define_test_vm "$VM" "acpi ticks" "" "<uuid>6b1d7a3e-0c55-4f0e-9d7a-2f3c4b5a6d7e</uuid>"
systemctl daemon-reload
start_vm

step "vmctl reboot: the guest powers off and comes back in the same unit"
pid=$(unit_property "$UNIT" MainPID)
assert_success vmctl reboot "$VM"
wait_for 60 sh -c "journalctl --no-pager -u $UNIT --after-cursor='$c0' | grep -q 'guest rebooted'"
wait_for 60 sh -c "[ \$(journalctl --no-pager -u $UNIT --after-cursor='$c0' | grep -c 'booted mode=acpi') -ge 2 ]"
assert_unit_state "$UNIT" active
assert_eq "$pid" "$(unit_property "$UNIT" MainPID)" "supervisor pid after reboot"

step "bad save requests: one line, non-zero, nothing written"
touch "$SAVES/exists.save"
out=$(one_line_failure vmctl save "$VM" "$SAVES/exists.save")
assert_contains "$out" "already exists" "save over an existing file"
[ ! -s "$SAVES/exists.save" ] || fail "existing file written to"
out=$(one_line_failure vmctl save nosuchvm "$SAVES/none.save")
assert_contains "$out" "not running" "save of a stopped domain"
[ ! -e "$SAVES/none.save" ] || fail "vmctl left its file behind after a refused save"
rc=0; out=$(busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 SaveToPath s "$SAVES/p.save" 2>&1) || rc=$?
assert_eq 0 "$rc" "root's SaveToPath is not refused up front: $out"
wait_for_unit_state "$UNIT" inactive 60
assert_eq "VMUNIT-SAVE 2" "$(head -n1 "$SAVES/p.save")" "SaveToPath header"
start_vm
rc=0; out=$(as_member busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 SaveToPath s "$MDIR/p.save" 2>&1) || rc=$?
assert_ne 0 "$rc" "member's SaveToPath"
assert_contains "$out" "root only" "member's SaveToPath"
assert_unit_state "$UNIT" active

step "a member of group vmunit writes and reads files only as itself"
out=$(one_line_failure as_member vmctl save "$VM" "$SAVES/by-member.save")
assert_contains "$out" "Permission denied" "member's save into a root-owned directory"
[ ! -e "$SAVES/by-member.save" ] || fail "a file was created where the member may not"
install -m 0644 /dev/null "$SAVES/root-only.img" # readable: vmctl itself looks at it
truncate -s 1M "$SAVES/root-only.img"
out=$(one_line_failure as_member vmctl attach-disk "$VM" "$SAVES/root-only.img" vdb)
assert_contains "$out" "may not read and write" "member's attach of an image it may not write"
assert_eq "0:0" "$(stat -c %u:%g "$SAVES/root-only.img")" "owner of the refused image"
assert_unit_state "$UNIT" active

step "#2: a member's failed save while its directory flips to a symlink to root's: root's file survives"
install -d -m 0755 "$SAVES/victim"
echo "root's data" >"$SAVES/victim/x.save"
install -d -o "$MEMBER" -m 0755 "$MDIR/d"
ln -s "$SAVES/victim" "$MDIR/l"
chown -h "$MEMBER" "$MDIR/l"
chmod 0755 "$MDIR"
flips=0
for round in 1 2 3; do
        [ "$round" = 1 ] || start_vm
        runuser -u "$MEMBER" -- "$FLIP" "$MDIR/d" "$MDIR/l" 120 >"$VMUNIT_TEST_ARTIFACTS/flips" &
        flip_pid=$!
        c1=$(journal_cursor)
        # The member's own vmctl creates the file (retried while the flip
        # points the name at root's directory), then the member itself
        # destroys the VM to make the supervisor's save fail.
        started=0
        for _ in $(seq 100); do
                as_member vmctl save "$VM" "$MDIR/d/x.save" >/dev/null 2>&1 &
                save_pid=$!
                for _ in $(seq 40); do
                        journalctl --no-pager -u "$UNIT" --after-cursor="$c1" | grep -q "saving the guest's state" &&
                                { started=1; break; }
                        kill -0 $save_pid 2>/dev/null || break
                        sleep 0.05
                done
                [ $started = 1 ] && break
                wait $save_pid || true
        done
        as_member busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Destroy >/dev/null 2>&1 || true
        wait $save_pid || true
        wait_for_unit_state "$UNIT" inactive 60
        kill "$flip_pid" 2>/dev/null || true
        wait "$flip_pid" || true
        flips=$((flips + $(cat "$VMUNIT_TEST_ARTIFACTS/flips" 2>/dev/null || echo 0)))
        [ $started = 1 ] || fail "round $round: the member's save never started"
        assert_eq "root's data" "$(cat "$SAVES/victim/x.save" 2>/dev/null)" "round $round: root's file"
        as_member rm -f "$MDIR/d/x.save"
        if journalctl --no-pager -u "$UNIT" --after-cursor="$c1" | grep -q "Save: QEMU exited before the state was saved"; then
                note "round $round: the save failed (Destroy)"
        else
                note "round $round: the save completed before the Destroy"
        fi
done
[ "$flips" -ge 1000 ] || fail "only $flips flips: the race did not run"
note "#2: $flips flips over 3 failed saves; root's file intact"
start_vm

step "#1 + save by the member into its own directory: a name with newlines reaches neither sd_notify nor a log line raw"
wait_for 60 unit_ticks_reach "$UNIT" "$c0" 3
before=$(unit_last_tick "$UNIT" "$c0")
sleep 1000 &
bystander=$!
supervisor=$(unit_property "$UNIT" MainPID)
FILE="$MDIR/sr
MAINPID=$bystander
X.save"
as_member vmctl save "$VM" "$FILE" >"$VMUNIT_TEST_ARTIFACTS/save.out" 2>&1 &
save_pid=$!
while kill -0 $save_pid 2>/dev/null; do
        p=$(unit_property "$UNIT" MainPID)
        [ "$p" = "$supervisor" ] || [ "$p" = 0 ] || fail "MainPID became $p during the save (supervisor $supervisor)"
        unit_property "$UNIT" StatusText >>"$VMUNIT_TEST_ARTIFACTS/status-texts"
        sleep 0.1
done
wait $save_pid || fail "member's save failed: $(cat "$VMUNIT_TEST_ARTIFACTS/save.out")"
wait_for_unit_state "$UNIT" inactive 60
assert_eq 0 "$(exit_status_of "$UNIT")" "exit status after save"
kill -0 $bystander 2>/dev/null || fail "the bystander process $bystander was killed"
kill $bystander
assert_not_contains "$(cat "$VMUNIT_TEST_ARTIFACTS/status-texts")" "MAINPID" "StatusText during the save"
note "status texts: $(sort -u "$VMUNIT_TEST_ARTIFACTS/status-texts" | tr '\n' '|')"
mv "$FILE" "$MDIR/sr.save"
FILE=$MDIR/sr.save
assert_eq 600 "$(stat -c %a "$FILE")" "mode of the save file"
assert_eq "$MEMBER" "$(stat -c %U "$FILE")" "owner of the member's save file"
assert_eq "VMUNIT-SAVE 2" "$(head -n1 "$FILE")" "header"
j=$(journalctl -b --no-pager -u "$UNIT" --after-cursor="$c0")
assert_contains "$j" "saved the guest's state to $MDIR/sr\\x0aMAINPID=$bystander\\x0aX.save" "journal (escaped name)"
assert_not_contains "$j" ": MAINPID=" "journal (a line of its own)"

step "#6: the member's tampered files are refused by root's restore with one line"
as_member cp "$FILE" "$MDIR/xml.save"
as_member sed -i '0,/mode=acpi ticks/s//mode=acpi tickz/' "$MDIR/xml.save"
as_member cp "$FILE" "$MDIR/stream.save"
size=$(stat -c %s "$FILE")
printf 'X' | as_member dd of="$MDIR/stream.save" bs=1 seek=$((size / 2)) conv=notrunc status=none
for f in xml stream; do
        c1=$(journal_cursor)
        out=$(one_line_failure vmctl restore "$MDIR/$f.save")
        note "$f: $out"
        wait_for 60 sh -c "journalctl --no-pager -u $UNIT --after-cursor='$c1' | grep -q 'cannot restore: authentication failed'"
        assert_not_contains "$(journalctl --no-pager -u "$UNIT" --after-cursor="$c1")" "booted mode=" "$f: the guest ran"
        [ ! -e /var/lib/vmunit/$VM/restore ] || fail "$f: restore request left behind"
done

step "#6: a file whose machine differs from the definition is refused, naming the difference"
sed -i 's/<memory unit=.MiB.>32</<memory unit="MiB">48</' "$VMUNIT_DOMAINS/$VM.xml"
systemctl daemon-reload
c1=$(journal_cursor)
out=$(one_line_failure vmctl restore "$FILE")
wait_for 60 sh -c "journalctl --no-pager -u $UNIT --after-cursor='$c1' | grep -q 'cannot restore into the defined domain'"
assert_contains "$(journalctl --no-pager -u "$UNIT" --after-cursor="$c1")" "-m size=32768k' where the definition has '-m size=49152k'" "journal"
define_test_vm "$VM" "acpi ticks" "" "<uuid>6b1d7a3e-0c55-4f0e-9d7a-2f3c4b5a6d7e</uuid>"
systemctl daemon-reload

step "vmctl restore of the good file: the unit runs again and the guest's ticks carry on"
c1=$(journal_cursor)
assert_success vmctl restore "$FILE"
wait_for_unit_state "$UNIT" active 60
assert_eq running "$(unit_property "$UNIT" StatusText)" "StatusText after restore"
assert_eq "1min 30s" "$(unit_property "$UNIT" TimeoutStartUSec)" "TimeoutStartUSec (unchanged: restore extends it while it makes progress)"
wait_for 60 unit_ticks_reach "$UNIT" "$c1" $((before + 2))
first=$(unit_first_tick "$UNIT" "$c1")
[ "$first" -ge "$before" ] || fail "ticks restarted at $first after restore (were at $before)"
assert_contains "$(journalctl --no-pager -u "$UNIT" --after-cursor="$c1")" "restored the guest's state from /var/lib/vmunit/$VM/restore" "journal"
[ ! -e /var/lib/vmunit/$VM/restore ] || fail "restore request left behind"
assert_eq "$MEMBER" "$(stat -c %U "$FILE")" "the member's file stays the member's"
assert_eq "root 600 32" "$(stat -c '%U %a %s' /var/lib/vmunit/save.key)" "the host's save key"
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
