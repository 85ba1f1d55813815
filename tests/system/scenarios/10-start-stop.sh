#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A domain dropped into /etc/vmunit/domains + daemon-reload -> systemctl
# start returns once the guest runs; status shows STATUS=; the journal has
# the guest's marker and supervisor events with VMUNIT_DOMAIN=; machinectl
# lists it as a vm; systemctl stop -> ACPI -> inactive, exit 0; an
# ACPI-ignoring guest is forced off after shutdown_timeout; and
# `systemd-analyze security` rates the unit's exposure at most 4.1.
# vmunit-test-timeout: 240
. "$VMUNIT_TEST_LIB"

step "define demo, daemon-reload: the generator makes its drop-in"
define_test_vm demo acpi
systemctl daemon-reload
assert_file /run/systemd/generator/vm@demo.service.d/50-vmunit.conf
assert_eq "vmunit test guest demo" "$(unit_property vm@demo.service Description)" "Description"

step "systemctl start returns only once the guest runs"
assert_success systemctl start vm@demo.service
assert_unit_state vm@demo.service active
assert_eq running "$(unit_property vm@demo.service StatusText)" "StatusText right after start"
status=$(systemctl status --no-pager vm@demo.service 2>&1 || true)
assert_contains "$status" "Status: \"running\"" "systemctl status"

step "journal: marker from the guest, events tagged VMUNIT_DOMAIN=demo"
wait_for 60 sh -c 'journalctl -b --no-pager -u vm@demo.service | grep -q "VMUNIT-TEST-GUEST: waiting for ACPI"'
j=$(journal_of vm@demo.service)
assert_contains "$j" "VMUNIT_DOMAIN=demo" "journal fields"
assert_contains "$j" "VMUNIT_UUID=" "journal fields"
assert_contains "$j" "state: running" "journal"

step "machinectl lists demo as class vm, leader = QEMU"
m=$(machinectl list --no-legend --no-pager)
assert_contains "$m" "demo" "machinectl list"
assert_contains "$m" "vm" "machinectl list"
assert_eq "$(qemu_pid_of demo)" "$(machinectl show --property=Leader --value demo)" "machine leader"
assert_eq vm "$(machinectl show --property=Class --value demo)" "machine class"

step "hardening: systemd-analyze security, exposure no worse than 4.1 (issue 9)"
# 4.1: the score issue 9 asks not to get worse than (this test host said
# 4.0 at be36c3e, the unit without CAP_CHOWN). Lower is better; the whole
# report stays in the artifacts (security.txt).
systemd-analyze security --no-pager vm@demo.service >security.txt 2>&1 || true
exposure=$(grep -i "overall exposure" security.txt) || fail "no exposure line: $(tail -n 3 security.txt)"
echo "$exposure"
score=$(sed -n 's/.*[Oo]verall exposure level for [^:]*: *\([0-9][0-9.]*\).*/\1/p' <<<"$exposure")
[ -n "$score" ] || fail "no score in: $exposure"
awk -v s="$score" 'BEGIN { exit !(s + 0 <= 4.1) }' || fail "systemd-analyze security: exposure $score, worse than 4.1"

step "systemctl stop: ACPI power button -> guest powers off -> inactive, exit 0"
assert_success systemctl stop vm@demo.service
assert_unit_state vm@demo.service inactive
assert_eq 0 "$(exit_status_of vm@demo.service)" "exit status"
j=$(journalctl -b --no-pager -u vm@demo.service)
assert_contains "$j" "VMUNIT-TEST-GUEST: power button, powering off" "journal"
assert_contains "$j" "guest powered off" "journal"
[ ! -e /run/vmunit/demo ] || fail "/run/vmunit/demo left behind"
assert_failure machinectl show demo

step "ACPI-ignoring guest: forced after shutdown_timeout"
mkdir -p /etc/vmunit
echo "shutdown_timeout = 3" >/etc/vmunit/vmunit.conf
define_test_vm stubborn ignore-acpi
systemctl daemon-reload
assert_success systemctl start vm@stubborn.service
t0=$(date +%s)
assert_success systemctl stop vm@stubborn.service
took=$(( $(date +%s) - t0 ))
echo "stop took ${took}s with shutdown_timeout = 3"
assert_unit_state vm@stubborn.service inactive
assert_eq 0 "$(exit_status_of vm@stubborn.service)" "exit status"
assert_contains "$(journalctl -b --no-pager -u vm@stubborn.service)" "forcing quit" "journal"
[ "$took" -ge 3 ] || fail "stopped after ${took}s, before the 3 s timeout"
rm -f /etc/vmunit/vmunit.conf "$VMUNIT_DOMAINS/stubborn.xml" "$VMUNIT_DOMAINS/demo.xml"
systemctl daemon-reload
echo ok
