#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kill -9 of QEMU -> unit failed with exit 3; SIGSTOP of QEMU -> systemd's
# watchdog fires; systemctl kill -s KILL (supervisor and QEMU gone) ->
# ExecStopPost cleanup leaves no runtime state behind.
# vmunit-test-timeout: 200
. "$VMUNIT_TEST_LIB"

define_test_vm victim acpi
systemctl daemon-reload

step "kill -9 of QEMU -> failed, exit 3"
assert_success systemctl start vm@victim.service
kill -KILL "$(qemu_pid_of victim)"
wait_for_unit_state vm@victim.service failed 30
assert_eq 3 "$(exit_status_of vm@victim.service)" "exit status"
assert_contains "$(journalctl -b --no-pager -u vm@victim.service)" "QEMU exited unexpectedly" "journal"
[ ! -e /run/vmunit/victim ] || fail "/run/vmunit/victim left behind"
systemctl reset-failed vm@victim.service

step "SIGSTOP of QEMU -> the watchdog fires"
mkdir -p /run/systemd/system/vm@victim.service.d
printf '[Service]\nWatchdogSec=3s\n' >/run/systemd/system/vm@victim.service.d/watchdog.conf
systemctl daemon-reload
assert_success systemctl start vm@victim.service
sleep 4 # pings flow while QEMU answers
assert_unit_state vm@victim.service active
kill -STOP "$(qemu_pid_of victim)"
wait_for_unit_state vm@victim.service failed 60
assert_eq watchdog "$(unit_property vm@victim.service Result)" "Result"
[ ! -e /run/vmunit/victim ] || fail "/run/vmunit/victim left behind after the watchdog"
systemctl reset-failed vm@victim.service
rm -rf /run/systemd/system/vm@victim.service.d
systemctl daemon-reload

step "systemctl kill -s KILL (whole unit) -> ExecStopPost cleans up"
assert_success systemctl start vm@victim.service
assert_file /run/vmunit/victim/pid
systemctl kill -s KILL vm@victim.service
wait_for_unit_state vm@victim.service failed 30
[ ! -e /run/vmunit/victim ] || fail "runtime state left behind: $(ls -A /run/vmunit/victim)"
pgrep -f "guest=victim" && fail "a QEMU for victim is still running"
systemctl reset-failed vm@victim.service
rm -f "$VMUNIT_DOMAINS/victim.xml"
systemctl daemon-reload
echo ok
