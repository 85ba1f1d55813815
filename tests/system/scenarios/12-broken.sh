#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A broken XML beside good ones: the good ones still get units; starting the
# broken one fails and its status/journal name the file and the line.
# vmunit-test-timeout: 120
. "$VMUNIT_TEST_LIB"

step "good1, good2 and a broken file"
define_test_vm good1 acpi
define_test_vm good2 acpi
printf '<domain type="qemu">\n  <name>broken</name>\n  <memory>64</memory>\n  <frobnicate/>\n</domain>\n' \
        >"$VMUNIT_DOMAINS/broken.xml"
systemctl daemon-reload
assert_file /run/systemd/generator/vm@good1.service.d/50-vmunit.conf
assert_file /run/systemd/generator/vm@good2.service.d/50-vmunit.conf
[ ! -e /run/systemd/generator/vm@broken.service.d ] || fail "a drop-in was generated for the broken file"
assert_contains "$(journalctl -b -k --no-pager)" "vmunit-generator: $VMUNIT_DOMAINS/broken.xml:4:" "kernel log"

step "the good ones start"
assert_success systemctl start vm@good1.service vm@good2.service

step "vm@broken fails with exit 1 naming file and line"
assert_failure systemctl start vm@broken.service
assert_unit_state vm@broken.service failed
assert_eq 1 "$(exit_status_of vm@broken.service)" "exit status"
s=$(systemctl status --no-pager vm@broken.service 2>&1 || true)
assert_contains "$s" "broken.xml:4:" "systemctl status"
assert_contains "$(journalctl -b --no-pager -u vm@broken.service)" "$VMUNIT_DOMAINS/broken.xml:4:" "journal"

step "vmctl validate says the same"
out=$(vmctl validate "$VMUNIT_DOMAINS/broken.xml" 2>&1 || true)
assert_contains "$out" "broken.xml:4:" "vmctl validate"

systemctl stop vm@good1.service vm@good2.service
systemctl reset-failed vm@broken.service || true
rm -f "$VMUNIT_DOMAINS"/{good1,good2,broken}.xml
systemctl daemon-reload
echo ok
