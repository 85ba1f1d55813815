#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A running VM's QEMU, read from /proc as an admin would: not root, the
# configured identity, every capability set empty, NoNewPrivs: 1,
# Seccomp: 2, its own AppArmor profile in enforce mode, in the unit's
# "qemu" leaf cgroup; the supervisor logs which security drivers it uses.
# Then how it gets its files: as fds, never paths. A disk image 0600
# root:root in a 0700 root directory boots, a serial log in a root-only
# /var/log/NAME fills, a serial socket is the supervisor's; QEMU's
# /proc/PID/fd shows them, its own open() of the image path is refused,
# and /run/vmunit/NAME is root's.
# vmunit-test-timeout: 180
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

step "files as fds: a 0600 root:root image in a 0700 root directory, a log in /var/log/fds"
PRIV=/var/lib/vmunit-test-private
LOGDIR=/var/log/fds
rm -rf "$PRIV" "$LOGDIR"
mkdir -m 0700 "$PRIV" "$LOGDIR"
truncate -s 1M "$PRIV/disk.img"
chmod 0600 "$PRIV/disk.img"
test_vm_xml fds acpi "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$PRIV/disk.img'/><target dev='vda' bus='virtio'/></disk>
    <serial type='file'><source path='$LOGDIR/serial0.log'/></serial>
    <serial type='unix'><source mode='bind' path='/run/vmunit/fds/serial1.sock'/></serial>" |
        sed "s|<serial type='pty'/>||" | with_test_monitor fds >"$VMUNIT_DOMAINS/fds.xml"
systemctl daemon-reload
assert_success systemctl start vm@fds.service
qf=$(qemu_pid_of fds)
fds=$(for f in /proc/"$qf"/fd/*; do readlink "$f"; done)
echo "QEMU's fds:"
echo "$fds"
for f in "$PRIV/disk.img" "$LOGDIR/serial0.log" /run/vmunit/fds/console.log "$VMUNIT_TEST_GUEST"; do
        grep -qxF -- "$f" <<<"$fds" || fail "QEMU has no fd for $f"
done
cmdline=$(tr '\0' ' ' <"/proc/$qf/cmdline")
echo "QEMU's command line: $cmdline"
for f in disk.img serial0.log serial1.sock console.log "$VMUNIT_TEST_GUEST"; do
        assert_not_contains "$cmdline" "$f" "QEMU's command line"
done
assert_contains "$cmdline" "-kernel /proc/self/fd/" "QEMU's command line"
wait_for 30 grep -q "VMUNIT-TEST-GUEST: waiting for ACPI" "$LOGDIR/serial0.log"
out=$(blockdev_add fds steal "$PRIV/disk.img")
assert_contains "$out" "Permission denied" "QEMU's own open of its image path"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' /run/vmunit/fds/serial1.sock ||
        fail "cannot connect to the serial socket"

step "/run/vmunit/fds is root's; only qemu/ is QEMU's"
assert_eq "root root 755" "$(stat -c '%U %G %a' /run/vmunit/fds)" "the runtime dir"
for f in pid domain.xml; do
        assert_eq "root root 644" "$(stat -c '%U %G %a' "/run/vmunit/fds/$f")" "/run/vmunit/fds/$f"
done
assert_eq "root root 600" "$(stat -c '%U %G %a' /run/vmunit/fds/console.log)" "the console log"
test -S /run/vmunit/fds/qemu/test-qmp.sock || fail "QEMU did not create its socket in qemu/"
wait_guest_acpi fds
assert_success systemctl stop vm@fds.service
[ ! -e /run/vmunit/fds ] || fail "/run/vmunit/fds left behind: $(ls -AR /run/vmunit/fds)"
assert_contains "$(cat "$LOGDIR/serial0.log")" "VMUNIT-TEST-GUEST: power button" "the log after stop"
assert_eq "root root 600" "$(stat -c '%U %G %a' "$LOGDIR/serial0.log")" "the log, created by the supervisor"

rm -rf "$PRIV" "$LOGDIR" "$VMUNIT_DOMAINS/fds.xml"
systemctl daemon-reload
echo ok
