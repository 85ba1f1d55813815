#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The per-VM D-Bus object on the real system bus: the running VM owns
# org.vmunit.vm.LABEL, busctl introspects org.vmunit.VM1 and reads its
# State (open to every user, like machinectl list); a user outside group
# vmunit is refused by the supervisor, which asks polkit (installed on
# this test host) with vmunit's shipped rules; Suspend and Resume go
# through; Shutdown stops the unit like systemctl stop.
# MonitorCommand as real users: a member of group vmunit gets read-only
# queries only, a member of vmunit-admin and root get raw QMP (review
# finding 7); a process that carries group vmunit without being a member
# (as after a setgid exec) gets nothing from it (finding 5). A user added
# to group vmunit may suspend and resume at the next login, and is refused
# again after leaving it, with no bus reload in between; raw QMP follows
# its own action (group vmunit-admin) (issue 10).
# vmunit-test-timeout: 150
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

MEMBER=vmunit-dbus-member # group vmunit
ADMIN=vmunit-dbus-admin   # group vmunit-admin
OUTSIDER=vmunit-dbus-outsider
id "$MEMBER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash --groups vmunit "$MEMBER"
id "$ADMIN" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash --groups vmunit-admin "$ADMIN"
id "$OUTSIDER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash "$OUTSIDER"
define_test_vm bus-demo acpi
systemctl daemon-reload
assert_success systemctl start vm@bus-demo.service
NAME=org.vmunit.vm.bus_2ddemo
OBJ=/org/vmunit/vm

step "the VM owns $NAME on the system bus and serves org.vmunit.VM1"
wait_for 20 busctl --system status "$NAME"
assert_contains "$(busctl --system introspect "$NAME" "$OBJ")" "org.vmunit.VM1" "introspection"
assert_eq 's "running"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State"
assert_eq "u $(qemu_pid_of bus-demo)" "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 QemuPID)" "QemuPID"

step "a user outside group vmunit reads the state, and is refused the rest (through polkit)"
assert_contains "$(busctl --system list --no-pager)" org.freedesktop.PolicyKit1 "the bus's names (polkit activatable)"
assert_file /usr/share/polkit-1/actions/org.vmunit.vm.policy
assert_eq 's "running"' "$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State 2>&1)" "nobody's State"
rc=0
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Suspend 2>&1) || rc=$?
assert_ne 0 "$rc" "exit status of nobody's Suspend"
assert_contains "$out" "not authorized for org.vmunit.vm.manage" "nobody's Suspend"
# The supervisor asked polkit, which the bus started for it.
assert_success busctl --system status org.freedesktop.PolicyKit1

step "Suspend / Resume, then Shutdown ends the unit"
wait_guest_acpi bus-demo
assert_success busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Suspend
assert_eq 's "paused"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after Suspend"
assert_eq paused "$(unit_property vm@bus-demo.service StatusText)" "the unit's status after Suspend (sd_notify STATUS=)"
assert_success busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Resume
assert_eq 's "running"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after Resume"
assert_eq running "$(unit_property vm@bus-demo.service StatusText)" "the unit's status after Resume"
step "the same through vmctl: suspend, resume, qemu-monitor-command"
assert_success vmctl suspend bus-demo
assert_eq 's "paused"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after vmctl suspend"
assert_success vmctl resume bus-demo
assert_contains "$(vmctl qemu-monitor-command bus-demo '{"execute":"query-status"}')" '"running"' "query-status through vmctl"
assert_not_contains "$(journalctl -b --no-pager -u vm@bus-demo.service)" "tainted" "journal after a read-only query"
rc=0; out=$(vmctl resume bus-demo 2>&1) || rc=$?
assert_ne 0 "$rc" "resume of a running domain"
assert_contains "$out" "not paused" "resume of a running domain"

step "MonitorCommand: group vmunit gets read-only queries; raw QMP is root's and vmunit-admin's"
as_member() { runuser -u "$MEMBER" -- "$@"; }
assert_contains "$(as_member vmctl qemu-monitor-command bus-demo '{"execute":"query-status"}')" '"running"' "member's query-status"
for cmd in '{"execute":"blockdev-add","arguments":{"driver":"file","node-name":"x","filename":"/etc/shadow","read-only":true}}' \
        '{"execute":"migrate_cancel"}' \
        '{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}'; do
        rc=0; out=$(as_member vmctl qemu-monitor-command bus-demo "$cmd" 2>&1) || rc=$?
        assert_ne 0 "$rc" "member's $cmd"
        assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the refusal"
        assert_contains "$out" "vmunit-admin" "refusal of $cmd"
done
assert_contains "$(runuser -u "$ADMIN" -- vmctl qemu-monitor-command bus-demo \
        '{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}')" "VM status: running" "admin's raw QMP"
assert_contains "$(vmctl qemu-monitor-command bus-demo '{"execute":"qom-list","arguments":{"path":"/machine"}}')" '"return"' "root's raw QMP"
assert_contains "$(journalctl -b --no-pager -u vm@bus-demo.service)" "tainted" "journal after raw QMP"
assert_eq 's "running"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after the refusals"

step "a process carrying group vmunit without being a member gets nothing from it"
gid=$(getent group vmunit | cut -d: -f3)
rc=0; out=$(setpriv --reuid="$OUTSIDER" --regid="$OUTSIDER" --groups="$gid" \
        busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Suspend 2>&1) || rc=$?
assert_ne 0 "$rc" "outsider's Suspend with group vmunit in its process"
assert_contains "$out" "not authorized" "outsider's Suspend"
assert_eq 's "running"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after the outsider's Suspend"
note "outsider: $out"

step "usermod -aG vmunit, a new login: suspend and resume; gpasswd -d, a new login: refused; no bus reload"
reloads() { journalctl -b --no-pager -u dbus.service | grep -c "Reload" || true; }
reloads0=$(reloads)
as_outsider() { runuser -u "$OUTSIDER" -- "$@"; } # a new login each time: the groups of the user database
rc=0; out=$(as_outsider vmctl suspend bus-demo 2>&1) || rc=$?
assert_ne 0 "$rc" "outsider's vmctl suspend before joining"
assert_contains "$out" "permission denied" "outsider's vmctl suspend"
usermod -aG vmunit "$OUTSIDER"
assert_success as_outsider vmctl suspend bus-demo
assert_eq 's "paused"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after the new member's suspend"
assert_success as_outsider vmctl resume bus-demo
assert_eq 's "running"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after the new member's resume"
rc=0; out=$(as_outsider vmctl qemu-monitor-command bus-demo '{"execute":"qom-list","arguments":{"path":"/machine"}}' 2>&1) || rc=$?
assert_ne 0 "$rc" "new member's raw QMP"
assert_contains "$out" "org.vmunit.vm.monitor" "new member's raw QMP"
usermod -aG vmunit-admin "$OUTSIDER"
assert_contains "$(as_outsider vmctl qemu-monitor-command bus-demo '{"execute":"qom-list","arguments":{"path":"/machine"}}')" '"return"' "raw QMP in group vmunit-admin"
gpasswd -d "$OUTSIDER" vmunit-admin >/dev/null
gpasswd -d "$OUTSIDER" vmunit >/dev/null
rc=0; out=$(as_outsider vmctl suspend bus-demo 2>&1) || rc=$?
assert_ne 0 "$rc" "vmctl suspend after leaving group vmunit"
assert_contains "$out" "permission denied" "vmctl suspend after leaving"
assert_eq 's "running"' "$(busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State)" "State after the refused suspend"
assert_eq "$reloads0" "$(reloads)" "dbus reloads during the membership changes"

assert_success busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Shutdown
wait_for_unit_state vm@bus-demo.service inactive 60
assert_eq 0 "$(exit_status_of vm@bus-demo.service)" "exit status"

rm -f "$VMUNIT_DOMAINS/bus-demo.xml"
userdel "$MEMBER" 2>/dev/null || true
userdel "$ADMIN" 2>/dev/null || true
userdel "$OUTSIDER" 2>/dev/null || true
systemctl daemon-reload
echo ok
