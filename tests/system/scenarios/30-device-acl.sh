#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cgroup v2 device ACL: QEMU runs in the "qemu" leaf of its delegated unit
# cgroup, the supervisor in "supervisor". A process put into QEMU's cgroup
# can open the VM's own block disk (a loop device), /dev/null and /dev/kvm
# (when present), but not another loop device (EPERM). And our BPF program
# narrows the unit's own DeviceAllow= list: /dev/net/tun, which the unit
# allows, opens from the supervisor's leaf but not from QEMU's.
# vmunit-test-timeout: 180
. "$VMUNIT_TEST_LIB"

IMG_DIR=/var/lib/vmunit-test-acl
LOOPS=()
cleanup() {
        systemctl stop vm@acl.service >/dev/null 2>&1 || true
        for l in "${LOOPS[@]}"; do
                losetup -d "$l" 2>/dev/null || true
        done
        rm -rf "$IMG_DIR" "$VMUNIT_DOMAINS/acl.xml"
        systemctl daemon-reload
}
trap cleanup EXIT

step "cgroup v2 host, two loop devices"
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "/sys/fs/cgroup is not cgroup2: $(stat -f -c %T /sys/fs/cgroup)"
modprobe loop 2>/dev/null || true
mkdir -p "$IMG_DIR"
truncate -s 1M "$IMG_DIR/own.img" "$IMG_DIR/other.img"
OWN=$(losetup -f --show "$IMG_DIR/own.img") || fail "cannot create a loop device"
LOOPS+=("$OWN")
OTHER=$(losetup -f --show "$IMG_DIR/other.img") || fail "cannot create a second loop device"
LOOPS+=("$OTHER")
echo "own disk $OWN, other $OTHER"

step "a VM with the loop device as its block disk starts"
define_test_vm acl acpi "<disk type='block' device='disk'>
      <source dev='$OWN'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
systemctl daemon-reload
assert_success systemctl start vm@acl.service
assert_unit_state vm@acl.service active

# cgroup_of PID: the unified-hierarchy path from /proc/PID/cgroup.
cgroup_of() {
        sed -n 's/^0:://p' "/proc/$1/cgroup"
}
QPID=$(qemu_pid_of acl)
SPID=$(unit_property vm@acl.service MainPID)
QCG=$(cgroup_of "$QPID")
SCG=$(cgroup_of "$SPID")
UCG=$(unit_property vm@acl.service ControlGroup)
echo "unit $UCG, QEMU $QCG, supervisor $SCG"

step "QEMU is in the qemu leaf, the supervisor in the supervisor leaf"
assert_eq "$UCG/qemu" "$QCG" "QEMU's cgroup"
assert_eq "$UCG/supervisor" "$SCG" "the supervisor's cgroup"
# v2: no processes in the inner node.
assert_eq "" "$(cat "/sys/fs/cgroup$UCG/cgroup.procs")" "processes in the unit's own cgroup"

# open_from CGROUP DEVICE: open DEVICE read-only from a shell moved into
# CGROUP first; prints "ok" or the shell's error. Only open(2) is tested
# (the device filter acts there; /dev/kvm cannot even be read).
open_from() {
        (
                echo "$BASHPID" >"/sys/fs/cgroup$1/cgroup.procs"
                if out=$( (exec 3<"$2") 2>&1); then
                        echo ok
                else
                        echo "$out"
                fi
        )
}

step "from QEMU's cgroup: own disk and /dev/null open, the other loop device is EPERM"
assert_eq ok "$(open_from "$QCG" "$OWN")" "open $OWN (own disk)"
assert_eq ok "$(open_from "$QCG" /dev/null)" "open /dev/null"
assert_contains "$(open_from "$QCG" "$OTHER")" "Operation not permitted" "open $OTHER (not this VM's)"
assert_contains "$(open_from "$QCG" /dev/loop-control)" "Operation not permitted" "open /dev/loop-control"
if [ -c /dev/kvm ]; then
        assert_eq ok "$(open_from "$QCG" /dev/kvm)" "open /dev/kvm"
else
        note "no /dev/kvm in the test host (TCG): not checked"
fi

step "our program narrows the unit's DeviceAllow=: /dev/net/tun"
if [ -c /dev/net/tun ]; then
        # Allowed by vm@.service (DeviceAllow=/dev/net/tun rw), not in the
        # default cgroup_device_acl, not used by this VM.
        tun_sup=$(open_from "$SCG" /dev/net/tun)
        assert_not_contains "$tun_sup" "Operation not permitted" "open /dev/net/tun from the supervisor's leaf"
        assert_contains "$(open_from "$QCG" /dev/net/tun)" "Operation not permitted" "open /dev/net/tun from QEMU's leaf"
else
        note "no /dev/net/tun in the test host: narrowing not checked"
fi

step "the VM still runs; stop removes the cgroups"
assert_unit_state vm@acl.service active
assert_success systemctl stop vm@acl.service
assert_unit_state vm@acl.service inactive
[ ! -e "/sys/fs/cgroup$UCG" ] || fail "/sys/fs/cgroup$UCG left behind: $(find "/sys/fs/cgroup$UCG" -maxdepth 1 -type d)"
echo ok
