#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Two VMs at once; vm@web-1 and vm@db.prod start the domains named web-1 and
# db.prod; a name with a space works as \x20; a 300-character name is
# refused by vmctl define with a clear message.
# vmunit-test-timeout: 200
. "$VMUNIT_TEST_LIB"

step "vmctl define web-1 and db.prod; both run at once"
test_vm_xml web-1 acpi >/tmp/web-1.xml
test_vm_xml db.prod acpi >/tmp/db.prod.xml
assert_success vmctl define /tmp/web-1.xml
assert_success vmctl define /tmp/db.prod.xml
assert_success vmctl start web-1
assert_success systemctl start vm@db.prod.service
assert_unit_state vm@web-1.service active
assert_unit_state vm@db.prod.service active
assert_file /run/vmunit/web-1/pid
assert_file /run/vmunit/db.prod/pid
assert_contains "$(tr '\0' ' ' </proc/"$(qemu_pid_of web-1)"/cmdline)" "guest=web-1" "web-1's QEMU"
assert_contains "$(tr '\0' ' ' </proc/"$(qemu_pid_of db.prod)"/cmdline)" "guest=db.prod" "db.prod's QEMU"
list=$(vmctl list)
assert_contains "$list" "web-1" "vmctl list"
assert_contains "$list" "db.prod" "vmctl list"

step "a name with a space: vm@my\\x20vm"
test_vm_xml "my vm" acpi >"/tmp/my vm.xml"
assert_success vmctl define "/tmp/my vm.xml"
assert_success systemctl start 'vm@my\x20vm.service'
assert_unit_state 'vm@my\x20vm.service' active
assert_file "/run/vmunit/my vm/pid"

step "shutdown through vmctl, destroy through vmctl"
assert_success vmctl shutdown web-1
assert_unit_state vm@web-1.service inactive
assert_success vmctl destroy db.prod
assert_unit_state vm@db.prod.service inactive
all=$(vmctl list --all)
assert_contains "$all" "$(printf ' %-7s %-30s %s' - web-1 'shut off')" "vmctl list --all after shutdown"
assert_contains "$all" "running" "vmctl list --all (my vm still runs)"
assert_success systemctl stop 'vm@my\x20vm.service'

step "a 300-character name is refused by vmctl define"
long=$(printf 'a%.0s' $(seq 1 300))
test_vm_xml "$long" acpi >/tmp/long.xml
rc=0; out=$(vmctl define /tmp/long.xml 2>&1) || rc=$?
assert_ne 0 "$rc" "exit status of define"
assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
assert_contains "$out" "longer than" "define's message"

for n in web-1 db.prod "my vm"; do vmctl undefine "$n" >/dev/null; done
echo ok
