#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A running VM's QEMU, read from /proc as an admin would: not root, the
# configured identity, every capability set empty, NoNewPrivs: 1,
# Seccomp: 2, its own AppArmor profile in enforce mode, in the unit's
# "qemu" leaf cgroup; the supervisor logs which security drivers it uses.
# vmunit-test-timeout: 120
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

UUID=20c0f1e0-0000-4000-8000-000000000020
define_test_vm confined acpi
sed -i "s|<name>confined</name>|<name>confined</name>\n  <uuid>$UUID</uuid>|" "$VMUNIT_DOMAINS/confined.xml"
systemctl daemon-reload
assert_success systemctl start vm@confined.service
pid=$(qemu_pid_of confined)
status=$(cat "/proc/$pid/status")
field() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$status"; }

step "identity: vmunit-qemu, not root, no way back"
quid=$(id -u vmunit-qemu)
assert_ne 0 "$(field Uid)" "QEMU's real uid"
assert_eq "$quid $quid $quid $quid" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' <<<"$status")" "Uid: real/effective/saved/fs"
assert_ne 0 "$(field Gid)" "QEMU's gid"

step "capabilities: all sets empty, no_new_privs, seccomp filter"
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
        assert_eq 0000000000000000 "$(field "$set")" "$set"
done
assert_eq 1 "$(field NoNewPrivs)" "NoNewPrivs"
assert_eq 2 "$(field Seccomp)" "Seccomp"

step "AppArmor: the VM's own profile, enforced"
assert_eq "vmunit-$UUID (enforce)" "$(tr -d '\0' <"/proc/$pid/attr/current")" "QEMU's AppArmor label"

step "cgroup: the unit's qemu leaf"
assert_contains "$(cat "/proc/$pid/cgroup")" "/machine.slice/vm@confined.service/qemu" "QEMU's cgroup"

step "the journal says what confines it"
assert_contains "$(journalctl -b --no-pager -u vm@confined.service)" "security: dac+apparmor" "journal"

wait_guest_acpi confined
systemctl stop vm@confined.service
rm -f "$VMUNIT_DOMAINS/confined.xml"
systemctl daemon-reload
echo ok
