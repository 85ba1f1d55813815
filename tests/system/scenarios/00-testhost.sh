#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Proves the test host is what the other scenarios assume: systemd as PID 1,
# AppArmor enabled, D-Bus and machined reachable, and a QEMU that can run a
# TCG guest (the multiboot test guest) inside it.
# vmunit-test-timeout: 240
# shellcheck source=tests/system/lib.sh
. "$VMUNIT_TEST_LIB"

GUEST=/usr/local/share/vmunit-test/vmunit-test-guest.elf

step "PID 1 is systemd"
assert_eq systemd "$(cat /proc/1/comm)" "/proc/1/comm"
assert_contains "$(readlink /proc/1/exe)" systemd "/proc/1/exe"

step "boot finished and nothing failed"
state=$(systemctl is-system-running --wait || true)
if [ "$state" != running ]; then
        systemctl --failed --no-pager || true
        fail "system state: expected 'running', got '$state'"
fi

step "AppArmor is enabled"
assert_eq Y "$(cat /sys/module/apparmor/parameters/enabled)" "/sys/module/apparmor/parameters/enabled"
assert_contains "$(cat /sys/kernel/security/lsm)" apparmor "/sys/kernel/security/lsm"
assert_success aa-status --enabled
aa-status
assert_contains "$(cat /proc/self/attr/apparmor/current 2>/dev/null || cat /proc/self/attr/current)" unconfined "own AppArmor label"

step "D-Bus is up"
assert_unit_state dbus.service active
assert_success busctl --system status org.freedesktop.systemd1
assert_contains "$(busctl --system list --no-pager)" org.freedesktop.systemd1 "busctl list"

step "machinectl works"
assert_success machinectl list --no-pager
assert_unit_state systemd-machined.service active

step "the installed build finds all its libraries"
n=0
while read -r f; do
        if [ ! -f "$f" ] || [ "$(head -c4 "$f")" != $'\x7fELF' ]; then continue; fi
        case "$f" in *.elf) continue ;; esac   # the multiboot test guest
        n=$((n + 1))
        assert_not_contains "$(ldd "$f" 2>&1)" "not found" "ldd $f"
done <"$VMUNIT_TEST_INSTALLED_FILES"
echo "$n installed ELF files checked"

step "qemu-system-x86_64 runs a TCG guest"
qemu-system-x86_64 --version
if [ ! -f "$GUEST" ]; then
        note "SKIPPED the guest boot: $GUEST not in the payload (set VMUNIT_TEST_GUEST or build tests/guest)"
else
        rm -f /tmp/g.log
        rc=0
        timeout 120 qemu-system-x86_64 -display none -nodefaults -machine pc -accel tcg \
                -serial file:/tmp/g.log -kernel "$GUEST" -append mode=poweroff || rc=$?
        cp /tmp/g.log "$VMUNIT_TEST_ARTIFACTS/guest-serial.log"
        cat /tmp/g.log
        assert_eq 0 "$rc" "qemu exit code"
        assert_contains "$(cat /tmp/g.log)" VMUNIT-TEST-GUEST "guest serial output"
fi
echo "ok"
