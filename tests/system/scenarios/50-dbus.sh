#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The per-VM D-Bus object on the real system bus: the running VM owns
# org.vmunit.vm.LABEL, busctl introspects org.vmunit.VM1 and reads its
# State; a user outside group vmunit is denied by the bus policy; Suspend
# and Resume go through; Shutdown stops the unit like systemctl stop.
# vmunit-test-timeout: 150
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

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

step "a user outside group vmunit is denied"
rc=0
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
        busctl --system get-property "$NAME" "$OBJ" org.vmunit.VM1 State 2>&1) || rc=$?
assert_ne 0 "$rc" "exit status of nobody's busctl"
assert_contains "$out" "ccess denied" "nobody's busctl"

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
assert_contains "$(journalctl -b --no-pager -u vm@bus-demo.service)" "tainted" "journal after a monitor command"
rc=0; out=$(vmctl resume bus-demo 2>&1) || rc=$?
assert_ne 0 "$rc" "resume of a running domain"
assert_contains "$out" "not paused" "resume of a running domain"

assert_success busctl --system call "$NAME" "$OBJ" org.vmunit.VM1 Shutdown
wait_for_unit_state vm@bus-demo.service inactive 60
assert_eq 0 "$(exit_status_of vm@bus-demo.service)" "exit status"

rm -f "$VMUNIT_DOMAINS/bus-demo.xml"
systemctl daemon-reload
echo ok
