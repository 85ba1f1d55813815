#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guest reboot with on_reboot=destroy -> unit inactive; with restart ->
# stays active; guest crash (ISA pvpanic) with on_crash=destroy -> exit 4.
# vmunit-test-timeout: 200
. "$VMUNIT_TEST_LIB"

step "on_reboot=destroy: the guest's reboot ends the unit, exit 0"
define_test_vm rb-destroy reboot "" "<on_reboot>destroy</on_reboot>"
systemctl daemon-reload
systemctl start vm@rb-destroy.service || true # may already be gone when start returns
wait_for_unit_state vm@rb-destroy.service inactive 60
assert_eq 0 "$(exit_status_of vm@rb-destroy.service)" "exit status"
assert_contains "$(journalctl -b --no-pager -u vm@rb-destroy.service)" "guest rebooted" "journal"

step "on_reboot=restart: the guest reboots and the unit stays active"
echo "shutdown_timeout = 2" >/etc/vmunit/vmunit.conf
define_test_vm rb-restart reboot "" "<on_reboot>restart</on_reboot>"
systemctl daemon-reload
assert_success systemctl start vm@rb-restart.service
wait_for 60 sh -c '[ "$(journalctl -b --no-pager -u vm@rb-restart.service | grep -c "VMUNIT-TEST-GUEST: booted")" -ge 2 ]'
assert_unit_state vm@rb-restart.service active
systemctl stop vm@rb-restart.service

step "guest crash (pvpanic) with on_crash=destroy -> failed, exit 4"
define_test_vm crashy crash "<panic model='isa'/>" "<on_crash>destroy</on_crash>"
systemctl daemon-reload
systemctl start vm@crashy.service || true
wait_for_unit_state vm@crashy.service failed 60
assert_eq 4 "$(exit_status_of vm@crashy.service)" "exit status"
assert_contains "$(journalctl -b --no-pager -u vm@crashy.service)" "guest crashed" "journal"
systemctl reset-failed vm@crashy.service
rm -f /etc/vmunit/vmunit.conf "$VMUNIT_DOMAINS"/{rb-destroy,rb-restart,crashy}.xml
systemctl daemon-reload
echo ok
